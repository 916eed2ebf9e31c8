// SPDX-License-Identifier: ISC
// Detail of tlspp::asio::stream: the state its operations share.
// Included once per flavour (flavour_check.hpp says how).
#include "tlspp/asio/detail/flavour_check.hpp"

#include <poll.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>

#include "tlspp/client.hpp"
#include "tlspp/connection.hpp"
#include "tlspp/error.hpp"
#include "tlspp/io_result.hpp"
#include "tlspp/memory_transport.hpp"
#include "tlspp/server.hpp"
#include "tlspp/transport.hpp"

namespace tlspp::TLSPP_ASIO_FLAVOUR::detail {

/// A next layer with a socket at the bottom (asio's basic_socket, or a
/// stream over one): the stream can shut its write side and close it.
template <class Next>
concept socket_below = requires(Next& n, error_code& ec) {
  n.lowest_layer().shutdown(net::socket_base::shutdown_send, ec);
  n.lowest_layer().cancel(ec);
  n.lowest_layer().close(ec);
  n.lowest_layer().native_handle();
};

/// How long, and for how many bytes, a stream whose connection failed reads
/// what the peer still sends before it closes the socket (see linger).
inline constexpr std::chrono::milliseconds linger_time{1000};
inline constexpr std::size_t linger_bytes = 256 * 1024;

/// Stands between libtls and the memory_transport while a socket operation
/// works on the transport's memory. During a socket read into
/// receive_buffers() (libtls's own buffer, then inbox room), a read
/// callback must not replace that buffer or take from the inbox: it
/// answers want_recv. During a socket write of to_send(),
/// new ciphertext must not be appended (the outbox could move): the write
/// callback answers want_send. Either way libtls is asked again later.
class io_gate final : public tlspp::transport {
 public:
  explicit io_gate(tlspp::memory_transport& io) noexcept : io_{io} {}

  bool socket_reading = false;
  bool socket_writing = false;

  transfer read(std::span<std::byte> buffer) override {
    return socket_reading ? transfer::want_recv() : io_.read(buffer);
  }
  transfer write(std::span<const std::byte> buffer) override {
    return socket_writing ? transfer::want_send() : io_.write(buffer);
  }

 private:
  tlspp::memory_transport& io_;
};

/// What a stream's asynchronous operations do.
enum class op_kind : unsigned char {
  handshake,
  read,
  write,
  /// Sends close_notify (tls_close).
  close,
  /// Receives until the peer's close_notify, discarding data.
  await_close_notify,
};

/// A stream's state, on the heap and shared with its operations in flight:
/// an operation keeps the connection (and so libtls's buffer that a socket
/// read may be filling) alive even if the stream is destroyed meanwhile.
///
/// Two roles exist at any time at most once each: the reader (one socket
/// read in flight, into receive_buffers()) and the writer (one socket write
/// of to_send() in flight). An operation that needs a role someone else
/// holds waits on read_done/write_done: timers that never expire, used as
/// condition variables (cancel() wakes every waiter), as Asio's ssl does.
template <class NextLayer>
struct stream_core {
  using next_layer_type = std::remove_reference_t<NextLayer>;
  using executor_type = typename next_layer_type::executor_type;
  using timer_type =
      net::basic_waitable_timer<std::chrono::steady_clock,
                                net::wait_traits<std::chrono::steady_clock>, executor_type>;

  template <class Arg>
  stream_core(Arg&& arg, const tlspp::config& client_config)
      : next(std::forward<Arg>(arg)), client(std::in_place, client_config) {}

  template <class Arg>
  stream_core(Arg&& arg, tlspp::server& server)
      : next(std::forward<Arg>(arg)), accepted(std::in_place, server.accept(gate)) {}

  stream_core(const stream_core&) = delete;
  stream_core& operator=(const stream_core&) = delete;
  ~stream_core() = default;

  /// The outbox's back-pressure limit, and the largest record libtls
  /// writes (16 KiB of plaintext, the header and the cipher's overhead).
  static constexpr std::size_t outbox_limit = 64 * 1024;
  static constexpr std::size_t max_record = 16 * 1024 + 512;

