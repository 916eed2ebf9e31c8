// SPDX-License-Identifier: ISC
// TLS alerts reported by number (libtls-bearssl's "unknown error (552)") are
// spelled out in tlspp's messages: the translation itself on every backend,
// and real failed handshakes wherever the backend gives only the number.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "../src/alert_names.hpp"
#include "support/assertions.hpp"
#include "support/memory_link.hpp"
#include "support/pki.hpp"

namespace tlspp::test {
namespace {

using detail::alert_name;
using detail::with_alert_explained;

// ---------------------------------------------------------------------------
// The translation

TEST(AlertNames, SentAlertCodeKeepsLibtlsTextAndAddsTheAlertsNumberAndName) {
  EXPECT_EQ(with_alert_explained("unknown error (552)"),
            "unknown error (552) (sent TLS alert 40: handshake_failure)");
  EXPECT_EQ(with_alert_explained("unknown error (632)"),
            "unknown error (632) (sent TLS alert 120: no_application_protocol)");
}

TEST(AlertNames, ReceivedAlertCodeKeepsLibtlsTextAndAddsTheAlertsNumberAndName) {
  EXPECT_EQ(with_alert_explained("unknown error (304)"),
            "unknown error (304) (received TLS alert 48: unknown_ca)");
  EXPECT_EQ(with_alert_explained("unknown error (326)"),
            "unknown error (326) (received TLS alert 70: protocol_version)");
}

TEST(AlertNames, FirstAndLastCodesOfEachDirectionAreTranslated) {
  EXPECT_EQ(with_alert_explained("unknown error (256)"),
            "unknown error (256) (received TLS alert 0: close_notify)");
  EXPECT_EQ(with_alert_explained("unknown error (511)"),
            "unknown error (511) (received TLS alert 255)");
  EXPECT_EQ(with_alert_explained("unknown error (512)"),
            "unknown error (512) (sent TLS alert 0: close_notify)");
  EXPECT_EQ(with_alert_explained("unknown error (767)"),
            "unknown error (767) (sent TLS alert 255)");
}

TEST(AlertNames, UnassignedAlertIsGivenByNumberOnly) {
  EXPECT_EQ(alert_name(1), "");
  EXPECT_EQ(alert_name(255), "");
  EXPECT_EQ(with_alert_explained("unknown error (513)"), "unknown error (513) (sent TLS alert 1)");
}

TEST(AlertNames, EveryAlertOfRfc8446HasItsStandardName) {
  const std::pair<int, std::string_view> rfc8446[] = {
      {0, "close_notify"},
      {10, "unexpected_message"},
      {20, "bad_record_mac"},
      {22, "record_overflow"},
      {40, "handshake_failure"},
      {42, "bad_certificate"},
      {43, "unsupported_certificate"},
      {44, "certificate_revoked"},
      {45, "certificate_expired"},
      {46, "certificate_unknown"},
      {47, "illegal_parameter"},
      {48, "unknown_ca"},
      {49, "access_denied"},
      {50, "decode_error"},
      {51, "decrypt_error"},
      {70, "protocol_version"},
      {71, "insufficient_security"},
      {80, "internal_error"},
      {86, "inappropriate_fallback"},
      {90, "user_canceled"},
      {109, "missing_extension"},
      {110, "unsupported_extension"},
      {112, "unrecognized_name"},
      {113, "bad_certificate_status_response"},
      {115, "unknown_psk_identity"},
      {116, "certificate_required"},
      {120, "no_application_protocol"},
  };
  for (const auto& [description, name] : rfc8446) {
    EXPECT_EQ(alert_name(description), name) << "alert " << description;
  }
}

TEST(AlertNames, AlertsOnlyTls12HasKeepTheirNames) {
  EXPECT_EQ(alert_name(30), "decompression_failure");
  EXPECT_EQ(alert_name(100), "no_renegotiation");
}

TEST(AlertNames, NumbersOutsideTheAlertRangeHaveNoName) {
  EXPECT_EQ(alert_name(-1), "");
  EXPECT_EQ(alert_name(256), "");
}

TEST(AlertNames, EveryOtherMessageIsReturnedUnchanged) {
  for (const std::string_view message : {
           "",
           "unknown error",
           "unknown error ()",
           "unknown error (62)",   // a BearSSL error that is no alert
           "unknown error (255)",  // just below the received alerts
           "unknown error (768)",  // just above the sent alerts
           "unknown error (0552)",
           "unknown error (+552)",
           "unknown error (-552)",
           "unknown error ( 552)",
           "unknown error (552 )",
           "unknown error (552",
           "unknown error (552))",
           "unknown error (552) ",
           "unknown error (99999999999999999999552)",
           "handshake: unknown error (552)",
           "Unknown error (552)",
           "X.509: chain could not be linked to a trust anchor (62)",
           "handshake failed: error:0A000410:SSL routines::sslv3 alert handshake failure",
       }) {
    const std::string_view result = with_alert_explained(message);
    EXPECT_EQ(result, message);
    EXPECT_EQ(result.data(), message.data()) << "'" << message << "' was copied";
  }
}

TEST(AlertNames, ExplainedMessageDoesNotDependOnTheCallersBuffer) {
  std::string_view explained;
  {
    std::string message = "unknown error (552)";
    explained = with_alert_explained(message);
    message.assign(message.size(), 'x');
  }
  EXPECT_EQ(explained, "unknown error (552) (sent TLS alert 40: handshake_failure)");
}

// ---------------------------------------------------------------------------
// Real handshakes

/// Both sides' results once a handshake is over: each side has finished,
/// failed, or waits for a peer that will not answer any more.
struct handshake_outcome {
  io_result client;
  io_result server;
  std::string client_error;  ///< the client's error_message()
  std::string server_error;

