// SPDX-License-Identifier: ISC
// OCSP: a server staples its keypair's response; a client checks a stapled
// response (signature, status, freshness) with OpenSSL's OCSP functions, and
// can require one; tls_ocsp_process_response checks a response the caller
// fetched itself.
#include "internal.hpp"

namespace tlspp_openssl {
namespace {

constexpr long max_age = 14L * 24 * 60 * 60;  // how old thisUpdate may be
constexpr long clock_skew = 60;

/// The certificate ID of `cert`, with its issuer from the peer's chain or
/// else from the trust store.
ocsp_certid_ptr cert_id(X509* cert, STACK_OF(X509) * chain, SSL_CTX* ssl_ctx) {
  const X509_NAME* issuer_name = X509_get_issuer_name(cert);
  if (chain != nullptr) {
    if (X509* issuer = X509_find_by_subject(chain, const_cast<X509_NAME*>(issuer_name))) {
      return ocsp_certid_ptr{OCSP_cert_to_id(nullptr, cert, issuer)};
    }
  }
  const store_ctx_ptr store{X509_STORE_CTX_new()};
  if (!store ||
      X509_STORE_CTX_init(store.get(), SSL_CTX_get_cert_store(ssl_ctx), cert, chain) != 1) {
    return nullptr;
  }
  X509_OBJECT* obj = X509_STORE_CTX_get_obj_by_subject(store.get(), X509_LU_X509,
                                                       const_cast<X509_NAME*>(issuer_name));
  if (obj == nullptr) return nullptr;
  ocsp_certid_ptr id{OCSP_cert_to_id(nullptr, cert, X509_OBJECT_get0_X509(obj))};
  X509_OBJECT_free(obj);
  return id;
}

int verify_response(::tls* ctx, OCSP_RESPONSE* response) {
  SSL* ssl = ctx->ssl.get();
  ocsp_result result;
  result.response_status = OCSP_response_status(response);
  if (result.response_status != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
    result.message = OCSP_response_status_str(result.response_status);
    ctx->ocsp->result = result;
    ctx->error.setx("ocsp verify failed: response - %s", result.message.c_str());
    return -1;
  }
  const ocsp_basic_ptr basic{OCSP_response_get1_basic(response)};
  if (!basic) {
    ERR_clear_error();
    ctx->error.setx("cannot load ocsp reply");
    return -1;
  }
  X509* peer = SSL_get0_peer_certificate(ssl);
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl);
  if (peer == nullptr) {
    ctx->error.setx("no peer certificate for OCSP");
    return -1;
  }
  // The chain was verified with the handshake; the responder must chain to
  // a trusted root through it.
  if (OCSP_basic_verify(basic.get(), chain, SSL_CTX_get_cert_store(SSL_get_SSL_CTX(ssl)),
                        OCSP_TRUSTOTHER) != 1) {
    ctx->error.setx("ocsp verify failed: %s", take_openssl_error("bad signature").c_str());
    return -1;
  }
  const ocsp_certid_ptr id = cert_id(peer, chain, SSL_get_SSL_CTX(ssl));
  if (!id) {
    ERR_clear_error();
    ctx->error.setx("ocsp verify failed: no issuer cert");
    return -1;
  }
  ASN1_GENERALIZEDTIME* revoked_at = nullptr;
  ASN1_GENERALIZEDTIME* this_update = nullptr;
  ASN1_GENERALIZEDTIME* next_update = nullptr;
  if (OCSP_resp_find_status(basic.get(), id.get(), &result.cert_status, &result.crl_reason,
                            &revoked_at, &this_update, &next_update) != 1) {
    ERR_clear_error();
    ctx->error.setx("ocsp verify failed: no result for cert");
    return -1;
  }
  if (OCSP_check_validity(this_update, next_update, clock_skew, max_age) != 1) {
    ERR_clear_error();
    ctx->error.setx("ocsp verify failed: ocsp response not current");
    return -1;
  }
  result.message = result.cert_status == V_OCSP_CERTSTATUS_REVOKED
                       ? OCSP_crl_reason_str(result.crl_reason)
                       : OCSP_cert_status_str(result.cert_status);
  result.revocation_time = revoked_at != nullptr ? to_time_t(revoked_at) : -1;
  result.this_update = this_update != nullptr ? to_time_t(this_update) : -1;
  result.next_update = next_update != nullptr ? to_time_t(next_update) : -1;
  ctx->ocsp->result = result;
  if (result.cert_status == V_OCSP_CERTSTATUS_REVOKED) {
    ctx->error.setx("ocsp verify failed: revoked cert - %s",
                    OCSP_crl_reason_str(result.crl_reason));
    return -1;
  }
  return 0;
}

}  // namespace

