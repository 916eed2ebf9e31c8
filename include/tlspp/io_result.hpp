// SPDX-License-Identifier: ISC
// tlspp::io_result: what every I/O call of a connection reports.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "tlspp/export.hpp"

namespace tlspp {

/// What an I/O call of a connection did.
enum class io_status : std::uint8_t {
  /// Done: `bytes` moved (recv/send), or the handshake/close completed.
  ok,
  /// The transport needs bytes from the peer: yield, then call again.
  want_recv,
  /// The transport needs to send before going on: yield, then call again.
  want_send,
  /// recv: clean end of stream; the peer sent close_notify. Final: later
  /// recv calls repeat it.
  closed,
  /// recv: the transport ended without the peer's close_notify, so the data
  /// may have been cut short by an attacker or a crash. Not a clean end.
  /// Final: later recv calls repeat it, other calls fail.
  truncated,
  /// The call failed; the connection's error_code() and error_message() say
  /// why. Final: every later call fails the same way.
  failed,
};

/// The outcome of handshake(), recv(), send() and close(): a status and a
/// byte count, small and trivially copyable. Why a call failed lives on the
/// connection (connection::error_code(), connection::error_message()), as
/// libtls keeps it on the context. Ignoring a result is a compiler warning:
/// a send() may move only a prefix, and any call may want I/O.
struct [[nodiscard]] TLSPP_API io_result {
  io_status status = io_status::ok;  ///< What the call did.
  /// Bytes received or sent (only with io_status::ok).
  std::size_t bytes = 0;

  /// The call succeeded.
  [[nodiscard]] constexpr bool ok() const noexcept { return status == io_status::ok; }
  /// The call wants I/O (want_recv or want_send): yield, then call again.
  [[nodiscard]] constexpr bool want_io() const noexcept {
    return status == io_status::want_recv || status == io_status::want_send;
  }
  /// ok(), for `if (!r) return r;`.
  constexpr explicit operator bool() const noexcept { return ok(); }
  /// Same status and byte count.
  friend constexpr bool operator==(io_result, io_result) noexcept = default;
};
static_assert(std::is_trivially_copyable_v<io_result>);

/// "ok", "want_recv", ...: for logs and test failure messages.
TLSPP_API const char* to_string(io_status status) noexcept;

}  // namespace tlspp
