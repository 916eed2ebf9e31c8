// SPDX-License-Identifier: ISC
// What the Asio examples share: the stream type, error wording, and the
// accept loop that gives every client its own coroutine.
#pragma once

#include <chrono>
#include <iostream>
#include <string>
#include <system_error>
#include <utility>

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include "tlspp/asio/stream.hpp"
#include "tlspp/tlspp.hpp"

namespace example {

using asio::ip::tcp;
using tls_stream = tlspp::asio::stream<tcp::socket>;
/// Completes with the error code in a tuple instead of throwing it.
constexpr auto no_throw = asio::experimental::as_tuple(asio::use_awaitable);

/// libtls's (or tlspp's) own words for a TLS failure, else the error code's.
inline std::string describe(const std::error_code& ec, const tls_stream& s) {
  const bool from_tls = ec.category() == tlspp::error_category();
  return from_tls && !s.last_error().empty() ? s.last_error() : ec.message();
}

/// The coroutine that serves one client, named `peer`.
using session = asio::awaitable<void> (*)(tls_stream s, std::string peer);

/// Accepts forever, spawning `serve` for each client.
inline asio::awaitable<void> accept_each(tcp::acceptor& acceptor, tlspp::server& server,
                                         session serve) {
  using namespace std::chrono_literals;
  for (;;) {
    auto [accept_ec, socket] = co_await acceptor.async_accept(no_throw);
    if (accept_ec) {  // out of descriptors, say: pause, keep serving the others
      std::cerr << "accept: " << accept_ec.message() << "\n";
      asio::steady_timer pause{acceptor.get_executor(), 100ms};
      co_await pause.async_wait(no_throw);
      continue;
    }
    std::error_code ec;
    const tcp::endpoint remote = socket.remote_endpoint(ec);
    std::string peer =
        ec ? "?" : remote.address().to_string() + ":" + std::to_string(remote.port());
    asio::co_spawn(acceptor.get_executor(),
                   serve(tls_stream{std::move(socket), server}, std::move(peer)), asio::detached);
  }
}

}  // namespace example
