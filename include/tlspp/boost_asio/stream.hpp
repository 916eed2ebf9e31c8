// SPDX-License-Identifier: ISC
// tlspp::boost_asio::stream: tlspp::asio::stream on Boost.Asio.
//
// The same implementation as <tlspp/asio/stream.hpp> (detail/stream_impl.hpp
// under tlspp/asio), instantiated in tlspp::boost_asio on ::boost::asio with
// boost::system::error_code, so that it takes Boost.Asio sockets and
// completion tokens and works under Beast. Needs Boost's headers only, not
// standalone Asio.
#pragma once

/// \namespace tlspp::boost_asio
/// tlspp::asio's stream on Boost.Asio (<tlspp/boost_asio/stream.hpp>), for
/// Boost.Asio and Beast programs.

/// \namespace tlspp::boost_asio::error
/// tlspp's codes as boost::system::error_codes.

#include <boost/asio/async_result.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/socket_base.hpp>
#include <boost/asio/version.hpp>
#include <boost/asio/write.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

// Per-operation cancellation (cancellation slots) came with Boost.Asio 1.19
// (Boost 1.77). Debian 12's Boost 1.74 has Boost.Asio 1.18: there, a
// stream's operations cannot be cancelled one by one, and async_shutdown's
// deadline cancels the socket's operations instead (docs/asio.md).
#if BOOST_ASIO_VERSION >= 101900
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/cancellation_type.hpp>
#define TLSPP_ASIO_HAS_CANCELLATION 1
#else
#define TLSPP_ASIO_HAS_CANCELLATION 0
#endif

#include "tlspp/asio/shutdown_mode.hpp"
#include "tlspp/boost_asio/error.hpp"
#include "tlspp/error.hpp"

namespace tlspp::boost_asio {

/// The same enum as tlspp::asio's (it needs no Asio).
using tlspp::asio::shutdown_mode;

namespace detail {

/// What tlspp/asio/detail/stream_impl.hpp calls Asio and its error code in
/// this flavour.
namespace net = ::boost::asio;
using error_code = ::boost::system::error_code;
using system_error = ::boost::system::system_error;

/// A code of tlspp's (the only category a tlspp::connection or
/// tlspp::error reports) in error::get_stream_category(); others, which
/// tlspp does not make, by their value in Boost's own categories.
inline error_code to_error_code(const std::error_code& ec) noexcept {
  if (!ec) return {};
  if (ec.category() == tlspp::error_category()) return {ec.value(), error::get_stream_category()};
  if (ec.category() == std::generic_category()) {
    return {ec.value(), ::boost::system::generic_category()};
  }
  return {ec.value(), ::boost::system::system_category()};
}

}  // namespace detail
}  // namespace tlspp::boost_asio

#define TLSPP_ASIO_FLAVOUR boost_asio
#include "tlspp/asio/detail/stream_impl.hpp"
#undef TLSPP_ASIO_FLAVOUR
#undef TLSPP_ASIO_HAS_CANCELLATION
