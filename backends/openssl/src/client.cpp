// SPDX-License-Identifier: ISC
// Clients: the shared client SSL_CTX, connecting (by name, socket, file
// descriptors or callbacks) and the client side of the handshake.
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "internal.hpp"

namespace tlspp_openssl {
namespace {

ssl_ctx_ptr build_client_context(::tls* ctx) {
  tls_config& config = *ctx->config;
  ssl_ctx_ptr ssl_ctx{SSL_CTX_new(TLS_client_method())};
  if (!ssl_ctx) {
    ERR_clear_error();
    ctx->error.setx("ssl context failure");
    return nullptr;
  }
  if (configure_common(ctx, ssl_ctx.get()) != 0) return nullptr;
  // A client certificate, when the config has one.
  const keypair_data& kp = config.default_keypair();
  if (kp.cert || kp.key) {
    identity id;
    if (load_identity(ctx, kp, id) != 0 || use_identity(ctx, ssl_ctx.get(), id) != 0) {
      return nullptr;
    }
  }
  if (configure_verify(ctx, ssl_ctx.get(), SSL_VERIFY_PEER) != 0) return nullptr;
  if (SSL_CTX_set_tlsext_status_cb(ssl_ctx.get(), ocsp_client_callback) != 1) {
    ERR_clear_error();
    ctx->error.setx("ssl OCSP verification setup failure");
    return nullptr;
  }
  configure_client_sessions(ssl_ctx.get());
  return ssl_ctx;
}

/// Splits "host:port" or "[v6]:port"; 1 when there is no port.
int split_host_port(const char* hostport, std::string& host, std::string& port) {
  std::string_view s{hostport};
  std::string_view h = s;
  std::string_view rest = s;
  if (!s.empty() && s.front() == '[') {
    const std::size_t close = s.find(']');
    if (close == std::string_view::npos) return 1;
    h = s.substr(1, close - 1);
    rest = s.substr(close + 1);
    if (rest.empty() || rest.front() != ':') return 1;
  } else {
    const std::size_t colon = s.find(':');
    if (colon == std::string_view::npos || s.find(':', colon + 1) != std::string_view::npos) {
      return 1;
    }
    h = s.substr(0, colon);
    rest = s.substr(colon);
  }
  host = h;
  port = rest.substr(1);
  return 0;
}

/// Everything a connection needs before its transport is attached.
int connect_common(::tls* ctx, const char* servername) {
  if ((ctx->flags & client) == 0) {
    ctx->error.setx("not a client context");
    return -1;
  }
  if (ctx->ssl) {
    ctx->error.setx("context already connected");
    return -1;
  }
  if (servername != nullptr) {
    std::string name{servername};
    // SNI never carries the root's trailing dot (RFC 6066, section 3).
    if (!name.empty() && name.back() == '.') name.pop_back();
    ctx->servername = std::move(name);
  }
  const tls_config& config = *ctx->config;
  if (config.verify_name && !ctx->servername) {
    ctx->error.setx("server name not specified");
    return -1;
  }
  ctx->client = client_context(ctx);
  if (!ctx->client) return -1;
  ctx->ssl.reset(SSL_new(ctx->client->ctx.get()));
  if (!ctx->ssl) {
    ERR_clear_error();
    ctx->error.setx("ssl connection failure");
    return -1;
  }
  SSL* ssl = ctx->ssl.get();
  SSL_set_app_data(ssl, ctx);

  const bool ip = ctx->servername && is_ip_literal(ctx->servername->c_str());
  if (config.verify_name && config.verify_cert) {
    // OpenSSL checks the name while it verifies the chain.
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    const int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, ctx->servername->c_str())
                      : X509_VERIFY_PARAM_set1_host(param, ctx->servername->c_str(), 0);
    if (ok != 1) {
      ERR_clear_error();
      ctx->error.setx("invalid server name '%s'", ctx->servername->c_str());
      return -1;
    }
  }
  if (SSL_set_tlsext_status_type(ssl, TLSEXT_STATUSTYPE_ocsp) != 1) {
    ERR_clear_error();
    ctx->error.setx("ssl OCSP extension setup failure");
    return -1;
  }
  // SNI carries host names only (RFC 6066, section 3).
  if (ctx->servername && !ip && SSL_set_tlsext_host_name(ssl, ctx->servername->c_str()) != 1) {
    ERR_clear_error();
    ctx->error.setx("server name indication failure");
    return -1;
  }
  if (offer_client_session(ctx) != 0) return -1;
  ctx->state |= connected;
  return 0;
}

}  // namespace

