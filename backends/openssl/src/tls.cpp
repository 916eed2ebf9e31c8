// SPDX-License-Identifier: ISC
// Contexts: init, configure, reset and free; the handshake, read, write and
// close every context runs; how an OpenSSL failure becomes a libtls result.
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "internal.hpp"

namespace tlspp_openssl {
namespace {

tls_config* the_default_config = nullptr;
int init_result = -1;

void initialize() {
  if (OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG, nullptr) != 1) return;
  // Never freed: every context starts with it, and may fall back to it.
  the_default_config = make_config();
  if (the_default_config != nullptr) init_result = 0;
}

/// Sets "<what> failed: <why>" unless a more specific error (a verifier's,
/// a callback's) is already there.
void set_failure(::tls* ctx, const char* what, const std::string& why) {
  if (!ctx->error.is_set()) ctx->error.setx("%s failed: %s", what, why.c_str());
}

}  // namespace

::tls* new_context(std::uint32_t flags) {
  if (tls_init() != 0) return nullptr;
  auto ctx = std::make_unique<::tls>();
  if (attach_config(ctx.get(), nullptr) != 0) return nullptr;
  ctx->flags = flags;
  return ctx.release();
}

int attach_config(::tls* ctx, tls_config* config) {
  if (config == nullptr) config = the_default_config;
  config->refcount.fetch_add(1, std::memory_order_relaxed);
  tls_config_free(ctx->config);
  ctx->config = config;
  return 0;
}

int configure_common(::tls* ctx, SSL_CTX* ssl_ctx) {
  const tls_config& config = *ctx->config;
  // libtls reports every want to its caller, and lets a write complete in
  // parts and be retried from another buffer.
  SSL_CTX_clear_mode(ssl_ctx, SSL_MODE_AUTO_RETRY);
  SSL_CTX_set_mode(ssl_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);

  // OpenSSL takes a range of versions. A set with a gap (say all but TLS
  // 1.1) becomes its newest unbroken run, never the oldest: "all:!tlsv1.1"
  // means TLS 1.2 and 1.3, as with LibreSSL, not TLS 1.0 alone.
  struct version {
    std::uint32_t protocol;
    int openssl;
  };
  static constexpr version newest_first[] = {
      {TLS_PROTOCOL_TLSv1_3, TLS1_3_VERSION},
      {TLS_PROTOCOL_TLSv1_2, TLS1_2_VERSION},
      {TLS_PROTOCOL_TLSv1_1, TLS1_1_VERSION},
      {TLS_PROTOCOL_TLSv1_0, TLS1_VERSION},
  };
  int newest = 0;
  int oldest = 0;
  for (const version& v : newest_first) {
    if ((config.protocols & v.protocol) != 0) {
      if (newest == 0) newest = v.openssl;
      oldest = v.openssl;
    } else if (newest != 0) {
      break;  // the gap below the newest run
    }
  }
  if (newest == 0 || SSL_CTX_set_min_proto_version(ssl_ctx, oldest) != 1 ||
      SSL_CTX_set_max_proto_version(ssl_ctx, newest) != 1) {
    ERR_clear_error();
    ctx->error.setx("failed to set protocols");
    return -1;
  }
  // OpenSSL 3's default security level refuses TLS 1.0 and 1.1 outright
  // (their handshakes sign with SHA-1 or MD5). A config that enables them
  // and names a legacy cipher set has asked for legacy peers by name twice:
  // it gets security level 0, as libtls on LibreSSL would connect them.
  // Any other config keeps OpenSSL's default.
  if (oldest < TLS1_2_VERSION && config.legacy_ciphers) {
    SSL_CTX_set_security_level(ssl_ctx, 0);
  }

  if (config.alpn && SSL_CTX_set_alpn_protos(ssl_ctx, config.alpn->data(),
                                             static_cast<unsigned int>(config.alpn->size())) != 0) {
    ERR_clear_error();
    ctx->error.setx("failed to set alpn");
    return -1;
  }
  if (SSL_CTX_set_cipher_list(ssl_ctx, config.ciphers.c_str()) != 1) {
    ERR_clear_error();
    ctx->error.setx("failed to set ciphers");
    return -1;
  }
  if (!config.groups.empty() && SSL_CTX_set1_groups(ssl_ctx, config.groups.data(),
                                                    static_cast<int>(config.groups.size())) != 1) {
    ERR_clear_error();
    ctx->error.setx("failed to set ecdhe curves");
    return -1;
  }
  if (!config.verify_time) {
    X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(ssl_ctx), X509_V_FLAG_NO_CHECK_TIME);
  }
  // No resumption unless a role turns it on (session.cpp).
  SSL_CTX_set_session_cache_mode(ssl_ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ssl_ctx, SSL_OP_NO_TICKET);
  return 0;
}

