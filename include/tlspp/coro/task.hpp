// SPDX-License-Identifier: ISC
// tlspp::coro::task: a lazy coroutine that runs when it is awaited.
#pragma once

#include <atomic>
#include <coroutine>
#include <exception>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace tlspp::coro {

template <class T = void>
class task;

namespace detail {

/// What every task's promise holds besides its value: who awaits it, its
/// exception, and the flag that lets an awaiter and a finishing task agree
/// on who resumes the awaiter.
///
/// Why not symmetric transfer: returning the next coroutine from
/// await_suspend keeps the stack flat only when the compiler turns that
/// resume into a tail call, and GCC 12 does not at -O0/-O1 or under ASan
/// (a loop of a few million synchronously finishing co_awaits overflows the
/// stack). So the awaiter runs the task inside await_suspend; if the task
/// finished by the time it returns, the awaiter does not suspend at all
/// (stack flat, no matter how many tasks finish synchronously); if the task
/// suspended, the task resumes the awaiter when it finishes. `handoff` is
/// set by whichever of the two gets there first; the second one acts. It is
/// atomic because a waiter may resume the task on another thread before the
/// awaiter's await_suspend has returned.
class task_promise_base {
 public:
  std::suspend_always initial_suspend() const noexcept { return {}; }

  struct final_awaiter {
    bool await_ready() const noexcept { return false; }
    template <class Promise>
    void await_suspend(std::coroutine_handle<Promise> finished) const noexcept {
      task_promise_base& p = finished.promise();
      // Read before the exchange: once the awaiter saw the flag, it may
      // destroy this frame.
      const std::coroutine_handle<> awaiter = p.continuation_;
      if (p.handoff_.exchange(true, std::memory_order_acq_rel) && awaiter) awaiter.resume();
    }
    void await_resume() const noexcept {}
  };
  final_awaiter final_suspend() const noexcept { return {}; }

  void unhandled_exception() noexcept { exception_ = std::current_exception(); }

  /// Runs the task until it suspends or finishes; true when the caller must
  /// suspend (the task will resume `awaiter` when it finishes).
  bool run_for(std::coroutine_handle<> self, std::coroutine_handle<> awaiter) noexcept {
    continuation_ = awaiter;
    self.resume();
    return !handoff_.exchange(true, std::memory_order_acq_rel);
  }

  void rethrow_if_failed() const {
    if (exception_) std::rethrow_exception(exception_);
  }

 private:
  std::coroutine_handle<> continuation_;
  std::atomic<bool> handoff_{false};
  std::exception_ptr exception_;
};

template <class T>
class task_promise final : public task_promise_base {
 public:
  task<T> get_return_object() noexcept;

  void return_value(T value) noexcept(std::is_nothrow_move_constructible_v<T>) {
    value_.emplace(std::move(value));
  }

  T take_result() {
    rethrow_if_failed();
    return std::move(*value_);
  }

 private:
  std::optional<T> value_;
};

template <>
class task_promise<void> final : public task_promise_base {
 public:
  task<void> get_return_object() noexcept;
  void return_void() const noexcept {}
  void take_result() const { rethrow_if_failed(); }
};

}  // namespace detail

/// A coroutine returning `T` (an object type, or void) that does nothing
/// until it is awaited or started: `co_await some_task()` runs it and
/// yields its value, or rethrows the exception that left its body.
///
/// Each task is awaited once. A task awaited from another task resumes it
/// when it finishes; however many tasks finish without suspending, the
/// stack does not grow (see detail::task_promise_base for how). The root
/// of a chain, which no coroutine awaits, is run with start() by whatever
/// drives the program; it then runs until it suspends, and its waiters
/// resume it from there on.
///
/// Move-only. Destroying a task destroys its coroutine frame: a task that
/// was never started runs nothing; a suspended one is abandoned, and with
/// it every task it awaits (whoever holds a handle to resume must drop it).
/// The frame is allocated with operator new unless the compiler elides it.
///
/// Thread safety: a task may finish on another thread than the one that
/// awaits it (the handoff is atomic); one task must not be used from two
/// threads at once.
template <class T>
class [[nodiscard]] task {
  static_assert(std::is_void_v<T> || (std::is_object_v<T> && !std::is_array_v<T>),
                "task<T>: T must be void or an object type");

 public:
  /// What the compiler uses to build the coroutine (internal).
  using promise_type = detail::task_promise<T>;

  /// Takes over the coroutine; the source is left empty.
  task(task&& other) noexcept
      : frame_{std::exchange(other.frame_, {})}, started_{std::exchange(other.started_, false)} {}
  /// Destroys this task's coroutine and takes over the source's.
  task& operator=(task&& other) noexcept {
    if (this != &other) {
      if (frame_) frame_.destroy();
      frame_ = std::exchange(other.frame_, {});
      started_ = std::exchange(other.started_, false);
    }
    return *this;
  }
  task(const task&) = delete;
  task& operator=(const task&) = delete;
  ~task() {
    if (frame_) frame_.destroy();
  }

  /// Awaiting runs the task; the co_await yields its value or rethrows.
  auto operator co_await() && {
    struct awaiter {
      std::coroutine_handle<promise_type> frame;
      bool await_ready() const noexcept { return false; }
      bool await_suspend(std::coroutine_handle<> caller) noexcept {
        return frame.promise().run_for(frame, caller);
      }
      T await_resume() { return frame.promise().take_result(); }
    };
    if (!frame_ || started_) throw std::logic_error{"task: empty or already started"};
    started_ = true;
    return awaiter{frame_};
  }

  /// Runs a task that no coroutine awaits until it first suspends or
  /// finishes. Call it once, from the thread that drives the task.
  void start() {
    if (!frame_ || started_) throw std::logic_error{"task::start: empty or already started"};
    started_ = true;
    frame_.resume();
  }

  /// True once the body has returned or thrown.
  [[nodiscard]] bool done() const noexcept { return frame_ && frame_.done(); }

  /// After done(): the value (moved out), or the exception rethrown.
  T result() {
    if (!done()) throw std::logic_error{"task::result: the task has not finished"};
    return frame_.promise().take_result();
  }

 private:
  friend promise_type;
  explicit task(std::coroutine_handle<promise_type> frame) noexcept : frame_{frame} {}

  std::coroutine_handle<promise_type> frame_;
  bool started_ = false;
};

namespace detail {

template <class T>
task<T> task_promise<T>::get_return_object() noexcept {
  return task<T>{std::coroutine_handle<task_promise<T>>::from_promise(*this)};
}

inline task<void> task_promise<void>::get_return_object() noexcept {
  return task<void>{std::coroutine_handle<task_promise<void>>::from_promise(*this)};
}

}  // namespace detail
}  // namespace tlspp::coro
