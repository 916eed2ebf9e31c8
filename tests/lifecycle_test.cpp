// SPDX-License-Identifier: ISC
// Contexts over their lifetime: reset and reuse, moves, destruction without
// I/O, and a thousand sessions without the heap growing.
#include <gtest/gtest.h>

#include <malloc.h>

#include <cstdio>
#include <deque>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "support/assertions.hpp"
#include "support/memory_link.hpp"
#include "support/pki.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define TLSPP_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TLSPP_TEST_ASAN 1
#endif
#endif

namespace tlspp::test {
namespace {

using ::testing::AssertionFailure;
using ::testing::AssertionResult;
using ::testing::AssertionSuccess;

static_assert(!std::is_copy_constructible_v<client> && !std::is_copy_assignable_v<client>);
static_assert(!std::is_copy_constructible_v<server> && !std::is_copy_assignable_v<server>);
static_assert(!std::is_copy_constructible_v<server_connection> &&
              !std::is_copy_assignable_v<server_connection>);
static_assert(std::is_nothrow_move_constructible_v<client> &&
              std::is_nothrow_move_assignable_v<client>);
static_assert(std::is_nothrow_move_constructible_v<server> &&
              std::is_nothrow_move_assignable_v<server>);
static_assert(std::is_nothrow_move_constructible_v<server_connection> &&
              std::is_nothrow_move_assignable_v<server_connection>);
// A config is shared, not owned: copies are cheap and refer to one config.
static_assert(std::is_copy_constructible_v<config>);
// A connection moves only as what it is: no slicing a client or a server's
// connection into a `connection`, no assigning one kind over the other
// through the base, no client made from a server's connection.
static_assert(!std::is_move_constructible_v<connection> && !std::is_move_assignable_v<connection>);
static_assert(!std::is_constructible_v<connection, client&&> &&
              !std::is_constructible_v<connection, server_connection&&>);
static_assert(!std::is_assignable_v<connection&, client&&> &&
              !std::is_assignable_v<connection&, server_connection&&>);
static_assert(!std::is_constructible_v<client, server_connection&&> &&
              !std::is_assignable_v<client&, server_connection&&>);
static_assert(!std::is_constructible_v<server_connection, client&&> &&
              !std::is_assignable_v<server_connection&, client&&>);
static_assert(!std::is_destructible_v<connection>,
              "destroyed only as a client or server_connection");

/// Two queues and the transports of both ends; it must not move.
struct wire {
  byte_queue to_server;
  byte_queue to_client;
  queue_transport client_io{to_client, to_server};
  queue_transport server_io{to_server, to_client};
};

/// One exchange each way, then close_notify both ways.
AssertionResult exchange_and_close(connection& client, connection& server) {
  if (memory_link::pump(client, server, "ping") != "ping") return AssertionFailure() << "ping";
  if (memory_link::pump(server, client, "pong") != "pong") return AssertionFailure() << "pong";
  if (const io_result r = client.close(); !r.ok()) {
    return AssertionFailure() << "client close: " << client.error_message();
  }
  std::byte buf[16];
  if (const io_result r = server.recv(buf); r.status != io_status::closed) {
    return AssertionFailure() << "server recv: " << to_string(r.status) << " "
                              << server.error_message();
  }
  if (const io_result r = server.close(); !r.ok()) {
    return AssertionFailure() << "server close: " << server.error_message();
  }
  if (const io_result r = client.recv(buf); r.status != io_status::closed) {
    return AssertionFailure() << "client recv: " << to_string(r.status) << " "
                              << client.error_message();
  }
  return AssertionSuccess();
}

config client_config() { return config{pki::client_options()}; }
config server_config() { return config{pki::server_options()}; }

TEST(ClientReset, SameClientHandshakesAgainOverANewLinkAfterReset) {
  const config conf = client_config();
  server srv{server_config()};
  wire first;
  wire second;  // a transport outlives the connections over it
  client c{conf};

  server_connection s1 = srv.accept(first.server_io);
  c.connect("localhost", first.client_io);
  ASSERT_TRUE(handshake_pair(c, s1));
  ASSERT_TRUE(exchange_and_close(c, s1));
  const std::size_t first_written = first.to_server.written;

  c.reset(conf);
  EXPECT_FALSE(c.handshake_done());
  server_connection s2 = srv.accept(second.server_io);
  c.connect("localhost", second.client_io);
  ASSERT_TRUE(handshake_pair(c, s2));
  EXPECT_TRUE(exchange_and_close(c, s2));
  EXPECT_EQ(first.to_server.written, first_written) << "the old link stays unused";
}

TEST(ClientReset, ResetWithoutCloseDoesNoIoAndAllowsAnotherConnection) {
  server srv{server_config()};
  wire first;
  wire second;
  client c{client_config()};
  server_connection s1 = srv.accept(first.server_io);
  c.connect("localhost", first.client_io);
  ASSERT_TRUE(handshake_pair(c, s1));
  const std::size_t written = first.to_server.written;

  c.reset(client_config());
  EXPECT_EQ(first.to_server.written, written) << "reset() sent something";

  server_connection s2 = srv.accept(second.server_io);
  c.connect("localhost", second.client_io);
  ASSERT_TRUE(handshake_pair(c, s2));
  EXPECT_TRUE(exchange_and_close(c, s2));
}

TEST(ClientReset, ResetWithAnotherCaTakesEffect) {
  config_options untrusting = pki::client_options();
  untrusting.ca_file = pki::path("untrusted-ca.crt");
  server srv{server_config()};

  // Trusting our CA: verifies. Reset to a CA that did not sign the server:
  // the same client now rejects it. Reset back: verifies again.
  std::deque<wire> wires;  // each outlives the client's connection over it
  client c{client_config()};
  for (const bool trusted : {true, false, true}) {
    SCOPED_TRACE(trusted ? "trusted CA" : "untrusted CA");
    c.reset(trusted ? client_config() : config{untrusting});
    wire& w = wires.emplace_back();
    server_connection s = srv.accept(w.server_io);
    c.connect("localhost", w.client_io);
    const AssertionResult done = handshake_pair(c, s);
    EXPECT_EQ(bool(done), trusted) << done.message();
    if (!trusted) {
      const io_result r = c.handshake();
      EXPECT_EQ(r.status, io_status::failed) << to_string(r.status);
      EXPECT_EQ(c.error_code(), errc::handshake_failed) << c.error_message();
      EXPECT_FALSE(c.error_message().empty());
    }
  }
}

TEST(ServerLifetime, AcceptedConnectionsOutliveServerResetMoveAndDestruction) {
  wire done_wire;     // handshaken before the server changes
  wire pending_wire;  // accepted, but the handshake runs after the server is gone
  client done_client{client_config()};
  client pending_client{client_config()};
  done_client.connect("localhost", done_wire.client_io);
  pending_client.connect("localhost", pending_wire.client_io);

  std::optional<server> srv{std::in_place, server_config()};
  server_connection done = srv->accept(done_wire.server_io);
  server_connection pending = srv->accept(pending_wire.server_io);
  ASSERT_TRUE(handshake_pair(done_client, done));

  srv->reset(config{pki::server_options("sni-other")});
  EXPECT_EQ(memory_link::pump(done_client, done, "after reset"), "after reset");
  server moved = std::move(*srv);
  srv.reset();
  EXPECT_EQ(memory_link::pump(done, done_client, "after move"), "after move");
  { server gone = std::move(moved); }

  // The pending connection handshakes with the configuration it was
  // accepted under (localhost), though its server is destroyed.
  ASSERT_TRUE(handshake_pair(pending_client, pending));
  EXPECT_TRUE(pending_client.peer_cert_contains_name("localhost"));
  EXPECT_TRUE(exchange_and_close(pending_client, pending));
  EXPECT_TRUE(exchange_and_close(done_client, done));
}

TEST(ServerLifetime, ResetConfigurationAppliesToLaterAccepts) {
  server srv{server_config()};
  wire before_wire;
  server_connection before = srv.accept(before_wire.server_io);
  srv.reset(config{pki::server_options("sni-other")});
  wire after_wire;
  server_connection after = srv.accept(after_wire.server_io);

  client old_name{client_config()};
  old_name.connect("localhost", before_wire.client_io);
  ASSERT_TRUE(handshake_pair(old_name, before));
  client new_name{client_config()};
  new_name.connect("other.test", after_wire.client_io);
  ASSERT_TRUE(handshake_pair(new_name, after));
  EXPECT_TRUE(new_name.peer_cert_contains_name("other.test"));
  EXPECT_FALSE(new_name.peer_cert_contains_name("localhost"));
}

TEST(Moves, MovedClientsConnectionsAndServersKeepWorking) {
  memory_link link{client_config(), server_config()};
  ASSERT_TRUE(link.handshake()) << link.describe();

  client c = std::move(link.client);
  server_connection s = std::move(link.accepted);
  EXPECT_TRUE(c.handshake_done());
  EXPECT_EQ(memory_link::pump(c, s, "moved"), "moved");

  // Move assignment over a live context frees that one (without I/O) and
  // takes the other's connection.
  client assigned{client_config()};
  wire unused;
  assigned.connect("localhost", unused.client_io);
  assigned = std::move(c);
  std::deque<wire> wires;  // they outlive the connections over them
  std::vector<server_connection> connections;
  connections.push_back(std::move(s));
  for (int i = 0; i < 10; ++i) {  // the vector reallocates, moving it along
    connections.push_back(link.server.accept(wires.emplace_back().server_io));
  }
  EXPECT_EQ(memory_link::pump(connections.front(), assigned, "still here"), "still here");
  EXPECT_EQ(unused.to_server.written, 0u);

  server moved_server = std::move(link.server);
  wire w;
  server_connection fresh = moved_server.accept(w.server_io);
  client fresh_client{client_config()};
  fresh_client.connect("localhost", w.client_io);
  ASSERT_TRUE(handshake_pair(fresh_client, fresh));
  EXPECT_TRUE(exchange_and_close(assigned, connections.front()));
}

TEST(Moves, UsingAMovedFromConfigThrows) {
  config conf{pki::client_options()};
  const config moved_to = std::move(conf);
  const auto moved_from = [](const auto& call) {
    try {
      call();
      return AssertionResult{AssertionFailure() << "no exception"};
    } catch (const error& e) {
      if (e.code() != errc::moved_from) return AssertionFailure() << e.what();
      return AssertionSuccess();
    }
  };
  EXPECT_EQ(conf.native_handle(), nullptr);
  EXPECT_TRUE(moved_from([&] { const client c{conf}; }));
  EXPECT_TRUE(moved_from([&] { const server srv{conf}; }));
  wire w;
  client c{moved_to};
  EXPECT_TRUE(moved_from([&] { c.reset(conf); }));
  server srv{config{pki::server_options()}};
  EXPECT_TRUE(moved_from([&] { srv.reset(conf); }));
  if (get_backend_features().clear_keys) {
    EXPECT_TRUE(moved_from([&] { conf.clear_keys(); }));
  }
  // What was built from the moved-to config works.
  EXPECT_NE(moved_to.native_handle(), nullptr);
  server_connection s = srv.accept(w.server_io);
  c.connect("localhost", w.client_io);
  EXPECT_TRUE(handshake_pair(c, s));
}

/// Client callbacks that count their calls.
struct counted_wire {
  byte_queue to_server;
  byte_queue to_client;
  int reads = 0;
  int writes = 0;
  auto reader() {
    return [this](std::span<std::byte> b) {
      ++reads;
      return to_client.read(b);
    };
  }
  auto writer() {
    return [this](std::span<const std::byte> b) {
      ++writes;
      return to_server.write(b);
    };
  }
};

TEST(Destruction, DestroyingAConnectedClientWithoutCloseDoesNoIo) {
  counted_wire w;
  server srv{server_config()};
  server_connection s =
      srv.accept([&](std::span<std::byte> b) { return w.to_server.read(b); },
                 [&](std::span<const std::byte> b) { return w.to_client.write(b); });
  std::optional<client> c{std::in_place, client_config()};
  c->connect("localhost", w.reader(), w.writer());
  ASSERT_TRUE(handshake_pair(*c, s));
  ASSERT_EQ(memory_link::pump(*c, s, "data"), "data");
  const int reads = w.reads;
  const int writes = w.writes;
  ASSERT_GT(writes, 0);

  c.reset();
  EXPECT_EQ(w.writes, writes) << "the destructor wrote (close_notify?)";
  EXPECT_EQ(w.reads, reads) << "the destructor read";
  EXPECT_TRUE(w.to_server.empty());
}

TEST(Destruction, DestroyingAnAcceptedConnectionOrAHalfHandshakeDoesNoIo) {
  counted_wire w;
  server srv{server_config()};
  int server_calls = 0;
  std::optional<server_connection> s{srv.accept(
      [&](std::span<std::byte> b) {
        ++server_calls;
        return w.to_server.read(b);
      },
      [&](std::span<const std::byte> b) {
        ++server_calls;
        return w.to_client.write(b);
      })};
  std::optional<client> c{std::in_place, client_config()};
  c->connect("localhost", w.reader(), w.writer());
  // Half a handshake: the client sent its hello, the server answered.
  ASSERT_EQ(c->handshake().status, io_status::want_recv);
  ASSERT_EQ(s->handshake().status, io_status::want_recv);
  const int client_calls = w.reads + w.writes;
  const int calls = server_calls;

  c.reset();
  EXPECT_EQ(w.reads + w.writes, client_calls);
  ASSERT_TRUE(s->recv(std::span<std::byte>{}).ok());
  s.reset();
  EXPECT_EQ(server_calls, calls);
}

/// Server names connect() must refuse. The empty name is refused by libtls
/// (a verifying client needs one) after it set up the connection; tlspp
/// refuses the others before libtls sees them.
std::vector<std::pair<std::string, std::string>> refused_names() {
  using namespace std::string_literals;
  return {{"empty", ""},
          {"255 bytes", std::string(255, 'a')},
          {"embedded NUL", "localhost\0.attacker.test"s}};
}

TEST(ConnectFailures, TheSameClientConnectsAfterFailedConnects) {
  server srv{server_config()};
  std::deque<wire> wires;  // each outlives the client's connection over it
  client c{client_config()};
  for (const auto& [what, name] : refused_names()) {
    SCOPED_TRACE(what);
    wire& refused = wires.emplace_back();
    try {
      c.connect(name, refused.client_io);
      ADD_FAILURE() << "connect() took the name";
      c.reset(client_config());
    } catch (const error& e) {
      EXPECT_EQ(e.code(), errc::invalid_argument) << e.what();
    }
    EXPECT_EQ(refused.to_server.written, 0u);
    wire& w = wires.emplace_back();
    server_connection s = srv.accept(w.server_io);
    c.connect("localhost", w.client_io);
    ASSERT_TRUE(handshake_pair(c, s));
    EXPECT_TRUE(exchange_and_close(c, s));
    c.reset(client_config());
  }
}

#if defined(TLSPP_TEST_ASAN)
constexpr bool under_asan = true;
#else
constexpr bool under_asan = false;
#endif

/// Bytes the process has allocated with malloc and not freed.
std::size_t heap_in_use() { return ::mallinfo2().uordblks; }

TEST(Leaks, AThousandSessionsDoNotGrowTheHeap) {
  // Under ASan, mallinfo means nothing: fewer rounds, and LeakSanitizer
  // checks at exit what they left behind.
  const int rounds = under_asan ? 150 : 1000;
  const int warm_up = 100;
  const config client_conf = client_config();
  const config server_conf = server_config();
  std::size_t after_warm_up = 0;
  for (int i = 0; i < rounds; ++i) {
    if (i == warm_up) after_warm_up = heap_in_use();
    memory_link link{client_conf, server_conf};  // fresh contexts, shared configs
    ASSERT_TRUE(link.handshake()) << "round " << i << ": " << link.describe();
    ASSERT_TRUE(exchange_and_close(link.client, link.accepted)) << "round " << i;
  }
  if (under_asan) {
    std::printf("heap growth not measured under AddressSanitizer; LeakSanitizer checks\n");
    return;
  }
  const std::size_t at_end = heap_in_use();
  const long long growth = static_cast<long long>(at_end) - static_cast<long long>(after_warm_up);
  RecordProperty("heap_growth_bytes", std::to_string(growth));
  EXPECT_LT(growth, 256 * 1024) << "heap after " << warm_up << " sessions: " << after_warm_up
                                << ", after " << rounds << ": " << at_end;
}

TEST(Leaks, AHundredFailedConnectsDoNotGrowTheHeap) {
  // Under ASan, LeakSanitizer checks at exit what the failures left behind.
  wire w;  // for the successful connect at the end
  client c{client_config()};
  std::size_t after_warm_up = 0;
  const int rounds = 100;
  const int warm_up = 10;
  for (int i = 0; i < rounds; ++i) {
    if (i == warm_up) after_warm_up = heap_in_use();
    for (const auto& [what, name] : refused_names()) {
      wire refused;
      EXPECT_THROW(c.connect(name, refused.client_io), error) << what;
    }
  }
  const std::size_t at_end = heap_in_use();
  // Still a working client.
  server srv{server_config()};
  server_connection s = srv.accept(w.server_io);
  c.connect("localhost", w.client_io);
  EXPECT_TRUE(handshake_pair(c, s));
  if (under_asan) {
    std::printf("heap growth not measured under AddressSanitizer; LeakSanitizer checks\n");
    return;
  }
  const long long growth = static_cast<long long>(at_end) - static_cast<long long>(after_warm_up);
  RecordProperty("heap_growth_bytes", std::to_string(growth));
  // A leaked libtls connection setup (an SSL_CTX, the name) is ~15 KB each.
  EXPECT_LT(growth, 64 * 1024) << "heap after " << warm_up
                               << " rounds of failed connects: " << after_warm_up << ", after "
                               << rounds << ": " << at_end;
}

}  // namespace
}  // namespace tlspp::test
