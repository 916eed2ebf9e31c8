// SPDX-License-Identifier: ISC
#include "tlspp/connection.hpp"

#include <cerrno>
#include <climits>
#include <cstring>
#include <exception>
#include <string>
#include <utility>

#include "c_string.hpp"
#include "connection_state.hpp"
#include "fd_transport.hpp"
#include "server_state.hpp"
#include "tlspp/error.hpp"

namespace tlspp {
namespace detail {

connection_state::~connection_state() {
  if (io != nullptr) io->detached();
  if (ctx != nullptr) {
    with_configs_locked(conf.get(), nullptr, [this] {
      tls_free(ctx);
      return 0;
    });
  }
}

void connection_state_deleter::operator()(connection_state* state) const noexcept {
  if (state->busy) {
    state->orphaned = true;  // the running call frees it (see call_scope)
  } else {
    delete state;
  }
}

void connection_state::fail(errc code, std::string message, io_status status) {
  failure_code = code;
  failure = std::move(message);
  failure_status = status;
}

void connection_state::throw_busy(std::string_view call) {
  throw error{errc::busy, call,
              "called from inside the connection's own transport callback, while a call of "
              "that connection is running"};
}

void connection_state::forget_connection() noexcept {
  if (io != nullptr) io->detached();
  owned_transport.reset();
  io = nullptr;
  callback_exception = nullptr;
  answered = {};
  transport_errno = 0;
  transport_problem = {};
  transport_eof = false;
  peer_records = {};
  handshake_done = false;
  close_done = false;
  peer_closed = false;
  pending_send = 0;
  failure_code = {};
  failure.clear();
  failure_status = io_status::failed;
}

void connection_state::attach(std::unique_ptr<transport> owned, transport* borrowed) {
  forget_connection();
  owned_transport = std::move(owned);
  io = owned_transport ? owned_transport.get() : borrowed;
}

namespace {

/// The answers of a transport that a healthy connection rarely sees: more
/// bytes than the buffer holds, end of stream, failure. Out of line, so the
/// per-record callbacks stay short.
[[gnu::cold, gnu::noinline]] ssize_t record_unusual(connection_state& st, transfer t,
                                                    io_status natural_status) noexcept {
  const std::ptrdiff_t v = t.value();
  if (t.is_end_of_stream() && natural_status == io_status::want_recv) {
    st.transport_eof = true;
    return 0;
  }
  st.answered.failed = true;
  st.transport_errno = v == transfer::failed_value ? t.errno_value() : 0;
  st.transport_problem = v > 0 ? "the callback reported more bytes than the buffer holds"
                         : t.is_end_of_stream() ? "a write callback answered end_of_stream()"
                                                : std::string_view{};
  return -1;
}

/// Records what a transport answered so the driver can tell real wants
/// from libtls's own, and end of stream from truncation. A want reaches
/// libtls as `natural_want` (TLS_WANT_POLLIN for the read callback,
/// TLS_WANT_POLLOUT for the write callback), whichever the transport asked
/// for: LibreSSL's TLS 1.3 record layer fails the connection on a read that
/// wants to write or a write that wants to read ("unknown failure
/// occurred"). The transport's own want is kept for the tlspp call's result.
/// `bytes(0)` is a want in the callback's own direction.
ssize_t record(connection_state& st, transfer t, std::size_t len, io_status natural_status,
               ssize_t natural_want) noexcept {
  const std::ptrdiff_t v = t.value();
  if (v > 0 && static_cast<std::size_t>(v) <= len) [[likely]] {
    st.answered.moved = true;
    return static_cast<ssize_t>(v);
  }
  if (v == 0 && len == 0) return 0;
  if (v == 0 || t.is_want()) {
    st.answered.want = v == 0                           ? natural_status
                       : v == transfer::want_recv_value ? io_status::want_recv
                                                        : io_status::want_send;
    return natural_want;
  }
  return record_unusual(st, t, natural_status);
}

template <class Call>
ssize_t guarded(connection_state& st, Call&& call) noexcept {
  // No exception may unwind through libtls's C frames: keep it for the
  // tlspp call that is running, and fail the libtls call.
  try {
    return call();
  } catch (...) {
    st.callback_exception = std::current_exception();
    return -1;
  }
}

}  // namespace

namespace {

ssize_t read_into(connection_state& st, std::span<std::byte> buffer) noexcept {
  return guarded(st, [&] {
    return record(st, st.io->read(buffer), buffer.size(), io_status::want_recv, TLS_WANT_POLLIN);
  });
}

/// Until the handshake is done, tlspp follows the peer's records too.
[[gnu::noinline]] ssize_t read_during_handshake(connection_state& st,
                                                std::span<std::byte> buffer) noexcept {
  const ssize_t n = read_into(st, buffer);
  if (n > 0) st.peer_records.feed(buffer.first(static_cast<size_t>(n)));
  return n;
}

}  // namespace

ssize_t read_trampoline(::tls*, void* buf, size_t len, void* arg) noexcept {
  auto& st = *static_cast<connection_state*>(arg);
  const std::span<std::byte> buffer{static_cast<std::byte*>(buf), len};
  if (!st.handshake_done) [[unlikely]]
    return read_during_handshake(st, buffer);
  return read_into(st, buffer);
}

ssize_t write_trampoline(::tls*, const void* buf, size_t len, void* arg) noexcept {
  auto& st = *static_cast<connection_state*>(arg);
  return guarded(st, [&] {
    return record(st, st.io->write({static_cast<const std::byte*>(buf), len}), len,
                  io_status::want_send, TLS_WANT_POLLOUT);
  });
}

namespace {

enum class operation { handshake, read, write, close };

constexpr std::string_view name_of(operation op) {
  switch (op) {
    case operation::handshake:
      return "handshake";
    case operation::read:
      return "recv";
    case operation::write:
      return "send";
    case operation::close:
      return "close";
  }
  return "?";
}

constexpr io_result failed_result{io_status::failed, 0};

// The failure paths below are marked cold and kept out of line, so that
// the per-record path of recv() and send() stays short: on small records
// the binding's cost is its share of the instruction cache as much as its
// instruction count.

/// Records a failure of `op` and returns its result.
[[gnu::cold, gnu::noinline]] io_result fail(connection_state& st, operation op, errc code,
                                            std::string_view why,
                                            io_status status = io_status::failed) {
  st.fail(code, std::string{name_of(op)}.append(": ").append(why), status);
  return io_result{status, 0};
}

/// A failure libtls reported: its message, or the transport's when the
/// transport failed (libtls would only say "read failed: Success").
[[gnu::cold, gnu::noinline]] io_result libtls_failure(connection_state& st, operation op) {
  // Some backends report a cut stream as an error ("unexpected eof"),
  // others as end of stream: both are truncation once the handshake is
  // done, and end the handshake before. Checked first: OpenSSL answers the
  // cut with an alert, whose write then fails on the closed socket, and
  // that failure is not the cause.
  if (st.transport_eof && op == operation::read && st.handshake_done) {
    return fail(st, op, errc::truncated, "the peer closed the transport without close_notify",
                io_status::truncated);
  }
  if (st.answered.failed && st.transport_errno == ETIMEDOUT && st.transport_problem.empty()) {
    // A socket's I/O limit (socket_timeouts::io), or a transport's own.
    return fail(st, op, errc::timed_out, timeout_reason(*st.io));
  }
  if (st.answered.failed) {
    std::string why{"the transport failed"};
    if (!st.transport_problem.empty()) {
      why.append(": ").append(st.transport_problem);
    } else if (st.transport_errno != 0) {
      why.append(": ").append(std::strerror(st.transport_errno));
    }
    return fail(st, op, errc::transport_failed, why);
  }
  std::string why{message_of(tls_error(st.ctx), "failed")};
  if (st.transport_eof) {
    why.append(" (the peer closed the transport)");
  }
  if (!st.handshake_done) {
    return fail(st, op,
                st.transport_eof ? errc::peer_closed_during_handshake : errc::handshake_failed,
                why);
  }
  return fail(st, op, errc::protocol_error, why);
}

/// The result of every call once the connection has failed or been cut:
/// recv keeps reporting a cut as truncated; anything else fails.
[[gnu::cold, gnu::noinline]] io_result failed_earlier(const connection_state& st, operation op) {
  if (op == operation::read && st.failure_status == io_status::truncated) {
    return io_result{io_status::truncated, 0};
  }
  return failed_result;
}

/// Marks the connection failed by a callback's exception, then rethrows it.
[[noreturn, gnu::cold, gnu::noinline]] void rethrow_callback_exception(connection_state& st,
                                                                       operation op) {
  const std::exception_ptr e = std::exchange(st.callback_exception, nullptr);
  std::string why = std::string{name_of(op)}.append(": the transport callback threw");
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    st.fail(errc::callback_threw, why.append(": ").append(ex.what()));
    throw;
  } catch (...) {
    st.fail(errc::callback_threw, why);
    throw;
  }
}

}  // namespace

/// Marks a connection busy for the length of one tlspp call, so that its
/// callbacks cannot re-enter it; frees it at the end if a callback
/// destroyed it meanwhile (connection_state_deleter).
class call_scope {
 public:
  explicit call_scope(connection_state& st) noexcept : st_{st} { st_.busy = true; }
  call_scope(const call_scope&) = delete;
  call_scope& operator=(const call_scope&) = delete;
  ~call_scope() {
    if (st_.orphaned) {
      st_.busy = false;
      delete &st_;
    } else {
      st_.busy = false;
    }
  }

