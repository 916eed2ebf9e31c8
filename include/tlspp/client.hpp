// SPDX-License-Identifier: ISC
// tlspp::client: the seed's `tls.client(conf)`.
#pragma once

#include <memory>
#include <string_view>
#include <utility>

#include "tlspp/config.hpp"
#include "tlspp/connection.hpp"
#include "tlspp/export.hpp"
#include "tlspp/transport.hpp"

namespace tlspp {

/// A client context: configure it once, connect it over any transport, then
/// use it as a connection. reset() makes it ready for a new connection.
/// Move-only; a moved-from client throws tlspp::error (errc::moved_from).
class TLSPP_API client final : public connection {
 public:
  /// Creates and configures a client context; throws tlspp::error when
  /// libtls rejects the config.
  explicit client(const config& conf);
  client(client&&) noexcept;
  client& operator=(client&&) noexcept;
  ~client();

  /// Forgets the connection (no I/O, like the destructor) and re-configures.
  void reset(const config& conf);

  /// Connects over two callables, `transfer(std::span<std::byte>)` to read
  /// and `transfer(std::span<const std::byte>)` to write. `servername` is
  /// sent with SNI (unless it is an IP address) and checked against the
  /// server's certificate; empty means no name, which without
  /// insecure_noverifyname the backend refuses: at connect() (libretls,
  /// errc::invalid_argument) or in the handshake (LibreSSL). A name with a
  /// NUL byte, or longer than a DNS name can be (254 bytes with the root's
  /// dot), throws tlspp::error
  /// (errc::invalid_argument); after any failed connect() the client can
  /// connect again. No I/O happens until handshake(), recv() or send().
  template <read_callback Read, write_callback Write>
  void connect(std::string_view servername, Read read, Write write) {
    connect(servername, std::unique_ptr<transport>{new detail::callback_transport<Read, Write>(
                            std::move(read), std::move(write))});
  }
  /// Connects over a transport the connection owns.
  void connect(std::string_view servername, std::unique_ptr<transport> io);
  /// Connects over a transport the caller owns; it must outlive the
  /// connection (or the next reset()).
  void connect(std::string_view servername, transport& io);

  /// Resolves `host`, opens a TCP connection to `port` (blocking) and uses
  /// it; the socket is closed with the context. `servername` defaults to `host`.
  void connect(std::string_view host, std::string_view port, std::string_view servername = {});
  /// Uses a connected socket the caller owns. A non-blocking socket makes
  /// the I/O calls return wants; a blocking one makes them block.
  void connect_socket(int socket, std::string_view servername);
  /// Uses two file descriptors the caller owns (a pipe pair, stdin/stdout).
  /// Writing to a pipe whose reader has gone raises SIGPIPE, as write(2)
  /// does: ignore or block it if the peer may vanish. (Sockets are written
  /// with MSG_NOSIGNAL and report EPIPE instead.)
  void connect_fds(int read_fd, int write_fd, std::string_view servername);

 private:
  TLSPP_LOCAL void connect_over(std::unique_ptr<transport> owned, transport* io,
                                std::string_view servername);
};

}  // namespace tlspp
