// tlspp::config: every option of config_options, on its success path and on
// its failure path; a real handshake over memory_link wherever the option
// changes one, otherwise what the config/context constructors do.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "support/memory_link.hpp"
#include "support/pki.hpp"

namespace tlspp::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// ---------------------------------------------------------------------------
// Helpers

/// What one client/server handshake over memory_link came to.
struct handshake_outcome {
  bool ok = false;
  std::string client_error;
  std::string server_error;
  std::optional<connection_info> client_info;
  std::optional<connection_info> server_info;
};

std::ostream& operator<<(std::ostream& os, const handshake_outcome& r) {
  return os << "handshake " << (r.ok ? "succeeded" : "failed") << "; client error: '"
            << r.client_error << "'; server error: '" << r.server_error << "'";
}

handshake_outcome handshake(const config& client_conf, const config& server_conf,
                            std::string_view servername = "localhost") {
  memory_link link{client_conf, server_conf, servername};
  handshake_outcome r;
  r.ok = link.handshake();
  r.client_error = link.client_result.error;
  r.server_error = link.server_result.error;
  if (r.ok) {
    r.client_info = link.client.info();
    r.server_info = link.accepted.info();
  }
  return r;
}

handshake_outcome handshake(const config_options& client_options,
                            const config_options& server_options,
                            std::string_view servername = "localhost") {
  return handshake(config{client_options}, config{server_options}, servername);
}

