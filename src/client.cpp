#include "tlspp/client.hpp"

#include <arpa/inet.h>

#include <string>

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

}  // namespace

client::client(const config& conf) : connection{std::make_unique<detail::connection_state>()} {
  detail::ensure_libtls_initialized();
  auto& st = *state_;
  st.ctx = tls_client();
  if (st.ctx == nullptr) throw error{"client", "tls_client failed (out of memory)"};
  st.conf = detail::config_state::of(conf);
  const int rc = detail::with_configs_locked(
      nullptr, st.conf.get(), [&] { return tls_configure(st.ctx, st.conf->handle); });
  if (rc != 0) detail::throw_context_error(st.ctx, "client: configure");
}

void client::reset(const config& conf) {
  auto& st = live_state();
  auto next = detail::config_state::of(conf);
  st.forget_connection();
  // tls_reset drops the old config's count and tls_configure takes the new
  // one's: both under their locks.
  const int rc = detail::with_configs_locked(st.conf.get(), next.get(), [&] {
    tls_reset(st.ctx);
    return tls_configure(st.ctx, next->handle);
  });
  st.conf = std::move(next);
  if (rc != 0) detail::throw_context_error(st.ctx, "client::reset: configure");
}

void client::connect(std::string_view servername, std::unique_ptr<transport> io) {
  if (!io) throw error{"client::connect", "null transport"};
  transport* raw = io.get();
  connect_over(std::move(io), raw, servername);
}

void client::connect(std::string_view servername, transport& io) {
  connect_over(nullptr, &io, servername);
}

void client::connect(std::string_view host, std::string_view port, std::string_view servername) {
  const std::string h{host};
  const std::string p{port};
  const int fd = detail::connect_tcp(h.c_str(), p.c_str());
  connect_over(std::make_unique<detail::fd_transport>(fd, fd, true), nullptr,
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
  if (st.io != nullptr) {
    throw error{"client::connect", "already connected; reset() the client to connect again"};
  }
  st.attach(std::move(owned), io);
  const std::string name{servername};
  if (tls_connect_cbs(st.ctx, detail::read_trampoline, detail::write_trampoline, &st,
                      name.empty() ? nullptr : name.c_str()) != 0) {
    st.forget_connection();
    // libtls-bearssl words this "server name not specified": say what it means.
    if (is_ip_address(name) && !get_backend_features().ip_address_names) {
      throw error{"client::connect",
                  "the libtls backend cannot verify a server by IP address ('" + name +
                      "'): connect with a name from its certificate, or set "
                      "insecure_noverifyname (libtls: " +
                      std::string{detail::message_of(tls_error(st.ctx), "no message")} + ")"};
    }
    detail::throw_context_error(st.ctx, "client::connect");
  }
}

}  // namespace tlspp
