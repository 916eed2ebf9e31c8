// SPDX-License-Identifier: ISC
// A TLS echo server on tlspp::asio::stream: one thread, one coroutine per
// connection, any number of clients at once.
//
// Usage: tlspp-asio-echo-server [PORT [CERT_CHAIN KEY]]
//   PORT defaults to 8443 (0 picks a free one); the certificate chain and key
//   default to the build's test PKI (CN=localhost).
// Try it: openssl s_client -connect localhost:8443 -CAfile <pki>/ca-bundle.pem
#include <array>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <iostream>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include "asio_example.hpp"
#include "tlspp/asio/stream.hpp"
#include "tlspp/tlspp.hpp"

namespace {

using namespace std::chrono_literals;
using namespace asio::experimental::awaitable_operators;
using namespace example;
constexpr auto use_awaitable = asio::use_awaitable;

/// A client gets this long to complete its handshake (a stalled one would
/// otherwise hold its socket forever).
constexpr auto handshake_timeout = 10s;

asio::awaitable<void> echo(tls_stream s, std::string peer) {
  asio::steady_timer timer{s.get_executor(), handshake_timeout};
  const auto handshake =
      co_await (s.async_handshake(s.server, no_throw) || timer.async_wait(use_awaitable));
  if (handshake.index() == 1) {
    std::cerr << peer << ": handshake timed out\n";
    co_return;
  }
  if (const auto [ec] = std::get<0>(handshake); ec) {
    std::cerr << peer << ": " << describe(ec, s) << "\n";
    co_return;
  }
  std::cerr << peer << ": " << s.connection().info().version << " connected\n";

  std::array<char, 16384> buffer;
  std::size_t total = 0;
  for (;;) {
    const auto [ec, n] = co_await s.async_read_some(asio::buffer(buffer), no_throw);
    if (ec == asio::error::eof) break;  // the client's close_notify
    if (ec) {
      std::cerr << peer << ": " << describe(ec, s) << "\n";
      co_return;
    }
    const auto [write_ec, written] =
        co_await asio::async_write(s, asio::buffer(buffer.data(), n), no_throw);
    if (write_ec) {
      std::cerr << peer << ": " << write_ec.message() << "\n";
      co_return;
    }
    total += n;
  }
  co_await s.async_shutdown(tlspp::asio::shutdown_mode::send_only, 5s, no_throw);
  std::cerr << peer << ": closed after echoing " << total << " bytes\n";
}

[[noreturn]] void fail(const std::string& message) {
  std::cerr << "tlspp-asio-echo-server: " << message << "\n";
  std::exit(1);
}

unsigned short parse_port(std::string_view text) {
  unsigned short port = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc{} || end != text.data() + text.size()) fail("bad port: " + std::string{text});
  return port;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 1 && argc != 2 && argc != 4) {
    std::cerr << "usage: tlspp-asio-echo-server [PORT [CERT_CHAIN KEY]]\n";
    return 2;
  }
  const std::filesystem::path pki{TLSPP_DEMO_PKI_DIR};
  const unsigned short port = argc > 1 ? parse_port(argv[1]) : 8443;
  const std::filesystem::path cert = argc > 3 ? argv[2] : pki / "server-ecdsa-chain.pem";
  const std::filesystem::path key = argc > 3 ? argv[3] : pki / "server-ecdsa.key";
  try {
    tlspp::server server{tlspp::config{{.key_file = key, .cert_file = cert}}};
    asio::io_context io{1};
    tcp::acceptor acceptor{io, {tcp::v4(), port}};
    std::cerr << "tlspp-asio-echo-server: listening on port " << acceptor.local_endpoint().port()
              << "\n";
    asio::signal_set stop{io, SIGINT, SIGTERM};
    stop.async_wait([&](std::error_code, int) { io.stop(); });
    asio::co_spawn(io, accept_each(acceptor, server, echo), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
    io.run();
  } catch (const tlspp::error& e) {
    fail(e.what());
  } catch (const std::system_error& e) {
    fail(std::string{"port "} + std::to_string(port) + ": " + e.what());
  }
  return 0;
}
