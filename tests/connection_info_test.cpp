// SPDX-License-Identifier: ISC
// connection::info(): every field of connection_info after a real handshake,
// on both sides, and peer_cert_contains_name().
#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "support/assertions.hpp"
#include "support/backend.hpp"
#include "support/memory_link.hpp"
#include "support/pki.hpp"

namespace tlspp::test {
namespace {

std::size_t count(std::string_view text, std::string_view needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string_view::npos; at = text.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

bool is_lower_hex(std::string_view s) {
  return s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

/// Whether `dn` is exactly these relative distinguished names, in order, as
/// one of the backends writes them: "/O=x/CN=y" (OpenSSL-based) or
/// "O=x,CN=y" (libtls-bearssl).
bool is_distinguished_name(const std::string& dn, std::initializer_list<std::string_view> rdns) {
  std::string slashed;
  std::string commas;
  for (std::string_view rdn : rdns) {
    slashed.append("/").append(rdn);
    commas.append(commas.empty() ? "" : ",").append(rdn);
  }
  return dn == slashed || dn == commas;
}

/// The test PKI's leaves come from its intermediate CA; the issuer is empty
/// exactly where the backend cannot read it.
void expect_intermediate_ca_issued(const peer_certificate& peer) {
  if (get_backend_features().peer_cert_issuer) {
    EXPECT_TRUE(
        is_distinguished_name(peer.issuer, {"O=tlspp test", "CN=tlspp test intermediate CA"}))
        << peer.issuer;
  } else {
    EXPECT_EQ(peer.issuer, "");
  }
}

config_options client_with_certificate() {
  config_options o = pki::client_options();
  o.cert_file = pki::path("client-chain.pem");
  o.key_file = pki::path("client.key");
  return o;
}

config_options server_requiring_client_certificates() {
  config_options o = pki::server_options();
  o.ca_file = pki::path("ca-bundle.pem");
  o.verify_client = true;
  return o;
}

// ---------------------------------------------------------------------------
// Before (and without) a handshake.

TEST(ConnectionInfo, InfoBeforeTheHandshakeThrows) {
  memory_link link{config{pki::client_options()}, config{pki::server_options()}};
  try {
    (void)link.client.info();
    ADD_FAILURE() << "client info() before the handshake did not throw";
  } catch (const tlspp::error& e) {
    EXPECT_EQ(e.where(), "connection::info");
  }
  EXPECT_THROW((void)link.accepted.info(), tlspp::error);
  // Half a handshake is not a handshake either.
  EXPECT_EQ(link.client.handshake().status, io_status::want_recv);
  EXPECT_THROW((void)link.client.info(), tlspp::error);
}

TEST(ConnectionInfo, InfoAfterAFailedHandshakeThrows) {
  memory_link link{config{pki::client_options()}, config{pki::server_options("untrusted")}};
  ASSERT_FALSE(link.handshake());
  EXPECT_THROW((void)link.client.info(), tlspp::error);
}

// ---------------------------------------------------------------------------
// What was negotiated.

TEST(ConnectionInfo, NegotiatedParametersAreTheSameOnBothSides) {
  struct version_case {
    protocol version;
    const char* name;
  };
  for (const version_case c :
       {version_case{protocol::tlsv1_2, "TLSv1.2"}, version_case{protocol::tlsv1_3, "TLSv1.3"}}) {
    if (c.version == protocol::tlsv1_3 && !get_backend_features().tls1_3) continue;
    SCOPED_TRACE(c.name);
    config_options client = pki::client_options();
    client.protocols = c.version;
    memory_link link{config{client}, config{pki::server_options()}};
    ASSERT_TRUE(link.handshake()) << link.describe();
    const connection_info mine = link.client.info();
    const connection_info theirs = link.accepted.info();
    EXPECT_EQ(mine.version, c.name);
    EXPECT_EQ(theirs.version, c.name);
    EXPECT_FALSE(mine.cipher.empty());
    EXPECT_EQ(mine.cipher, theirs.cipher);
    if (get_backend_features().cipher_strength) {
      EXPECT_GT(mine.cipher_strength, 0);
      EXPECT_EQ(mine.cipher_strength, theirs.cipher_strength);
    }
    EXPECT_FALSE(mine.session_resumed);
    EXPECT_FALSE(theirs.session_resumed);
  }
}

TEST(ConnectionInfo, AlpnIsReportedOnBothSidesOnlyWhenAgreed) {
  {
    memory_link link{config{pki::client_options()}, config{pki::server_options()}};
    ASSERT_TRUE(link.handshake()) << link.describe();
    EXPECT_EQ(link.client.info().alpn, std::nullopt);
    EXPECT_EQ(link.accepted.info().alpn, std::nullopt);
  }
  config_options client = pki::client_options();
  client.alpn = {"h2", "http/1.1"};
  config_options server = pki::server_options();
  server.alpn = {"http/1.1"};
  memory_link link{config{client}, config{server}};
  ASSERT_TRUE(link.handshake()) << link.describe();
  EXPECT_EQ(link.client.info().alpn, "http/1.1");
  EXPECT_EQ(link.accepted.info().alpn, "http/1.1");
}

TEST(ConnectionInfo, ServernameIsTheNameTheClientAskedFor) {
  memory_link link{config{pki::client_options()}, config{pki::server_options()}, "localhost"};
  ASSERT_TRUE(link.handshake()) << link.describe();
  EXPECT_EQ(link.accepted.info().servername, "localhost");
  EXPECT_EQ(link.client.info().servername, "localhost");
}

TEST(ConnectionInfo, ServerSeesNoServernameWhenTheClientConnectsToAnAddress) {
  // SNI carries host names only. (Name checks off: not every backend can
  // match an address; the next test covers that.)
  config_options client = pki::client_options();
  client.insecure_noverifyname = true;
  memory_link link{config{client}, config{pki::server_options()}, "127.0.0.1"};
  ASSERT_TRUE(link.handshake()) << link.describe();
  EXPECT_EQ(link.accepted.info().servername, std::nullopt);
  EXPECT_EQ(link.client.info().servername, "127.0.0.1");
}

TEST(ConnectionInfo, ClientReachingTheServerByAddressVerifiesItsIpSubjectAltName) {
  if (!get_backend_features().ip_address_names) {
    // The backend cannot match an address: it must refuse to connect, not
    // connect unchecked.
    std::string refusal;
    try {
      memory_link link{config{pki::client_options()}, config{pki::server_options()}, "127.0.0.1"};
      EXPECT_FALSE(link.handshake()) << "connected by address unchecked: " << link.describe();
      refusal = link.describe();
    } catch (const error& e) {
      EXPECT_EQ(e.where(), "client::connect");
      refusal = e.what();
    }
    GTEST_SKIP() << "the libtls backend cannot match certificates against IP addresses (" << refusal
                 << ")";
  }
  memory_link link{config{pki::client_options()}, config{pki::server_options()}, "127.0.0.1"};
  ASSERT_TRUE(link.handshake()) << link.describe();
  EXPECT_TRUE(link.client.peer_cert_contains_name("127.0.0.1"));
  // The same server reached by an address its certificate does not name.
  memory_link other{config{pki::client_options()}, config{pki::server_options()}, "127.0.0.2"};
  EXPECT_FALSE(other.handshake());
  EXPECT_EQ(other.client.error_code(), errc::handshake_failed) << other.describe();
  EXPECT_TRUE(says_one_of(other.client.error_message(), {"127.0.0.2"})) << other.describe();
}

// ---------------------------------------------------------------------------
// The peer's certificate.

TEST(ConnectionInfo, ClientSeesTheServersCertificateInFull) {
  for (const std::string name : {"server-ecdsa", "server-rsa"}) {
    SCOPED_TRACE(name);
    memory_link link{config{pki::client_options()}, config{pki::server_options(name)}};
    ASSERT_TRUE(link.handshake()) << link.describe();
    const auto now = std::chrono::system_clock::now();
    const connection_info info = link.client.info();
    ASSERT_TRUE(info.peer);
    const peer_certificate& peer = *info.peer;
    EXPECT_TRUE(is_distinguished_name(peer.subject, {"O=tlspp test", "CN=localhost"}))
        << peer.subject;
    expect_intermediate_ca_issued(peer);
    EXPECT_EQ(peer.common_name, "localhost");
    // "SHA256:" and the hex SHA-256 of the leaf's DER, as the PKI computed it.
    ASSERT_TRUE(peer.hash.starts_with("SHA256:")) << peer.hash;
    EXPECT_EQ(peer.hash.size(), 7u + 64u) << peer.hash;
    EXPECT_TRUE(is_lower_hex(peer.hash.substr(7))) << peer.hash;
    EXPECT_EQ(peer.hash, "SHA256:" + pki::read(name + ".sha256"));
    if (get_backend_features().peer_cert_times) {
      ASSERT_TRUE(peer.not_before);
      ASSERT_TRUE(peer.not_after);
      EXPECT_LT(*peer.not_before, now);
      EXPECT_LT(now, *peer.not_after);
    } else {
      EXPECT_EQ(peer.not_before, std::nullopt);
      EXPECT_EQ(peer.not_after, std::nullopt);
    }
    // Leaf then intermediate, exactly as the server was configured.
    EXPECT_EQ(count(peer.chain_pem, "-----BEGIN CERTIFICATE-----"), 2u) << peer.chain_pem;
    EXPECT_EQ(peer.chain_pem, pki::read(name + "-chain.pem"));
  }
}

TEST(ConnectionInfo, DifferentCertificatesHaveDifferentHashes) {
  std::string hashes[2];
  int i = 0;
  for (const char* name : {"server-ecdsa", "server-rsa"}) {
    memory_link link{config{pki::client_options()}, config{pki::server_options(name)}};
    ASSERT_TRUE(link.handshake()) << link.describe();
    hashes[i++] = link.client.info().peer.value().hash;
  }
  EXPECT_NE(hashes[0], hashes[1]);
}

TEST(ConnectionInfo, ServerSeesTheClientsCertificate) {
  memory_link link{config{client_with_certificate()},
                   config{server_requiring_client_certificates()}};
  ASSERT_TRUE(link.handshake()) << link.describe();
  const connection_info info = link.accepted.info();
  ASSERT_TRUE(info.peer);
  EXPECT_TRUE(is_distinguished_name(info.peer->subject, {"O=tlspp test", "CN=tlspp test client"}))
      << info.peer->subject;
  expect_intermediate_ca_issued(*info.peer);
  EXPECT_EQ(info.peer->common_name, "tlspp test client");
  EXPECT_EQ(info.peer->hash, "SHA256:" + pki::read("client.sha256"));
  EXPECT_EQ(info.peer->chain_pem, pki::read("client-chain.pem"));
}

TEST(ConnectionInfo, ServerSeesNoPeerCertificateWhenTheClientSendsNone) {
  memory_link link{config{pki::client_options()}, config{pki::server_options()}};
  ASSERT_TRUE(link.handshake()) << link.describe();
  EXPECT_EQ(link.accepted.info().peer, std::nullopt);
  EXPECT_TRUE(link.client.info().peer);
}

TEST(ConnectionInfo, PeerCertContainsTheNamesOfItsSubjectAltNames) {
  memory_link link{config{pki::client_options()}, config{pki::server_options()}};
  ASSERT_TRUE(link.handshake()) << link.describe();
  EXPECT_TRUE(link.client.peer_cert_contains_name("localhost"));
  EXPECT_FALSE(link.client.peer_cert_contains_name("other.test"));
  EXPECT_FALSE(link.client.peer_cert_contains_name("127.0.0.2"));
  EXPECT_FALSE(link.client.peer_cert_contains_name(""));
  // An IP subjectAltName, where the backend matches addresses at all.
  EXPECT_EQ(link.client.peer_cert_contains_name("127.0.0.1"),
            get_backend_features().ip_address_names);
}

TEST(ConnectionInfo, PeerCertContainsNameRefusesANameWithANul) {
  using namespace std::string_view_literals;
  memory_link link{config{pki::client_options()}, config{pki::server_options()}};
  ASSERT_TRUE(link.handshake()) << link.describe();
  // Cut at the NUL, the name would be "localhost", which the certificate has.
  try {
    const bool contained = link.client.peer_cert_contains_name("localhost\0.attacker.test"sv);
    ADD_FAILURE() << "answered " << contained;
  } catch (const error& e) {
    EXPECT_EQ(e.code(), errc::invalid_argument) << e.what();
    EXPECT_TRUE(contains(e.what(), "name")) << e.what();
  }
}

// ---------------------------------------------------------------------------
// Stapled OCSP.

TEST(ConnectionInfo, NoOcspResponseWithoutAStaple) {
  memory_link link{config{pki::client_options()}, config{pki::server_options()}};
  ASSERT_TRUE(link.handshake()) << link.describe();
  EXPECT_EQ(link.client.info().ocsp, std::nullopt);
  EXPECT_EQ(link.accepted.info().ocsp, std::nullopt);
}

TEST(ConnectionInfo, StapledOcspResponseIsReportedInFull) {
  config_options server = pki::server_options();
  server.ocsp_staple_file = pki::path("ocsp-good.der");
  if (auto skip = unsupported(get_backend_features().ocsp_stapling, server, "ocsp_staple_file",
                              "OCSP stapling")) {
    GTEST_SKIP() << *skip;
  }
  memory_link link{config{pki::client_options()}, config{server}};
  ASSERT_TRUE(link.handshake()) << link.describe();
  const auto now = std::chrono::system_clock::now();
  const connection_info info = link.client.info();
  ASSERT_TRUE(info.ocsp);
  const ocsp_response& ocsp = *info.ocsp;
  EXPECT_EQ(ocsp.result, "good");
  EXPECT_EQ(ocsp.response_status, 0);
  EXPECT_EQ(ocsp.cert_status, ocsp_cert_status::good);
  EXPECT_EQ(ocsp.revocation_time, std::nullopt);
  ASSERT_TRUE(ocsp.this_update);
  ASSERT_TRUE(ocsp.next_update);
  EXPECT_LE(*ocsp.this_update, now);
  EXPECT_LT(now, *ocsp.next_update);
  EXPECT_EQ(ocsp.url, "http://ocsp.tlspp.test/");
}

// ---------------------------------------------------------------------------
// Lifetime of the information.

TEST(ConnectionInfo, InfoStaysAvailableAfterClose) {
  memory_link link{config{pki::client_options()}, config{pki::server_options()}};
  ASSERT_TRUE(link.handshake()) << link.describe();
  const io_result closed = link.client.close();
  ASSERT_TRUE(closed.ok()) << link.client.error_message();
  const connection_info info = link.client.info();
  EXPECT_FALSE(info.version.empty());
  EXPECT_TRUE(info.peer);
}

}  // namespace
}  // namespace tlspp::test
