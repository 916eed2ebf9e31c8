// SPDX-License-Identifier: ISC
// fd_transport: a transport over file descriptors, for the socket forms.
#pragma once

#include "tlspp/transport.hpp"

namespace tlspp::detail {

/// Reads and writes two descriptors (often the same socket). EAGAIN becomes
/// a want, so a non-blocking socket yields and a blocking one blocks.
class fd_transport final : public transport {
 public:
  fd_transport(int read_fd, int write_fd, bool owned) noexcept
      : read_fd_{read_fd}, write_fd_{write_fd}, owned_{owned} {}
  ~fd_transport() override;
  fd_transport(const fd_transport&) = delete;
  fd_transport& operator=(const fd_transport&) = delete;

  transfer read(std::span<std::byte> buffer) override;
  transfer write(std::span<const std::byte> buffer) override;

 private:
  int read_fd_;
  int write_fd_;
  bool owned_;
  /// send(MSG_NOSIGNAL) keeps a closed peer from killing us with SIGPIPE;
  /// plain write() is the fallback for pipes and ttys.
  bool is_socket_ = true;
};

/// Opens a blocking TCP connection to host:port; throws tlspp::error.
int connect_tcp(const char* host, const char* port);

}  // namespace tlspp::detail
