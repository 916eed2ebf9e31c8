// SPDX-License-Identifier: ISC
// tlspp::asio::error: the names asio::ssl users look for, on tlspp's codes.
#pragma once

#include <system_error>

#include "tlspp/error.hpp"

namespace tlspp::asio::error {

/// A tlspp::asio::stream reports tlspp's own error codes (tlspp::errc, in
/// tlspp::error_category()), the same code its connection() keeps in
/// error_code(): one error model, whether a program uses tlspp directly or
/// through Asio. Next to these, a stream reports Asio's codes:
/// `asio::error::eof` (a clean end: the peer's close_notify),
/// `operation_aborted` (cancelled, or the stream destroyed), `timed_out`
/// (async_shutdown's deadline passed), `invalid_argument` (a handshake type
/// that does not match the stream), and whatever the next layer reported
/// (`connection_reset`, `broken_pipe`...).
///
/// An error_code cannot carry text: stream::last_error() holds libtls's (or
/// tlspp's) explanation of the last tlspp code.
using stream_errors = tlspp::errc;

/// The peer closed its side without close_notify: what was received may
/// have been cut short by an attacker or a crash. The counterpart of
/// `asio::ssl::error::stream_truncated`.
inline constexpr tlspp::errc stream_truncated = tlspp::errc::truncated;
/// The handshake failed (certificate not trusted, name mismatch, no common
/// protocol, an alert from the peer...). A peer that hangs up or sends
/// close_notify during the handshake gives
/// tlspp::errc::peer_closed_during_handshake instead.
inline constexpr tlspp::errc handshake_failed = tlspp::errc::handshake_failed;
/// libtls failed after the handshake (a bad record, an alert from the
/// peer...). The connection is no longer usable.
inline constexpr tlspp::errc protocol_error = tlspp::errc::protocol_error;

/// The category of these codes: tlspp's own.
inline const std::error_category& get_stream_category() noexcept { return tlspp::error_category(); }

}  // namespace tlspp::asio::error
