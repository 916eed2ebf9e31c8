// SPDX-License-Identifier: ISC
// tlspp's one error model: a code to branch on, a message to show.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

#include "tlspp/export.hpp"

namespace tlspp {

/// What went wrong, for programs and tests to branch on; the text that goes
/// with a code is libtls's (or tlspp's) own and varies between backends.
/// A connection keeps the code of its failure (connection::error_code());
/// tlspp::error carries one (error::code()).
enum class errc : int {
  /// A value tlspp refuses before it reaches libtls: a NUL byte in a string
  /// (C would cut it there), an empty or over-long name, a number out of
  /// range. The message names the argument or option.
  invalid_argument = 1,
  /// libtls rejected a config option or could not configure a context.
  config_rejected,
  /// The libtls backend cannot do what was asked (the message says what it lacks).
  unsupported,
  /// An object was used after it was moved from.
  moved_from,
  /// A call out of order: I/O before connect() or accept(), connect() twice,
  /// info() before the handshake...
  misuse,
  /// A call on a connection from inside one of its own transport callbacks,
  /// while a call of that connection is running.
  busy,
  /// send() retried after a want with fewer bytes than the call that wanted.
  send_retry_mismatch,
  /// The transport failed (a callback answered failed(), a socket error) or
  /// broke its contract (reported more bytes than the buffer holds).
  transport_failed,
  /// A transport callback threw; the exception was rethrown from the call.
  callback_threw,
  /// The handshake failed: verification, no common protocol, an alert...
  handshake_failed,
  /// The peer sent close_notify, or its side of the transport ended, before
  /// the handshake completed.
  peer_closed_during_handshake,
  /// libtls failed after the handshake: a bad record, an alert from the peer.
  protocol_error,
  /// The transport ended without close_notify after the handshake: what was
  /// received may have been cut short.
  truncated,
  /// close() ran before the handshake completed: the connection is over.
  closed_before_handshake,
  /// libtls wanted I/O that its transport never asked for, over and over.
  backend_stalled,
  /// libtls failed to allocate or initialize.
  out_of_memory,
  /// A time limit expired: client::connect's socket_timeouts (connect, or
  /// the I/O of the connection it opened), or a transport that answered
  /// transfer::failed(ETIMEDOUT). The message names the call and the limit.
  timed_out,
};

/// The category of errc ("tlspp"), one instance per program.
[[nodiscard]] TLSPP_API const std::error_category& error_category() noexcept;

/// Makes `std::error_code ec = tlspp::errc::truncated;` work, and
/// comparisons such as `ec == tlspp::errc::truncated`.
[[nodiscard]] inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

/// Thrown by what is not an I/O call: building a config, a client or a
/// server, connect(), accept(), info(), a call on a moved-from object.
///
/// `what()` reads "<where>: <message>", where `where()` names the tlspp call
/// or config option that failed ("config option ca_file", "client::connect")
/// and `message()` is libtls's own explanation when it gave one (where
/// libtls-bearssl gives only an alert's number, its name is added).
class TLSPP_API error : public std::runtime_error {
 public:
  /// An error of kind `code`, raised by `where` (a call or config option),
  /// explained by `message`.
  error(errc code, std::string_view where, std::string_view message);

  /// What went wrong, to branch on: a tlspp::errc.
  [[nodiscard]] std::error_code code() const noexcept { return make_error_code(code_); }
  /// The call or option that failed.
  [[nodiscard]] const std::string& where() const noexcept { return where_; }
  /// libtls's message (or tlspp's, when the failure was detected before libtls).
  [[nodiscard]] const std::string& message() const noexcept { return message_; }

 private:
  errc code_;
  std::string where_;
  std::string message_;
};

}  // namespace tlspp

template <>
struct std::is_error_code_enum<tlspp::errc> : std::true_type {};
