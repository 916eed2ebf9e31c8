// A small HTTPS server on tlspp::asio::stream: answers every GET with an
// HTML page saying what the connection negotiated, ends each connection with
// close_notify, and serves until interrupted. One thread, one coroutine per
// connection.
//
// Usage: tlspp-asio-https-server [--port N] [--cert CHAIN] [--key KEY]
//            [--ca CA_FILE] [--alpn LIST] [--ocsp-staple DER] [--protocols SPEC]
//   --port       port to listen on (default 8443; 0 picks a free one)
//   --cert/--key certificate chain and key (default: the build's test PKI)
//   --ca         ask clients for a certificate and verify it against CA_FILE
//                (verify_client_optional: clients without one are served too)
//   --alpn       protocols to accept, comma-separated (default "http/1.1")
//   --ocsp-staple  an OCSP response (DER) to staple
//   --protocols  TLS versions, as libtls spells them ("tlsv1.3", "secure"...)
// Try it: tlspp-asio-https-client localhost 8443 /
#include <array>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read_until.hpp>
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

/// How long a client gets to complete its handshake and send its request,
/// and to answer our close_notify.
constexpr auto request_timeout = 10s;
constexpr auto close_timeout = 2s;
constexpr std::size_t max_request_head = 16 * 1024;

[[noreturn]] void fail(const std::string& message) {
  std::cerr << "tlspp-asio-https-server: " << message << "\n";
  std::exit(1);
}

std::string html_escape(std::string_view text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string page(std::string_view path, const tlspp::connection_info& info) {
  std::ostringstream html;
  html << "<!doctype html>\n<html><head><title>tlspp</title></head><body>\n"
       << "<h1>Hello from tlspp::asio</h1>\n<ul>\n"
       << "<li>path: " << html_escape(path) << "</li>\n"
       << "<li>protocol: " << html_escape(info.version) << "</li>\n"
       << "<li>cipher: " << html_escape(info.cipher) << "</li>\n"
       << "<li>ALPN: " << html_escape(info.alpn.value_or("(none)")) << "</li>\n"
       << "<li>SNI: " << html_escape(info.servername.value_or("(none)")) << "</li>\n"
       << "<li>client certificate: "
       << html_escape(info.peer ? info.peer->subject : std::string{"(none)"}) << "</li>\n"
       << "</ul>\n</body></html>\n";
  return html.str();
}

std::string response(std::string_view status, std::string_view body) {
  std::string r{"HTTP/1.1 "};
  r.append(status)
      .append("\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: ")
      .append(std::to_string(body.size()))
      .append("\r\nConnection: close\r\n\r\n")
      .append(body);
  return r;
}

/// Handshake and request head, within request_timeout; nullopt when the
/// client failed, stalled or sent no complete head (already logged).
asio::awaitable<std::optional<std::string>> read_request(tls_stream& s, const std::string& peer) {
  std::string head;
  auto handshake_and_read = [&]() -> asio::awaitable<std::error_code> {
    if (auto [ec] = co_await s.async_handshake(s.server, no_throw); ec) co_return ec;
    auto [ec, n] = co_await asio::async_read_until(s, asio::dynamic_buffer(head, max_request_head),
                                                   "\r\n\r\n", no_throw);
    co_return ec;
  };
  asio::steady_timer timer{s.get_executor(), request_timeout};
  const auto outcome = co_await (handshake_and_read() || timer.async_wait(asio::use_awaitable));
  if (outcome.index() == 1) {
    std::cerr << peer << ": no request within " << request_timeout.count() << " s\n";
    co_return std::nullopt;
  }
  if (const std::error_code ec = std::get<0>(outcome); ec) {
    std::cerr << peer << ": " << describe(ec, s) << "\n";
    co_return std::nullopt;
  }
  co_return head;
}

asio::awaitable<void> serve(tls_stream s, std::string peer) {
  const std::optional<std::string> head = co_await read_request(s, peer);
  if (!head) co_return;

  // "GET /path HTTP/1.1"
  const std::string_view line = std::string_view{*head}.substr(0, head->find("\r\n"));
  const std::size_t method_end = line.find(' ');
  const std::size_t path_end = line.find(' ', method_end + 1);
  const std::string_view method = line.substr(0, method_end);
  const std::string_view path = method_end == std::string_view::npos
                                    ? std::string_view{}
                                    : line.substr(method_end + 1, path_end - method_end - 1);
  const tlspp::connection_info info = s.connection().info();
  const std::string reply =
      method == "GET" ? response("200 OK", page(path, info))
                      : response("405 Method Not Allowed", "<p>only GET is served here</p>\n");
  std::cerr << peer << ": " << line << " (" << info.version << ", ALPN "
            << info.alpn.value_or("none") << ")\n";

  if (auto [ec, n] = co_await asio::async_write(s, asio::buffer(reply), no_throw); ec) {
    std::cerr << peer << ": " << ec.message() << "\n";
    co_return;
  }
  // close_notify, then the client's, briefly: then the socket closes.
  if (auto [ec] = co_await s.async_shutdown(tlspp::asio::shutdown_mode::wait_for_peer,
                                            close_timeout, no_throw);
      ec) {
    std::cerr << peer << ": shutdown: " << ec.message() << "\n";
  }
}

std::vector<std::string> split(std::string_view list) {
  std::vector<std::string> items;
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    if (comma != 0) items.emplace_back(list.substr(0, comma));
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return items;
}

struct options {
  unsigned short port = 8443;
  tlspp::config_options tls;
};

options parse(int argc, char** argv) {
  const std::filesystem::path pki{TLSPP_DEMO_PKI_DIR};
  options o;
  o.tls.cert_file = pki / "server-ecdsa-chain.pem";
  o.tls.key_file = pki / "server-ecdsa.key";
  o.tls.alpn = {"http/1.1"};
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (i + 1 == argc) fail("missing value after " + std::string{flag});
    const std::string_view value = argv[++i];
    if (flag == "--port") {
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), o.port);
      if (ec != std::errc{} || end != value.data() + value.size()) {
        fail("bad port: " + std::string{value});
      }
    } else if (flag == "--cert") {
      o.tls.cert_file = value;
    } else if (flag == "--key") {
      o.tls.key_file = value;
    } else if (flag == "--ca") {
      o.tls.ca_file = value;
      o.tls.verify_client_optional = true;
    } else if (flag == "--alpn") {
      o.tls.alpn = split(value);
    } else if (flag == "--ocsp-staple") {
      o.tls.ocsp_staple_file = value;
    } else if (flag == "--protocols") {
      o.tls.protocols = tlspp::protocol_set{value};
    } else {
      fail("unknown option " + std::string{flag} +
           " (options: --port --cert --key --ca --alpn --ocsp-staple --protocols)");
    }
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const options o = parse(argc, argv);
    tlspp::server server{tlspp::config{o.tls}};
    asio::io_context io{1};
    tcp::acceptor acceptor{io};
    try {
      acceptor = tcp::acceptor{io, {tcp::v4(), o.port}};
    } catch (const std::system_error& e) {
      fail("cannot listen on port " + std::to_string(o.port) + ": " + e.code().message());
    }
    std::cerr << "tlspp-asio-https-server: serving https://localhost:"
              << acceptor.local_endpoint().port() << "/\n";
    asio::signal_set stop{io, SIGINT, SIGTERM};
    stop.async_wait([&](std::error_code, int) { io.stop(); });
    asio::co_spawn(io, accept_each(acceptor, server, serve), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
    io.run();
  } catch (const tlspp::error& e) {
    fail(e.what());
  } catch (const std::exception& e) {
    fail(e.what());
  }
  return 0;
}
