// SPDX-License-Identifier: ISC
// tls_config: the options, their parsing and their errors.
#include <arpa/inet.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "internal.hpp"

using namespace tlspp_openssl;

namespace {

// libtls's cipher aliases, in OpenSSL's cipher-string words. "secure" is
// TLS 1.2 AEAD suites with forward secrecy (TLS 1.3 suites are always
// OpenSSL's own defaults).
constexpr const char* ciphers_secure = "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20";
constexpr const char* ciphers_compat = "HIGH:!aNULL";
constexpr const char* ciphers_legacy = "HIGH:MEDIUM:!aNULL";
constexpr const char* ciphers_all = "ALL:!aNULL:!eNULL";
constexpr const char* default_curves = "X25519,P-256,P-384";

bool same(const char* a, const char* b) { return ::strcasecmp(a, b) == 0; }

/// Splits `list` at any of `separators`, skipping leading blanks of each item.
template <class Each>
bool for_each_item(std::string_view list, std::string_view separators, Each&& each) {
  std::size_t start = 0;
  while (true) {
    const std::size_t end = list.find_first_of(separators, start);
    std::string item{list.substr(start, end == std::string_view::npos ? end : end - start)};
    const std::size_t first = item.find_first_not_of(" \t");
    item.erase(0, first == std::string::npos ? item.size() : first);
    if (!each(item)) return false;
    if (end == std::string_view::npos) return true;
    start = end + 1;
  }
}

int set_cert(tls_config* config, keypair_data& kp, const void* cert, std::size_t len) {
  // Parse it now, so that a certificate that cannot load fails here, naming
  // itself, rather than at the first handshake.
  const bio_ptr bio = memory_bio(cert, len);
  const x509_ptr x{bio ? PEM_read_bio_X509(bio.get(), nullptr, password_callback, nullptr)
                       : nullptr};
  if (!x) {
    config->error.setx("failed to load certificate: %s",
                       take_openssl_error("no certificate found").c_str());
    return -1;
  }
  kp.cert = to_bytes(cert, len);
  config->changed();
  return 0;
}

int set_cert_file(tls_config* config, keypair_data& kp, const char* file) {
  bytes data;
  if (load_file(config->error, "certificate", file, data) != 0) return -1;
  return set_cert(config, kp, data.data(), data.size());
}

int set_key_file(tls_config* config, keypair_data& kp, const char* file) {
  kp.clear_key();
  bytes data;
  if (load_file(config->error, "key", file, data) != 0) return -1;
  kp.key = std::move(data);
  config->changed();
  return 0;
}

int set_staple_file(tls_config* config, keypair_data& kp, const char* file) {
  bytes data;
  if (load_file(config->error, "ocsp", file, data) != 0) return -1;
  kp.ocsp_staple = std::move(data);
  config->changed();
  return 0;
}

int add_keypair(tls_config* config, const std::uint8_t* cert, std::size_t cert_len,
                const std::uint8_t* key, std::size_t key_len, const std::uint8_t* staple,
                std::size_t staple_len) {
  auto kp = std::make_unique<keypair_data>();
  if (set_cert(config, *kp, cert, cert_len) != 0) return -1;
  if (key != nullptr) kp->key = to_bytes(key, key_len);
  if (staple != nullptr) kp->ocsp_staple = to_bytes(staple, staple_len);
  config->keypairs.push_back(std::move(kp));
  return 0;
}

int add_keypair_files(tls_config* config, const char* cert_file, const char* key_file,
                      const char* staple_file) {
  auto kp = std::make_unique<keypair_data>();
  if (set_cert_file(config, *kp, cert_file) != 0) return -1;
  if (key_file != nullptr && set_key_file(config, *kp, key_file) != 0) return -1;
  if (staple_file != nullptr && set_staple_file(config, *kp, staple_file) != 0) return -1;
  config->keypairs.push_back(std::move(kp));
  return 0;
}

}  // namespace

tls_config::tls_config() {
  keypairs.push_back(std::make_unique<keypair_data>());
  // A random session ID context: enough for one process; servers that share
  // sessions across processes set their own.
  RAND_bytes(session_id.data(), static_cast<int>(session_id.size()));
  RAND_bytes(reinterpret_cast<unsigned char*>(&ticket_keyrev), sizeof ticket_keyrev);
}

tls_config::~tls_config() { wipe_ticket_keys(this); }

tls_config* tlspp_openssl::make_config() {
  auto config = std::make_unique<tls_config>();
  if (tls_config_set_ciphers(config.get(), "secure") != 0 ||
      tls_config_set_ecdhecurves(config.get(), "default") != 0) {
    return nullptr;
  }
  return config.release();
}

tls_config* tls_config_new(void) {
  if (tls_init() != 0) return nullptr;
  return make_config();
}

