// SPDX-License-Identifier: ISC
// fd_transport: a transport over file descriptors, for the socket forms.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "tlspp/client.hpp"
#include "tlspp/transport.hpp"

namespace tlspp::detail {

/// Reads and writes two descriptors (often the same socket). EAGAIN becomes
/// a want, so a non-blocking socket yields and a blocking one blocks.
///
/// With an I/O timeout the descriptors must be non-blocking: each read or
/// write then waits for them (poll) at most that long, and answers
/// failed(ETIMEDOUT) when nothing came; timeout_reason() says what it
/// waited for and how long.
class fd_transport final : public transport {
 public:
  fd_transport(int read_fd, int write_fd, bool owned,
               std::optional<std::chrono::milliseconds> io_timeout = std::nullopt) noexcept
      : read_fd_{read_fd}, write_fd_{write_fd}, owned_{owned}, io_timeout_{io_timeout} {}
  ~fd_transport() override;
  fd_transport(const fd_transport&) = delete;
  fd_transport& operator=(const fd_transport&) = delete;

  transfer read(std::span<std::byte> buffer) override;
  transfer write(std::span<const std::byte> buffer) override;

  /// "timed out after 10 s waiting for the peer to send", once a wait timed out.
  [[nodiscard]] const std::string& timeout_reason() const noexcept { return timeout_reason_; }

 private:
  /// Waits until `fd` is ready for `events` or `deadline` passes; 0 when
  /// ready, else the errno (ETIMEDOUT, after recording why).
  int wait_ready(int fd, short events, const std::chrono::steady_clock::time_point& deadline,
                 const char* waiting_for);

  int read_fd_;
  int write_fd_;
  bool owned_;
  std::optional<std::chrono::milliseconds> io_timeout_;
  std::string timeout_reason_;
  /// send(MSG_NOSIGNAL) keeps a closed peer from killing us with SIGPIPE;
  /// plain write() is the fallback for pipes and ttys.
  bool is_socket_ = true;
};

/// Why `io` answered failed(ETIMEDOUT), for the failed call's message.
std::string timeout_reason(const transport& io);

/// Checks that each limit set in `limits` is positive; throws tlspp::error
/// (errc::invalid_argument) naming the one that is not.
void check_timeouts(const socket_timeouts& limits);

/// Opens a TCP connection to host:port within `limits.connect` (when set;
/// blocking otherwise); throws tlspp::error (errc::timed_out when the limit
/// expired, errc::transport_failed otherwise). The socket is non-blocking
/// when `limits.io` is set (fd_transport then waits for it), blocking if not.
int connect_tcp(const char* host, const char* port, const socket_timeouts& limits = {});

/// "250 ms", "10 s", "1.5 s": a limit as people read it.
std::string describe_duration(std::chrono::milliseconds d);

}  // namespace tlspp::detail
