// SPDX-License-Identifier: ISC
#include "tlspp/error.hpp"

#include <mutex>

#include "alert_names.hpp"
#include "libtls.hpp"

namespace tlspp {

error::error(errc code, std::string_view where, std::string_view message)
    : std::runtime_error{std::string{where}.append(": ").append(message)},
      code_{code},
      where_{where},
      message_{message} {}

namespace {

class category final : public std::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "tlspp"; }
  [[nodiscard]] std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::invalid_argument:
        return "invalid argument";
      case errc::config_rejected:
        return "configuration rejected by libtls";
      case errc::unsupported:
        return "not supported by the libtls backend";
      case errc::moved_from:
        return "used after it was moved from";
      case errc::misuse:
        return "call out of order";
      case errc::busy:
        return "called from inside its own transport callback";
      case errc::send_retry_mismatch:
        return "send retried with fewer bytes than the call that wanted I/O";
      case errc::transport_failed:
        return "the transport failed";
      case errc::callback_threw:
        return "a transport callback threw";
      case errc::handshake_failed:
        return "TLS handshake failed";
      case errc::peer_closed_during_handshake:
        return "the peer closed the connection during the handshake";
      case errc::protocol_error:
        return "TLS protocol error";
      case errc::truncated:
        return "stream truncated: the peer closed without close_notify";
      case errc::closed_before_handshake:
        return "closed before the handshake completed";
      case errc::backend_stalled:
        return "libtls kept asking for I/O the transport never needed";
      case errc::out_of_memory:
        return "libtls failed to allocate";
      case errc::timed_out:
        return "timed out";
    }
    return "tlspp error";
  }
};

}  // namespace

const std::error_category& error_category() noexcept {
  static const category instance;
  return instance;
}

namespace detail {

void ensure_libtls_initialized() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (tls_init() != 0) {
      throw error{errc::out_of_memory, "tls_init", "libtls failed to initialize"};
    }
  });
}

std::string_view message_of(const char* libtls_message, std::string_view fallback) {
  if (libtls_message == nullptr || *libtls_message == '\0') return fallback;
  // libtls-bearssl reports alerts by number only: add the alert's name.
  return with_alert_explained(libtls_message);
}

void throw_context_error(::tls* ctx, errc code, std::string_view where) {
  throw error{code, where, message_of(tls_error(ctx), "failed without a message from libtls")};
}

}  // namespace detail
}  // namespace tlspp
