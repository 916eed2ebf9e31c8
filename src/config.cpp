#include "tlspp/config.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>

#include "config_state.hpp"
#include "loaded_file.hpp"
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

constexpr std::string_view encrypted_keys_lacking = "it cannot decrypt private keys";
constexpr std::string_view ocsp_lacking = "it cannot staple or check OCSP responses";

std::string option_name(std::string_view prefix, std::string_view name) {
  return std::string{"config option "}.append(prefix).append(name);
}

/// Applies options to one tls_config, naming each option in its errors.
class options_applier {
 public:
  explicit options_applier(config_state& state) : state_{state}, conf_{state.handle} {}

  void apply(const config_options& o);

 private:
  void check(int rc, std::string_view option) const {
    if (rc != 0) {
      throw error{errc::config_rejected, option_name("", option),
                  message_of(tls_config_error(conf_), "rejected by libtls without a message")};
    }
  }
  static void exclusive(bool a, bool b, std::string_view a_name, std::string_view b_name) {
    if (a && b) {
      throw error{errc::invalid_argument, option_name("", a_name),
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
    throw error{errc::unsupported, option_name("", option), message};
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

  if (o.ciphers) check(tls_config_set_ciphers(conf_, o.ciphers->c_str()), "ciphers");
  if (o.dheparams) {
    require(features_.dheparams, "dheparams", "it has no DHE parameters");
#if TLSPP_HAVE_TLS_CONFIG_SET_DHEPARAMS
    check(tls_config_set_dheparams(conf_, o.dheparams->c_str()), "dheparams");
#else
    unsupported("dheparams");
#endif
  }
  exclusive(o.ecdhecurve.has_value(), o.ecdhecurves.has_value(), "ecdhecurve", "ecdhecurves");
  if (o.ecdhecurve) {
#if TLSPP_HAVE_TLS_CONFIG_SET_ECDHECURVE
    check(tls_config_set_ecdhecurve(conf_, o.ecdhecurve->c_str()), "ecdhecurve");
#else
    unsupported("ecdhecurve");
#endif
  }
  if (o.ecdhecurves) {
    require(features_.ecdhecurves, "ecdhecurves", "it takes no list of ECDHE curves");
#if TLSPP_HAVE_TLS_CONFIG_SET_ECDHECURVES
    check(tls_config_set_ecdhecurves(conf_, o.ecdhecurves->c_str()), "ecdhecurves");
#else
    unsupported("ecdhecurves");
#endif
  }
  if (o.protocols) {
    if (o.protocols->empty()) {
      throw error{errc::invalid_argument, option_name("", "protocols"), "the set is empty: no version could be negotiated"};
    }
    if (*o.protocols == protocol_set{protocol::tlsv1_3}) {
      require(features_.tls1_3, "protocols", "it has no TLS 1.3, the only version in the set");
    }
    check(tls_config_set_protocols(conf_, o.protocols->bits()), "protocols");
  }
  if (o.verify_depth) check(tls_config_set_verify_depth(conf_, *o.verify_depth), "verify_depth");
  apply_flags(o);
}

void options_applier::apply_alpn(const std::vector<std::string>& alpn) {
  if (alpn.empty()) return;
  std::string joined;
  for (const auto& name : alpn) {
    // libtls takes a comma-separated list: a comma inside a name would
    // silently split it in two.
    if (name.empty() || name.find(',') != std::string::npos) {
      throw error{errc::invalid_argument, option_name("", "alpn"),
                  "protocol name '" + name + "' is empty or contains a comma"};
    }
    if (!joined.empty()) joined += ',';
    joined += name;
  }
  check(tls_config_set_alpn(conf_, joined.c_str()), "alpn");
}

void options_applier::apply_trust(const config_options& o) {
  exclusive(o.ca.has_value(), o.ca_file.has_value(), "ca", "ca_file");
  // libtls silently ignores ca_path when it has CA certificates in memory
  // (which is where ca_file goes too): refuse the combination instead.
  exclusive(o.ca.has_value(), o.ca_path.has_value(), "ca", "ca_path");
  exclusive(o.ca_file.has_value(), o.ca_path.has_value(), "ca_file", "ca_path");
  if (o.ca) {
    check(tls_config_set_ca_mem(conf_, reinterpret_cast<const std::uint8_t*>(o.ca->data()),
                                o.ca->size()),
          "ca");
  }
  if (o.ca_file) check(tls_config_set_ca_file(conf_, o.ca_file->c_str()), "ca_file");
  if (o.ca_path) {
    require(features_.ca_path, "ca_path", "it cannot read CA certificates from a directory");
#if TLSPP_HAVE_TLS_CONFIG_SET_CA_PATH
    check(tls_config_set_ca_path(conf_, o.ca_path->c_str()), "ca_path");
#else
    unsupported("ca_path");
#endif
  }
  exclusive(o.crl.has_value(), o.crl_file.has_value(), "crl", "crl_file");
  if (o.crl || o.crl_file) {
    require(features_.crl, o.crl ? "crl" : "crl_file",
            "it cannot check certificate revocation lists");
  }
#if TLSPP_HAVE_TLS_CONFIG_SET_CRL_MEM
  if (o.crl) {
    check(tls_config_set_crl_mem(conf_, reinterpret_cast<const std::uint8_t*>(o.crl->data()),
                                 o.crl->size()),
          "crl");
  }
#else
  if (o.crl) unsupported("crl");
#endif
#if TLSPP_HAVE_TLS_CONFIG_SET_CRL_FILE
  if (o.crl_file) check(tls_config_set_crl_file(conf_, o.crl_file->c_str()), "crl_file");
#else
  if (o.crl_file) unsupported("crl_file");
#endif
}

void options_applier::apply_identity(const config_options& o) {
  exclusive(o.cert.has_value(), o.cert_file.has_value(), "cert", "cert_file");
  exclusive(o.key.has_value(), o.key_file.has_value(), "key", "key_file");
  exclusive(o.ocsp_staple.has_value(), o.ocsp_staple_file.has_value(), "ocsp_staple",
            "ocsp_staple_file");
  if (o.key_password && !o.key_file) {
    throw error{errc::invalid_argument, option_name("", "key_password"),
                "needs key_file: libtls decrypts keys only as it loads them from a file"};
  }
  if (o.key_password) require(features_.encrypted_keys, "key_password", encrypted_keys_lacking);
  if (o.ocsp_staple || o.ocsp_staple_file) {
    require(features_.ocsp_stapling, o.ocsp_staple ? "ocsp_staple" : "ocsp_staple_file",
            ocsp_lacking);
  }
  if (o.cert) {
    check(tls_config_set_cert_mem(conf_, reinterpret_cast<const std::uint8_t*>(o.cert->data()),
                                  o.cert->size()),
          "cert");
  }
  if (o.cert_file) check(tls_config_set_cert_file(conf_, o.cert_file->c_str()), "cert_file");
  if (o.key) {
    check(tls_config_set_key_mem(conf_, reinterpret_cast<const std::uint8_t*>(o.key->data()),
                                 o.key->size()),
          "key");
  }
  if (o.key_file && !o.key_password) {
    check(tls_config_set_key_file(conf_, o.key_file->c_str()), "key_file");
  }
  if (o.key_file && o.key_password) {
    const loaded_file key{*o.key_file, &*o.key_password, option_name("", "key_file")};
    check(tls_config_set_key_mem(conf_, key.data(), key.size()), "key_file");
  }
  if (o.ocsp_staple || o.ocsp_staple_file) {
#if TLSPP_HAVE_TLS_CONFIG_SET_OCSP_STAPLE_MEM && TLSPP_HAVE_TLS_CONFIG_SET_OCSP_STAPLE_FILE
    if (o.ocsp_staple) {
      check(tls_config_set_ocsp_staple_mem(
                conf_, reinterpret_cast<const std::uint8_t*>(o.ocsp_staple->data()),
                o.ocsp_staple->size()),
            "ocsp_staple");
    } else {
      check(tls_config_set_ocsp_staple_file(conf_, o.ocsp_staple_file->c_str()),
            "ocsp_staple_file");
    }
#else
    unsupported(o.ocsp_staple ? "ocsp_staple" : "ocsp_staple_file");
#endif
  }
}

void options_applier::apply_keypairs(const config_options& o) {
  // With no default identity, the first keypair becomes it (libtls would
  // otherwise have no certificate for clients that send no SNI).
  const bool first_is_default = !o.cert && !o.cert_file && !o.key && !o.key_file;
  for (std::size_t i = 0; i < o.keypairs.size(); ++i) {
    const keypair& kp = o.keypairs[i];
    const std::string where = "keypairs[" + std::to_string(i) + "].";
    auto either = [&](const auto& mem, const auto& file, std::string_view name, bool required,
                      const std::string* password) -> loaded_file {
      if (mem && file) {
        throw error{errc::invalid_argument, option_name(where, name),
                    std::string{"cannot be combined with "}.append(name) + "_file"};
      }
      if (mem) return loaded_file::view(*mem);
      if (file) {
        return loaded_file{*file, password, option_name(where, std::string{name} + "_file")};
      }
      if (required) {
        throw error{errc::invalid_argument, option_name(where, name), "missing: a keypair needs a cert and a key"};
      }
      return loaded_file{};
    };
    if (kp.key_password && !kp.key_file) {
      throw error{errc::invalid_argument, option_name(where, "key_password"), "needs key_file"};
    }
    if (kp.key_password) {
      require(features_.encrypted_keys, where + "key_password", encrypted_keys_lacking);
    }
    if (kp.ocsp_staple || kp.ocsp_staple_file) {
      require(features_.ocsp_stapling,
              where + (kp.ocsp_staple ? "ocsp_staple" : "ocsp_staple_file"), ocsp_lacking);
    }
    const loaded_file cert = either(kp.cert, kp.cert_file, "cert", true, nullptr);
    const loaded_file key =
        either(kp.key, kp.key_file, "key", true, kp.key_password ? &*kp.key_password : nullptr);
    const loaded_file staple =
        either(kp.ocsp_staple, kp.ocsp_staple_file, "ocsp_staple", false, nullptr);
    const std::string name = where + "cert";
#if TLSPP_HAVE_TLS_CONFIG_ADD_KEYPAIR_OCSP_MEM && TLSPP_HAVE_TLS_CONFIG_SET_KEYPAIR_OCSP_MEM
    if (i == 0 && first_is_default) {
      check(tls_config_set_keypair_ocsp_mem(conf_, cert.data(), cert.size(), key.data(), key.size(),
                                            staple.data(), staple.size()),
            name);
    } else {
      check(tls_config_add_keypair_ocsp_mem(conf_, cert.data(), cert.size(), key.data(), key.size(),
                                            staple.data(), staple.size()),
            name);
    }
#else
    if (staple.size() != 0) unsupported(where + "ocsp_staple");
    if (i == 0 && first_is_default) {
      check(tls_config_set_keypair_mem(conf_, cert.data(), cert.size(), key.data(), key.size()),
            name);
    } else {
      check(tls_config_add_keypair_mem(conf_, cert.data(), cert.size(), key.data(), key.size()),
            name);
    }
#endif
  }
}

void options_applier::apply_session(const config_options& o) {
  if (!o.ticket_keys.empty()) {
    require(features_.session_tickets, "ticket_keys", "it has no session tickets");
  }
  for (std::size_t i = 0; i < o.ticket_keys.size(); ++i) {
#if TLSPP_HAVE_TLS_CONFIG_ADD_TICKET_KEY
    // libtls copies the key (and wipes its copy); the const_cast is for its
    // non-const signature only.
    auto* key = const_cast<unsigned char*>(
        reinterpret_cast<const unsigned char*>(o.ticket_keys[i].key.data()));
    check(tls_config_add_ticket_key(conf_, o.ticket_keys[i].keyrev, key, ticket_key_size),
          "ticket_keys[" + std::to_string(i) + "]");
#else
    unsupported("ticket_keys");
#endif
  }
  if (o.session_id) {
    require(features_.session_id, "session_id", "it cannot resume sessions by ID");
#if TLSPP_HAVE_TLS_CONFIG_SET_SESSION_ID
    check(tls_config_set_session_id(conf_,
                                    reinterpret_cast<const unsigned char*>(o.session_id->data()),
                                    o.session_id->size()),
          "session_id");
#else
    unsupported("session_id");
#endif
  }
  if (o.session_lifetime) {
    require(features_.session_lifetime, "session_lifetime", "it cannot resume sessions");
#if TLSPP_HAVE_TLS_CONFIG_SET_SESSION_LIFETIME
    const auto seconds = o.session_lifetime->count();
    if (seconds < 0 || seconds > std::numeric_limits<int>::max()) {
      throw error{errc::invalid_argument, option_name("", "session_lifetime"), "out of range"};
    }
    check(tls_config_set_session_lifetime(conf_, static_cast<int>(seconds)), "session_lifetime");
#else
    unsupported("session_lifetime");
#endif
  }
  if (o.session_file) {
    // Before the file is created: a backend without sessions leaves none behind.
    require(features_.session_file, "session_file", "it cannot keep client sessions");
#if TLSPP_HAVE_TLS_CONFIG_SET_SESSION_FD
    const int fd = ::open(o.session_file->c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
      throw error{errc::config_rejected, option_name("", "session_file"),
                  "cannot open '" + o.session_file->string() + "': " + std::strerror(errno)};
    }
    state_.session_fd = fd;
    check(tls_config_set_session_fd(conf_, fd), "session_file");
#else
    unsupported("session_file");
#endif
  }
}

void options_applier::apply_flags(const config_options& o) {
  exclusive(o.prefer_ciphers_client, o.prefer_ciphers_server, "prefer_ciphers_client",
            "prefer_ciphers_server");
  if (o.prefer_ciphers_client) tls_config_prefer_ciphers_client(conf_);
  if (o.prefer_ciphers_server) tls_config_prefer_ciphers_server(conf_);
  if (o.insecure_noverifycert) tls_config_insecure_noverifycert(conf_);
  if (o.insecure_noverifyname) tls_config_insecure_noverifyname(conf_);
  if (o.insecure_noverifytime) {
    require(features_.insecure_noverifytime, "insecure_noverifytime",
            "it checks certificate validity times even when told not to");
#if TLSPP_HAVE_TLS_CONFIG_INSECURE_NOVERIFYTIME
    tls_config_insecure_noverifytime(conf_);
#else
    unsupported("insecure_noverifytime");
#endif
  }
  if (o.ocsp_require_stapling) {
    require(features_.ocsp_stapling, "ocsp_require_stapling", ocsp_lacking);
#if TLSPP_HAVE_TLS_CONFIG_OCSP_REQUIRE_STAPLING
    tls_config_ocsp_require_stapling(conf_);
#else
    unsupported("ocsp_require_stapling");
#endif
  }
  exclusive(o.verify_client, o.verify_client_optional, "verify_client", "verify_client_optional");
  if (o.verify_client) tls_config_verify_client(conf_);
  if (o.verify_client_optional) {
    require(features_.verify_client_optional, "verify_client_optional",
            "it would let a client certificate it cannot verify through, as the peer's");
#if TLSPP_HAVE_TLS_CONFIG_VERIFY_CLIENT_OPTIONAL
    tls_config_verify_client_optional(conf_);
#else
    unsupported("verify_client_optional");
#endif
  }
}

}  // namespace
}  // namespace detail

config::config() : state_{std::make_shared<detail::config_state>()} {}

config::config(const config_options& options) : config{} {
  detail::options_applier{*state_}.apply(options);
}

void config::clear_keys() {
  if (!get_backend_features().clear_keys) {
    throw error{errc::unsupported, "config::clear_keys",
                "not supported by the libtls backend tlspp was built with: its servers read the "
                "private keys from the config at every handshake, so clearing them would break "
                "the servers configured before"};
  }
  const auto state = detail::config_state::of(*this);
  std::scoped_lock lock{state->refcount_mutex};
  tls_config_clear_keys(state->handle);
}

void* config::native_handle() const noexcept { return state_ ? state_->handle : nullptr; }

}  // namespace tlspp
