// tlspp::io_result: what every I/O call of a connection reports.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace tlspp {

enum class io_status : std::uint8_t {
  /// Done: `bytes` moved (recv/send), or the handshake/close completed.
  ok,
  /// The transport needs bytes from the peer: yield, then call again.
  want_recv,
  /// The transport needs to send before going on: yield, then call again.
  want_send,
  /// recv: clean end of stream; the peer sent close_notify.
  closed,
  /// recv: the transport ended without the peer's close_notify, so the data
  /// may have been cut short by an attacker or a crash. Not a clean end.
  /// Final: later recv calls repeat it, other calls fail.
  truncated,
  /// The call failed; `error` says why. The connection is no longer usable.
  failed,
};

/// The outcome of handshake(), recv(), send() and close().
struct io_result {
  io_status status = io_status::ok;
  /// Bytes received or sent (only with io_status::ok).
  std::size_t bytes = 0;
  /// With io_status::failed or ::truncated: the call that failed and libtls's
  /// message (plus the transport's, when it reported an errno).
  std::string error;

  [[nodiscard]] bool ok() const noexcept { return status == io_status::ok; }
  [[nodiscard]] bool want_io() const noexcept {
    return status == io_status::want_recv || status == io_status::want_send;
  }
  explicit operator bool() const noexcept { return ok(); }
};

/// "ok", "want_recv", ...: for logs and test failure messages.
const char* to_string(io_status status) noexcept;

}  // namespace tlspp
