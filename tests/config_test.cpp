// SPDX-License-Identifier: ISC
// tlspp::config: every option of config_options, on its success path and on
// its failure path; a real handshake over memory_link wherever the option
// changes one, otherwise what the config/context constructors do.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
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

#include "support/backend.hpp"
#include "support/memory_link.hpp"
#include "support/pki.hpp"
#include "support/temp_dir.hpp"

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
  r.client_error = link.client.error_message();
  r.server_error = link.accepted.error_message();
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
  return error{errc::misuse, "(nothing thrown)", ""};
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
    EXPECT_TRUE(says_one_of(r.client_error, {"certificate verification failed",
                                             "chain could not be linked to a trust anchor"}))
        << r;
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
  // libtls's own words, which differ between backends.
  EXPECT_TRUE(
      says_one_of(e.message(), {"no ciphers for 'nonsense'", "failed to parse cipher list"}));
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
// Every string that crosses into C: a NUL byte, an empty value and an
// oversized one are each a tlspp::error naming the option, never a value
// libtls silently cuts or misreads.

/// One bad value of one option.
struct bad_value {
  std::string option;  ///< as where() names it, after "config option "
  std::string kind;    ///< "NUL", "empty" or "oversized"
  std::function<void(config_options&)> set;
  /// Codes that say it clearly: tlspp's own invalid_argument, or, for a value
  /// only libtls can judge (an overlong cipher string), libtls's refusal or
  /// the backend lacking the option altogether.
  std::vector<errc> codes = {errc::invalid_argument};
};

std::string with_nul(std::string_view before, std::string_view after) {
  std::string s{before};
  s.push_back('\0');
  s.append(after);
  return s;
}

/// A PEM blob cut by a NUL byte right after its first line.
std::string pem_with_nul(const std::string& pem) {
  std::string s = pem;
  s.insert(s.find('\n') + 1, 1, '\0');
  return s;
}

std::vector<bad_value> bad_values() {
  const std::string cert = pki::read("server-ecdsa-chain.pem");
  const std::string key = pki::read("server-ecdsa.key");
  const std::string long_path = "/" + std::string(PATH_MAX, 'p');
  const std::string huge(1 << 20, 'A');
  const std::vector<errc> judged_by_libtls = {errc::invalid_argument, errc::config_rejected,
                                              errc::unsupported};
  std::vector<bad_value> cases = {
      {"alpn", "NUL",
       [](auto& o) {
         o.alpn = {with_nul("h2", "x"), "http/1.1"};
       }},
      {"alpn", "empty",
       [](auto& o) {
         o.alpn = {"h2", ""};
       }},
      {"alpn", "oversized", [](auto& o) { o.alpn = {std::string(256, 'a')}; }},
      {"alpn", "oversized",
       [](auto& o) { o.alpn = std::vector<std::string>(300, std::string(254, 'a')); }},
      {"ciphers", "NUL", [](auto& o) { o.ciphers = with_nul("secure", ":NULL"); }},
      {"ciphers", "empty", [](auto& o) { o.ciphers = ""; }},
      {"ciphers", "oversized", [=](auto& o) { o.ciphers = huge; }, judged_by_libtls},
      {"dheparams", "NUL", [](auto& o) { o.dheparams = with_nul("auto", "x"); }},
      {"dheparams", "empty", [](auto& o) { o.dheparams = ""; }},
      {"dheparams", "oversized", [=](auto& o) { o.dheparams = huge; }, judged_by_libtls},
      {"ecdhecurve", "NUL", [](auto& o) { o.ecdhecurve = with_nul("auto", "x"); }},
      {"ecdhecurve", "empty", [](auto& o) { o.ecdhecurve = ""; }},
      {"ecdhecurve", "oversized", [=](auto& o) { o.ecdhecurve = huge; }, judged_by_libtls},
      {"ecdhecurves", "NUL", [](auto& o) { o.ecdhecurves = with_nul("X25519", ",P-256"); }},
      {"ecdhecurves", "empty", [](auto& o) { o.ecdhecurves = ""; }},
      {"ecdhecurves", "oversized", [=](auto& o) { o.ecdhecurves = huge; }, judged_by_libtls},
      {"protocols", "NUL", [](auto& o) { o.protocols = protocol_set{with_nul("tlsv1.3", "x")}; }},
      {"protocols", "empty", [](auto& o) { o.protocols = protocol_set{""}; }},
      {"protocols", "oversized", [=](auto& o) { o.protocols = protocol_set{huge}; }},
      {"key_password", "NUL",
       [](auto& o) {
         o.key_file = pki::path("encrypted.key");
         o.key_password = with_nul(pki::read("encrypted-password.txt"), "x");
       }},
      {"key_password", "empty",
       [](auto& o) {
         o.key_file = pki::path("encrypted.key");
         o.key_password = "";
       }},
      {"key_password", "oversized",
       [=](auto& o) {
         o.key_file = pki::path("encrypted.key");
         o.key_password = huge;
       }},
      {"session_id", "empty", [](auto& o) { o.session_id = ""; }},
      {"session_id", "oversized", [](auto& o) { o.session_id = std::string(33, 'i'); }},
      {"ocsp_staple", "empty", [](auto& o) { o.ocsp_staple = ""; }},
  };
  // PEM text from memory.
  const std::pair<const char*, std::function<void(config_options&, std::string)>> blobs[] = {
      {"ca", [](auto& o, std::string v) { o.ca = std::move(v); }},
      {"cert", [](auto& o, std::string v) { o.cert = std::move(v); }},
      {"key", [](auto& o, std::string v) { o.key = std::move(v); }},
      {"crl", [](auto& o, std::string v) { o.crl = std::move(v); }},
  };
  for (const auto& [name, set] : blobs) {
    const std::string pem = name == std::string{"key"}   ? key
                            : name == std::string{"crl"} ? pki::read("crl.pem")
                                                         : cert;
    cases.push_back({name, "NUL", [=](auto& o) { set(o, pem_with_nul(pem)); }});
    cases.push_back({name, "empty", [=](auto& o) { set(o, ""); }});
  }
  // Paths.
  const std::pair<const char*, std::function<void(config_options&, fs::path)>> paths[] = {
      {"ca_file", [](auto& o, fs::path p) { o.ca_file = std::move(p); }},
      {"ca_path", [](auto& o, fs::path p) { o.ca_path = std::move(p); }},
      {"cert_file", [](auto& o, fs::path p) { o.cert_file = std::move(p); }},
      {"key_file", [](auto& o, fs::path p) { o.key_file = std::move(p); }},
      {"ocsp_staple_file", [](auto& o, fs::path p) { o.ocsp_staple_file = std::move(p); }},
      {"crl_file", [](auto& o, fs::path p) { o.crl_file = std::move(p); }},
      {"session_file", [](auto& o, fs::path p) { o.session_file = std::move(p); }},
  };
  for (const auto& [name, set] : paths) {
    cases.push_back({name, "NUL",
                     [=](auto& o) { set(o, with_nul(pki::path("ca-bundle.pem").string(), "x")); }});
    cases.push_back({name, "empty", [=](auto& o) { set(o, fs::path{}); }});
    cases.push_back({name, "oversized", [=](auto& o) { set(o, long_path); }});
  }
  // The second of two keypairs, the first of them valid.
  auto second_keypair = [=](const std::function<void(keypair&)>& change) {
    return [=](config_options& o) {
      keypair second{.cert = cert, .key = key};
      change(second);
      o.keypairs = {keypair{.cert = cert, .key = key}, second};
    };
  };
  const std::pair<const char*, std::function<void(keypair&, fs::path)>> keypair_paths[] = {
      {"keypairs[1].cert_file",
       [](keypair& k, fs::path p) {
         k.cert.reset();
         k.cert_file = std::move(p);
       }},
      {"keypairs[1].key_file",
       [](keypair& k, fs::path p) {
         k.key.reset();
         k.key_file = std::move(p);
       }},
      {"keypairs[1].ocsp_staple_file",
       [](keypair& k, fs::path p) { k.ocsp_staple_file = std::move(p); }},
  };
  for (const auto& [name, set] : keypair_paths) {
    cases.push_back({name, "NUL", second_keypair([=](keypair& k) {
                       set(k, with_nul(pki::path("server-ecdsa.key").string(), "x"));
                     })});
    cases.push_back({name, "empty", second_keypair([=](keypair& k) { set(k, fs::path{}); })});
    cases.push_back({name, "oversized", second_keypair([=](keypair& k) { set(k, long_path); })});
  }
  cases.push_back({"keypairs[1].cert", "NUL",
                   second_keypair([=](keypair& k) { k.cert = pem_with_nul(cert); })});
  cases.push_back({"keypairs[1].cert", "empty", second_keypair([](keypair& k) { k.cert = ""; })});
  cases.push_back(
      {"keypairs[1].key", "NUL", second_keypair([=](keypair& k) { k.key = pem_with_nul(key); })});
  cases.push_back({"keypairs[1].key", "empty", second_keypair([](keypair& k) { k.key = ""; })});
  cases.push_back(
      {"keypairs[1].ocsp_staple", "empty", second_keypair([](keypair& k) { k.ocsp_staple = ""; })});
  auto encrypted_second = [&](std::string password) {
    return second_keypair([password](keypair& k) {
      k.key.reset();
      k.key_file = pki::path("encrypted.key");
      k.key_password = password;
    });
  };
  cases.push_back({"keypairs[1].key_password", "NUL",
                   encrypted_second(with_nul(pki::read("encrypted-password.txt"), "x"))});
  cases.push_back({"keypairs[1].key_password", "empty", encrypted_second("")});
  cases.push_back({"keypairs[1].key_password", "oversized", encrypted_second(huge)});
  return cases;
}

