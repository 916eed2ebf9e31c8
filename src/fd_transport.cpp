// SPDX-License-Identifier: ISC
#include "fd_transport.hpp"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "tlspp/error.hpp"

namespace tlspp::detail {

fd_transport::~fd_transport() {
  if (owned_) {
    ::close(read_fd_);
    if (write_fd_ != read_fd_) ::close(write_fd_);
  }
}

transfer fd_transport::read(std::span<std::byte> buffer) {
  for (;;) {
    const ssize_t n = ::read(read_fd_, buffer.data(), buffer.size());
    if (n > 0) return transfer::bytes(static_cast<std::size_t>(n));
    if (n == 0) return buffer.empty() ? transfer::bytes(0) : transfer::end_of_stream();
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return transfer::want_recv();
    return transfer::failed(errno);
  }
}

transfer fd_transport::write(std::span<const std::byte> buffer) {
  for (;;) {
    const ssize_t n = is_socket_ ? ::send(write_fd_, buffer.data(), buffer.size(), MSG_NOSIGNAL)
                                 : ::write(write_fd_, buffer.data(), buffer.size());
    if (n >= 0) return transfer::bytes(static_cast<std::size_t>(n));
    if (errno == EINTR) continue;
    if (errno == ENOTSOCK && is_socket_) {
      is_socket_ = false;
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) return transfer::want_send();
    return transfer::failed(errno);
  }
}

int connect_tcp(const char* host, const char* port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string where = std::string{"client::connect "} + host + ":" + port;
  if (const int rc = ::getaddrinfo(host, port, &hints, &found); rc != 0) {
    throw error{errc::transport_failed, where, ::gai_strerror(rc)};
  }
  int last_errno = 0;
  int fd = -1;
  for (const addrinfo* ai = found; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last_errno = errno;
      continue;
    }
    int rc;
    do {
      rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
      last_errno = errno;
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  if (fd < 0) throw error{errc::transport_failed, where, std::strerror(last_errno)};
  return fd;
}

}  // namespace tlspp::detail
