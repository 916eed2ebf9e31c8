// SPDX-License-Identifier: ISC
#include "tlspp/client.hpp"

#include <arpa/inet.h>

#include <string>

#include "c_string.hpp"
#include "connection_state.hpp"
#include "fd_transport.hpp"
#include "tlspp/error.hpp"
#include "tlspp/features.hpp"

namespace tlspp {
namespace {

bool is_ip_address(const std::string& name) {
  unsigned char addr[16];
  return inet_pton(AF_INET, name.c_str(), addr) == 1 ||
         inet_pton(AF_INET6, name.c_str(), addr) == 1;
}

/// Longest server name a client connects to: a DNS name has at most 253
/// characters (254 with the root's dot).
constexpr std::size_t max_servername = 254;

/// Resets the libtls context and configures it with `next`. tls_reset drops
/// the old config's count and tls_configure takes the new one's: both under
/// their locks.
void reconfigure(detail::connection_state& st, std::shared_ptr<detail::config_state> next,
                 std::string_view where) {
  const int rc = detail::with_configs_locked(st.conf.get(), next.get(), [&] {
    tls_reset(st.ctx);
    return tls_configure(st.ctx, next->handle);
  });
  st.conf = std::move(next);
  if (rc != 0) detail::throw_context_error(st.ctx, errc::config_rejected, where);
}

}  // namespace

client::client(const config& conf) : connection{state_ptr{new detail::connection_state}} {
  detail::ensure_libtls_initialized();
  auto& st = *state_;
  st.conf = detail::config_state::of(conf);
  st.ctx = tls_client();
  if (st.ctx == nullptr) throw error{errc::out_of_memory, "client", "tls_client failed"};
  const int rc = detail::with_configs_locked(
      nullptr, st.conf.get(), [&] { return tls_configure(st.ctx, st.conf->handle); });
  if (rc != 0) detail::throw_context_error(st.ctx, errc::config_rejected, "client: configure");
}

client::client(client&&) noexcept = default;
client& client::operator=(client&&) noexcept = default;
client::~client() = default;

void client::reset(const config& conf) {
  auto& st = live_state();
  st.check_not_busy("client::reset");
  auto next = detail::config_state::of(conf);
  st.forget_connection();
  reconfigure(st, std::move(next), "client::reset: configure");
}

void client::connect(std::string_view servername, std::unique_ptr<transport> io) {
  if (!io) throw error{errc::invalid_argument, "client::connect", "null transport"};
  transport* raw = io.get();
  connect_over(std::move(io), raw, servername);
}

void client::connect(std::string_view servername, transport& io) {
  connect_over(nullptr, &io, servername);
}

void client::connect(std::string_view host, std::string_view port, std::string_view servername) {
  connect(host, port, servername, socket_timeouts{});
}

void client::connect(std::string_view host, std::string_view port, std::string_view servername,
                     const socket_timeouts& timeouts) {
  live_state().check_not_busy("client::connect");
  detail::check_timeouts(timeouts);
  const std::string h = detail::c_string(host, "client::connect: host");
  const std::string p = detail::c_string(port, "client::connect: port");
  const int fd = detail::connect_tcp(h.c_str(), p.c_str(), timeouts);
  connect_over(std::make_unique<detail::fd_transport>(fd, fd, true, timeouts.io), nullptr,
               servername.empty() ? host : servername);
}

void client::connect_socket(int socket, std::string_view servername) {
  connect_over(std::make_unique<detail::fd_transport>(socket, socket, false), nullptr, servername);
}

void client::connect_fds(int read_fd, int write_fd, std::string_view servername) {
  connect_over(std::make_unique<detail::fd_transport>(read_fd, write_fd, false), nullptr,
               servername);
}

void client::connect_over(std::unique_ptr<transport> owned, transport* io,
                          std::string_view servername) {
  auto& st = live_state();
  st.check_not_busy("client::connect");
  if (st.io != nullptr) {
    throw error{errc::misuse, "client::connect",
                "already connected; reset() the client to connect again"};
  }
  const std::string name = detail::c_string(servername, "client::connect: servername");
  if (name.size() > max_servername) {
    throw error{errc::invalid_argument, "client::connect: servername",
                "longer than a DNS name can be (" + std::to_string(name.size()) + " bytes)"};
  }
  st.attach(std::move(owned), io);
  if (tls_connect_cbs(st.ctx, detail::read_trampoline, detail::write_trampoline, &st,
                      name.empty() ? nullptr : name.c_str()) != 0) {
    // libtls-bearssl words this "server name not specified": say what it means.
    // libtls-bearssl leaves a trust-store failure on the config, not the context.
    std::string why{detail::message_of(tls_error(st.ctx),
                                       detail::message_of(tls_config_error(st.conf->handle),
                                                          "failed without a message from libtls"))};
    errc code = errc::invalid_argument;
    if (is_ip_address(name) && !get_backend_features().ip_address_names) {
      code = errc::unsupported;
      why = "the libtls backend cannot verify a server by IP address ('" + name +
            "'): connect with a name from its certificate, or set insecure_noverifyname "
            "(libtls: " +
            why + ")";
    }
    st.forget_connection();
    // What libtls allocated for the failed connection (an SSL_CTX, the
    // name) would leak at the next connect: start from a clean context.
    reconfigure(st, st.conf, "client::connect: configure");
    throw error{code, "client::connect", why};
  }
}

}  // namespace tlspp