  NextLayer next;
  tlspp::memory_transport transport{outbox_limit};
  io_gate gate{transport};
  /// Exactly one of the two is set: a client, or an accepted connection.
  std::optional<tlspp::client> client;
  std::optional<tlspp::server_connection> accepted;
  /// The client's connect() was called (by the first handshake).
  bool connected = false;

  timer_type read_done{next.get_executor(), timer_type::time_point::max()};
  timer_type write_done{next.get_executor(), timer_type::time_point::max()};
  /// async_read_some operations in progress (at most one).
  int read_ops = 0;
  /// The peer's close_notify arrived / the peer's side ended without it.
  bool peer_closed = false;
  bool peer_truncated = false;
  /// The stream object is gone: operations still running end aborted.
  bool abandoned = false;
  /// Why the stream failed where the connection has no message: connect()
  /// threw, or the stream itself found a problem.
  std::string own_error;
  /// The connection failed (or was cut): the next operation to end lingers
  /// (see linger_sync), once; lingered says it has.
  bool must_linger = false;
  bool lingered = false;
  /// Bounds that drain in time (it cancels the socket's operations).
  timer_type linger_timer{next.get_executor()};

  /// async_shutdown's deadline, and the signal that cancels its inner
  /// operation when the deadline passes (or the caller cancels).
  timer_type shutdown_timer{next.get_executor()};
#if TLSPP_ASIO_HAS_CANCELLATION
  net::cancellation_signal shutdown_signal;
#else
  /// Without cancellation slots the deadline wakes the inner operation
  /// itself (interrupt_shutdown), which holds a socket operation when this
  /// is set.
  bool shutdown_on_socket = false;
#endif
  unsigned shutdown_generation = 0;
  unsigned shutdown_expired = 0;  ///< the generation whose deadline passed
  /// Where await_close_notify discards what arrives after our close_notify.
  std::array<std::byte, 512> scratch{};

  [[nodiscard]] tlspp::connection& conn() noexcept {
    if (client) return *client;
    return *accepted;
  }

  [[nodiscard]] bool outbox_empty() const noexcept { return transport.to_send().empty(); }

  /// libtls's (or tlspp's) explanation of the last failure.
  [[nodiscard]] const std::string& last_error() noexcept {
    const std::string& message = conn().error_message();
    return message.empty() ? own_error : message;
  }

  // --- the socket under the stream -------------------------------------

  /// Ends our side of the TCP stream (a FIN): after close_notify or a fatal
  /// alert nothing more is sent, and the FIN pushes out at once what the
  /// kernel still holds back (Nagle), so a close that follows cannot lose it.
  void shut_send() noexcept {
    if constexpr (socket_below<next_layer_type>) {
      error_code ignored;
      next.lowest_layer().shutdown(net::socket_base::shutdown_send, ignored);
    }
  }
  /// Closes the socket if the stream owns it (not a borrowed stream<socket&>).
  void close_owned() noexcept {
    if constexpr (!std::is_reference_v<NextLayer> && socket_below<next_layer_type>) {
      error_code ignored;
      next.lowest_layer().close(ignored);
    }
  }

#if !TLSPP_ASIO_HAS_CANCELLATION
  /// async_shutdown's deadline passed, on an Asio without cancellation
  /// slots: wake its inner operation, which then sees shutdown_expired and
  /// ends (io_op::cancelled). It may wait for a role (the timers wake it),
  /// or hold the socket's read or write: then only cancelling the socket's
  /// operations wakes it, and a read of the caller's in flight at that
  /// moment ends with operation_aborted too.
  void interrupt_shutdown() {
    read_done.cancel();
    write_done.cancel();
    if constexpr (socket_below<next_layer_type>) {
      error_code ignored;
      if (shutdown_on_socket) next.lowest_layer().cancel(ignored);
    }
  }
#endif

  // --- the reader and writer roles ------------------------------------

