// SPDX-License-Identifier: ISC
// The two TLS streams the loopback benchmarks compare, configured alike:
// tlspp::asio::stream and asio::ssl::stream over `Socket` (a tcp::socket,
// or a layer over one), with the same certificates, versions and name
// check. tlspp-bench (asio_tcp.cpp) and tlspp-scale (scale.cpp) use them.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include <openssl/ssl.h>

#include <asio/ip/tcp.hpp>
#include <asio/ssl.hpp>
#include <asio/use_awaitable.hpp>

#include "profile.h"
#if TLSPP_BENCH_HAVE_TLSPP_ASIO
#include "tlspp/asio/stream.hpp"
#include "tlspp/tlspp.hpp"
#endif

namespace bench {

/// The client trusts `ca_file`; the server presents `cert_file` and `key_file`.
struct tls_files {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
};

struct tcp_negotiated {
  std::string version;
  std::string cipher;
};

/// asio::ssl::stream, configured as libtls configures OpenSSL: TLS 1.2 and
/// 1.3, the client verifying the chain and the name, no session cache or
/// tickets on the server.
template <class Socket>
struct asio_ssl_policy {
  using stream_type = ::asio::ssl::stream<Socket>;
  ::asio::ssl::context client_ctx{::asio::ssl::context::tls_client};
  ::asio::ssl::context server_ctx{::asio::ssl::context::tls_server};

  explicit asio_ssl_policy(const tls_files& f) {
    client_ctx.set_verify_mode(::asio::ssl::verify_peer);
    client_ctx.load_verify_file(f.ca_file);
    server_ctx.use_certificate_chain_file(f.cert_file);
    server_ctx.use_private_key_file(f.key_file, ::asio::ssl::context::pem);
    for (SSL_CTX* c : {client_ctx.native_handle(), server_ctx.native_handle()}) {
      SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
    }
    SSL_CTX_set_session_cache_mode(server_ctx.native_handle(), SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(server_ctx.native_handle(), SSL_OP_NO_TICKET);
    SSL_CTX_set_num_tickets(server_ctx.native_handle(), 0);
  }
  std::unique_ptr<stream_type> client(::asio::ip::tcp::socket s) {
    auto p = std::make_unique<stream_type>(std::move(s), client_ctx);
    if (!SSL_set_tlsext_host_name(p->native_handle(), BENCH_SERVERNAME) ||
        !SSL_set1_host(p->native_handle(), BENCH_SERVERNAME)) {
      throw std::runtime_error{"asio::ssl: cannot set the server name"};
    }
    return p;
  }
  std::unique_ptr<stream_type> server(::asio::ip::tcp::socket s) {
    return std::make_unique<stream_type>(std::move(s), server_ctx);
  }
  static ::asio::awaitable<void> client_handshake(stream_type& s) {
    co_await s.async_handshake(::asio::ssl::stream_base::client, ::asio::use_awaitable);
  }
  static ::asio::awaitable<void> server_handshake(stream_type& s) {
    co_await s.async_handshake(::asio::ssl::stream_base::server, ::asio::use_awaitable);
  }
  static tcp_negotiated info(stream_type& s) {
    return {SSL_get_version(s.native_handle()),
            SSL_CIPHER_get_name(SSL_get_current_cipher(s.native_handle()))};
  }
};

#if TLSPP_BENCH_HAVE_TLSPP_ASIO
/// tlspp::asio::stream with libtls's defaults.
template <class Socket>
struct tlspp_policy {
  using stream_type = tlspp::asio::stream<Socket>;
  tlspp::config client_conf;
  tlspp::server srv;

  explicit tlspp_policy(const tls_files& f)
      : client_conf{tlspp::config_options{.ca_file = f.ca_file}},
        srv{tlspp::config{
            tlspp::config_options{.key_file = f.key_file, .cert_file = f.cert_file}}} {}
  std::unique_ptr<stream_type> client(::asio::ip::tcp::socket s) {
    return std::make_unique<stream_type>(std::move(s), client_conf);
  }
  std::unique_ptr<stream_type> server(::asio::ip::tcp::socket s) {
    return std::make_unique<stream_type>(std::move(s), srv);
  }
  static ::asio::awaitable<void> client_handshake(stream_type& s) {
    co_await s.async_handshake(stream_type::client, BENCH_SERVERNAME, ::asio::use_awaitable);
  }
  static ::asio::awaitable<void> server_handshake(stream_type& s) {
    co_await s.async_handshake(stream_type::server, ::asio::use_awaitable);
  }
  static tcp_negotiated info(stream_type& s) {
    const tlspp::connection_info i = s.connection().info();
    return {i.version, i.cipher};
  }
};
#endif

}  // namespace bench
