// SPDX-License-Identifier: ISC
#include "tlspp/server.hpp"

#include <string>

#include "connection_state.hpp"
#include "fd_transport.hpp"
#include "server_state.hpp"
#include "tlspp/error.hpp"

namespace tlspp {
namespace detail {

server_state::server_state(std::shared_ptr<config_state> c) : conf{std::move(c)} {
  ensure_libtls_initialized();
  ctx = tls_server();
  if (ctx == nullptr) throw error{errc::out_of_memory, "server", "tls_server failed"};
  const int rc =
      with_configs_locked(nullptr, conf.get(), [&] { return tls_configure(ctx, conf->handle); });
  if (rc != 0) {
    const error e{errc::config_rejected, "server: configure",
                  message_of(tls_error(ctx), "rejected the config")};
    with_configs_locked(conf.get(), nullptr, [&] {
      tls_free(ctx);
      return 0;
    });
    throw e;
  }
}

server_state::~server_state() {
  with_configs_locked(conf.get(), nullptr, [&] {
    tls_free(ctx);
    return 0;
  });
}

}  // namespace detail

server_connection::server_connection(state_ptr state) noexcept : connection{std::move(state)} {}
server_connection::server_connection(server_connection&&) noexcept = default;
server_connection& server_connection::operator=(server_connection&&) noexcept = default;
server_connection::~server_connection() = default;

server::server(const config& conf)
    : state_{std::make_shared<detail::server_state>(detail::config_state::of(conf))} {}
server::server(server&&) noexcept = default;
server& server::operator=(server&&) noexcept = default;
server::~server() = default;

void server::reset(const config& conf) {
  if (!state_) throw error{errc::moved_from, "server::reset", "used after it was moved from"};
  // A fresh libtls context rather than tls_reset(): connections accepted
  // earlier still use the old one (SNI and OCSP callbacks) and keep it alive.
  state_ = std::make_shared<detail::server_state>(detail::config_state::of(conf));
}

server_connection server::accept(std::unique_ptr<transport> io) {
  if (!io) throw error{errc::invalid_argument, "server::accept", "null transport"};
  transport* borrowed = io.get();
  return accept_over(std::move(io), borrowed);
}

server_connection server::accept(transport& io) { return accept_over(nullptr, &io); }

server_connection server::accept_over(std::unique_ptr<transport> owned, transport* io) {
  if (!state_) throw error{errc::moved_from, "server::accept", "used after it was moved from"};
  server_connection::state_ptr st{new detail::connection_state};
  st->server = state_;
  st->conf = state_->conf;
  st->attach(std::move(owned), io);
  ::tls* cctx = nullptr;
  std::string failure;
  // The config's lock serializes accepts on one server (libtls counts the
  // config's references without atomics), so several threads may accept at
  // once; the reason of a failure is read under it too, before another
  // accept can overwrite the server context's error.
  const int rc = detail::with_configs_locked(nullptr, st->conf.get(), [&] {
    const int r = tls_accept_cbs(state_->ctx, &cctx, detail::read_trampoline,
                                 detail::write_trampoline, st.get());
    if (r != 0) failure = detail::message_of(tls_error(state_->ctx), "failed without a message");
    return r;
  });
  if (rc != 0) throw error{errc::config_rejected, "server::accept", failure};
  st->ctx = cctx;
  return server_connection{std::move(st)};
}

server_connection server::accept_socket(int socket) {
  return accept(std::make_unique<detail::fd_transport>(socket, socket, false));
}

server_connection server::accept_fds(int read_fd, int write_fd) {
  return accept(std::make_unique<detail::fd_transport>(read_fd, write_fd, false));
}

void* server::native_handle() const noexcept { return state_ ? state_->ctx : nullptr; }

}  // namespace tlspp
