// tlspp::connection: one TLS connection, driven by the caller.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string_view>

#include "tlspp/connection_info.hpp"
#include "tlspp/io_result.hpp"

namespace tlspp {

namespace detail {
struct connection_state;
}

/// A TLS connection: a client after connect(), or what server::accept()
/// returns.
///
/// Every I/O call returns an io_result and never blocks unless the transport
/// does. On io_status::want_recv or ::want_send, yield and call the same
/// function again later (with the same data, for send()): nothing is lost
/// between retries. A transport callback that throws has its exception
/// rethrown from the call that triggered it; the connection is then failed.
///
/// Move-only. The destructor frees the connection without any I/O: call
/// close() first to send close_notify.
///
/// Thread safety: distinct connections may be used from different threads;
/// one connection must not be used from two threads at once.
class connection {
 public:
  connection(connection&&) noexcept;
  connection& operator=(connection&&) noexcept;
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  ~connection();

  /// Runs the handshake. Optional: recv() and send() run it when needed.
  /// Returns ok at once when the handshake is already done (and the
  /// connection has not failed since).
  io_result handshake();

  /// Receives plaintext into `buffer`. At end of stream the status tells a
  /// clean close (the peer's close_notify: io_status::closed) from a cut
  /// (io_status::truncated). An empty buffer returns ok with 0 bytes.
  io_result recv(std::span<std::byte> buffer);

  /// Sends (a prefix of) `data`; `bytes` says how much. After a want, call
  /// again with the same data.
  io_result send(std::span<const std::byte> data);
  io_result send(std::string_view data);

  /// Sends close_notify, once; it does not wait for the peer's (a recv()
  /// returning io_status::closed shows that one). May want I/O like any other
  /// call. Calling it again after it succeeded returns ok. Before the
  /// handshake has completed there is nothing to notify: it sends nothing,
  /// and every later call but close() fails. What the peer sends after
  /// this may be discarded by the backend (libtls-bearssl does, as TLS 1.2
  /// allows): read what you expect first.
  io_result close();

  /// True once the handshake has completed.
  [[nodiscard]] bool handshake_done() const noexcept;

  /// What the handshake negotiated. Throws tlspp::error before the
  /// handshake is done.
  [[nodiscard]] connection_info info() const;

  /// Whether the peer's certificate is valid for `name` (DNS name or IP).
  [[nodiscard]] bool peer_cert_contains_name(std::string_view name) const;

  /// The libtls context (`struct tls*`), for calls tlspp does not wrap.
  [[nodiscard]] void* native_handle() const noexcept;

 protected:
  explicit connection(std::unique_ptr<detail::connection_state> state) noexcept;
  detail::connection_state& live_state() const;
  std::unique_ptr<detail::connection_state> state_;

  friend class server;
};

}  // namespace tlspp
