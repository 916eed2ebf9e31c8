// SPDX-License-Identifier: ISC
#include "alert_names.hpp"

#include <array>
#include <charconv>
#include <optional>
#include <string>

namespace tlspp::detail {
namespace {

/// The alert descriptions of RFC 8446 §6, with the names of those TLS 1.3
/// retired (RFC 5246, RFC 6066), which a TLS 1.2 peer still sends.
constexpr std::array<std::string_view, 256> alert_names = [] {
  std::array<std::string_view, 256> n{};
  n[0] = "close_notify";
  n[10] = "unexpected_message";
  n[20] = "bad_record_mac";
  n[21] = "decryption_failed";
  n[22] = "record_overflow";
  n[30] = "decompression_failure";
  n[40] = "handshake_failure";
  n[41] = "no_certificate";
  n[42] = "bad_certificate";
  n[43] = "unsupported_certificate";
  n[44] = "certificate_revoked";
  n[45] = "certificate_expired";
  n[46] = "certificate_unknown";
  n[47] = "illegal_parameter";
  n[48] = "unknown_ca";
  n[49] = "access_denied";
  n[50] = "decode_error";
  n[51] = "decrypt_error";
  n[60] = "export_restriction";
  n[70] = "protocol_version";
  n[71] = "insufficient_security";
  n[80] = "internal_error";
  n[86] = "inappropriate_fallback";
  n[90] = "user_canceled";
  n[100] = "no_renegotiation";
  n[109] = "missing_extension";
  n[110] = "unsupported_extension";
  n[111] = "certificate_unobtainable";
  n[112] = "unrecognized_name";
  n[113] = "bad_certificate_status_response";
  n[114] = "bad_certificate_hash_value";
  n[115] = "unknown_psk_identity";
  n[116] = "certificate_required";
  n[120] = "no_application_protocol";
  return n;
}();

// BearSSL's error codes for fatal alerts (bearssl_ssl.h):
// BR_ERR_RECV_FATAL_ALERT + alert and BR_ERR_SEND_FATAL_ALERT + alert.
constexpr int received_alert_base = 256;
constexpr int sent_alert_base = 512;
constexpr int alert_codes_end = 768;

/// BearSSL's code when `message` is exactly what libtls-bearssl's
/// tls_run_until() writes for it: "%s (%d)" of bearssl_strerror(), which
/// knows no alert codes ("unknown error"), and the code.
std::optional<int> bearssl_alert_code(std::string_view message) {
  constexpr std::string_view prefix = "unknown error (";
  if (!message.starts_with(prefix) || !message.ends_with(')')) return std::nullopt;
  const std::string_view digits = message.substr(prefix.size(), message.size() - prefix.size() - 1);
  int code = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), code);
  if (ec != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
  if (code < received_alert_base || code >= alert_codes_end) return std::nullopt;
  if (std::to_string(code) != digits) return std::nullopt;  // as %d prints it, nothing else
  return code;
}

std::string explained(int code) {
  const bool sent = code >= sent_alert_base;
  const int alert = code - (sent ? sent_alert_base : received_alert_base);
  std::string s = "unknown error (" + std::to_string(code) + ") (";
  s.append(sent ? "sent" : "received").append(" TLS alert ").append(std::to_string(alert));
  if (const std::string_view name = alert_name(alert); !name.empty()) s.append(": ").append(name);
  return s.append(")");
}

}  // namespace

std::string_view alert_name(int description) noexcept {
  if (description < 0 || description >= static_cast<int>(alert_names.size())) return {};
  return alert_names[static_cast<std::size_t>(description)];
}

std::string_view with_alert_explained(std::string_view libtls_message) {
  const std::optional<int> code = bearssl_alert_code(libtls_message);
  if (!code) return libtls_message;
  // The whole message depends on the code alone, so each one is written
  // once and kept: callers get a view, as for any other libtls message.
  static const auto all = [] {
    std::array<std::string, alert_codes_end - received_alert_base> texts;
    for (int c = received_alert_base; c < alert_codes_end; ++c) {
      texts[static_cast<std::size_t>(c - received_alert_base)] = explained(c);
    }
    return texts;
  }();
  return all[static_cast<std::size_t>(*code - received_alert_base)];
}

}  // namespace tlspp::detail