std::shared_ptr<built_client> client_context(::tls* ctx) {
  tls_config& config = *ctx->config;
  const std::scoped_lock lock{config.build_mutex};
  if (!config.client || config.client_generation != config.generation) {
    ssl_ctx_ptr ssl_ctx = build_client_context(ctx);
    if (!ssl_ctx) return nullptr;
    auto built = std::make_shared<built_client>();
    built->ctx = std::move(ssl_ctx);
    config.client = std::move(built);
    config.client_generation = config.generation;
  }
  return config.client;
}

int client_handshake(::tls* ctx) {
  if ((ctx->flags & client) == 0) {
    ctx->error.setx("not a client context");
    return -1;
  }
  if ((ctx->state & connected) == 0) {
    ctx->error.setx("context not connected");
    return -1;
  }
  ctx->state |= needs_shutdown;
  ERR_clear_error();
  clear_wants(ctx->ssl.get());
  const int r = SSL_connect(ctx->ssl.get());
  if (r != 1) return ssl_failure(ctx, r, "handshake");
  if (ctx->config->verify_name && !ctx->config->verify_cert && check_server_name(ctx) != 0) {
    return -1;
  }
  ctx->state |= handshake_complete;
  return 0;
}

}  // namespace tlspp_openssl

using namespace tlspp_openssl;

::tls* tls_client(void) { return new_context(client); }

int tls_connect(::tls* ctx, const char* host, const char* port) {
  return tls_connect_servername(ctx, host, port, nullptr);
}

int tls_connect_servername(::tls* ctx, const char* host, const char* port, const char* servername) {
  if ((ctx->flags & client) == 0) {
    ctx->error.setx("not a client context");
    return -1;
  }
  if (host == nullptr) {
    ctx->error.setx("host not specified");
    return -1;
  }
  std::string h{host};
  std::string p{port != nullptr ? port : ""};
  if (port == nullptr && split_host_port(host, h, p) != 0) {
    ctx->error.setx("no port provided");
    return -1;
  }

  // Numeric addresses first, so that loopback always works; then names.
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  hints.ai_family = AF_INET;
  hints.ai_flags = AI_NUMERICHOST;
  if (::getaddrinfo(h.c_str(), p.c_str(), &hints, &found) != 0) {
    hints.ai_family = AF_INET6;
    if (::getaddrinfo(h.c_str(), p.c_str(), &hints, &found) != 0) {
      hints.ai_family = AF_UNSPEC;
      hints.ai_flags = AI_ADDRCONFIG;
      if (const int rc = ::getaddrinfo(h.c_str(), p.c_str(), &hints, &found); rc != 0) {
        ctx->error.setx("%s", ::gai_strerror(rc));
        return -1;
      }
    }
  }
  const std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> results{found, ::freeaddrinfo};
  int s = -1;
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    s = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (s == -1) {
      ctx->error.set_errno("socket");
      continue;
    }
    if (::connect(s, a->ai_addr, a->ai_addrlen) == -1) {
      ctx->error.set_errno("connect");
      ::close(s);
      s = -1;
      continue;
    }
    break;
  }
  if (s == -1) return -1;
  ctx->error.clear();
  if (tls_connect_socket(ctx, s, servername != nullptr ? servername : h.c_str()) != 0) {
    ::close(s);
    return -1;
  }
  ctx->socket = s;
  return 0;
}

int tls_connect_socket(::tls* ctx, int s, const char* servername) {
  return tls_connect_fds(ctx, s, s, servername);
}

int tls_connect_fds(::tls* ctx, int fd_read, int fd_write, const char* servername) {
  if (fd_read < 0 || fd_write < 0) {
    ctx->error.setx("invalid file descriptors");
    return -1;
  }
  if (connect_common(ctx, servername) != 0) return -1;
  if (SSL_set_rfd(ctx->ssl.get(), fd_read) != 1 || SSL_set_wfd(ctx->ssl.get(), fd_write) != 1) {
    ERR_clear_error();
    ctx->error.setx("ssl file descriptor failure");
    return -1;
  }
  return 0;
}

int tls_connect_cbs(::tls* ctx, tls_read_cb read_cb, tls_write_cb write_cb, void* cb_arg,
                    const char* servername) {
  if (connect_common(ctx, servername) != 0) return -1;
  return set_callbacks(ctx, read_cb, write_cb, cb_arg);
}
