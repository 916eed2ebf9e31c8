// SPDX-License-Identifier: ISC
// TLS alert names, and the alerts behind libtls-bearssl's bare error numbers.
// Pure functions: no libtls here, so the tests can call them on any backend.
#pragma once

#include <string_view>

namespace tlspp::detail {

/// The registered name of TLS alert `description` ("handshake_failure" for
/// 40): RFC 8446 §6 and the TLS 1.2-era alerts it retired. Empty for a
/// number no alert has.
[[nodiscard]] std::string_view alert_name(int description) noexcept;

/// `libtls_message` with the alert it stands for spelled out, when it is
/// libtls-bearssl's report of a fatal alert: BearSSL's error code is 256 +
/// the alert for one received and 512 + the alert for one sent, which
/// libtls-bearssl words "unknown error (<code>)", so
///   "unknown error (552)" -> "unknown error (552) (sent TLS alert 40: handshake_failure)".
/// Any other message is returned as it is. The result views either
/// `libtls_message` or storage that lives as long as the program.
[[nodiscard]] std::string_view with_alert_explained(std::string_view libtls_message);

}  // namespace tlspp::detail
