// SPDX-License-Identifier: ISC
#include "tlspp/config.hpp"

#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <string_view>

#include "backend_calls.hpp"
#include "c_string.hpp"
#include "config_state.hpp"
#include "loaded_file.hpp"
#include "shared/config_option_table.hpp"
#include "tlspp/error.hpp"
#include "tlspp/features.hpp"

namespace tlspp {
namespace detail {

config_state::config_state() {
  ensure_libtls_initialized();
  handle = tls_config_new();
  if (handle == nullptr) {
    throw error{errc::out_of_memory, "config", "tls_config_new failed (out of memory)"};
  }
}

config_state::~config_state() {
  // libtls wipes the keys it holds when the last user frees the config.
  tls_config_free(handle);
  if (session_fd >= 0) {
    ::close(session_fd);
  }
}

namespace {

namespace field = options::field;
namespace keypair_field = options::keypair_field;

constexpr std::string_view encrypted_keys_lacking = "it cannot decrypt private keys";
constexpr std::string_view ocsp_lacking = "it cannot staple or check OCSP responses";

/// RFC 7301: a protocol name is 1 to 255 bytes, and the list, each name
/// behind its length byte, at most 65535 (libtls refuses more, unclearly).
constexpr std::size_t alpn_name_max = 255;
constexpr std::size_t alpn_list_max = 65535;
/// libtls copies a key password, with its NUL, into OpenSSL's 1024-byte
/// PEM_BUFSIZE buffer: a longer one fails as if it were wrong.
constexpr std::size_t key_password_max = 1023;
/// libtls keeps a session ID context of at most 32 bytes
/// (SSL_MAX_SID_CTX_LENGTH).
constexpr std::size_t session_id_max = 32;

/// How an error names an option: "config option ca_file". The names come
/// from the option table (field::, keypair_field::), which tlscat and the
/// fuzzer share.
std::string option_name(std::string_view name) {
  return std::string{"config option "}.append(name);
}

/// "keypairs[2].cert_file": a field of one of the keypairs.
std::string keypair_option(std::size_t index, std::string_view name) {
  return std::string{field::keypairs} + "[" + std::to_string(index) + "]." + std::string{name};
}

[[noreturn]] void invalid(const std::string& option, std::string_view why) {
  throw error{errc::invalid_argument, option, why};
}

/// A string option on its way into libtls: no NUL, not empty.
std::string text(std::string_view value, const std::string& option, std::string_view empty_why) {
  std::string s = c_string(value, option);
  if (s.empty()) invalid(option, empty_why);
  return s;
}

/// A file or directory name on its way into libtls.
std::string path(const std::filesystem::path& p, const std::string& option) {
  std::string s = text(p.native(), option, "is an empty path");
  if (s.size() >= PATH_MAX) {
    invalid(option, "is a path of " + std::to_string(s.size()) + " bytes, over PATH_MAX (" +
                        std::to_string(PATH_MAX - 1) + ")");
  }
  return s;
}

/// PEM text from memory. libtls takes it with its length, but OpenSSL reads
/// it line by line as C strings: a NUL before the last certificate of a CA
/// bundle silently drops the certificates after it, one inside a certificate
/// fails with an unrelated message. PEM is text, so a NUL is never right.
void pem(const std::string& value, const std::string& option) {
  (void)c_string(value, option);
  if (value.empty()) invalid(option, "is empty: give the PEM text, or leave the option unset");
}

/// PEM text with CRLF line ends made LF. OpenSSL reads either, but BearSSL
/// does not see a BEGIN line that ends in CR: it would find no certificate.
std::string with_lf_line_ends(std::string_view text) {
  std::string lf;
  lf.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    lf += text[i];
  }
  return lf;
}

/// Whether PEM text (LF line ends) holds a certificate block that every
/// backend reads: a line that is exactly the BEGIN line, labelled
/// CERTIFICATE or X509 CERTIFICATE (BearSSL skips OpenSSL's TRUSTED
/// CERTIFICATE), and a later END line.
bool holds_pem_certificate(std::string_view text) {
  for (const std::string_view label : {"CERTIFICATE", "X509 CERTIFICATE"}) {
    const std::string begin = std::string{"-----BEGIN "}.append(label) + "-----\n";
    const std::string end = std::string{"-----END "}.append(label) + "-----";
    for (std::size_t at = text.find(begin); at != std::string_view::npos;
         at = text.find(begin, at + 1)) {
      if ((at == 0 || text[at - 1] == '\n') &&
          text.find(end, at + begin.size()) != std::string_view::npos) {
        return true;
      }
    }
  }
  return false;
}

/// CA certificates without a single certificate: OpenSSL then trusts
/// nothing, but libtls-bearssl falls back to the system's roots. Refused on
/// every backend, so a mistyped or truncated bundle never widens trust.
/// `what` names the text in the message: the option's value or a file.
void require_ca_certificate(std::string_view text, const std::string& option,
                            const std::string& what) {
  if (!holds_pem_certificate(text)) {
    invalid(option, what +
                        " holds no PEM certificate (no -----BEGIN CERTIFICATE----- block): a CA "
                        "list must name at least one certificate to trust");
  }
}

/// An OCSP response (DER, binary: NULs are fine) from memory.
void der(const std::string& value, const std::string& option) {
  if (value.empty()) invalid(option, "is empty: an OCSP response is never empty");
}

/// A key password: libtls hands it to OpenSSL as a C string. Checked in
/// place, never copied: it is a secret.
void password(const std::string& value, const std::string& option) {
  if (value.find('\0') != std::string::npos) invalid(option, "contains a NUL byte");
  if (value.empty()) {
    invalid(option, "is empty: leave it unset for a private key that is not encrypted");
  }
  if (value.size() > key_password_max) {
    invalid(option, "is " + std::to_string(value.size()) + " bytes long, over the " +
                        std::to_string(key_password_max) +
                        " libtls can pass to the key decryption");
  }
}

/// Applies options to one tls_config, naming each option in its errors.
/// Each option's values are checked first (the same answer on every
/// backend), then whether the backend can honour it (one run-time check,
/// from get_backend_features()), then libtls gets it.
class options_applier {
 public:
  explicit options_applier(config_state& state) : state_{state}, conf_{state.handle} {}

