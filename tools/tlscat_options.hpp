// SPDX-License-Identifier: ISC
// tlscat's command line: every option, its parsing and its help text. The
// options that set a config option come from tlspp's option table
// (src/shared/config_option_table.hpp), tlscat's own from tool_options.
// Header-only: tlscat.cpp is the only translation unit that includes it.
#pragma once

#include <getopt.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "config_option_table.hpp"
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

/// Everything the command line said.
struct options {
  bool listen = false;
  bool keep_listening = false;
  bool verbose = false;
  bool exit_after_handshake = false;
  bool show_chain = false;  ///< --show-chain
  bool help = false;
  bool version = false;
  /// -4 or -6: AF_INET or AF_INET6; AF_UNSPEC: either.
  int family = AF_UNSPEC;
  /// -H: the peer certificate's hash, "SHA256:<hex>", lower case.
  std::optional<std::string> pin;
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
inline std::string read_password(const std::string& path, std::string_view flag) {
  std::string text = read_file(path, flag);
  text.resize(std::min(text.find('\n'), text.size()));
  if (!text.empty() && text.back() == '\r') text.pop_back();
  return text;
}

/// The argument of -H, checked and with its hex in lower case, as libtls
/// spells tls_peer_cert_hash().
inline std::string parse_pin(std::string_view text) {
  constexpr std::string_view prefix = "SHA256:";
  constexpr std::size_t sha256_hex_digits = 64;
  std::string pin{text};
  bool ok = pin.size() == prefix.size() + sha256_hex_digits && pin.starts_with(prefix);
  for (std::size_t i = prefix.size(); ok && i < pin.size(); ++i) {
    const char c = pin[i];
    if (c >= 'A' && c <= 'F') pin[i] = static_cast<char>(c - 'A' + 'a');
    ok = (c >= '0' && c <= '9') || (pin[i] >= 'a' && pin[i] <= 'f');
  }
  if (!ok) {
    throw usage_error{"-H: expected SHA256: and 64 hex digits (as -v prints the peer hash), got '" +
                      std::string{text} + "'"};
  }
  return pin;
}

// Setting one config option from its flag's argument: one overload per type
// of config_options field (options::visit calls the one that fits).
inline void set_option(bool& flag, const tlspp::options::option&, const std::string&) {
  flag = true;
}
inline void set_option(std::optional<std::filesystem::path>& path, const tlspp::options::option&,
                       const std::string& arg) {
  path = arg;
}
inline void set_option(std::optional<std::string>& text, const tlspp::options::option& entry,
                       const std::string& arg) {
  // A password on the command line would show in ps(1): tlscat reads it
  // from a file.
  text = entry.kind == tlspp::options::kind::password
             ? read_password(arg, "--" + std::string{entry.flag})
             : arg;
}
inline void set_option(std::vector<std::string>& names, const tlspp::options::option&,
                       const std::string& arg) {
  names = split(arg, ',');
}
inline void set_option(std::optional<tlspp::protocol_set>& protocols, const tlspp::options::option&,
                       const std::string& arg) {
  protocols = tlspp::protocol_set{arg};
}
inline void set_option(std::optional<int>& number, const tlspp::options::option& entry,
                       const std::string& arg) {
  number = parse_int(arg, "--" + std::string{entry.flag}, 0);
}
inline void set_option(std::optional<std::chrono::seconds>& seconds,
                       const tlspp::options::option& entry, const std::string& arg) {
  seconds = std::chrono::seconds{parse_int(arg, "--" + std::string{entry.flag}, 0)};
}
inline void set_option(std::vector<tlspp::keypair>& keypairs, const tlspp::options::option&,
                       const std::string& arg) {
  keypairs.push_back(parse_keypair(arg));
}
inline void set_option(std::vector<tlspp::ticket_key>& keys, const tlspp::options::option&,
                       const std::string& arg) {
  keys.push_back(read_ticket_key(arg));
}

/// getopt_long's value for tlscat's own long-only options; a config
/// option's flag returns config_option_base + its index in the table.
enum long_only : int {
  opt_servername = 1000,
  opt_show_chain,
  opt_exit_after_handshake,
  opt_version,
};
inline constexpr int config_option_base = 2000;

}  // namespace detail

/// One of tlscat's own options (those that are no config option).
struct tool_option {
  char short_name;             ///< 0: long only
  std::string_view long_name;  ///< empty: short only
  std::string_view arg;        ///< empty: takes no argument
  std::string_view help;
  int section;  ///< index into sections
  int id;       ///< getopt_long's value for the long form
};

/// The headings of tlscat -h: tlscat's own, then one per group of the
/// option table (in the order of tlspp::options::group).
inline constexpr std::string_view sections[] = {"Mode", "Trust and verification", "Identity",
                                                "Negotiation", "Resumption"};
inline constexpr int mode_section = 0;
inline constexpr int section_of(tlspp::options::group g) { return 1 + static_cast<int>(g); }

