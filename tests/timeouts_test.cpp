// SPDX-License-Identifier: ISC
// socket_timeouts: the connect and I/O limits of client::connect(host, port).
//
// Each limit is made to expire by a peer that deterministically never
// answers on loopback, with no firewall and no network:
// - connect: a listening socket whose accept queue is full. Linux drops a
//   SYN to such a socket (it counts a ListenOverflow) and the client
//   retransmits after a second, so connect() cannot complete while the
//   queue stays full. The test fills the queue and waits until the kernel
//   reports it full (TCP_INFO on a listening socket gives the queue's
//   length and limit) before it connects. A non-routable address would not
//   do: offline it fails at once with "network unreachable".
// - handshake: a listening socket that never accepts. The kernel completes
//   the TCP handshake on its own, so the ClientHello goes out and nothing
//   ever answers.
// - recv and send: a tlspp server on a thread that completes the handshake
//   and then neither sends nor reads.
// No assertion depends on how long anything took: each checks that the
// call returned, and said timed_out.
//
// Every socket the tests themselves block on has its own timeouts and
// every thread is joined: a bug fails a test, never hangs it.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <future>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "support/assertions.hpp"
#include "support/local_port.hpp"
#include "support/pki.hpp"
#include "tlspp/tlspp.hpp"

namespace tlspp::test {
namespace {

using namespace std::chrono_literals;

/// An I/O limit for connections that must complete their handshake first:
/// each wait of a loopback handshake takes milliseconds, under valgrind
/// (which runs these tests in CI) a few hundred.
constexpr auto handshake_io_limit = 2s;

/// Whether `listener`'s accept queue is full, as the kernel counts it: on a
/// listening socket TCP_INFO reports the queue's length in tcpi_unacked and
/// its limit in tcpi_sacked, and a SYN is dropped once length > limit.
bool accept_queue_full(const local_port& listener) {
  tcp_info info{};
  socklen_t len = sizeof info;
  if (::getsockopt(listener.fd(), IPPROTO_TCP, TCP_INFO, &info, &len) != 0) {
    throw std::runtime_error{std::string{"TCP_INFO: "} + std::strerror(errno)};
  }
  return info.tcpi_unacked > info.tcpi_sacked;
}

/// A tlspp server for one connection on a thread: accepts it, completes the
/// handshake, then runs `after_handshake`. Whatever went wrong is reported
/// by outcome(). release() (or the destructor) ends a server that waits.
class tls_server_thread {
 public:
  using behaviour = std::function<std::string(server_connection&, std::shared_future<void>)>;

  explicit tls_server_thread(behaviour after_handshake)
      : released_{release_.get_future().share()},
        peer_{listener_, [this, after = std::move(after_handshake)](int fd) {
                server srv{config{pki::server_options()}};
                server_connection conn = srv.accept_socket(fd);
                if (const io_result r = conn.handshake(); !r.ok()) {
                  return std::string{"handshake: "} + to_string(r.status) + " " +
                         conn.error_message();
                }
                return after(conn, released_);
              }} {}
  tls_server_thread(const tls_server_thread&) = delete;
  tls_server_thread& operator=(const tls_server_thread&) = delete;
  ~tls_server_thread() { release(); }  // then peer_ joins its thread

  [[nodiscard]] std::string port() const { return listener_.port(); }
  void release() {
    if (!released_now_) {
      released_now_ = true;
      release_.set_value();
    }
  }
  ::testing::AssertionResult outcome() {
    release();
    return peer_.outcome();
  }

