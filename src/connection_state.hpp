// SPDX-License-Identifier: ISC
// Private side of tlspp::connection: one libtls context and its transport.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <string_view>

#include "config_state.hpp"
#include "libtls.hpp"
#include "record_scanner.hpp"
#include "tlspp/error.hpp"
#include "tlspp/io_result.hpp"
#include "tlspp/transport.hpp"

namespace tlspp::detail {

struct server_state;

/// Heap-allocated so that the pointer libtls keeps as its callback argument
/// stays valid when the connection object moves.
struct connection_state {
  // --- read on every call and every callback: together, first -----------
  ::tls* ctx = nullptr;
  transport* io = nullptr;
  std::exception_ptr callback_exception;
  /// The size of a send() that wanted I/O: its retry must offer as much.
  std::size_t pending_send = 0;

  /// What the transport answered during one libtls call; reset (one store)
  /// before each, so the driver can tell real wants from libtls's own.
  struct transport_answers {
    /// What the transport itself wanted (want_recv or want_send), or ok
    /// when it never answered a want.
    io_status want = io_status::ok;
    /// The transport moved bytes: libtls made progress, so a want from
    /// libtls alone is worth another call.
    bool moved = false;
    /// The transport answered failed() (with `transport_errno`, 0 for
    /// none) or broke its contract (then `transport_problem` says how).
    bool failed = false;
  } answered;
  /// Sticky: the read side of the transport reported end of stream.
  bool transport_eof = false;

  bool handshake_done = false;
  bool close_done = false;
  /// recv() returned closed: it says so again without asking libtls.
  bool peer_closed = false;
  /// A call of this connection is running (callbacks may be called).
  bool busy = false;
  /// The connection was destroyed from inside its own callback: the running
  /// call frees this state when libtls has returned.
  bool orphaned = false;
  /// Sticky: why the connection failed (a failed call, a callback that
  /// threw). Every later call reports it without touching libtls or the
  /// transport: OpenSSL forbids I/O after a fatal error, and a callback
  /// error leaves no trace in libtls's own state.
  errc failure_code{};

  // --- set only on the way to a failure ------------------------------------
  /// With answered.failed: the errno the transport gave, or how it broke
  /// its contract. Set together, whenever answered.failed is.
  int transport_errno = 0;
  std::string_view transport_problem;
  std::string failure;
  /// What the failure means to a later recv: failed, or truncated when the
  /// transport ended without close_notify (then recv keeps saying so).
  io_status failure_status = io_status::failed;

  // --- owned alongside ------------------------------------------------------
  /// The config whose reference count libtls holds for `ctx`.
  std::shared_ptr<config_state> conf;
  /// An accepted connection keeps its server's libtls context alive: libtls
  /// calls into it during the handshake (SNI, OCSP stapling).
  std::shared_ptr<server_state> server;
  std::unique_ptr<transport> owned_transport;
  /// The records the peer sent, followed until the handshake completes.
  record_scanner peer_records;

  connection_state() = default;
  connection_state(const connection_state&) = delete;
  connection_state& operator=(const connection_state&) = delete;
  ~connection_state();

  [[nodiscard]] bool failed() const noexcept { return failure_code != errc{}; }
  /// recv and send may go straight to libtls: connected, handshake done,
  /// no failure, no end of stream, no call running.
  [[nodiscard]] bool ready_for_data() const noexcept {
    return !busy && !failed() && !peer_closed && handshake_done && io != nullptr;
  }
  /// Records a failure; later calls report it.
  void fail(errc code, std::string message, io_status status = io_status::failed);
  /// Throws tlspp::error (errc::busy) when a call of this connection is running.
  void check_not_busy(std::string_view call) const {
    if (busy) [[unlikely]]
      throw_busy(call);
  }
  [[noreturn, gnu::cold, gnu::noinline]] static void throw_busy(std::string_view call);
  /// Drops the transport (telling it) and the per-connection state (not the context).
  void forget_connection() noexcept;
  /// Installs the transport: `owned` if set (then `io` points into it),
  /// else the caller's `io`.
  void attach(std::unique_ptr<transport> owned, transport* io);
};

/// The C callbacks handed to libtls; `arg` is the connection_state.
ssize_t read_trampoline(::tls* ctx, void* buf, size_t len, void* arg) noexcept;
ssize_t write_trampoline(::tls* ctx, const void* buf, size_t len, void* arg) noexcept;

}  // namespace tlspp::detail
