// SPDX-License-Identifier: ISC
// tlspp::memory_transport: the sans-I/O transport that any event loop pumps.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "tlspp/export.hpp"
#include "tlspp/transport.hpp"

namespace tlspp {

/// A transport made of two ciphertext queues that the caller moves to and
/// from the network: put what the socket delivered in, take what is to be
/// sent out. It never blocks and never does I/O, so a connection over it
/// runs under epoll, io_uring, libuv, Asio or a game loop alike.
///
/// Receive path, zero copy: when a connection call returns want_recv because
/// nothing was queued, receive_buffer() is the very buffer libtls handed the
/// read callback. Read the socket straight into it, commit_received(n), and
/// call again: libtls finds the bytes in place. libtls does not promise to
/// retry with the same buffer, so every retry checks pointer and size and,
/// when they differ, copies instead (counted in stats()). Fill and commit
/// the span before the next call on the connection: a call may replace it.
///
/// Send path: libtls may offer different bytes when it retries a write, so
/// written ciphertext is copied once into an outbox; drain it with
/// to_send()/consume_sent(). Once the outbox holds at least `outbox_limit`
/// bytes the transport answers want_send, which is the back-pressure a slow
/// peer needs.
///
/// When its connection is destroyed or reset, the transport learns it
/// (transport::detached()): read_pending() turns false and receive_buffer()
/// stops handing out libtls's freed buffer. reset() empties it for reuse by
/// another connection.
class TLSPP_API memory_transport final : public transport {
 public:
  /// Throws tlspp::error (errc::invalid_argument) for a limit of 0, with
  /// which nothing could ever be sent.
  explicit memory_transport(std::size_t outbox_limit = 64 * 1024);

  // --- receiving ---------------------------------------------------------

  /// Where to put ciphertext from the network: libtls's pending buffer when
  /// a read waits (zero copy), else free space in the inbox (at least
  /// `min_size` bytes).
  std::span<std::byte> receive_buffer(std::size_t min_size = 16 * 1024);
  /// A read from the network into libtls's buffer and, beyond it, into the
  /// inbox: fill `in_place` first, then `ahead` (one readv, or an Asio
  /// buffer sequence of the two), and commit_received() the total.
  struct receive_spans {
    std::span<std::byte> in_place;  ///< libtls's buffer, or empty
    std::span<std::byte> ahead;     ///< inbox room, or empty
  };
  /// Sizes that shape receive_buffers().
  static constexpr std::size_t record_header_size = 5;
  /// libtls asking for at least this much is reading a large record's body.
  static constexpr std::size_t large_read = 4 * 1024;
  /// Read-ahead for small records: dozens of small records (a 64-byte
  /// message is an 86-byte record), or a handshake flight. Not more: the
  /// inbox keeps its size while the connection idles, and a stream's heap
  /// should stay below asio::ssl's (which keeps two 17 KiB buffers).
  static constexpr std::size_t read_ahead = 4 * 1024;
  /// For a caller whose every network read costs a system call. libtls reads
  /// a record in two steps (its 5-byte header, then its body); reading the
  /// network for each would cost two calls per record. So:
  ///  - libtls's own buffer comes first, as in receive_buffer() (zero copy);
  ///  - beyond a large body (at least `large_read`), room for one record
  ///    header, so that the next record's header comes along and no body is
  ///    ever copied;
  ///  - beyond a small request (a header, a small body), `read_ahead` bytes,
  ///    so that small records arrive many to a read, then are copied out of
  ///    the inbox; unless the last record header received announced a large
  ///    body: then the next record is likely large too, and its body should
  ///    land in place, so nothing is read ahead.
  /// When bytes are already queued, or libtls waits for nothing, it is all
  /// inbox room. The prediction follows the record headers of the bytes
  /// committed; it only affects copies and reads, never the data.
  receive_spans receive_buffers();
  /// `n` bytes were written at the start of the last receive_buffer(), or
  /// across the last receive_buffers() in order.
  void commit_received(std::size_t n);
  /// Copies `data` in: the simple form, for data already in a buffer.
  void receive(std::span<const std::byte> data);
  /// The peer closed its side: reads past the queued bytes end the stream.
  void receive_end_of_stream() noexcept { eof_ = true; }
  /// True when libtls waits for bytes in its own buffer and there is room
  /// left in it: the moment to read the socket into receive_buffer().
  [[nodiscard]] bool read_pending() const noexcept {
    return pending_.data() != nullptr && pending_filled_ < pending_.size();
  }

  // --- sending -----------------------------------------------------------

  /// Ciphertext waiting to be sent to the peer.
  [[nodiscard]] std::span<const std::byte> to_send() const noexcept {
    return std::span{outbox_}.subspan(outbox_head_);
  }
  /// `n` bytes of to_send() went out.
  void consume_sent(std::size_t n);

  // --- accounting --------------------------------------------------------

  /// Where the ciphertext went: how much was copied, how much not.
  struct statistics {
    /// Ciphertext libtls found already in its own buffer.
    std::size_t received_in_place = 0;
    /// Ciphertext tlspp copied into libtls's buffer (inbox, or a retry
    /// with a different buffer).
    std::size_t received_copied = 0;
    /// Retries where libtls changed its buffer after bytes were put there.
    std::size_t buffer_changes = 0;
    /// Ciphertext copied into the outbox.
    std::size_t sent_copied = 0;
  };
  /// The counts since construction or the last reset().
  [[nodiscard]] const statistics& stats() const noexcept { return stats_; }

  /// Test hook: makes the next in-place retry behave as if libtls had
  /// changed its buffer, to exercise the copying fallback.
  void simulate_buffer_change_for_testing() noexcept { force_buffer_change_ = true; }

  /// Forgets everything: queued bytes both ways, end of stream, libtls's
  /// buffer, statistics. For reuse by a new connection.
  void reset() noexcept;

  /// Called by the connection: hands libtls queued bytes, or remembers its
  /// buffer and answers want_recv (end of stream once it is all read).
  transfer read(std::span<std::byte> buffer) override;
  /// Called by the connection: queues ciphertext in the outbox, or answers
  /// want_send when the outbox is full.
  transfer write(std::span<const std::byte> buffer) override;
  /// The connection is gone: libtls's buffer with it (bytes the caller put
  /// there are dropped along with the connection).
  void detached() noexcept override;

 private:
  TLSPP_LOCAL std::span<std::byte> inbox_space(std::size_t min_size);
  TLSPP_LOCAL std::size_t take_from_inbox(std::span<std::byte> buffer);
  /// Follows the record framing of received bytes (see receive_buffers()).
  TLSPP_LOCAL void follow_records(std::span<const std::byte> bytes) noexcept;

  std::size_t outbox_limit_;
  std::vector<std::byte> inbox_;
  std::size_t inbox_head_ = 0;
  std::size_t inbox_committed_ = 0;  // bytes of inbox_ holding data
  std::vector<std::byte> outbox_;
  std::size_t outbox_head_ = 0;
  std::span<std::byte> pending_;      // libtls's buffer of a waiting read
  std::size_t pending_filled_ = 0;    // bytes the caller put there
  bool handed_out_pending_ = false;   // last receive_buffer() was pending_
  std::size_t handed_out_ahead_ = 0;  // inbox room handed out beyond pending_
  // Record framing of what arrived: header bytes seen, the length being
  // read, body bytes still to come, and the last length announced.
  std::size_t header_seen_ = 0;
  std::size_t length_ = 0;
  std::size_t body_left_ = 0;
  std::size_t last_length_ = 0;
  bool eof_ = false;
  bool force_buffer_change_ = false;
  statistics stats_;
};

}  // namespace tlspp