 private:
  connection_state& st_;
};

namespace {

/// How many times in a row libtls may ask for I/O that its transport never
/// asked for, with no byte moving, before tlspp calls the backend stalled.
/// (Backends answer a want after consuming a record that carried no data,
/// a TLS 1.3 ticket or key update; calling again is then all they need.)
constexpr int max_idle_wants = 1024;

[[gnu::noinline]] io_result drive_handshake(connection_state& st);

/// A send() retried with fewer bytes than the call that wanted I/O.
[[gnu::cold, gnu::noinline]] io_result send_retry_mismatch(connection_state& st,
                                                           std::size_t offered);

/// One call of libtls, with what its callbacks will see cleared first.
template <class Call>
ssize_t call_libtls(connection_state& st, Call& call) {
  st.answered = {};
  return call();
}

/// Turns libtls's answer `n` to `call` into an io_result, calling again
/// while libtls asks for I/O that the transport never asked for.
template <operation op, class Call>
[[gnu::noinline]] io_result settle(connection_state& st, Call& call, ssize_t n) {
  for (int idle_wants = 0;; n = call_libtls(st, call)) {
    if (st.callback_exception) rethrow_callback_exception(st, op);
    if (st.orphaned) return failed_result;  // destroyed by its own callback
    if (n >= 0) {
      // Once the peer's close_notify has arrived, OpenSSL reports any failed
      // call as SSL_ERROR_ZERO_RETURN and libtls maps that to 0: a send()
      // or close() whose transport failed would pass for a success with
      // nothing sent. A write of a non-empty buffer never moves 0 bytes.
      if (n == 0 && op != operation::read && (st.answered.failed || op == operation::write)) {
        return libtls_failure(st, op);
      }
      if (op == operation::handshake) {
        // libtls reports success when the peer's close_notify (or the end
        // of its stream) interrupts the handshake: check it really ended.
        if (st.transport_eof) {
          return fail(st, op, errc::peer_closed_during_handshake,
                      "the peer closed the transport before the handshake completed");
        }
        if (st.peer_records.last_was_alert()) {
          return fail(st, op, errc::peer_closed_during_handshake,
                      st.peer_records.last_was_plaintext_close_notify()
                          ? "the peer sent close_notify before the handshake completed"
                          : "the peer sent an alert before the handshake completed");
        }
        st.handshake_done = true;
      }
      if (op == operation::read && n == 0) {
        if (st.transport_eof) {
          return fail(st, op, errc::truncated, "the peer closed the transport without close_notify",
                      io_status::truncated);
        }
        st.peer_closed = true;
        return io_result{io_status::closed, 0};
      }
      return io_result{io_status::ok, static_cast<std::size_t>(n)};
    }
    if (n == TLS_WANT_POLLIN || n == TLS_WANT_POLLOUT) {
      if (st.answered.want != io_status::ok) return io_result{st.answered.want, 0};
      if (st.answered.moved) {
        idle_wants = 0;
      } else if (++idle_wants == max_idle_wants) {
        return fail(st, op, errc::backend_stalled,
                    "libtls keeps asking for I/O that the transport never asked for");
      }
      continue;
    }
    return libtls_failure(st, op);
  }
}

/// Runs one libtls I/O call until it completes or the transport really
/// wants I/O, and turns its answer into an io_result.
template <operation op, class Call>
io_result drive(connection_state& st, Call&& call) {
  if (st.failed()) return failed_earlier(st, op);
  if (st.io == nullptr) [[unlikely]] {
    return fail(st, op, errc::misuse, "not connected (call connect() or accept())");
  }
  if constexpr (op == operation::read || op == operation::write) {
    if (!st.handshake_done) [[unlikely]] {
      // libtls would run the handshake inside the read or write; running it
      // apart makes a transport that ends mid-handshake a failed handshake,
      // never a truncated read.
      if (io_result r = drive_handshake(st); !r.ok()) return r;
    }
  }
  return settle<op>(st, call, call_libtls(st, call));
}

io_result send_retry_mismatch(connection_state& st, std::size_t offered) {
  return fail(st, operation::write, errc::send_retry_mismatch,
              "retried with " + std::to_string(offered) + " bytes after a call with " +
                  std::to_string(st.pending_send) + " wanted I/O: retry with the same data");
}

io_result drive_handshake(connection_state& st) {
  return drive<operation::handshake>(st,
                                     [&] { return static_cast<ssize_t>(tls_handshake(st.ctx)); });
}

/// libtls takes at most INT_MAX bytes per call ("buflen too long", and the
/// connection is dead): a larger buffer is served a prefix.
template <class T>
std::span<T> clamped(std::span<T> buffer) noexcept {
  constexpr std::size_t max = INT_MAX;
  return buffer.size() > max ? buffer.first(max) : buffer;
}

/// tls_read into `buffer` (at most INT_MAX bytes).
struct read_call {
  connection_state& st;
  std::span<std::byte> buffer;
  ssize_t operator()() const { return tls_read(st.ctx, buffer.data(), buffer.size()); }
};

/// tls_write of `data` (at most INT_MAX bytes).
struct write_call {
  connection_state& st;
  std::span<const std::byte> data;
  ssize_t operator()() const { return tls_write(st.ctx, data.data(), data.size()); }
};

/// A send that wanted I/O must be retried with as many bytes; one that
/// completed frees the next from that.
io_result note_pending_send(connection_state& st, std::size_t offered, io_result r) noexcept {
  if (r.want_io()) {
    st.pending_send = offered;
  } else if (r.ok()) {
    st.pending_send = 0;
  }
  return r;
}

/// recv() in every state: misuse, failure, end of stream, the handshake
/// still to run.
[[gnu::noinline]] io_result recv_general(connection_state& st, std::span<std::byte> buffer) {
  st.check_not_busy("connection::recv");
  if (st.failed()) return failed_earlier(st, operation::read);
  if (st.peer_closed) return io_result{io_status::closed, 0};
  if (buffer.empty()) return {};
  const call_scope scope{st};
  return drive<operation::read>(st, read_call{st, clamped(buffer)});
}

/// send() in every state, the retry of a send that wanted I/O included.
[[gnu::noinline]] io_result send_general(connection_state& st, std::span<const std::byte> data) {
  st.check_not_busy("connection::send");
  if (st.failed()) return failed_earlier(st, operation::write);
  if (data.empty()) return {};
  const std::span<const std::byte> b = clamped(data);
  if (b.size() < st.pending_send) [[unlikely]] {
    return send_retry_mismatch(st, b.size());
  }
  const call_scope scope{st};
  return note_pending_send(st, b.size(), drive<operation::write>(st, write_call{st, b}));
}

}  // namespace
}  // namespace detail

