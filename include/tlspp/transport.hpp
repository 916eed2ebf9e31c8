// SPDX-License-Identifier: ISC
// The user's side of the wire: how a connection moves ciphertext.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>
#include <utility>

#include "tlspp/export.hpp"

namespace tlspp {

/// What a transport callback did. A read callback answers with the bytes it
/// put in the buffer, `end_of_stream()` when the peer closed its side,
/// `want_recv()`/`want_send()` when it cannot go on yet (the tlspp call then
/// returns the same "want" so the caller can yield and retry), or `failed()`.
/// A write callback answers with how many bytes it took, a want, or
/// `failed()`. `bytes(0)` means "nothing now": a read that moved nothing
/// wants to receive, a write that took nothing wants to send; only
/// `end_of_stream()` ends the stream. A callback may also throw: the
/// exception is carried out of the tlspp call that triggered it.
///
/// What a callback may do with its own connection: nothing but read its
/// state (handshake_done(), error_code()...). A call of that connection's
/// handshake/recv/send/close, or client::reset()/connect(), from inside the
/// callback throws tlspp::error (errc::busy), which the outer call then
/// rethrows. Destroying or moving-assigning over the connection from inside
/// its callback is safe: the outer call returns failed and the connection's
/// resources are freed when libtls has returned.
class TLSPP_API transfer {
 public:
  /// `n` bytes were read into the buffer, or taken from it; 0 is a want
  /// (nothing now), never an end of stream.
  static constexpr transfer bytes(std::size_t n) noexcept {
    // A count past PTRDIFF_MAX must not wrap into a negative code (a want
    // or failed): it stays a count, which tlspp rejects as too large.
    constexpr auto max = static_cast<std::size_t>(PTRDIFF_MAX);
    return transfer{static_cast<std::ptrdiff_t>(n < max ? n : max), 0};
  }
  /// Read: the peer closed its side; nothing more will come.
  static constexpr transfer end_of_stream() noexcept { return transfer{end_of_stream_value, 0}; }
  /// Nothing now: bytes must come from the peer first.
  static constexpr transfer want_recv() noexcept { return transfer{want_recv_value, 0}; }
  /// Nothing now: queued bytes must go out first.
  static constexpr transfer want_send() noexcept { return transfer{want_send_value, 0}; }
  /// The transport failed; `errno_value`, when not 0, is reported in the
  /// tlspp call's error message.
  static constexpr transfer failed(int errno_value = 0) noexcept {
    return transfer{failed_value, errno_value};
  }

  /// The byte count, or one of the negative `*_value` codes below.
  [[nodiscard]] constexpr std::ptrdiff_t value() const noexcept { return value_; }
  /// The errno given to failed(), else 0.
  [[nodiscard]] constexpr int errno_value() const noexcept { return errno_; }
  /// want_recv() or want_send().
  [[nodiscard]] constexpr bool is_want() const noexcept {
    return value_ == want_recv_value || value_ == want_send_value;
  }
  /// end_of_stream().
  [[nodiscard]] constexpr bool is_end_of_stream() const noexcept {
    return value_ == end_of_stream_value;
  }
  /// Same value and errno.
  friend constexpr bool operator==(transfer, transfer) noexcept = default;

  // libtls's own encodings (-1, TLS_WANT_POLLIN, TLS_WANT_POLLOUT), and
  // end of stream, which libtls spells 0 but tlspp keeps apart from bytes(0).
  static constexpr std::ptrdiff_t failed_value = -1;         ///< value() of failed()
  static constexpr std::ptrdiff_t want_recv_value = -2;      ///< value() of want_recv()
  static constexpr std::ptrdiff_t want_send_value = -3;      ///< value() of want_send()
  static constexpr std::ptrdiff_t end_of_stream_value = -4;  ///< value() of end_of_stream()

 private:
  constexpr transfer(std::ptrdiff_t v, int e) noexcept : value_{v}, errno_{e} {}
  std::ptrdiff_t value_;
  int errno_;
};

/// A bidirectional byte stream that carries a connection's ciphertext.
/// Implement it directly, or pass two callables to connect()/accept().
/// Neither function may block if the caller wants to yield: answer a want
/// instead, and the tlspp call returns that want.
class TLSPP_API transport {
 public:
  virtual ~transport() = default;
  /// Fills (a prefix of) `buffer` with bytes from the peer.
  virtual transfer read(std::span<std::byte> buffer) = 0;
  /// Sends (a prefix of) `buffer` to the peer.
  virtual transfer write(std::span<const std::byte> buffer) = 0;
  /// The connection that used this transport is gone (destroyed, reset, or
  /// its connect() failed): a buffer of libtls's that the transport still
  /// refers to (memory_transport's receive_buffer()) is freed memory now.
  virtual void detached() noexcept {}
};

/// A callable that fills a buffer with bytes from the peer: the read half of
/// a transport, `transfer(std::span<std::byte>)`.
template <class F>
concept read_callback = std::is_invocable_r_v<transfer, F&, std::span<std::byte>>;
/// A callable that sends bytes to the peer: the write half of a transport,
/// `transfer(std::span<const std::byte>)`.
template <class F>
concept write_callback = std::is_invocable_r_v<transfer, F&, std::span<const std::byte>>;

namespace detail {

/// Holds the user's two callables; allocated once per connection, and called
/// through one virtual call per libtls callback, with no allocation.
template <class Read, class Write>
class callback_transport final : public transport {
 public:
  callback_transport(Read r, Write w) : read_{std::move(r)}, write_{std::move(w)} {}
  transfer read(std::span<std::byte> buffer) override { return read_(buffer); }
  transfer write(std::span<const std::byte> buffer) override { return write_(buffer); }

 private:
  Read read_;
  Write write_;
};

}  // namespace detail
}  // namespace tlspp
