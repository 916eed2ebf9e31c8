// SPDX-License-Identifier: ISC
// Which Asio the Asio suites run on. tests/CMakeLists.txt compiles every
// asio_*_test.cpp twice into tlspp_tests: on standalone Asio, and with
// TLSPP_TEST_BOOST_ASIO defined on Boost.Asio. The suites spell the Asio
// namespace `net`, its error code `error_code`, and tlspp's stream namespace
// `tls_asio`; they name their suites with ASIO_TEST_F, and use what an older
// Asio lacks only under TLSPP_TEST_ASIO_VERSION checks, skipping with the
// reason where there is no substitute.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <exception>
#include <tuple>
#include <type_traits>
#include <utility>

#ifdef TLSPP_TEST_BOOST_ASIO

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/version.hpp>
#include <boost/asio/write.hpp>

#include "tlspp/boost_asio/stream.hpp"

#define TLSPP_TEST_ASIO_VERSION BOOST_ASIO_VERSION
/// Keeps the two flavours' support classes apart in one binary.
#define TLSPP_TEST_ASIO_FLAVOUR boost_flavour
/// The suite of `fixture` on this flavour: AsioStream -> AsioStreamBoost.
/// (Every name starts with Asio: scripts/test.sh leaves those out of
/// valgrind.) Redeclaring the alias in each test is allowed.
#define ASIO_TEST_F(fixture, name) \
  using fixture##Boost = fixture;  \
  TEST_F(fixture##Boost, name)

namespace tlspp::test {
inline namespace boost_flavour {
namespace net = ::boost::asio;
using error_code = ::boost::system::error_code;
using system_error = ::boost::system::system_error;
namespace tls_asio = ::tlspp::boost_asio;
}  // namespace boost_flavour
}  // namespace tlspp::test

#else

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/read.hpp>
#include <asio/read_until.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>
#include <asio/version.hpp>
#include <asio/write.hpp>

#include "tlspp/asio/stream.hpp"

#define TLSPP_TEST_ASIO_VERSION ASIO_VERSION
#define TLSPP_TEST_ASIO_FLAVOUR standalone_flavour
#define ASIO_TEST_F(fixture, name) TEST_F(fixture, name)

namespace tlspp::test {
inline namespace standalone_flavour {
namespace net = ::asio;
using error_code = std::error_code;
using system_error = std::system_error;
namespace tls_asio = ::tlspp::asio;
}  // namespace standalone_flavour
}  // namespace tlspp::test

#endif

// What came with Asio 1.19 (Boost 1.77): per-operation cancellation,
// as_tuple and the awaitable operators; experimental::deferred with 1.20.
#if TLSPP_TEST_ASIO_VERSION >= 101900
#ifdef TLSPP_TEST_BOOST_ASIO
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#else
#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#endif
// as_tuple and deferred left `experimental` with Asio 1.24 (Boost 1.80); the
// old names are deprecated there, and our targets build without deprecated names.
#define TLSPP_TEST_ASIO_STABLE_TOKENS (TLSPP_TEST_ASIO_VERSION >= 102400)
#if TLSPP_TEST_ASIO_STABLE_TOKENS
#ifdef TLSPP_TEST_BOOST_ASIO
#include <boost/asio/as_tuple.hpp>
#else
#include <asio/as_tuple.hpp>
#endif
#else
#ifdef TLSPP_TEST_BOOST_ASIO
#include <boost/asio/experimental/as_tuple.hpp>
#else
#include <asio/experimental/as_tuple.hpp>
#endif
#endif
#define TLSPP_TEST_HAS_CANCELLATION 1
#else
#define TLSPP_TEST_HAS_CANCELLATION 0
#endif
#if TLSPP_TEST_ASIO_VERSION >= 102000
#if TLSPP_TEST_ASIO_STABLE_TOKENS
#ifdef TLSPP_TEST_BOOST_ASIO
#include <boost/asio/deferred.hpp>
#else
#include <asio/deferred.hpp>
#endif
#define TLSPP_TEST_DEFERRED net::deferred
#else
#define TLSPP_TEST_DEFERRED net::experimental::deferred
#ifdef TLSPP_TEST_BOOST_ASIO
#include <boost/asio/experimental/deferred.hpp>
#else
#include <asio/experimental/deferred.hpp>
#endif
#endif
#define TLSPP_TEST_HAS_DEFERRED 1
#else
#define TLSPP_TEST_HAS_DEFERRED 0
#endif

/// The reason a test that cancels one operation is skipped.
#define TLSPP_TEST_NO_CANCELLATION \
  "this Asio (before 1.19, Boost 1.77) has no per-operation cancellation"

namespace tlspp::test {
inline namespace TLSPP_TEST_ASIO_FLAVOUR {

#if TLSPP_TEST_HAS_CANCELLATION

/// Completes with the error code in a tuple instead of throwing it.
#if TLSPP_TEST_ASIO_STABLE_TOKENS
inline constexpr auto as_tuple_awaitable = net::as_tuple(net::use_awaitable);
#else
inline constexpr auto as_tuple_awaitable = net::experimental::as_tuple(net::use_awaitable);
#endif

/// Runs both operations at once and waits for the two.
template <class A, class B>
net::awaitable<void> both(net::awaitable<A> a, net::awaitable<B> b) {
  using namespace net::experimental::awaitable_operators;
  co_await (std::move(a) && std::move(b));
}

#else

/// as_tuple(use_awaitable) for an Asio without as_tuple: the coroutine gets
/// the completion's arguments as a tuple instead of an exception.
struct as_tuple_awaitable_t {};
inline constexpr as_tuple_awaitable_t as_tuple_awaitable{};

/// Hands the arguments of a completion on to `handler` as one tuple.
template <class Handler>
struct tuple_handler {
  Handler handler;

  using executor_type = net::associated_executor_t<Handler>;
  [[nodiscard]] executor_type get_executor() const noexcept {
    return net::get_associated_executor(handler);
  }
  template <class... Args>
  void operator()(Args&&... args) {
    std::move(handler)(std::make_tuple(std::forward<Args>(args)...));
  }
};

}  // namespace TLSPP_TEST_ASIO_FLAVOUR
}  // namespace tlspp::test

/// An operation given as_tuple_awaitable runs as with use_awaitable, with
/// a completion of one argument: the tuple of the operation's.
template <class... Args>
struct tlspp::test::net::async_result<tlspp::test::as_tuple_awaitable_t, void(Args...)> {
  template <class Initiation, class... InitArgs>
  static auto initiate(Initiation initiation, tlspp::test::as_tuple_awaitable_t, InitArgs... args) {
    using tuple = std::tuple<std::decay_t<Args>...>;
    return tlspp::test::net::async_initiate<const tlspp::test::net::use_awaitable_t<>&,
                                            void(tuple)>(
        [initiation = std::move(initiation)](auto handler, auto... init_args) mutable {
          std::move(initiation)(tlspp::test::tuple_handler<decltype(handler)>{std::move(handler)},
                                std::move(init_args)...);
        },
        tlspp::test::net::use_awaitable, std::move(args)...);
  }
};

namespace tlspp::test {
inline namespace TLSPP_TEST_ASIO_FLAVOUR {

/// Runs both operations at once and waits for the two (what the awaitable
/// operator && does, without cancelling one when the other fails).
template <class A, class B>
net::awaitable<void> both(net::awaitable<A> a, net::awaitable<B> b) {
  const auto executor = co_await net::this_coro::executor;
  net::steady_timer done{executor, std::chrono::steady_clock::time_point::max()};
  int running = 2;
  std::exception_ptr failure;
  auto ended = [&](std::exception_ptr e, auto&&...) {
    if (e && !failure) failure = e;
    if (--running == 0) done.cancel();
  };
  net::co_spawn(executor, std::move(a), ended);
  net::co_spawn(executor, std::move(b), ended);
  if (running > 0) co_await done.async_wait(as_tuple_awaitable);
  if (failure) std::rethrow_exception(failure);
}

#endif

}  // namespace TLSPP_TEST_ASIO_FLAVOUR
}  // namespace tlspp::test