connection::connection(state_ptr state) noexcept : state_{std::move(state)} {}
connection::connection(connection&&) noexcept = default;
connection& connection::operator=(connection&&) noexcept = default;
connection::~connection() = default;

namespace {
[[noreturn, gnu::cold, gnu::noinline]] void throw_moved_from() {
  throw error{errc::moved_from, "connection", "used after it was moved from"};
}
}  // namespace

detail::connection_state& connection::live_state() const {
  if (!state_) [[unlikely]]
    throw_moved_from();
  return *state_;
}

io_result connection::handshake() {
  auto& st = live_state();
  st.check_not_busy("connection::handshake");
  if (st.handshake_done && !st.failed()) return {};
  const detail::call_scope scope{st};
  return detail::drive_handshake(st);
}

io_result connection::recv(std::span<std::byte> buffer) {
  auto& st = live_state();
  // The call of every record, kept short; anything else (and any answer
  // but data) takes the general path, which handles every case.
  if (!st.ready_for_data() || buffer.empty()) [[unlikely]]
    return detail::recv_general(st, buffer);
  detail::read_call call{st, detail::clamped(buffer)};
  const detail::call_scope scope{st};
  const ssize_t n = detail::call_libtls(st, call);
  if (n > 0 && !st.callback_exception && !st.orphaned) [[likely]] {
    return io_result{io_status::ok, static_cast<std::size_t>(n)};
  }
  return detail::settle<detail::operation::read>(st, call, n);
}

