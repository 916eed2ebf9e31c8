// SPDX-License-Identifier: ISC
// tlspp::asio::shutdown_mode: what async_shutdown waits for.
#pragma once

namespace tlspp::asio {

/// What async_shutdown waits for after sending close_notify.
enum class shutdown_mode : unsigned char {
  /// Also wait for the peer's close_notify (or the end of its side).
  wait_for_peer,
  /// Complete once close_notify is sent.
  send_only,
};

}  // namespace tlspp::asio
