// SPDX-License-Identifier: ISC
// tlspp::coro under a minimal single-threaded scheduler of our own: a
// ready queue of coroutine handles, and memory_transport pairs pumped the
// way a socket would move their bytes. Nothing here knows about Asio.
#include <gtest/gtest.h>

#include <algorithm>
#include <coroutine>
#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "support/openssl_server.hpp"
#include "support/pki.hpp"
#include "tlspp/coro.hpp"
#include "tlspp/tlspp.hpp"

namespace tlspp::test {
namespace {

using coro::task;

/// What the throwing transport callback throws.
struct cable_cut : std::runtime_error {
  cable_cut() : std::runtime_error{"cable cut while reading"} {}
};

/// The transport a connection uses: its memory_transport, passed through a
/// switch that makes the read callback throw once it was handed bytes.
class switchable_transport final : public transport {
 public:
  explicit switchable_transport(memory_transport& io) : io_{io} {}
  bool throw_on_data = false;

  transfer read(std::span<std::byte> buffer) override {
    const transfer t = io_.read(buffer);
    if (throw_on_data && t.value() > 0) throw cable_cut{};
    return t;
  }
  transfer write(std::span<const std::byte> buffer) override { return io_.write(buffer); }

 private:
  memory_transport& io_;
};

/// One end of a connection: the queues the loop pumps, and the coroutine
/// waiting for them. It is the waiter the tlspp::coro operations are given.
struct endpoint {
  memory_transport io;
  switchable_transport wire{io};
  /// Set to stop sending: the peer sees end of stream once the outbox drained.
  bool shut_down = false;
  bool end_of_stream_delivered = false;

  std::coroutine_handle<> waiting;
  io_status wanted = io_status::ok;
  std::size_t recv_waits = 0;
  std::size_t send_waits = 0;

  explicit endpoint(std::size_t outbox_limit) : io{outbox_limit} {}

  void wait(io_status want, std::coroutine_handle<> h) {
    // Operations on one connection run one at a time in these tests.
    if (waiting) throw std::logic_error{"two coroutines wait on one endpoint"};
    waiting = h;
    wanted = want;
    ++(want == io_status::want_recv ? recv_waits : send_waits);
  }
};
static_assert(coro::waiter<endpoint>);

/// A client connected to a connection the server accepted, each over its
/// own endpoint.
struct connection_pair {
  endpoint client_end;
  endpoint server_end;
  server_connection accepted;
  tlspp::client client;

  connection_pair(server& srv, const config& client_conf, std::size_t outbox_limit = 64 * 1024)
      : client_end{outbox_limit},
        server_end{outbox_limit},
        accepted{srv.accept(server_end.wire)},
        client{client_conf} {
    client.connect("localhost", client_end.wire);
  }
};

/// The scheduler: resumes ready coroutines; when none is ready, moves bytes
/// between the endpoints of every pair and readies whoever can go on.
class event_loop {
 public:
  void add(connection_pair& p) { pairs_.push_back(&p); }

  /// Runs until `finished()`; false when nothing could move any more.
  template <class Finished>
  bool run(Finished finished) {
    while (!finished()) {
      if (!ready_.empty()) {
        const std::coroutine_handle<> h = ready_.front();
        ready_.pop_front();
        h.resume();
        continue;
      }
      count_suspended();
      bool progressed = false;
      for (connection_pair* p : pairs_) {
        progressed |= pump(p->client_end, p->server_end);
        progressed |= pump(p->server_end, p->client_end);
      }
      if (!progressed && ready_.empty()) return false;
    }
    return true;
  }

  /// The most coroutines that were suspended at the same time.
  [[nodiscard]] std::size_t max_suspended() const { return max_suspended_; }

 private:
  /// Moves what `from` sends into `to` as a socket would, but only into the
  /// buffer libtls waits on (zero copy); until then the bytes wait, as in a
  /// socket buffer. Wakes `to` when it got bytes or end of stream, and
  /// `from` when its outbox has room again.
  bool pump(endpoint& from, endpoint& to) {
    std::size_t moved = 0;
    while (!from.io.to_send().empty() && to.io.read_pending()) {
      const auto out = from.io.to_send();
      const auto in = to.io.receive_buffer(out.size());
      const std::size_t n = std::min(out.size(), in.size());
      std::memcpy(in.data(), out.data(), n);
      to.io.commit_received(n);
      from.io.consume_sent(n);
      moved += n;
    }
    bool delivered = moved > 0;
    if (from.shut_down && !from.end_of_stream_delivered && from.io.to_send().empty()) {
      to.io.receive_end_of_stream();
      from.end_of_stream_delivered = true;
      delivered = true;
    }
    if (delivered) wake(to, io_status::want_recv);
    if (moved > 0) wake(from, io_status::want_send);
    return delivered;
  }

