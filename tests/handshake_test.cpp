// SPDX-License-Identifier: ISC
// Real handshakes between a libtls client and server over the in-memory
// link: protocol versions, key types, bulk data, ALPN, SNI and mutual TLS.
#include <gtest/gtest.h>

#include <cstddef>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <tuple>

#include "support/backend.hpp"
#include "support/memory_link.hpp"
#include "support/payload.hpp"
#include "support/pki.hpp"

namespace tlspp::test {
namespace {

constexpr std::size_t one_mib = std::size_t{1} << 20;

// ---------------------------------------------------------------------------
// 1 MiB each way, per protocol version and server key type.

struct bulk_case {
  const char* name;
  protocol version;
  const char* version_string;
  const char* server_cert;  ///< PKI name: server-ecdsa or server-rsa
};

// Names the case in gtest's messages instead of dumping its bytes.
void PrintTo(const bulk_case& c, std::ostream* os) { *os << c.name; }

class BulkTransfer : public ::testing::TestWithParam<bulk_case> {};

TEST_P(BulkTransfer, OneMebibyteEachWayArrivesByteForByte) {
  const bulk_case& c = GetParam();
  config_options client_opts = pki::client_options();
  client_opts.protocols = c.version;
  if (c.version == protocol::tlsv1_3) {
    if (auto skip =
            unsupported(get_backend_features().tls1_3, client_opts, "protocols", "TLS 1.3")) {
      GTEST_SKIP() << *skip;
    }
  }
  config_options server_opts = pki::server_options(c.server_cert);
  server_opts.protocols = c.version;
  memory_link link{config{client_opts}, config{server_opts}};
  ASSERT_TRUE(link.handshake()) << link.describe();

  const connection_info info = link.client.info();
  EXPECT_EQ(info.version, c.version_string);
  ASSERT_TRUE(info.peer);
  // The leaf the server presented is the one it was configured with.
  EXPECT_TRUE(info.peer->chain_pem.starts_with(pki::read(std::string{c.server_cert} + ".crt")))
      << info.peer->chain_pem;
  EXPECT_EQ(link.accepted.info().version, c.version_string);

  const std::string upstream = pattern(one_mib, 1);
  const std::string downstream = pattern(one_mib, 2);
  const std::string at_server = memory_link::pump(link.client, link.accepted, upstream);
  EXPECT_EQ(first_difference(upstream, at_server), "");
  const std::string at_client = memory_link::pump(link.accepted, link.client, downstream);
  EXPECT_EQ(first_difference(downstream, at_client), "");
  // The ciphertext really carried the data (no plaintext shortcut).
  EXPECT_GT(link.to_server.written, one_mib);
  EXPECT_GT(link.to_client.written, one_mib);
}

INSTANTIATE_TEST_SUITE_P(
    Handshake, BulkTransfer,
    ::testing::Values(bulk_case{"Tls12Ecdsa", protocol::tlsv1_2, "TLSv1.2", "server-ecdsa"},
                      bulk_case{"Tls12Rsa", protocol::tlsv1_2, "TLSv1.2", "server-rsa"},
                      bulk_case{"Tls13Ecdsa", protocol::tlsv1_3, "TLSv1.3", "server-ecdsa"},
                      bulk_case{"Tls13Rsa", protocol::tlsv1_3, "TLSv1.3", "server-rsa"}),
    [](const ::testing::TestParamInfo<bulk_case>& info) { return std::string{info.param.name}; });

TEST(Handshake, Tls12CipherMatchesTheServerKeyType) {
  for (const auto& [cert, auth] : {std::tuple{"server-ecdsa", "ECDSA"}, {"server-rsa", "RSA"}}) {
    config_options client_opts = pki::client_options();
    client_opts.protocols = protocol::tlsv1_2;
    memory_link link{config{client_opts}, config{pki::server_options(cert)}};
    ASSERT_TRUE(link.handshake()) << cert << ": " << link.describe();
    // TLS 1.2 suite names carry the authentication algorithm: ECDHE-ECDSA-..., ECDHE-RSA-...
    EXPECT_NE(link.client.info().cipher.find(std::string{"-"} + auth + "-"), std::string::npos)
        << cert << ": " << link.client.info().cipher;
  }
}

// ---------------------------------------------------------------------------
// ALPN.

TEST(Handshake, AlpnAgreesOnTheServersOnlyProtocol) {
  config_options client_opts = pki::client_options();
  client_opts.alpn = {"h2", "http/1.1"};
  config_options server_opts = pki::server_options();
  server_opts.alpn = {"http/1.1"};
  memory_link link{config{client_opts}, config{server_opts}};
  ASSERT_TRUE(link.handshake()) << link.describe();
  EXPECT_EQ(link.client.info().alpn, "http/1.1");
  EXPECT_EQ(link.accepted.info().alpn, "http/1.1");
}

TEST(Handshake, AlpnPrefersTheServersOrderAmongCommonProtocols) {
  config_options client_opts = pki::client_options();
  client_opts.alpn = {"http/1.1", "h2"};
  config_options server_opts = pki::server_options();
  server_opts.alpn = {"h2", "http/1.1"};
  memory_link link{config{client_opts}, config{server_opts}};
  ASSERT_TRUE(link.handshake()) << link.describe();
  EXPECT_EQ(link.client.info().alpn, "h2");
}

TEST(Handshake, AlpnMismatchEitherConnectsWithoutAProtocolOrFailsSayingSo) {
  // RFC 7301 allows both: libretls and libtls-bearssl continue with no
  // protocol selected, LibreSSL sends a no_application_protocol alert.
  config_options client_opts = pki::client_options();
  client_opts.alpn = {"h2"};
  config_options server_opts = pki::server_options();
  server_opts.alpn = {"http/1.1"};
  memory_link link{config{client_opts}, config{server_opts}};
  if (link.handshake()) {
    EXPECT_EQ(link.client.info().alpn, std::nullopt);
    EXPECT_EQ(link.accepted.info().alpn, std::nullopt);
    EXPECT_EQ(memory_link::pump(link.client, link.accepted, "still talking"), "still talking");
    return;
  }
  EXPECT_EQ(link.server_result.status, io_status::failed) << link.describe();
  EXPECT_EQ(link.accepted.error_code(), errc::handshake_failed) << link.describe();
  EXPECT_TRUE(says_one_of(link.accepted.error_message(), {"no application protocol"}))
      << link.describe();
  // The client learns why from the server's alert.
  const io_result client = link.client.handshake();
  EXPECT_EQ(client.status, io_status::failed) << link.client.error_message();
  EXPECT_EQ(link.client.error_code(), errc::handshake_failed) << link.client.error_message();
  EXPECT_TRUE(says_one_of(link.client.error_message(), {"no application protocol"}))
      << link.client.error_message();
  EXPECT_FALSE(link.client.handshake_done());
}

TEST(Handshake, NoAlpnOfferedMeansNoProtocolSelected) {
  config_options server_opts = pki::server_options();
  server_opts.alpn = {"http/1.1"};
  memory_link link{config{pki::client_options()}, config{server_opts}};
  ASSERT_TRUE(link.handshake()) << link.describe();
  EXPECT_EQ(link.client.info().alpn, std::nullopt);
}

// ---------------------------------------------------------------------------
// SNI: one server, two names.

config sni_server() {
  config_options o = pki::server_options("server-ecdsa");
  o.keypairs.push_back(keypair{.cert_file = pki::path("sni-other-chain.pem"),
                               .key_file = pki::path("sni-other.key")});
  return config{o};
}

TEST(Handshake, SniSelectsTheKeypairForTheRequestedName) {
  memory_link link{config{pki::client_options()}, sni_server(), "other.test"};
  ASSERT_TRUE(link.handshake()) << link.describe();
  const connection_info client_info = link.client.info();
  ASSERT_TRUE(client_info.peer);
  EXPECT_EQ(client_info.peer->common_name, "other.test");
  EXPECT_EQ(link.accepted.info().servername, "other.test");
}

TEST(Handshake, SniFallsBackToTheDefaultCertificateForOtherNames) {
  memory_link link{config{pki::client_options()}, sni_server(), "localhost"};
  ASSERT_TRUE(link.handshake()) << link.describe();
  const connection_info client_info = link.client.info();
  ASSERT_TRUE(client_info.peer);
  EXPECT_EQ(client_info.peer->common_name, "localhost");
  EXPECT_EQ(link.accepted.info().servername, "localhost");
}

// ---------------------------------------------------------------------------
// Mutual TLS.

config_options client_with_certificate() {
  config_options o = pki::client_options();
  o.cert_file = pki::path("client-chain.pem");
  o.key_file = pki::path("client.key");
  return o;
}

config_options server_verifying_clients(bool optional) {
  config_options o = pki::server_options();
  o.ca_file = pki::path("ca-bundle.pem");
  (optional ? o.verify_client_optional : o.verify_client) = true;
  return o;
}

TEST(Handshake, RequiredClientCertificateIsVerifiedAndSeenByTheServer) {
  memory_link link{config{client_with_certificate()}, config{server_verifying_clients(false)}};
  ASSERT_TRUE(link.handshake()) << link.describe();
  const connection_info server_info = link.accepted.info();
  ASSERT_TRUE(server_info.peer);
  EXPECT_EQ(server_info.peer->common_name, "tlspp test client");
  EXPECT_EQ(memory_link::pump(link.client, link.accepted, "authenticated"), "authenticated");
}

TEST(Handshake, RequiredClientCertificateMissingFailsOnTheServer) {
  memory_link link{config{pki::client_options()}, config{server_verifying_clients(false)}};
  EXPECT_FALSE(link.handshake()) << link.describe();
  EXPECT_EQ(link.server_result.status, io_status::failed) << link.describe();
  EXPECT_EQ(link.accepted.error_code(), errc::handshake_failed) << link.describe();
  EXPECT_TRUE(says_one_of(link.accepted.error_message(), why::no_client_certificate))
      << link.describe();
  EXPECT_FALSE(link.accepted.handshake_done());
}

/// Why to skip (after asserting the "not supported" error) on a backend
/// where tlspp refuses verify_client_optional.
std::optional<std::string> without_optional_client_verification() {
  return unsupported(get_backend_features().verify_client_optional, server_verifying_clients(true),
                     "verify_client_optional", "verification of optional client certificates");
}

TEST(Handshake, OptionalClientCertificateMayBeOmitted) {
  if (auto skip = without_optional_client_verification()) GTEST_SKIP() << *skip;
  memory_link link{config{pki::client_options()}, config{server_verifying_clients(true)}};
  ASSERT_TRUE(link.handshake()) << link.describe();
  EXPECT_EQ(link.accepted.info().peer, std::nullopt);
  EXPECT_EQ(memory_link::pump(link.client, link.accepted, "anonymous"), "anonymous");
}

TEST(Handshake, OptionalClientCertificateIsSeenWhenSent) {
  if (auto skip = without_optional_client_verification()) GTEST_SKIP() << *skip;
  memory_link link{config{client_with_certificate()}, config{server_verifying_clients(true)}};
  ASSERT_TRUE(link.handshake()) << link.describe();
  const connection_info server_info = link.accepted.info();
  ASSERT_TRUE(server_info.peer);
  EXPECT_EQ(server_info.peer->common_name, "tlspp test client");
}

}  // namespace
}  // namespace tlspp::test
