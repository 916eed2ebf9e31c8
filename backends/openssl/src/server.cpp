// SPDX-License-Identifier: ISC
// Servers: the shared server SSL_CTX with every identity, SNI, ALPN,
// accepting, and the server side of the handshake.
#include "internal.hpp"

namespace tlspp_openssl {
namespace {

/// SNI: presents the first extra keypair whose certificate is valid for the
/// name the client asked for; the default one otherwise.
int servername_callback(SSL* ssl, int* alert, void* /*arg*/) {
  ::tls* conn = owner_of(ssl);
  if (conn == nullptr || !conn->server) {
    *alert = SSL_AD_INTERNAL_ERROR;
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  // Called without SNI too. An IP address is not a valid SNI name (RFC 6066,
  // section 3), but some clients send one: behave as if they had not.
  if (name == nullptr || is_ip_literal(name)) return SSL_TLSEXT_ERR_NOACK;
  conn->servername = name;
  const auto& ids = conn->server->identities;
  for (std::size_t i = 1; i < ids.size(); ++i) {
    if (!cert_matches_name(ids[i].cert.get(), name)) continue;
    // Replace the whole certificate set, so that no slot of the default
    // identity (another key type) stays selectable.
    SSL_certs_clear(ssl);
    if (SSL_use_cert_and_key(ssl, ids[i].cert.get(), ids[i].key.get(), ids[i].chain.get(), 1) !=
        1) {
      ERR_clear_error();
      *alert = SSL_AD_INTERNAL_ERROR;
      return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    conn->identity = &ids[i];
    return SSL_TLSEXT_ERR_OK;
  }
  return SSL_TLSEXT_ERR_OK;
}

/// ALPN: the server's first protocol the client also offers. No protocol in
/// common fails the handshake with no_application_protocol (RFC 7301,
/// section 3.2), as LibreSSL does.
int alpn_callback(SSL* ssl, const unsigned char** out, unsigned char* outlen,
                  const unsigned char* in, unsigned int inlen, void* /*arg*/) {
  ::tls* conn = owner_of(ssl);
  if (conn == nullptr || !conn->server || conn->server->alpn.empty()) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  const bytes& mine = conn->server->alpn;
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, mine.data(), static_cast<unsigned int>(mine.size()),
                            in, inlen) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

std::shared_ptr<const built_server> build_server(::tls* ctx) {
  tls_config& config = *ctx->config;
  auto built = std::make_shared<built_server>();
  built->ctx.reset(SSL_CTX_new(TLS_server_method()));
  SSL_CTX* ssl_ctx = built->ctx.get();
  if (ssl_ctx == nullptr) {
    ERR_clear_error();
    ctx->error.setx("ssl context failure");
    return nullptr;
  }
  // Client-initiated renegotiation stays refused (OpenSSL 3's default).
  if (configure_common(ctx, ssl_ctx) != 0) return nullptr;

  built->identities.resize(config.keypairs.size());
  for (std::size_t i = 0; i < config.keypairs.size(); ++i) {
    if (load_identity(ctx, *config.keypairs[i], built->identities[i]) != 0) return nullptr;
  }
  if (use_identity(ctx, ssl_ctx, built->identities.front()) != 0) return nullptr;

  if (config.verify_client != 0) {
    int mode = SSL_VERIFY_PEER;
    if (config.verify_client == 1) mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    if (configure_verify(ctx, ssl_ctx, mode) != 0) return nullptr;
  }
  SSL_CTX_set_tlsext_servername_callback(ssl_ctx, servername_callback);
  if (config.alpn) {
    built->alpn = *config.alpn;
    SSL_CTX_set_alpn_select_cb(ssl_ctx, alpn_callback, nullptr);
  }
  if (config.dheparams != 0) SSL_CTX_set_dh_auto(ssl_ctx, 1);
  if (config.ciphers_server) SSL_CTX_set_options(ssl_ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_tlsext_status_cb(ssl_ctx, ocsp_server_callback);
  if (configure_server_sessions(ctx, ssl_ctx) != 0) return nullptr;
  built->resumable = config.session_lifetime > 0;
  return built;
}

}  // namespace

int configure_server(::tls* ctx) {
  tls_config& config = *ctx->config;
  const std::scoped_lock lock{config.build_mutex};
  if (!config.server || config.server_generation != config.generation) {
    auto built = build_server(ctx);
    if (!built) return -1;
    config.server = std::move(built);
    config.server_generation = config.generation;
  }
  ctx->server = config.server;
  return 0;
}

int server_handshake(::tls* ctx) {
  if ((ctx->flags & server_conn) == 0) {
    ctx->error.setx("not a server connection context");
    return -1;
  }
  ctx->state |= needs_shutdown;
  ERR_clear_error();
  clear_wants(ctx->ssl.get());
  const int r = SSL_accept(ctx->ssl.get());
  if (r != 1) return ssl_failure(ctx, r, "handshake");
  ctx->state |= handshake_complete;
  if (ctx->server->resumable && SSL_version(ctx->ssl.get()) == TLS1_3_VERSION) {
    ctx->state |= ticket_pending;
  }
  return 0;
}

}  // namespace tlspp_openssl

using namespace tlspp_openssl;

namespace {

::tls* accept_common(::tls* ctx) {
  if ((ctx->flags & server) == 0) {
    ctx->error.setx("not a server context");
    return nullptr;
  }
  if (!ctx->server) {
    ctx->error.setx("server not configured");
    return nullptr;
  }
  std::unique_ptr<::tls, decltype(&tls_free)> conn{new_context(server_conn), tls_free};
  if (!conn) {
    ctx->error.setx("connection context failure");
    return nullptr;
  }
  attach_config(conn.get(), ctx->config);
  conn->server = ctx->server;
  conn->identity = &ctx->server->identities.front();
  conn->ssl.reset(SSL_new(ctx->server->ctx.get()));
  if (!conn->ssl) {
    ERR_clear_error();
    ctx->error.setx("ssl failure");
    return nullptr;
  }
  SSL_set_app_data(conn->ssl.get(), conn.get());
  return conn.release();
}

}  // namespace

::tls* tls_server(void) { return new_context(server); }

int tls_accept_socket(::tls* ctx, ::tls** cctx, int s) { return tls_accept_fds(ctx, cctx, s, s); }

int tls_accept_fds(::tls* ctx, ::tls** cctx, int fd_read, int fd_write) {
  *cctx = nullptr;
  ::tls* conn = accept_common(ctx);
  if (conn == nullptr) return -1;
  if (SSL_set_rfd(conn->ssl.get(), fd_read) != 1 || SSL_set_wfd(conn->ssl.get(), fd_write) != 1) {
    ERR_clear_error();
    ctx->error.setx("ssl file descriptor failure");
    tls_free(conn);
    return -1;
  }
  *cctx = conn;
  return 0;
}

int tls_accept_cbs(::tls* ctx, ::tls** cctx, tls_read_cb read_cb, tls_write_cb write_cb,
                   void* cb_arg) {
  *cctx = nullptr;
  ::tls* conn = accept_common(ctx);
  if (conn == nullptr) return -1;
  if (set_callbacks(conn, read_cb, write_cb, cb_arg) != 0) {
    ctx->error.setx("%s", conn->error.message() != nullptr ? conn->error.message() : "callbacks");
    tls_free(conn);
    return -1;
  }
  *cctx = conn;
  return 0;
}
