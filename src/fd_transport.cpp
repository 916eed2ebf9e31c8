// SPDX-License-Identifier: ISC
#include "fd_transport.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <memory>
#include <string>

#include "tlspp/error.hpp"

namespace tlspp::detail {
namespace {

using clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

/// Waits with poll(2) until `fd` is ready for `events` or `deadline` passes
/// (a signal restarts the wait with what is left). Returns 0 when ready (or
/// in error: the call that follows reports it), ETIMEDOUT at the deadline,
/// or poll's own errno.
int poll_until(int fd, short events, clock::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::ceil<milliseconds>(deadline - clock::now());
    if (left.count() <= 0) return ETIMEDOUT;
    pollfd p{fd, events, 0};
    const int rc =
        ::poll(&p, 1, static_cast<int>(std::min<milliseconds::rep>(left.count(), INT_MAX)));
    if (rc > 0) return 0;
    if (rc < 0 && errno != EINTR) return errno;
  }
}

}  // namespace

std::string describe_duration(milliseconds d) {
  const auto ms = d.count();
  if (ms >= 1000 && ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  if (ms >= 1000 && ms % 100 == 0) {
    return std::to_string(ms / 1000) + "." + std::to_string(ms % 1000 / 100) + " s";
  }
  return std::to_string(ms) + " ms";
}

fd_transport::~fd_transport() {
  if (owned_) {
    ::close(read_fd_);
    if (write_fd_ != read_fd_) ::close(write_fd_);
  }
}

int fd_transport::wait_ready(int fd, short events, const clock::time_point& deadline,
                             const char* waiting_for) {
  const int e = poll_until(fd, events, deadline);
  if (e == ETIMEDOUT) {
    timeout_reason_ = "timed out after " + describe_duration(*io_timeout_) + " waiting " +
                      waiting_for + " (socket_timeouts::io)";
  }
  return e;
}

transfer fd_transport::read(std::span<std::byte> buffer) {
  std::optional<clock::time_point> deadline;  // set at the first wait of this read
  for (;;) {
    const ssize_t n = ::read(read_fd_, buffer.data(), buffer.size());
    if (n > 0) return transfer::bytes(static_cast<std::size_t>(n));
    if (n == 0) return buffer.empty() ? transfer::bytes(0) : transfer::end_of_stream();
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (!io_timeout_) return transfer::want_recv();
      if (!deadline) deadline = clock::now() + *io_timeout_;
      if (const int e = wait_ready(read_fd_, POLLIN, *deadline, "for the peer to send"); e != 0) {
        return transfer::failed(e);
      }
      continue;
    }
    return transfer::failed(errno);
  }
}

transfer fd_transport::write(std::span<const std::byte> buffer) {
  std::optional<clock::time_point> deadline;  // set at the first wait of this write
  for (;;) {
    const ssize_t n = is_socket_ ? ::send(write_fd_, buffer.data(), buffer.size(), MSG_NOSIGNAL)
                                 : ::write(write_fd_, buffer.data(), buffer.size());
    if (n >= 0) return transfer::bytes(static_cast<std::size_t>(n));
    if (errno == EINTR) continue;
    if (errno == ENOTSOCK && is_socket_) {
      is_socket_ = false;
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (!io_timeout_) return transfer::want_send();
      if (!deadline) deadline = clock::now() + *io_timeout_;
      if (const int e = wait_ready(write_fd_, POLLOUT, *deadline, "for the peer to take data");
          e != 0) {
        return transfer::failed(e);
      }
      continue;
    }
    return transfer::failed(errno);
  }
}

std::string timeout_reason(const transport& io) {
  if (const auto* fd = dynamic_cast<const fd_transport*>(&io);
      fd != nullptr && !fd->timeout_reason().empty()) {
    return fd->timeout_reason();
  }
  return "timed out: the transport answered failed(ETIMEDOUT)";
}

void check_timeouts(const socket_timeouts& limits) {
  if (limits.connect && limits.connect->count() <= 0) {
    throw error{errc::invalid_argument, "client::connect: socket_timeouts::connect",
                "must be positive (leave it unset to wait as long as the system does), not " +
                    std::to_string(limits.connect->count()) + " ms"};
  }
  if (limits.io && limits.io->count() <= 0) {
    throw error{errc::invalid_argument, "client::connect: socket_timeouts::io",
                "must be positive (leave it unset to wait as long as the system does), not " +
                    std::to_string(limits.io->count()) + " ms"};
  }
}