  void apply(const config_options& o);

 private:
  void check(int rc, std::string_view option) const {
    if (rc == backend::not_provided) unsupported(option);
    if (rc != 0) {
      throw error{errc::config_rejected, option_name(option),
                  message_of(tls_config_error(conf_), "rejected by libtls without a message")};
    }
  }
  static void exclusive(bool a, bool b, std::string_view a_name, std::string_view b_name) {
    if (a && b) {
      throw error{errc::invalid_argument, option_name(a_name),
                  std::string{"cannot be combined with "}.append(b_name) + "; set one of them"};
    }
  }
  /// Throws, naming `option`, unless the backend has the capability; `lacks`
  /// says what the backend cannot do.
  static void require(bool supported, std::string_view option, std::string_view lacks) {
    if (!supported) unsupported(option, lacks);
  }
  [[noreturn]] static void unsupported(std::string_view option, std::string_view lacks = {}) {
    std::string message = "not supported by the libtls backend tlspp was built with";
    if (!lacks.empty()) message.append(": ").append(lacks);
    throw error{errc::unsupported, option_name(option), message};
  }

  void apply_alpn(const std::vector<std::string>& alpn);
  void apply_identity(const config_options& o);
  void apply_keypairs(const config_options& o);
  void apply_trust(const config_options& o);
  void apply_session(const config_options& o);
  void apply_flags(const config_options& o);

