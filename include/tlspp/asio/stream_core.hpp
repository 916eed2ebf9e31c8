// Detail of tlspp::asio::stream: the state its operations share.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>

#include <asio/basic_waitable_timer.hpp>
#include <asio/buffer.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/error.hpp>
#include <asio/write.hpp>

#include "tlspp/asio/error.hpp"
#include "tlspp/client.hpp"
#include "tlspp/connection.hpp"
#include "tlspp/io_result.hpp"
#include "tlspp/memory_transport.hpp"
#include "tlspp/server.hpp"
#include "tlspp/transport.hpp"

namespace tlspp::asio::detail {

/// Stands between libtls and the memory_transport while a socket operation
/// works on the transport's memory. During a socket read into
/// receive_buffer() (libtls's own buffer), a read callback must not replace
/// that buffer: it answers want_recv. During a socket write of to_send(),
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
/// read in flight, into receive_buffer()) and the writer (one socket write
/// of to_send() in flight). An operation that needs a role someone else
/// holds waits on read_done/write_done: timers that never expire, used as
/// condition variables (cancel() wakes every waiter), as Asio's ssl does.
template <class NextLayer>
struct stream_core {
  using next_layer_type = std::remove_reference_t<NextLayer>;
  using executor_type = typename next_layer_type::executor_type;
  using timer_type =
      ::asio::basic_waitable_timer<std::chrono::steady_clock,
                                   ::asio::wait_traits<std::chrono::steady_clock>, executor_type>;

  template <class Arg>
  stream_core(Arg&& arg, const tlspp::config& client_config)
      : next(std::forward<Arg>(arg)), client(std::in_place, client_config) {}

  template <class Arg>
  stream_core(Arg&& arg, tlspp::server& server)
      : next(std::forward<Arg>(arg)), accepted(std::in_place, server.accept(gate)) {}

  stream_core(const stream_core&) = delete;
  stream_core& operator=(const stream_core&) = delete;
  ~stream_core() = default;

  NextLayer next;
  tlspp::memory_transport transport;
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
  std::string last_error;

  /// async_shutdown's deadline, and the signal that cancels its inner
  /// operation when the deadline passes (or the caller cancels).
  timer_type shutdown_timer{next.get_executor()};
  ::asio::cancellation_signal shutdown_signal;
  unsigned shutdown_generation = 0;
  unsigned shutdown_expired = 0;  ///< the generation whose deadline passed
  /// Where await_close_notify discards what arrives after our close_notify.
  std::array<std::byte, 512> scratch{};

  [[nodiscard]] tlspp::connection& conn() noexcept {
    if (client) return *client;
    return *accepted;
  }

  [[nodiscard]] bool outbox_empty() const noexcept { return transport.to_send().empty(); }

  // --- the reader and writer roles ------------------------------------

  std::span<std::byte> begin_read() {
    gate.socket_reading = true;
    return transport.receive_buffer();
  }
  void end_read(std::size_t n, const std::error_code& ec) {
    gate.socket_reading = false;
    if (n > 0) transport.commit_received(n);
    if (ec == ::asio::error::eof) transport.receive_end_of_stream();
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

  /// The error_code for a final tlspp result; keeps libtls's message.
  std::error_code failure(const tlspp::io_result& r, op_kind kind) {
    switch (r.status) {
      case io_status::closed:
        peer_closed = true;
        return kind == op_kind::read ? std::error_code{::asio::error::eof} : std::error_code{};
      case io_status::truncated:
        peer_truncated = true;
        last_error = conn().error_message();
        return error::stream_truncated;
      case io_status::failed:
        last_error = conn().error_message();
        return conn().handshake_done() ? error::protocol_error : error::handshake_failed;
      default:
        return {};
    }
  }

  // --- the blocking forms ---------------------------------------------

  void flush_sync(std::error_code& ec) {
    while (!ec && !outbox_empty()) {
      const auto out = transport.to_send();
      transport.consume_sent(::asio::write(next, ::asio::buffer(out.data(), out.size()), ec));
    }
  }

  /// Runs `call` on the connection until it completes, moving ciphertext
  /// with blocking calls on the next layer.
  template <class Call>
  std::size_t run_sync(op_kind kind, Call&& call, std::error_code& ec) {
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
            last_error = "libtls wants to send but nothing is queued";
            ec = error::protocol_error;
            return 0;
          }
          flush_sync(ec);
          if (ec) return 0;
          break;
        case io_status::want_recv: {
          flush_sync(ec);
          if (ec) return 0;
          const std::span<std::byte> in = transport.receive_buffer();
          const std::size_t n = next.read_some(::asio::buffer(in.data(), in.size()), ec);
          if (n > 0) transport.commit_received(n);
          if (ec == ::asio::error::eof) {
            transport.receive_end_of_stream();
            ec = {};
          } else if (ec) {
            return 0;
          }
          break;
        }
        default: {
          ec = failure(r, kind);
          std::error_code ignored;  // best effort: an alert libtls queued
          flush_sync(ignored);
          return 0;
        }
      }
    }
  }
};

}  // namespace tlspp::asio::detail
