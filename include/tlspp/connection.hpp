// SPDX-License-Identifier: ISC
// tlspp::connection: one TLS connection, driven by the caller.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "tlspp/connection_info.hpp"
#include "tlspp/export.hpp"
#include "tlspp/io_result.hpp"

namespace tlspp {

namespace detail {
struct connection_state;
/// Frees a connection's state, or, when a call of that connection is
/// running (the connection was destroyed from inside its own transport
/// callback), leaves that call to free it once libtls has returned.
struct connection_state_deleter {
  void operator()(connection_state* state) const noexcept;
};
}  // namespace detail

/// A TLS connection: what client and server_connection have in common, and
/// what a function that works on either takes (by reference).
///
/// Every I/O call returns an io_result and never blocks unless the transport
/// does. On io_status::want_recv or io_status::want_send, yield and call the same
/// function again later (with the same data, for send()): nothing is lost
/// between retries. A want always means the transport asked for I/O. A
/// transport callback that throws has its exception rethrown from the call
/// that triggered it; the connection is then failed (errc::callback_threw).
///
/// Final outcomes: once a call returned failed, every later call returns
/// failed without touching libtls or the transport; once recv() returned
/// truncated, recv() repeats it and every other call fails; once recv()
/// returned closed, recv() repeats it, unless a later call failed: failed
/// wins. These hold for empty buffers too: an empty buffer returns ok with
/// 0 bytes only on a connection that is still usable.
///
/// Not copyable, and not movable as a `connection` (no slicing, no
/// assigning a server's connection into a client): move the client or
/// server_connection itself. The destructor frees the connection without any
/// I/O: call close() first to send close_notify.
///
/// Thread safety: distinct connections may be used from different threads;
/// one connection must not be used from two threads at once.
class TLSPP_API connection {
 public:
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// Runs the handshake. Optional: recv() and send() run it when needed.
  /// Returns ok only once the handshake has really completed (a peer's
  /// close_notify or end of stream during it fails it, on every backend),
  /// and at once when it already has.
  io_result handshake();

  /// Receives plaintext into `buffer` (at most INT_MAX bytes of it per
  /// call). At end of stream the status tells a clean close (the peer's
  /// close_notify: io_status::closed) from a cut (io_status::truncated).
  io_result recv(std::span<std::byte> buffer);

  /// Sends (a prefix of) `data`; `bytes` says how much (at most INT_MAX per
  /// call). After a want, call again with the same data: at least as many
  /// bytes, starting with the same ones (fewer fails the connection with
  /// errc::send_retry_mismatch).
  io_result send(std::span<const std::byte> data);
  /// The same, for text.
  io_result send(std::string_view data);

  /// Sends close_notify, once; it does not wait for the peer's (a recv()
  /// returning io_status::closed shows that one). May want I/O like any other
  /// call. Calling it again after it succeeded returns ok. Before the
  /// handshake has completed (even when it has begun) there is nothing to
  /// notify: it sends nothing, returns ok, and every later call but close()
  /// fails (errc::closed_before_handshake). What the peer sends after this
  /// may be discarded by the backend (libtls-bearssl does, as TLS 1.2
  /// allows): read what you expect first.
  io_result close();

  /// True once the handshake has completed.
  [[nodiscard]] bool handshake_done() const noexcept;

  /// Why the connection failed or was truncated (a tlspp::errc); empty while
  /// it has not. recv()'s closed is not an error.
  [[nodiscard]] std::error_code error_code() const noexcept;
  /// The call that failed and libtls's message, e.g. "handshake: certificate
  /// verify failed"; empty while error_code() is.
  [[nodiscard]] const std::string& error_message() const noexcept;

  /// What the handshake negotiated. Throws tlspp::error before the
  /// handshake is done.
  [[nodiscard]] connection_info info() const;

  /// Whether the peer's certificate is valid for `name` (DNS name or IP).
  /// Throws tlspp::error (errc::invalid_argument) for a name with a NUL byte.
  [[nodiscard]] bool peer_cert_contains_name(std::string_view name) const;

  /// The libtls context (`struct tls*`), for calls tlspp does not wrap;
  /// null for a moved-from connection.
  [[nodiscard]] void* native_handle() const noexcept;

 protected:
  /// \cond internal
  // For client and server_connection only: not part of the API.
  using state_ptr = std::unique_ptr<detail::connection_state, detail::connection_state_deleter>;
  TLSPP_LOCAL explicit connection(state_ptr state) noexcept;
  connection(connection&&) noexcept;
  connection& operator=(connection&&) noexcept;
  ~connection();

  /// The state, or throws tlspp::error (errc::moved_from).
  TLSPP_LOCAL detail::connection_state& live_state() const;
  state_ptr state_;
  /// \endcond
};

}  // namespace tlspp