  void wake(endpoint& e, io_status want) {
    if (e.waiting && e.wanted == want) ready_.push_back(std::exchange(e.waiting, {}));
  }

  void count_suspended() {
    std::size_t n = 0;
    for (const connection_pair* p : pairs_) {
      n += static_cast<std::size_t>(static_cast<bool>(p->client_end.waiting)) +
           static_cast<std::size_t>(static_cast<bool>(p->server_end.waiting));
    }
    max_suspended_ = std::max(max_suspended_, n);
  }

  std::deque<std::coroutine_handle<>> ready_;
  std::vector<connection_pair*> pairs_;
  std::size_t max_suspended_ = 0;
};

/// Throws, with the operation's status and the connection's error, unless
/// it succeeded.
void require_ok(const io_result& r, const connection& conn, const std::string& what) {
  if (!r.ok()) {
    throw std::runtime_error{what + ": " + to_string(r.status) + " " + conn.error_message()};
  }
}

std::string payload(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>(i * 131 + i / 977);
  return s;
}

/// Receives exactly `size` bytes; throws if the stream ends before.
task<std::string> recv_exactly(connection& conn, endpoint& ep, std::size_t size) {
  std::string got;
  std::vector<std::byte> buffer(16 * 1024);
  while (got.size() < size) {
    const auto room = std::span{buffer}.first(std::min(buffer.size(), size - got.size()));
    const io_result r = co_await coro::recv(conn, room, ep);
    require_ok(r, conn, "recv");
    got.append(reinterpret_cast<const char*>(buffer.data()), r.bytes);
  }
  co_return got;
}

/// Echo client: handshake, send `data`, return what comes back.
task<std::string> echo_client(connection& conn, endpoint& ep, std::string_view data) {
  const io_result hs = co_await coro::handshake(conn, ep);
  require_ok(hs, conn, "client handshake");
  const io_result sent = co_await coro::send(conn, data, ep);
  require_ok(sent, conn, "client send");
  if (sent.bytes != data.size()) throw std::runtime_error{"client send: short count"};
  co_return co_await recv_exactly(conn, ep, data.size());
}

/// Echo server: handshake, receive `size` bytes, send them back.
task<std::size_t> echo_server(connection& conn, endpoint& ep, std::size_t size) {
  const io_result hs = co_await coro::handshake(conn, ep);
  require_ok(hs, conn, "server handshake");
  const std::string data = co_await recv_exactly(conn, ep, size);
  const io_result sent = co_await coro::send(conn, data, ep);
  require_ok(sent, conn, "server send");
  co_return data.size();
}

class Coro : public ::testing::Test {
 protected:
  config client_conf{pki::client_options()};
  server srv{config{pki::server_options()}};

