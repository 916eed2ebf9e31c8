// SPDX-License-Identifier: ISC
// What the tests accept from each libtls backend: a failure's reason in the
// words of each TLS library, and run-time checks for what a backend lacks.
// Nothing here names a backend: every decision comes from
// tlspp::get_backend_features() or from what the backend is seen to do.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/memory_link.hpp"
#include "support/pki.hpp"

namespace tlspp::test {

/// The ways the backends word one failure (OpenSSL-based libretls, LibreSSL
/// and BearSSL each have their own).
using reasons = std::vector<std::string_view>;

inline bool contains_any(std::string_view text, const reasons& needles) {
  for (std::string_view n : needles) {
    if (text.find(n) != std::string_view::npos) return true;
  }
  return false;
}

/// Whether `text` gives one of `why`, showing `text` when it does not.
inline ::testing::AssertionResult says_one_of(std::string_view text, const reasons& why) {
  if (contains_any(text, why)) return ::testing::AssertionSuccess();
  auto failure = ::testing::AssertionFailure() << "'" << text << "' gives none of:";
  for (std::string_view w : why) failure << " '" << w << "'";
  return failure;
}

namespace why {
/// Chain to a root the client does not trust.
inline const reasons untrusted = {"unable to get local issuer certificate",
                                  "chain could not be linked to a trust anchor"};
/// A self-signed leaf: OpenSSL names it; LibreSSL and BearSSL only find no
/// trusted issuer.
inline const reasons self_signed = {"self-signed certificate", "self signed certificate",
                                    "unable to get local issuer certificate",
                                    "chain could not be linked to a trust anchor"};
inline const reasons wrong_name = {"name `localhost' not present in server certificate",
                                   "expected server name was not found in the chain"};
inline const reasons expired = {"certificate has expired",
                                "certificate is expired or not yet valid"};
inline const reasons not_yet_valid = {"certificate is not yet valid",
                                      "certificate is expired or not yet valid"};
/// A chain longer than verify_depth. BearSSL ignores the certificates beyond
/// the depth, so the chain it checks never reaches the trusted root.
inline const reasons chain_too_long = {"certificate chain too long",
                                       "chain could not be linked to a trust anchor"};
/// A server that requires a client certificate and gets none.
inline const reasons no_client_certificate = {"did not return a certificate",
                                              "did not send a certificate"};
/// A server rejecting the client certificate it got.
inline const reasons client_certificate_rejected = {"certificate verify failed",
                                                    "chain could not be linked to a trust anchor",
                                                    "could not be validated"};
/// A certificate (chain) that does not parse.
inline const reasons bad_certificate = {"failed to load certificate", "certificate decoding failed",
                                        "empty certificate chain"};
/// A private key that does not belong to the certificate, or none.
inline const reasons key_mismatch = {"key mismatch", "missing private key"};
/// A private key that cannot be read (an encrypted one without password).
inline const reasons unreadable_key = {"failed to read private key",
                                       "unsupported or missing secret key"};
/// A TLS 1.3-only client meeting a TLS 1.2-only server (LibreSSL fails while
/// parsing the extensions that carry the versions).
inline const reasons version_mismatch = {"unsupported protocol", "protocol version",
                                         "parse tlsext"};
/// No cipher suite in common (BearSSL only sends or receives the alert).
inline const reasons no_shared_cipher = {"no shared cipher", "handshake failure",
                                         "TLS alert 40: handshake_failure"};
/// A cipher string naming nothing the backend knows.
inline const reasons unknown_ciphers = {"no ciphers for", "failed to parse cipher list"};
}  // namespace why

/// Why a test of `capability` must skip: on a backend without it (`supported`
/// false), building a config from `options` must fail with a tlspp::error
/// naming `option` and saying it is not supported; that error, asserted here,
/// is the test on this backend. nullopt when the backend has the capability.
inline std::optional<std::string> unsupported(bool supported, const config_options& options,
                                              const std::string& option,
                                              std::string_view capability) {
  if (supported) return std::nullopt;
  try {
    const config built{options};
    ADD_FAILURE() << "the backend lacks " << capability << ", yet a config with " << option
                  << " builds";
    return "the libtls backend has no " + std::string{capability};
  } catch (const error& e) {
    EXPECT_EQ(e.where(), "config option " + option);
    EXPECT_NE(e.message().find("not supported"), std::string::npos) << e.what();
    return "the libtls backend has no " + std::string{capability} + " (" + e.what() + ")";
  }
}

/// Why a client's verdict on the certificate `name` (expired or not yet
/// valid) cannot be observed: the backend's server checks its own
/// certificate's validity when it matches the client's SNI name, and fails
/// the handshake before the client sees the certificate. nullopt when the
/// client gets to judge it. The server's message is asserted to be clear.
inline std::optional<std::string> server_refuses_to_present(const std::string& name) {
  memory_link link{config{pki::client_options()}, config{pki::server_options(name)}};
  if (link.handshake() || link.server_result.status != io_status::failed ||
      link.client_result.status == io_status::failed) {
    return std::nullopt;
  }
  EXPECT_TRUE(says_one_of(link.accepted.error_message(), {"expired or not yet valid"}))
      << link.describe();
  return "the libtls backend's server refuses to present its own out-of-validity certificate "
         "to a client that sends SNI (server: " +
         link.accepted.error_message() + "), so the client never judges it";
}

/// Whether the backend sends a fatal alert when it fails a connection
/// (libtls-bearssl closes without one): seen on the wire when a TLS 1.2
/// client rejects the server's certificate.
inline bool backend_sends_fatal_alerts() {
  static const bool sends = [] {
    config_options o = pki::client_options();
    o.ca_file = pki::path("untrusted-ca.crt");
    o.protocols = "tlsv1.2";
    memory_link link{config{o}, config{pki::server_options()}};
    for (int round = 0; round < 100; ++round) {
      const std::size_t before = link.to_server.written;
      if (link.client.handshake().status == io_status::failed) {
        // What the client wrote in the call that failed.
        const std::size_t n = link.to_server.written - before;
        const auto& queued = link.to_server.pending();
        return n > 0 && queued[queued.size() - n] == std::byte{0x15};
      }
      if (link.accepted.handshake().status == io_status::failed) break;
    }
    ADD_FAILURE() << "the client did not reject the untrusted server: " << link.describe();
    return false;
  }();
  return sends;
}

}  // namespace tlspp::test
