// SPDX-License-Identifier: ISC
// The one place tlspp includes <tls.h>: private to src/.
#pragma once

#include <tls.h>

#include <string>
#include <string_view>

#include "tlspp/error.hpp"
#include "tlspp_backend_config.hpp"

namespace tlspp::detail {

/// Calls tls_init() once per process (thread-safe); every constructor that
/// creates a libtls object calls it first.
void ensure_libtls_initialized();

/// libtls's message for a context or config, or `fallback` when it has none;
/// a bare BearSSL alert number gets the alert's name (alert_names.hpp).
std::string_view message_of(const char* libtls_message, std::string_view fallback);

/// The session lifetime every config gets when its options set no session
/// option (nor a lifetime of zero): it stops the backend's servers from
/// sending session tickets they can never honour. 0 (leave the config alone)
/// unless the probe found such a backend, one that never resumes a session
/// (libretls on OpenSSL 3 sends two unusable TLS 1.3 tickets per handshake
/// without a lifetime, none with one). Computed with get_backend_features().
int quiet_server_session_lifetime();

/// Throws tlspp::error for a failed libtls context call.
[[noreturn]] void throw_context_error(::tls* ctx, errc code, std::string_view where);

}  // namespace tlspp::detail