void tls_config_free(tls_config* config) {
  if (config == nullptr) return;
  if (config->refcount.fetch_sub(1, std::memory_order_acq_rel) == 1) delete config;
}

const char* tls_config_error(tls_config* config) { return config->error.message(); }

const char* tls_default_ca_cert_file(void) { return X509_get_default_cert_file(); }

void tls_config_clear_keys(tls_config* config) {
  // Servers already configured keep the keys parsed into their SSL_CTX; the
  // config lets go of its own copies, so that a server configured later
  // fails for want of a key, as with libtls. The lock keeps a build in
  // progress from reading a half-wiped key.
  const std::scoped_lock lock{config->build_mutex};
  for (auto& kp : config->keypairs) kp->clear_key();
  config->server.reset();
  config->client.reset();
  config->changed();
}

int tls_config_parse_protocols(std::uint32_t* protocols, const char* protostr) {
  if (protostr == nullptr) {
    *protocols = TLS_PROTOCOLS_DEFAULT;
    return 0;
  }
  std::uint32_t result = 0;
  const bool ok = for_each_item(protostr, ",:", [&](std::string& item) {
    bool negate = false;
    if (!item.empty() && item[0] == '!') {
      negate = true;
      item.erase(0, 1);
      if (result == 0) result = TLS_PROTOCOLS_ALL;
    }
    const char* p = item.c_str();
    std::uint32_t proto = 0;
    if (same(p, "all") || same(p, "legacy")) {
      proto = TLS_PROTOCOLS_ALL;
    } else if (same(p, "default") || same(p, "secure")) {
      proto = TLS_PROTOCOLS_DEFAULT;
    } else if (same(p, "tlsv1")) {
      proto = TLS_PROTOCOL_TLSv1;
    } else if (same(p, "tlsv1.0")) {
      proto = TLS_PROTOCOL_TLSv1_0;
    } else if (same(p, "tlsv1.1")) {
      proto = TLS_PROTOCOL_TLSv1_1;
    } else if (same(p, "tlsv1.2")) {
      proto = TLS_PROTOCOL_TLSv1_2;
    } else if (same(p, "tlsv1.3")) {
      proto = TLS_PROTOCOL_TLSv1_3;
    }
    if (proto == 0) return false;
    result = negate ? result & ~proto : result | proto;
    return true;
  });
  if (!ok) return -1;
  *protocols = result;
  return 0;
}

