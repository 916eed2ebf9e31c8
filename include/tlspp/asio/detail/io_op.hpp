// SPDX-License-Identifier: ISC
// Detail of tlspp::asio::stream: the one loop that drives every operation.
// Included once per flavour (flavour_check.hpp says how).
#include "tlspp/asio/detail/flavour_check.hpp"

#include <cstddef>
#include <memory>
#include <span>
#include <system_error>
#include <utility>

#include "tlspp/io_result.hpp"

namespace tlspp::TLSPP_ASIO_FLAVOUR::detail {

/// The first non-empty buffer of a buffer sequence (or an empty span): a
/// read or write "some" moves bytes to or from one buffer, as asio::ssl does.
template <class Buffers>
std::span<std::byte> first_buffer(const Buffers& buffers) {
  for (auto it = net::buffer_sequence_begin(buffers); it != net::buffer_sequence_end(buffers);
       ++it) {
    const net::mutable_buffer b{*it};
    if (b.size() != 0) return {static_cast<std::byte*>(b.data()), b.size()};
  }
  return {};
}
template <class Buffers>
std::span<const std::byte> first_const_buffer(const Buffers& buffers) {
  for (auto it = net::buffer_sequence_begin(buffers); it != net::buffer_sequence_end(buffers);
       ++it) {
    const net::const_buffer b{*it};
    if (b.size() != 0) return {static_cast<const std::byte*>(b.data()), b.size()};
  }
  return {};
}

/// One operation of a stream, for asio::async_compose. Each round calls the
/// tlspp operation, then, on its answer:
///  - want_recv: flush the outbox first if nobody is writing it; else read
///    the socket straight into libtls's buffer, and what follows into the
///    inbox (stream_core::begin_read), unless another operation is reading
///    already: then wait for it;
///  - want_send: flush the outbox, or wait for the operation writing it;
///  - a result: flush the outbox before completing. A read never waits for
///    another operation's flush (that one drains the outbox anyway), so a
///    read and a write in flight at once cannot block each other;
///  - a failed (or truncated) connection: after that flush, which carries
///    libtls's fatal alert, linger: shut the socket's write side, drain the
///    peer briefly, close the socket (stream_core::linger_sync says why).
/// A write gathers several records into one flush when it has the data
/// (room_for_another_record). Completes with (error_code, bytes);
/// WithBytes = false drops the bytes.
template <class NextLayer, bool WithBytes>
class io_op {
 public:
  io_op(std::shared_ptr<stream_core<NextLayer>> core, op_kind kind,
        std::span<std::byte> read_buffer = {}, std::span<const std::byte> write_data = {},
        error_code preset = {})
      : core_{std::move(core)},
        kind_{kind},
        read_buffer_{read_buffer},
        write_data_{write_data},
        ec_{preset},
        done_{static_cast<bool>(preset)} {}

  template <class Self>
  void operator()(Self& self, error_code ec = {}, std::size_t n = 0) {
    stream_core<NextLayer>& c = *core_;
    switch (phase_) {
      case phase::start:
        if (kind_ == op_kind::read) ++c.read_ops;
        // An empty buffer moves nothing, at once (the Asio convention).
        if ((kind_ == op_kind::read && read_buffer_.empty()) ||
            (kind_ == op_kind::write && write_data_.empty())) {
          done_ = true;
        }
        break;
      case phase::reading:
        on_socket(false);
        c.end_read(n, ec);
        if (ec && ec != net::error::eof) return fail(self, ec);
        break;
      case phase::flushing:
        on_socket(false);
        c.end_write(n);
        if (ec) return fail(self, ec);
        break;
      case phase::waiting:
        // ec is operation_aborted whether the awaited role was released or
        // this operation was cancelled; cancelled() tells which.
        break;
      case phase::posted:
        return complete(self);
      case phase::lingering:
        return drain(self, ec, n);
    }
    if (phase_ != phase::start && (c.abandoned || cancelled(self))) {
      return fail(self, net::error::operation_aborted);
    }
    run(self);
  }

 private:
  enum class phase : unsigned char { start, reading, flushing, waiting, posted, lingering };

  template <class Self>
  void run(Self& self) {
    stream_core<NextLayer>& c = *core_;
    while (!done_) {
      if (kind_ == op_kind::await_close_notify) {
        if (c.peer_closed || c.peer_truncated) {
          done_ = true;
          if (c.peer_truncated) ec_ = to_error_code(error::stream_truncated);
          break;
        }
        // A read of the caller's is running: it will see the close_notify.
        if (c.read_ops > 0) return wait(self, c.read_done);
      }
      const tlspp::io_result r = call(c);
      switch (r.status) {
        case io_status::ok:
          if (kind_ == op_kind::await_close_notify) continue;  // data after our close_notify
          bytes_ += r.bytes;
          if (kind_ == op_kind::write && r.bytes > 0 && room_for_another_record(c)) continue;
          done_ = true;
          break;
        case io_status::want_send:
          if (c.gate.socket_writing) return wait(self, c.write_done);
          if (!c.outbox_empty()) return flush(self);
          ec_ = c.stalled();
          done_ = true;
          break;
        case io_status::want_recv:
          if (!c.outbox_empty() && !c.gate.socket_writing) return flush(self);
          if (c.gate.socket_reading) return wait(self, c.read_done);
          return read(self);
        default:
          ec_ = c.failure(r, kind_);
          done_ = true;
          break;
      }
    }
    // What libtls queued goes out before the result is reported; a read
    // leaves it to the operation already writing, if there is one.
    if (!c.outbox_empty()) {
      if (!c.gate.socket_writing) return flush(self);
      if (kind_ != op_kind::read) return wait(self, c.write_done);
    }
    // The connection failed: its alert is out (unless another operation is
    // still writing the outbox: that one lingers when it is done).
    if (c.must_linger && !c.lingered && !c.gate.socket_writing) return linger(self);
    finish(self);
  }

