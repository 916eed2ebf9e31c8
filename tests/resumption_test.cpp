// SPDX-License-Identifier: ISC
// Session resumption: a client keeps its session in a session_file, and a
// second connection to the same server resumes it, with session tickets
// (ticket_keys) or with server-side session IDs (session_id). Backends that
// cannot resume are detected by what they do, and the tests skip saying so.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

#include "support/backend.hpp"
#include "support/memory_link.hpp"
#include "support/pki.hpp"
#include "support/temp_dir.hpp"

namespace tlspp::test {
namespace {

namespace fs = std::filesystem;

std::string contents(const fs::path& file) {
  std::ifstream in{file, std::ios::binary};
  return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

/// One complete connection from a client with `client_conf` to the shared
/// `server`: handshake, a request and a reply (a TLS 1.3 server sends its
/// tickets after the handshake), and close_notify both ways. Returns what
/// each side's info() said.
struct session_outcome {
  bool client_resumed = false;
  bool server_resumed = false;
};

session_outcome connect_once(const config& client_conf, const config& server_conf,
                             tlspp::server& server, std::string_view servername = "localhost") {
  memory_link link{client_conf, server_conf, servername};
  // Serve from the long-lived server, which holds the session cache.
  link.accepted = server.accept(link.server_io);
  EXPECT_TRUE(link.handshake()) << link.describe();
  if (!link.client.handshake_done() || !link.accepted.handshake_done()) return {};
  EXPECT_EQ(memory_link::pump(link.client, link.accepted, "request"), "request");
  EXPECT_EQ(memory_link::pump(link.accepted, link.client, "reply"), "reply");
  const session_outcome outcome{link.client.info().session_resumed,
                                link.accepted.info().session_resumed};
  EXPECT_TRUE(link.client.close().ok());
  EXPECT_TRUE(link.accepted.close().ok());
  std::byte buffer[64];
  EXPECT_EQ(link.accepted.recv(buffer).status, io_status::closed);
  EXPECT_EQ(link.client.recv(buffer).status, io_status::closed);
  return outcome;
}

ticket_key test_ticket_key() {
  ticket_key k{.keyrev = 1};
  for (std::size_t i = 0; i < k.key.size(); ++i) k.key[i] = static_cast<std::byte>(i * 7 + 3);
  return k;
}

// ---------------------------------------------------------------------------

struct resumption_case {
  const char* name;
  protocol version;
  bool tickets;  ///< ticket_keys; otherwise session_id
};

// Names the case in gtest's messages instead of dumping its bytes.
void PrintTo(const resumption_case& c, std::ostream* os) { *os << c.name; }

class Resumption : public ::testing::TestWithParam<resumption_case> {};

TEST_P(Resumption, SecondConnectionResumesTheSessionFromTheSessionFile) {
  const resumption_case& c = GetParam();
  const backend_features& features = get_backend_features();
  const temp_dir dir;
  config_options client_opts = pki::client_options();
  client_opts.protocols = c.version;
  if (c.version == protocol::tlsv1_3) {
    if (auto skip = unsupported(features.tls1_3, client_opts, "protocols", "TLS 1.3")) {
      GTEST_SKIP() << *skip;
    }
  }
  client_opts.session_file = dir.path() / "session.pem";
  if (auto skip =
          unsupported(features.session_file, client_opts, "session_file", "client session files")) {
    GTEST_SKIP() << *skip;
  }

  config_options server_opts = pki::server_options();
  server_opts.protocols = c.version;
  server_opts.session_lifetime = std::chrono::minutes{5};
  if (auto skip = unsupported(features.session_lifetime, server_opts, "session_lifetime",
                              "session lifetime")) {
    GTEST_SKIP() << *skip;
  }
  if (c.tickets) {
    server_opts.ticket_keys = {test_ticket_key()};
  } else {
    server_opts.session_id = "tlspp resumption test";
  }
  if (auto skip = unsupported(c.tickets ? features.session_tickets : features.session_id,
                              server_opts, c.tickets ? "ticket_keys" : "session_id",
                              c.tickets ? "session tickets" : "session IDs")) {
    GTEST_SKIP() << *skip;
  }
  const config server_conf{server_opts};
  tlspp::server server{server_conf};

  // Each connection opens the file afresh, as a new process would.
  const session_outcome first = connect_once(config{client_opts}, server_conf, server);
  EXPECT_FALSE(first.client_resumed);
  EXPECT_FALSE(first.server_resumed);
  const std::string saved = contents(*client_opts.session_file);
  if (saved.empty()) {
    GTEST_SKIP() << "the libtls backend wrote no session to session_file after a full "
                    "handshake, data and close: it keeps no resumable session";
  }
  EXPECT_NE(saved.find("SSL SESSION"), std::string::npos) << saved;

  const session_outcome second = connect_once(config{client_opts}, server_conf, server);
  if (!second.client_resumed && !second.server_resumed) {
    GTEST_SKIP() << "the libtls backend saved a session (" << saved.size()
                 << " bytes) but a second connection did not resume it: the server "
                    "issues no usable "
                 << (c.tickets ? "session tickets" : "session IDs");
  }
  EXPECT_TRUE(second.client_resumed);
  EXPECT_TRUE(second.server_resumed);
}

INSTANTIATE_TEST_SUITE_P(
    Resumption, Resumption,
    ::testing::Values(resumption_case{"TicketKeysTls12", protocol::tlsv1_2, true},
                      resumption_case{"TicketKeysTls13", protocol::tlsv1_3, true},
                      resumption_case{"SessionIdTls12", protocol::tlsv1_2, false}),
    [](const ::testing::TestParamInfo<resumption_case>& info) {
      return std::string{info.param.name};
    });

/// A server that resumes whatever the backend can resume.
config resuming_server_config(protocol_set versions = {}) {
  const backend_features& features = get_backend_features();
  config_options o = pki::server_options();
  if (!versions.empty()) o.protocols = versions;
  if (features.session_lifetime) o.session_lifetime = std::chrono::minutes{5};
  if (features.session_id) o.session_id = "tlspp resumption test";
  if (features.session_tickets) o.ticket_keys = {test_ticket_key()};
  return config{o};
}

TEST(Resumption, FreshClientConfigsWithoutASessionFileMakeFullHandshakes) {
  const config server_conf = resuming_server_config();
  tlspp::server server{server_conf};
  for (int i = 0; i < 2; ++i) {
    SCOPED_TRACE("connection " + std::to_string(i + 1));
    // A config of its own each time: nothing is shared between configs.
    const config client_conf{pki::client_options()};
    const session_outcome outcome = connect_once(client_conf, server_conf, server);
    EXPECT_FALSE(outcome.client_resumed);
    EXPECT_FALSE(outcome.server_resumed);
  }
}

// ---------------------------------------------------------------------------
// The client session cache (backend_features::client_session_cache): clients
// of one config resume without a session file, where the backend has one.

class ClientSessionCache : public ::testing::TestWithParam<protocol> {
 protected:
  void SetUp() override {
    if (GetParam() == protocol::tlsv1_3) {
      config_options o = pki::client_options();
      o.protocols = protocol::tlsv1_3;
      if (auto skip = unsupported(get_backend_features().tls1_3, o, "protocols", "TLS 1.3")) {
        GTEST_SKIP() << *skip;
      }
    }
  }
  [[nodiscard]] config_options client_options() const {
    config_options o = pki::client_options();
    o.protocols = GetParam();
    return o;
  }
};

TEST_P(ClientSessionCache, ClientsOfOneConfigResumeOnlyWhereTheBackendKeepsSessions) {
  const bool caches = get_backend_features().client_session_cache;
  const config server_conf = resuming_server_config(GetParam());
  tlspp::server server{server_conf};
  const config client_conf{client_options()};
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE("connection " + std::to_string(i + 1));
    const session_outcome outcome = connect_once(client_conf, server_conf, server);
    EXPECT_EQ(outcome.client_resumed, caches && i > 0);
    EXPECT_EQ(outcome.server_resumed, caches && i > 0);
  }
  // Another config, even with the same options, shares nothing.
  const session_outcome other = connect_once(config{client_options()}, server_conf, server);
  EXPECT_FALSE(other.client_resumed);
  EXPECT_FALSE(other.server_resumed);
}

TEST_P(ClientSessionCache, SessionsAreKeptPerServerName) {
  const backend_features& features = get_backend_features();
  if (!features.client_session_cache) GTEST_SKIP() << "the backend keeps no client sessions";
  if (!features.ip_address_names) GTEST_SKIP() << "the backend cannot verify 127.0.0.1";
  const config server_conf = resuming_server_config(GetParam());
  tlspp::server server{server_conf};
  const config client_conf{client_options()};
  EXPECT_FALSE(connect_once(client_conf, server_conf, server, "localhost").client_resumed);
  // The same server under another name: the session for "localhost" is not
  // offered to it.
  EXPECT_FALSE(connect_once(client_conf, server_conf, server, "127.0.0.1").client_resumed);
  EXPECT_TRUE(connect_once(client_conf, server_conf, server, "127.0.0.1").client_resumed);
  EXPECT_TRUE(connect_once(client_conf, server_conf, server, "localhost").client_resumed);
}

TEST_P(ClientSessionCache, ASessionFileReplacesTheCache) {
  const backend_features& features = get_backend_features();
  if (!features.client_session_cache) GTEST_SKIP() << "the backend keeps no client sessions";
  const temp_dir dir;
  config_options o = client_options();
  o.session_file = dir / "session.pem";
  const config client_conf{o};
  const config server_conf = resuming_server_config(GetParam());
  tlspp::server server{server_conf};
  EXPECT_FALSE(connect_once(client_conf, server_conf, server).client_resumed);
  ASSERT_FALSE(contents(*o.session_file).empty());
  EXPECT_TRUE(connect_once(client_conf, server_conf, server).client_resumed);
  // With the file emptied, nothing else holds the session.
  std::ofstream{*o.session_file, std::ios::trunc}.close();
  EXPECT_FALSE(connect_once(client_conf, server_conf, server).client_resumed);
}

INSTANTIATE_TEST_SUITE_P(Resumption, ClientSessionCache,
                         ::testing::Values(protocol::tlsv1_2, protocol::tlsv1_3),
                         [](const ::testing::TestParamInfo<protocol>& info) {
                           return info.param == protocol::tlsv1_2 ? "Tls12" : "Tls13";
                         });

}  // namespace
}  // namespace tlspp::test