int ssl_failure(::tls* ctx, int ssl_ret, const char* what) {
  SSL* ssl = ctx->ssl.get();
  // A want is the common case: tell it from OpenSSL's I/O state and the
  // BIO's retry flags (cleared before the call, so they are this call's I/O
  // asking to wait), without the error queue: OpenSSL leaves errors there
  // that did not fail the call (a ticket it could not decrypt). A want in
  // the other direction than OpenSSL's is a callback answering so (libtls
  // allows it), or the alert of a failure that could not be written; only
  // then does the queue decide.
  const int want = SSL_want(ssl);
  if (want == SSL_READING || want == SSL_WRITING) {
    BIO* bio = want == SSL_READING ? SSL_get_rbio(ssl) : SSL_get_wbio(ssl);
    if (BIO_should_read(bio) && (want == SSL_READING || ERR_peek_error() == 0)) {
      return TLS_WANT_POLLIN;
    }
    if (BIO_should_write(bio) && (want == SSL_WRITING || ERR_peek_error() == 0)) {
      return TLS_WANT_POLLOUT;
    }
  }

  const bool complete = (ctx->state & handshake_complete) != 0;
  switch (SSL_get_error(ssl, ssl_ret)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      // OpenSSL still says it waits, but no I/O of this call asked to: it
      // is stuck where an earlier call left it (one seen: a handshake that
      // failed while its alert was waiting to be written). Waiting would
      // repeat this call forever.
      ERR_clear_error();
      set_failure(ctx, what, "the connection cannot make progress (an earlier failure)");
      return -1;
    case SSL_ERROR_ZERO_RETURN:
      ERR_clear_error();
      if (complete || std::strcmp(what, "shutdown") == 0) return 0;
      // OpenSSL calls this a clean end; before the handshake completed it
      // is a failed handshake.
      set_failure(ctx, what, "the peer sent close_notify before the handshake completed");
      return -1;
    case SSL_ERROR_SYSCALL:
      if (ERR_peek_error() != 0) {
        set_failure(ctx, what, take_openssl_error());
      } else if (ssl_ret == 0 || ctx->read_eof || (ctx->read_cb == nullptr && errno == 0)) {
        // The transport ended (OpenSSL 3 may say so with -1 and no errno).
        if (complete) {
          ctx->state |= eof_no_close_notify;
          return 0;
        }
        set_failure(ctx, what, "unexpected EOF");
      } else {
        set_failure(ctx, what, errno != 0 ? std::strerror(errno) : "I/O error");
      }
      return -1;
    case SSL_ERROR_SSL: {
      const unsigned long e = ERR_peek_last_error();
      if (complete && ERR_GET_LIB(e) == ERR_LIB_SSL &&
          ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        // A socket ended without close_notify: libtls reports end of
        // stream here and the truncation at tls_close.
        ERR_clear_error();
        ctx->state |= eof_no_close_notify;
        return 0;
      }
      set_failure(ctx, what, take_openssl_error());
      return -1;
    }
    default: {
      ERR_clear_error();
      const int code = SSL_get_error(ssl, ssl_ret);
      if (!ctx->error.is_set()) ctx->error.setx("%s failed (%d)", what, code);
      return -1;
    }
  }
}

}  // namespace tlspp_openssl

using namespace tlspp_openssl;

int tls_init(void) {
  static std::once_flag once;
  std::call_once(once, initialize);
  return init_result;
}

const char* tls_error(::tls* ctx) { return ctx->error.message(); }

int tls_configure(::tls* ctx, tls_config* config) {
  attach_config(ctx, config);
  if ((ctx->flags & server) != 0) return configure_server(ctx);
  return 0;
}

void tls_reset(::tls* ctx) {
  tls_config_free(ctx->config);
  ctx->config = nullptr;
  if (ctx->ssl && (ctx->flags & client) != 0) {
    // OpenSSL gives up the session of a connection freed before it sent a
    // close_notify (TLS 1.0's rule, dropped by TLS 1.1). A client keeps it,
    // in its session cache as in its session file; a fatal alert, sent or
    // received, still ends it (OpenSSL does that at the alert).
    SSL_set_shutdown(ctx->ssl.get(), SSL_get_shutdown(ctx->ssl.get()) | SSL_SENT_SHUTDOWN);
  }
  ctx->ssl.reset();
  ctx->client.reset();
  ctx->server.reset();
  ctx->identity = nullptr;
  ctx->peer_cert.reset();
  ctx->socket = -1;
  ctx->state = 0;
  ctx->servername.reset();
  ctx->error.clear();
  ctx->info.reset();
  ctx->ocsp.reset();
  ctx->read_cb = nullptr;
  ctx->write_cb = nullptr;
  ctx->cb_arg = nullptr;
  ctx->read_eof = false;
}