TEST(ConfigBadValues, NulEmptyAndOversizedValuesOfEveryOptionAreErrorsNamingTheOption) {
  for (const bad_value& c : bad_values()) {
    const std::string label = c.option + " (" + c.kind + ")";
    SCOPED_TRACE(label);
    try {
      config_options o;
      c.set(o);
      const config built{o};
      ADD_FAILURE() << label << ": the config was built";
    } catch (const error& e) {
      EXPECT_EQ(e.where(), "config option " + c.option) << label << ": " << e.what();
      EXPECT_NE(std::find(c.codes.begin(), c.codes.end(), e.code()), c.codes.end())
          << label << ": " << e.what() << " (" << e.code().message() << ")";
    }
  }
}

TEST(ConfigBadValues, EachRefusalSaysWhatIsWrongWithTheValue) {
  struct expectation {
    const char* option;
    std::function<void(config_options&)> set;
    const char* says;
  };
  const expectation cases[] = {
      {"alpn", [](auto& o) { o.alpn = {with_nul("h2", "x")}; }, "contains a NUL byte"},
      {"alpn", [](auto& o) { o.alpn = {std::string(256, 'a')}; },
       "256 bytes long, over the 255 RFC 7301 allows"},
      {"alpn", [](auto& o) { o.alpn = std::vector<std::string>(300, std::string(254, 'a')); },
       "takes 76500 bytes encoded, over the 65535"},
      {"cert_file", [](auto& o) { o.cert_file = fs::path{}; }, "is an empty path"},
      {"cert_file", [](auto& o) { o.cert_file = "/" + std::string(PATH_MAX, 'p'); },
       "over PATH_MAX"},
      {"ca", [](auto& o) { o.ca = ""; }, "is empty"},
      {"ca", [](auto& o) { o.ca = pem_with_nul(pki::read("ca-bundle.pem")); },
       "contains a NUL byte"},
      {"key_password",
       [](auto& o) {
         o.key_file = pki::path("encrypted.key");
         o.key_password = std::string(1024, 'p');
       },
       "1024 bytes long, over the 1023"},
      {"session_id", [](auto& o) { o.session_id = std::string(33, 'i'); },
       "33 bytes long, over the 32"},
      {"protocols", [](auto& o) { o.protocols = protocol_set{""}; }, "empty"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.option);
    const error e = error_from([&] {
      config_options o;
      c.set(o);
      config{o};
    });
    EXPECT_EQ(e.where(), std::string{"config option "} + c.option);
    EXPECT_TRUE(mentions(e.message(), c.says)) << c.option;
  }
}

TEST(ConfigBadValues, KeyPasswordOfTheLongestLengthLibtlsTakesIsStillTried) {
  // 1023 bytes reach OpenSSL: the key then fails to decrypt, as libtls says.
  const error e = config_error(server_with([](auto& o) {
    o.key_file = pki::path("encrypted.key");
    o.key_password = std::string(1023, 'p');
  }));
  if (e.code() == errc::unsupported) GTEST_SKIP() << e.what();
  EXPECT_EQ(e.where(), "config option key_file");
  EXPECT_EQ(e.code(), errc::config_rejected) << e.what();
}

