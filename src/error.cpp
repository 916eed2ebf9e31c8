#include "tlspp/error.hpp"

#include <mutex>

#include "alert_names.hpp"
#include "libtls.hpp"

namespace tlspp {

error::error(std::string_view where, std::string_view message)
    : std::runtime_error{std::string{where}.append(": ").append(message)},
      where_{where},
      message_{message} {}

namespace detail {

void ensure_libtls_initialized() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (tls_init() != 0) {
      throw error{"tls_init", "libtls failed to initialize"};
    }
  });
}

std::string_view message_of(const char* libtls_message, std::string_view fallback) {
  if (libtls_message == nullptr || *libtls_message == '\0') return fallback;
  // libtls-bearssl reports alerts by number only: add the alert's name.
  return with_alert_explained(libtls_message);
}

void throw_context_error(::tls* ctx, std::string_view where) {
  throw error{where, message_of(tls_error(ctx), "failed without a message from libtls")};
}

}  // namespace detail
}  // namespace tlspp
