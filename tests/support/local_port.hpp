// SPDX-License-Identifier: ISC
// For the suites over real sockets: local_port, a TCP port of the test's own
// on 127.0.0.1; server_thread, which serves one connection to it on a
// thread; unique_fd, the descriptors they own. Every blocking socket here
// waits at most guard_seconds and every thread is joined: a bug fails a
// test, never hangs it.
#pragma once

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

namespace tlspp::test {

/// How long a blocking socket of the test's own waits at most, in seconds.
inline constexpr int guard_seconds = 10;

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

/// Bounds every blocking send and receive on `fd` by guard_seconds.
inline void guard_socket(int fd) {
  const timeval tv{guard_seconds, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/// A TCP socket bound to 127.0.0.1 on a port the kernel chose, listening
/// with `backlog` unless `backlog` is not_listening (or any negative
/// number): then the port is the test's, and a SYN to it gets a reset.
class local_port {
 public:
  static constexpr int not_listening = -1;

  explicit local_port(int backlog = 8) : fd_{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)} {
    sockaddr_in addr = loopback(0);
    socklen_t len = sizeof addr;
    if (fd_.get() < 0 || ::bind(fd_.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        (backlog >= 0 && ::listen(fd_.get(), backlog) != 0) ||
        ::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      throw std::runtime_error{std::string{"local_port: "} + std::strerror(errno)};
    }
    number_ = ntohs(addr.sin_port);
  }

  /// The port number, as client::connect takes it.
  [[nodiscard]] std::string port() const { return std::to_string(number_); }
  [[nodiscard]] int fd() const { return fd_.get(); }

  /// The next connection, guarded, or -1 when none came within guard_seconds.
  [[nodiscard]] int accept_one() const {
    pollfd p{fd_.get(), POLLIN, 0};
    if (::poll(&p, 1, guard_seconds * 1000) != 1) return -1;
    const int fd = ::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) guard_socket(fd);
    return fd;
  }

  /// A plain TCP connection to this port (blocking, guarded).
  [[nodiscard]] unique_fd connect_plain() const {
    unique_fd fd{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    guard_socket(fd.get());
    const sockaddr_in addr = loopback(number_);
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
      throw std::runtime_error{std::string{"connect: "} + std::strerror(errno)};
    }
    return fd;
  }

 private:
  static sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    return addr;
  }

  unique_fd fd_;
  std::uint16_t number_ = 0;
};

/// Runs `serve(socket)` on a thread for the next connection to `port`.
/// serve returns "" when all went well, else what went wrong. The socket is
/// shut down when serve returns, which wakes a client blocked on it.
class server_thread {
 public:
  template <class Serve>
  server_thread(const local_port& port, Serve serve)
      : thread_{[this, &port, serve = std::move(serve)]() mutable {
          const unique_fd fd{port.accept_one()};
          if (fd.get() < 0) {
            outcome_ = "no connection within " + std::to_string(guard_seconds) + " s";
            return;
          }
          try {
            outcome_ = serve(fd.get());
          } catch (const std::exception& e) {
            outcome_ = std::string{"exception: "} + e.what();
          }
          ::shutdown(fd.get(), SHUT_RDWR);
        }} {}
  server_thread(const server_thread&) = delete;
  server_thread& operator=(const server_thread&) = delete;
  ~server_thread() {
    if (thread_.joinable()) thread_.join();
  }

  /// Joins the thread and says how serve() went.
  ::testing::AssertionResult outcome() {
    if (thread_.joinable()) thread_.join();
    if (outcome_.empty()) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "server thread: " << outcome_;
  }

 private:
  std::string outcome_ = "not run";
  std::thread thread_;
};

}  // namespace tlspp::test
