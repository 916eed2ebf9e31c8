// SPDX-License-Identifier: ISC
// What a completed handshake negotiated, and the peer's certificate, kept
// so that the tls_conn_* and tls_peer_cert_* calls only read. The peer
// certificate's hash and its chain in PEM cost as much as a tenth of a
// resumed handshake, and few callers ask: they are made on the first call
// that does.
#include "internal.hpp"

namespace tlspp_openssl {
namespace {

std::optional<std::string> name_text(const X509_NAME* name) {
  if (name == nullptr) return std::nullopt;
  char* text = X509_NAME_oneline(name, nullptr, 0);
  if (text == nullptr) return std::nullopt;
  std::string s{text};
  OPENSSL_free(text);
  return s;
}

/// The peer's certificate followed by the rest of its chain, in PEM.
bool chain_pem(SSL* ssl, X509* peer, bytes& out) {
  const bio_ptr bio{BIO_new(BIO_s_mem())};
  if (!bio || PEM_write_bio_X509(bio.get(), peer) != 1) return false;
  // A client's chain starts with the peer's certificate, a server's does not.
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl);
  for (int i = 0; i < sk_X509_num(chain); ++i) {
    X509* c = sk_X509_value(chain, i);
    if (X509_cmp(c, peer) != 0 && PEM_write_bio_X509(bio.get(), c) != 1) return false;
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  if (len < 0) return false;
  out.assign(data, data + len);
  return true;
}

}  // namespace

int populate_conninfo(::tls* ctx) {
  SSL* ssl = ctx->ssl.get();
  auto info = std::make_unique<conninfo>();
  const unsigned char* alpn = nullptr;
  unsigned int alpn_len = 0;
  SSL_get0_alpn_selected(ssl, &alpn, &alpn_len);
  if (alpn_len > 0) info->alpn.emplace(reinterpret_cast<const char*>(alpn), alpn_len);
  const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl);
  if (cipher == nullptr) {
    ctx->error.setx("no cipher negotiated");
    return -1;
  }
  info->cipher = SSL_CIPHER_get_name(cipher);
  info->cipher_strength = SSL_CIPHER_get_bits(cipher, nullptr);
  info->servername = ctx->servername;
  info->session_resumed = SSL_session_reused(ssl) == 1;
  info->version = SSL_get_version(ssl);
  if (X509* peer = ctx->peer_cert.get()) {
    info->subject = name_text(X509_get_subject_name(peer));
    info->issuer = name_text(X509_get_issuer_name(peer));
    info->notbefore = to_time_t(X509_get0_notBefore(peer));
    info->notafter = to_time_t(X509_get0_notAfter(peer));
    if (!info->subject || !info->issuer || info->notbefore == -1 || info->notafter == -1) {
      ERR_clear_error();
      ctx->error.setx("failed to read the peer certificate");
      return -1;
    }
  }
  ctx->info = std::move(info);
  return 0;
}

}  // namespace tlspp_openssl

using namespace tlspp_openssl;

namespace {
const char* c_str(const std::optional<std::string>& s) { return s ? s->c_str() : nullptr; }
}  // namespace

const char* tls_conn_alpn_selected(::tls* ctx) {
  return ctx->info ? c_str(ctx->info->alpn) : nullptr;
}

const char* tls_conn_cipher(::tls* ctx) { return ctx->info ? ctx->info->cipher.c_str() : nullptr; }

int tls_conn_cipher_strength(::tls* ctx) { return ctx->info ? ctx->info->cipher_strength : 0; }

const char* tls_conn_servername(::tls* ctx) {
  return ctx->info ? c_str(ctx->info->servername) : nullptr;
}

int tls_conn_session_resumed(::tls* ctx) { return ctx->info && ctx->info->session_resumed; }

const char* tls_conn_version(::tls* ctx) {
  return ctx->info ? ctx->info->version.c_str() : nullptr;
}

const char* tls_peer_cert_hash(::tls* ctx) {
  if (!ctx->peer_cert || !ctx->info) return nullptr;
  conninfo& info = *ctx->info;
  if (!info.hash) {
    info.hash = cert_hash(ctx->peer_cert.get());
    if (!info.hash) ERR_clear_error();
  }
  return c_str(info.hash);
}

const char* tls_peer_cert_issuer(::tls* ctx) {
  return ctx->info ? c_str(ctx->info->issuer) : nullptr;
}

const char* tls_peer_cert_subject(::tls* ctx) {
  return ctx->info ? c_str(ctx->info->subject) : nullptr;
}

time_t tls_peer_cert_notbefore(::tls* ctx) {
  return ctx->peer_cert && ctx->info ? ctx->info->notbefore : -1;
}

time_t tls_peer_cert_notafter(::tls* ctx) {
  return ctx->peer_cert && ctx->info ? ctx->info->notafter : -1;
}

const std::uint8_t* tls_peer_cert_chain_pem(::tls* ctx, size_t* len) {
  if (!ctx->peer_cert || !ctx->info) return nullptr;
  conninfo& info = *ctx->info;
  if (info.peer_chain_pem.empty() &&
      !chain_pem(ctx->ssl.get(), ctx->peer_cert.get(), info.peer_chain_pem)) {
    ERR_clear_error();
    info.peer_chain_pem.clear();
    return nullptr;
  }
  *len = info.peer_chain_pem.size();
  return info.peer_chain_pem.data();
}
