// SPDX-License-Identifier: ISC
// tlscat's command line: every option, its parsing and its help text.
// Header-only: tlscat.cpp is the only translation unit that includes it.
#pragma once

#include <getopt.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "tlspp/config.hpp"
#include "tlspp/protocols.hpp"

namespace tlscat {

/// A failure with a one-line message "<what failed>: <why>"; main() prints
/// it after "tlscat: " and exits 1.
class failure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A command line tlscat cannot run with; main() adds a hint to -h.
class usage_error : public failure {
 public:
  using failure::failure;
};

inline constexpr std::string_view usage_text = R"(usage: tlscat [options] host port
       tlscat -l [options] [host] port

A netcat for TLS: connects to host:port (or, with -l, accepts one connection
on port), then copies stdin to the peer and the peer to stdout. At the end of
stdin it sends close_notify and reads until the peer's. Exit status 0 only
after the peer's close_notify; 1 with a one-line message on any failure.

Mode:
  -l                          listen instead of connecting (port 0: any free port)
  -k                          with -l, keep accepting connections one after another
  -w SECS                     fail after SECS seconds without any activity
  -v                          print the connection's details to stderr
  --exit-after-handshake      handshake, print -v details, send close_notify, exit
  -h, --help                  this text

Trust and verification:
  --ca FILE                   trusted CA certificates (PEM); default: the system's
  --ca-path DIR               directory of hashed CA certificates
  --crl FILE                  certificate revocation lists (PEM)
  --servername NAME           client: name sent with SNI and verified (default: host)
  --verify-depth N            maximum depth of the peer's certificate chain
  --verify-client             server: require a client certificate
  --verify-client-optional    server: verify a client certificate if one is sent
  --ocsp-require-stapling     client: require a valid stapled OCSP response
  --insecure-noverifycert     don't verify the peer's certificate (insecure)
  --insecure-noverifyname     don't verify the server's name (insecure)
  --insecure-noverifytime     don't check validity times (insecure)

Identity:
  --cert FILE                 own certificate chain (PEM), leaf first
  --key FILE                  own private key (PEM)
  --key-password-file FILE    password of an encrypted --key (first line of FILE)
  --ocsp-staple FILE          server: OCSP response (DER) to staple
  --keypair CERT,KEY[,STAPLE] server: another keypair, chosen by SNI (repeatable)

Negotiation:
  --protocols STR             e.g. "tlsv1.3", "tlsv1.2,tlsv1.3", "secure" (default)
  --ciphers STR               "secure" (default), "compat", "legacy" or OpenSSL syntax
  --alpn LIST                 comma-separated ALPN protocols, preferred first
  --ecdhecurves LIST          e.g. "X25519,P-256"
  --dheparams STR             "none" (default), "auto" or "legacy"
  --prefer-ciphers-server     server: prefer its own cipher order
  --prefer-ciphers-client     server: prefer the client's cipher order

Resumption:
  --session-file FILE         client: keep the session in FILE to resume later
  --ticket-key-file FILE      server: 48-byte session ticket key (enables tickets)
  --session-id STR            server: session ID context (enables ID resumption)
  --session-lifetime SECS     server: lifetime of sessions and tickets
)";

/// Everything the command line said.
struct options {
  bool listen = false;
  bool keep_listening = false;
  bool verbose = false;
  bool exit_after_handshake = false;
  bool help = false;
  /// -w in milliseconds; -1: wait forever.
  int idle_timeout_ms = -1;
  std::string host;  ///< empty with -l: every address
  std::string port;
  std::optional<std::string> servername;
  tlspp::config_options tls;
};

namespace detail {

inline std::string read_file(const std::string& path, std::string_view flag) {
  std::ifstream in{path, std::ios::binary};
  if (!in) {
    throw failure{std::string{flag} + ": cannot open '" + path + "': " + std::strerror(errno)};
  }
  return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

inline int parse_int(std::string_view text, std::string_view flag, int min) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < min) {
    throw usage_error{std::string{flag} + ": expected a number >= " + std::to_string(min) +
                      ", got '" + std::string{text} + "'"};
  }
  return value;
}

inline std::vector<std::string> split(std::string_view list, char separator) {
  std::vector<std::string> parts;
  for (std::size_t begin = 0;;) {
    const std::size_t end = list.find(separator, begin);
    parts.emplace_back(list.substr(begin, end == std::string_view::npos ? end : end - begin));
    if (end == std::string_view::npos) return parts;
    begin = end + 1;
  }
}