inline constexpr tool_option tool_options[] = {
    {'l', "", "", "listen instead of connecting (port 0: any free port)", mode_section, 0},
    {'k', "", "", "with -l, keep accepting connections one after another", mode_section, 0},
    {'4', "", "", "IPv4 addresses only", mode_section, 0},
    {'6', "", "", "IPv6 addresses only", mode_section, 0},
    {'w', "", "SECS", "fail after SECS seconds without any activity", mode_section, 0},
    {'v', "", "", "print the connection's details to stderr", mode_section, 0},
    {0, "show-chain", "", "print the peer's certificate chain (PEM) to stderr", mode_section,
     detail::opt_show_chain},
    {0, "exit-after-handshake", "", "handshake, print -v details, send close_notify, exit",
     mode_section, detail::opt_exit_after_handshake},
    {'V', "version", "", "print tlscat's version and the TLS backend, and exit", mode_section,
     detail::opt_version},
    {'h', "help", "", "this text", mode_section, 'h'},
    {0, "servername", "NAME", "client: name sent with SNI and verified (default: host)",
     section_of(tlspp::options::group::trust), detail::opt_servername},
    {'H', "", "HASH", "require the peer certificate's hash to be HASH (SHA256:<hex>)",
     section_of(tlspp::options::group::trust), 0},
};

inline constexpr std::string_view usage_synopsis = R"(usage: tlscat [options] host port
       tlscat -l [options] [host] port

A netcat for TLS: connects to host:port (or, with -l, accepts one connection
on port), then copies stdin to the peer and the peer to stdout. At the end of
stdin it sends close_notify and reads until the peer's. Exit status 0 only
after the peer's close_notify; 1 with a one-line message on any failure.
)";

/// tlscat -h: tlscat's own options and every config option with a flag,
/// section by section.
inline std::string usage_text() {
  static constexpr std::size_t help_column = 30;
  std::string text{usage_synopsis};
  auto line = [&text](std::string item, std::string_view help) {
    item.resize(std::max(item.size() + 1, help_column), ' ');
    text.append("  ").append(item).append(help).append("\n");
  };
  for (int section = 0; section < static_cast<int>(std::size(sections)); ++section) {
    text.append("\n").append(sections[section]).append(":\n");
    for (const tool_option& t : tool_options) {
      if (t.section != section) continue;
      std::string item;
      if (t.short_name != 0) item = std::string{"-"} + t.short_name;
      if (!t.long_name.empty()) {
        item += (item.empty() ? "--" : ", --") + std::string{t.long_name};
      }
      if (!t.arg.empty()) item += " " + std::string{t.arg};
      line(item, t.help);
    }
    for (const tlspp::options::option& o : tlspp::options::config_option_table) {
      if (o.flag.empty() || section_of(o.group) != section) continue;
      line("--" + std::string{o.flag} + (o.arg.empty() ? "" : " " + std::string{o.arg}), o.help);
    }
  }
  return text;
}

/// The option getopt_long just refused, as the user wrote it.
inline std::string offending_option(char** argv) {
  if (::optopt > 0 && ::optopt < detail::opt_servername)
    return std::string{"-"} + static_cast<char>(::optopt);
  return argv[::optind - 1];
}

/// Parses argv; throws usage_error (or failure, for a file it cannot read).
inline options parse_options(int argc, char** argv) {
  using namespace detail;
  namespace table = tlspp::options;
  std::string short_options = ":";
  std::vector<::option> long_options;
  for (const tool_option& t : tool_options) {
    const int has_arg = t.arg.empty() ? no_argument : required_argument;
    if (t.short_name != 0) {
      short_options += t.short_name;
      if (has_arg == required_argument) short_options += ':';
    }
    if (!t.long_name.empty()) long_options.push_back({t.long_name.data(), has_arg, nullptr, t.id});
  }
  for (std::size_t i = 0; i < std::size(table::config_option_table); ++i) {
    const table::option& o = table::config_option_table[i];
    if (o.flag.empty()) continue;
    long_options.push_back({o.flag.data(), o.arg.empty() ? no_argument : required_argument, nullptr,
                            config_option_base + static_cast<int>(i)});
  }
  long_options.push_back({nullptr, 0, nullptr, 0});

  options o;
  ::opterr = 0;  // tlscat reports unknown options itself, in its one-line format
  ::optind = 0;  // 0, not 1: glibc then also forgets a previous parse (tests parse many)
  for (;;) {
    const int c = ::getopt_long(argc, argv, short_options.c_str(), long_options.data(), nullptr);
    if (c == -1) break;
    const std::string arg = ::optarg != nullptr ? ::optarg : "";
    if (c >= config_option_base) {
      const table::option& entry = table::config_option_table[c - config_option_base];
      table::visit(o.tls, entry.name,
                   [&](const table::option& e, auto& field) { set_option(field, e, arg); });
      continue;
    }
    switch (c) {
      case 'l':
        o.listen = true;
        break;
      case 'k':
        o.keep_listening = true;
        break;
      case '4':
      case '6':
        if (o.family != AF_UNSPEC) throw usage_error{"-4 and -6: give only one of them"};
        o.family = c == '4' ? AF_INET : AF_INET6;
        break;
      case 'v':
        o.verbose = true;
        break;
      case 'h':
        o.help = true;
        return o;
      case 'V':
      case opt_version:
        o.version = true;
        return o;
      case 'w':
        o.idle_timeout_ms = parse_int(arg, "-w", 1) * 1000;
        break;
      case 'H':
        o.pin = parse_pin(arg);
        break;
      case opt_servername:
        o.servername = arg;
        break;
      case opt_show_chain:
        o.show_chain = true;
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
