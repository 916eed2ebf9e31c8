// SPDX-License-Identifier: ISC
// tlspp::get_backend_features(): what it reports matches what the backend does.
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "support/memory_link.hpp"
#include "support/pki.hpp"
#include "support/temp_dir.hpp"

namespace tlspp::test {
namespace {

using namespace std::chrono_literals;

/// Whether a config with `o` builds. When it does not, the error must name
/// `option` (or an item of it): a missing feature is a clear configuration error.
::testing::AssertionResult config_builds(const config_options& o, const std::string& option) {
  try {
    config built{o};
    return ::testing::AssertionSuccess() << "config with " << option << " builds";
  } catch (const error& e) {
    if (e.where().rfind("config option " + option, 0) != 0) {
      return ::testing::AssertionFailure()
             << "rejected, but naming '" << e.where() << "' instead of " << option;
    }
    return ::testing::AssertionFailure() << e.what();
  }
}

/// Asserts that a config with `o` builds exactly when the backend claims the
/// feature.
void expect_builds_iff(bool claimed, const config_options& o, const std::string& option) {
  const auto built = config_builds(o, option);
  if (claimed) {
    EXPECT_TRUE(built) << option << " is claimed";
  } else {
    EXPECT_FALSE(built) << option << " is not claimed";
    EXPECT_NE(std::string{built.message()}.find(option), std::string::npos) << built.message();
  }
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(BackendFeatures, EveryCallReturnsTheSameObjectFromAnyThread) {
  const backend_features* first = &get_backend_features();
  std::array<const backend_features*, 4> seen{};
  std::vector<std::thread> threads;
  for (auto& slot : seen) threads.emplace_back([&slot] { slot = &get_backend_features(); });
  for (auto& t : threads) t.join();
  for (const auto* p : seen) EXPECT_EQ(p, first);
}

TEST(BackendFeatures, DescribeStartsWithTheApiVersionOrTlsppOpensslsOwnName) {
  const backend_features& f = get_backend_features();
  EXPECT_GT(f.api_version, 0);
  const std::string text = describe(f);
  const std::size_t api = text.find("libtls API " + std::to_string(f.api_version));
  ASSERT_NE(api, std::string::npos) << text;
  if (api != 0) {
    // tlspp-openssl names itself first: "tlspp-openssl 0.2.0 over OpenSSL 3.0.19, libtls API...".
    EXPECT_EQ(text.rfind("tlspp-openssl ", 0), 0u) << text;
    EXPECT_TRUE(contains(text.substr(0, api), " over OpenSSL ")) << text;
  }
}

TEST(BackendFeatures, DescribeSaysWhetherTls13IsPresent) {
  const backend_features& f = get_backend_features();
  const std::string text = describe(f);
  if (f.tls1_3) {
    EXPECT_TRUE(contains(text, ", TLS 1.3")) << text;
    EXPECT_FALSE(contains(text, "no TLS 1.3")) << text;
  } else {
    EXPECT_TRUE(contains(text, ", no TLS 1.3")) << text;
  }
}

TEST(BackendFeatures, DescribeFollowsEachFlag) {
  backend_features none;
  none.api_version = 1;
  backend_features crl_only = none;
  crl_only.crl = true;
  EXPECT_TRUE(contains(describe(none), "no CRL"));
  EXPECT_FALSE(contains(describe(crl_only), "no CRL"));
  EXPECT_TRUE(contains(describe(crl_only), ", CRL"));
  backend_features noverifytime_only = none;
  noverifytime_only.insecure_noverifytime = true;
  EXPECT_TRUE(contains(describe(none), "no insecure_noverifytime"));
  EXPECT_TRUE(contains(describe(noverifytime_only), ", insecure_noverifytime"));
}

TEST(BackendFeatures, Tls13FlagMatchesTheDefaultHandshake) {
  memory_link link{config{pki::client_options()}, config{pki::server_options()}};
  ASSERT_TRUE(link.handshake()) << link.describe();
  EXPECT_EQ(link.client.info().version, get_backend_features().tls1_3 ? "TLSv1.3" : "TLSv1.2");
}

TEST(BackendFeatures, Tls13FlagMatchesATls13OnlyConfig) {
  config_options o = pki::client_options();
  o.protocols = protocol::tlsv1_3;
  expect_builds_iff(get_backend_features().tls1_3, o, "protocols");
}

TEST(BackendFeatures, CrlFlagMatchesRevocationChecking) {
  const bool claimed = get_backend_features().crl;
  config_options client = pki::client_options();
  client.crl_file = pki::path("crl.pem");
  expect_builds_iff(claimed, client, "crl_file");
  if (!claimed) return;
  // Claimed: the CRL really rejects the revoked certificate.
  memory_link link{config{client}, config{pki::server_options("revoked")}};
  EXPECT_FALSE(link.handshake());
  EXPECT_TRUE(contains(link.client.error_message(), "revoked")) << link.describe();
}

TEST(BackendFeatures, OcspStaplingFlagMatchesStapling) {
  const bool claimed = get_backend_features().ocsp_stapling;
  config_options server = pki::server_options();
  server.ocsp_staple_file = pki::path("ocsp-good.der");
  expect_builds_iff(claimed, server, "ocsp_staple_file");
  if (!claimed) return;
  config_options client = pki::client_options();
  client.ocsp_require_stapling = true;
  memory_link link{config{client}, config{server}};
  ASSERT_TRUE(link.handshake()) << link.describe();
  EXPECT_TRUE(link.client.info().ocsp);
}

TEST(BackendFeatures, SessionFlagsMatchTheSessionOptions) {
  const backend_features& f = get_backend_features();
  config_options tickets = pki::server_options();
  tickets.ticket_keys = {ticket_key{.keyrev = 1}};
  expect_builds_iff(f.session_tickets, tickets, "ticket_keys");

  config_options id = pki::server_options();
  id.session_id = "tlspp-features-test";
  expect_builds_iff(f.session_id, id, "session_id");

  config_options lifetime = pki::server_options();
  lifetime.session_lifetime = 60s;
  expect_builds_iff(f.session_lifetime, lifetime, "session_lifetime");

  const temp_dir dir;
  config_options session_file = pki::client_options();
  session_file.session_file = dir / "session";
  expect_builds_iff(f.session_file, session_file, "session_file");
}

TEST(BackendFeatures, ServerSessionOptionsAreRefusedSayingTheServerNeverResumes) {
  const backend_features& f = get_backend_features();
  if (f.session_tickets && f.session_id && f.session_lifetime) {
    GTEST_SKIP() << "the libtls backend resumes with every server session option (" << describe(f)
                 << ")";
  }
  auto refusal = [](const std::function<void(config_options&)>& set) {
    config_options o = pki::server_options();
    set(o);
    try {
      const config built{o};
    } catch (const error& e) {
      EXPECT_EQ(e.code(), errc::unsupported) << e.what();
      return std::string{e.what()};
    }
    return std::string{"(built)"};
  };
  if (!f.session_tickets) {
    EXPECT_TRUE(contains(refusal([](auto& o) { o.ticket_keys = {ticket_key{.keyrev = 1}}; }),
                         "never resume a session from a ticket"));
  }
  if (!f.session_id) {
    EXPECT_TRUE(contains(refusal([](auto& o) { o.session_id = "id"; }),
                         "never resume a session by its ID"));
  }
  if (!f.session_lifetime) {
    EXPECT_TRUE(
        contains(refusal([](auto& o) { o.session_lifetime = 300s; }), "never resume a session"));
  }
}

/// Whether a second client with the session file of a first one resumes its
/// session on both sides, against one server context built from `server`,
/// over TLS 1.2 or else TLS 1.3. Each connection exchanges data first, so
/// that TLS 1.3 tickets arrive.
bool resumes_against(const config_options& server, const backend_features& f) {
  std::vector<protocol> versions = {protocol::tlsv1_2};
  if (f.tls1_3) versions.push_back(protocol::tlsv1_3);
  for (const protocol version : versions) {
    const temp_dir dir;
    config_options client_options = pki::client_options();
    client_options.session_file = dir / "session";
    client_options.protocols = version;
    config_options server_options = server;
    server_options.protocols = version;
    const config server_conf{server_options};
    tlspp::server shared{server_conf};
    bool resumed = false;
    for (int i = 0; i < 2; ++i) {
      memory_link link{config{client_options}, server_conf};
      link.accepted = shared.accept(link.server_io);
      if (!link.handshake()) {
        ADD_FAILURE() << link.describe();
        return false;
      }
      EXPECT_EQ(memory_link::pump(link.accepted, link.client, "x"), "x");
      resumed = link.client.info().session_resumed && link.accepted.info().session_resumed;
      EXPECT_TRUE(link.client.close().ok());
    }
    if (resumed) return true;
  }
  return false;
}

TEST(BackendFeatures, EachClaimedServerSessionOptionResumesASession) {
  const backend_features& f = get_backend_features();
  if (!f.session_tickets && !f.session_id && !f.session_lifetime) {
    GTEST_SKIP() << "no libtls server of this backend resumes a session, and tlspp refuses "
                    "every server session option ("
                 << describe(f) << ")";
  }
  if (f.session_tickets) {
    config_options o = pki::server_options();
    o.ticket_keys = {ticket_key{.keyrev = 1}};
    o.session_lifetime = 300s;
    EXPECT_TRUE(resumes_against(o, f)) << "session_tickets is claimed";
  }
  if (f.session_id) {
    config_options o = pki::server_options();
    o.session_id = "tlspp-features-test";
    o.session_lifetime = 300s;
    EXPECT_TRUE(resumes_against(o, f)) << "session_id is claimed";
  }
  if (f.session_lifetime) {
    config_options o = pki::server_options();
    o.session_lifetime = 300s;
    EXPECT_TRUE(resumes_against(o, f)) << "session_lifetime is claimed";
  }
}

TEST(BackendFeatures, SessionFileFlagMeansTheClientKeepsItsSessionThere) {
  const backend_features& f = get_backend_features();
  if (!f.session_file) GTEST_SKIP() << "the libtls backend keeps no client session in a file";
  const temp_dir dir;
  config_options client_options = pki::client_options();
  client_options.session_file = dir / "session";
  client_options.protocols = protocol::tlsv1_2;  // the session is complete at the handshake's end
  // A server that can resume, where the backend has one: tlspp-openssl
  // keeps only sessions that may resume.
  config_options server_options = pki::server_options();
  if (f.session_lifetime) server_options.session_lifetime = 300s;
  memory_link link{config{client_options}, config{server_options}};
  ASSERT_TRUE(link.handshake()) << link.describe();
  EXPECT_GT(std::filesystem::file_size(dir / "session"), 0u);
}

TEST(BackendFeatures, CaPathFlagMatchesTheCaPathOption) {
  config_options o;
  o.ca_path = pki::dir();
  expect_builds_iff(get_backend_features().ca_path, o, "ca_path");
}

TEST(BackendFeatures, CurveAndDheFlagsMatchTheirOptions) {
  const backend_features& f = get_backend_features();
  config_options dhe = pki::server_options();
  dhe.dheparams = "auto";
  expect_builds_iff(f.dheparams, dhe, "dheparams");
  config_options curves = pki::client_options();
  curves.ecdhecurves = "X25519,P-256";
  expect_builds_iff(f.ecdhecurves, curves, "ecdhecurves");
}

TEST(BackendFeatures, VerifyClientOptionalFlagMatchesTheOption) {
  config_options o = pki::server_options();
  o.ca_file = pki::path("ca-bundle.pem");
  o.verify_client_optional = true;
  expect_builds_iff(get_backend_features().verify_client_optional, o, "verify_client_optional");
}

TEST(BackendFeatures, EncryptedKeysFlagMatchesKeyPassword) {
  const bool claimed = get_backend_features().encrypted_keys;
  config_options server = pki::server_options();
  server.key_file = pki::path("encrypted.key");
  server.key_password = pki::read("encrypted-password.txt");
  expect_builds_iff(claimed, server, "key_password");
  if (!claimed) return;
  memory_link link{config{pki::client_options()}, config{server}};
  EXPECT_TRUE(link.handshake()) << link.describe();
}

TEST(BackendFeatures, InsecureNoverifytimeFlagMatchesTheOption) {
  config_options o = pki::client_options();
  o.insecure_noverifytime = true;
  expect_builds_iff(get_backend_features().insecure_noverifytime, o, "insecure_noverifytime");
}

TEST(BackendFeatures, ClearKeysFlagMatchesConfigClearKeys) {
  config server_conf{pki::server_options()};
  memory_link configured_before{config{pki::client_options()}, server_conf};
  if (get_backend_features().clear_keys) {
    EXPECT_NO_THROW(server_conf.clear_keys());
  } else {
    EXPECT_THROW(server_conf.clear_keys(), error);
  }
  // Either way the server configured before still has its key.
  EXPECT_TRUE(configured_before.handshake()) << configured_before.describe();
}

TEST(BackendFeatures, PeerCertificateFlagsMatchWhatInfoReports) {
  memory_link link{config{pki::client_options()}, config{pki::server_options()}};
  ASSERT_TRUE(link.handshake()) << link.describe();
  const backend_features& f = get_backend_features();
  const auto peer = link.client.info().peer;
  ASSERT_TRUE(peer);
  EXPECT_EQ(!peer->issuer.empty(), f.peer_cert_issuer) << peer->issuer;
  EXPECT_EQ(peer->not_before.has_value(), f.peer_cert_times);
  EXPECT_EQ(peer->not_after.has_value(), f.peer_cert_times);
  // The test PKI's server certificate names 127.0.0.1.
  EXPECT_EQ(link.client.peer_cert_contains_name("127.0.0.1"), f.ip_address_names);
}

TEST(BackendFeatures, CipherStrengthIsReportedWhenClaimed) {
  memory_link link{config{pki::client_options()}, config{pki::server_options()}};
  ASSERT_TRUE(link.handshake()) << link.describe();
  const int bits = link.client.info().cipher_strength;
  if (get_backend_features().cipher_strength) {
    EXPECT_GE(bits, 128);
  } else {
    EXPECT_EQ(bits, 0);
  }
}

TEST(BackendFeatures, PeerCommonNameIsKnownWithOrWithoutLibtlsSupport) {
  // peer_cert_common_name only says where the CN comes from: tlspp parses the
  // subject when libtls cannot tell it.
  memory_link link{config{pki::client_options()}, config{pki::server_options()}};
  ASSERT_TRUE(link.handshake()) << link.describe();
  const auto info = link.client.info();
  ASSERT_TRUE(info.peer);
  EXPECT_EQ(info.peer->common_name, "localhost");
}

}  // namespace
}  // namespace tlspp::test