inline tlspp::keypair parse_keypair(std::string_view spec) {
  const std::vector<std::string> parts = split(spec, ',');
  if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[1].empty()) {
    throw usage_error{"--keypair: expected CERT,KEY[,STAPLE], got '" + std::string{spec} + "'"};
  }
  tlspp::keypair kp;
  kp.cert_file = parts[0];
  kp.key_file = parts[1];
  if (parts.size() == 3 && !parts[2].empty()) kp.ocsp_staple_file = parts[2];
  return kp;
}

inline tlspp::ticket_key read_ticket_key(const std::string& path) {
  const std::string bytes = read_file(path, "--ticket-key-file");
  if (bytes.size() != tlspp::ticket_key_size) {
    throw failure{"--ticket-key-file: '" + path + "' must hold exactly " +
                  std::to_string(tlspp::ticket_key_size) + " bytes, not " +
                  std::to_string(bytes.size())};
  }
  tlspp::ticket_key key;
  key.keyrev = 1;
  std::memcpy(key.key.data(), bytes.data(), bytes.size());
  return key;
}

/// The password is the file's first line, like openssl's "file:" source.
inline std::string read_password(const std::string& path) {
  std::string text = read_file(path, "--key-password-file");
  text.resize(std::min(text.find('\n'), text.size()));
  if (!text.empty() && text.back() == '\r') text.pop_back();
  return text;
}

enum long_only : int {
  opt_ca = 1000,
  opt_ca_path,
  opt_cert,
  opt_key,
  opt_key_password_file,
  opt_alpn,
  opt_protocols,
  opt_ciphers,
  opt_servername,
  opt_noverifycert,
  opt_noverifyname,
  opt_noverifytime,
  opt_ocsp_staple,
  opt_ocsp_require_stapling,
  opt_crl,
  opt_verify_client,
  opt_verify_client_optional,
  opt_verify_depth,
  opt_session_file,
  opt_ticket_key_file,
  opt_session_id,
  opt_session_lifetime,
  opt_keypair,
  opt_ecdhecurves,
  opt_dheparams,
  opt_prefer_server,
  opt_prefer_client,
  opt_exit_after_handshake,
};

}  // namespace detail

/// The option getopt_long just refused, as the user wrote it.
inline std::string offending_option(char** argv) {
  if (::optopt != 0 && ::optopt < detail::opt_ca)
    return std::string{"-"} + static_cast<char>(::optopt);
  return argv[::optind - 1];
}