  config_state& state_;
  ::tls_config* conf_;
  const backend_features& features_ = get_backend_features();
};

void options_applier::apply(const config_options& o) {
  apply_alpn(o.alpn);
  apply_trust(o);
  apply_identity(o);
  apply_keypairs(o);
  apply_session(o);

  if (o.ciphers) {
    const std::string ciphers = text(*o.ciphers, option_name(field::ciphers),
                                     "is empty: name a cipher list such as \"secure\"");
    check(tls_config_set_ciphers(conf_, ciphers.c_str()), field::ciphers);
  }
  if (o.dheparams) {
    const std::string params = text(*o.dheparams, option_name(field::dheparams),
                                    "is empty: use \"none\", \"auto\" or \"legacy\"");
    require(features_.dheparams, field::dheparams, "it has no DHE parameters");
    check(backend::set_dheparams(conf_, params.c_str()), field::dheparams);
  }
  exclusive(o.ecdhecurve.has_value(), o.ecdhecurves.has_value(), field::ecdhecurve,
            field::ecdhecurves);
  if (o.ecdhecurve) {
    const std::string curve =
        text(*o.ecdhecurve, option_name(field::ecdhecurve), "is empty: name a curve or \"auto\"");
    // No capability flag: the call exists or it does not (check() says so).
    check(backend::set_ecdhecurve(conf_, curve.c_str()), field::ecdhecurve);
  }
  if (o.ecdhecurves) {
    const std::string curves =
        text(*o.ecdhecurves, option_name(field::ecdhecurves),
             "is empty: name curves such as \"X25519,P-256\" or \"default\"");
    require(features_.ecdhecurves, field::ecdhecurves, "it takes no list of ECDHE curves");
    check(backend::set_ecdhecurves(conf_, curves.c_str()), field::ecdhecurves);
  }
  if (o.protocols) {
    if (o.protocols->empty()) {
      throw error{errc::invalid_argument, option_name(field::protocols),
                  "the set is empty: no version could be negotiated"};
    }
    if (*o.protocols == protocol_set{protocol::tlsv1_3}) {
      require(features_.tls1_3, field::protocols, "it has no TLS 1.3, the only version in the set");
    }
    check(tls_config_set_protocols(conf_, o.protocols->bits()), field::protocols);
  }
  if (o.verify_depth)
    check(tls_config_set_verify_depth(conf_, *o.verify_depth), field::verify_depth);
  apply_flags(o);
}

void options_applier::apply_alpn(const std::vector<std::string>& alpn) {
  if (alpn.empty()) return;
  const std::string option = option_name(field::alpn);
  std::string joined;
  std::size_t encoded = 0;
  for (std::size_t i = 0; i < alpn.size(); ++i) {
    const std::string& name = alpn[i];
    const std::string which = "protocol name " + std::to_string(i + 1);
    (void)c_string(name, option);
    // libtls takes a comma-separated list: a comma inside a name would
    // silently split it in two.
    if (name.empty() || name.find(',') != std::string::npos) {
      invalid(option, "protocol name '" + name + "' is empty or contains a comma");
    }
    if (name.size() > alpn_name_max) {
      invalid(option, which + " is " + std::to_string(name.size()) + " bytes long, over the " +
                          std::to_string(alpn_name_max) + " RFC 7301 allows");
    }
    encoded += 1 + name.size();
    if (!joined.empty()) joined += ',';
    joined += name;
  }
  if (encoded > alpn_list_max) {
    invalid(option, "the list takes " + std::to_string(encoded) + " bytes encoded, over the " +
                        std::to_string(alpn_list_max) + " an ALPN extension holds (RFC 7301)");
  }
  check(tls_config_set_alpn(conf_, joined.c_str()), field::alpn);
}

void options_applier::apply_trust(const config_options& o) {
  exclusive(o.ca.has_value(), o.ca_file.has_value(), field::ca, field::ca_file);
  // libtls silently ignores ca_path when it has CA certificates in memory
  // (which is where ca_file goes too): refuse the combination instead.
  exclusive(o.ca.has_value(), o.ca_path.has_value(), field::ca, field::ca_path);
  exclusive(o.ca_file.has_value(), o.ca_path.has_value(), field::ca_file, field::ca_path);
  exclusive(o.crl.has_value(), o.crl_file.has_value(), field::crl, field::crl_file);
  if (o.ca) {
    pem(*o.ca, option_name(field::ca));
    const std::string ca = with_lf_line_ends(*o.ca);
    require_ca_certificate(ca, option_name(field::ca), "the value");
    check(tls_config_set_ca_mem(conf_, reinterpret_cast<const std::uint8_t*>(ca.data()), ca.size()),
          field::ca);
  }
  if (o.ca_file) {
    const std::string file = path(*o.ca_file, option_name(field::ca_file));
    // libtls reads the file first, for its own errors (missing, a
    // directory...); then tlspp looks at what it holds.
    check(tls_config_set_ca_file(conf_, file.c_str()), field::ca_file);
    std::ifstream in{file, std::ios::binary};
    const std::string contents{std::istreambuf_iterator<char>{in}, {}};
    if (!in && !in.eof()) {
      throw error{errc::config_rejected, option_name(field::ca_file),
                  "cannot read '" + file + "': " + std::strerror(errno)};
    }
    const std::string ca = with_lf_line_ends(contents);
    require_ca_certificate(ca, option_name(field::ca_file), "'" + file + "'");
    if (ca.size() != contents.size()) {
      // CRLF line ends: libtls gets the text every backend reads.
      check(
          tls_config_set_ca_mem(conf_, reinterpret_cast<const std::uint8_t*>(ca.data()), ca.size()),
          field::ca_file);
    }
  }
  if (o.ca_path) {
    const std::string dir = path(*o.ca_path, option_name(field::ca_path));
    require(features_.ca_path, field::ca_path, "it cannot read CA certificates from a directory");
    check(backend::set_ca_path(conf_, dir.c_str()), field::ca_path);
  }
  if (o.crl) {
    pem(*o.crl, option_name(field::crl));
    require(features_.crl, field::crl, "it cannot check certificate revocation lists");
    check(backend::set_crl_mem(conf_, reinterpret_cast<const std::uint8_t*>(o.crl->data()),
                               o.crl->size()),
          field::crl);
  }
  if (o.crl_file) {
    const std::string file = path(*o.crl_file, option_name(field::crl_file));
    require(features_.crl, field::crl_file, "it cannot check certificate revocation lists");
    check(backend::set_crl_file(conf_, file.c_str()), field::crl_file);
  }
}

void options_applier::apply_identity(const config_options& o) {
  exclusive(o.cert.has_value(), o.cert_file.has_value(), field::cert, field::cert_file);
  exclusive(o.key.has_value(), o.key_file.has_value(), field::key, field::key_file);
  exclusive(o.ocsp_staple.has_value(), o.ocsp_staple_file.has_value(), field::ocsp_staple,
            field::ocsp_staple_file);
  if (o.key_password && !o.key_file) {
    throw error{errc::invalid_argument, option_name(field::key_password),
                "needs key_file: libtls decrypts keys only as it loads them from a file"};
  }
  if (o.cert) pem(*o.cert, option_name(field::cert));
  if (o.key) pem(*o.key, option_name(field::key));
  if (o.ocsp_staple) der(*o.ocsp_staple, option_name(field::ocsp_staple));
  const std::string cert_file =
      o.cert_file ? path(*o.cert_file, option_name(field::cert_file)) : "";
  const std::string key_file = o.key_file ? path(*o.key_file, option_name(field::key_file)) : "";
  const std::string staple_file =
      o.ocsp_staple_file ? path(*o.ocsp_staple_file, option_name(field::ocsp_staple_file)) : "";
  if (o.key_password) password(*o.key_password, option_name(field::key_password));

  if (o.key_password)
    require(features_.encrypted_keys, field::key_password, encrypted_keys_lacking);
  if (o.ocsp_staple || o.ocsp_staple_file) {
    require(features_.ocsp_stapling, o.ocsp_staple ? field::ocsp_staple : field::ocsp_staple_file,
            ocsp_lacking);
  }
  if (o.cert) {
    check(tls_config_set_cert_mem(conf_, reinterpret_cast<const std::uint8_t*>(o.cert->data()),
                                  o.cert->size()),
          field::cert);
  }
  if (o.cert_file) check(tls_config_set_cert_file(conf_, cert_file.c_str()), field::cert_file);
  if (o.key) {
    check(tls_config_set_key_mem(conf_, reinterpret_cast<const std::uint8_t*>(o.key->data()),
                                 o.key->size()),
          field::key);
  }
  if (o.key_file && !o.key_password) {
    check(tls_config_set_key_file(conf_, key_file.c_str()), field::key_file);
  }
  if (o.key_file && o.key_password) {
    const loaded_file key{key_file, &*o.key_password, option_name(field::key_file)};
    check(tls_config_set_key_mem(conf_, key.data(), key.size()), field::key_file);
  }
  if (o.ocsp_staple) {
    check(backend::set_ocsp_staple_mem(conf_,
                                       reinterpret_cast<const std::uint8_t*>(o.ocsp_staple->data()),
                                       o.ocsp_staple->size()),
          field::ocsp_staple);
  }
  if (o.ocsp_staple_file) {
    check(backend::set_ocsp_staple_file(conf_, staple_file.c_str()), field::ocsp_staple_file);
  }
}

void options_applier::apply_keypairs(const config_options& o) {
  // With no default identity, the first keypair becomes it (libtls would
  // otherwise have no certificate for clients that send no SNI).
  const bool first_is_default = !o.cert && !o.cert_file && !o.key && !o.key_file;
  for (std::size_t i = 0; i < o.keypairs.size(); ++i) {
    const keypair& kp = o.keypairs[i];
    const auto name = [i](std::string_view field) { return keypair_option(i, field); };
    auto either = [&](const auto& mem, const auto& file, std::string_view mem_name,
                      std::string_view file_name, bool required, const std::string* key_password,
                      bool is_pem) -> loaded_file {
      if (mem && file) {
        throw error{errc::invalid_argument, option_name(name(mem_name)),
                    std::string{"cannot be combined with "}.append(file_name)};
      }
      if (mem) {
        if (is_pem) {
          pem(*mem, option_name(name(mem_name)));
        } else {
          der(*mem, option_name(name(mem_name)));
        }
        return loaded_file::view(*mem);
      }
      if (file) {
        const std::string option = option_name(name(file_name));
        return loaded_file{path(*file, option), key_password, option};
      }
      if (required) {
        throw error{errc::invalid_argument, option_name(name(mem_name)),
                    "missing: a keypair needs a cert and a key"};
      }
      return loaded_file{};
    };
    if (kp.key_password && !kp.key_file) {
      throw error{errc::invalid_argument, option_name(name(keypair_field::key_password)),
                  "needs key_file"};
    }
    if (kp.key_password) {
      password(*kp.key_password, option_name(name(keypair_field::key_password)));
      require(features_.encrypted_keys, name(keypair_field::key_password), encrypted_keys_lacking);
    }
    const loaded_file cert = either(kp.cert, kp.cert_file, keypair_field::cert,
                                    keypair_field::cert_file, true, nullptr, true);
    const loaded_file key = either(kp.key, kp.key_file, keypair_field::key, keypair_field::key_file,
                                   true, kp.key_password ? &*kp.key_password : nullptr, true);
    const loaded_file staple =
        either(kp.ocsp_staple, kp.ocsp_staple_file, keypair_field::ocsp_staple,
               keypair_field::ocsp_staple_file, false, nullptr, false);
    // After the values' own checks, so that a bad value is the same error on
    // every backend.
    if (kp.ocsp_staple || kp.ocsp_staple_file) {
      require(features_.ocsp_stapling,
              name(kp.ocsp_staple ? keypair_field::ocsp_staple : keypair_field::ocsp_staple_file),
              ocsp_lacking);
    }
    const bool as_default = i == 0 && first_is_default;
    if (staple.size() != 0) {
      const int rc =
          as_default ? backend::set_keypair_ocsp_mem(conf_, cert.data(), cert.size(), key.data(),
                                                     key.size(), staple.data(), staple.size())
                     : backend::add_keypair_ocsp_mem(conf_, cert.data(), cert.size(), key.data(),
                                                     key.size(), staple.data(), staple.size());
      check(rc, name(keypair_field::ocsp_staple));
    } else {
      const int rc =
          as_default
              ? tls_config_set_keypair_mem(conf_, cert.data(), cert.size(), key.data(), key.size())
              : tls_config_add_keypair_mem(conf_, cert.data(), cert.size(), key.data(), key.size());
      check(rc, name(keypair_field::cert));
    }
  }
}

void options_applier::apply_session(const config_options& o) {
  if (o.session_id) {
    if (o.session_id->empty()) {
      invalid(option_name(field::session_id), "is empty: a session ID context needs 1 to 32 bytes");
    }
    if (o.session_id->size() > session_id_max) {
      invalid(option_name(field::session_id), "is " + std::to_string(o.session_id->size()) +
                                                  " bytes long, over the " +
                                                  std::to_string(session_id_max) + " libtls keeps");
    }
  }
  const auto lifetime = o.session_lifetime ? o.session_lifetime->count() : 0;
  if (lifetime < 0 || lifetime > std::numeric_limits<int>::max()) {
    throw error{errc::invalid_argument, option_name(field::session_lifetime), "out of range"};
  }
  const std::string session_file =
      o.session_file ? path(*o.session_file, option_name(field::session_file)) : "";

  // Each option is refused where it would do nothing: the probe saw no
  // server of this backend resume a session with it.
  if (!o.ticket_keys.empty()) {
    require(features_.session_tickets, field::ticket_keys,
            "its servers never resume a session from a ticket");
  }
  if (o.session_id) {
    require(features_.session_id, field::session_id,
            "its servers never resume a session by its ID");
  }
  // A lifetime of zero asks for no resumption, which every backend honours.
  if (lifetime != 0) {
    require(features_.session_lifetime, field::session_lifetime,
            "its servers never resume a session");
  }
  if (o.session_file) {
    require(features_.session_file, field::session_file, "its clients keep no session in a file");
  }

  for (std::size_t i = 0; i < o.ticket_keys.size(); ++i) {
    // libtls copies the key (and wipes its copy); the const_cast is for its
    // non-const signature only.
    auto* key = const_cast<unsigned char*>(
        reinterpret_cast<const unsigned char*>(o.ticket_keys[i].key.data()));
    check(backend::add_ticket_key(conf_, o.ticket_keys[i].keyrev, key, ticket_key_size),
          std::string{field::ticket_keys} + "[" + std::to_string(i) + "]");
  }
  if (o.session_id) {
    check(
        backend::set_session_id(conf_, reinterpret_cast<const unsigned char*>(o.session_id->data()),
                                o.session_id->size()),
        field::session_id);
  }
  if (o.session_lifetime && features_.session_lifetime) {
    check(backend::set_session_lifetime(conf_, static_cast<int>(lifetime)),
          field::session_lifetime);
  }
  const bool sessions_asked = !o.ticket_keys.empty() || o.session_id || lifetime != 0;
  if (const int quiet = quiet_server_session_lifetime(); quiet != 0 && !sessions_asked) {
    // This backend's servers never resume, yet send TLS 1.3 tickets unless a
    // lifetime is set: set one so that they send none. Harmless on a client.
    check(backend::set_session_lifetime(conf_, quiet), field::session_lifetime);
  }
  if (o.session_file) {
    // Created only now that the backend is known to keep sessions in it.
    const int fd = ::open(session_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
      throw error{errc::config_rejected, option_name(field::session_file),
                  "cannot open '" + session_file + "': " + std::strerror(errno)};
    }
    state_.session_fd = fd;
    check(backend::set_session_fd(conf_, fd), field::session_file);
  }
}

void options_applier::apply_flags(const config_options& o) {
  exclusive(o.prefer_ciphers_client, o.prefer_ciphers_server, field::prefer_ciphers_client,
            field::prefer_ciphers_server);
  exclusive(o.verify_client, o.verify_client_optional, field::verify_client,
            field::verify_client_optional);
  if (o.prefer_ciphers_client) tls_config_prefer_ciphers_client(conf_);
  if (o.prefer_ciphers_server) tls_config_prefer_ciphers_server(conf_);
  if (o.insecure_noverifycert) tls_config_insecure_noverifycert(conf_);
  if (o.insecure_noverifyname) tls_config_insecure_noverifyname(conf_);
  if (o.insecure_noverifytime) {
    require(features_.insecure_noverifytime, field::insecure_noverifytime,
            "it checks certificate validity times even when told not to");
    check(backend::insecure_noverifytime(conf_), field::insecure_noverifytime);
  }
  if (o.ocsp_require_stapling) {
    require(features_.ocsp_stapling, field::ocsp_require_stapling, ocsp_lacking);
    check(backend::ocsp_require_stapling(conf_), field::ocsp_require_stapling);
  }
  if (o.verify_client) tls_config_verify_client(conf_);
  if (o.verify_client_optional) {
    require(features_.verify_client_optional, field::verify_client_optional,
            "it would let a client certificate it cannot verify through, as the peer's");
    check(backend::verify_client_optional(conf_), field::verify_client_optional);
  }
}

}  // namespace
}  // namespace detail

config::config() : state_{std::make_shared<detail::config_state>()} {}

config::config(const config_options& options) : config{} {
  detail::options_applier{*state_}.apply(options);
}

void config::clear_keys() {
  const auto state = detail::config_state::of(*this);  // a moved-from config says so first
  if (!get_backend_features().clear_keys) {
    throw error{errc::unsupported, "config::clear_keys",
                "not supported by the libtls backend tlspp was built with: its servers read the "
                "private keys from the config at every handshake, so clearing them would break "
                "the servers configured before"};
  }
  std::scoped_lock lock{state->refcount_mutex};
  (void)detail::backend::clear_keys(state->handle);
}

void* config::native_handle() const noexcept { return state_ ? state_->handle : nullptr; }

}  // namespace tlspp
