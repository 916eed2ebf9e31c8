#include "tlspp/features.hpp"

#include <cerrno>
#include <cstdio>
#include <memory>

#include "libtls.hpp"

namespace tlspp {
namespace {

struct config_deleter {
  void operator()(::tls_config* c) const noexcept { tls_config_free(c); }
};
using scratch_config = std::unique_ptr<::tls_config, config_deleter>;

[[maybe_unused]] scratch_config fresh() { return scratch_config{tls_config_new()}; }

[[maybe_unused]] const auto* bytes(const char* s) { return reinterpret_cast<const std::uint8_t*>(s); }

/// Some backends export a function that only fails ("not supported"): ask
/// each one on a scratch config with an argument a real implementation
/// accepts without parsing it.
backend_features probe() {
  detail::ensure_libtls_initialized();
  backend_features f;
  f.api_version = TLS_API;
#if TLSPP_HAVE_TLS_CONFIG_SET_CRL_MEM
  f.crl = tls_config_set_crl_mem(fresh().get(), bytes("x"), 1) == 0;
#endif
#if TLSPP_HAVE_TLS_CONFIG_SET_OCSP_STAPLE_MEM && TLSPP_HAVE_TLS_PEER_OCSP_CERT_STATUS
  f.ocsp_stapling = tls_config_set_ocsp_staple_mem(fresh().get(), bytes("x"), 1) == 0;
#endif
#if TLSPP_HAVE_TLS_CONFIG_ADD_TICKET_KEY
  unsigned char key[48] = {};
  f.session_tickets = tls_config_add_ticket_key(fresh().get(), 1, key, sizeof key) == 0;
#endif
#if TLSPP_HAVE_TLS_CONFIG_SET_SESSION_ID
  f.session_id = tls_config_set_session_id(fresh().get(), bytes("x"), 1) == 0;
#endif
#if TLSPP_HAVE_TLS_CONFIG_SET_SESSION_LIFETIME
  f.session_lifetime = tls_config_set_session_lifetime(fresh().get(), 60) == 0;
#endif
#if TLSPP_HAVE_TLS_CONFIG_SET_SESSION_FD
  if (std::FILE* file = std::tmpfile(); file != nullptr) {
    f.session_file = tls_config_set_session_fd(fresh().get(), fileno(file)) == 0;
    std::fclose(file);
  }
#endif
#if TLSPP_HAVE_TLS_CONFIG_SET_CA_PATH
  f.ca_path = tls_config_set_ca_path(fresh().get(), "/") == 0;
#endif
#if TLSPP_HAVE_TLS_CONFIG_SET_DHEPARAMS
  f.dheparams = tls_config_set_dheparams(fresh().get(), "auto") == 0;
#endif
#if TLSPP_HAVE_TLS_CONFIG_SET_ECDHECURVES
  f.ecdhecurves = tls_config_set_ecdhecurves(fresh().get(), "default") == 0;
#endif
  f.verify_client_optional = TLSPP_HAVE_TLS_CONFIG_VERIFY_CLIENT_OPTIONAL;
  f.cipher_strength = TLSPP_HAVE_TLS_CONN_CIPHER_STRENGTH;
  f.peer_cert_common_name = TLSPP_HAVE_TLS_PEER_CERT_COMMON_NAME;
#if TLSPP_HAVE_TLS_LOAD_FILE
  // A backend that decrypts keys tries to open the file (ENOENT); one that
  // cannot gives up before touching it.
  size_t len = 0;
  char password[] = "probe";
  errno = 0;
  std::uint8_t* loaded = tls_load_file("/nonexistent/tlspp-probe", &len, password);
  f.encrypted_keys = loaded == nullptr && errno == ENOENT;
  if (loaded != nullptr) tls_unload_file(loaded, len);
#endif
#if TLSPP_HAVE_TLS_PROTOCOL_TLSV1_3
  // Some backends accept a TLS 1.3-only config and fail when connecting.
  if (scratch_config c = fresh(); c && tls_config_set_protocols(c.get(), TLS_PROTOCOL_TLSv1_3) == 0) {
    if (::tls* ctx = tls_client(); ctx != nullptr) {
      auto never = [](::tls*, void*, size_t, void*) -> ssize_t { return -1; };
      auto never_w = [](::tls*, const void*, size_t, void*) -> ssize_t { return -1; };
      f.tls1_3 = tls_configure(ctx, c.get()) == 0 &&
                 tls_connect_cbs(ctx, never, never_w, nullptr, "probe.invalid") == 0;
      tls_free(ctx);
    }
  }
#endif
  return f;
}

}  // namespace

const backend_features& get_backend_features() {
  static const backend_features features = probe();
  return features;
}

std::string describe(const backend_features& f) {
  std::string s = "libtls API " + std::to_string(f.api_version);
  auto add = [&](bool have, const char* what) {
    s.append(have ? ", " : ", no ").append(what);
  };
  add(f.tls1_3, "TLS 1.3");
  add(f.crl, "CRL");
  add(f.ocsp_stapling, "OCSP stapling");
  add(f.session_tickets, "session tickets");
  add(f.session_id, "session IDs");
  add(f.session_lifetime, "session lifetime");
  add(f.session_file, "session file");
  add(f.ca_path, "CA path");
  add(f.encrypted_keys, "encrypted keys");
  return s;
}

}  // namespace tlspp