 private:
  local_port listener_;
  std::promise<void> release_;
  bool released_now_ = false;
  std::shared_future<void> released_;
  server_thread peer_;  // last: it starts serving once all the above exist
};

/// After the handshake: echoes one message, then answers close_notify.
std::string echo_once(server_connection& conn, const std::shared_future<void>&) {
  std::vector<std::byte> buf(1024);
  const io_result r = conn.recv(buf);
  if (!r.ok()) return std::string{"recv: "} + to_string(r.status) + " " + conn.error_message();
  if (const io_result w = conn.send(std::span<const std::byte>{buf}.first(r.bytes)); !w.ok()) {
    return std::string{"send: "} + to_string(w.status) + " " + conn.error_message();
  }
  if (const io_result c = conn.recv(buf); c.status != io_status::closed) {
    return std::string{"expected close_notify, got "} + to_string(c.status);
  }
  return conn.close().ok() ? "" : "close: " + conn.error_message();
}

/// After the handshake: neither sends nor reads until released.
std::string stay_silent(server_connection&, const std::shared_future<void>& released) {
  return released.wait_for(std::chrono::seconds{3 * guard_seconds}) == std::future_status::ready
             ? ""
             : "never released";
}

config client_config() { return config{pki::client_options()}; }

/// Sends a message, reads the echo, closes: what a working connection does.
::testing::AssertionResult echo_exchange(client& c) {
  if (const io_result r = c.send("ping"); !r.ok() || r.bytes != 4) {
    return ::testing::AssertionFailure() << "send: " << c.error_message();
  }
  std::string got;
  std::vector<std::byte> buf(64);
  while (got.size() < 4) {
    const io_result r = c.recv(buf);
    if (!r.ok()) return ::testing::AssertionFailure() << "recv: " << c.error_message();
    got.append(reinterpret_cast<const char*>(buf.data()), r.bytes);
  }
  if (got != "ping") return ::testing::AssertionFailure() << "echo was " << got;
  if (!c.close().ok()) return ::testing::AssertionFailure() << "close: " << c.error_message();
  return ::testing::AssertionSuccess();
}

TEST(SocketTimeouts, ConnectToAListenerWithAFullQueueTimesOutAndTheClientConnectsAgain) {
  const local_port full{0};  // backlog 0: one queued connection fills it
  std::vector<unique_fd> queued;
  for (int i = 0; i < 100 && !accept_queue_full(full); ++i) {
    if (queued.empty()) queued.push_back(full.connect_plain());
    std::this_thread::sleep_for(10ms);  // the kernel queues the connection after its ACK
  }
  ASSERT_TRUE(accept_queue_full(full)) << "the accept queue never filled";

  client c{client_config()};
  try {
    c.connect("127.0.0.1", full.port(), "localhost", {.connect = 300ms});
    FAIL() << "connect() returned on a full accept queue";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), errc::timed_out) << e.what();
    EXPECT_TRUE(contains(e.what(), "client::connect 127.0.0.1:" + full.port()));
    EXPECT_TRUE(contains(e.message(), "timed out after 300 ms (socket_timeouts::connect)"));
    EXPECT_TRUE(contains(e.message(), "127.0.0.1: no answer"));
  }

  // Nothing was connected: the same client connects elsewhere, after a reset or without.
  EXPECT_EQ(c.handshake().status, io_status::failed);
  EXPECT_EQ(c.error_code(), errc::misuse);
  c.reset(client_config());
  tls_server_thread echo{echo_once};
  c.connect("127.0.0.1", echo.port(), "localhost", {.connect = 5s, .io = 5s});
  EXPECT_TRUE(echo_exchange(c));
  EXPECT_TRUE(echo.outcome());
}

TEST(SocketTimeouts, HandshakeWithAServerThatNeverAnswersTimesOut) {
  const local_port never_accepts{8};  // the kernel completes TCP; nobody reads
  client c{client_config()};
  c.connect("127.0.0.1", never_accepts.port(), "localhost", {.io = 300ms});
  const io_result r = c.handshake();
  EXPECT_EQ(r.status, io_status::failed) << to_string(r.status);
  EXPECT_EQ(c.error_code(), errc::timed_out) << c.error_message();
  EXPECT_TRUE(contains(c.error_message(),
                       "handshake: timed out after 300 ms waiting for the peer to send"));
  // The connection is failed for good: the stream may stop inside a record.
  std::byte buf[16];
  EXPECT_EQ(c.recv(buf).status, io_status::failed);
  EXPECT_EQ(c.error_code(), errc::timed_out);
}

TEST(SocketTimeouts, RecvOnAnIdleConnectionTimesOut) {
  tls_server_thread silent{stay_silent};
  client c{client_config()};
  c.connect("127.0.0.1", silent.port(), "localhost", {.connect = 5s, .io = handshake_io_limit});
  ASSERT_TRUE(c.handshake().ok()) << c.error_message();
  std::byte buf[16];
  const io_result r = c.recv(buf);
  EXPECT_EQ(r.status, io_status::failed) << to_string(r.status);
  EXPECT_EQ(c.error_code(), errc::timed_out) << c.error_message();
  EXPECT_TRUE(
      contains(c.error_message(), "recv: timed out after 2 s waiting for the peer to send"));
  EXPECT_EQ(c.send("late").status, io_status::failed);
  silent.release();
  EXPECT_TRUE(silent.outcome());
}

