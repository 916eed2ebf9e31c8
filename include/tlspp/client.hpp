// SPDX-License-Identifier: ISC
// tlspp::client: a libtls client context, tls_client(3).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

#include "tlspp/config.hpp"
#include "tlspp/connection.hpp"
#include "tlspp/export.hpp"
#include "tlspp/transport.hpp"

namespace tlspp {

/// Time limits for the socket that client::connect(host, port, ...) opens.
/// An unset limit waits as long as the system does, as without them; a set
/// one must be positive (zero or less throws tlspp::error,
/// errc::invalid_argument). Seconds convert: `{.connect = 5s, .io = 10s}`.
struct socket_timeouts {
  /// The whole connect(), from the call until a TCP connection is open.
  /// When `host` resolves to several addresses they are tried in turn, each
  /// with an equal share of what is left (at least 2 s, if that much is
  /// left). The name lookup (getaddrinfo) cannot be interrupted: it counts
  /// against the limit, but a lookup slower than the limit ends when the
  /// system resolver gives up (resolv.conf's timeout and attempts), and
  /// connect() then fails. A numeric address is never looked up. When the
  /// limit expires connect() throws tlspp::error (errc::timed_out) and the
  /// client can connect again.
  std::optional<std::chrono::milliseconds> connect{};
  /// Each wait for the socket during handshake(), recv(), send() and
  /// close(): one read or write that sees no progress for this long fails
  /// the call with errc::timed_out, and error_message() names the call and
  /// the limit. It bounds each wait, not a whole call: a peer that sends a
  /// byte just within it keeps a call going. The connection is failed
  /// afterwards (a TLS stream cannot resume inside a record); reset() the
  /// client to connect again.
  std::optional<std::chrono::milliseconds> io{};
};

/// A client context: configure it once, connect it over any transport, then
/// use it as a connection. reset() makes it ready for a new connection.
/// Move-only; a moved-from client throws tlspp::error (errc::moved_from).
class TLSPP_API client final : public connection {
 public:
  /// Creates and configures a client context; throws tlspp::error when
  /// libtls rejects the config.
  explicit client(const config& conf);
  /// Takes over the context and its connection; the source is left moved-from.
  client(client&&) noexcept;
  /// Frees this client's context (no I/O) and takes over the source's.
  client& operator=(client&&) noexcept;
  /// Frees the context without any I/O: close() first to send close_notify.
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
  /// The same, within `timeouts`: `connect(host, "443", {}, {.connect = 5s,
  /// .io = 10s})` (see socket_timeouts for what each bounds).
  void connect(std::string_view host, std::string_view port, std::string_view servername,
               const socket_timeouts& timeouts);
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
