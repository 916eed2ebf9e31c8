// SPDX-License-Identifier: ISC
// Private side of tlspp::server.
#pragma once

#include <memory>

#include "config_state.hpp"
#include "libtls.hpp"

namespace tlspp::detail {

/// A configured libtls server context, shared by the server object and every
/// connection accepted from it.
struct server_state {
  ::tls* ctx = nullptr;
  std::shared_ptr<config_state> conf;

  explicit server_state(std::shared_ptr<config_state> c);
  ~server_state();
  server_state(const server_state&) = delete;
  server_state& operator=(const server_state&) = delete;
};

}  // namespace tlspp::detail