/// Parses argv; throws usage_error (or failure, for a file it cannot read).
inline options parse_options(int argc, char** argv) {
  using namespace detail;
  static const ::option long_options[] = {
      {"ca", required_argument, nullptr, opt_ca},
      {"ca-path", required_argument, nullptr, opt_ca_path},
      {"cert", required_argument, nullptr, opt_cert},
      {"key", required_argument, nullptr, opt_key},
      {"key-password-file", required_argument, nullptr, opt_key_password_file},
      {"alpn", required_argument, nullptr, opt_alpn},
      {"protocols", required_argument, nullptr, opt_protocols},
      {"ciphers", required_argument, nullptr, opt_ciphers},
      {"servername", required_argument, nullptr, opt_servername},
      {"insecure-noverifycert", no_argument, nullptr, opt_noverifycert},
      {"insecure-noverifyname", no_argument, nullptr, opt_noverifyname},
      {"insecure-noverifytime", no_argument, nullptr, opt_noverifytime},
      {"ocsp-staple", required_argument, nullptr, opt_ocsp_staple},
      {"ocsp-require-stapling", no_argument, nullptr, opt_ocsp_require_stapling},
      {"crl", required_argument, nullptr, opt_crl},
      {"verify-client", no_argument, nullptr, opt_verify_client},
      {"verify-client-optional", no_argument, nullptr, opt_verify_client_optional},
      {"verify-depth", required_argument, nullptr, opt_verify_depth},
      {"session-file", required_argument, nullptr, opt_session_file},
      {"ticket-key-file", required_argument, nullptr, opt_ticket_key_file},
      {"session-id", required_argument, nullptr, opt_session_id},
      {"session-lifetime", required_argument, nullptr, opt_session_lifetime},
      {"keypair", required_argument, nullptr, opt_keypair},
      {"ecdhecurves", required_argument, nullptr, opt_ecdhecurves},
      {"dheparams", required_argument, nullptr, opt_dheparams},
      {"prefer-ciphers-server", no_argument, nullptr, opt_prefer_server},
      {"prefer-ciphers-client", no_argument, nullptr, opt_prefer_client},
      {"exit-after-handshake", no_argument, nullptr, opt_exit_after_handshake},
      {"help", no_argument, nullptr, 'h'},
      {nullptr, 0, nullptr, 0},
  };

  options o;
  tlspp::config_options& t = o.tls;
  std::optional<std::string> password_file;
  ::opterr = 0;  // tlscat reports unknown options itself, in its one-line format
  ::optind = 1;
  for (;;) {
    const int c = ::getopt_long(argc, argv, ":lkvhw:", long_options, nullptr);
    if (c == -1) break;
    const std::string arg = ::optarg != nullptr ? ::optarg : "";
    switch (c) {
      case 'l':
        o.listen = true;
        break;
      case 'k':
        o.keep_listening = true;
        break;
      case 'v':
        o.verbose = true;
        break;
      case 'h':
        o.help = true;
        return o;
      case 'w':
        o.idle_timeout_ms = parse_int(arg, "-w", 1) * 1000;
        break;
      case opt_ca:
        t.ca_file = arg;
        break;
      case opt_ca_path:
        t.ca_path = arg;
        break;
      case opt_cert:
        t.cert_file = arg;
        break;
      case opt_key:
        t.key_file = arg;
        break;
      case opt_key_password_file:
        password_file = arg;
        break;
      case opt_alpn:
        t.alpn = split(arg, ',');
        break;
      case opt_protocols:
        t.protocols = tlspp::protocol_set{arg};
        break;
      case opt_ciphers:
        t.ciphers = arg;
        break;
      case opt_servername:
        o.servername = arg;
        break;
      case opt_noverifycert:
        t.insecure_noverifycert = true;
        break;
      case opt_noverifyname:
        t.insecure_noverifyname = true;
        break;
      case opt_noverifytime:
        t.insecure_noverifytime = true;
        break;
      case opt_ocsp_staple:
        t.ocsp_staple_file = arg;
        break;
      case opt_ocsp_require_stapling:
        t.ocsp_require_stapling = true;
        break;
      case opt_crl:
        t.crl_file = arg;
        break;
      case opt_verify_client:
        t.verify_client = true;
        break;
      case opt_verify_client_optional:
        t.verify_client_optional = true;
        break;
      case opt_verify_depth:
        t.verify_depth = parse_int(arg, "--verify-depth", 0);
        break;
      case opt_session_file:
        t.session_file = arg;
        break;
      case opt_ticket_key_file:
        t.ticket_keys.push_back(read_ticket_key(arg));
        break;
      case opt_session_id:
        t.session_id = arg;
        break;
      case opt_session_lifetime:
        t.session_lifetime = std::chrono::seconds{parse_int(arg, "--session-lifetime", 0)};
        break;
      case opt_keypair:
        t.keypairs.push_back(parse_keypair(arg));
        break;
      case opt_ecdhecurves:
        t.ecdhecurves = arg;
        break;
      case opt_dheparams:
        t.dheparams = arg;
        break;
      case opt_prefer_server:
        t.prefer_ciphers_server = true;
        break;
      case opt_prefer_client:
        t.prefer_ciphers_client = true;
        break;
      case opt_exit_after_handshake:
        o.exit_after_handshake = true;
        break;
      case ':':
        throw usage_error{offending_option(argv) + ": missing argument"};
      default:
        throw usage_error{offending_option(argv) + ": unknown option"};
    }
  }

  if (password_file) t.key_password = read_password(*password_file);
  const int positional = argc - ::optind;
  if (o.listen && positional == 1) {
    o.port = argv[::optind];
  } else if (positional == 2) {
    o.host = argv[::optind];
    o.port = argv[::optind + 1];
  } else {
    throw usage_error{o.listen ? "expected [host] port" : "expected host port"};
  }
  if (o.keep_listening && !o.listen) throw usage_error{"-k: only with -l"};
  if (o.listen && o.servername) throw usage_error{"--servername: only when connecting"};
  return o;
}

}  // namespace tlscat
