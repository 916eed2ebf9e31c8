// SPDX-License-Identifier: ISC
// Detail of tlspp::asio::stream: close_notify out, the peer's in, a deadline.
// Included once per flavour (flavour_check.hpp says how).
#include "tlspp/asio/detail/flavour_check.hpp"

#include <chrono>
#include <memory>
#include <system_error>
#include <utility>

namespace tlspp::TLSPP_ASIO_FLAVOUR::detail {

/// async_shutdown: runs a `close` io_op, shuts the socket's write side
/// (nothing follows close_notify), then (wait_for_peer) runs an
/// `await_close_notify` io_op, both under one deadline. The inner
/// operations are bound to the core's shutdown_signal, which the deadline
/// timer emits when it passes and the caller's own cancellation is
/// forwarded to; a passed deadline completes with asio::error::timed_out.
/// (An Asio without cancellation slots has no signal: the timer wakes the
/// inner operation through stream_core::interrupt_shutdown.)
/// Before the handshake completed there is no session to end: close()
/// sends nothing and there is no close_notify to wait for.
template <class NextLayer>
class shutdown_op {
 public:
  shutdown_op(std::shared_ptr<stream_core<NextLayer>> core, shutdown_mode mode,
              std::chrono::steady_clock::duration timeout)
      : core_{std::move(core)}, mode_{mode}, timeout_{timeout} {}

  template <class Self>
  void operator()(Self& self, error_code ec = {}) {
    stream_core<NextLayer>& c = *core_;
    switch (phase_) {
      case phase::start:
        if (c.client && !c.connected) {
          // No handshake ever started: no TLS to end, only the socket's side.
          c.shut_send();
          phase_ = phase::awaiting;
          return net::post(c.next.get_executor(), std::move(self));
        }
        generation_ = ++c.shutdown_generation;
        c.shutdown_timer.expires_after(timeout_);
        c.shutdown_timer.async_wait(
            [core = core_, generation = generation_](const error_code& timer_ec) {
              if (timer_ec || core->shutdown_generation != generation) return;
              core->shutdown_expired = generation;
#if TLSPP_ASIO_HAS_CANCELLATION
              core->shutdown_signal.emit(net::cancellation_type::terminal);
#else
              core->interrupt_shutdown();
#endif
            });
        phase_ = phase::closing;
        return launch(self, op_kind::close);
      case phase::closing:
        if (!ec) c.shut_send();
        if (!ec && mode_ == shutdown_mode::wait_for_peer && c.conn().handshake_done()) {
          // The deadline may have passed while nothing was bound to the signal.
          if (c.shutdown_expired == generation_) {
            ec = net::error::operation_aborted;
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
    if (ec == net::error::operation_aborted && c.shutdown_expired == generation_ &&
        !cancelled_by_caller(self)) {
      ec = net::error::timed_out;
    }
    core_.reset();
    self.complete(ec);
  }

 private:
  enum class phase : unsigned char { start, closing, awaiting };

  template <class Self>
  static bool cancelled_by_caller([[maybe_unused]] Self& self) {
#if TLSPP_ASIO_HAS_CANCELLATION
    return self.get_cancellation_state().cancelled() != net::cancellation_type::none;
#else
    return false;
#endif
  }

  template <class Self>
  void launch(Self& self, op_kind kind) {
    stream_core<NextLayer>& c = *core_;
#if TLSPP_ASIO_HAS_CANCELLATION
    // The caller's cancellation reaches the inner operation through the
    // shutdown signal too (the slot is cleared each time this op resumes).
    auto slot = self.get_cancellation_state().slot();
    if (slot.is_connected()) {
      slot.assign(
          [core = core_](net::cancellation_type type) { core->shutdown_signal.emit(type); });
    }
    io_op<NextLayer, false> inner{core_, kind};  // before `self`, and core_ with it, moves
    auto handler = net::bind_cancellation_slot(c.shutdown_signal.slot(), std::move(self));
    net::async_compose<decltype(handler), void(error_code)>(std::move(inner), handler, c.next);
#else
    // No slots to bind: the deadline reaches the inner operation through
    // the core (stream_core::interrupt_shutdown).
    io_op<NextLayer, false> inner{core_, kind};
    Self handler = std::move(self);
    net::async_compose<Self, void(error_code)>(std::move(inner), handler, c.next);
#endif
  }

  std::shared_ptr<stream_core<NextLayer>> core_;
  shutdown_mode mode_;
  std::chrono::steady_clock::duration timeout_;
  unsigned generation_ = 0;
  phase phase_ = phase::start;
};

}  // namespace tlspp::TLSPP_ASIO_FLAVOUR::detail