TEST(ConfigBadValues, SessionIdIsBinaryAndMayHoldNulBytes) {
  const config_options server = server_with([](auto& o) { o.session_id = with_nul("id", "x"); });
  if (!get_backend_features().session_id) {
    const error e = config_error(server);
    EXPECT_EQ(e.code(), errc::unsupported) << e.what();
    GTEST_SKIP() << e.what();
  }
  EXPECT_NO_THROW(config{server});
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

TEST(ConfigAlpn, NoCommonProtocolSelectsNoneOrFailsSayingSo) {
  // RFC 7301 lets the server either continue without ALPN (libretls,
  // libtls-bearssl) or refuse with a no_application_protocol alert (LibreSSL).
  const auto r = handshake(client_with([](auto& o) { o.alpn = {"h2"}; }),
                           server_with([](auto& o) { o.alpn = {"http/1.1"}; }));
  if (r.ok) {
    EXPECT_EQ(r.client_info->alpn, std::nullopt);
    EXPECT_EQ(r.server_info->alpn, std::nullopt);
  } else {
    EXPECT_TRUE(mentions(r.server_error, "no application protocol")) << r;
  }
}

TEST(ConfigAlpn, EmptyNameOrNameWithCommaIsRejected) {
  for (const std::string name : {"", "h2,http/1.1"}) {
    SCOPED_TRACE(name);
    const error e = config_error(client_with([&](auto& o) { o.alpn = {"h2", name}; }));
    EXPECT_EQ(e.where(), "config option alpn");
    EXPECT_TRUE(mentions(e.message(), "empty or contains a comma"));
  }
}

TEST(ConfigAlpn, NameOf255BytesIsAcceptedAndOneOf256IsRejected) {
  EXPECT_NO_THROW(config{client_with([](auto& o) { o.alpn = {std::string(255, 'a')}; })});
  const error e = config_error(client_with([](auto& o) { o.alpn = {std::string(256, 'a')}; }));
  EXPECT_EQ(e.where(), "config option alpn");
  EXPECT_EQ(e.code(), errc::invalid_argument);
}

TEST(ConfigAlpn, ListOfExactly65535EncodedBytesIsAccepted) {
  // 257 names of 254 bytes, each behind its length byte: 257 * 255 = 65535.
  EXPECT_NO_THROW(config{
      client_with([](auto& o) { o.alpn = std::vector<std::string>(257, std::string(254, 'a')); })});
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
  EXPECT_TRUE(says_one_of(r.client_error, why::untrusted)) << r;
}

TEST(ConfigCa, MalformedCertificateTrustsNothingAndSaysSo) {
  // Backends reject a certificate block that does not decode at different
  // steps: when the config is built, or when the client connects.
  try {
    const config conf{client_with([&](auto& o) { o.ca_file = pki::path("garbage.pem"); })};
    memory_link link{conf, config{pki::server_options()}};
    EXPECT_FALSE(link.handshake()) << link.describe();
    EXPECT_TRUE(says_one_of(link.client.error_message(), why::untrusted)) << link.describe();
  } catch (const error& e) {
    if (e.where() == "client::connect") {
      EXPECT_TRUE(mentions(e.message(), "ssl verify memory setup failure"));
    } else {
      EXPECT_EQ(e.where(), "config option ca_file");
      EXPECT_FALSE(e.message().empty());
    }
  }
}

TEST(ConfigCa, CaWithoutACertificateIsRefusedOnEveryBackend) {
  // OpenSSL would trust nothing, libtls-bearssl the system's roots: tlspp
  // refuses both, from a file and from memory, before any backend decides.
  const std::string cert = pki::read("root-ca.crt");
  std::string trusted = cert;  // OpenSSL's own label, which BearSSL skips
  for (const char* edge : {"BEGIN ", "END "}) {
    const auto at = trusted.find(std::string{edge} + "CERTIFICATE");
    ASSERT_NE(at, std::string::npos);
    trusted.insert(at + std::strlen(edge), "TRUSTED ");
  }
  const std::pair<const char*, std::string> contents[] = {
      {"a private key only", pki::read("server-ecdsa.key")},
      {"a certificate without its END line", cert.substr(0, cert.find("-----END"))},
      {"a BEGIN line inside another line", "x" + cert},
      {"text after the BEGIN line's dashes",
       std::string{cert}.insert(cert.find("-----\n") + 5, " trailing")},
      {"a TRUSTED CERTIFICATE block", trusted},
      {"prose", "no certificates here\n"},
  };
  const temp_dir dir;
  for (const auto& [what, text] : contents) {
    SCOPED_TRACE(what);
    const auto file = dir / "ca.pem";
    std::ofstream{file, std::ios::binary | std::ios::trunc} << text;
    const error from_file = config_error(client_with([&](auto& o) { o.ca_file = file; }));
    EXPECT_EQ(from_file.code(), errc::invalid_argument);
    EXPECT_EQ(from_file.where(), "config option ca_file");
    EXPECT_TRUE(mentions(from_file.message(), "holds no PEM certificate")) << from_file.what();
    EXPECT_TRUE(mentions(from_file.message(), file.string())) << from_file.what();

    const error from_memory = config_error(client_with([&](auto& o) {
      o.ca_file.reset();
      o.ca = text;
    }));
    EXPECT_EQ(from_memory.code(), errc::invalid_argument);
    EXPECT_EQ(from_memory.where(), "config option ca");
    EXPECT_TRUE(mentions(from_memory.message(), "holds no PEM certificate")) << from_memory.what();
  }
  // The empty file the build makes, too.
  const error empty =
      config_error(client_with([](auto& o) { o.ca_file = pki::path("empty.pem"); }));
  EXPECT_EQ(empty.code(), errc::invalid_argument);
}

TEST(ConfigCa, CertificateAfterOtherTextOrWithCrlfLinesIsAccepted) {
  const std::string cert = pki::read("ca-bundle.pem");
  std::string crlf;
  for (const char c : cert) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  // BearSSL reads no certificate from CRLF text: tlspp hands every backend
  // LF line ends, from memory and from a file.
  const temp_dir dir;
  for (const std::string& ca : {"# the test CA\n" + cert, crlf}) {
    const auto r = handshake(client_with([&](auto& o) {
                               o.ca_file.reset();
                               o.ca = ca;
                             }),
                             pki::server_options());
    EXPECT_TRUE(r.ok) << r;
    std::ofstream{dir / "ca.pem", std::ios::binary | std::ios::trunc} << ca;
    const auto from_file =
        handshake(client_with([&](auto& o) { o.ca_file = dir / "ca.pem"; }), pki::server_options());
    EXPECT_TRUE(from_file.ok) << from_file;
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
  const temp_dir hashed;
  if (auto skip = unsupported(get_backend_features().ca_path, client_with([&](auto& o) {
                                o.ca_file.reset();
                                o.ca_path = hashed.path();
                              }),
                              "ca_path", "CA directories")) {
    GTEST_SKIP() << *skip;
  }
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
  EXPECT_TRUE(says_one_of(untrusted.client_error, why::untrusted)) << untrusted;
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
    EXPECT_TRUE(says_one_of(e.message(), why::bad_certificate));
  }
}

TEST(ConfigCert, MalformedCertFromMemoryIsRejectedNamingCert) {
  const error e = config_error(server_with([](auto& o) {
    o.cert_file.reset();
    o.cert = pki::read("garbage.pem");
  }));
  EXPECT_EQ(e.where(), "config option cert");
  EXPECT_TRUE(says_one_of(e.message(), why::bad_certificate));
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
  EXPECT_TRUE(says_one_of(e.message(), {"private key", "key mismatch"}));
}

TEST(ConfigKey, ServerWithCertButNoKeyIsRejectedByTheServerConstructor) {
  const config conf{server_with([](auto& o) { o.key_file.reset(); })};
  const error e = error_from([&] { server s{conf}; });
  EXPECT_EQ(e.where(), "server: configure");
  EXPECT_TRUE(says_one_of(e.message(), why::key_mismatch));
}

/// Why to skip (after asserting the "not supported" error) on a backend that
/// cannot decrypt keys.
std::optional<std::string> without_key_decryption(const config_options& o,
                                                  const std::string& option) {
  return unsupported(get_backend_features().encrypted_keys, o, option, "private key decryption");
}

TEST(ConfigKeyPassword, EncryptedKeyWithItsPasswordServesAHandshake) {
  const config_options server = server_with([](auto& o) {
    o.key_file = pki::path("encrypted.key");
    o.key_password = pki::read("encrypted-password.txt");
  });
  if (auto skip = without_key_decryption(server, "key_password")) GTEST_SKIP() << *skip;
  const auto r = handshake(pki::client_options(), server);
  EXPECT_TRUE(r.ok) << r;
}

TEST(ConfigKeyPassword, WrongPasswordIsRejectedNamingKeyFile) {
  const config_options server = server_with([](auto& o) {
    o.key_file = pki::path("encrypted.key");
    o.key_password = "not-the-password";
  });
  if (auto skip = without_key_decryption(server, "key_password")) GTEST_SKIP() << *skip;
  const error e = config_error(server);
  EXPECT_EQ(e.where(), "config option key_file");
  EXPECT_TRUE(mentions(e.message(), "encrypted.key"));
  EXPECT_TRUE(mentions(e.message(), "wrong password"));
}

TEST(ConfigKeyPassword, EncryptedKeyWithoutPasswordIsRejectedByConfigOrServer) {
  // Backends read the key when the config is built or when a server uses it.
  const error e = error_from([&] {
    const config conf{server_with([](auto& o) { o.key_file = pki::path("encrypted.key"); })};
    server s{conf};
  });
  EXPECT_TRUE(e.where() == "server: configure" || e.where() == "config option key_file")
      << e.what();
  EXPECT_TRUE(says_one_of(e.message(), why::unreadable_key));
}

// ---------------------------------------------------------------------------
// ocsp_staple, ocsp_staple_file, ocsp_require_stapling

/// Why to skip (after asserting the "not supported" error) on a backend
/// without OCSP stapling.
std::optional<std::string> without_ocsp(const config_options& o, const std::string& option) {
  return unsupported(get_backend_features().ocsp_stapling, o, option, "OCSP stapling");
}

config_options client_requiring_staples() {
  return client_with([](auto& o) { o.ocsp_require_stapling = true; });
}

TEST(ConfigOcsp, RequiredStaplingFailsWhenTheServerStaplesNothing) {
  if (auto skip = without_ocsp(client_requiring_staples(), "ocsp_require_stapling"))
    GTEST_SKIP() << *skip;
  const auto r = handshake(client_requiring_staples(), pki::server_options());
  EXPECT_FALSE(r.ok) << r;
  EXPECT_TRUE(mentions(r.client_error, "no stapled OCSP response")) << r;
}

TEST(ConfigOcsp, RequiredStaplingSucceedsWithAGoodStapleFromFile) {
  const config_options server =
      server_with([](auto& o) { o.ocsp_staple_file = pki::path("ocsp-good.der"); });
  if (auto skip = without_ocsp(server, "ocsp_staple_file")) GTEST_SKIP() << *skip;
  const auto r = handshake(client_requiring_staples(), server);
  assert_pki_names_ocsp_responder(r);
  ASSERT_TRUE(r.ok) << r;
  ASSERT_TRUE(r.client_info->ocsp);
  EXPECT_EQ(r.client_info->ocsp->cert_status, ocsp_cert_status::good);
}

TEST(ConfigOcsp, RequiredStaplingSucceedsWithAGoodStapleFromMemory) {
  const config_options server =
      server_with([](auto& o) { o.ocsp_staple = pki::read("ocsp-good.der"); });
  if (auto skip = without_ocsp(server, "ocsp_staple")) GTEST_SKIP() << *skip;
  const auto r = handshake(client_requiring_staples(), server);
  assert_pki_names_ocsp_responder(r);
  ASSERT_TRUE(r.ok) << r;
  ASSERT_TRUE(r.client_info->ocsp);
  EXPECT_EQ(r.client_info->ocsp->cert_status, ocsp_cert_status::good);
}

TEST(ConfigOcsp, StapleForAnotherCertificateFailsTheHandshake) {
  // ocsp-good-rsa.der answers for server-rsa.crt, not for the ECDSA leaf.
  const config_options server =
      server_with([](auto& o) { o.ocsp_staple_file = pki::path("ocsp-good-rsa.der"); });
  if (auto skip = without_ocsp(server, "ocsp_staple_file")) GTEST_SKIP() << *skip;
  const auto r = handshake(pki::client_options(), server);
  assert_pki_names_ocsp_responder(r);
  EXPECT_FALSE(r.ok) << r;
  EXPECT_TRUE(mentions(r.client_error, "ocsp verify failed")) << r;
}

TEST(ConfigOcsp, MissingStapleFileIsRejectedNamingOcspStapleFile) {
  const config_options server =
      server_with([](auto& o) { o.ocsp_staple_file = pki::path("absent.der"); });
  if (auto skip = without_ocsp(server, "ocsp_staple_file")) GTEST_SKIP() << *skip;
  const error e = config_error(server);
  EXPECT_EQ(e.where(), "config option ocsp_staple_file");
  EXPECT_TRUE(mentions(e.message(), "No such file or directory"));
}

// ---------------------------------------------------------------------------
// crl, crl_file

/// Why to skip (after asserting the "not supported" error) on a backend
/// without CRLs.
std::optional<std::string> without_crl(const config_options& o, const std::string& option) {
  return unsupported(get_backend_features().crl, o, option, "CRL checking");
}

TEST(ConfigCrl, CrlFileLetsGoodCertificatesThroughAndRejectsTheRevokedOne) {
  const config_options options = client_with([](auto& o) { o.crl_file = pki::path("crl.pem"); });
  if (auto skip = without_crl(options, "crl_file")) GTEST_SKIP() << *skip;
  const config client{options};
  const auto good = handshake(client, config{pki::server_options()});
  EXPECT_TRUE(good.ok) << good;
  const auto revoked = handshake(client, config{pki::server_options("revoked")});
  EXPECT_FALSE(revoked.ok) << revoked;
  EXPECT_TRUE(mentions(revoked.client_error, "certificate revoked")) << revoked;
}

TEST(ConfigCrl, CrlFromMemoryRejectsTheRevokedCertificate) {
  const config_options options = client_with([](auto& o) { o.crl = pki::read("crl.pem"); });
  if (auto skip = without_crl(options, "crl")) GTEST_SKIP() << *skip;
  const config client{options};
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
  const config_options options = client_with([](auto& o) { o.crl_file = pki::path("absent.pem"); });
  if (auto skip = without_crl(options, "crl_file")) GTEST_SKIP() << *skip;
  const error e = config_error(options);
  EXPECT_EQ(e.where(), "config option crl_file");
  EXPECT_TRUE(mentions(e.message(), "No such file or directory"));
}

TEST(ConfigCrl, MalformedCrlFailsWhenTheClientConnects) {
  const config_options options =
      client_with([](auto& o) { o.crl_file = pki::path("garbage.pem"); });
  if (auto skip = without_crl(options, "crl_file")) GTEST_SKIP() << *skip;
  const config conf{options};
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
  const config_options options{
      .keypairs = {keypair{.cert_file = pki::path("server-ecdsa-chain.pem"),
                           .key_file = pki::path("encrypted.key"),
                           .key_password = pki::read("encrypted-password.txt")}}};
  if (auto skip = without_key_decryption(options, "keypairs[0].key_password"))
    GTEST_SKIP() << *skip;
  EXPECT_EQ(served_common_name(config{options}, "localhost"), "localhost");
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
  const config_options options = server_with([](auto& o) {
    o.keypairs = {keypair{.cert_file = pki::path("server-ecdsa-chain.pem"),
                          .key_file = pki::path("encrypted.key"),
                          .key_password = "wrong"}};
  });
  if (auto skip = without_key_decryption(options, "keypairs[0].key_password"))
    GTEST_SKIP() << *skip;
  const error e = config_error(options);
  EXPECT_EQ(e.where(), "config option keypairs[0].key_file");
}

TEST(ConfigKeypairs, KeypairKeyNotMatchingItsCertIsRejectedByConfigOrServer) {
  // Backends match the key to its certificate when the config is built or
  // when a server is configured with it.
  const error e = error_from([&] {
    const config conf{server_with([](auto& o) {
      o.keypairs = {keypair{.cert_file = pki::path("sni-other-chain.pem"),
                            .key_file = pki::path("key-mismatch.key")}};
    })};
    server s{conf};
  });
  EXPECT_TRUE(e.where() == "server: configure" || e.where() == "config option keypairs[0].cert")
      << e.what();
  EXPECT_TRUE(says_one_of(e.message(), {"private key", "key mismatch"}));
}

// ---------------------------------------------------------------------------
// ticket_keys

/// Why to skip (after asserting the "not supported" error) on a backend
/// without session tickets.
std::optional<std::string> without_tickets(const config_options& o) {
  return unsupported(get_backend_features().session_tickets, o, "ticket_keys", "session tickets");
}

TEST(ConfigTicketKeys, ServerWithTicketKeysHandshakes) {
  ticket_key older{.keyrev = 1};
  ticket_key newer{.keyrev = 2};
  older.key.fill(std::byte{0x11});
  newer.key.fill(std::byte{0x22});
  const config_options server = server_with([&](auto& o) { o.ticket_keys = {older, newer}; });
  if (auto skip = without_tickets(server)) GTEST_SKIP() << *skip;
  const auto r = handshake(pki::client_options(), server);
  EXPECT_TRUE(r.ok) << r;
}

TEST(ConfigTicketKeys, TwoDifferentKeysWithOneRevisionAreRejected) {
  ticket_key first{.keyrev = 7};
  ticket_key second{.keyrev = 7};
  second.key.fill(std::byte{0x5a});
  const config_options server = server_with([&](auto& o) { o.ticket_keys = {first, second}; });
  if (auto skip = without_tickets(server)) GTEST_SKIP() << *skip;
  const error e = config_error(server);
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
  ASSERT_FALSE(r.ok) << r;
  EXPECT_TRUE(says_one_of(r.server_error + " / " + r.client_error, why::no_shared_cipher)) << r;
}

TEST(ConfigCiphers, NonsenseCipherStringIsRejectedNamingCiphers) {
  const error e = config_error(client_with([](auto& o) { o.ciphers = "not-a-cipher-at-all"; }));
  EXPECT_EQ(e.where(), "config option ciphers");
  EXPECT_TRUE(says_one_of(e.message(), why::unknown_ciphers));
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

/// Why to skip when the backend knows no DHE cipher suite: it rejects the
/// DHE-only cipher string (asserted to name ciphers).
std::optional<std::string> without_dhe_suites() {
  try {
    const config built{dhe_only_client()};
    return std::nullopt;
  } catch (const error& e) {
    EXPECT_EQ(e.where(), "config option ciphers");
    return std::string{"the libtls backend knows no DHE cipher suite ("} + e.what() + ")";
  }
}

TEST(ConfigDheparams, AutoEnablesDheCipherSuites) {
  config_options server = pki::server_options("server-rsa");
  server.dheparams = "auto";
  if (auto skip =
          unsupported(get_backend_features().dheparams, server, "dheparams", "DHE parameters")) {
    GTEST_SKIP() << *skip;
  }
  if (auto skip = without_dhe_suites()) GTEST_SKIP() << *skip;
  const auto r = handshake(dhe_only_client(), server);
  ASSERT_TRUE(r.ok) << r;
  EXPECT_EQ(r.client_info->cipher, "DHE-RSA-AES128-GCM-SHA256");
}

TEST(ConfigDheparams, WithoutDheparamsADheOnlyClientFindsNoCipher) {
  if (auto skip = without_dhe_suites()) GTEST_SKIP() << *skip;
  config_options server = pki::server_options("server-rsa");
  server.dheparams = "none";
  const auto r = handshake(dhe_only_client(), server);
  ASSERT_FALSE(r.ok) << r;
  EXPECT_TRUE(says_one_of(r.server_error, why::no_shared_cipher)) << r;
}

TEST(ConfigDheparams, BogusValueIsRejectedNamingDheparams) {
  const error e = config_error(server_with([](auto& o) { o.dheparams = "bogus"; }));
  EXPECT_EQ(e.where(), "config option dheparams");
  EXPECT_TRUE(mentions(e.message(), "bogus"));
}

// The test PKI signs with P-256, and libtls-bearssl applies the curve list
// to every EC operation, the certificates' signatures included: a client list
// without P-256 could not verify the server there.

TEST(ConfigEcdhe, SingleCurveOnBothSidesHandshakes) {
  const auto r = handshake(client_with([](auto& o) { o.ecdhecurve = "P-256"; }),
                           server_with([](auto& o) { o.ecdhecurve = "P-256"; }));
  EXPECT_TRUE(r.ok) << r;
}

TEST(ConfigEcdhe, SingleCurveRejectsAList) {
  const error e = config_error(client_with([](auto& o) { o.ecdhecurve = "X25519,P-256"; }));
  EXPECT_EQ(e.where(), "config option ecdhecurve");
  EXPECT_TRUE(mentions(e.message(), "invalid ecdhe curve"));
}

TEST(ConfigEcdhe, CurvesListX25519Handshakes) {
  const config_options server = server_with([](auto& o) { o.ecdhecurves = "X25519"; });
  if (auto skip = unsupported(get_backend_features().ecdhecurves, server, "ecdhecurves",
                              "ECDHE curve lists")) {
    GTEST_SKIP() << *skip;
  }
  const auto r = handshake(client_with([](auto& o) { o.ecdhecurves = "X25519,P-256"; }), server);
  EXPECT_TRUE(r.ok) << r;
}

TEST(ConfigEcdhe, NoCurveInCommonFailsTheHandshake) {
  const config_options server = server_with([](auto& o) { o.ecdhecurves = "X25519"; });
  if (auto skip = unsupported(get_backend_features().ecdhecurves, server, "ecdhecurves",
                              "ECDHE curve lists")) {
    GTEST_SKIP() << *skip;
  }
  const auto r = handshake(client_with([](auto& o) { o.ecdhecurves = "P-384"; }), server);
  EXPECT_FALSE(r.ok) << r;
  EXPECT_FALSE(r.server_error.empty()) << r;
}

TEST(ConfigEcdhe, UnknownCurveIsRejectedNamingEcdhecurves) {
  // Without curve lists the option is refused before the name is looked at.
  const error e = config_error(client_with([](auto& o) { o.ecdhecurves = "nope"; }));
  EXPECT_EQ(e.where(), "config option ecdhecurves");
  EXPECT_TRUE(says_one_of(e.message(), {"nope", "not supported"}));
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

/// Why to skip (after asserting the "not supported" error for a TLS 1.3-only
/// set) on a backend without TLS 1.3.
std::optional<std::string> without_tls13() {
  return unsupported(get_backend_features().tls1_3,
                     client_with([](auto& o) { o.protocols = protocol::tlsv1_3; }), "protocols",
                     "TLS 1.3");
}

TEST(ConfigProtocols, TypedTls13OnlyNegotiatesTls13) {
  if (auto skip = without_tls13()) GTEST_SKIP() << *skip;
  const auto r = handshake(client_with([](auto& o) { o.protocols = protocol::tlsv1_3; }),
                           server_with([](auto& o) { o.protocols = "secure"; }));
  ASSERT_TRUE(r.ok) << r;
  EXPECT_EQ(r.client_info->version, "TLSv1.3");
}

TEST(ConfigProtocols, Tls13OnlyClientAgainstTls12OnlyServerFailsWithAMessage) {
  if (auto skip = without_tls13()) GTEST_SKIP() << *skip;
  const auto r = handshake(client_with([](auto& o) { o.protocols = protocol::tlsv1_3; }),
                           server_with([](auto& o) { o.protocols = protocol::tlsv1_2; }));
  EXPECT_FALSE(r.ok) << r;
  EXPECT_TRUE(says_one_of(r.server_error, why::version_mismatch)) << r;
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

// The deep chain has three intermediates. Backends count the depth
// differently: libretls and libtls-bearssl pass it with verify_depth 3,
// LibreSSL needs 4. A generous depth passes everywhere, depth 1 nowhere.

TEST(ConfigVerifyDepth, GenerousDepthVerifiesTheDeepChain) {
  const auto r = handshake(client_with([](auto& o) { o.verify_depth = 10; }),
                           pki::server_options("deep-leaf"));
  EXPECT_TRUE(r.ok) << r;
}

TEST(ConfigVerifyDepth, DepthOneRejectsTheDeepChain) {
  const auto r =
      handshake(client_with([](auto& o) { o.verify_depth = 1; }), pki::server_options("deep-leaf"));
  EXPECT_FALSE(r.ok) << r;
  EXPECT_TRUE(says_one_of(r.client_error, why::chain_too_long)) << r;
}

// ---------------------------------------------------------------------------
// insecure_noverifycert, insecure_noverifyname, insecure_noverifytime

TEST(ConfigInsecure, DefaultVerificationRejectsUntrustedAndWrongNameCertificates) {
  const struct {
    const char* server;
    const reasons& why;
  } cases[] = {
      {"selfsigned", why::self_signed},
      {"untrusted", why::untrusted},
      {"wrongname", why::wrong_name},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.server);
    const auto r = handshake(pki::client_options(), server_presenting(c.server));
    EXPECT_FALSE(r.ok) << r;
    EXPECT_TRUE(says_one_of(r.client_error, c.why)) << r;
  }
}

TEST(ConfigInsecure, DefaultVerificationRejectsExpiredAndNotYetValidCertificates) {
  const struct {
    const char* server;
    const reasons& why;
  } cases[] = {{"expired", why::expired}, {"notyetvalid", why::not_yet_valid}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.server);
    if (auto skip = server_refuses_to_present(c.server)) GTEST_SKIP() << *skip;
    const auto r = handshake(pki::client_options(), server_presenting(c.server));
    EXPECT_FALSE(r.ok) << r;
    EXPECT_TRUE(says_one_of(r.client_error, c.why)) << r;
  }
}

TEST(ConfigInsecure, NoVerifyCertAcceptsSelfSignedAndUntrustedButStillChecksTheName) {
  const config client{client_with([](auto& o) { o.insecure_noverifycert = true; })};
  for (const char* server : {"selfsigned", "untrusted"}) {
    SCOPED_TRACE(server);
    const auto r = handshake(client, config{server_presenting(server)});
    EXPECT_TRUE(r.ok) << r;
  }
  const auto wrongname = handshake(client, config{server_presenting("wrongname")});
  EXPECT_FALSE(wrongname.ok) << wrongname;
  EXPECT_TRUE(says_one_of(wrongname.client_error, why::wrong_name)) << wrongname;
}

TEST(ConfigInsecure, NoVerifyCertAlsoSkipsTheValidityTimeCheck) {
  // libtls checks times as part of the chain: without chain checks, none.
  if (auto skip = server_refuses_to_present("expired")) GTEST_SKIP() << *skip;
  const auto r = handshake(client_with([](auto& o) { o.insecure_noverifycert = true; }),
                           server_presenting("expired"));
  EXPECT_TRUE(r.ok) << r;
}

TEST(ConfigInsecure, NoVerifyNameAcceptsAWrongNameButStillRejectsAnUntrustedChain) {
  const config client{client_with([](auto& o) { o.insecure_noverifyname = true; })};
  const auto wrongname = handshake(client, config{server_presenting("wrongname")});
  EXPECT_TRUE(wrongname.ok) << wrongname;
  const auto untrusted = handshake(client, config{server_presenting("untrusted")});
  EXPECT_FALSE(untrusted.ok) << untrusted;
  EXPECT_TRUE(says_one_of(untrusted.client_error, why::untrusted)) << untrusted;
}

TEST(ConfigInsecure, NoVerifyNameStillRejectsAnExpiredCertificate) {
  if (auto skip = server_refuses_to_present("expired")) GTEST_SKIP() << *skip;
  const auto expired = handshake(client_with([](auto& o) { o.insecure_noverifyname = true; }),
                                 server_presenting("expired"));
  EXPECT_FALSE(expired.ok) << expired;
  EXPECT_TRUE(says_one_of(expired.client_error, why::expired)) << expired;
}

TEST(ConfigInsecure, NoVerifyTimeAcceptsExpiredAndNotYetValidButStillChecksNameAndTrust) {
  const config_options options = client_with([](auto& o) { o.insecure_noverifytime = true; });
  if (auto skip = unsupported(get_backend_features().insecure_noverifytime, options,
                              "insecure_noverifytime", "way to skip validity-time checks")) {
    GTEST_SKIP() << *skip;
  }
  const config client{options};
  const auto wrongname = handshake(client, config{server_presenting("wrongname")});
  EXPECT_FALSE(wrongname.ok) << wrongname;
  EXPECT_TRUE(says_one_of(wrongname.client_error, why::wrong_name)) << wrongname;
  const auto untrusted = handshake(client, config{server_presenting("untrusted")});
  EXPECT_FALSE(untrusted.ok) << untrusted;
  EXPECT_TRUE(says_one_of(untrusted.client_error, why::untrusted)) << untrusted;
  for (const char* server : {"expired", "notyetvalid"}) {
    SCOPED_TRACE(server);
    if (auto skip = server_refuses_to_present(server)) GTEST_SKIP() << *skip;
    const auto r = handshake(client, config{server_presenting(server)});
    EXPECT_TRUE(r.ok) << r;
  }
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
  EXPECT_TRUE(says_one_of(r.server_error, why::no_client_certificate)) << r;
}

/// Why to skip (after asserting the "not supported" error) on a backend
/// where tlspp refuses verify_client_optional.
std::optional<std::string> without_optional_client_verification() {
  return unsupported(get_backend_features().verify_client_optional, server_verifying_clients(false),
                     "verify_client_optional", "verification of optional client certificates");
}

TEST(ConfigVerifyClient, OptionalClientCertificateMayBeAbsent) {
  if (auto skip = without_optional_client_verification()) GTEST_SKIP() << *skip;
  const auto r = handshake(pki::client_options(), server_verifying_clients(false));
  ASSERT_TRUE(r.ok) << r;
  EXPECT_FALSE(r.server_info->peer);
}

TEST(ConfigVerifyClient, OptionalClientCertificateIsVerifiedWhenPresent) {
  if (auto skip = without_optional_client_verification()) GTEST_SKIP() << *skip;
  const auto good = handshake(client_presenting_cert("client"), server_verifying_clients(false));
  ASSERT_TRUE(good.ok) << good;
  ASSERT_TRUE(good.server_info->peer);
  EXPECT_EQ(good.server_info->peer->common_name, "tlspp test client");

  const auto untrusted =
      handshake(client_presenting_cert("selfsigned"), server_verifying_clients(false));
  EXPECT_FALSE(untrusted.ok) << untrusted;
  EXPECT_TRUE(says_one_of(untrusted.server_error, why::client_certificate_rejected)) << untrusted;
}

TEST(ConfigVerifyClient, WithoutVerifyClientTheServerAsksForNoCertificate) {
  const auto r = handshake(client_presenting_cert("client"), pki::server_options());
  ASSERT_TRUE(r.ok) << r;
  EXPECT_FALSE(r.server_info->peer);
}

// ---------------------------------------------------------------------------
// session_id, session_lifetime, session_file

std::optional<std::string> without_session_ids(const config_options& o) {
  return unsupported(get_backend_features().session_id, o, "session_id", "session IDs");
}

std::optional<std::string> without_session_lifetime(const config_options& o) {
  return unsupported(get_backend_features().session_lifetime, o, "session_lifetime",
                     "session lifetime");
}

std::optional<std::string> without_session_file(const config_options& o) {
  return unsupported(get_backend_features().session_file, o, "session_file", "session files");
}

TEST(ConfigSession, SessionIdOf32BytesIsAccepted) {
  const config_options server = server_with([](auto& o) { o.session_id = std::string(32, 'i'); });
  if (auto skip = without_session_ids(server)) GTEST_SKIP() << *skip;
  const auto r = handshake(pki::client_options(), server);
  EXPECT_TRUE(r.ok) << r;
}

TEST(ConfigSession, SessionIdOf33BytesIsRejectedOnEveryBackend) {
  // The value is checked before the backend's support for the option.
  const error e = config_error(server_with([](auto& o) { o.session_id = std::string(33, 'i'); }));
  EXPECT_EQ(e.where(), "config option session_id");
  EXPECT_EQ(e.code(), errc::invalid_argument);
}

TEST(ConfigSession, SessionLifetimeOfZeroAsksForNoResumptionAndIsAcceptedEverywhere) {
  const auto r =
      handshake(pki::client_options(), server_with([](auto& o) { o.session_lifetime = 0s; }));
  EXPECT_TRUE(r.ok) << r;
}

TEST(ConfigSession, SessionLifetimeInRangeIsAccepted) {
  if (auto skip =
          without_session_lifetime(server_with([](auto& o) { o.session_lifetime = 300s; }))) {
    GTEST_SKIP() << *skip;
  }
  const auto r =
      handshake(pki::client_options(), server_with([](auto& o) { o.session_lifetime = 300s; }));
  EXPECT_TRUE(r.ok) << r;
}

TEST(ConfigSession, NegativeSessionLifetimeIsRejectedOnEveryBackend) {
  const error e = config_error(server_with([](auto& o) { o.session_lifetime = -1s; }));
  EXPECT_EQ(e.where(), "config option session_lifetime");
  EXPECT_EQ(e.code(), errc::invalid_argument);
}

TEST(ConfigSession, SessionLifetimeOutsideLibtlsLimitsIsRejectedWithItsMessage) {
  if (auto skip =
          without_session_lifetime(server_with([](auto& o) { o.session_lifetime = 60s; }))) {
    GTEST_SKIP() << *skip;
  }
  const error small = config_error(server_with([](auto& o) { o.session_lifetime = 1s; }));
  EXPECT_EQ(small.where(), "config option session_lifetime");
  EXPECT_TRUE(mentions(small.message(), "too small"));
  const error large = config_error(server_with([](auto& o) { o.session_lifetime = 48h; }));
  EXPECT_EQ(large.where(), "config option session_lifetime");
  EXPECT_TRUE(mentions(large.message(), "too large"));
}

/// Whole TLS records in `bytes`.
int records_in(const std::vector<std::byte>& bytes) {
  int records = 0;
  for (std::size_t at = 0; at + 5 <= bytes.size(); ++records) {
    at += 5 + (std::to_integer<std::size_t>(bytes[at + 3]) << 8 |
               std::to_integer<std::size_t>(bytes[at + 4]));
  }
  return records;
}

/// Records a server built from `server_conf` sends after its TLS 1.3
/// handshake, before any data: its session tickets.
int tickets_sent_by(const config& server_conf) {
  config_options client = pki::client_options();
  client.protocols = protocol::tlsv1_3;
  memory_link link{config{client}, server_conf};
  EXPECT_TRUE(link.handshake()) << link.describe();
  // The client finished first; the server's last handshake step sent them.
  return records_in(link.to_client.pending());
}

TEST(ConfigSession, ServerThatNeverResumesSendsNoTls13Tickets) {
  const backend_features& f = get_backend_features();
  if (!f.tls1_3) GTEST_SKIP() << "the libtls backend has no TLS 1.3";
  if (f.session_tickets || f.session_id || f.session_lifetime) {
    GTEST_SKIP() << "the libtls backend's servers resume sessions: their tickets can be honoured";
  }
  EXPECT_EQ(tickets_sent_by(config{pki::server_options()}), 0);

  // The control: the same server as libtls configures it by itself, the
  // session lifetime tlspp set back to libtls's default of zero.
  using set_lifetime_fn = int (*)(void*, int);
  auto* set_lifetime =
      reinterpret_cast<set_lifetime_fn>(::dlsym(RTLD_DEFAULT, "tls_config_set_session_lifetime"));
  if (set_lifetime == nullptr) GTEST_SKIP() << "tls_config_set_session_lifetime is not visible";
  const config bare{pki::server_options()};
  ASSERT_EQ(set_lifetime(bare.native_handle(), 0), 0);
  if (tickets_sent_by(bare) == 0) {
    GTEST_SKIP() << "the libtls backend's servers send no TLS 1.3 tickets by themselves";
  }
}

TEST(ConfigSession, Tls12ClientOfferingTicketsGetsThroughToAServerWithoutSessionOptions) {
  // Where tlspp stops unusable tickets, a TLS 1.2 client offering tickets
  // (one with a session file) gets an empty one; it must still connect.
  const temp_dir dir;
  if (auto skip = without_session_file(client_with([&](auto& o) { o.session_file = dir / "s"; }))) {
    GTEST_SKIP() << *skip;
  }
  config_options client = client_with([&](auto& o) {
    o.session_file = dir / "session";
    o.protocols = protocol::tlsv1_2;
  });
  for (int i = 0; i < 2; ++i) {
    SCOPED_TRACE("connection " + std::to_string(i + 1));
    memory_link link{config{client}, config{pki::server_options()}};
    ASSERT_TRUE(link.handshake()) << link.describe();
    EXPECT_EQ(memory_link::pump(link.client, link.accepted, "request"), "request");
    EXPECT_EQ(memory_link::pump(link.accepted, link.client, "reply"), "reply");
  }
}

TEST(ConfigSession, NewSessionFileIsCreatedOwnerOnlyAndTheClientHandshakes) {
  const temp_dir dir;
  const fs::path file = dir / "session";
  if (auto skip = without_session_file(client_with([&](auto& o) { o.session_file = file; }))) {
    // Refused before anything is created.
    EXPECT_FALSE(fs::exists(file));
    GTEST_SKIP() << *skip;
  }
  const auto r =
      handshake(client_with([&](auto& o) { o.session_file = file; }), pki::server_options());
  EXPECT_TRUE(r.ok) << r;
  ASSERT_TRUE(fs::is_regular_file(file));
  EXPECT_EQ(fs::status(file).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
}

TEST(ConfigSession, SessionFileThatCannotBeOpenedIsRejected) {
  const temp_dir dir;
  if (auto skip = without_session_file(client_with([&](auto& o) { o.session_file = dir / "s"; }))) {
    GTEST_SKIP() << *skip;
  }
  const error e =
      config_error(client_with([&](auto& o) { o.session_file = dir / "no-such-dir" / "session"; }));
  EXPECT_EQ(e.where(), "config option session_file");
  EXPECT_TRUE(mentions(e.message(), "No such file or directory"));

  const error directory = config_error(client_with([&](auto& o) { o.session_file = dir.path(); }));
  EXPECT_EQ(directory.where(), "config option session_file");
  EXPECT_TRUE(mentions(directory.message(), "Is a directory"));
}

TEST(ConfigSession, ExistingSessionFileReadableByOthersIsRejectedByLibtls) {
  const temp_dir dir;
  const fs::path file = dir / "session";
  if (auto skip = without_session_file(client_with([&](auto& o) { o.session_file = file; }))) {
    GTEST_SKIP() << *skip;
  }
  std::ofstream{file}.close();
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                            fs::perms::others_read);
  const error e = config_error(client_with([&](auto& o) { o.session_file = file; }));
  EXPECT_EQ(e.where(), "config option session_file");
  EXPECT_TRUE(mentions(e.message(), "incorrect permissions"));
}

// ---------------------------------------------------------------------------
// config::clear_keys, config::native_handle

/// Why to skip on a backend whose servers need the keys in the config: there
/// clear_keys() must refuse, saying so, and leave the keys in place (a server
/// configured before still handshakes).
std::optional<std::string> without_clear_keys() {
  if (get_backend_features().clear_keys) return std::nullopt;
  config server_conf{pki::server_options()};
  memory_link configured_before{config{pki::client_options()}, server_conf};
  const error e = error_from([&] { server_conf.clear_keys(); });
  EXPECT_EQ(e.where(), "config::clear_keys");
  EXPECT_TRUE(mentions(e.message(), "not supported"));
  EXPECT_TRUE(configured_before.handshake()) << configured_before.describe();
  return std::string{"the libtls backend's servers read the keys from the config ("} + e.what() +
         ")";
}

TEST(ConfigClearKeys, ServerConfiguredBeforeKeepsHandshakingAndOneConfiguredAfterFails) {
  if (auto skip = without_clear_keys()) GTEST_SKIP() << *skip;
  config server_conf{pki::server_options()};
  memory_link configured_before{config{pki::client_options()}, server_conf};
  server_conf.clear_keys();

  EXPECT_TRUE(configured_before.handshake()) << configured_before.describe();
  const error e = error_from([&] { server configured_after{server_conf}; });
  EXPECT_EQ(e.where(), "server: configure");
  EXPECT_TRUE(mentions(e.message(), "key"));
}

TEST(ConfigClearKeys, CopiesShareTheClearedKeys) {
  if (auto skip = without_clear_keys()) GTEST_SKIP() << *skip;
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
    ASSERT_TRUE(link->handshake()) << link->describe();
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
            first_failure = link.describe();
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
