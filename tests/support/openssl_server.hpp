// SPDX-License-Identifier: ISC
// A TLS 1.3 server written with OpenSSL's own API, for what no libtls server
// can be told to do: send a hundred session tickets before its data.
#pragma once

#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include "support/pki.hpp"
#include "tlspp/transport.hpp"

#if defined(TLSPP_TEST_HAVE_OPENSSL)
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#endif

namespace tlspp::test {

#if defined(TLSPP_TEST_HAVE_OPENSSL)

/// An OpenSSL server, TLS 1.3 only, presenting the test PKI's localhost
/// certificate and sending `tickets` session tickets after the handshake.
/// Over a socket (`fd`), or, without one, over two memory BIOs that a tlspp
/// client reads and writes through client_read() and client_write().
class openssl_server {
 public:
  explicit openssl_server(int tickets, int fd = -1) {
    ctx_ = SSL_CTX_new(TLS_server_method());
    if (ctx_ == nullptr || SSL_CTX_set_min_proto_version(ctx_, TLS1_3_VERSION) != 1 ||
        SSL_CTX_set_num_tickets(ctx_, static_cast<std::size_t>(tickets)) != 1 ||
        SSL_CTX_use_certificate_chain_file(ctx_, pki::path("server-ecdsa-chain.pem").c_str()) !=
            1 ||
        SSL_CTX_use_PrivateKey_file(ctx_, pki::path("server-ecdsa.key").c_str(),
                                    SSL_FILETYPE_PEM) != 1) {
      fail("configuring the OpenSSL server");
    }
    ssl_ = SSL_new(ctx_);
    if (ssl_ == nullptr) fail("SSL_new");
    if (fd >= 0) {
      if (SSL_set_fd(ssl_, fd) != 1) fail("SSL_set_fd");
    } else {
      from_client_ = BIO_new(BIO_s_mem());
      to_client_ = BIO_new(BIO_s_mem());
      if (from_client_ == nullptr || to_client_ == nullptr) fail("BIO_new");
      SSL_set_bio(ssl_, from_client_, to_client_);  // the SSL owns both now
    }
    SSL_set_accept_state(ssl_);
  }
  openssl_server(const openssl_server&) = delete;
  openssl_server& operator=(const openssl_server&) = delete;
  ~openssl_server() {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
  }

  /// Runs the handshake as far as the bytes allow: true once it is done
  /// (the tickets are then on their way), false while it waits for the
  /// client; throws on failure.
  bool handshake() {
    const int rc = SSL_do_handshake(ssl_);
    if (rc == 1) return true;
    if (SSL_get_error(ssl_, rc) == SSL_ERROR_WANT_READ) return false;
    fail("OpenSSL server handshake");
  }

  /// Sends `data` as application data; throws unless all of it went.
  void send(std::string_view data) {
    if (SSL_write(ssl_, data.data(), static_cast<int>(data.size())) !=
        static_cast<int>(data.size())) {
      fail("OpenSSL server write");
    }
  }

  /// Reads until the client's close_notify or the end of the socket.
  void drain() {
    char buf[256];
    while (SSL_read(ssl_, buf, sizeof buf) > 0) {
    }
  }

  // --- over memory: the tlspp client's transport ---------------------------
  transfer client_read(std::span<std::byte> buffer) {
    const int n = BIO_read(to_client_, buffer.data(), static_cast<int>(buffer.size()));
    return n > 0 ? transfer::bytes(static_cast<std::size_t>(n)) : transfer::want_recv();
  }
  transfer client_write(std::span<const std::byte> data) {
    const int n = BIO_write(from_client_, data.data(), static_cast<int>(data.size()));
    return n > 0 ? transfer::bytes(static_cast<std::size_t>(n)) : transfer::failed();
  }

  /// How many whole TLS records the server has written that the client has
  /// not read yet.
  [[nodiscard]] std::size_t queued_records() const {
    char* data = nullptr;
    const long size = BIO_get_mem_data(to_client_, &data);
    const auto* bytes = reinterpret_cast<const unsigned char*>(data);
    std::size_t records = 0;
    for (long at = 0; at + 5 <= size; ++records) {
      at += 5 + (bytes[at + 3] << 8 | bytes[at + 4]);  // header, then the announced length
    }
    return records;
  }

 private:
  [[noreturn]] static void fail(const std::string& what) {
    std::string why = what + ":";
    while (const unsigned long e = ERR_get_error()) {
      char text[256];
      ERR_error_string_n(e, text, sizeof text);
      why.append(" ").append(text);
    }
    throw std::runtime_error{why};
  }

  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  BIO* from_client_ = nullptr;
  BIO* to_client_ = nullptr;
};

/// Why a test that needs the OpenSSL server cannot run; nullptr when it can.
inline const char* openssl_server_unavailable() { return nullptr; }

#else

inline const char* openssl_server_unavailable() {
  return "the tests were built without OpenSSL's headers, so there is no OpenSSL server";
}

#endif

}  // namespace tlspp::test