/// Whether `text` contains `part`, showing `text` when it does not.
::testing::AssertionResult mentions(std::string_view text, std::string_view part) {
  if (text.find(part) != std::string_view::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << text << "' does not mention '" << part << "'";
}

/// The tlspp::error `f` throws; a test failure when it throws none.
error error_from(const std::function<void()>& f) {
  try {
    f();
  } catch (const error& e) {
    return e;
  }
  ADD_FAILURE() << "expected a tlspp::error, but nothing was thrown";
  return error{"(nothing thrown)", ""};
}

/// The error that building a config from `o` throws.
error config_error(const config_options& o) {
  return error_from([&] { config{o}; });
}

/// A server presenting the test PKI's `name` certificate and key.
config_options server_presenting(const std::string& name) {
  config_options o = pki::server_options(name);
  // The self-signed certificate has no chain file: it is its own chain.
  if (name == "selfsigned") o.cert_file = pki::path("selfsigned.crt");
  return o;
}

config_options client_with(const std::function<void(config_options&)>& change) {
  config_options o = pki::client_options();
  change(o);
  return o;
}

config_options server_with(const std::function<void(config_options&)>& change) {
  config_options o = pki::server_options();
  change(o);
  return o;
}

/// A fresh directory under the system's temporary directory, removed with
/// everything in it at the end of the test.
class temp_dir {
 public:
  temp_dir() {
    std::string pattern = (fs::temp_directory_path() / "tlspp-config-test.XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error{"mkdtemp failed"};
    path_ = pattern;
  }
  ~temp_dir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  [[nodiscard]] const fs::path& path() const { return path_; }
  [[nodiscard]] fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

/// libtls checks a stapled OCSP response only against a certificate naming
/// an OCSP responder (authorityInfoAccess). Without one in the test PKI,
/// every stapling test would fail for the fixture, not for tlspp.
void assert_pki_names_ocsp_responder(const handshake_outcome& r) {
  ASSERT_FALSE(mentions(r.client_error, "no OCSP URLs in peer certificate"))
      << "test PKI defect: the server leaves lack an OCSP URL (authorityInfoAccess), which "
         "libtls needs to check a staple; tests/pki/make-pki.sh must add one";
}

// ---------------------------------------------------------------------------
// Defaults and errors

TEST(ConfigDefaults, DefaultConfigVerifiesAgainstSystemCasAndRejectsTheTestPki) {
  try {
    const auto r = handshake(config{}, config{pki::server_options()});
    EXPECT_FALSE(r.ok) << r;
    EXPECT_TRUE(mentions(r.client_error, "certificate verification failed")) << r;
  } catch (const error& e) {
    // Without a system CA file libtls refuses to connect at all: still no trust.
    EXPECT_TRUE(mentions(e.message(), "CA")) << e.what();
  }
}

TEST(ConfigDefaults, TestPkiClientAndServerHandshake) {
  const auto r = handshake(pki::client_options(), pki::server_options());
  ASSERT_TRUE(r.ok) << r;
  ASSERT_TRUE(r.client_info->peer);
  EXPECT_EQ(r.client_info->peer->common_name, "localhost");
}

TEST(ConfigErrors, WhereNamesTheOptionAndMessageCarriesLibtlsText) {
  const error e = config_error(client_with([](auto& o) { o.ciphers = "nonsense"; }));
  EXPECT_EQ(e.where(), "config option ciphers");
  EXPECT_EQ(e.message(), "no ciphers for 'nonsense'");
  EXPECT_EQ(std::string{e.what()}, e.where() + ": " + e.message());
}

TEST(ConfigErrors, FirstRejectedOptionIsTheOneNamed) {
  // Only dheparams is wrong; every option before and after it is fine.
  const error e = config_error(server_with([](auto& o) {
    o.alpn = {"h2"};
    o.dheparams = "bogus";
    o.verify_depth = 4;
  }));
  EXPECT_EQ(e.where(), "config option dheparams");
  EXPECT_TRUE(mentions(e.message(), "invalid dhe param 'bogus'"));
}

// ---------------------------------------------------------------------------
// Options that name the same thing twice

TEST(ConfigExclusive, EachPairOfOptionsNamingOneThingIsRejected) {
  const std::string bundle = pki::read("ca-bundle.pem");
  const struct {
    const char* expected_where;
    const char* other;
    std::function<void(config_options&)> set;
  } cases[] = {
      {"config option cert", "cert_file",
       [](auto& o) { o.cert = pki::read("server-ecdsa-chain.pem"); }},
      {"config option key", "key_file", [](auto& o) { o.key = pki::read("server-ecdsa.key"); }},
      {"config option ca", "ca_file", [&](auto& o) { o.ca = bundle; }},
      {"config option crl", "crl_file",
       [](auto& o) {
         o.crl = pki::read("crl.pem");
         o.crl_file = pki::path("crl.pem");
       }},
      {"config option ocsp_staple", "ocsp_staple_file",
       [](auto& o) {
         o.ocsp_staple = pki::read("ocsp-good.der");
         o.ocsp_staple_file = pki::path("ocsp-good.der");
       }},
      {"config option ca", "ca_path",
       [&](auto& o) {
         o.ca_file.reset();
         o.ca = bundle;
         o.ca_path = pki::dir();
       }},
      {"config option ca_file", "ca_path", [](auto& o) { o.ca_path = pki::dir(); }},
      {"config option ecdhecurve", "ecdhecurves",
       [](auto& o) {
         o.ecdhecurve = "X25519";
         o.ecdhecurves = "X25519";
       }},
      {"config option prefer_ciphers_client", "prefer_ciphers_server",
       [](auto& o) {
         o.prefer_ciphers_client = true;
         o.prefer_ciphers_server = true;
       }},
      {"config option verify_client", "verify_client_optional",
       [](auto& o) {
         o.verify_client = true;
         o.verify_client_optional = true;
       }},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.expected_where);
    // Server options with files and a CA file: the case adds the clashing half.
    config_options o = pki::server_options();
    o.ca_file = pki::path("ca-bundle.pem");
    c.set(o);
    const error e = config_error(o);
    EXPECT_EQ(e.where(), c.expected_where);
    EXPECT_TRUE(mentions(e.message(), c.other));
  }
}

TEST(ConfigExclusive, KeyPasswordWithoutKeyFileIsRejected) {
  const error e = config_error(server_with([](auto& o) {
    o.key_file.reset();
    o.key = pki::read("server-ecdsa.key");
    o.key_password = "secret";
  }));
  EXPECT_EQ(e.where(), "config option key_password");
  EXPECT_TRUE(mentions(e.message(), "key_file"));
}

// ---------------------------------------------------------------------------
// alpn

TEST(ConfigAlpn, ServerSelectsAProtocolBothOffer) {
  const auto r = handshake(client_with([](auto& o) {
                             o.alpn = {"h2", "http/1.1"};
                           }),
                           server_with([](auto& o) { o.alpn = {"http/1.1"}; }));
  ASSERT_TRUE(r.ok) << r;
  EXPECT_EQ(r.client_info->alpn, "http/1.1");
  EXPECT_EQ(r.server_info->alpn, "http/1.1");
}

TEST(ConfigAlpn, NoCommonProtocolLeavesNoneSelected) {
  const auto r = handshake(client_with([](auto& o) { o.alpn = {"h2"}; }),
                           server_with([](auto& o) { o.alpn = {"http/1.1"}; }));
  ASSERT_TRUE(r.ok) << r;
  EXPECT_EQ(r.client_info->alpn, std::nullopt);
  EXPECT_EQ(r.server_info->alpn, std::nullopt);
}

TEST(ConfigAlpn, EmptyNameOrNameWithCommaIsRejected) {
  for (const std::string name : {"", "h2,http/1.1"}) {
    SCOPED_TRACE(name);
    const error e = config_error(client_with([&](auto& o) { o.alpn = {"h2", name}; }));
    EXPECT_EQ(e.where(), "config option alpn");
    EXPECT_TRUE(mentions(e.message(), "empty or contains a comma"));
  }
}

TEST(ConfigAlpn, NameLongerThan255BytesIsRejectedByLibtls) {
  const error e = config_error(client_with([](auto& o) { o.alpn = {std::string(256, 'a')}; }));
  EXPECT_EQ(e.where(), "config option alpn");
  EXPECT_TRUE(mentions(e.message(), "too long"));
}

// ---------------------------------------------------------------------------
// ca, ca_file, ca_path

TEST(ConfigCa, CaFromMemoryVerifiesTheServer) {
  const auto r = handshake(client_with([](auto& o) {
                             o.ca_file.reset();
                             o.ca = pki::read("ca-bundle.pem");
                           }),
                           pki::server_options());
  EXPECT_TRUE(r.ok) << r;
}

TEST(ConfigCa, CaFromMemoryThatDidNotIssueTheServerFailsVerification) {
  const auto r = handshake(client_with([](auto& o) {
                             o.ca_file.reset();
                             o.ca = pki::read("untrusted-ca.crt");
                           }),
                           pki::server_options());
  EXPECT_FALSE(r.ok) << r;
  EXPECT_TRUE(mentions(r.client_error, "unable to get local issuer certificate")) << r;
}

TEST(ConfigCa, MalformedCaFailsWhenTheClientConnects) {
  for (const char* file : {"garbage.pem", "empty.pem"}) {
    SCOPED_TRACE(file);
    const config conf{client_with([&](auto& o) { o.ca_file = pki::path(file); })};
    const error e = error_from([&] { memory_link link{conf, config{pki::server_options()}}; });
    EXPECT_EQ(e.where(), "client::connect");
    EXPECT_TRUE(mentions(e.message(), "ssl verify memory setup failure"));
  }
}

TEST(ConfigCaFile, MissingFileIsRejectedNamingCaFile) {
  const error e = config_error(client_with([](auto& o) { o.ca_file = pki::path("absent.pem"); }));
  EXPECT_EQ(e.where(), "config option ca_file");
  EXPECT_TRUE(mentions(e.message(), "absent.pem"));
  EXPECT_TRUE(mentions(e.message(), "No such file or directory"));
}

TEST(ConfigCaFile, DirectoryIsRejectedNamingCaFile) {
  const error e = config_error(client_with([](auto& o) { o.ca_file = pki::dir(); }));
  EXPECT_EQ(e.where(), "config option ca_file");
  EXPECT_TRUE(mentions(e.message(), "Is a directory"));
}

TEST(ConfigCaPath, HashedDirectoryWithTheRootVerifiesAndEmptyDirectoryDoesNot) {
  if (!get_backend_features().ca_path) GTEST_SKIP() << "the libtls backend has no ca_path";
  const temp_dir hashed;
  fs::copy_file(pki::path("root-ca.crt"), hashed / "root-ca.crt");
  const std::string rehash = "openssl rehash '" + hashed.path().string() + "' >/dev/null 2>&1";
  if (std::system(rehash.c_str()) != 0) GTEST_SKIP() << "no `openssl rehash` to hash the CA dir";
  bool has_hash_link = false;
  for (const auto& entry : fs::directory_iterator{hashed.path()}) {
    has_hash_link = has_hash_link || entry.path().extension() == ".0";
  }
  ASSERT_TRUE(has_hash_link) << "openssl rehash made no <hash>.0 link";

  const auto trusted = handshake(client_with([&](auto& o) {
                                   o.ca_file.reset();
                                   o.ca_path = hashed.path();
                                 }),
                                 pki::server_options());
  EXPECT_TRUE(trusted.ok) << trusted;

  const temp_dir empty;
  const auto untrusted = handshake(client_with([&](auto& o) {
                                     o.ca_file.reset();
                                     o.ca_path = empty.path();
                                   }),
                                   pki::server_options());
  EXPECT_FALSE(untrusted.ok) << untrusted;
  EXPECT_TRUE(mentions(untrusted.client_error, "unable to get local issuer certificate"))
      << untrusted;
}

// ---------------------------------------------------------------------------
// cert, cert_file, key, key_file, key_password

TEST(ConfigCert, CertAndKeyFromMemoryServeAHandshake) {
  const auto r = handshake(pki::client_options(), server_with([](auto& o) {
                             o.cert_file.reset();
                             o.key_file.reset();
                             o.cert = pki::read("server-rsa-chain.pem");
                             o.key = pki::read("server-rsa.key");
                           }));
  ASSERT_TRUE(r.ok) << r;
  ASSERT_TRUE(r.client_info->peer);
  EXPECT_EQ(r.client_info->peer->common_name, "localhost");
}

TEST(ConfigCert, CertAndKeyFilesServeAHandshake) {
  const auto r = handshake(pki::client_options(), pki::server_options("server-rsa"));
  EXPECT_TRUE(r.ok) << r;
}

TEST(ConfigCert, MalformedOrEmptyCertFileIsRejectedNamingCertFile) {
  for (const char* file : {"garbage.pem", "empty.pem"}) {
    SCOPED_TRACE(file);
    const error e = config_error(server_with([&](auto& o) { o.cert_file = pki::path(file); }));
    EXPECT_EQ(e.where(), "config option cert_file");
    EXPECT_TRUE(mentions(e.message(), "failed to load certificate"));
  }
}

TEST(ConfigCert, MalformedCertFromMemoryIsRejectedNamingCert) {
  const error e = config_error(server_with([](auto& o) {
    o.cert_file.reset();
    o.cert = pki::read("garbage.pem");
  }));
  EXPECT_EQ(e.where(), "config option cert");
  EXPECT_TRUE(mentions(e.message(), "failed to load certificate"));
}

TEST(ConfigCert, DirectoryWhereCertFileBelongsIsRejected) {
  const error e = config_error(server_with([](auto& o) { o.cert_file = pki::dir(); }));
  EXPECT_EQ(e.where(), "config option cert_file");
  EXPECT_TRUE(mentions(e.message(), "Is a directory"));
}

TEST(ConfigKey, MissingKeyFileIsRejectedNamingKeyFile) {
  const error e = config_error(server_with([](auto& o) { o.key_file = pki::path("absent.key"); }));
  EXPECT_EQ(e.where(), "config option key_file");
  EXPECT_TRUE(mentions(e.message(), "No such file or directory"));
}

TEST(ConfigKey, DirectoryWhereKeyFileBelongsIsRejected) {
  const error e = config_error(server_with([](auto& o) { o.key_file = pki::dir(); }));
  EXPECT_EQ(e.where(), "config option key_file");
  EXPECT_TRUE(mentions(e.message(), "Is a directory"));
}

TEST(ConfigKey, KeyNotMatchingTheCertMakesTheServerConstructorThrow) {
  const config conf{server_with([](auto& o) { o.key_file = pki::path("key-mismatch.key"); })};
  const error e = error_from([&] { server s{conf}; });
  EXPECT_EQ(e.where(), "server: configure");
  EXPECT_TRUE(mentions(e.message(), "private key"));
}

TEST(ConfigKey, ServerWithCertButNoKeyIsRejectedByTheServerConstructor) {
  const config conf{server_with([](auto& o) { o.key_file.reset(); })};
  const error e = error_from([&] { server s{conf}; });
  EXPECT_EQ(e.where(), "server: configure");
  EXPECT_TRUE(mentions(e.message(), "key mismatch"));
}

TEST(ConfigKeyPassword, EncryptedKeyWithItsPasswordServesAHandshake) {
  if (!get_backend_features().encrypted_keys) GTEST_SKIP() << "backend cannot decrypt keys";
  const auto r = handshake(pki::client_options(), server_with([](auto& o) {
                             o.key_file = pki::path("encrypted.key");
                             o.key_password = pki::read("encrypted-password.txt");
                           }));
  EXPECT_TRUE(r.ok) << r;
}

TEST(ConfigKeyPassword, WrongPasswordIsRejectedNamingKeyFile) {
  if (!get_backend_features().encrypted_keys) GTEST_SKIP() << "backend cannot decrypt keys";
  const error e = config_error(server_with([](auto& o) {
    o.key_file = pki::path("encrypted.key");
    o.key_password = "not-the-password";
  }));
  EXPECT_EQ(e.where(), "config option key_file");
  EXPECT_TRUE(mentions(e.message(), "encrypted.key"));
  EXPECT_TRUE(mentions(e.message(), "wrong password"));
}

TEST(ConfigKeyPassword, EncryptedKeyWithoutPasswordFailsInTheServerConstructor) {
  const config conf{server_with([](auto& o) { o.key_file = pki::path("encrypted.key"); })};
  const error e = error_from([&] { server s{conf}; });
  EXPECT_EQ(e.where(), "server: configure");
  EXPECT_TRUE(mentions(e.message(), "private key"));
}

// ---------------------------------------------------------------------------
// ocsp_staple, ocsp_staple_file, ocsp_require_stapling

TEST(ConfigOcsp, RequiredStaplingFailsWhenTheServerStaplesNothing) {
  if (!get_backend_features().ocsp_stapling) GTEST_SKIP() << "backend has no OCSP stapling";
  const auto r = handshake(client_with([](auto& o) { o.ocsp_require_stapling = true; }),
                           pki::server_options());
  EXPECT_FALSE(r.ok) << r;
  EXPECT_TRUE(mentions(r.client_error, "no stapled OCSP response")) << r;
}

TEST(ConfigOcsp, RequiredStaplingSucceedsWithAGoodStapleFromFile) {
  if (!get_backend_features().ocsp_stapling) GTEST_SKIP() << "backend has no OCSP stapling";
  const auto r =
      handshake(client_with([](auto& o) { o.ocsp_require_stapling = true; }),
                server_with([](auto& o) { o.ocsp_staple_file = pki::path("ocsp-good.der"); }));
  assert_pki_names_ocsp_responder(r);
  ASSERT_TRUE(r.ok) << r;
  ASSERT_TRUE(r.client_info->ocsp);
  EXPECT_EQ(r.client_info->ocsp->cert_status, ocsp_cert_status::good);
}

TEST(ConfigOcsp, RequiredStaplingSucceedsWithAGoodStapleFromMemory) {
  if (!get_backend_features().ocsp_stapling) GTEST_SKIP() << "backend has no OCSP stapling";
  const auto r =
      handshake(client_with([](auto& o) { o.ocsp_require_stapling = true; }),
                server_with([](auto& o) { o.ocsp_staple = pki::read("ocsp-good.der"); }));
  assert_pki_names_ocsp_responder(r);
  ASSERT_TRUE(r.ok) << r;
  ASSERT_TRUE(r.client_info->ocsp);
  EXPECT_EQ(r.client_info->ocsp->cert_status, ocsp_cert_status::good);
}

TEST(ConfigOcsp, StapleForAnotherCertificateFailsTheHandshake) {
  if (!get_backend_features().ocsp_stapling) GTEST_SKIP() << "backend has no OCSP stapling";
  // ocsp-good-rsa.der answers for server-rsa.crt, not for the ECDSA leaf.
  const auto r =
      handshake(pki::client_options(),
                server_with([](auto& o) { o.ocsp_staple_file = pki::path("ocsp-good-rsa.der"); }));
  assert_pki_names_ocsp_responder(r);
  EXPECT_FALSE(r.ok) << r;
  EXPECT_TRUE(mentions(r.client_error, "ocsp verify failed")) << r;
}

TEST(ConfigOcsp, MissingStapleFileIsRejectedNamingOcspStapleFile) {
  if (!get_backend_features().ocsp_stapling) GTEST_SKIP() << "backend has no OCSP stapling";
  const error e =
      config_error(server_with([](auto& o) { o.ocsp_staple_file = pki::path("absent.der"); }));
  EXPECT_EQ(e.where(), "config option ocsp_staple_file");
  EXPECT_TRUE(mentions(e.message(), "No such file or directory"));
}

// ---------------------------------------------------------------------------
// crl, crl_file

TEST(ConfigCrl, CrlFileLetsGoodCertificatesThroughAndRejectsTheRevokedOne) {
  if (!get_backend_features().crl) GTEST_SKIP() << "backend has no CRL support";
  const config client{client_with([](auto& o) { o.crl_file = pki::path("crl.pem"); })};
  const auto good = handshake(client, config{pki::server_options()});
  EXPECT_TRUE(good.ok) << good;
  const auto revoked = handshake(client, config{pki::server_options("revoked")});
  EXPECT_FALSE(revoked.ok) << revoked;
  EXPECT_TRUE(mentions(revoked.client_error, "certificate revoked")) << revoked;
}

TEST(ConfigCrl, CrlFromMemoryRejectsTheRevokedCertificate) {
  if (!get_backend_features().crl) GTEST_SKIP() << "backend has no CRL support";
  const config client{client_with([](auto& o) { o.crl = pki::read("crl.pem"); })};
  EXPECT_TRUE(handshake(client, config{pki::server_options()}).ok);
  const auto revoked = handshake(client, config{pki::server_options("revoked")});
  EXPECT_FALSE(revoked.ok) << revoked;
  EXPECT_TRUE(mentions(revoked.client_error, "certificate revoked")) << revoked;
}

TEST(ConfigCrl, WithoutCrlTheRevokedCertificateIsAccepted) {
  // The baseline that makes the CRL tests meaningful.
  const auto r = handshake(pki::client_options(), pki::server_options("revoked"));
  EXPECT_TRUE(r.ok) << r;
}

TEST(ConfigCrl, MissingCrlFileIsRejectedNamingCrlFile) {
  if (!get_backend_features().crl) GTEST_SKIP() << "backend has no CRL support";
  const error e = config_error(client_with([](auto& o) { o.crl_file = pki::path("absent.pem"); }));
  EXPECT_EQ(e.where(), "config option crl_file");
  EXPECT_TRUE(mentions(e.message(), "No such file or directory"));
}

TEST(ConfigCrl, MalformedCrlFailsWhenTheClientConnects) {
  if (!get_backend_features().crl) GTEST_SKIP() << "backend has no CRL support";
  const config conf{client_with([](auto& o) { o.crl_file = pki::path("garbage.pem"); })};
  const error e = error_from([&] { memory_link link{conf, config{pki::server_options()}}; });
  EXPECT_EQ(e.where(), "client::connect");
  EXPECT_TRUE(mentions(e.message(), "crl"));
}

// ---------------------------------------------------------------------------
// keypairs

std::optional<std::string> served_common_name(const config& server_conf,
                                              std::string_view servername) {
  const config client{client_with([](auto& o) { o.insecure_noverifyname = true; })};
  const auto r = handshake(client, server_conf, servername);
  EXPECT_TRUE(r.ok) << r;
  if (!r.ok || !r.client_info->peer) return std::nullopt;
  return r.client_info->peer->common_name;
}

TEST(ConfigKeypairs, ExtraKeypairFromFilesIsServedBySni) {
  const config server{server_with([](auto& o) {
    o.keypairs = {keypair{.cert_file = pki::path("sni-other-chain.pem"),
                          .key_file = pki::path("sni-other.key")}};
  })};
  EXPECT_EQ(served_common_name(server, "other.test"), "other.test");
  EXPECT_EQ(served_common_name(server, "localhost"), "localhost");
}

TEST(ConfigKeypairs, ExtraKeypairFromMemoryIsServedBySni) {
  const config server{server_with([](auto& o) {
    o.keypairs = {
        keypair{.cert = pki::read("sni-other-chain.pem"), .key = pki::read("sni-other.key")}};
  })};
  EXPECT_EQ(served_common_name(server, "other.test"), "other.test");
  EXPECT_EQ(served_common_name(server, "localhost"), "localhost");
}

TEST(ConfigKeypairs, WithoutCertOrKeyTheFirstKeypairIsTheDefault) {
  const config server{
      config_options{.keypairs = {keypair{.cert_file = pki::path("server-ecdsa-chain.pem"),
                                          .key_file = pki::path("server-ecdsa.key")},
                                  keypair{.cert = pki::read("sni-other-chain.pem"),
                                          .key = pki::read("sni-other.key")}}}};
  EXPECT_EQ(served_common_name(server, "localhost"), "localhost");
  EXPECT_EQ(served_common_name(server, "other.test"), "other.test");
  // A name no keypair has gets the default one, the first.
  EXPECT_EQ(served_common_name(server, "unknown.test"), "localhost");
}

TEST(ConfigKeypairs, EncryptedKeypairKeyWithPasswordIsServed) {
  if (!get_backend_features().encrypted_keys) GTEST_SKIP() << "backend cannot decrypt keys";
  const config server{
      config_options{.keypairs = {keypair{.cert_file = pki::path("server-ecdsa-chain.pem"),
                                          .key_file = pki::path("encrypted.key"),
                                          .key_password = pki::read("encrypted-password.txt")}}}};
  EXPECT_EQ(served_common_name(server, "localhost"), "localhost");
}

TEST(ConfigKeypairs, KeypairWithoutKeyIsRejected) {
  const error e = config_error(
      server_with([](auto& o) { o.keypairs = {keypair{.cert = pki::read("sni-other.crt")}}; }));
  EXPECT_EQ(e.where(), "config option keypairs[0].key");
  EXPECT_TRUE(mentions(e.message(), "missing"));
}

TEST(ConfigKeypairs, KeypairWithoutCertIsRejected) {
  const error e = config_error(server_with([](auto& o) {
    o.keypairs = {keypair{.cert = pki::read("sni-other.crt"), .key = pki::read("sni-other.key")},
                  keypair{.key_file = pki::path("sni-other.key")}};
  }));
  EXPECT_EQ(e.where(), "config option keypairs[1].cert");
  EXPECT_TRUE(mentions(e.message(), "missing"));
}

TEST(ConfigKeypairs, KeypairWithBothMemoryAndFileFormsIsRejected) {
  const error cert = config_error(server_with([](auto& o) {
    o.keypairs = {keypair{.cert = pki::read("sni-other.crt"),
                          .cert_file = pki::path("sni-other.crt"),
                          .key = pki::read("sni-other.key")}};
  }));
  EXPECT_EQ(cert.where(), "config option keypairs[0].cert");
  EXPECT_TRUE(mentions(cert.message(), "cert_file"));

  const error key = config_error(server_with([](auto& o) {
    o.keypairs = {keypair{.cert = pki::read("sni-other.crt"),
                          .key = pki::read("sni-other.key"),
                          .key_file = pki::path("sni-other.key")}};
  }));
  EXPECT_EQ(key.where(), "config option keypairs[0].key");
  EXPECT_TRUE(mentions(key.message(), "key_file"));
}

TEST(ConfigKeypairs, KeypairKeyPasswordWithoutKeyFileIsRejected) {
  const error e = config_error(server_with([](auto& o) {
    o.keypairs = {keypair{.cert = pki::read("sni-other.crt"),
                          .key = pki::read("sni-other.key"),
                          .key_password = "secret"}};
  }));
  EXPECT_EQ(e.where(), "config option keypairs[0].key_password");
}

TEST(ConfigKeypairs, KeypairFileThatIsMissingIsRejectedNamingIt) {
  const error e = config_error(server_with([](auto& o) {
    o.keypairs = {keypair{.cert_file = pki::path("absent.crt"), .key = pki::read("sni-other.key")}};
  }));
  EXPECT_EQ(e.where(), "config option keypairs[0].cert_file");
  EXPECT_TRUE(mentions(e.message(), "absent.crt"));
}

TEST(ConfigKeypairs, KeypairWithWrongPasswordIsRejectedNamingItsKeyFile) {
  if (!get_backend_features().encrypted_keys) GTEST_SKIP() << "backend cannot decrypt keys";
  const error e = config_error(server_with([](auto& o) {
    o.keypairs = {keypair{.cert_file = pki::path("server-ecdsa-chain.pem"),
                          .key_file = pki::path("encrypted.key"),
                          .key_password = "wrong"}};
  }));
  EXPECT_EQ(e.where(), "config option keypairs[0].key_file");
}

TEST(ConfigKeypairs, KeypairKeyNotMatchingItsCertMakesTheServerConstructorThrow) {
  const config conf{server_with([](auto& o) {
    o.keypairs = {keypair{.cert_file = pki::path("sni-other-chain.pem"),
                          .key_file = pki::path("key-mismatch.key")}};
  })};
  const error e = error_from([&] { server s{conf}; });
  EXPECT_EQ(e.where(), "server: configure");
  EXPECT_TRUE(mentions(e.message(), "private key"));
}

// ---------------------------------------------------------------------------
// ticket_keys

TEST(ConfigTicketKeys, ServerWithTicketKeysHandshakes) {
  if (!get_backend_features().session_tickets) GTEST_SKIP() << "backend has no ticket keys";
  ticket_key older{.keyrev = 1};
  ticket_key newer{.keyrev = 2};
  older.key.fill(std::byte{0x11});
  newer.key.fill(std::byte{0x22});
  const auto r = handshake(pki::client_options(), server_with([&](auto& o) {
                             o.ticket_keys = {older, newer};
                           }));
  EXPECT_TRUE(r.ok) << r;
}

TEST(ConfigTicketKeys, TwoDifferentKeysWithOneRevisionAreRejected) {
  if (!get_backend_features().session_tickets) GTEST_SKIP() << "backend has no ticket keys";
  ticket_key first{.keyrev = 7};
  ticket_key second{.keyrev = 7};
  second.key.fill(std::byte{0x5a});
  const error e = config_error(server_with([&](auto& o) { o.ticket_keys = {first, second}; }));
  EXPECT_EQ(e.where(), "config option ticket_keys[1]");
  EXPECT_TRUE(mentions(e.message(), "already present"));
}

// ---------------------------------------------------------------------------
// ciphers, prefer_ciphers_client, prefer_ciphers_server

constexpr const char* aes128 = "ECDHE-ECDSA-AES128-GCM-SHA256";
constexpr const char* aes256 = "ECDHE-ECDSA-AES256-GCM-SHA384";

TEST(ConfigCiphers, PinnedTls12CipherIsTheOneNegotiated) {
  const auto r = handshake(client_with([](auto& o) {
                             o.protocols = protocol::tlsv1_2;
                             o.ciphers = aes128;
                           }),
                           pki::server_options());
  ASSERT_TRUE(r.ok) << r;
  EXPECT_EQ(r.client_info->version, "TLSv1.2");
  EXPECT_EQ(r.client_info->cipher, aes128);
  EXPECT_EQ(r.server_info->cipher, aes128);
}

TEST(ConfigCiphers, NoCipherInCommonFailsTheHandshake) {
  const auto r = handshake(client_with([](auto& o) {
                             o.protocols = protocol::tlsv1_2;
                             o.ciphers = "ECDHE-RSA-AES128-GCM-SHA256";
                           }),
                           pki::server_options());  // an ECDSA certificate
  EXPECT_FALSE(r.ok) << r;
  EXPECT_TRUE(mentions(r.server_error, "no shared cipher")) << r;
}

TEST(ConfigCiphers, NonsenseCipherStringIsRejectedNamingCiphers) {
  const error e = config_error(client_with([](auto& o) { o.ciphers = "not-a-cipher-at-all"; }));
  EXPECT_EQ(e.where(), "config option ciphers");
  EXPECT_TRUE(mentions(e.message(), "no ciphers for 'not-a-cipher-at-all'"));
}

TEST(ConfigCiphers, NamedCipherSetsAreAccepted) {
  for (const char* name : {"secure", "default", "compat", "legacy", "insecure", "all"}) {
    SCOPED_TRACE(name);
    EXPECT_NO_THROW(config{client_with([&](auto& o) { o.ciphers = name; })});
  }
}

/// The TLS 1.2 cipher chosen when the client prefers AES-128 and the server
/// AES-256, with the server's preference flags set by `flags`.
std::string cipher_chosen_with(const std::function<void(config_options&)>& flags) {
  const auto r = handshake(client_with([](auto& o) {
                             o.protocols = protocol::tlsv1_2;
                             o.ciphers = std::string{aes128} + ":" + aes256;
                           }),
                           server_with([&](auto& o) {
                             o.ciphers = std::string{aes256} + ":" + aes128;
                             flags(o);
                           }));
  EXPECT_TRUE(r.ok) << r;
  return r.ok ? r.client_info->cipher : std::string{};
}

TEST(ConfigPreferCiphers, PreferServerPicksTheServersFirstChoice) {
  EXPECT_EQ(cipher_chosen_with([](auto& o) { o.prefer_ciphers_server = true; }), aes256);
}

TEST(ConfigPreferCiphers, PreferClientPicksTheClientsFirstChoice) {
  EXPECT_EQ(cipher_chosen_with([](auto& o) { o.prefer_ciphers_client = true; }), aes128);
}

TEST(ConfigPreferCiphers, DefaultIsTheServersChoice) {
  EXPECT_EQ(cipher_chosen_with([](auto&) {}), aes256);
}

// ---------------------------------------------------------------------------
// dheparams, ecdhecurve, ecdhecurves

/// A TLS 1.2 client that accepts only finite-field DHE with RSA.
config_options dhe_only_client() {
  return client_with([](auto& o) {
    o.protocols = protocol::tlsv1_2;
    o.ciphers = "DHE-RSA-AES128-GCM-SHA256";
  });
}

TEST(ConfigDheparams, AutoEnablesDheCipherSuites) {
  if (!get_backend_features().dheparams) GTEST_SKIP() << "backend has no dheparams";
  config_options server = pki::server_options("server-rsa");
  server.dheparams = "auto";
  const auto r = handshake(dhe_only_client(), server);
  ASSERT_TRUE(r.ok) << r;
  EXPECT_EQ(r.client_info->cipher, "DHE-RSA-AES128-GCM-SHA256");
}

TEST(ConfigDheparams, WithoutDheparamsADheOnlyClientFindsNoCipher) {
  config_options server = pki::server_options("server-rsa");
  server.dheparams = "none";
  const auto r = handshake(dhe_only_client(), server);
  EXPECT_FALSE(r.ok) << r;
  EXPECT_TRUE(mentions(r.server_error, "no shared cipher")) << r;
}

TEST(ConfigDheparams, BogusValueIsRejectedNamingDheparams) {
  const error e = config_error(server_with([](auto& o) { o.dheparams = "bogus"; }));
  EXPECT_EQ(e.where(), "config option dheparams");
  EXPECT_TRUE(mentions(e.message(), "bogus"));
}

TEST(ConfigEcdhe, SingleCurveOnBothSidesHandshakes) {
  const auto r = handshake(client_with([](auto& o) { o.ecdhecurve = "P-384"; }),
                           server_with([](auto& o) { o.ecdhecurve = "P-384"; }));
  EXPECT_TRUE(r.ok) << r;
}

TEST(ConfigEcdhe, SingleCurveRejectsAList) {
  const error e = config_error(client_with([](auto& o) { o.ecdhecurve = "X25519,P-256"; }));
  EXPECT_EQ(e.where(), "config option ecdhecurve");
  EXPECT_TRUE(mentions(e.message(), "invalid ecdhe curve"));
}

TEST(ConfigEcdhe, CurvesListX25519Handshakes) {
  if (!get_backend_features().ecdhecurves) GTEST_SKIP() << "backend has no ecdhecurves";
  const auto r = handshake(client_with([](auto& o) { o.ecdhecurves = "X25519"; }),
                           server_with([](auto& o) { o.ecdhecurves = "X25519,P-256"; }));
  EXPECT_TRUE(r.ok) << r;
}

TEST(ConfigEcdhe, NoCurveInCommonFailsTheHandshake) {
  if (!get_backend_features().ecdhecurves) GTEST_SKIP() << "backend has no ecdhecurves";
  const auto r = handshake(client_with([](auto& o) { o.ecdhecurves = "P-384"; }),
                           server_with([](auto& o) { o.ecdhecurves = "X25519"; }));
  EXPECT_FALSE(r.ok) << r;
  EXPECT_FALSE(r.server_error.empty()) << r;
}

TEST(ConfigEcdhe, UnknownCurveIsRejectedNamingEcdhecurves) {
  if (!get_backend_features().ecdhecurves) GTEST_SKIP() << "backend has no ecdhecurves";
  const error e = config_error(client_with([](auto& o) { o.ecdhecurves = "nope"; }));
  EXPECT_EQ(e.where(), "config option ecdhecurves");
  EXPECT_TRUE(mentions(e.message(), "nope"));
}

// ---------------------------------------------------------------------------
// protocols

TEST(ConfigProtocols, StringTls12OnlyNegotiatesTls12) {
  const auto r =
      handshake(client_with([](auto& o) { o.protocols = "tlsv1.2"; }), pki::server_options());
  ASSERT_TRUE(r.ok) << r;
  EXPECT_EQ(r.client_info->version, "TLSv1.2");
  EXPECT_EQ(r.server_info->version, "TLSv1.2");
}

TEST(ConfigProtocols, TypedTls12OnlyServerNegotiatesTls12) {
  const auto r = handshake(pki::client_options(),
                           server_with([](auto& o) { o.protocols = protocol::tlsv1_2; }));
  ASSERT_TRUE(r.ok) << r;
  EXPECT_EQ(r.client_info->version, "TLSv1.2");
}

TEST(ConfigProtocols, TypedTls13OnlyNegotiatesTls13) {
  if (!get_backend_features().tls1_3) GTEST_SKIP() << "backend has no TLS 1.3";
  const auto r = handshake(client_with([](auto& o) { o.protocols = protocol::tlsv1_3; }),
                           server_with([](auto& o) { o.protocols = "secure"; }));
  ASSERT_TRUE(r.ok) << r;
  EXPECT_EQ(r.client_info->version, "TLSv1.3");
}

TEST(ConfigProtocols, Tls13OnlyClientAgainstTls12OnlyServerFailsWithAMessage) {
  if (!get_backend_features().tls1_3) GTEST_SKIP() << "backend has no TLS 1.3";
  const auto r = handshake(client_with([](auto& o) { o.protocols = protocol::tlsv1_3; }),
                           server_with([](auto& o) { o.protocols = protocol::tlsv1_2; }));
  EXPECT_FALSE(r.ok) << r;
  EXPECT_TRUE(mentions(r.server_error, "unsupported protocol")) << r;
}

TEST(ConfigProtocols, BogusStringThrowsWhenTheSetIsBuilt) {
  const error e = error_from([] { protocol_set bogus{"bogus"}; });
  EXPECT_EQ(e.where(), "config option protocols");
  EXPECT_TRUE(mentions(e.message(), "'bogus'"));
}

TEST(ConfigProtocols, EmptySetIsRejected) {
  const error e = config_error(client_with([](auto& o) { o.protocols = protocol_set{}; }));
  EXPECT_EQ(e.where(), "config option protocols");
  EXPECT_TRUE(mentions(e.message(), "empty"));
}

// ---------------------------------------------------------------------------
// verify_depth

TEST(ConfigVerifyDepth, DepthCoveringThreeIntermediatesVerifiesTheDeepChain) {
  const auto r =
      handshake(client_with([](auto& o) { o.verify_depth = 3; }), pki::server_options("deep-leaf"));
  EXPECT_TRUE(r.ok) << r;
}

TEST(ConfigVerifyDepth, DepthTwoRejectsTheDeepChain) {
  const auto r =
      handshake(client_with([](auto& o) { o.verify_depth = 2; }), pki::server_options("deep-leaf"));
  EXPECT_FALSE(r.ok) << r;
  EXPECT_TRUE(mentions(r.client_error, "chain too long")) << r;
}

// ---------------------------------------------------------------------------
// insecure_noverifycert, insecure_noverifyname, insecure_noverifytime

TEST(ConfigInsecure, DefaultVerificationRejectsEveryBadCertificate) {
  const struct {
    const char* server;
    const char* reason;
  } cases[] = {
      {"selfsigned", "self-signed certificate"},
      {"untrusted", "unable to get local issuer certificate"},
      {"wrongname", "name `localhost' not present in server certificate"},
      {"expired", "certificate has expired"},
      {"notyetvalid", "certificate is not yet valid"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.server);
    const auto r = handshake(pki::client_options(), server_presenting(c.server));
    EXPECT_FALSE(r.ok) << r;
    EXPECT_TRUE(mentions(r.client_error, c.reason)) << r;
  }
}

TEST(ConfigInsecure, NoVerifyCertAcceptsSelfSignedAndUntrustedButStillChecksTheName) {
  const config client{client_with([](auto& o) { o.insecure_noverifycert = true; })};
  for (const char* server : {"selfsigned", "untrusted", "expired"}) {
    SCOPED_TRACE(server);
    const auto r = handshake(client, config{server_presenting(server)});
    EXPECT_TRUE(r.ok) << r;
  }
  const auto wrongname = handshake(client, config{server_presenting("wrongname")});
  EXPECT_FALSE(wrongname.ok) << wrongname;
  EXPECT_TRUE(mentions(wrongname.client_error, "name `localhost' not present")) << wrongname;
}

TEST(ConfigInsecure, NoVerifyNameAcceptsAWrongNameButStillRejectsUntrustedAndExpired) {
  const config client{client_with([](auto& o) { o.insecure_noverifyname = true; })};
  const auto wrongname = handshake(client, config{server_presenting("wrongname")});
  EXPECT_TRUE(wrongname.ok) << wrongname;
  const auto untrusted = handshake(client, config{server_presenting("untrusted")});
  EXPECT_FALSE(untrusted.ok) << untrusted;
  EXPECT_TRUE(mentions(untrusted.client_error, "unable to get local issuer")) << untrusted;
  const auto expired = handshake(client, config{server_presenting("expired")});
  EXPECT_FALSE(expired.ok) << expired;
  EXPECT_TRUE(mentions(expired.client_error, "certificate has expired")) << expired;
}

TEST(ConfigInsecure, NoVerifyTimeAcceptsExpiredAndNotYetValidButStillChecksNameAndTrust) {
  const config client{client_with([](auto& o) { o.insecure_noverifytime = true; })};
  for (const char* server : {"expired", "notyetvalid"}) {
    SCOPED_TRACE(server);
    const auto r = handshake(client, config{server_presenting(server)});
    EXPECT_TRUE(r.ok) << r;
  }
  const auto wrongname = handshake(client, config{server_presenting("wrongname")});
  EXPECT_FALSE(wrongname.ok) << wrongname;
  EXPECT_TRUE(mentions(wrongname.client_error, "name `localhost' not present")) << wrongname;
  const auto untrusted = handshake(client, config{server_presenting("untrusted")});
  EXPECT_FALSE(untrusted.ok) << untrusted;
  EXPECT_TRUE(mentions(untrusted.client_error, "unable to get local issuer")) << untrusted;
}

// ---------------------------------------------------------------------------
// verify_client, verify_client_optional

config_options client_presenting_cert(const std::string& name) {
  return client_with([&](auto& o) {
    o.cert_file = pki::path(name == "selfsigned" ? "selfsigned.crt" : name + "-chain.pem");
    o.key_file = pki::path(name + ".key");
  });
}

config_options server_verifying_clients(bool required) {
  return server_with([&](auto& o) {
    o.ca_file = pki::path("ca-bundle.pem");
    o.verify_client = required;
    o.verify_client_optional = !required;
  });
}

TEST(ConfigVerifyClient, RequiredClientCertificateIsVerifiedAndShownToTheServer) {
  const auto r = handshake(client_presenting_cert("client"), server_verifying_clients(true));
  ASSERT_TRUE(r.ok) << r;
  ASSERT_TRUE(r.server_info->peer);
  EXPECT_EQ(r.server_info->peer->common_name, "tlspp test client");
}

TEST(ConfigVerifyClient, RequiredClientCertificateMissingFailsTheHandshake) {
  const auto r = handshake(pki::client_options(), server_verifying_clients(true));
  EXPECT_FALSE(r.ok) << r;
  EXPECT_TRUE(mentions(r.server_error, "did not return a certificate")) << r;
}

TEST(ConfigVerifyClient, OptionalClientCertificateMayBeAbsent) {
  if (!get_backend_features().verify_client_optional) GTEST_SKIP() << "not in this backend";
  const auto r = handshake(pki::client_options(), server_verifying_clients(false));
  ASSERT_TRUE(r.ok) << r;
  EXPECT_FALSE(r.server_info->peer);
}

TEST(ConfigVerifyClient, OptionalClientCertificateIsVerifiedWhenPresent) {
  if (!get_backend_features().verify_client_optional) GTEST_SKIP() << "not in this backend";
  const auto good = handshake(client_presenting_cert("client"), server_verifying_clients(false));
  ASSERT_TRUE(good.ok) << good;
  ASSERT_TRUE(good.server_info->peer);
  EXPECT_EQ(good.server_info->peer->common_name, "tlspp test client");

  const auto untrusted =
      handshake(client_presenting_cert("selfsigned"), server_verifying_clients(false));
  EXPECT_FALSE(untrusted.ok) << untrusted;
  EXPECT_TRUE(mentions(untrusted.server_error, "certificate verify failed")) << untrusted;
}

TEST(ConfigVerifyClient, WithoutVerifyClientTheServerAsksForNoCertificate) {
  const auto r = handshake(client_presenting_cert("client"), pki::server_options());
  ASSERT_TRUE(r.ok) << r;
  EXPECT_FALSE(r.server_info->peer);
}

// ---------------------------------------------------------------------------
// session_id, session_lifetime, session_file

TEST(ConfigSession, SessionIdOf32BytesIsAccepted) {
  if (!get_backend_features().session_id) GTEST_SKIP() << "backend has no session IDs";
  const auto r = handshake(pki::client_options(),
                           server_with([](auto& o) { o.session_id = std::string(32, 'i'); }));
  EXPECT_TRUE(r.ok) << r;
}

TEST(ConfigSession, SessionIdOf33BytesIsRejected) {
  if (!get_backend_features().session_id) GTEST_SKIP() << "backend has no session IDs";
  const error e = config_error(server_with([](auto& o) { o.session_id = std::string(33, 'i'); }));
  EXPECT_EQ(e.where(), "config option session_id");
  EXPECT_TRUE(mentions(e.message(), "too large"));
}

TEST(ConfigSession, SessionLifetimeInRangeOrZeroIsAccepted) {
  if (!get_backend_features().session_lifetime) GTEST_SKIP() << "no session lifetime";
  for (const auto lifetime : {0s, 300s}) {
    SCOPED_TRACE(lifetime.count());
    const auto r = handshake(pki::client_options(),
                             server_with([&](auto& o) { o.session_lifetime = lifetime; }));
    EXPECT_TRUE(r.ok) << r;
  }
}

TEST(ConfigSession, NegativeSessionLifetimeIsRejected) {
  if (!get_backend_features().session_lifetime) GTEST_SKIP() << "no session lifetime";
  const error e = config_error(server_with([](auto& o) { o.session_lifetime = -1s; }));
  EXPECT_EQ(e.where(), "config option session_lifetime");
}

TEST(ConfigSession, SessionLifetimeOutsideLibtlsLimitsIsRejectedWithItsMessage) {
  if (!get_backend_features().session_lifetime) GTEST_SKIP() << "no session lifetime";
  const error small = config_error(server_with([](auto& o) { o.session_lifetime = 1s; }));
  EXPECT_EQ(small.where(), "config option session_lifetime");
  EXPECT_TRUE(mentions(small.message(), "too small"));
  const error large = config_error(server_with([](auto& o) { o.session_lifetime = 48h; }));
  EXPECT_EQ(large.where(), "config option session_lifetime");
  EXPECT_TRUE(mentions(large.message(), "too large"));
}

TEST(ConfigSession, NewSessionFileIsCreatedOwnerOnlyAndTheClientHandshakes) {
  if (!get_backend_features().session_file) GTEST_SKIP() << "backend has no session file";
  const temp_dir dir;
  const fs::path file = dir / "session";
  const auto r =
      handshake(client_with([&](auto& o) { o.session_file = file; }), pki::server_options());
  EXPECT_TRUE(r.ok) << r;
  ASSERT_TRUE(fs::is_regular_file(file));
  EXPECT_EQ(fs::status(file).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
}

TEST(ConfigSession, SessionFileThatCannotBeOpenedIsRejected) {
  if (!get_backend_features().session_file) GTEST_SKIP() << "backend has no session file";
  const temp_dir dir;
  const error e =
      config_error(client_with([&](auto& o) { o.session_file = dir / "no-such-dir" / "session"; }));
  EXPECT_EQ(e.where(), "config option session_file");
  EXPECT_TRUE(mentions(e.message(), "No such file or directory"));

  const error directory = config_error(client_with([&](auto& o) { o.session_file = dir.path(); }));
  EXPECT_EQ(directory.where(), "config option session_file");
  EXPECT_TRUE(mentions(directory.message(), "Is a directory"));
}

TEST(ConfigSession, ExistingSessionFileReadableByOthersIsRejectedByLibtls) {
  if (!get_backend_features().session_file) GTEST_SKIP() << "backend has no session file";
  const temp_dir dir;
  const fs::path file = dir / "session";
  std::ofstream{file}.close();
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                            fs::perms::others_read);
  const error e = config_error(client_with([&](auto& o) { o.session_file = file; }));
  EXPECT_EQ(e.where(), "config option session_file");
  EXPECT_TRUE(mentions(e.message(), "incorrect permissions"));
}

// ---------------------------------------------------------------------------
// config::clear_keys, config::native_handle

TEST(ConfigClearKeys, ServerConfiguredBeforeKeepsHandshakingAndOneConfiguredAfterFails) {
  config server_conf{pki::server_options()};
  memory_link configured_before{config{pki::client_options()}, server_conf};
  server_conf.clear_keys();

  EXPECT_TRUE(configured_before.handshake())
      << configured_before.client_result.error << " / " << configured_before.server_result.error;
  const error e = error_from([&] { server configured_after{server_conf}; });
  EXPECT_EQ(e.where(), "server: configure");
  EXPECT_TRUE(mentions(e.message(), "key"));
}

TEST(ConfigClearKeys, CopiesShareTheClearedKeys) {
  config server_conf{pki::server_options()};
  const config copy = server_conf;
  server_conf.clear_keys();
  EXPECT_THROW(server{copy}, error);
}

TEST(ConfigNativeHandle, CopiesShareOneLibtlsConfigAndDistinctConfigsDoNot) {
  const config a{pki::client_options()};
  const config copy = a;  // NOLINT(performance-unnecessary-copy-initialization)
  const config b{pki::client_options()};
  EXPECT_NE(a.native_handle(), nullptr);
  EXPECT_EQ(copy.native_handle(), a.native_handle());
  EXPECT_NE(b.native_handle(), a.native_handle());
}

TEST(ConfigNativeHandle, IsTheLibtlsConfigThatContextsUse) {
  // Set ALPN through libtls itself, on the handle: the server then selects it.
  using set_alpn_fn = int (*)(void*, const char*);
  auto* set_alpn = reinterpret_cast<set_alpn_fn>(::dlsym(RTLD_DEFAULT, "tls_config_set_alpn"));
  if (set_alpn == nullptr) GTEST_SKIP() << "tls_config_set_alpn is not visible to dlsym";
  const config server_conf{pki::server_options()};
  ASSERT_EQ(set_alpn(server_conf.native_handle(), "x-native"), 0);
  const auto r =
      handshake(config{client_with([](auto& o) { o.alpn = {"x-native"}; })}, server_conf);
  ASSERT_TRUE(r.ok) << r;
  EXPECT_EQ(r.server_info->alpn, "x-native");
}

// ---------------------------------------------------------------------------
// Sharing

TEST(ConfigSharing, OneConfigServesSeveralContextsAtOnce) {
  const config server_conf{pki::server_options()};
  const config client_conf{pki::client_options()};
  // Three client and three server contexts from the same two configs, all
  // alive together and driven in turns.
  memory_link first{client_conf, server_conf};
  memory_link second{client_conf, server_conf};
  memory_link third{client_conf, server_conf};
  for (memory_link* link : {&first, &second, &third}) {
    ASSERT_TRUE(link->handshake())
        << link->client_result.error << " / " << link->server_result.error;
  }
  EXPECT_EQ(memory_link::pump(third.client, third.accepted, "3"), "3");
  EXPECT_EQ(memory_link::pump(first.client, first.accepted, "1"), "1");
  EXPECT_EQ(memory_link::pump(second.accepted, second.client, "2"), "2");
}

TEST(ConfigSharing, OneConfigPairSharedByEightThreadsOfFiftyHandshakes) {
  constexpr int threads = 8;
  constexpr int handshakes_per_thread = 50;
  const config server_conf{pki::server_options()};
  const config client_conf{pki::client_options()};
  std::atomic<int> succeeded{0};
  std::mutex first_failure_mutex;
  std::string first_failure;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int i = 0; i < handshakes_per_thread; ++i) {
        try {
          memory_link link{client_conf, server_conf};
          if (link.handshake() && memory_link::pump(link.client, link.accepted, "ping") == "ping") {
            ++succeeded;
            continue;
          }
          const std::scoped_lock lock{first_failure_mutex};
          if (first_failure.empty()) {
            first_failure = link.client_result.error + " / " + link.server_result.error;
          }
        } catch (const std::exception& e) {
          const std::scoped_lock lock{first_failure_mutex};
          if (first_failure.empty()) first_failure = e.what();
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  EXPECT_EQ(succeeded.load(), threads * handshakes_per_thread) << first_failure;
}

}  // namespace
}  // namespace tlspp::test