  [[nodiscard]] std::string describe() const {
    return "client: " + std::string{to_string(client.status)} + " " + client_error +
           " / server: " + std::string{to_string(server.status)} + " " + server_error;
  }
};

/// Runs both handshakes until neither side can make progress. Unlike
/// memory_link::handshake() it lets the peer of a failed side go on, so that
/// it reads the alert the failed side sent.
handshake_outcome handshake_to_the_end(const config_options& client_options,
                                       const config_options& server_options) {
  memory_link link{config{client_options}, config{server_options}};
  handshake_outcome o{link.client.handshake(), link.accepted.handshake(), {}, {}};
  for (int round = 0; round < 100 && (o.client.want_io() || o.server.want_io()); ++round) {
    if (o.client.want_io()) o.client = link.client.handshake();
    if (o.server.want_io()) o.server = link.accepted.handshake();
  }
  o.client_error = link.client.error_message();
  o.server_error = link.accepted.error_message();
  return o;
}

/// The backend gave no reason but a number (BearSSL's "unknown error (N)").
bool by_number(const std::string& message) { return contains(message, "unknown error ("); }

/// Why the test has nothing to check: neither side reported the failure by
/// number (the backend words it itself, or does not fail at all).
std::string reported_in_words(const handshake_outcome& o) {
  return "the libtls backend does not report this by alert number (" + o.describe() + ")";
}

TEST(AlertNamesInHandshake, NoCommonCipherThatFailsByNumberNamesHandshakeFailure) {
  config_options client_options = pki::client_options();
  client_options.protocols = protocol::tlsv1_2;
  client_options.ciphers = "ECDHE-RSA-AES128-GCM-SHA256";  // the server's certificate is ECDSA
  const handshake_outcome o = handshake_to_the_end(client_options, pki::server_options());
  if (!by_number(o.client_error) && !by_number(o.server_error))
    GTEST_SKIP() << reported_in_words(o);
  EXPECT_EQ(o.server.status, io_status::failed) << o.describe();
  EXPECT_TRUE(contains(o.server_error,
                       "handshake: unknown error (552) (sent TLS alert 40: handshake_failure)"));
  EXPECT_EQ(o.client.status, io_status::failed) << o.describe();
  EXPECT_TRUE(contains(
      o.client_error, "handshake: unknown error (296) (received TLS alert 40: handshake_failure)"));
}

}  // namespace
}  // namespace tlspp::test
