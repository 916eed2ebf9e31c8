// SPDX-License-Identifier: ISC
#include <chrono>
#include <string>
#include <string_view>

#include "connection_state.hpp"
#include "tlspp/connection.hpp"
#include "tlspp/error.hpp"

namespace tlspp {
namespace {

std::optional<std::string> optional_string(const char* s) {
  if (s == nullptr) return std::nullopt;
  return std::string{s};
}

std::optional<std::chrono::system_clock::time_point> optional_time(time_t t) {
  if (t == -1) return std::nullopt;
  return std::chrono::system_clock::from_time_t(t);
}

/// The CN of a libtls subject line, for backends without
/// tls_peer_cert_common_name. OpenSSL-based ones write "/O=Org/CN=name",
/// libtls-bearssl writes "O=Org,CN=name".
[[maybe_unused]] std::optional<std::string> common_name_from_subject(const std::string& subject) {
  const char separator = subject.starts_with('/') ? '/' : ',';
  const std::string marker = std::string{separator} + "CN=";
  std::size_t begin;
  if (const auto at = subject.rfind(marker); at != std::string::npos) {
    begin = at + marker.size();
  } else if (subject.starts_with("CN=")) {
    begin = 3;
  } else {
    return std::nullopt;
  }
  const auto end = subject.find(separator, begin);
  return subject.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

/// The peer's chain as RFC 7468 PEM, the way OpenSSL-based backends write
/// it: "CERTIFICATE" blocks with 64-column base64. libtls-bearssl writes
/// "X509 CERTIFICATE" blocks wrapped at 76 columns, which many PEM readers
/// refuse. Text that is not a sequence of certificate blocks stays as it is.
std::string standard_pem(const std::string& pem) {
  static constexpr std::string_view begin = "-----BEGIN ";
  static constexpr std::string_view end = "-----END ";
  static constexpr std::string_view dashes = "-----";
  std::string out;
  std::size_t at = 0;
  while (true) {
    at = pem.find_first_not_of(" \t\r\n", at);
    if (at == std::string::npos) break;
    if (pem.compare(at, begin.size(), begin) != 0) return pem;
    const auto label_end = pem.find(dashes, at + begin.size());
    if (label_end == std::string::npos) return pem;
    const std::string label = pem.substr(at + begin.size(), label_end - at - begin.size());
    if (label != "CERTIFICATE" && label != "X509 CERTIFICATE") return pem;
    const std::string footer = std::string{end} + label + std::string{dashes};
    const auto body_begin = label_end + dashes.size();
    const auto footer_at = pem.find(footer, body_begin);
    if (footer_at == std::string::npos) return pem;
    std::string base64;
    for (std::size_t i = body_begin; i < footer_at; ++i) {
      const char c = pem[i];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
      const bool valid = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                         (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
      if (!valid) return pem;  // headers or garbage: not ours to rewrite
      base64 += c;
    }
    out += "-----BEGIN CERTIFICATE-----\n";
    for (std::size_t i = 0; i < base64.size(); i += 64) out.append(base64, i, 64).append("\n");
    out += "-----END CERTIFICATE-----\n";
    at = footer_at + footer.size();
  }
  return out.empty() ? pem : out;
}

peer_certificate peer_of(::tls* ctx) {
  peer_certificate p;
  p.subject = optional_string(tls_peer_cert_subject(ctx)).value_or("");
  p.issuer = optional_string(tls_peer_cert_issuer(ctx)).value_or("");
  p.hash = optional_string(tls_peer_cert_hash(ctx)).value_or("");
#if TLSPP_HAVE_TLS_PEER_CERT_COMMON_NAME
  p.common_name = optional_string(tls_peer_cert_common_name(ctx));
  if (p.common_name && p.common_name->empty()) p.common_name.reset();
#else
  p.common_name = common_name_from_subject(p.subject);
#endif
  p.not_before = optional_time(tls_peer_cert_notbefore(ctx));
  p.not_after = optional_time(tls_peer_cert_notafter(ctx));
  size_t len = 0;
  if (const std::uint8_t* pem = tls_peer_cert_chain_pem(ctx, &len); pem != nullptr) {
    p.chain_pem.assign(reinterpret_cast<const char*>(pem), len);
    // libtls counts the terminating NUL in some versions.
    while (!p.chain_pem.empty() && p.chain_pem.back() == '\0') p.chain_pem.pop_back();
    p.chain_pem = standard_pem(p.chain_pem);
  }
  return p;
}

std::optional<ocsp_response> ocsp_of([[maybe_unused]] ::tls* ctx) {
#if TLSPP_HAVE_TLS_PEER_OCSP_CERT_STATUS
  const int response_status = tls_peer_ocsp_response_status(ctx);
  if (response_status < 0) return std::nullopt;
  ocsp_response r;
  r.response_status = response_status;
  r.result = optional_string(tls_peer_ocsp_result(ctx)).value_or("");
  switch (tls_peer_ocsp_cert_status(ctx)) {
    case TLS_OCSP_CERT_GOOD:
      r.cert_status = ocsp_cert_status::good;
      break;
    case TLS_OCSP_CERT_REVOKED:
      r.cert_status = ocsp_cert_status::revoked;
      break;
    default:
      r.cert_status = ocsp_cert_status::unknown;
      break;
  }
  r.crl_reason = tls_peer_ocsp_crl_reason(ctx);
  r.this_update = optional_time(tls_peer_ocsp_this_update(ctx));
  r.next_update = optional_time(tls_peer_ocsp_next_update(ctx));
  r.revocation_time = optional_time(tls_peer_ocsp_revocation_time(ctx));
  if (r.revocation_time && r.cert_status != ocsp_cert_status::revoked) r.revocation_time.reset();
  r.url = optional_string(tls_peer_ocsp_url(ctx));
  return r;
#else
  return std::nullopt;
#endif
}

}  // namespace

connection_info connection::info() const {
  ::tls* ctx = live_state().ctx;
  const char* version = tls_conn_version(ctx);
  if (version == nullptr || !state_->handshake_done) {
    throw error{errc::misuse, "connection::info", "the handshake has not completed"};
  }
  connection_info info;
  info.version = version;
  info.cipher = optional_string(tls_conn_cipher(ctx)).value_or("");
#if TLSPP_HAVE_TLS_CONN_CIPHER_STRENGTH
  info.cipher_strength = tls_conn_cipher_strength(ctx);
#endif
  info.alpn = optional_string(tls_conn_alpn_selected(ctx));
  info.servername = optional_string(tls_conn_servername(ctx));
#if TLSPP_HAVE_TLS_CONN_SESSION_RESUMED
  info.session_resumed = tls_conn_session_resumed(ctx) == 1;
#endif
  if (tls_peer_cert_provided(ctx) == 1) info.peer = peer_of(ctx);
  info.ocsp = ocsp_of(ctx);
  return info;
}

}  // namespace tlspp
