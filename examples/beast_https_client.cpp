// SPDX-License-Identifier: ISC
// Fetches one page over HTTPS with Boost.Beast on tlspp::boost_asio::stream:
// beast::http::async_write sends the request and beast::http::async_read
// reads the response, both over the tlspp stream as they would over
// beast::ssl_stream. Prints the status line, then the body.
//
// Usage: tlspp-beast-https-client HOST PORT PATH --ca CA_FILE
//   HOST     resolved, sent with SNI and checked against the certificate
//   CA_FILE  the CA certificates to trust
// Exits with 0 when a complete response arrived (whatever its status), 1
// otherwise. Try it against: tlspp-asio-https-server --port 8443, or
// openssl s_server -www.
//
// Written for Boost 1.74 (Debian 12) and newer: no as_tuple and no
// per-operation cancellation there, so errors come back through
// redirect_error and the overall deadline cancels the socket's operations.
#include <chrono>
#include <exception>
#include <iostream>
#include <string>
#include <string_view>
#include <utility>  // before Boost 1.74's awaitable.hpp, which uses std::exchange without it

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "tlspp/boost_asio/stream.hpp"
#include "tlspp/tlspp.hpp"

namespace {

namespace net = boost::asio;
namespace http = boost::beast::http;
using net::ip::tcp;
using error_code = boost::system::error_code;
using tls_stream = tlspp::boost_asio::stream<tcp::socket>;
using namespace std::chrono_literals;
constexpr auto overall_timeout = 10s;

/// A failure worth one line on stderr.
struct failure {
  std::string message;
};

/// libtls's (or tlspp's) own words for a TLS failure, else the error code's.
std::string describe(const error_code& ec, const tls_stream& s) {
  const bool from_tls = ec.category() == tlspp::boost_asio::error::get_stream_category();
  return from_tls && !s.last_error().empty() ? s.last_error() : ec.message();
}

net::awaitable<void> fetch(tls_stream& s, std::string host, std::string port, std::string path) {
  const auto executor = co_await net::this_coro::executor;
  error_code ec;
  tcp::resolver resolver{executor};
  const auto endpoints =
      co_await resolver.async_resolve(host, port, net::redirect_error(net::use_awaitable, ec));
  if (ec) throw failure{"cannot resolve " + host + ": " + ec.message()};
  co_await net::async_connect(s.next_layer(), endpoints,
                              net::redirect_error(net::use_awaitable, ec));
  if (ec) throw failure{"cannot connect to " + host + " port " + port + ": " + ec.message()};

  // SNI and the certificate check both use `host`.
  co_await s.async_handshake(s.client, host, net::redirect_error(net::use_awaitable, ec));
  if (ec) throw failure{"TLS handshake with " + host + " failed: " + describe(ec, s)};

  http::request<http::empty_body> request{http::verb::get, path, 11};
  request.set(http::field::host, host);
  request.set(http::field::user_agent, "tlspp-beast-https-client");
  request.set(http::field::connection, "close");
  co_await http::async_write(s, request, net::redirect_error(net::use_awaitable, ec));
  if (ec) throw failure{"sending the request: " + describe(ec, s)};

  // A response without a length ends with the server's close_notify, which
  // the stream reports as net::error::eof: Beast takes that as the end of
  // the body. An end without close_notify is error::stream_truncated, and
  // Beast reports it: a truncated body is not a response.
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> response;
  co_await http::async_read(s, buffer, response, net::redirect_error(net::use_awaitable, ec));
  if (ec) throw failure{"reading the response: " + describe(ec, s)};

  // Sends our close_notify and waits (at most 2 s) for the server's, unless
  // it came already: a clean TLS end on both sides.
  co_await s.async_shutdown(tlspp::boost_asio::shutdown_mode::wait_for_peer, 2s,
                            net::redirect_error(net::use_awaitable, ec));
  if (ec) throw failure{"closing: " + describe(ec, s)};

  std::cout << "HTTP/" << response.version() / 10 << "." << response.version() % 10 << " "
            << response.result_int() << " " << response.reason() << "\n"
            << response.body();
  if (!response.body().empty() && response.body().back() != '\n') std::cout << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6 || std::string_view{argv[4]} != "--ca") {
    std::cerr << "usage: tlspp-beast-https-client HOST PORT PATH --ca CA_FILE\n";
    return 2;
  }
  int status = 0;
  try {
    const tlspp::config conf{{.ca_file = argv[5]}};
    net::io_context io{1};
    tls_stream s{io, conf};
    // Boost 1.74 cannot cancel one operation: past the deadline, cancel
    // every operation on the socket; the one in flight ends aborted.
    net::steady_timer deadline{io, overall_timeout};
    bool expired = false;
    deadline.async_wait([&](const error_code& ec) {
      if (ec) return;
      expired = true;
      error_code ignored;
      s.lowest_layer().cancel(ignored);
    });
    net::co_spawn(io, fetch(s, argv[1], argv[2], argv[3]), [&](std::exception_ptr e) {
      deadline.cancel();
      if (!e) return;
      status = 1;
      try {
        std::rethrow_exception(e);
      } catch (const failure& f) {
        std::cerr << "tlspp-beast-https-client: "
                  << (expired ? "no complete response within 10 s" : f.message) << "\n";
      } catch (const std::exception& x) {
        std::cerr << "tlspp-beast-https-client: " << x.what() << "\n";
      }
    });
    io.run();
  } catch (const tlspp::error& e) {
    std::cerr << "tlspp-beast-https-client: " << e.what() << "\n";
    return 1;
  }
  return status;
}