std::unique_ptr<ocsp_state> ocsp_from_peer(::tls* ctx) {
  X509* peer = SSL_get0_peer_certificate(ctx->ssl.get());
  if (peer == nullptr) return nullptr;
  auto state = std::make_unique<ocsp_state>();
  if (const string_stack_ptr urls{X509_get1_ocsp(peer)};
      urls && sk_OPENSSL_STRING_num(urls.get()) > 0) {
    state->url = sk_OPENSSL_STRING_value(urls.get(), 0);
  }
  return state;
}

int process_ocsp_response(::tls* ctx, const unsigned char* der, std::size_t len) {
  const unsigned char* p = der;
  const ocsp_response_ptr response{d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(len))};
  if (!response) {
    ERR_clear_error();
    ctx->error.setx("unable to parse OCSP response");
    return -1;
  }
  if (!ctx->ocsp) ctx->ocsp = ocsp_from_peer(ctx);
  if (!ctx->ocsp) {
    ctx->error.setx("no peer certificate for OCSP");
    return -1;
  }
  return verify_response(ctx, response.get());
}

int ocsp_client_callback(SSL* ssl, void* /*arg*/) {
  ::tls* ctx = owner_of(ssl);
  if (ctx == nullptr) return -1;
  // A resumed handshake presents no certificate, so nothing is stapled; the
  // staple was checked when the session was made. (OpenSSL asks anyway in
  // TLS 1.3, which would fail every resumption under ocsp_require_stapling.)
  if (SSL_session_reused(ssl) == 1) return 1;
  const unsigned char* der = nullptr;
  const long len = SSL_get_tlsext_status_ocsp_resp(ssl, &der);
  if (len <= 0 || der == nullptr) {
    if (ctx->config->ocsp_require_stapling) {
      ctx->error.setx("no stapled OCSP response provided");
      return 0;
    }
    return 1;
  }
  ctx->ocsp = ocsp_from_peer(ctx);
  // Without a verified chain, or a clock, there is nothing to judge it by.
  if (!ctx->config->verify_cert || !ctx->config->verify_time) return 1;
  return process_ocsp_response(ctx, der, static_cast<std::size_t>(len)) == 0 ? 1 : 0;
}

int ocsp_server_callback(SSL* ssl, void* /*arg*/) {
  const ::tls* conn = owner_of(ssl);
  if (conn == nullptr) return SSL_TLSEXT_ERR_ALERT_FATAL;
  if (conn->identity == nullptr || conn->identity->ocsp_staple.empty()) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  const bytes& staple = conn->identity->ocsp_staple;
  // OpenSSL takes ownership of the copy.
  auto* copy = static_cast<unsigned char*>(OPENSSL_memdup(staple.data(), staple.size()));
  if (copy == nullptr ||
      SSL_set_tlsext_status_ocsp_resp(ssl, copy, static_cast<long>(staple.size())) != 1) {
    OPENSSL_free(copy);
    ERR_clear_error();
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace tlspp_openssl

using namespace tlspp_openssl;

int tls_ocsp_process_response(::tls* ctx, const unsigned char* response, size_t size) {
  if ((ctx->state & handshake_complete) == 0) return -1;
  return process_ocsp_response(ctx, response, size);
}

namespace {
const ocsp_result* result_of(const ::tls* ctx) {
  return ctx->ocsp && ctx->ocsp->result ? &*ctx->ocsp->result : nullptr;
}
}  // namespace

const char* tls_peer_ocsp_url(::tls* ctx) {
  return ctx->ocsp && !ctx->ocsp->url.empty() ? ctx->ocsp->url.c_str() : nullptr;
}

const char* tls_peer_ocsp_result(::tls* ctx) {
  const ocsp_result* r = result_of(ctx);
  return r != nullptr ? r->message.c_str() : nullptr;
}

int tls_peer_ocsp_response_status(::tls* ctx) {
  const ocsp_result* r = result_of(ctx);
  return r != nullptr ? r->response_status : -1;
}

int tls_peer_ocsp_cert_status(::tls* ctx) {
  const ocsp_result* r = result_of(ctx);
  return r != nullptr ? r->cert_status : -1;
}

int tls_peer_ocsp_crl_reason(::tls* ctx) {
  const ocsp_result* r = result_of(ctx);
  return r != nullptr ? r->crl_reason : -1;
}

time_t tls_peer_ocsp_this_update(::tls* ctx) {
  const ocsp_result* r = result_of(ctx);
  return r != nullptr ? r->this_update : -1;
}

time_t tls_peer_ocsp_next_update(::tls* ctx) {
  const ocsp_result* r = result_of(ctx);
  return r != nullptr ? r->next_update : -1;
}

time_t tls_peer_ocsp_revocation_time(::tls* ctx) {
  const ocsp_result* r = result_of(ctx);
  return r != nullptr ? r->revocation_time : -1;
}
