// SPDX-License-Identifier: ISC
// tlspp::config built from arbitrary option strings, then a server and a
// client configured with it and, when the input asks, a real in-memory
// handshake with it. A tlspp::error is a fine answer; anything else (a
// crash, another exception, a leak, a hang) is a bug.
//
// The input is a list of fields separated by NUL bytes, each "name=value";
// unknown names are ignored, repeated ones override (or append, for lists).
// The names are config_options' fields, from the option table
// (src/shared/config_option_table.hpp) that also names them in the
// library's errors and gives tlscat its flags; a value is read by the
// field's kind:
//
//   flag                 any value sets it
//   pem, der             BLOB: the bytes themselves, or "@file" for a test
//                        PKI file's contents, or "@file#N:BYTES" for those
//                        contents with BYTES written at N
//   file                 a name in the test PKI directory ('/' is dropped,
//                        so nothing outside it but its parent); except
//                        session_file=, a session file in a private
//                        temporary directory whatever the value
//   text, password, bytes  the bytes as they are
//   names                appends one name (alpn)
//   number, seconds      decimal
//   protocols            parsed by tlspp::protocol_set (an error leaves the
//                        option unset)
//   keypairs             starts a keypair; then kp.<keypair field>= (kp.cert=,
//                        kp.key_file=...) fills the last one
//   ticket_keys          appends a key: 4 bytes of revision, then up to 48
//
// and, the fuzzer's own:
//
//   protocol_bits=N           a set from TLS_PROTOCOL_* bits (decimal)
//   handshake=server|client   the config serves that side of a handshake
//                             against the test PKI's plain other side
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "config_option_table.hpp"
#include "fuzz_configs.hpp"
#include "fuzz_support.hpp"
#include "support/memory_link.hpp"

