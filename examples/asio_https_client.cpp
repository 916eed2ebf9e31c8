// SPDX-License-Identifier: ISC
// Fetches one page over HTTPS with tlspp::asio::stream, offering ALPN
// "http/1.1", and prints the status line and what the connection negotiated.
//
// Usage: tlspp-asio-https-client HOST PORT PATH [--ca CA_FILE]
//   --ca  the CA certificates to trust (default: the build's test PKI)
// Exits with 0 when a response arrived intact, 1 otherwise.
// Try it against: tlspp-asio-https-server --port 8443
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
#include <asio/connect.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
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
constexpr auto overall_timeout = 10s;

/// A failure worth one line on stderr.
struct failure {
  std::string message;
};

asio::awaitable<void> fetch(std::string host, std::string port, std::string path,
                            tlspp::config conf) {
  const auto executor = co_await asio::this_coro::executor;
  tcp::resolver resolver{executor};
  auto [resolve_ec, endpoints] = co_await resolver.async_resolve(host, port, no_throw);
  if (resolve_ec) throw failure{"cannot resolve " + host + ": " + resolve_ec.message()};
  tcp::socket socket{executor};
  if (auto [ec, ep] = co_await asio::async_connect(socket, endpoints, no_throw); ec) {
    throw failure{"cannot connect to " + host + " port " + port + ": " + ec.message()};
  }

  tls_stream s{std::move(socket), conf};
  if (auto [ec] = co_await s.async_handshake(s.client, host, no_throw); ec) {
    throw failure{"TLS handshake with " + host + " failed: " + describe(ec, s)};
  }
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: " + host +
                              "\r\nUser-Agent: tlspp-asio-https-client\r\n"
                              "Connection: close\r\n\r\n";
  if (auto [ec, n] = co_await asio::async_write(s, asio::buffer(request), no_throw); ec) {
    throw failure{"sending the request: " + describe(ec, s)};
  }
  // Connection: close: the response ends with the server's close_notify
  // (eof); an end without one is a truncation, not a response.
  std::string response;
  auto [read_ec, n] = co_await asio::async_read(s, asio::dynamic_buffer(response), no_throw);
  if (read_ec != asio::error::eof) {
    throw failure{"reading the response: " + describe(read_ec, s)};
  }
  // Answer the server's close_notify with ours; don't wait for anything more.
  co_await s.async_shutdown(tlspp::asio::shutdown_mode::send_only, 2s, no_throw);

  const std::size_t line_end = response.find("\r\n");
  if (!response.starts_with("HTTP/") || line_end == std::string::npos) {
    throw failure{"the server did not answer with HTTP"};
  }
  const tlspp::connection_info info = s.connection().info();
  const std::size_t head_end = response.find("\r\n\r\n");
  std::cout << response.substr(0, line_end) << "\n"
            << "protocol: " << info.version << "\n"
            << "cipher:   " << info.cipher << " (" << info.cipher_strength << " bits)\n"
            << "ALPN:     " << info.alpn.value_or("(none)") << "\n";
  if (info.peer) {
    std::cout << "server:   " << info.peer->subject << "\n"
              << "issuer:   " << info.peer->issuer << "\n";
  }
  if (info.ocsp) std::cout << "OCSP:     " << info.ocsp->result << "\n";
  std::cout << "body:     " << (head_end == std::string::npos ? 0 : response.size() - head_end - 4)
            << " bytes\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4 && !(argc == 6 && std::string_view{argv[4]} == "--ca")) {
    std::cerr << "usage: tlspp-asio-https-client HOST PORT PATH [--ca CA_FILE]\n";
    return 2;
  }
  const std::filesystem::path ca =
      argc == 6 ? std::filesystem::path{argv[5]}
                : std::filesystem::path{TLSPP_DEMO_PKI_DIR} / "ca-bundle.pem";
  int status = 0;
  try {
    const tlspp::config conf{{.alpn = {"http/1.1"}, .ca_file = ca}};
    asio::io_context io{1};
    // `||` waits for the first *successful* side, so the fetch reports its
    // failure as a value instead of throwing.
    auto attempt = [&]() -> asio::awaitable<std::string> {
      try {
        co_await fetch(argv[1], argv[2], argv[3], conf);
        co_return std::string{};
      } catch (const failure& f) {
        co_return f.message;
      } catch (const std::exception& e) {
        co_return e.what();
      }
    };
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          asio::steady_timer timer{io, overall_timeout};
          const auto outcome = co_await (attempt() || timer.async_wait(use_awaitable));
          const std::string error =
              outcome.index() == 0 ? std::get<0>(outcome) : "no complete response within 10 s";
          if (!error.empty()) {
            std::cerr << "tlspp-asio-https-client: " << error << "\n";
            status = 1;
          }
        },
        asio::detached);
    io.run();
  } catch (const tlspp::error& e) {
    std::cerr << "tlspp-asio-https-client: " << e.what() << "\n";
    return 1;
  }
  return status;
}
