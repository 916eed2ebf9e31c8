// SPDX-License-Identifier: ISC
// Private side of tlspp::config.
#pragma once

#include <memory>
#include <mutex>

#include "libtls.hpp"
#include "tlspp/config.hpp"
#include "tlspp/error.hpp"

namespace tlspp::detail {

/// Owns a tls_config and the session file descriptor given to it.
///
/// libtls counts the contexts that use a config, and not every backend
/// updates that count atomically; tlspp therefore does every call that
/// changes it (configure, accept, reset, free) under `refcount_mutex`, which
/// makes one config safe to share between threads on any backend.
struct config_state {
  ::tls_config* handle = nullptr;
  int session_fd = -1;
  std::mutex refcount_mutex;

  config_state();
  ~config_state();
  config_state(const config_state&) = delete;
  config_state& operator=(const config_state&) = delete;

  /// The state of `conf`; throws tlspp::error (errc::moved_from) for a
  /// moved-from config.
  static std::shared_ptr<config_state> of(const config& conf) {
    if (!conf.state_) [[unlikely]] {
      throw error{errc::moved_from, "config", "used after it was moved from"};
    }
    return conf.state_;
  }
};

/// Runs `call` (a libtls call that drops `previous`'s count and/or raises
/// `next`'s) under the locks of both configs; either may be null.
template <class Call>
auto with_configs_locked(config_state* previous, config_state* next, Call&& call) {
  if (previous != nullptr && next != nullptr && previous != next) {
    std::scoped_lock both{previous->refcount_mutex, next->refcount_mutex};
    return call();
  }
  config_state* only = previous != nullptr ? previous : next;
  if (only == nullptr) {
    return call();
  }
  std::scoped_lock one{only->refcount_mutex};
  return call();
}

}  // namespace tlspp::detail
