#include "tlspp/connection.hpp"

#include <cstring>
#include <exception>
#include <string>
#include <utility>

#include "connection_state.hpp"
#include "server_state.hpp"
#include "tlspp/error.hpp"

namespace tlspp {
namespace detail {

connection_state::~connection_state() {
  if (ctx != nullptr) {
    with_configs_locked(conf.get(), nullptr, [this] {
      tls_free(ctx);
      return 0;
    });
  }
}

void connection_state::forget_connection() noexcept {
  owned_transport.reset();
  io = nullptr;
  callback_exception = nullptr;
  transport_errno = 0;
  transport_want = io_status::ok;
  transport_eof = false;
  handshake_done = false;
  close_done = false;
  failure.clear();
  failure_status = io_status::failed;
}

void connection_state::attach(std::unique_ptr<transport> owned, transport* borrowed) {
  forget_connection();
  owned_transport = std::move(owned);
  io = owned_transport ? owned_transport.get() : borrowed;
}

namespace {

/// Records what a transport answered so the driver can tell real wants
/// from libtls's own, and end of stream from truncation. A want reaches
/// libtls as `natural_want` (TLS_WANT_POLLIN for the read callback,
/// TLS_WANT_POLLOUT for the write callback), whichever the transport asked
/// for: LibreSSL's TLS 1.3 record layer fails the connection on a read that
/// wants to write or a write that wants to read ("unknown failure
/// occurred"). The transport's own want is kept for the tlspp call's result.
ssize_t record(connection_state& st, transfer t, ssize_t natural_want) noexcept {
  const std::ptrdiff_t v = t.value();
  if (t.is_want()) {
    st.transport_want =
        v == transfer::want_recv_value ? io_status::want_recv : io_status::want_send;
    return natural_want;
  }
  if (v == transfer::failed_value) st.transport_errno = t.errno_value();
  return static_cast<ssize_t>(v);
}

template <class Call>
ssize_t guarded(connection_state& st, ssize_t natural_want, Call&& call) noexcept {
  // No exception may unwind through libtls's C frames: keep it for the
  // tlspp call that is running, and fail the libtls call.
  try {
    return record(st, call(), natural_want);
  } catch (...) {
    st.callback_exception = std::current_exception();
    return -1;
  }
}

}  // namespace

ssize_t read_trampoline(::tls*, void* buf, size_t len, void* arg) noexcept {
  auto& st = *static_cast<connection_state*>(arg);
  return guarded(st, TLS_WANT_POLLIN, [&] {
    transfer t = st.io->read({static_cast<std::byte*>(buf), len});
    if (t.value() > static_cast<std::ptrdiff_t>(len)) {
      throw error{"transport read", "callback reported more bytes than the buffer holds"};
    }
    if (t == transfer::end_of_stream()) st.transport_eof = true;
    return t;
  });
}

ssize_t write_trampoline(::tls*, const void* buf, size_t len, void* arg) noexcept {
  auto& st = *static_cast<connection_state*>(arg);
  return guarded(st, TLS_WANT_POLLOUT, [&] {
    transfer t = st.io->write({static_cast<const std::byte*>(buf), len});
    if (t.value() > static_cast<std::ptrdiff_t>(len)) {
      throw error{"transport write", "callback reported more bytes than it was given"};
    }
    if (t.value() == 0 && len != 0) {
      // libtls reads 0 from a write as an error without a reason; say it.
      throw error{"transport write", "callback wrote 0 bytes; answer want_send() instead"};
    }
    return t;
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

io_result failure(connection_state& st, operation op, io_status status, std::string_view why) {
  std::string message{name_of(op)};
  message.append(": ").append(message_of(tls_error(st.ctx), why));
  if (st.transport_errno != 0) {
    message.append(" (transport: ").append(std::strerror(st.transport_errno)).append(")");
  } else if (st.transport_eof && status == io_status::failed) {
    message.append(" (the peer closed the transport)");
  }
  // Sticky: libtls must not be called again after a fatal error, and a
  // second call would lose the reason ("...: Success").
  st.failure = message;
  st.failure_status = status;
  return io_result{status, 0, std::move(message)};
}

/// The result of every call once the connection has failed or been cut:
/// recv keeps reporting a cut as truncated; anything else is unusable.
io_result failed_earlier(const connection_state& st, operation op) {
  if (op == operation::read && st.failure_status == io_status::truncated) {
    return io_result{io_status::truncated, 0, st.failure};
  }
  return io_result{io_status::failed, 0,
                   std::string{name_of(op)} + ": connection unusable: " + st.failure};
}

/// Marks the connection failed by a callback's exception, then rethrows it.
[[noreturn]] void rethrow_callback_exception(connection_state& st, operation op) {
  const std::exception_ptr e = std::exchange(st.callback_exception, nullptr);
  st.failure = std::string{name_of(op)} + ": the transport callback threw";
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    st.failure.append(": ").append(ex.what());
    throw;
  }
}

/// libtls may answer "want" after consuming a record that carried no data
/// (TLS 1.3 tickets, key updates) even though the transport never said it
/// would block; calling again is then all it needs. Bounded, so a backend
/// that keeps asking cannot spin forever.
constexpr int max_spurious_wants = 64;

io_result drive_handshake(connection_state& st);

/// Runs one libtls I/O call until it completes or the transport really
/// wants I/O, and turns its answer into an io_result.
template <class Call>
io_result drive(connection_state& st, operation op, Call&& call) {
  if (st.io == nullptr) {
    return io_result{io_status::failed, 0,
                     std::string{name_of(op)} + ": not connected (call connect() or accept())"};
  }
  if (!st.failure.empty()) return failed_earlier(st, op);
  if ((op == operation::read || op == operation::write) && !st.handshake_done) [[unlikely]] {
    // libtls would run the handshake inside the read or write; running it
    // apart makes a transport that ends mid-handshake a failed handshake,
    // never a truncated read.
    if (io_result r = drive_handshake(st); !r.ok()) return r;
  }
  for (int spins = 0;; ++spins) {
    st.transport_want = io_status::ok;
    st.transport_errno = 0;
    const ssize_t n = call();
    if (st.callback_exception) rethrow_callback_exception(st, op);
    if (n >= 0) {
      if (op == operation::read && n == 0) {
        if (st.transport_eof) {
          return failure(st, op, io_status::truncated,
                         "the peer closed the transport without close_notify");
        }
        return io_result{io_status::closed, 0, {}};
      }
      // Any completed handshake, read or write means the handshake is done.
      if (op != operation::close) st.handshake_done = true;
      return io_result{io_status::ok, static_cast<std::size_t>(n), {}};
    }
    if (n == TLS_WANT_POLLIN || n == TLS_WANT_POLLOUT) {
      if (st.transport_want != io_status::ok) return io_result{st.transport_want, 0, {}};
      if (spins == max_spurious_wants) {
        return io_result{n == TLS_WANT_POLLIN ? io_status::want_recv : io_status::want_send, 0, {}};
      }
      continue;
    }
    // Some backends report a cut stream as an error ("unexpected eof"),
    // others as end of stream: both are truncation when the transport ended
    // (after the handshake: see above).
    const bool cut = op == operation::read && st.transport_eof;
    return failure(st, op, cut ? io_status::truncated : io_status::failed, "failed");
  }
}

io_result drive_handshake(connection_state& st) {
  return drive(st, operation::handshake,
               [&] { return static_cast<ssize_t>(tls_handshake(st.ctx)); });
}

}  // namespace
}  // namespace detail

connection::connection(std::unique_ptr<detail::connection_state> state) noexcept
    : state_{std::move(state)} {}
connection::connection(connection&&) noexcept = default;
connection& connection::operator=(connection&&) noexcept = default;
connection::~connection() = default;

namespace {
[[noreturn, gnu::cold]] void throw_moved_from() {
  throw error{"connection", "used after it was moved from"};
}
}  // namespace

detail::connection_state& connection::live_state() const {
  if (!state_) [[unlikely]]
    throw_moved_from();
  return *state_;
}

io_result connection::handshake() {
  auto& st = live_state();
  if (st.handshake_done && st.failure.empty()) return {};
  return detail::drive_handshake(st);
}

io_result connection::recv(std::span<std::byte> buffer) {
  auto& st = live_state();
  if (buffer.empty()) return {};
  return detail::drive(st, detail::operation::read,
                       [&] { return tls_read(st.ctx, buffer.data(), buffer.size()); });
}

io_result connection::send(std::span<const std::byte> data) {
  auto& st = live_state();
  if (data.empty()) return {};
  return detail::drive(st, detail::operation::write,
                       [&] { return tls_write(st.ctx, data.data(), data.size()); });
}

io_result connection::send(std::string_view data) {
  return send(std::as_bytes(std::span{data.data(), data.size()}));
}

io_result connection::close() {
  auto& st = live_state();
  if (st.close_done) return {};
  io_result r = detail::drive(st, detail::operation::close,
                              [&] { return static_cast<ssize_t>(tls_close(st.ctx)); });
  if (r.ok()) {
    st.close_done = true;
    // libtls would let a later call start the handshake anyway.
    if (!st.handshake_done) st.failure = "closed before the handshake completed";
  }
  return r;
}

bool connection::handshake_done() const noexcept { return state_ && state_->handshake_done; }

bool connection::peer_cert_contains_name(std::string_view name) const {
  const std::string n{name};
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
