// Private side of tlspp::connection: one libtls context and its transport.
#pragma once

#include <exception>
#include <memory>
#include <string>
#include <string_view>

#include "config_state.hpp"
#include "libtls.hpp"
#include "tlspp/io_result.hpp"
#include "tlspp/transport.hpp"

namespace tlspp::detail {

struct server_state;

/// Heap-allocated so that the pointer libtls keeps as its callback argument
/// stays valid when the connection object moves.
struct connection_state {
  ::tls* ctx = nullptr;
  /// The config whose reference count libtls holds for `ctx`.
  std::shared_ptr<config_state> conf;
  /// An accepted connection keeps its server's libtls context alive: libtls
  /// calls into it during the handshake (SNI, OCSP stapling).
  std::shared_ptr<server_state> server;

  std::unique_ptr<transport> owned_transport;
  transport* io = nullptr;

  /// Set by the callbacks during one libtls call.
  std::exception_ptr callback_exception;
  int transport_errno = 0;
  /// What the transport itself wanted during the call (want_recv or
  /// want_send), or ok when it never answered a want.
  io_status transport_want = io_status::ok;
  /// Sticky: the read side of the transport reported end of stream.
  bool transport_eof = false;

  bool handshake_done = false;
  bool close_done = false;
  /// Sticky: why the connection failed (a failed call, a callback that
  /// threw). Every later call reports it without touching libtls or the
  /// transport: OpenSSL forbids I/O after a fatal error, and a callback
  /// error leaves no trace in libtls's own state.
  std::string failure;
  /// What `failure` means to a later recv: failed, or truncated when the
  /// transport ended without close_notify (then recv keeps saying so).
  io_status failure_status = io_status::failed;

  connection_state() = default;
  connection_state(const connection_state&) = delete;
  connection_state& operator=(const connection_state&) = delete;
  ~connection_state();

  /// Drops the transport and per-connection flags (not the context).
  void forget_connection() noexcept;
  /// Installs the transport: `owned` if set (then `io` points into it),
  /// else the caller's `io`.
  void attach(std::unique_ptr<transport> owned, transport* io);
};

/// The C callbacks handed to libtls; `arg` is the connection_state.
ssize_t read_trampoline(::tls* ctx, void* buf, size_t len, void* arg) noexcept;
ssize_t write_trampoline(::tls* ctx, const void* buf, size_t len, void* arg) noexcept;

}  // namespace tlspp::detail