namespace tlspp::fuzz {
namespace {

/// A private directory for session files, removed at exit. Never
/// destroyed, so that the exit handler can still read it.
const std::filesystem::path& session_dir() {
  static const std::filesystem::path* const dir = [] {
    std::string templ = (std::filesystem::temp_directory_path() / "tlspp-fuzz-XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr) fail("mkdtemp", std::strerror(errno));
    const auto* made = new std::filesystem::path{templ};
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(session_dir(), ignored);
    });
    return made;
  }();
  return *dir;
}

std::optional<long long> decimal(std::string_view s) {
  long long v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::filesystem::path file_value(std::string_view v) {
  std::string name;
  for (char ch : v) {
    if (ch != '/') name += ch;
  }
  return pki_path(name);
}

/// The bytes of a BLOB value (see the header comment).
std::string blob_value(std::string_view v) {
  if (!v.starts_with('@')) return std::string{v};
  v.remove_prefix(1);
  const auto hash = v.find('#');
  const std::string_view name = v.substr(0, hash);
  if (name.empty() || name.find('/') != std::string_view::npos) return {};
  std::error_code ec;
  if (!std::filesystem::is_regular_file(pki_path(name), ec)) return {};
  std::string bytes = pki_read(name);
  if (hash == std::string_view::npos) return bytes;
  const std::string_view edit = v.substr(hash + 1);
  const auto colon = edit.find(':');
  if (colon == std::string_view::npos) return bytes;
  const auto at = decimal(edit.substr(0, colon));
  if (!at || *at < 0) return bytes;
  const std::size_t offset = static_cast<std::size_t>(*at) % (bytes.size() + 1);
  const std::string_view patch = edit.substr(colon + 1);
  if (offset + patch.size() > bytes.size()) bytes.resize(offset + patch.size());
  bytes.replace(offset, patch.size(), patch);
  return bytes;
}

ticket_key ticket_value(std::string_view v) {
  ticket_key k;
  for (std::size_t i = 0; i < 4 && i < v.size(); ++i) {
    k.keyrev |= static_cast<std::uint32_t>(static_cast<unsigned char>(v[i])) << (8 * i);
  }
  for (std::size_t i = 4; i < v.size() && i - 4 < k.key.size(); ++i) {
    k.key[i - 4] = static_cast<std::byte>(v[i]);
  }
  return k;
}

enum class side { none, server, client };

/// "kp.cert_file=...": a field of the last keypair.
constexpr std::string_view keypair_prefix = "kp.";

struct parsed {
  config_options options;
  side handshake = side::none;
};

/// protocol_set from a string: a tlspp::error is the expected refusal.
std::optional<protocol_set> protocols_value(std::string_view v) {
  try {
    const protocol_set p{v};
    constexpr std::uint32_t known =
        (protocol::tlsv1_0 | protocol::tlsv1_1 | protocol::tlsv1_2 | protocol::tlsv1_3).bits();
    if ((p.bits() & ~known) != 0) fail("protocol_set holds an unknown protocol", v);
    return p;
  } catch (const error& e) {
    if (std::string_view{e.what()}.empty()) fail("protocol_set error without a message");
    return std::nullopt;
  }
}

// A field's value, read the way its kind says (see the header comment):
// one overload per type of config_options and keypair field.
void set_field(bool& flag, options::kind, std::string_view) { flag = true; }
void set_field(std::optional<std::string>& s, options::kind kind, std::string_view v) {
  s = kind == options::kind::pem || kind == options::kind::der ? blob_value(v) : std::string{v};
}
void set_field(std::optional<std::filesystem::path>& path, options::kind, std::string_view v) {
  path = file_value(v);
}
void set_field(std::vector<std::string>& names, options::kind, std::string_view v) {
  if (names.size() < 16) names.emplace_back(v);
}
void set_field(std::optional<protocol_set>& protocols, options::kind, std::string_view v) {
  protocols = protocols_value(v);
}
void set_field(std::optional<int>& number, options::kind, std::string_view v) {
  if (const auto d = decimal(v); d && *d >= INT32_MIN && *d <= INT32_MAX) {
    number = static_cast<int>(*d);
  }
}
void set_field(std::optional<std::chrono::seconds>& seconds, options::kind, std::string_view v) {
  if (const auto s = decimal(v)) seconds = std::chrono::seconds{*s};
}
void set_field(std::vector<keypair>& keypairs, options::kind, std::string_view) {
  if (keypairs.size() < 8) keypairs.emplace_back();
}
void set_field(std::vector<ticket_key>& keys, options::kind, std::string_view v) {
  if (keys.size() < 8) keys.push_back(ticket_value(v));
}

void apply_field(parsed& p, std::string_view name, std::string_view v) {
  config_options& o = p.options;
  if (name == options::field::session_file) {
    // The one file tlspp writes: never one of the PKI's.
    o.session_file = session_dir() / "session";
  } else if (name == "handshake") {
    p.handshake = v == "server" ? side::server : v == "client" ? side::client : side::none;
  } else if (name == "protocol_bits") {
    if (const auto bits = decimal(v)) {
      protocol_set set;
      for (const protocol each :
           {protocol::tlsv1_0, protocol::tlsv1_1, protocol::tlsv1_2, protocol::tlsv1_3}) {
        if ((static_cast<std::uint32_t>(*bits) & static_cast<std::uint32_t>(each)) != 0) {
          set = set | each;
        }
      }
      o.protocols = set;
    }
  } else if (name.starts_with(keypair_prefix)) {
    if (o.keypairs.empty()) o.keypairs.emplace_back();
    options::visit(o.keypairs.back(), name.substr(keypair_prefix.size()),
                   [v](options::kind kind, auto& field) { set_field(field, kind, v); });
  } else {
    options::visit(o, name, [v](const options::option& entry, auto& field) {
      set_field(field, entry.kind, v);
    });
  }
}

parsed parse(std::string_view input) {
  parsed p;
  while (!input.empty()) {
    const auto end = input.find('\0');
    const std::string_view field = input.substr(0, end);
    input = end == std::string_view::npos ? std::string_view{} : input.substr(end + 1);
    const auto eq = field.find('=');
    apply_field(p, field.substr(0, eq),
                eq == std::string_view::npos ? std::string_view{} : field.substr(eq + 1));
  }
  return p;
}

/// A tlspp::error must say where and why.
void check_error(const error& e) {
  note_outcome(e.what(), 1);
  if (e.where().empty() || std::string_view{e.what()}.empty()) {
    fail("tlspp::error without a location or a message", e.what());
  }
}

/// A real handshake between `client_conf` and `server_conf`, then data both
/// ways and close_notify, each bounded. One of the configs is the fuzzer's.
void handshake(const config& client_conf, const config& server_conf) {
  std::optional<test::memory_link> link;
  try {
    link.emplace(client_conf, server_conf, "localhost");
  } catch (const error& e) {
    check_error(e);
    return;
  }
  if (!link->handshake()) {
    check_result(link->client, link->client_result, "client handshake()");
    check_result(link->accepted, link->server_result, "server handshake()");
    return;
  }
  (void)link->client.info();
  (void)link->accepted.info();
  try {
    // Either side may still refuse the other once its handshake is done
    // (a TLS 1.3 server checks the client certificate after the client
    // finished): pump reports that as a tlspp::error.
    test::memory_link::pump(link->client, link->accepted, "ping");
    test::memory_link::pump(link->accepted, link->client, "pong");
  } catch (const error& e) {
    check_error(e);
  }
  for (connection* c :
       {static_cast<connection*>(&link->client), static_cast<connection*>(&link->accepted)}) {
    for (int i = 0; i < 16; ++i) {
      const io_result r = c->close();
      check_result(*c, r, "close()");
      if (!r.want_io()) break;
    }
  }
}

const config& plain_server() {
  static const config c = setup_config(server_options(0), "plain server");
  return c;
}

const config& plain_client() {
  static const config c = setup_config(client_options(0), "plain client");
  return c;
}

}  // namespace
}  // namespace tlspp::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tlspp::fuzz;
  const thread_state_release release;
  try {
    const parsed p = parse({reinterpret_cast<const char*>(data), size});
    std::optional<tlspp::config> conf;
    try {
      conf.emplace(p.options);
    } catch (const tlspp::error& e) {
      check_error(e);
      return 0;
    }
    // Every context the config can make: a server and a client, each in a
    // handshake when the input asks for one.
    if (p.handshake == side::server) {
      handshake(plain_client(), *conf);
    } else {
      try {
        tlspp::server s{*conf};
      } catch (const tlspp::error& e) {
        check_error(e);
      }
    }
    if (p.handshake == side::client) {
      handshake(*conf, plain_server());
    } else {
      try {
        tlspp::client c{*conf};
      } catch (const tlspp::error& e) {
        check_error(e);
      }
    }
  } catch (const std::exception& e) {
    fail("an exception other than tlspp::error", e.what());
  }
  return 0;
}
