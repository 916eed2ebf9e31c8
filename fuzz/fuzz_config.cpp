// SPDX-License-Identifier: ISC
// tlspp::config built from arbitrary option strings, then a server and a
// client configured with it and, when the input asks, a real in-memory
// handshake with it. A tlspp::error is a fine answer; anything else (a
// crash, another exception, a leak, a hang) is a bug.
//
// The input is a list of fields separated by NUL bytes, each "name=value";
// unknown names are ignored, repeated ones override (or append, for lists):
//
//   alpn=NAME                 appends a protocol name
//   ca= cert= key= crl= ocsp_staple=
//                             BLOB: the bytes themselves, or "@file" for a
//                             test PKI file's contents, or "@file#N:BYTES"
//                             for those contents with BYTES written at N
//   ca_file= ca_path= cert_file= key_file= crl_file= ocsp_staple_file=
//                             FILE: a name in the test PKI directory ('/' is
//                             dropped, so nothing outside it but its parent)
//   key_password=STR
//   keypair=                  starts a keypair; then kp.cert= kp.cert_file=
//                             kp.key= kp.key_file= kp.key_password=
//                             kp.ocsp_staple= kp.ocsp_staple_file= fill it
//   ticket_key=BYTES          4 bytes of revision, then up to 48 of key
//   ciphers= dheparams= ecdhecurve= ecdhecurves=   STR
//   protocols=STR             parsed by tlspp::protocol_set (an error leaves
//                             the option unset)
//   protocol_bits=N           a set from TLS_PROTOCOL_* bits (decimal)
//   verify_depth=N  session_lifetime=N   decimal
//   session_id=BYTES
//   session_file=             a session file in a private temporary directory
//   flags=LETTERS             c s: prefer_ciphers_client/server; n N t:
//                             insecure_noverifycert/name/time; o:
//                             ocsp_require_stapling; v V: verify_client,
//                             verify_client_optional
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

void apply_field(parsed& p, std::string_view name, std::string_view v) {
  config_options& o = p.options;
  const auto kp = [&o]() -> keypair& {
    if (o.keypairs.empty()) o.keypairs.emplace_back();
    return o.keypairs.back();
  };
  if (name == "alpn") {
    if (o.alpn.size() < 16) o.alpn.emplace_back(v);
  } else if (name == "ca") {
    o.ca = blob_value(v);
  } else if (name == "ca_file") {
    o.ca_file = file_value(v);
  } else if (name == "ca_path") {
    o.ca_path = file_value(v);
  } else if (name == "key") {
    o.key = blob_value(v);
  } else if (name == "key_file") {
    o.key_file = file_value(v);
  } else if (name == "key_password") {
    o.key_password = std::string{v};
  } else if (name == "cert") {
    o.cert = blob_value(v);
  } else if (name == "cert_file") {
    o.cert_file = file_value(v);
  } else if (name == "ocsp_staple") {
    o.ocsp_staple = blob_value(v);
  } else if (name == "ocsp_staple_file") {
    o.ocsp_staple_file = file_value(v);
  } else if (name == "crl") {
    o.crl = blob_value(v);
  } else if (name == "crl_file") {
    o.crl_file = file_value(v);
  } else if (name == "keypair") {
    if (o.keypairs.size() < 8) o.keypairs.emplace_back();
  } else if (name == "kp.cert") {
    kp().cert = blob_value(v);
  } else if (name == "kp.cert_file") {
    kp().cert_file = file_value(v);
  } else if (name == "kp.key") {
    kp().key = blob_value(v);
  } else if (name == "kp.key_file") {
    kp().key_file = file_value(v);
  } else if (name == "kp.key_password") {
    kp().key_password = std::string{v};
  } else if (name == "kp.ocsp_staple") {
    kp().ocsp_staple = blob_value(v);
  } else if (name == "kp.ocsp_staple_file") {
    kp().ocsp_staple_file = file_value(v);
  } else if (name == "ticket_key") {
    if (o.ticket_keys.size() < 8) o.ticket_keys.push_back(ticket_value(v));
  } else if (name == "ciphers") {
    o.ciphers = std::string{v};
  } else if (name == "dheparams") {
    o.dheparams = std::string{v};
  } else if (name == "ecdhecurve") {
    o.ecdhecurve = std::string{v};
  } else if (name == "ecdhecurves") {
    o.ecdhecurves = std::string{v};
  } else if (name == "protocols") {
    o.protocols = protocols_value(v);
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
  } else if (name == "verify_depth") {
    if (const auto d = decimal(v); d && *d >= INT32_MIN && *d <= INT32_MAX) {
      o.verify_depth = static_cast<int>(*d);
    }
  } else if (name == "session_lifetime") {
    if (const auto s = decimal(v)) o.session_lifetime = std::chrono::seconds{*s};
  } else if (name == "session_id") {
    o.session_id = std::string{v};
  } else if (name == "session_file") {
    o.session_file = session_dir() / "session";
  } else if (name == "flags") {
    for (const char f : v) {
      switch (f) {
        case 'c':
          o.prefer_ciphers_client = true;
          break;
        case 's':
          o.prefer_ciphers_server = true;
          break;
        case 'n':
          o.insecure_noverifycert = true;
          break;
        case 'N':
          o.insecure_noverifyname = true;
          break;
        case 't':
          o.insecure_noverifytime = true;
          break;
        case 'o':
          o.ocsp_require_stapling = true;
          break;
        case 'v':
          o.verify_client = true;
          break;
        case 'V':
          o.verify_client_optional = true;
          break;
        default:
          break;
      }
    }
  } else if (name == "handshake") {
    p.handshake = v == "server" ? side::server : v == "client" ? side::client : side::none;
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
