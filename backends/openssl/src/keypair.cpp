// SPDX-License-Identifier: ISC
// Keypairs: from the config's PEM to OpenSSL objects, once per built
// SSL_CTX.
#include "internal.hpp"

namespace tlspp_openssl {

int load_identity(::tls* ctx, const keypair_data& kp, identity& out) {
  if (!kp.cert) {
    ctx->error.setx("no certificate");
    return -1;
  }
  const bio_ptr certs = memory_bio(kp.cert->data(), kp.cert->size());
  if (!certs) {
    ctx->error.setx("certificate too long");
    return -1;
  }
  out.cert.reset(PEM_read_bio_X509_AUX(certs.get(), nullptr, password_callback, nullptr));
  if (!out.cert) {
    ctx->error.setx("failed to load certificate: %s", take_openssl_error().c_str());
    return -1;
  }
  settle(out.cert.get());
  // The rest of the PEM is the chain, up to the end of the data.
  out.chain.reset(sk_X509_new_null());
  while (x509_ptr extra{PEM_read_bio_X509(certs.get(), nullptr, password_callback, nullptr)}) {
    settle(extra.get());
    if (!out.chain || sk_X509_push(out.chain.get(), extra.get()) == 0) {
      ctx->error.setx("out of memory");
      return -1;
    }
    extra.release();  // the stack owns it now
  }
  const unsigned long end = ERR_peek_last_error();
  if (ERR_GET_LIB(end) != ERR_LIB_PEM || ERR_GET_REASON(end) != PEM_R_NO_START_LINE) {
    ctx->error.setx("failed to load certificate chain: %s", take_openssl_error().c_str());
    return -1;
  }
  ERR_clear_error();

  if (!kp.key) {
    ctx->error.setx("missing private key");
    return -1;
  }
  const bio_ptr key = memory_bio(kp.key->data(), kp.key->size());
  if (!key) {
    ctx->error.setx("key too long");
    return -1;
  }
  out.key.reset(PEM_read_bio_PrivateKey(key.get(), nullptr, password_callback, nullptr));
  if (!out.key) {
    ctx->error.setx("failed to read private key: %s", take_openssl_error().c_str());
    return -1;
  }
  if (X509_check_private_key(out.cert.get(), out.key.get()) != 1) {
    ERR_clear_error();
    ctx->error.setx("private/public key mismatch");
    return -1;
  }
  if (kp.ocsp_staple) out.ocsp_staple = *kp.ocsp_staple;
  return 0;
}

int use_identity(::tls* ctx, SSL_CTX* ssl_ctx, const identity& id) {
  if (SSL_CTX_use_certificate(ssl_ctx, id.cert.get()) != 1 ||
      (id.chain && SSL_CTX_set1_chain(ssl_ctx, id.chain.get()) != 1)) {
    ctx->error.setx("failed to load certificate: %s", take_openssl_error().c_str());
    return -1;
  }
  if (SSL_CTX_use_PrivateKey(ssl_ctx, id.key.get()) != 1) {
    ctx->error.setx("failed to load private key: %s", take_openssl_error().c_str());
    return -1;
  }
  return 0;
}

}  // namespace tlspp_openssl
