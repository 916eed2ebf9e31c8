// SPDX-License-Identifier: ISC
// tlspp::coro: a connection's I/O calls as C++20 coroutines, for any
// scheduler. Header-only; needs nothing but the standard library.
//
//     tlspp::io_result r = co_await tlspp::coro::recv(conn, buffer, waiter);
//
// Each operation calls the connection; when it answers want_recv or
// want_send, the operation suspends and hands its coroutine to the waiter,
// which resumes it when the transport can make progress; then it calls the
// connection again. The co_await yields only final results: ok, closed,
// truncated or failed, never a want; after truncated or failed, the
// connection's error_code() and error_message() say why.
#pragma once

/// \namespace tlspp::coro
/// A connection's I/O calls as C++20 coroutines for any scheduler
/// (<tlspp/coro.hpp>): each suspends on a want and hands its coroutine to a
/// tlspp::coro::waiter, which resumes it when the transport can go on.

#include <concepts>
#include <coroutine>
#include <cstddef>
#include <span>
#include <string_view>

#include "tlspp/connection.hpp"
#include "tlspp/coro/task.hpp"
#include "tlspp/io_result.hpp"

namespace tlspp::coro {

/// The one thing a scheduler provides: an object with a member
/// `void wait(tlspp::io_status want, std::coroutine_handle<> h)`, such as
/// this one, for a loop on one thread:
///
/// \code
/// #include <tlspp/coro.hpp>
///
/// #include <coroutine>
/// #include <vector>
///
/// // Keeps each suspended operation; the loop resumes them (and clears the
/// // list) once the socket is readable or writable.
/// struct loop_waiter {
///   std::vector<std::coroutine_handle<>> wanting_recv, wanting_send;
///   void wait(tlspp::io_status want, std::coroutine_handle<> h) {
///     (want == tlspp::io_status::want_recv ? wanting_recv : wanting_send).push_back(h);
///   }
/// };
/// static_assert(tlspp::coro::waiter<loop_waiter>);
///
/// // Echoes one message back.
/// tlspp::coro::task<tlspp::io_result> echo_once(tlspp::connection& conn, loop_waiter& w) {
///   std::byte buf[1024];
///   const tlspp::io_result r = co_await tlspp::coro::recv(conn, buf, w);
///   if (!r) co_return r;
///   co_return co_await tlspp::coro::send(conn, std::span<const std::byte>{buf, r.bytes}, w);
/// }
/// \endcode
///
/// An operation calls `w.wait(want, h)` after its coroutine `h` has
/// suspended, because the connection answered `want`:
///  - io_status::want_recv: the transport needs bytes from the peer (with
///    memory_transport: read_pending() is true; deliver into
///    receive_buffer());
///  - io_status::want_send: the transport cannot take more bytes to send
///    (with memory_transport: the outbox is full; drain to_send()).
///
/// The waiter must resume `h` exactly once, later, from the loop that drives
/// it, not from inside wait() (that would nest one stack frame per retry).
/// It should do so when the want may be met: bytes or end of stream reached
/// the transport, or the transport can take bytes again. A resumption that
/// comes early costs only a retry: the operation calls the connection
/// again and, if it still wants, calls wait() again. The waiter must not
/// destroy `h`: it belongs to the operation. To abandon a suspended
/// coroutine, destroy the root task that (indirectly) awaits it and drop
/// `h` without resuming it.
///
/// wait() may throw; the exception comes out of the co_await. A waiter
/// usually serves one connection (it knows which transport to watch); an
/// operation may want_send during recv() and want_recv during send(), and a
/// reader and a writer coroutine may wait on one connection at once, so a
/// waiter should keep every handle it is given. The coroutine resumes on
/// the thread that resumes `h`.
template <class W>
concept waiter = requires(W& w, io_status want, std::coroutine_handle<> h) {
  { w.wait(want, h) } -> std::same_as<void>;
};

namespace detail {

/// Suspends the operation and gives its handle to the waiter.
template <class W>
class resume_when_ready {
 public:
  resume_when_ready(W& w, io_status want) noexcept : waiter_{w}, want_{want} {}
  bool await_ready() const noexcept { return false; }
  // The waiter may resume `h` on another thread as soon as it has it: touch
  // nothing of this awaiter after the call.
  void await_suspend(std::coroutine_handle<> h) const { waiter_.wait(want_, h); }
  void await_resume() const noexcept {}

 private:
  W& waiter_;
  io_status want_;
};

/// Calls `call()` until it answers something other than a want.
template <class W, class Call>
task<io_result> until_done(W& w, Call call) {
  for (;;) {
    io_result r = call();
    if (!r.want_io()) co_return r;
    co_await resume_when_ready<W>{w, r.status};
  }
}

}  // namespace detail

// Every operation below is a lazy task: co_await it in the expression that
// calls it. It refers to the connection, the buffer or data, and the waiter
// until it finishes, so they must outlive it. Each operation is one
// coroutine frame, allocated with operator new unless the compiler elides
// it; waiting and retrying allocate nothing. An exception thrown by a
// transport callback (or by the waiter) comes out of the co_await; the
// connection is failed afterwards, as after any throwing callback.

/// Runs the handshake: ok (at once if it is already done), or failed.
template <waiter W>
task<io_result> handshake(connection& conn, W& w) {
  return detail::until_done(w, [&conn] { return conn.handshake(); });
}

/// Receives plaintext into `buffer`: ok with the byte count (at least 1,
/// unless the buffer is empty), closed when the peer sent close_notify,
/// truncated when the transport ended without it, or failed.
template <waiter W>
task<io_result> recv(connection& conn, std::span<std::byte> buffer, W& w) {
  return detail::until_done(w, [&conn, buffer] { return conn.recv(buffer); });
}

/// Sends all of `data` (unlike connection::send(), which may send a prefix):
/// ok with bytes == data.size(), or failed (how much went out before the
/// failure is unknown).
template <waiter W>
task<io_result> send(connection& conn, std::span<const std::byte> data, W& w) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    io_result r = conn.send(data.subspan(sent));
    if (r.want_io()) {
      // Retried with the same bytes, as connection::send() requires.
      co_await detail::resume_when_ready<W>{w, r.status};
      continue;
    }
    if (!r.ok()) co_return r;
    sent += r.bytes;
  }
  co_return io_result{io_status::ok, sent};
}

/// The same, for text.
template <waiter W>
task<io_result> send(connection& conn, std::string_view data, W& w) {
  return coro::send(conn, std::as_bytes(std::span{data.data(), data.size()}), w);
}

/// Sends close_notify: ok once it is handed to the transport (or if it was
/// already sent), or failed. It does not wait for the peer's close_notify:
/// co_await recv() until it answers closed for that. With memory_transport,
/// close_notify is still in the outbox when this returns: drain to_send()
/// before closing the socket.
template <waiter W>
task<io_result> close(connection& conn, W& w) {
  return detail::until_done(w, [&conn] { return conn.close(); });
}

}  // namespace tlspp::coro