  /// Runs an echo of `data` over `p` to the end; returns what came back.
  std::string echo(connection_pair& p, const std::string& data) {
    event_loop loop;
    loop.add(p);
    task<std::string> client_side = echo_client(p.client, p.client_end, data);
    task<std::size_t> server_side = echo_server(p.accepted, p.server_end, data.size());
    client_side.start();
    server_side.start();
    const bool finished = loop.run([&] { return client_side.done() && server_side.done(); });
    EXPECT_TRUE(finished) << "the exchange stalled";
    if (!finished) return {};
    EXPECT_EQ(server_side.result(), data.size());
    return client_side.result();
  }
};

TEST_F(Coro, ClientAndServerCoroutinesExchangeOneMebibyte) {
  connection_pair p{srv, client_conf};
  const std::string data = payload(1 << 20);
  const std::string back = echo(p, data);
  EXPECT_EQ(back.size(), data.size());
  EXPECT_TRUE(back == data) << "the echo differs from what was sent";
  // The coroutines really suspended, for bytes and for room to send.
  EXPECT_GT(p.server_end.recv_waits, 0u);
  EXPECT_GT(p.client_end.recv_waits, 0u);
  EXPECT_GT(p.client_end.send_waits, 0u);
  EXPECT_GT(p.server_end.send_waits, 0u);
}

TEST_F(Coro, ReceivePathStaysZeroCopy) {
  connection_pair p{srv, client_conf};
  const std::string data = payload(256 * 1024);
  ASSERT_TRUE(echo(p, data) == data) << "the echo differs from what was sent";
  for (const endpoint* e : {&p.client_end, &p.server_end}) {
    const auto& s = e->io.stats();
    std::printf("[coro receive path] in place %zu bytes, copied %zu bytes, buffer changes %zu\n",
                s.received_in_place, s.received_copied, s.buffer_changes);
    EXPECT_GE(s.received_in_place + s.received_copied, data.size());
    // Every byte went into the buffer libtls waited on, unless libtls
    // changed its buffer between retries (then the copy is counted).
    if (s.buffer_changes == 0) {
      EXPECT_EQ(s.received_copied, 0u);
    }
  }
}

TEST_F(Coro, HundredConnectionPairsInterleaveInOneThread) {
  constexpr std::size_t pairs = 100;
  event_loop loop;
  std::vector<std::unique_ptr<connection_pair>> links;
  std::vector<task<std::string>> clients;
  std::vector<task<std::size_t>> servers;
  std::vector<std::string> data;
  for (std::size_t i = 0; i < pairs; ++i) {
    links.push_back(std::make_unique<connection_pair>(srv, client_conf));
    loop.add(*links.back());
    data.push_back(payload(16 * 1024 + i));
  }
  for (std::size_t i = 0; i < pairs; ++i) {
    clients.push_back(echo_client(links[i]->client, links[i]->client_end, data[i]));
    servers.push_back(echo_server(links[i]->accepted, links[i]->server_end, data[i].size()));
    clients.back().start();
    servers.back().start();
  }
  const bool finished = loop.run([&] {
    return std::all_of(clients.begin(), clients.end(), [](auto& t) { return t.done(); }) &&
           std::all_of(servers.begin(), servers.end(), [](auto& t) { return t.done(); });
  });
  ASSERT_TRUE(finished) << "the exchanges stalled";
  // All 200 coroutines were suspended at once: the loop interleaved them.
  EXPECT_EQ(loop.max_suspended(), 2 * pairs);
  for (std::size_t i = 0; i < pairs; ++i) {
    EXPECT_EQ(servers[i].result(), data[i].size()) << "pair " << i;
    EXPECT_TRUE(clients[i].result() == data[i]) << "pair " << i << ": the echo differs";
  }
}

/// How one side saw the end of a connection.
struct ending {
  std::string received;
  io_result own_close;
  io_result peer_end;
  /// The connection's error_code() and error_message() at the end.
  std::error_code code;
  std::string error;
  void record(const connection& conn) {
    code = conn.error_code();
    error = conn.error_message();
  }
};

TEST_F(Coro, CloseNotifyBothWaysIsReportedAsClosed) {
  connection_pair p{srv, client_conf};
  // The client says goodbye and closes first; the server reads to the end,
  // then closes too; the client then sees the server's close_notify.
  auto client_side = [](connection& conn, endpoint& ep) -> task<ending> {
    ending e;
    require_ok(co_await coro::handshake(conn, ep), conn, "client handshake");
    require_ok(co_await coro::send(conn, std::string_view{"goodbye"}, ep), conn, "client send");
    e.own_close = co_await coro::close(conn, ep);
    std::vector<std::byte> buffer(64);
    e.peer_end = co_await coro::recv(conn, buffer, ep);
    e.record(conn);
    co_return e;
  }(p.client, p.client_end);
  auto server_side = [](connection& conn, endpoint& ep) -> task<ending> {
    ending e;
    require_ok(co_await coro::handshake(conn, ep), conn, "server handshake");
    e.received = co_await recv_exactly(conn, ep, 7);
    std::vector<std::byte> buffer(64);
    e.peer_end = co_await coro::recv(conn, buffer, ep);
    e.own_close = co_await coro::close(conn, ep);
    e.record(conn);
    co_return e;
  }(p.accepted, p.server_end);

  event_loop loop;
  loop.add(p);
  client_side.start();
  server_side.start();
  ASSERT_TRUE(loop.run([&] { return client_side.done() && server_side.done(); }));
  const ending client_end = client_side.result();
  const ending server_end = server_side.result();
  EXPECT_EQ(server_end.received, "goodbye");
  EXPECT_EQ(client_end.own_close.status, io_status::ok) << client_end.error;
  EXPECT_EQ(server_end.peer_end.status, io_status::closed) << server_end.error;
  EXPECT_EQ(server_end.own_close.status, io_status::ok) << server_end.error;
  EXPECT_EQ(client_end.peer_end.status, io_status::closed) << client_end.error;
  EXPECT_FALSE(client_end.code) << "a clean close is not an error";
  EXPECT_FALSE(server_end.code) << "a clean close is not an error";
}

TEST_F(Coro, EndOfStreamWithoutCloseNotifyIsReportedAsTruncated) {
  connection_pair p{srv, client_conf};
  // The client sends, then its socket goes away without close_notify.
  auto client_side = [](connection& conn, endpoint& ep) -> task<void> {
    require_ok(co_await coro::handshake(conn, ep), conn, "client handshake");
    require_ok(co_await coro::send(conn, std::string_view{"cut short"}, ep), conn, "client send");
    ep.shut_down = true;
  }(p.client, p.client_end);
  auto server_side = [](connection& conn, endpoint& ep) -> task<ending> {
    ending e;
    require_ok(co_await coro::handshake(conn, ep), conn, "server handshake");
    e.received = co_await recv_exactly(conn, ep, 9);
    std::vector<std::byte> buffer(64);
    e.peer_end = co_await coro::recv(conn, buffer, ep);
    e.record(conn);
    co_return e;
  }(p.accepted, p.server_end);

  event_loop loop;
  loop.add(p);
  client_side.start();
  server_side.start();
  ASSERT_TRUE(loop.run([&] { return client_side.done() && server_side.done(); }));
  ASSERT_NO_THROW(client_side.result());
  const ending server_end = server_side.result();
  EXPECT_EQ(server_end.received, "cut short");
  EXPECT_EQ(server_end.peer_end.status, io_status::truncated) << server_end.error;
  EXPECT_EQ(server_end.code, errc::truncated) << server_end.error;
  EXPECT_NE(server_end.error.find("recv"), std::string::npos) << server_end.error;
}

TEST_F(Coro, ExceptionFromATransportCallbackComesOutOfCoAwait) {
  connection_pair p{srv, client_conf};
  auto client_side = [](connection& conn, endpoint& ep) -> task<void> {
    require_ok(co_await coro::handshake(conn, ep), conn, "client handshake");
    require_ok(co_await coro::send(conn, std::string_view{"trigger"}, ep), conn, "client send");
  }(p.client, p.client_end);
  // The server's read callback throws once bytes reach it: after its recv
  // suspended and was resumed by the loop.
  std::size_t waits_before_recv = 0;
  auto server_side = [](connection& conn, endpoint& ep, std::size_t& waits) -> task<std::string> {
    require_ok(co_await coro::handshake(conn, ep), conn, "server handshake");
    ep.wire.throw_on_data = true;
    waits = ep.recv_waits;
    std::vector<std::byte> buffer(64);
    try {
      const io_result r = co_await coro::recv(conn, buffer, ep);
      co_return std::string{"no exception; recv said "} + to_string(r.status);
    } catch (const cable_cut& e) {
      co_return e.what();
    }
  }(p.accepted, p.server_end, waits_before_recv);

  event_loop loop;
  loop.add(p);
  client_side.start();
  server_side.start();
  ASSERT_TRUE(loop.run([&] { return client_side.done() && server_side.done(); }));
  EXPECT_EQ(server_side.result(), "cable cut while reading");
  EXPECT_GT(p.server_end.recv_waits, waits_before_recv) << "recv never suspended";
  ASSERT_NO_THROW(client_side.result());
}

TEST_F(Coro, DestroyingASuspendedSessionDestroysItsFrames) {
  connection_pair p{srv, client_conf};
  bool frame_destroyed = false;
  struct sentinel {
    bool& destroyed;
    ~sentinel() { destroyed = true; }
  };
  {
    auto waiting_forever = [](connection& conn, endpoint& ep, bool& flag) -> task<void> {
      const sentinel s{flag};
      std::vector<std::byte> buffer(64);
      (void)co_await coro::recv(conn, buffer, ep);
    }(p.accepted, p.server_end, frame_destroyed);
    waiting_forever.start();
    ASSERT_TRUE(p.server_end.waiting) << "recv did not suspend";
    EXPECT_FALSE(frame_destroyed);
  }
  // The handle the waiter holds is dead now; a scheduler just drops it.
  p.server_end.waiting = {};
  EXPECT_TRUE(frame_destroyed);
}

TEST(CoroWants, RecvCompletesWhenEveryByteIsAlreadyQueued) {
  if (const char* why = openssl_server_unavailable()) GTEST_SKIP() << why;
  if (!get_backend_features().tls1_3) GTEST_SKIP() << "the libtls backend has no TLS 1.3";
#if defined(TLSPP_TEST_HAVE_OPENSSL)
  // A hundred session tickets, then data, all queued before recv: nothing
  // would ever wake a coroutine that waited for more.
  openssl_server srv{100};
  client c{config{pki::client_options()}};
  c.connect(
      "localhost", [&](std::span<std::byte> b) { return srv.client_read(b); },
      [&](std::span<const std::byte> b) { return srv.client_write(b); });
  ASSERT_EQ(c.handshake().status, io_status::want_recv);
  ASSERT_FALSE(srv.handshake());
  ASSERT_TRUE(c.handshake().ok()) << c.error_message();
  ASSERT_TRUE(srv.handshake());
  srv.send("the data after a hundred tickets");
  if (srv.queued_records() < 101u) {
    // LibreSSL's libssl takes the ticket count but sends no TLS 1.3 ticket.
    GTEST_SKIP() << "this libssl's server sent no TLS 1.3 tickets";
  }

  /// Keeps what it is given and never resumes it: no bytes will come.
  struct nothing_will_come {
    int waits = 0;
    void wait(io_status, std::coroutine_handle<>) { ++waits; }
  } waiter;
  std::vector<std::byte> buffer(64);
  auto receive = [](connection& conn, std::span<std::byte> b,
                    nothing_will_come& w) -> task<io_result> {
    co_return co_await coro::recv(conn, b, w);
  }(c, buffer, waiter);
  receive.start();
  EXPECT_EQ(waiter.waits, 0);
  ASSERT_TRUE(receive.done()) << "recv waits for bytes that are already there";
  const io_result r = receive.result();
  ASSERT_TRUE(r.ok()) << to_string(r.status) << ": " << c.error_message();
  EXPECT_EQ(std::string_view(reinterpret_cast<const char*>(buffer.data()), r.bytes),
            "the data after a hundred tickets");
#endif
}

// --- the task type on its own ----------------------------------------------

task<int> twenty() { co_return 20; }
task<int> forty_two() {
  const int a = co_await twenty();
  const int b = co_await twenty();
  co_return a + b + 2;
}
task<int> fails_deep() {
  co_await twenty();
  throw std::runtime_error{"deep failure"};
}
task<std::string> catches_and_reports() {
  try {
    co_await fails_deep();
  } catch (const std::runtime_error& e) {
    co_return std::string{"caught "} + e.what();
  }
  co_return "nothing thrown";
}
task<void> lets_it_escape() { co_await fails_deep(); }

TEST(CoroTask, ValuesAndExceptionsTravelUpNestedTasks) {
  task<int> sum = forty_two();
  sum.start();
  ASSERT_TRUE(sum.done());
  EXPECT_EQ(sum.result(), 42);

  task<std::string> caught = catches_and_reports();
  caught.start();
  EXPECT_EQ(caught.result(), "caught deep failure");

  task<void> escaped = lets_it_escape();
  escaped.start();
  try {
    escaped.result();
    ADD_FAILURE() << "no exception came out";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "deep failure");
  }
}

TEST(CoroTask, IsLazyAndRunsOnlyOnce) {
  bool ran = false;
  {
    auto never_started = [](bool& flag) -> task<void> {
      flag = true;
      co_return;
    }(ran);
    EXPECT_FALSE(never_started.done());
    EXPECT_THROW(never_started.result(), std::logic_error);
  }
  EXPECT_FALSE(ran) << "a task that was never started ran";

  task<int> t = twenty();
  t.start();
  EXPECT_THROW(t.start(), std::logic_error);
}

TEST(CoroTask, AMillionSynchronousAwaitsKeepTheStackFlat) {
  // Each co_await of a task that finishes without suspending must return to
  // the loop without leaving a stack frame behind: a million of them would
  // overflow any stack otherwise.
  auto sum_up = []() -> task<long> {
    long sum = 0;
    for (int i = 0; i < 1'000'000; ++i) sum += co_await twenty();
    co_return sum;
  }();
  sum_up.start();
  ASSERT_TRUE(sum_up.done());
  EXPECT_EQ(sum_up.result(), 20'000'000);
}

}  // namespace
}  // namespace tlspp::test