namespace {

/// The numeric form of an address, for messages.
std::string address_text(const addrinfo& ai) {
  char host[NI_MAXHOST];
  if (::getnameinfo(ai.ai_addr, ai.ai_addrlen, host, sizeof host, nullptr, 0, NI_NUMERICHOST) !=
      0) {
    return "?";
  }
  return host;
}

/// Connects the non-blocking socket `fd` to `ai` by `until`; 0 when
/// connected, else the errno (ETIMEDOUT when `until` passed).
int connect_by(int fd, const addrinfo& ai, clock::time_point until) {
  if (::connect(fd, ai.ai_addr, ai.ai_addrlen) == 0) return 0;
  // EINTR: the connection goes on in the background, as EINPROGRESS's does.
  if (errno != EINPROGRESS && errno != EINTR) return errno;
  if (const int e = poll_until(fd, POLLOUT, until); e != 0) return e;
  int result = 0;
  socklen_t len = sizeof result;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &result, &len) != 0) return errno;
  return result;
}

/// Connects the blocking socket `fd` to `ai`; 0 or the errno.
int connect_blocking(int fd, const addrinfo& ai) {
  int rc;
  do {
    rc = ::connect(fd, ai.ai_addr, ai.ai_addrlen);
  } while (rc != 0 && errno == EINTR);
  return rc == 0 ? 0 : errno;
}

/// Sets or clears O_NONBLOCK; 0 or the errno.
int set_nonblocking(int fd, bool on) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) return errno;
  const int wanted = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
  if (wanted != flags && ::fcntl(fd, F_SETFL, wanted) != 0) return errno;
  return 0;
}

/// Each address gets an equal share of the time left, but at least this
/// much when that much is left: a share too short fails a slow but working
/// network.
constexpr milliseconds min_share{2000};

}  // namespace

int connect_tcp(const char* host, const char* port, const socket_timeouts& limits) {
  // (A plain flag and time rather than an optional: GCC 12 warns, wrongly,
  // that an optional time_point may be read uninitialized.)
  const bool limited = limits.connect.has_value();
  const clock::time_point deadline = clock::now() + limits.connect.value_or(milliseconds{0});
  const std::string where = std::string{"client::connect "} + host + ":" + port;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  // getaddrinfo cannot be interrupted: a slow lookup overruns the deadline,
  // and is caught just after.
  if (const int rc = ::getaddrinfo(host, port, &hints, &found); rc != 0) {
    throw error{errc::transport_failed, where, ::gai_strerror(rc)};
  }
  const std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses{found, &::freeaddrinfo};
  const std::string limit_text =
      limits.connect
          ? "timed out after " + describe_duration(*limits.connect) + " (socket_timeouts::connect)"
          : std::string{};
  if (limited && clock::now() >= deadline) {
    throw error{errc::timed_out, where, limit_text + " looking up the name"};
  }

  long untried = 0;
  for (const addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) ++untried;
  int last_errno = 0;
  bool any_timed_out = false;
  std::string reasons;  // "<address>: <why>; ...", for a connect timeout's message
  const auto note = [&reasons](const addrinfo& ai, const std::string& why) {
    reasons.append(reasons.empty() ? "" : "; ").append(address_text(ai)).append(": ").append(why);
  };
  for (const addrinfo* ai = found; ai != nullptr; ai = ai->ai_next, --untried) {
    milliseconds share{0};
    if (limited) {
      const auto left = std::chrono::floor<milliseconds>(deadline - clock::now());
      if (left.count() <= 0) {
        any_timed_out = true;
        note(*ai, "not tried, with " + std::to_string(untried - 1) + " more after it");
        break;
      }
      share = std::max(left / untried, std::min(left, min_share));
    }
    const int fd =
        ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | (limited ? SOCK_NONBLOCK : 0),
                 ai->ai_protocol);
    if (fd < 0) {
      last_errno = errno;
      note(*ai, std::strerror(last_errno));
      continue;
    }
    int e = limited ? connect_by(fd, *ai, clock::now() + share) : connect_blocking(fd, *ai);
    // The transport waits on a non-blocking socket when it has an I/O
    // limit, and blocks on a blocking one when it has none.
    if (e == 0) e = set_nonblocking(fd, limits.io.has_value());
    if (e == 0) return fd;
    ::close(fd);
    last_errno = e;
    if (limited && e == ETIMEDOUT) {
      any_timed_out = true;
      // With several addresses, say how long each had.
      note(*ai, found->ai_next == nullptr ? "no answer"
                                          : "no answer within " + describe_duration(share));
    } else {
      note(*ai, std::strerror(e));
    }
  }
  if (!limited) throw error{errc::transport_failed, where, std::strerror(last_errno)};
  if (any_timed_out) throw error{errc::timed_out, where, limit_text + ": " + reasons};
  throw error{errc::transport_failed, where, reasons};
}

}  // namespace tlspp::detail
