// SPDX-License-Identifier: ISC
// The callback BIO: OpenSSL's reads and writes go straight to the caller's
// tls_read_cb / tls_write_cb, with OpenSSL's own buffer. A want becomes a
// BIO retry, and OpenSSL retries with the same buffer and size, so a read
// callback may remember the buffer and fill it later (zero copy).
#include <climits>

#include "internal.hpp"

namespace tlspp_openssl {
namespace {

/// Turns a callback's answer into a BIO result.
int to_bio_result(BIO* bio, ssize_t n) {
  if (n >= 0) [[likely]]
    return n > INT_MAX ? INT_MAX : static_cast<int>(n);
  if (n == TLS_WANT_POLLIN) {
    BIO_set_retry_read(bio);
  } else if (n == TLS_WANT_POLLOUT) {
    BIO_set_retry_write(bio);
  }
  return -1;
}

int callback_read(BIO* bio, char* buf, int size) {
  auto* ctx = static_cast<::tls*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  const ssize_t n = ctx->read_cb(ctx, buf, static_cast<size_t>(size), ctx->cb_arg);
  if (n == 0) ctx->read_eof = true;
  return to_bio_result(bio, n);
}

int callback_write(BIO* bio, const char* buf, int size) {
  auto* ctx = static_cast<::tls*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  return to_bio_result(bio, ctx->write_cb(ctx, buf, static_cast<size_t>(size), ctx->cb_arg));
}

long callback_ctrl(BIO* bio, int cmd, long num, void* /*ptr*/) {
  switch (cmd) {
    case BIO_CTRL_GET_CLOSE:
      return BIO_get_shutdown(bio);
    case BIO_CTRL_SET_CLOSE:
      BIO_set_shutdown(bio, static_cast<int>(num));
      return 1;
    case BIO_CTRL_FLUSH:  // nothing is buffered here
    case BIO_CTRL_DUP:
      return 1;
    default:
      // Including BIO_CTRL_EOF: an end of stream reaches OpenSSL as a read
      // of 0, and libtls decides what it means (see ssl_failure).
      return 0;
  }
}

const BIO_METHOD* callback_method() {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* m =
        BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "tlspp-openssl callbacks");
    if (m != nullptr) {
      BIO_meth_set_read(m, callback_read);
      BIO_meth_set_write(m, callback_write);
      BIO_meth_set_ctrl(m, callback_ctrl);
    }
    return m;
  }();
  return method;
}

}  // namespace

int set_callbacks(::tls* ctx, tls_read_cb read_cb, tls_write_cb write_cb, void* cb_arg) {
  if (read_cb == nullptr || write_cb == nullptr) {
    ctx->error.setx("no callbacks provided");
    return -1;
  }
  const BIO_METHOD* method = callback_method();
  BIO* bio = method != nullptr ? BIO_new(method) : nullptr;
  if (bio == nullptr) {
    ERR_clear_error();
    ctx->error.setx("failed to create callback i/o");
    return -1;
  }
  ctx->read_cb = read_cb;
  ctx->write_cb = write_cb;
  ctx->cb_arg = cb_arg;
  BIO_set_data(bio, ctx);
  BIO_set_init(bio, 1);
  SSL_set_bio(ctx->ssl.get(), bio, bio);  // the SSL owns it from here
  return 0;
}

}  // namespace tlspp_openssl