int tls_config_set_alpn(tls_config* config, const char* alpn) {
  config->alpn.reset();
  config->changed();
  if (alpn == nullptr) return 0;
  if (std::strlen(alpn) + 1 > 65535) {
    config->error.setx("alpn too large");
    return -1;
  }
  bytes wire;
  // Names are taken as given: only commas separate them.
  std::string_view rest{alpn};
  while (true) {
    const std::size_t comma = rest.find(',');
    const std::string_view name = rest.substr(0, comma);
    if (name.empty()) {
      config->error.setx("alpn protocol with zero length");
      return -1;
    }
    if (name.size() > 255) {
      config->error.setx("alpn protocol too long");
      return -1;
    }
    wire.push_back(static_cast<unsigned char>(name.size()));
    wire.insert(wire.end(), name.begin(), name.end());
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  config->alpn = std::move(wire);
  return 0;
}

int tls_config_set_ca_file(tls_config* config, const char* ca_file) {
  bytes data;
  if (load_file(config->error, "CA", ca_file, data) != 0) return -1;
  config->ca = std::move(data);
  config->changed();
  return 0;
}

int tls_config_set_ca_path(tls_config* config, const char* ca_path) {
  config->ca_path = ca_path != nullptr ? std::optional<std::string>{ca_path} : std::nullopt;
  config->changed();
  return 0;
}

int tls_config_set_ca_mem(tls_config* config, const std::uint8_t* ca, size_t len) {
  config->ca = ca != nullptr ? std::optional<bytes>{to_bytes(ca, len)} : std::nullopt;
  config->changed();
  return 0;
}

int tls_config_set_cert_file(tls_config* config, const char* cert_file) {
  return set_cert_file(config, config->default_keypair(), cert_file);
}

int tls_config_set_cert_mem(tls_config* config, const std::uint8_t* cert, size_t len) {
  return set_cert(config, config->default_keypair(), cert, len);
}

int tls_config_set_ciphers(tls_config* config, const char* ciphers) {
  const bool legacy = ciphers != nullptr && (same(ciphers, "legacy") || same(ciphers, "all") ||
                                             same(ciphers, "insecure"));
  if (ciphers == nullptr || same(ciphers, "default") || same(ciphers, "secure")) {
    ciphers = ciphers_secure;
  } else if (same(ciphers, "compat")) {
    ciphers = ciphers_compat;
  } else if (same(ciphers, "legacy")) {
    ciphers = ciphers_legacy;
  } else if (same(ciphers, "all") || same(ciphers, "insecure")) {
    ciphers = ciphers_all;
  }
  const ssl_ctx_ptr scratch{SSL_CTX_new(TLS_method())};
  if (!scratch) {
    config->error.setx("out of memory");
    ERR_clear_error();
    return -1;
  }
  if (SSL_CTX_set_cipher_list(scratch.get(), ciphers) != 1) {
    ERR_clear_error();
    config->error.setx("no ciphers for '%s'", ciphers);
    return -1;
  }
  config->ciphers = ciphers;
  config->legacy_ciphers = legacy;
  config->changed();
  return 0;
}

int tls_config_set_crl_file(tls_config* config, const char* crl_file) {
  bytes data;
  if (load_file(config->error, "CRL", crl_file, data) != 0) return -1;
  config->crl = std::move(data);
  config->changed();
  return 0;
}

int tls_config_set_crl_mem(tls_config* config, const std::uint8_t* crl, size_t len) {
  config->crl = crl != nullptr ? std::optional<bytes>{to_bytes(crl, len)} : std::nullopt;
  config->changed();
  return 0;
}

int tls_config_set_dheparams(tls_config* config, const char* params) {
  int value = 0;
  if (params == nullptr || same(params, "none")) {
    value = 0;
  } else if (same(params, "auto")) {
    value = -1;
  } else if (same(params, "legacy")) {
    value = 1024;
  } else {
    config->error.setx("invalid dhe param '%s'", params);
    return -1;
  }
  config->dheparams = value;
  config->changed();
  return 0;
}

int tls_config_set_ecdhecurve(tls_config* config, const char* curve) {
  if (curve == nullptr || same(curve, "none") || same(curve, "auto")) {
    curve = default_curves;
  } else if (std::strpbrk(curve, ",:") != nullptr) {
    config->error.setx("invalid ecdhe curve '%s'", curve);
    return -1;
  }
  return tls_config_set_ecdhecurves(config, curve);
}

int tls_config_set_ecdhecurves(tls_config* config, const char* curves) {
  if (curves == nullptr || same(curves, "default")) curves = default_curves;
  std::vector<int> nids;
  const bool ok = for_each_item(curves, ",:", [&](const std::string& name) {
    int nid = OBJ_sn2nid(name.c_str());
    if (nid == NID_undef) nid = OBJ_ln2nid(name.c_str());
    if (nid == NID_undef) nid = EC_curve_nist2nid(name.c_str());
    if (nid == NID_undef) {
      config->error.setx("invalid ecdhe curve '%s'", name.c_str());
      return false;
    }
    nids.push_back(nid);
    return true;
  });
  ERR_clear_error();
  if (!ok) return -1;
  config->groups = std::move(nids);
  config->changed();
  return 0;
}

int tls_config_set_key_file(tls_config* config, const char* key_file) {
  return set_key_file(config, config->default_keypair(), key_file);
}

int tls_config_set_key_mem(tls_config* config, const std::uint8_t* key, size_t len) {
  keypair_data& kp = config->default_keypair();
  kp.clear_key();
  if (key != nullptr) kp.key = to_bytes(key, len);
  config->changed();
  return 0;
}

int tls_config_set_keypair_file(tls_config* config, const char* cert_file, const char* key_file) {
  return tls_config_set_keypair_ocsp_file(config, cert_file, key_file, nullptr);
}

int tls_config_set_keypair_mem(tls_config* config, const std::uint8_t* cert, size_t cert_len,
                               const std::uint8_t* key, size_t key_len) {
  return tls_config_set_keypair_ocsp_mem(config, cert, cert_len, key, key_len, nullptr, 0);
}

int tls_config_set_keypair_ocsp_file(tls_config* config, const char* cert_file,
                                     const char* key_file, const char* staple_file) {
  keypair_data& kp = config->default_keypair();
  if (set_cert_file(config, kp, cert_file) != 0) return -1;
  if (set_key_file(config, kp, key_file) != 0) return -1;
  if (staple_file != nullptr && set_staple_file(config, kp, staple_file) != 0) return -1;
  return 0;
}

int tls_config_set_keypair_ocsp_mem(tls_config* config, const std::uint8_t* cert, size_t cert_len,
                                    const std::uint8_t* key, size_t key_len,
                                    const std::uint8_t* staple, size_t staple_len) {
  keypair_data& kp = config->default_keypair();
  if (set_cert(config, kp, cert, cert_len) != 0) return -1;
  if (tls_config_set_key_mem(config, key, key_len) != 0) return -1;
  if (staple != nullptr) tls_config_set_ocsp_staple_mem(config, staple, staple_len);
  return 0;
}

int tls_config_add_keypair_file(tls_config* config, const char* cert_file, const char* key_file) {
  return add_keypair_files(config, cert_file, key_file, nullptr);
}

int tls_config_add_keypair_mem(tls_config* config, const std::uint8_t* cert, size_t cert_len,
                               const std::uint8_t* key, size_t key_len) {
  return add_keypair(config, cert, cert_len, key, key_len, nullptr, 0);
}

int tls_config_add_keypair_ocsp_file(tls_config* config, const char* cert_file,
                                     const char* key_file, const char* staple_file) {
  return add_keypair_files(config, cert_file, key_file, staple_file);
}

int tls_config_add_keypair_ocsp_mem(tls_config* config, const std::uint8_t* cert, size_t cert_len,
                                    const std::uint8_t* key, size_t key_len,
                                    const std::uint8_t* staple, size_t staple_len) {
  return add_keypair(config, cert, cert_len, key, key_len, staple, staple_len);
}

int tls_config_set_ocsp_staple_file(tls_config* config, const char* staple_file) {
  return set_staple_file(config, config->default_keypair(), staple_file);
}

int tls_config_set_ocsp_staple_mem(tls_config* config, const std::uint8_t* staple, size_t len) {
  keypair_data& kp = config->default_keypair();
  kp.ocsp_staple = staple != nullptr ? std::optional<bytes>{to_bytes(staple, len)} : std::nullopt;
  config->changed();
  return 0;
}

int tls_config_set_protocols(tls_config* config, std::uint32_t protocols) {
  config->protocols = protocols;
  config->changed();
  return 0;
}

int tls_config_set_session_fd(tls_config* config, int session_fd) {
  if (session_fd == -1) {
    config->session_fd = -1;
    return 0;
  }
  struct stat st {};
  if (::fstat(session_fd, &st) != 0) {
    config->error.set_errno("failed to stat session file");
    return -1;
  }
  if (!S_ISREG(st.st_mode)) {
    config->error.setx("session file is not a regular file");
    return -1;
  }
  if (st.st_uid != ::getuid()) {
    config->error.setx("session file has incorrect owner (uid %u != %u)",
                       static_cast<unsigned>(st.st_uid), static_cast<unsigned>(::getuid()));
    return -1;
  }
  const mode_t mode = st.st_mode & (S_IRWXU | S_IRWXG | S_IRWXO);
  if (mode != (S_IRUSR | S_IWUSR)) {
    config->error.setx("session file has incorrect permissions (%o != 600)",
                       static_cast<unsigned>(mode));
    return -1;
  }
  config->session_fd = session_fd;
  return 0;
}

int tls_config_set_verify_depth(tls_config* config, int verify_depth) {
  config->verify_depth = verify_depth;
  config->changed();
  return 0;
}

void tls_config_prefer_ciphers_client(tls_config* config) {
  config->ciphers_server = false;
  config->changed();
}

void tls_config_prefer_ciphers_server(tls_config* config) {
  config->ciphers_server = true;
  config->changed();
}

void tls_config_insecure_noverifycert(tls_config* config) {
  config->verify_cert = false;
  config->changed();
}

void tls_config_insecure_noverifyname(tls_config* config) {
  config->verify_name = false;
  config->changed();
}

void tls_config_insecure_noverifytime(tls_config* config) {
  config->verify_time = false;
  config->changed();
}

void tls_config_verify(tls_config* config) {
  config->verify_cert = true;
  config->verify_name = true;
  config->verify_time = true;
  config->changed();
}

void tls_config_ocsp_require_stapling(tls_config* config) {
  config->ocsp_require_stapling = true;
  config->changed();
}

void tls_config_verify_client(tls_config* config) {
  config->verify_client = 1;
  config->changed();
}

void tls_config_verify_client_optional(tls_config* config) {
  config->verify_client = 2;
  config->changed();
}

int tls_config_set_session_id(tls_config* config, const unsigned char* session_id, size_t len) {
  if (len > TLS_MAX_SESSION_ID_LENGTH) {
    config->error.setx("session ID too large");
    return -1;
  }
  config->session_id.fill(0);
  if (len != 0) std::memcpy(config->session_id.data(), session_id, len);
  config->changed();
  return 0;
}

int tls_config_set_session_lifetime(tls_config* config, int lifetime) {
  if (lifetime > max_session_lifetime) {
    config->error.setx("session lifetime too large");
    return -1;
  }
  if (lifetime != 0 && lifetime < min_session_lifetime) {
    config->error.setx("session lifetime too small");
    return -1;
  }
  config->session_lifetime = lifetime;
  config->changed();
  return 0;
}
