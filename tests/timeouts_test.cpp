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

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

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
#include "support/pki.hpp"
#include "tlspp/tlspp.hpp"

namespace tlspp::test {
namespace {

using namespace std::chrono_literals;

constexpr int guard_seconds = 10;  // what the test's own sockets wait at most
/// An I/O limit for connections that must complete their handshake first:
/// each wait of a loopback handshake takes milliseconds, under valgrind
/// (which runs these tests in CI) a few hundred.
constexpr auto handshake_io_limit = 2s;

/// Closes a descriptor the test owns.
class unique_fd {
 public:
  explicit unique_fd(int fd = -1) noexcept : fd_{fd} {}
  unique_fd(unique_fd&& o) noexcept : fd_{std::exchange(o.fd_, -1)} {}
  unique_fd& operator=(unique_fd&&) = delete;
  ~unique_fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  [[nodiscard]] int get() const noexcept { return fd_; }

 private:
  int fd_;
};

void guard(int fd) {
  const timeval tv{guard_seconds, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

sockaddr_in loopback(std::uint16_t port = 0) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  return addr;
}

/// A TCP socket bound to 127.0.0.1 on a port the kernel chose, listening
/// with `backlog` unless `backlog` is negative.
class local_port {
 public:
  explicit local_port(int backlog = 8) : fd_{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)} {
    sockaddr_in addr = loopback();
    socklen_t len = sizeof addr;
    if (fd_.get() < 0 || ::bind(fd_.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        (backlog >= 0 && ::listen(fd_.get(), backlog) != 0) ||
        ::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      throw std::runtime_error{std::string{"local_port: "} + std::strerror(errno)};
    }
    number_ = ntohs(addr.sin_port);
  }
  [[nodiscard]] std::string port() const { return std::to_string(number_); }
  [[nodiscard]] int fd() const { return fd_.get(); }

  /// The next connection, guarded, or -1 when none came in time.
  [[nodiscard]] int accept_one() const {
    pollfd p{fd_.get(), POLLIN, 0};
    if (::poll(&p, 1, guard_seconds * 1000) != 1) return -1;
    const int fd = ::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) guard(fd);
    return fd;
  }

  /// A plain TCP connection to this port (blocking, guarded).
  [[nodiscard]] unique_fd connect_plain() const {
    unique_fd fd{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    guard(fd.get());
    const sockaddr_in addr = loopback(number_);
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
      throw std::runtime_error{std::string{"connect: "} + std::strerror(errno)};
    }
    return fd;
  }

  /// Whether the accept queue is full, as the kernel counts it: on a
  /// listening socket TCP_INFO reports the queue's length in tcpi_unacked
  /// and its limit in tcpi_sacked, and a SYN is dropped once length > limit.
  [[nodiscard]] bool accept_queue_full() const {
    tcp_info info{};
    socklen_t len = sizeof info;
    if (::getsockopt(fd_.get(), IPPROTO_TCP, TCP_INFO, &info, &len) != 0) {
      throw std::runtime_error{std::string{"TCP_INFO: "} + std::strerror(errno)};
    }
    return info.tcpi_unacked > info.tcpi_sacked;
  }

 private:
  unique_fd fd_;
  std::uint16_t number_ = 0;
};

/// A tlspp server for one connection on a thread: accepts it, completes the
/// handshake, then runs `after_handshake`. Whatever went wrong is reported
/// by outcome(). release() (or the destructor) ends a server that waits.
class tls_server_thread {
 public:
  using behaviour = std::function<std::string(server_connection&, std::shared_future<void>)>;

  explicit tls_server_thread(behaviour after_handshake)
      : released_{release_.get_future().share()},
        thread_{[this, after = std::move(after_handshake)] {
          const unique_fd fd{listener_.accept_one()};
          if (fd.get() < 0) {
            outcome_ = "no connection within the guard";
            return;
          }
          try {
            server srv{config{pki::server_options()}};
            server_connection conn = srv.accept_socket(fd.get());
            if (const io_result r = conn.handshake(); !r.ok()) {
              outcome_ =
                  std::string{"handshake: "} + to_string(r.status) + " " + conn.error_message();
              return;
            }
            outcome_ = after(conn, released_);
          } catch (const std::exception& e) {
            outcome_ = std::string{"exception: "} + e.what();
          }
          ::shutdown(fd.get(), SHUT_RDWR);
        }} {}
  tls_server_thread(const tls_server_thread&) = delete;
  tls_server_thread& operator=(const tls_server_thread&) = delete;
  ~tls_server_thread() {
    release();
    if (thread_.joinable()) thread_.join();
  }

  [[nodiscard]] std::string port() const { return listener_.port(); }
  void release() {
    if (!released_now_) {
      released_now_ = true;
      release_.set_value();
    }
  }
  ::testing::AssertionResult outcome() {
    release();
    if (thread_.joinable()) thread_.join();
    if (outcome_.empty()) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "server thread: " << outcome_;
  }

 private:
  local_port listener_;
  std::promise<void> release_;
  bool released_now_ = false;
  std::shared_future<void> released_;
  std::string outcome_ = "not run";
  std::thread thread_;
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
  for (int i = 0; i < 100 && !full.accept_queue_full(); ++i) {
    if (queued.empty()) queued.push_back(full.connect_plain());
    std::this_thread::sleep_for(10ms);  // the kernel queues the connection after its ACK
  }
  ASSERT_TRUE(full.accept_queue_full()) << "the accept queue never filled";

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
  const local_port closed{-1};
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
  const local_port closed{-1};
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