  /// Where a socket read puts ciphertext: libtls's buffer, then inbox room
  /// for what follows (memory_transport::receive_buffers says how much), so
  /// a small record's header and body take one read, a large body none
  /// of tlspp's copies.
  std::array<net::mutable_buffer, 2> begin_read() {
    gate.socket_reading = true;
    return receive_buffers();
  }
  std::array<net::mutable_buffer, 2> receive_buffers() {
    const tlspp::memory_transport::receive_spans in = transport.receive_buffers();
    return {net::buffer(in.in_place.data(), in.in_place.size()),
            net::buffer(in.ahead.data(), in.ahead.size())};
  }
  void end_read(std::size_t n, const error_code& ec) {
    gate.socket_reading = false;
    if (n > 0) transport.commit_received(n);
    if (ec == net::error::eof) transport.receive_end_of_stream();
    read_done.cancel();
  }
  std::span<const std::byte> begin_write() noexcept {
    gate.socket_writing = true;
    return transport.to_send();
  }
  void end_write(std::size_t n) {
    gate.socket_writing = false;
    transport.consume_sent(n);
    write_done.cancel();
  }

  // --- results ------------------------------------------------------------

  /// The error_code for a final tlspp result: the connection's own code
  /// (its message is last_error()), or eof for a read after close_notify.
  error_code failure(const tlspp::io_result& r, op_kind kind) {
    switch (r.status) {
      case io_status::closed:
        peer_closed = true;
        return kind == op_kind::read ? error_code{net::error::eof} : error_code{};
      case io_status::truncated:
        peer_truncated = true;
        must_linger = true;
        return to_error_code(error::stream_truncated);
      case io_status::failed:
        must_linger = true;
        // After a truncated read the connection keeps errc::truncated, so a
        // shutdown then reports the truncation, not a protocol error.
        if (const std::error_code ec = conn().error_code()) return to_error_code(ec);
        return to_error_code(error::protocol_error);
      default:
        return {};
    }
  }

  /// The stream found libtls wanting to send with nothing queued, which a
  /// want from the transport rules out: report it rather than spin.
  error_code stalled() {
    own_error = "libtls wants to send but nothing is queued";
    return to_error_code(tlspp::errc::backend_stalled);
  }

  /// A failed connection's last act: what libtls queued (its fatal alert)
  /// has been flushed; end our side, read and drop what the peer still
  /// sends for a moment (until its end of stream, linger_time or
  /// linger_bytes), then close the socket. Closing at once with the peer's
  /// bytes unread would make the kernel send a reset, which can destroy the
  /// alert before the peer reads it. This is the blocking form; io_op has
  /// the asynchronous one.
  void linger_sync() {
    if (lingered) return;
    lingered = true;
    shut_send();
    if constexpr (socket_below<next_layer_type>) {
      auto& socket = next.lowest_layer();
      const auto deadline = std::chrono::steady_clock::now() + linger_time;
      for (std::size_t drained = 0; drained < linger_bytes;) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        pollfd p{socket.native_handle(), POLLIN, 0};
        if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
        error_code ec;
        drained += next.read_some(net::buffer(scratch), ec);
        if (ec) break;
      }
    }
    close_owned();
  }

  // --- the blocking forms ---------------------------------------------

  void flush_sync(error_code& ec) {
    while (!ec && !outbox_empty()) {
      const auto out = transport.to_send();
      transport.consume_sent(net::write(next, net::buffer(out.data(), out.size()), ec));
    }
  }

  /// Runs `call` on the connection until it completes, moving ciphertext
  /// with blocking calls on the next layer.
  template <class Call>
  std::size_t run_sync(op_kind kind, Call&& call, error_code& ec) {
    ec = {};
    for (;;) {
      const tlspp::io_result r = call(conn());
      switch (r.status) {
        case io_status::ok:
          flush_sync(ec);
          if (kind == op_kind::read) ec = {};  // the data counts; a broken link shows next time
          return r.bytes;
        case io_status::want_send:
          if (outbox_empty()) {
            ec = stalled();
            return 0;
          }
          flush_sync(ec);
          if (ec) return 0;
          break;
        case io_status::want_recv: {
          flush_sync(ec);
          if (ec) return 0;
          const std::size_t n = next.read_some(receive_buffers(), ec);
          if (n > 0) transport.commit_received(n);
          if (ec == net::error::eof) {
            transport.receive_end_of_stream();
            ec = {};
          } else if (ec) {
            return 0;
          }
          break;
        }
        default: {
          ec = failure(r, kind);
          error_code ignored;  // best effort: an alert libtls queued
          flush_sync(ignored);
          if (r.status != io_status::closed) linger_sync();
          return 0;
        }
      }
    }
  }
};

}  // namespace tlspp::TLSPP_ASIO_FLAVOUR::detail