void tls_free(::tls* ctx) {
  if (ctx == nullptr) return;
  tls_reset(ctx);
  delete ctx;
}

int tls_handshake(::tls* ctx) {
  ctx->error.clear();
  int rv = -1;
  if ((ctx->flags & (client | server_conn)) == 0) {
    ctx->error.setx("invalid operation for context");
  } else if ((ctx->state & handshake_complete) != 0) {
    ctx->error.setx("handshake already completed");
  } else {
    rv = (ctx->flags & client) != 0 ? client_handshake(ctx) : server_handshake(ctx);
  }
  if (rv == 0) {
    ctx->peer_cert.reset(SSL_get1_peer_certificate(ctx->ssl.get()));
    if (populate_conninfo(ctx) != 0) rv = -1;
    if (!ctx->ocsp) ctx->ocsp = ocsp_from_peer(ctx);
  }
  errno = 0;  // libtls callers check the return value, never errno
  return rv;
}

ssize_t tls_read(::tls* ctx, void* buf, size_t buflen) {
  ctx->error.clear();
  if ((ctx->state & handshake_complete) == 0) [[unlikely]] {
    if (const int rv = tls_handshake(ctx); rv != 0) return rv;
  }
  if ((ctx->state & ticket_pending) != 0) [[unlikely]]
    issue_deferred_ticket(ctx);
  // A shorter read is still a read: no error for huge buffers.
  const int len = buflen > INT_MAX ? INT_MAX : static_cast<int>(buflen);
  clear_wants(ctx->ssl.get());
  const int n = SSL_read(ctx->ssl.get(), buf, len);
  if (n > 0) [[likely]]
    return n;
  const int rv = ssl_failure(ctx, n, "read");
  errno = 0;
  return rv;
}

ssize_t tls_write(::tls* ctx, const void* buf, size_t buflen) {
  ctx->error.clear();
  if ((ctx->state & handshake_complete) == 0) [[unlikely]] {
    if (const int rv = tls_handshake(ctx); rv != 0) return rv;
  }
  if ((ctx->state & ticket_pending) != 0) [[unlikely]]
    issue_deferred_ticket(ctx);
  // Partial writes are on: a shorter write is still a write.
  const int len = buflen > INT_MAX ? INT_MAX : static_cast<int>(buflen);
  clear_wants(ctx->ssl.get());
  const int n = SSL_write(ctx->ssl.get(), buf, len);
  if (n > 0) [[likely]]
    return n;
  const int rv = ssl_failure(ctx, n, "write");
  errno = 0;
  return rv;
}

int tls_close(::tls* ctx) {
  ctx->error.clear();
  int rv = 0;
  if ((ctx->flags & (client | server_conn)) == 0) {
    ctx->error.setx("invalid operation for context");
    errno = 0;
    return -1;
  }
  if ((ctx->state & needs_shutdown) != 0) {
    // After an end of stream without close_notify OpenSSL holds the
    // connection failed: there is nothing to shut down.
    if ((ctx->state & eof_no_close_notify) == 0) {
      ERR_clear_error();
      clear_wants(ctx->ssl.get());
      const int r = SSL_shutdown(ctx->ssl.get());
      if (r < 0) {
        rv = ssl_failure(ctx, r, "shutdown");
        if (rv == TLS_WANT_POLLIN || rv == TLS_WANT_POLLOUT) {
          errno = 0;
          return rv;
        }
      }
    }
    ctx->state &= ~needs_shutdown;
  }
  if (ctx->socket != -1) {
    if (::shutdown(ctx->socket, SHUT_RDWR) != 0 && rv == 0 && errno != ENOTCONN &&
        errno != ECONNRESET) {
      ctx->error.set_errno("shutdown");
      rv = -1;
    }
    if (::close(ctx->socket) != 0 && rv == 0) {
      ctx->error.set_errno("close");
      rv = -1;
    }
    ctx->socket = -1;
  }
  if ((ctx->state & eof_no_close_notify) != 0) {
    ctx->error.setx("EOF without close notify");
    rv = -1;
  }
  errno = 0;
  return rv;
}
