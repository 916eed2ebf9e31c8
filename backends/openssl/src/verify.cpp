// SPDX-License-Identifier: ISC
// Verification: trust anchors and CRLs, the chain check, and the name
// checks. OpenSSL does all the checking (X509_verify_cert with the host or
// IP address set on the SSL's verify parameters, X509_check_host,
// X509_check_ip_asc); this file only configures it and words its verdict.
#include <arpa/inet.h>

#include "internal.hpp"

namespace tlspp_openssl {
namespace {

/// Adds every certificate (or CRL) in the PEM `data` to `store`; the
/// number added, or -1.
int add_pem_to_store(X509_STORE* store, const bytes& data, bool crls) {
  const bio_ptr bio = memory_bio(data.data(), data.size());
  if (!bio) return -1;
  const info_stack_ptr infos{
      PEM_X509_INFO_read_bio(bio.get(), nullptr, password_callback, nullptr)};
  if (!infos) return -1;
  int added = 0;
  for (int i = 0; i < sk_X509_INFO_num(infos.get()); ++i) {
    const X509_INFO* info = sk_X509_INFO_value(infos.get(), i);
    if (crls && info->crl != nullptr) {
      if (X509_STORE_add_crl(store, info->crl) != 1) return -1;
      ++added;
    } else if (!crls && info->x509 != nullptr) {
      settle(info->x509);
      if (X509_STORE_add_cert(store, info->x509) != 1) return -1;
      ++added;
    }
  }
  return added;
}

int verify_callback(X509_STORE_CTX* store, void* /*arg*/) {
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  ::tls* ctx = ssl != nullptr ? owner_of(ssl) : nullptr;
  if (ctx == nullptr) return 0;
  if (!ctx->config->verify_cert) return 1;  // insecure_noverifycert

  if (X509_verify_cert(store) < 0) {
    ERR_clear_error();
    ctx->error.setx("X509 verify cert failed");
    return 0;
  }
  const int err = X509_STORE_CTX_get_error(store);
  if (err == X509_V_OK) return 1;
  ERR_clear_error();
  if ((err == X509_V_ERR_HOSTNAME_MISMATCH || err == X509_V_ERR_IP_ADDRESS_MISMATCH) &&
      ctx->servername) {
    ctx->error.setx("name `%s' not present in server certificate", ctx->servername->c_str());
  } else if (SSL_is_server(ssl) == 1) {
    ctx->error.setx("client certificate verify failed: %s", X509_verify_cert_error_string(err));
  } else {
    ctx->error.setx("certificate verification failed: %s", X509_verify_cert_error_string(err));
  }
  return 0;
}

}  // namespace

bool is_ip_literal(const char* name) {
  unsigned char addr[16];
  return ::inet_pton(AF_INET, name, addr) == 1 || ::inet_pton(AF_INET6, name, addr) == 1;
}

bool cert_matches_name(X509* cert, const char* name) {
  // libtls's rule for wildcards: only a whole leftmost label ("*.example.com").
  const bool match =
      is_ip_literal(name)
          ? X509_check_ip_asc(cert, name, 0) == 1
          : X509_check_host(cert, name, 0, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, nullptr) == 1;
  ERR_clear_error();
  return match;
}

int configure_verify(::tls* ctx, SSL_CTX* ssl_ctx, int mode) {
  const tls_config& config = *ctx->config;
  SSL_CTX_set_verify(ssl_ctx, mode, nullptr);
  SSL_CTX_set_cert_verify_callback(ssl_ctx, verify_callback, nullptr);
  if (config.verify_depth >= 0) SSL_CTX_set_verify_depth(ssl_ctx, config.verify_depth);
  if (!config.verify_cert) return 0;

  X509_STORE* store = SSL_CTX_get_cert_store(ssl_ctx);
  // A CA set that trusts nothing is a mistake in the config: say so here
  // rather than let every handshake fail.
  const auto add_trust = [&](const bytes& pem) {
    const int added = add_pem_to_store(store, pem, false);
    if (added > 0) return 0;
    ctx->error.setx("ssl verify memory setup failure: %s",
                    added < 0 ? take_openssl_error().c_str() : "no CA certificate in it");
    return -1;
  };
  if (config.ca) {
    if (add_trust(*config.ca) != 0) return -1;
  } else if (config.ca_path) {
    if (SSL_CTX_load_verify_locations(ssl_ctx, nullptr, config.ca_path->c_str()) != 1) {
      ctx->error.setx("ssl verify locations failure: %s", take_openssl_error().c_str());
      return -1;
    }
  } else {
    // No trust given: the system's CA file, as libtls does.
    bytes ca;
    if (load_file(ctx->error, "CA", tls_default_ca_cert_file(), ca) != 0) return -1;
    if (add_trust(ca) != 0) return -1;
  }

  if (config.crl) {
    if (add_pem_to_store(store, *config.crl, true) < 0) {
      ctx->error.setx("failed to parse crl: %s", take_openssl_error().c_str());
      return -1;
    }
    X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
  }
  return 0;
}

int check_server_name(::tls* ctx) {
  X509* cert = SSL_get0_peer_certificate(ctx->ssl.get());
  if (cert == nullptr) {
    ctx->error.setx("no server certificate");
    return -1;
  }
  if (!ctx->servername || !cert_matches_name(cert, ctx->servername->c_str())) {
    ctx->error.setx("name `%s' not present in server certificate",
                    ctx->servername ? ctx->servername->c_str() : "");
    return -1;
  }
  return 0;
}

}  // namespace tlspp_openssl

using namespace tlspp_openssl;

int tls_peer_cert_provided(::tls* ctx) { return ctx->peer_cert != nullptr ? 1 : 0; }

int tls_peer_cert_contains_name(::tls* ctx, const char* name) {
  if (ctx->peer_cert == nullptr || name == nullptr) return 0;
  return cert_matches_name(ctx->peer_cert.get(), name) ? 1 : 0;
}
