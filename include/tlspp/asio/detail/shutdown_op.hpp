// Detail of tlspp::asio::stream: close_notify out, the peer's in, a deadline.
#pragma once

#include <chrono>
#include <memory>
#include <system_error>
#include <utility>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_type.hpp>
#include <asio/compose.hpp>
#include <asio/error.hpp>
#include <asio/post.hpp>

#include "tlspp/asio/detail/io_op.hpp"
#include "tlspp/asio/detail/stream_core.hpp"
#include "tlspp/asio/shutdown_mode.hpp"

namespace tlspp::asio::detail {

/// async_shutdown: runs a `close` io_op, shuts the socket's write side
/// (nothing follows close_notify), then (wait_for_peer) runs an
/// `await_close_notify` io_op, both under one deadline. The inner
/// operations are bound to the core's shutdown_signal, which the deadline
/// timer emits when it passes and the caller's own cancellation is
/// forwarded to; a passed deadline completes with asio::error::timed_out.
/// Before the handshake completed there is no session to end: close()
/// sends nothing and there is no close_notify to wait for.
template <class NextLayer>
class shutdown_op {
 public:
  shutdown_op(std::shared_ptr<stream_core<NextLayer>> core, shutdown_mode mode,
              std::chrono::steady_clock::duration timeout)
      : core_{std::move(core)}, mode_{mode}, timeout_{timeout} {}

  template <class Self>
  void operator()(Self& self, std::error_code ec = {}) {
    stream_core<NextLayer>& c = *core_;
    switch (phase_) {
      case phase::start:
        if (c.client && !c.connected) {
          // No handshake ever started: no TLS to end, only the socket's side.
          c.shut_send();
          phase_ = phase::awaiting;
          return ::asio::post(c.next.get_executor(), std::move(self));
        }
        generation_ = ++c.shutdown_generation;
        c.shutdown_timer.expires_after(timeout_);
        c.shutdown_timer.async_wait(
            [core = core_, generation = generation_](const std::error_code& timer_ec) {
              if (timer_ec || core->shutdown_generation != generation) return;
              core->shutdown_expired = generation;
              core->shutdown_signal.emit(::asio::cancellation_type::terminal);
            });
        phase_ = phase::closing;
        return launch(self, op_kind::close);
      case phase::closing:
        if (!ec) c.shut_send();
        if (!ec && mode_ == shutdown_mode::wait_for_peer && c.conn().handshake_done()) {
          // The deadline may have passed while nothing was bound to the signal.
          if (c.shutdown_expired == generation_) {
            ec = ::asio::error::operation_aborted;
            break;
          }
          phase_ = phase::awaiting;
          return launch(self, op_kind::await_close_notify);
        }
        break;
      case phase::awaiting:
        break;
    }
    c.shutdown_timer.cancel();
    if (ec == ::asio::error::operation_aborted && c.shutdown_expired == generation_ &&
        self.get_cancellation_state().cancelled() == ::asio::cancellation_type::none) {
      ec = ::asio::error::timed_out;
    }
    core_.reset();
    self.complete(ec);
  }

 private:
  enum class phase : unsigned char { start, closing, awaiting };

  template <class Self>
  void launch(Self& self, op_kind kind) {
    stream_core<NextLayer>& c = *core_;
    // The caller's cancellation reaches the inner operation through the
    // shutdown signal too (the slot is cleared each time this op resumes).
    auto slot = self.get_cancellation_state().slot();
    if (slot.is_connected()) {
      slot.assign(
          [core = core_](::asio::cancellation_type type) { core->shutdown_signal.emit(type); });
    }
    io_op<NextLayer, false> inner{core_, kind};  // before `self`, and core_ with it, moves
    auto handler = ::asio::bind_cancellation_slot(c.shutdown_signal.slot(), std::move(self));
    ::asio::async_compose<decltype(handler), void(std::error_code)>(std::move(inner), handler,
                                                                    c.next);
  }

  std::shared_ptr<stream_core<NextLayer>> core_;
  shutdown_mode mode_;
  std::chrono::steady_clock::duration timeout_;
  unsigned generation_ = 0;
  phase phase_ = phase::start;
};

}  // namespace tlspp::asio::detail
