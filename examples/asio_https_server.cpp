// SPDX-License-Identifier: ISC
// A small HTTPS server on tlspp::asio::stream: answers every GET with an
// HTML page saying what the connection negotiated, ends each connection with
// close_notify, and serves until interrupted. One thread, one coroutine per
// connection. `tlspp-asio-https-server --help` lists the options (usage_text
// below).
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
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/address.hpp>
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

constexpr std::string_view usage_text =
    "Usage: tlspp-asio-https-server [--bind ADDR] [--port N] [--cert CHAIN] [--key KEY]\n"
    "           [--ca CA_FILE] [--alpn LIST] [--ocsp-staple DER] [--protocols SPEC]\n"
    "           [--timeout SECONDS]\n"
    "  --bind         address to listen on (default 127.0.0.1; 0.0.0.0 or :: for every\n"
    "                 interface)\n"
    "  --port         port to listen on (default 8443; 0 picks a free one)\n"
    "  --cert/--key   certificate chain and key (default: the build's test PKI)\n"
    "  --ca           ask clients for a certificate and verify it against CA_FILE\n"
    "                 (verify_client_optional: clients without one are served too)\n"
    "  --alpn         protocols to accept, comma-separated (default \"http/1.1\")\n"
    "  --ocsp-staple  an OCSP response (DER) to staple\n"
    "  --protocols    TLS versions, as libtls spells them (\"tlsv1.3\", \"secure\"...)\n"
    "  --timeout      seconds a client gets for its handshake and request (default 10)\n"
    "  --help         this text\n";

/// How long a client gets to answer our close_notify.
constexpr auto close_timeout = 2s;
constexpr std::size_t max_request_head = 16 * 1024;

/// Where a request head ends: at its empty line. RFC 9112 (section 2.2)
/// lets a recipient take a bare LF for a line's CRLF, as `openssl s_server
/// -www` does, so "\n\n" (and "\n\r\n") end a head as "\r\n\r\n" does.
struct end_of_head {
  template <class Iterator>
  std::pair<Iterator, bool> operator()(Iterator begin, Iterator end) const {
    for (Iterator i = begin; i != end; ++i) {
      if (*i != '\n') continue;
      Iterator next = i;
      ++next;
      if (next != end && *next == '\r') ++next;
      if (next == end) return {i, false};  // perhaps the end: look again from here
      if (*next == '\n') return {++next, true};
    }
    return {end, false};
  }
};

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

}  // namespace

template <>
struct asio::is_match_condition<end_of_head> : std::true_type {};

namespace {

/// How long a client gets to complete its handshake and send its request.
std::chrono::seconds request_timeout{10};

/// Sends close_notify, then waits briefly for the client's; a client that
/// never completed its handshake gets nothing but the end of the stream.
asio::awaitable<void> close(tls_stream& s, const std::string& peer) {
  if (auto [ec] = co_await s.async_shutdown(tlspp::asio::shutdown_mode::wait_for_peer,
                                            close_timeout, no_throw);
      ec) {
    std::cerr << peer << ": shutdown: " << describe(ec, s) << "\n";
  }
}

/// Handshake and request head, within request_timeout; nullopt when the
/// client failed, stalled or sent no complete head (already logged; a
/// stalled client has been sent close_notify).
asio::awaitable<std::optional<std::string>> read_request(tls_stream& s, const std::string& peer) {
  std::string head;
  std::size_t head_size = 0;
  auto handshake_and_read = [&]() -> asio::awaitable<std::error_code> {
    if (auto [ec] = co_await s.async_handshake(s.server, no_throw); ec) co_return ec;
    auto [ec, n] = co_await asio::async_read_until(s, asio::dynamic_buffer(head, max_request_head),
                                                   end_of_head{}, no_throw);
    head_size = n;
    co_return ec;
  };
  asio::steady_timer timer{s.get_executor(), request_timeout};
  const auto outcome = co_await (handshake_and_read() || timer.async_wait(asio::use_awaitable));
  if (outcome.index() == 1) {
    std::cerr << peer << ": no request within " << request_timeout.count() << " s\n";
    co_await close(s, peer);
    co_return std::nullopt;
  }
  if (const std::error_code ec = std::get<0>(outcome); ec) {
    std::cerr << peer << ": " << describe(ec, s) << "\n";
    // A head too long, or the client's close_notify before a whole head:
    // the connection is sound, so it ends with close_notify too. (A TLS
    // failure has already delivered its alert and closed the socket.)
    if (ec == asio::error::not_found || ec == asio::error::eof) co_await close(s, peer);
    co_return std::nullopt;
  }
  head.resize(head_size);
  co_return head;
}

asio::awaitable<void> serve(tls_stream s, std::string peer) {
  const std::optional<std::string> head = co_await read_request(s, peer);
  if (!head) co_return;

  // "GET /path HTTP/1.1", up to its LF or CRLF
  std::string_view line = std::string_view{*head}.substr(0, head->find('\n'));
  if (line.ends_with('\r')) line.remove_suffix(1);
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
    std::cerr << peer << ": " << describe(ec, s) << "\n";
    co_return;
  }
  // close_notify, then the client's, briefly: then the socket closes.
  co_await close(s, peer);
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
  bool help = false;
  asio::ip::address bind = asio::ip::address_v4::loopback();
  unsigned short port = 8443;
  tlspp::config_options tls;
};

template <class Number>
Number number(std::string_view flag, std::string_view value) {
  Number n{};
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc{} || end != value.data() + value.size()) {
    fail("bad value for " + std::string{flag} + ": " + std::string{value});
  }
  return n;
}

options parse(int argc, char** argv) {
  const std::filesystem::path pki{TLSPP_DEMO_PKI_DIR};
  options o;
  o.tls.cert_file = pki / "server-ecdsa-chain.pem";
  o.tls.key_file = pki / "server-ecdsa.key";
  o.tls.alpn = {"http/1.1"};
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      o.help = true;
      return o;
    }
    if (i + 1 == argc) fail("missing value after " + std::string{flag} + " (see --help)");
    const std::string_view value = argv[++i];
    if (flag == "--bind") {
      std::error_code ec;
      o.bind = asio::ip::make_address(value, ec);
      if (ec) fail("bad address for --bind: " + std::string{value});
    } else if (flag == "--port") {
      o.port = number<unsigned short>(flag, value);
    } else if (flag == "--timeout") {
      const unsigned seconds = number<unsigned>(flag, value);
      if (seconds == 0) fail("--timeout must be at least 1 second");
      request_timeout = std::chrono::seconds{seconds};
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
      fail("unknown option " + std::string{flag} + " (see --help)");
    }
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const options o = parse(argc, argv);
    if (o.help) {
      std::cout << usage_text;
      return 0;
    }
    tlspp::server server{tlspp::config{o.tls}};
    asio::io_context io{1};
    tcp::acceptor acceptor{io};
    const tcp::endpoint where{o.bind, o.port};
    try {
      acceptor = tcp::acceptor{io, where};
    } catch (const std::system_error& e) {
      std::ostringstream address;
      address << where;
      fail("cannot listen on " + address.str() + ": " + e.code().message());
    }
    std::cerr << "tlspp-asio-https-server: listening on " << acceptor.local_endpoint() << "\n";
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
