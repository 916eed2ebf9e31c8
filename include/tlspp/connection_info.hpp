// SPDX-License-Identifier: ISC
// What a handshake negotiated, and what the peer presented.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "tlspp/export.hpp"

namespace tlspp {

/// The peer's certificate as libtls reports it.
struct TLSPP_API peer_certificate {
  /// As the backend writes it: "/O=tlspp/CN=localhost" (OpenSSL-based) or
  /// "O=tlspp,CN=localhost" (libtls-bearssl).
  std::string subject;
  /// Written like the subject; empty when the backend cannot read it
  /// (backend_features::peer_cert_issuer).
  std::string issuer;
  std::string hash;  ///< "SHA256:<hex>" of the DER certificate
  /// The subject's CN, when it has one.
  std::optional<std::string> common_name;
  /// Validity period; none when the backend cannot read it
  /// (backend_features::peer_cert_times).
  std::optional<std::chrono::system_clock::time_point> not_before;
  std::optional<std::chrono::system_clock::time_point> not_after;  ///< End of the validity period.
  /// The chain the peer sent, leaf first, as standard PEM ("CERTIFICATE"
  /// blocks, 64-column base64) whatever the backend's own spelling.
  std::string chain_pem;
};

/// A certificate's status in an OCSP response (RFC 6960).
enum class ocsp_cert_status { good, revoked, unknown };

/// A stapled OCSP response, as libtls validated it.
struct TLSPP_API ocsp_response {
  /// libtls's one-line verdict, e.g. "good" or "revoked: key compromise".
  std::string result;
  /// OCSP response status (0: successful; TLS_OCSP_RESPONSE_* otherwise).
  int response_status = 0;
  ocsp_cert_status cert_status = ocsp_cert_status::unknown;  ///< The certificate's status.
  /// CRL reason code when revoked.
  int crl_reason = 0;
  /// When the response was produced.
  std::optional<std::chrono::system_clock::time_point> this_update;
  /// When a newer response will be available; none if the responder did not say.
  std::optional<std::chrono::system_clock::time_point> next_update;
  /// When the certificate was revoked, if it was.
  std::optional<std::chrono::system_clock::time_point> revocation_time;
  /// The OCSP responder URL of the certificate, if it names one.
  std::optional<std::string> url;
};

/// A snapshot of what the handshake negotiated.
struct TLSPP_API connection_info {
  std::string version;              ///< "TLSv1.3"
  std::string cipher;               ///< "TLS_AES_256_GCM_SHA384"
  int cipher_strength = 0;          ///< bits
  std::optional<std::string> alpn;  ///< none if no protocol was agreed
  /// Server: the name the client asked for with SNI; none when it sent none
  /// (a client connecting to an IP address sends none). Client: the name it
  /// connected to and verified the certificate against.
  std::optional<std::string> servername;
  bool session_resumed = false;  ///< The handshake resumed an earlier session.
  /// None when the peer sent no certificate (a client without one).
  std::optional<peer_certificate> peer;
  /// None when the server stapled no OCSP response, and when libtls did not
  /// check the staple: insecure_noverifycert and insecure_noverifytime turn
  /// the check off, even for a staple that says "revoked".
  std::optional<ocsp_response> ocsp;
};

}  // namespace tlspp