  /// The caller cancelled this operation (a terminal cancellation through
  /// its slot). Without cancellation slots, only async_shutdown's deadline
  /// cancels, the operations it runs (stream_core::interrupt_shutdown).
  template <class Self>
  bool cancelled(Self& self) const {
#if TLSPP_ASIO_HAS_CANCELLATION
    return self.get_cancellation_state().cancelled() != net::cancellation_type::none;
#else
    (void)self;
    return (kind_ == op_kind::close || kind_ == op_kind::await_close_notify) &&
           core_->shutdown_expired == core_->shutdown_generation;
#endif
  }

  /// Whether this operation holds a socket operation that the deadline of
  /// async_shutdown must cancel (without cancellation slots).
  void on_socket([[maybe_unused]] bool holds) {
#if !TLSPP_ASIO_HAS_CANCELLATION
    if (kind_ == op_kind::close || kind_ == op_kind::await_close_notify) {
      core_->shutdown_on_socket = holds;
    }
#endif
  }

  tlspp::io_result call(stream_core<NextLayer>& c) {
    switch (kind_) {
      case op_kind::handshake:
        return c.conn().handshake();
      case op_kind::read:
        return c.conn().recv(read_buffer_);
      case op_kind::write:
        return c.conn().send(write_data_.subspan(bytes_));
      case op_kind::close:
        return c.conn().close();
      case op_kind::await_close_notify:
        return c.conn().recv(c.scratch);
    }
    return {};
  }

  /// libtls takes at most one record per send (partial-write mode). A write
  /// with more data keeps going while the outbox has room for another full
  /// record, so that one socket send carries several records, as long as
  /// libtls never has to wait for the outbox mid-record.
  bool room_for_another_record(const stream_core<NextLayer>& c) const noexcept {
    return bytes_ < write_data_.size() &&
           c.transport.to_send().size() + stream_core<NextLayer>::max_record <=
               stream_core<NextLayer>::outbox_limit;
  }

  template <class Self>
  void read(Self& self) {
    phase_ = phase::reading;
    async_started_ = true;
    on_socket(true);
    core_->next.async_read_some(core_->begin_read(), std::move(self));
  }

  template <class Self>
  void flush(Self& self) {
    phase_ = phase::flushing;
    async_started_ = true;
    on_socket(true);
    const std::span<const std::byte> out = core_->begin_write();
    net::async_write(core_->next, net::buffer(out.data(), out.size()), std::move(self));
  }

  /// The asynchronous form of stream_core::linger_sync. When another
  /// operation's socket read is in flight, that operation drains instead:
  /// it finds the connection failed as soon as its read completes.
  template <class Self>
  void linger(Self& self) {
    stream_core<NextLayer>& c = *core_;
    c.shut_send();
    if constexpr (socket_below<typename stream_core<NextLayer>::next_layer_type>) {
      if (!c.gate.socket_reading) {
        c.lingered = true;
        c.linger_timer.expires_after(linger_time);
        c.linger_timer.async_wait([core = core_](const error_code& ec) {
          error_code ignored;
          if (!ec) core->next.lowest_layer().cancel(ignored);
        });
        phase_ = phase::lingering;
        async_started_ = true;
        return c.next.async_read_some(net::buffer(c.scratch), std::move(self));
      }
    }
    finish(self);
  }

  template <class Self>
  void drain(Self& self, const error_code& ec, std::size_t n) {
    stream_core<NextLayer>& c = *core_;
    drained_ += n;
    if (!ec && !c.abandoned && drained_ < linger_bytes) {
      return c.next.async_read_some(net::buffer(c.scratch), std::move(self));
    }
    c.linger_timer.cancel();
    c.close_owned();
    finish(self);
  }

  template <class Self, class Timer>
  void wait(Self& self, Timer& condition) {
    phase_ = phase::waiting;
    async_started_ = true;
    condition.async_wait(std::move(self));
  }

  /// A socket error, a cancellation or an abandoned stream ends the
  /// operation; a read that already has data reports the data instead (the
  /// error comes back with the next call).
  template <class Self>
  void fail(Self& self, error_code ec) {
    const bool keep_result = done_ && (ec_ || (kind_ == op_kind::read && bytes_ > 0));
    if (!keep_result) ec_ = ec;
    done_ = true;
    finish(self);
  }

  template <class Self>
  void finish(Self& self) {
    if (kind_ == op_kind::read) {
      --core_->read_ops;
      core_->read_done.cancel();  // an await_close_notify may wait for it
    }
    if (!async_started_) {
      // Never complete inside the initiating call.
      phase_ = phase::posted;
      async_started_ = true;
      return net::post(std::move(self));
    }
    complete(self);
  }

  template <class Self>
  void complete(Self& self) {
    core_.reset();
    if constexpr (WithBytes) {
      self.complete(ec_, bytes_);
    } else {
      self.complete(ec_);
    }
  }

  std::shared_ptr<stream_core<NextLayer>> core_;
  op_kind kind_;
  phase phase_ = phase::start;
  bool async_started_ = false;
  std::span<std::byte> read_buffer_;
  std::span<const std::byte> write_data_;
  error_code ec_;
  std::size_t bytes_ = 0;
  bool done_ = false;
  std::size_t drained_ = 0;
};

}  // namespace tlspp::TLSPP_ASIO_FLAVOUR::detail
