// SPDX-License-Identifier: ISC
// tlspp::server: a libtls server context, tls_server(3), and what it accepts.
#pragma once

#include <memory>
#include <utility>

#include "tlspp/config.hpp"
#include "tlspp/connection.hpp"
#include "tlspp/export.hpp"
#include "tlspp/transport.hpp"

namespace tlspp {

namespace detail {
struct server_state;
}

class server;

/// A connection a server accepted: a connection, and nothing else.
/// Move-only; a moved-from one throws tlspp::error (errc::moved_from).
class TLSPP_API server_connection final : public connection {
 public:
  /// Takes over the connection; the source is left moved-from.
  server_connection(server_connection&&) noexcept;
  /// Frees this connection (no I/O) and takes over the source's.
  server_connection& operator=(server_connection&&) noexcept;
  /// Frees the connection without any I/O: close() first to send close_notify.
  ~server_connection();

 private:
  friend class server;
  TLSPP_LOCAL explicit server_connection(state_ptr state) noexcept;
};

/// A server context: configure it once, accept any number of connections.
///
/// Each accepted connection keeps what it needs of the server alive, so a
/// server may be moved, reset or destroyed while its connections go on.
/// Thread safety: accept() may run on several threads at once (a server
/// shared by an io_context's thread pool); reset(), moves and destruction
/// may not run alongside anything else on the same server. The accepted
/// connections are independent of each other and of the server. A
/// moved-from server throws tlspp::error (errc::moved_from).
class TLSPP_API server {
 public:
  /// Creates and configures a server context; throws tlspp::error when
  /// libtls rejects the config (no certificate, key not matching...).
  explicit server(const config& conf);
  /// Takes over the context; the source is left moved-from. Connections
  /// already accepted are not affected.
  server(server&&) noexcept;
  /// Releases this server's context (its connections keep what they need)
  /// and takes over the source's.
  server& operator=(server&&) noexcept;
  server(const server&) = delete;
  server& operator=(const server&) = delete;
  ~server();

  /// Re-configures the context for connections accepted from now on.
  void reset(const config& conf);

  /// Accepts a connection over two callables (see client::connect). No I/O
  /// happens until the connection's handshake(), recv() or send().
  template <read_callback Read, write_callback Write>
  [[nodiscard]] server_connection accept(Read read, Write write) {
    return accept(std::unique_ptr<transport>{
        new detail::callback_transport<Read, Write>(std::move(read), std::move(write))});
  }
  /// Over a transport the connection owns.
  [[nodiscard]] server_connection accept(std::unique_ptr<transport> io);
  /// Over a transport the caller owns; it must outlive the connection.
  [[nodiscard]] server_connection accept(transport& io);
  /// Over an accepted socket the caller owns.
  [[nodiscard]] server_connection accept_socket(int socket);
  /// Over two file descriptors the caller owns.
  [[nodiscard]] server_connection accept_fds(int read_fd, int write_fd);

  /// The libtls context (`struct tls*`).
  [[nodiscard]] void* native_handle() const noexcept;

 private:
  TLSPP_LOCAL server_connection accept_over(std::unique_ptr<transport> owned, transport* io);
  std::shared_ptr<detail::server_state> state_;
};

}  // namespace tlspp
