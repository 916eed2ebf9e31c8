// SPDX-License-Identifier: ISC
// Certificate verification: every way a server certificate can be bad fails
// the client's handshake with a message that says why; revocation (CRL and
// stapled OCSP) and chain depth are enforced; the insecure_* switches turn
// off exactly the check they name.
#include <gtest/gtest.h>

#include <algorithm>
#include <initializer_list>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/assertions.hpp"
#include "support/backend.hpp"
#include "support/memory_link.hpp"
#include "support/pki.hpp"

namespace tlspp::test {
namespace {

/// Asserts that the client refused the server, saying one of `why`.
void expect_client_refuses(memory_link& link, const reasons& why) {
  EXPECT_FALSE(link.handshake()) << link.describe();
  EXPECT_EQ(link.client_result.status, io_status::failed) << link.describe();
  EXPECT_EQ(link.client.error_code(), errc::handshake_failed) << link.describe();
  EXPECT_TRUE(says_one_of(link.client.error_message(), why)) << link.describe();
  EXPECT_FALSE(link.client.handshake_done());
}

config_options with_crl(config_options o) {
  o.crl_file = pki::path("crl.pem");
  return o;
}

// ---------------------------------------------------------------------------
// The bad-certificate matrix.

struct bad_certificate {
  const char* name;
  config_options server;
  config_options client;
  /// What libtls's message says, in the words of each backend.
  reasons why;
  /// The PKI name of an out-of-validity certificate the server presents
  /// (some backends' servers refuse to), or null.
  const char* stale = nullptr;
};

config_options self_signed_server() {
  config_options o = pki::server_options();
  o.cert_file = pki::path("selfsigned.crt");
  o.key_file = pki::path("selfsigned.key");
  return o;
}

// Names the case in gtest's messages instead of dumping its bytes.
void PrintTo(const bad_certificate& c, std::ostream* os) { *os << c.name; }

class BadCertificate : public ::testing::TestWithParam<bad_certificate> {};

TEST_P(BadCertificate, FailsTheClientHandshakeSayingWhy) {
  const bad_certificate& c = GetParam();
  if (c.client.crl_file) {
    if (auto skip = unsupported(get_backend_features().crl, c.client, "crl_file", "CRL checking")) {
      GTEST_SKIP() << *skip;
    }
  }
  if (c.stale != nullptr) {
    if (auto skip = server_refuses_to_present(c.stale)) GTEST_SKIP() << *skip;
  }
  memory_link link{config{c.client}, config{c.server}};
  expect_client_refuses(link, c.why);
}

INSTANTIATE_TEST_SUITE_P(
    Verification, BadCertificate,
    ::testing::Values(bad_certificate{"Expired", pki::server_options("expired"),
                                      pki::client_options(), why::expired, "expired"},
                      bad_certificate{"NotYetValid", pki::server_options("notyetvalid"),
                                      pki::client_options(), why::not_yet_valid, "notyetvalid"},
                      bad_certificate{"WrongName", pki::server_options("wrongname"),
                                      pki::client_options(), why::wrong_name},
                      bad_certificate{"Untrusted", pki::server_options("untrusted"),
                                      pki::client_options(), why::untrusted},
                      // OpenSSL names a self-signed leaf; LibreSSL and BearSSL
                      // only find no trusted issuer for it.
                      bad_certificate{"SelfSigned", self_signed_server(), pki::client_options(),
                                      why::self_signed},
                      bad_certificate{"RevokedByCrl",
                                      pki::server_options("revoked"),
                                      with_crl(pki::client_options()),
                                      {"certificate revoked"}}),
    [](const ::testing::TestParamInfo<bad_certificate>& info) {
      return std::string{info.param.name};
    });

// Each failure above is the check it names, not a broken certificate: the
// matching insecure_* switch (or no CRL) lets the same certificate through.

TEST(Verification, ExpiredCertificatePassesWithoutTimeChecks) {
  config_options client = pki::client_options();
  client.insecure_noverifytime = true;
  if (auto skip = unsupported(get_backend_features().insecure_noverifytime, client,
                              "insecure_noverifytime", "way to skip validity-time checks")) {
    GTEST_SKIP() << *skip;
  }
  if (auto skip = server_refuses_to_present("expired")) GTEST_SKIP() << *skip;
  memory_link link{config{client}, config{pki::server_options("expired")}};
  ASSERT_TRUE(link.handshake()) << link.describe();
}

TEST(Verification, WrongNamePassesWithoutNameChecks) {
  config_options client = pki::client_options();
  client.insecure_noverifyname = true;
  memory_link link{config{client}, config{pki::server_options("wrongname")}};
  ASSERT_TRUE(link.handshake()) << link.describe();
  ASSERT_TRUE(link.client.info().peer);
  EXPECT_EQ(link.client.info().peer->common_name, "wrong.test");
}

TEST(Verification, UntrustedCertificatePassesWithoutChainChecks) {
  config_options client = pki::client_options();
  client.insecure_noverifycert = true;
  memory_link link{config{client}, config{pki::server_options("untrusted")}};
  ASSERT_TRUE(link.handshake()) << link.describe();
}

TEST(Verification, RevokedCertificatePassesWhenNoCrlIsLoaded) {
  memory_link link{config{pki::client_options()}, config{pki::server_options("revoked")}};
  ASSERT_TRUE(link.handshake()) << link.describe();
}

TEST(Verification, WrongNameIsAcceptedUnderTheNameItCarries) {
  memory_link link{config{pki::client_options()}, config{pki::server_options("wrongname")},
                   "wrong.test"};
  ASSERT_TRUE(link.handshake()) << link.describe();
}

// ---------------------------------------------------------------------------
// CRLs.

TEST(Verification, GoodCertificatesPassCrlChecking) {
  if (auto skip = unsupported(get_backend_features().crl, with_crl(pki::client_options()),
                              "crl_file", "CRL checking")) {
    GTEST_SKIP() << *skip;
  }
  for (const char* server : {"server-ecdsa", "server-rsa", "deep-leaf"}) {
    memory_link link{config{with_crl(pki::client_options())}, config{pki::server_options(server)}};
    EXPECT_TRUE(link.handshake()) << server << ": " << link.describe();
  }
}

// ---------------------------------------------------------------------------
// Chain depth: root -> deep-ca-1 -> deep-ca-2 -> deep-ca-3 -> leaf, three
// intermediates. Backends count verify_depth differently (libretls and
// libtls-bearssl pass this chain at depth 3, LibreSSL only at 4), so the
// tests stay clear of the boundary: generous depths pass, depth 1 fails.

config_options client_with_depth(int depth) {
  config_options o = pki::client_options();
  o.verify_depth = depth;
  return o;
}

TEST(Verification, DeepChainPassesWithinTheVerifyDepth) {
  for (int depth : {5, 10}) {
    memory_link link{config{client_with_depth(depth)}, config{pki::server_options("deep-leaf")}};
    EXPECT_TRUE(link.handshake()) << "verify_depth " << depth << ": " << link.describe();
  }
}

TEST(Verification, DeepChainFailsBeyondTheVerifyDepth) {
  memory_link link{config{client_with_depth(1)}, config{pki::server_options("deep-leaf")}};
  expect_client_refuses(link, why::chain_too_long);
}

// ---------------------------------------------------------------------------
// Stapled OCSP.

/// Stapling tests skip, with the reason, on backends without OCSP.
class VerificationOcsp : public ::testing::Test {
 protected:
  void SetUp() override {
    config_options server = pki::server_options();
    server.ocsp_staple_file = pki::path("ocsp-good.der");
    if (auto skip = unsupported(get_backend_features().ocsp_stapling, server, "ocsp_staple_file",
                                "OCSP stapling")) {
      GTEST_SKIP() << *skip;
    }
  }
};

config_options stapling(const std::string& server, const std::string& response) {
  config_options o = pki::server_options(server);
  o.ocsp_staple_file = pki::path(response);
  return o;
}

TEST_F(VerificationOcsp, StapledGoodOcspResponseIsCheckedAndReported) {
  const std::initializer_list<std::pair<const char*, const char*>> servers = {
      {"server-ecdsa", "ocsp-good.der"}, {"server-rsa", "ocsp-good-rsa.der"}};
  for (const auto& [server, response] : servers) {
    for (protocol version : {protocol::tlsv1_2, protocol::tlsv1_3}) {
      if (version == protocol::tlsv1_3 && !get_backend_features().tls1_3) continue;
      SCOPED_TRACE(std::string{server} + (version == protocol::tlsv1_3 ? " TLS 1.3" : " TLS 1.2"));
      config_options client = pki::client_options();
      client.protocols = version;
      memory_link link{config{client}, config{stapling(server, response)}};
      ASSERT_TRUE(link.handshake()) << link.describe();
      const connection_info info = link.client.info();
      ASSERT_TRUE(info.ocsp);
      EXPECT_EQ(info.ocsp->cert_status, ocsp_cert_status::good);
      EXPECT_EQ(info.ocsp->response_status, 0);
      EXPECT_EQ(info.ocsp->result, "good");
    }
  }
}

TEST_F(VerificationOcsp, RequiredStaplingFailsWithoutAStaple) {
  config_options client = pki::client_options();
  client.ocsp_require_stapling = true;
  memory_link link{config{client}, config{pki::server_options()}};
  expect_client_refuses(link, {"no stapled OCSP response"});
}

TEST_F(VerificationOcsp, RequiredStaplingPassesWithAGoodStaple) {
  config_options client = pki::client_options();
  client.ocsp_require_stapling = true;
  memory_link link{config{client}, config{stapling("server-ecdsa", "ocsp-good.der")}};
  ASSERT_TRUE(link.handshake()) << link.describe();
  ASSERT_TRUE(link.client.info().ocsp);
  EXPECT_EQ(link.client.info().ocsp->cert_status, ocsp_cert_status::good);
}

TEST_F(VerificationOcsp, StapledRevokedOcspResponseFailsTheHandshake) {
  // No CRL: the staple alone tells the client the certificate is revoked.
  memory_link link{config{pki::client_options()}, config{stapling("revoked", "ocsp-revoked.der")}};
  expect_client_refuses(link, {"revoked"});
}

TEST_F(VerificationOcsp, StapledResponseForAnotherCertificateFailsTheHandshake) {
  memory_link link{config{pki::client_options()},
                   config{stapling("server-ecdsa", "ocsp-revoked.der")}};
  expect_client_refuses(link, {"ocsp verify failed"});
}

TEST_F(VerificationOcsp, InsecureFlagsAlsoSkipTheStapledResponse) {
  // libtls checks a staple only while it verifies certificates and times:
  // with either check off even a "revoked" staple passes, unreported.
  for (bool no_verify_time : {false, true}) {
    SCOPED_TRACE(no_verify_time ? "insecure_noverifytime" : "insecure_noverifycert");
    config_options client = pki::client_options();
    (no_verify_time ? client.insecure_noverifytime : client.insecure_noverifycert) = true;
    memory_link link{config{client}, config{stapling("revoked", "ocsp-revoked.der")}};
    ASSERT_TRUE(link.handshake()) << link.describe();
    EXPECT_EQ(link.client.info().ocsp, std::nullopt);
  }
}

// ---------------------------------------------------------------------------
// The name the client verifies is the name it was given, all of it.

TEST(Servername, EmbeddedNulIsRefusedNotCutToTheNameBeforeIt) {
  using namespace std::string_view_literals;
  memory_link link{config{pki::client_options()}, config{pki::server_options()}};
  client c{config{pki::client_options()}};
  try {
    c.connect("localhost\0.attacker.test"sv, link.client_io);
    ADD_FAILURE() << "connect() took a name with a NUL byte";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), errc::invalid_argument) << e.what();
    EXPECT_TRUE(contains(e.what(), "servername")) << e.what();
  }
  EXPECT_EQ(link.to_server.written, 0u);
}