io_result connection::send(std::span<const std::byte> data) {
  auto& st = live_state();
  // As recv: a send that is not the retry of one that wanted I/O.
  if (!st.ready_for_data() || data.empty() || st.pending_send != 0) [[unlikely]] {
    return detail::send_general(st, data);
  }
  detail::write_call call{st, detail::clamped(data)};
  const detail::call_scope scope{st};
  const ssize_t n = detail::call_libtls(st, call);
  if (n > 0 && !st.callback_exception && !st.orphaned) [[likely]] {
    return io_result{io_status::ok, static_cast<std::size_t>(n)};
  }
  return detail::note_pending_send(st, call.data.size(),
                                   detail::settle<detail::operation::write>(st, call, n));
}

io_result connection::send(std::string_view data) {
  return send(std::as_bytes(std::span{data.data(), data.size()}));
}

io_result connection::close() {
  auto& st = live_state();
  st.check_not_busy("connection::close");
  if (st.close_done) return {};
  if (st.failed()) return detail::failed_earlier(st, detail::operation::close);
  if (!st.handshake_done && st.io != nullptr) {
    // Nothing to notify; libtls would fail ("shutdown while in init") or,
    // worse, let a later call start the handshake anyway.
    st.close_done = true;
    st.fail(errc::closed_before_handshake, "close: closed before the handshake completed");
    return {};
  }
  const detail::call_scope scope{st};
  const io_result r = detail::drive<detail::operation::close>(
      st, [&] { return static_cast<ssize_t>(tls_close(st.ctx)); });
  if (r.ok()) st.close_done = true;
  return r;
}

bool connection::handshake_done() const noexcept { return state_ && state_->handshake_done; }

std::error_code connection::error_code() const noexcept {
  if (!state_ || !state_->failed()) return {};
  return make_error_code(state_->failure_code);
}

const std::string& connection::error_message() const noexcept {
  static const std::string none;
  return state_ ? state_->failure : none;
}

bool connection::peer_cert_contains_name(std::string_view name) const {
  const std::string n = detail::c_string(name, "connection::peer_cert_contains_name: name");
  return tls_peer_cert_contains_name(live_state().ctx, n.c_str()) == 1;
}

void* connection::native_handle() const noexcept { return state_ ? state_->ctx : nullptr; }

const char* to_string(io_status status) noexcept {
  switch (status) {
    case io_status::ok:
      return "ok";
    case io_status::want_recv:
      return "want_recv";
    case io_status::want_send:
      return "want_send";
    case io_status::closed:
      return "closed";
    case io_status::truncated:
      return "truncated";
    case io_status::failed:
      return "failed";
  }
  return "unknown";
}

}  // namespace tlspp