TEST(SocketTimeouts, SendToAPeerThatNeverReadsTimesOut) {
  tls_server_thread silent{stay_silent};
  client c{client_config()};
  c.connect("127.0.0.1", silent.port(), "localhost", {.io = handshake_io_limit});
  ASSERT_TRUE(c.handshake().ok()) << c.error_message();
  // The socket buffers on both sides fill (a few MiB on loopback), then a
  // write waits: far fewer bytes than this bound.
  const std::string chunk(64 * 1024, 'x');
  io_result r;
  for (int i = 0; i < 16 * 1024 && r.ok(); ++i) r = c.send(chunk);
  EXPECT_EQ(r.status, io_status::failed) << to_string(r.status);
  EXPECT_EQ(c.error_code(), errc::timed_out) << c.error_message();
  EXPECT_TRUE(
      contains(c.error_message(), "send: timed out after 2 s waiting for the peer to take data"));
  silent.release();
  EXPECT_TRUE(silent.outcome());
}

TEST(SocketTimeouts, ZeroOrNegativeLimitsAreInvalidArgumentsCheckedBeforeConnecting) {
  // Nothing listens there: a limit checked after connecting would show as
  // "connection refused" instead.
  const local_port closed{local_port::not_listening};
  client c{client_config()};
  const auto rejects = [&](const socket_timeouts& limits, std::string_view which) {
    try {
      c.connect("127.0.0.1", closed.port(), "localhost", limits);
    } catch (const error& e) {
      return e.code() == errc::invalid_argument
                 ? contains(e.where(), which)
                 : ::testing::AssertionFailure() << "not invalid_argument: " << e.what();
    }
    return ::testing::AssertionFailure() << "connect() accepted the limits";
  };
  EXPECT_TRUE(rejects({.connect = 0ms}, "socket_timeouts::connect"));
  EXPECT_TRUE(rejects({.connect = -5s}, "socket_timeouts::connect"));
  EXPECT_TRUE(rejects({.io = 0s}, "socket_timeouts::io"));
  EXPECT_TRUE(rejects({.connect = 1s, .io = -1ms}, "socket_timeouts::io"));
  EXPECT_EQ(c.handshake().status, io_status::failed);
  EXPECT_EQ(c.error_code(), errc::misuse) << "nothing was connected";
}

TEST(SocketTimeouts, ConnectionRefusedWithinALimitIsStillATransportFailure) {
  const local_port closed{local_port::not_listening};
  client c{client_config()};
  try {
    c.connect("127.0.0.1", closed.port(), "localhost", {.connect = 5s});
    FAIL() << "connect() did not throw";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), errc::transport_failed) << e.what();
    EXPECT_TRUE(contains(e.message(), std::strerror(ECONNREFUSED)));
  }
}

TEST(SocketTimeouts, AWorkingExchangeIsTheSameWithLimitsAndWithout) {
  for (const socket_timeouts limits :
       {socket_timeouts{}, socket_timeouts{.connect = 5s}, socket_timeouts{.io = 5s},
        socket_timeouts{.connect = 5s, .io = 5s}}) {
    SCOPED_TRACE(std::string{"connect limit "} + (limits.connect ? "set" : "unset") +
                 ", io limit " + (limits.io ? "set" : "unset"));
    tls_server_thread echo{echo_once};
    client c{client_config()};
    c.connect("127.0.0.1", echo.port(), "localhost", limits);
    EXPECT_TRUE(echo_exchange(c));
    EXPECT_TRUE(echo.outcome());
  }
  // The form without limits is unchanged.
  tls_server_thread echo{echo_once};
  client c{client_config()};
  c.connect("127.0.0.1", echo.port(), "localhost");
  EXPECT_TRUE(echo_exchange(c));
  EXPECT_TRUE(echo.outcome());
}

TEST(SocketTimeouts, ATransportOfTheCallersThatAnswersETIMEDOUTIsTimedOutToo) {
  client c{client_config()};
  c.connect(
      "localhost", [](std::span<std::byte>) { return transfer::failed(ETIMEDOUT); },
      [](std::span<const std::byte> b) { return transfer::bytes(b.size()); });
  EXPECT_EQ(c.handshake().status, io_status::failed);
  EXPECT_EQ(c.error_code(), errc::timed_out) << c.error_message();
  EXPECT_TRUE(contains(c.error_message(), "handshake: timed out"));
}

}  // namespace
}  // namespace tlspp::test