/// A DNS name of exactly `size` bytes: 63-byte labels and a shorter last one.
std::string name_of_size(std::size_t size) {
  std::string name;
  while (name.size() < size) {
    if (!name.empty()) name += '.';
    name.append(std::min<std::size_t>(63, size - name.size()), 'a');
  }
  return name;
}

TEST(Servername, LongestDnsNameIsTakenOneByteMoreIsRefused) {
  const std::string longest = name_of_size(254);
  ASSERT_EQ(longest.size(), 254u);
  try {
    // tlspp passes it on. libtls may refuse it; if it does not, the
    // handshake fails on the name: either way a clear error, never a crash.
    memory_link link{config{pki::client_options()}, config{pki::server_options()}, longest};
    EXPECT_FALSE(link.handshake()) << "verified as " << longest;
  } catch (const error& e) {
    EXPECT_FALSE(contains(e.what(), "longer than")) << e.what();
  }
  const std::string too_long = name_of_size(255);
  ASSERT_EQ(too_long.size(), 255u);
  memory_link link{config{pki::client_options()}, config{pki::server_options()}};
  client c{config{pki::client_options()}};
  try {
    c.connect(too_long, link.client_io);
    ADD_FAILURE() << "connect() took a 255-byte name";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), errc::invalid_argument) << e.what();
    EXPECT_TRUE(contains(e.what(), "servername")) << e.what();
  }
}

}  // namespace
}  // namespace tlspp::test
