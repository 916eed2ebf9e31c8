// tlspp::asio::error: the error codes a tlspp::asio::stream adds to Asio's.
#pragma once

#include <string>
#include <system_error>
#include <type_traits>

namespace tlspp::asio::error {

/// Failures that Asio's own codes do not name. Next to these, a stream
/// reports Asio's: `::asio::error::eof` (a clean end: the peer's
/// close_notify), `operation_aborted` (cancelled, or the stream destroyed),
/// `timed_out` (async_shutdown's deadline passed), and whatever the next
/// layer reported (`connection_reset`, `broken_pipe`...).
///
/// An error_code cannot carry text: after handshake_failed, protocol_error
/// or stream_truncated, stream::last_error() holds libtls's explanation.
enum stream_errors {
  /// The peer closed its side without close_notify: what was received may
  /// have been cut short by an attacker or a crash. The counterpart of
  /// `::asio::ssl::error::stream_truncated`.
  stream_truncated = 1,
  /// The handshake failed (certificate not trusted, name mismatch, no
  /// common protocol...).
  handshake_failed,
  /// libtls failed after the handshake (a bad record, an alert from the
  /// peer...). The connection is no longer usable.
  protocol_error,
};

namespace detail {

class stream_category final : public std::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "tlspp.asio.stream"; }
  [[nodiscard]] std::string message(int value) const override {
    switch (value) {
      case stream_truncated:
        return "stream truncated: the peer closed without close_notify";
      case handshake_failed:
        return "TLS handshake failed";
      case protocol_error:
        return "TLS protocol error";
      default:
        return "tlspp.asio.stream error";
    }
  }
};

}  // namespace detail

/// The category of stream_errors (one instance per program).
inline const std::error_category& get_stream_category() noexcept {
  static const detail::stream_category category;
  return category;
}

inline std::error_code make_error_code(stream_errors e) noexcept {
  return {static_cast<int>(e), get_stream_category()};
}

}  // namespace tlspp::asio::error

template <>
struct std::is_error_code_enum<tlspp::asio::error::stream_errors> : std::true_type {};
