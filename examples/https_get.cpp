// SPDX-License-Identifier: ISC
// The plainest HTTPS client: one blocking GET over client::connect(host,
// port), with a connect and an I/O time limit. Prints the status line, then
// the body.
//
// Usage: tlspp-https-get HOST PORT PATH [--ca CA_FILE] [--timeout SECONDS]
//   HOST     resolved, sent with SNI and checked against the certificate
//   CA_FILE  the CA certificates to trust (default: the system's)
//   SECONDS  how long the connect, and each wait for the server, may take
//            (default 10)
// Exits 0 when a complete response arrived (whatever its status), 1 with one
// line on stderr otherwise, 2 for bad arguments.
// Try it: tlspp-https-get example.org 443 /
//         tlspp-https-get localhost 8443 / --ca ca-bundle.pem (against
//         tlspp-asio-https-server or openssl s_server -www)
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <span>
#include <string>
#include <string_view>

#include "tlspp/tlspp.hpp"

namespace {

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "tlspp-https-get: " << why << "\n"
            << "Usage: tlspp-https-get HOST PORT PATH [--ca CA_FILE] [--timeout SECONDS]\n";
  std::exit(2);
}

/// One line on stderr, exit 1: what every failure below ends with.
[[noreturn]] void fail(const std::string& what) {
  std::cerr << "tlspp-https-get: " << what << "\n";
  std::exit(1);
}

struct arguments {
  std::string host, port, path;
  std::string ca_file;  // empty: the system's CA certificates
  std::chrono::seconds timeout{10};
};

arguments parse(int argc, char** argv) {
  arguments a;
  int positional = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--ca" || arg == "--timeout") {
      if (i + 1 == argc) usage("missing value after " + std::string{arg});
      const std::string_view value = argv[++i];
      if (arg == "--ca") {
        a.ca_file = value;
      } else {
        int seconds = 0;
        const auto [end, ec] = std::from_chars(value.begin(), value.end(), seconds);
        if (ec != std::errc{} || end != value.end() || seconds <= 0) {
          usage("--timeout wants a number of seconds, at least 1");
        }
        a.timeout = std::chrono::seconds{seconds};
      }
    } else if (positional < 3 && !arg.starts_with("--")) {
      (positional == 0 ? a.host : positional == 1 ? a.port : a.path) = arg;
      ++positional;
    } else {
      usage("unexpected argument " + std::string{arg});
    }
  }
  if (positional != 3) usage("HOST, PORT and PATH are required");
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  const arguments args = parse(argc, argv);
  try {
    // Verification is on by default: the certificate must chain to a
    // trusted CA and name HOST. Only the CA file is ours to choose.
    tlspp::config_options options;
    options.alpn = {"http/1.1"};
    if (!args.ca_file.empty()) options.ca_file = args.ca_file;
    tlspp::client client{tlspp::config{options}};

    // Opens the TCP connection (blocking, within the connect limit); the
    // socket is the client's now, and closes with it. HOST is also the
    // name sent with SNI and checked against the certificate. Each later
    // wait for the server is bounded by the I/O limit; when one expires,
    // the call fails with errc::timed_out.
    client.connect(args.host, args.port, args.host,
                   tlspp::socket_timeouts{.connect = args.timeout, .io = args.timeout});

    // HTTP/1.0 keeps this short: the server sends the body as it is (never
    // chunked) and ends it by closing the connection.
    // (Host names the port unless it is HTTPS's own.)
    const std::string host_header = args.port == "443" ? args.host : args.host + ":" + args.port;
    const std::string request = "GET " + args.path + " HTTP/1.0\r\nHost: " + host_header +
                                "\r\nUser-Agent: tlspp-https-get\r\n\r\n";
    // send() runs the handshake first. On this blocking socket every call
    // either completes or fails: a want (want_recv, want_send) only comes
    // from a non-blocking transport.
    for (std::string_view rest = request; !rest.empty();) {
      const tlspp::io_result r = client.send(rest);
      if (!r) fail(client.error_message());  // e.g. "handshake: certificate verify failed"
      rest.remove_prefix(r.bytes);
    }

    // Read until the server's close_notify (io_status::closed). A stream
    // that ends without it is io_status::truncated: the response may have
    // been cut short by an attacker or a failure, so it is not trusted.
    std::string response;
    char buffer[16384];
    for (;;) {
      const tlspp::io_result r = client.recv(std::as_writable_bytes(std::span{buffer}));
      if (r.status == tlspp::io_status::closed) break;
      if (r.status == tlspp::io_status::truncated) {
        fail("the response was cut short: the server closed without close_notify");
      }
      if (!r) fail(client.error_message());
      response.append(buffer, r.bytes);
    }
    // Answer the server's close_notify; it may be gone already, so a
    // failure here changes nothing.
    (void)client.close();

    const std::size_t status_end = response.find("\r\n");
    const std::size_t head_end = response.find("\r\n\r\n");
    if (!response.starts_with("HTTP/") || status_end == std::string::npos ||
        head_end == std::string::npos) {
      fail("the server's answer is not an HTTP response");
    }
    std::cout << response.substr(0, status_end) << "\n" << response.substr(head_end + 4);
    return 0;
  } catch (const tlspp::error& e) {
    // What is not an I/O call throws: a config libtls rejects, a connect
    // that fails ("client::connect example.org:443: timed out after 10 s
    // ..."), a host that does not resolve.
    fail(e.what());
  }
}
