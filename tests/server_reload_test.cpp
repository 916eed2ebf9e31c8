// SPDX-License-Identifier: ISC
// Reloading a server's certificate without a restart: server::reset() with
// live connections. What examples/reloading_server.cpp relies on, on every
// backend: a connection accepted before the reset keeps the libtls context
// and config it was accepted under (server.cpp gives the server a fresh
// context rather than tls_reset()ing the shared one), so it goes on
// working and presenting the old certificate, while later accepts present
// the new one.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "support/assertions.hpp"
#include "support/memory_link.hpp"
#include "support/pki.hpp"
#include "support/temp_dir.hpp"
#include "tlspp/tlspp.hpp"

namespace tlspp::test {
namespace {

using ::testing::AssertionFailure;
using ::testing::AssertionResult;
using ::testing::AssertionSuccess;

/// Both directions of one client/server connection, in memory.
struct wire {
  byte_queue to_server;
  byte_queue to_client;
  queue_transport client_io{to_client, to_server};
  queue_transport server_io{to_server, to_client};
};

/// "SHA256:<hex>" of a test PKI leaf, as connection_info reports it.
std::string hash_of(const std::string& leaf) { return "SHA256:" + pki::read(leaf + ".sha256"); }

/// The certificate hash the client saw, or what went wrong.
std::string peer_hash(const client& c) {
  const connection_info info = c.info();
  return info.peer ? info.peer->hash : "no peer certificate";
}

/// Data both ways, then close_notify both ways.
AssertionResult works_and_closes(client& c, server_connection& s, const std::string& tag) {
  if (memory_link::pump(c, s, "up " + tag) != "up " + tag) return AssertionFailure() << "up";
  if (memory_link::pump(s, c, "down " + tag) != "down " + tag) return AssertionFailure() << "down";
  if (!c.close().ok()) return AssertionFailure() << "client close: " << c.error_message();
  std::byte buf[16];
  if (s.recv(buf).status != io_status::closed) return AssertionFailure() << "server saw no close";
  if (!s.close().ok()) return AssertionFailure() << "server close: " << s.error_message();
  if (c.recv(buf).status != io_status::closed) return AssertionFailure() << "client saw no close";
  return AssertionSuccess();
}

config client_config() { return config{pki::client_options()}; }

TEST(ServerReload, ConnectionsFromBeforeAResetKeepTheirCertificateAndLaterOnesGetTheNewOne) {
  server srv{config{pki::server_options("server-ecdsa")}};

  wire old_wire;  // handshaken before the reset
  client old_client{client_config()};
  old_client.connect("localhost", old_wire.client_io);
  server_connection old_conn = srv.accept(old_wire.server_io);
  ASSERT_TRUE(handshake_pair(old_client, old_conn));
  ASSERT_EQ(memory_link::pump(old_client, old_conn, "before"), "before");

  wire pending_wire;  // accepted before the reset, handshaken after it
  client pending_client{client_config()};
  pending_client.connect("localhost", pending_wire.client_io);
  server_connection pending_conn = srv.accept(pending_wire.server_io);

  srv.reset(config{pki::server_options("server-rsa")});

  wire new_wire;
  client new_client{client_config()};
  new_client.connect("localhost", new_wire.client_io);
  server_connection new_conn = srv.accept(new_wire.server_io);
  ASSERT_TRUE(handshake_pair(new_client, new_conn));
  ASSERT_TRUE(handshake_pair(pending_client, pending_conn));

  EXPECT_NE(hash_of("server-ecdsa"), hash_of("server-rsa"));
  EXPECT_EQ(peer_hash(new_client), hash_of("server-rsa"));
  EXPECT_EQ(peer_hash(old_client), hash_of("server-ecdsa"));
  EXPECT_EQ(peer_hash(pending_client), hash_of("server-ecdsa"));

  // All three carry data both ways and close cleanly, the old ones
  // interleaved with the new one, and the old one still reports its own
  // certificate after traffic under the new configuration.
  EXPECT_EQ(memory_link::pump(new_conn, new_client, "new"), "new");
  EXPECT_EQ(memory_link::pump(old_conn, old_client, "after"), "after");
  EXPECT_EQ(peer_hash(old_client), hash_of("server-ecdsa"));
  EXPECT_TRUE(works_and_closes(old_client, old_conn, "old"));
  EXPECT_TRUE(works_and_closes(pending_client, pending_conn, "pending"));
  EXPECT_TRUE(works_and_closes(new_client, new_conn, "new"));
}

TEST(ServerReload, ResetRereadsFilesReplacedOnDisk) {
  // What a server does on SIGHUP: the same paths, with new contents.
  const temp_dir dir;
  const auto install = [&](const std::string& leaf) {
    const auto overwrite = std::filesystem::copy_options::overwrite_existing;
    std::filesystem::copy_file(pki::path(leaf + "-chain.pem"), dir / "cert.pem", overwrite);
    std::filesystem::copy_file(pki::path(leaf + ".key"), dir / "key.pem", overwrite);
  };
  const auto from_files = [&] {
    config_options o;
    o.cert_file = dir / "cert.pem";
    o.key_file = dir / "key.pem";
    return config{o};
  };

  install("server-ecdsa");
  server srv{from_files()};
  wire old_wire;
  client old_client{client_config()};
  old_client.connect("localhost", old_wire.client_io);
  server_connection old_conn = srv.accept(old_wire.server_io);
  ASSERT_TRUE(handshake_pair(old_client, old_conn));

  // The config read the files when it was built: replacing them changes
  // nothing until a new config is built from them and installed.
  install("server-rsa");
  wire unchanged_wire;
  client unchanged_client{client_config()};
  unchanged_client.connect("localhost", unchanged_wire.client_io);
  server_connection unchanged_conn = srv.accept(unchanged_wire.server_io);
  ASSERT_TRUE(handshake_pair(unchanged_client, unchanged_conn));
  EXPECT_EQ(peer_hash(unchanged_client), hash_of("server-ecdsa"));

  srv.reset(from_files());
  wire new_wire;
  client new_client{client_config()};
  new_client.connect("localhost", new_wire.client_io);
  server_connection new_conn = srv.accept(new_wire.server_io);
  ASSERT_TRUE(handshake_pair(new_client, new_conn));
  EXPECT_EQ(peer_hash(new_client), hash_of("server-rsa"));
  EXPECT_EQ(peer_hash(old_client), hash_of("server-ecdsa"));
  EXPECT_TRUE(works_and_closes(old_client, old_conn, "old"));
  EXPECT_TRUE(works_and_closes(new_client, new_conn, "new"));
}

TEST(ServerReload, AConfigThatFailsLeavesTheServerAsItWas) {
  // A reload from a bad file must not take a running server down: reset()
  // builds the new context before it replaces the old one.
  server srv{config{pki::server_options("server-ecdsa")}};
  config_options mismatched = pki::server_options("server-rsa");
  mismatched.key_file = pki::path("key-mismatch.key");
  const config bad{mismatched};  // libtls checks the pair when it configures a context
  try {
    srv.reset(bad);
    FAIL() << "a key that matches no certificate was accepted";
  } catch (const error& e) {
    EXPECT_TRUE(e.code() == errc::config_rejected || e.code() == errc::invalid_argument)
        << e.what();
  }
  wire w;
  client c{client_config()};
  c.connect("localhost", w.client_io);
  server_connection s = srv.accept(w.server_io);
  ASSERT_TRUE(handshake_pair(c, s));
  EXPECT_EQ(peer_hash(c), hash_of("server-ecdsa"));
  EXPECT_TRUE(works_and_closes(c, s, "after a failed reload"));
}

}  // namespace
}  // namespace tlspp::test
