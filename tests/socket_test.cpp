// SPDX-License-Identifier: ISC
// The descriptor forms over real sockets and pipes: host/port, connect_socket,
// connect_fds/accept_fds, accept_socket, blocking and non-blocking.
//
// Every blocking socket a test creates has send and receive timeouts, the
// server thread polls before accepting and shuts its socket down when it is
// done, and every thread is joined: a bug fails a test, never hangs it.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "support/assertions.hpp"
#include "support/backend.hpp"
#include "support/local_port.hpp"
#include "support/memory_link.hpp"
#include "support/openssl_server.hpp"
#include "support/pki.hpp"

namespace tlspp::test {
namespace {

using ::testing::AssertionFailure;
using ::testing::AssertionResult;
using ::testing::AssertionSuccess;

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

/// `n` deterministic pseudo-random bytes.
std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 gen{seed};
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(gen());
  return s;
}

/// Blocking I/O helpers: anything but ok is reported, wants included
/// (a blocking transport never has a reason to want).
std::string describe(const char* what, const io_result& r, const connection& conn) {
  return std::string{what} + ": " + to_string(r.status) + " " + conn.error_message();
}

std::string send_all(connection& conn, std::string_view data) {
  while (!data.empty()) {
    const io_result r = conn.send(data);
    if (!r.ok()) return describe("send", r, conn);
    data.remove_prefix(r.bytes);
  }
  return {};
}

std::string recv_exactly(connection& conn, std::size_t n, std::string& out) {
  out.clear();
  std::vector<std::byte> buf(16384);
  while (out.size() < n) {
    const io_result r = conn.recv(std::span{buf}.first(std::min(buf.size(), n - out.size())));
    if (!r.ok()) return describe("recv", r, conn);
    out.append(reinterpret_cast<const char*>(buf.data()), r.bytes);
  }
  return {};
}

std::string expect_closed(connection& conn) {
  std::byte buf[16];
  const io_result r = conn.recv(buf);
  return r.status == io_status::closed ? std::string{} : describe("recv at close", r, conn);
}

const std::string upstream = random_bytes(256 * 1024, 1);
const std::string downstream = random_bytes(256 * 1024, 2);

/// The server side of the big exchange: 256 KiB in, 256 KiB out, then the
/// client's close_notify and ours. `sni` receives the name the client sent.
std::string serve_exchange(server& srv, int socket, std::optional<std::string>* sni = nullptr) {
  server_connection conn = srv.accept_socket(socket);
  if (const io_result r = conn.handshake(); !r.ok()) return describe("handshake", r, conn);
  if (sni != nullptr) *sni = conn.info().servername;
  std::string got;
  if (std::string e = recv_exactly(conn, upstream.size(), got); !e.empty()) return e;
  if (got != upstream) return "upstream data differs";
  if (std::string e = send_all(conn, downstream); !e.empty()) return e;
  if (std::string e = expect_closed(conn); !e.empty()) return e;
  if (const io_result r = conn.close(); !r.ok()) return describe("close", r, conn);
  return {};
}

/// The client side of the same exchange.
AssertionResult client_exchange(connection& conn) {
  if (const io_result r = conn.handshake(); !r.ok()) {
    return AssertionFailure() << describe("handshake", r, conn);
  }
  if (std::string e = send_all(conn, upstream); !e.empty()) return AssertionFailure() << e;
  std::string got;
  if (std::string e = recv_exactly(conn, downstream.size(), got); !e.empty()) {
    return AssertionFailure() << e;
  }
  if (got != downstream) return AssertionFailure() << "downstream data differs";
  if (const io_result r = conn.close(); !r.ok())
    return AssertionFailure() << describe("close", r, conn);
  if (std::string e = expect_closed(conn); !e.empty()) return AssertionFailure() << e;
  return AssertionSuccess();
}

config client_config() { return config{pki::client_options()}; }
config server_config() { return config{pki::server_options()}; }

struct host_case {
  const char* host;
  const char* servername;    // "" : the default, the host
  const char* expected_sni;  // "" : none (an IP address is not sent)
};

class HostAndPort : public ::testing::TestWithParam<host_case> {};

/// Whether `name` is an IPv4 or IPv6 address rather than a host name.
bool is_ip_address(const char* name) {
  in6_addr addr{};
  return ::inet_pton(AF_INET, name, &addr) == 1 || ::inet_pton(AF_INET6, name, &addr) == 1;
}

/// How `c`, told to verify a server by an IP address on a backend that
/// cannot, refuses: connect throws, or the handshake fails. It must never
/// connect unchecked.
std::string refusal_by_address(client& c, const char* host, const std::string& port,
                               const char* servername) {
  try {
    c.connect(host, port, servername);
  } catch (const error& e) {
    EXPECT_EQ(e.where(), "client::connect");
    EXPECT_TRUE(contains(e.what(), "cannot verify a server by IP address")) << e.what();
    return e.what();
  }
  const io_result r = c.handshake();
  EXPECT_EQ(r.status, io_status::failed) << "connected by address unchecked";
  std::string why = c.error_message();
  c.reset(client_config());  // closes the socket, so the server sees the end
  return why;
}

TEST_P(HostAndPort, ConnectsVerifiesAndExchanges256KiBEachWayWithCloseNotify) {
  const host_case& hc = GetParam();
  const char* verified_name = *hc.servername ? hc.servername : hc.host;
  const local_port port;
  server srv{server_config()};
  std::optional<std::string> sni;
  server_thread peer{port, [&](int fd) { return serve_exchange(srv, fd, &sni); }};

  client c{client_config()};
  if (is_ip_address(verified_name) && !get_backend_features().ip_address_names) {
    GTEST_SKIP() << "the libtls backend cannot verify a server by IP address ("
                 << refusal_by_address(c, hc.host, port.port(), hc.servername) << ")";
  }
  c.connect(hc.host, port.port(), hc.servername);
  EXPECT_TRUE(client_exchange(c));
  EXPECT_TRUE(c.peer_cert_contains_name(verified_name));
  ASSERT_TRUE(peer.outcome());
  if (*hc.expected_sni) {
    EXPECT_EQ(sni, std::optional<std::string>{hc.expected_sni});
  } else {
    EXPECT_EQ(sni, std::nullopt) << "an IP address is not sent with SNI";
  }
}

INSTANTIATE_TEST_SUITE_P(Loopback, HostAndPort,
                         ::testing::Values(host_case{"127.0.0.1", "",
                                                     ""},  // servername defaults to the IP
                                           host_case{"localhost", "", "localhost"},
                                           host_case{"127.0.0.1", "localhost", "localhost"}),
                         [](const auto& info) {
                           return std::to_string(info.index) +
                                  (*info.param.servername ? "_explicit_name" : "_default");
                         });

TEST(Sockets, ExplicitServernameIsWhatGetsVerified) {
  const local_port port;
  server srv{server_config()};
  // libtls checks the name after the TLS handshake, so the server may well
  // finish its side; then it sees the client leave without any data.
  server_thread peer{port, [&](int fd) {
                       server_connection conn = srv.accept_socket(fd);
                       std::byte buf[16];
                       const io_result r = conn.recv(buf);
                       return r.ok() ? describe("recv", r, conn) : "";
                     }};
  client c{client_config()};
  c.connect("127.0.0.1", port.port(), "other.test");  // the server is localhost
  const io_result r = c.handshake();
  EXPECT_EQ(r.status, io_status::failed) << to_string(r.status);
  // A name mismatch: OpenSSL and LibreSSL name the name, BearSSL only says
  // it is not the certificate's.
  EXPECT_EQ(c.error_code(), errc::handshake_failed) << c.error_message();
  EXPECT_TRUE(says_one_of(c.error_message(), {"other.test", "expected server name was not found"}));
  c.reset(client_config());  // closes the socket, so the server sees the end
  EXPECT_TRUE(peer.outcome());
}

TEST(Sockets, ConnectSocketAndAcceptSocketOverBlockingTcp) {
  const local_port port;
  server srv{server_config()};
  server_thread peer{port, [&](int fd) { return serve_exchange(srv, fd); }};
  const unique_fd sock = port.connect_plain();
  {
    client c{client_config()};
    c.connect_socket(sock.get(), "localhost");
    EXPECT_TRUE(client_exchange(c));
  }
  EXPECT_TRUE(is_open(sock.get())) << "the caller's socket must stay open";
  EXPECT_TRUE(peer.outcome());
}

/// close_notify one way: `closer` closes, `peer` reads the end.
AssertionResult close_notify(connection& closer, connection& peer) {
  io_result r;
  for (int i = 0; i < 100 && !(r = closer.close()).ok(); ++i) {
    if (!r.want_io()) break;
  }
  if (!r.ok()) return AssertionFailure() << describe("close", r, closer);
  std::byte buf[16];
  for (int i = 0; i < 100; ++i) {
    r = peer.recv(buf);
    if (r.status == io_status::closed) return AssertionSuccess();
    if (!r.want_io()) break;
  }
  return AssertionFailure() << describe("recv after close_notify", r, peer);
}

TEST(Sockets, ConnectFdsAndAcceptFdsOverTwoPipes) {
  int up[2];    // client -> server
  int down[2];  // server -> client
  ASSERT_EQ(::pipe2(up, O_NONBLOCK | O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(down, O_NONBLOCK | O_CLOEXEC), 0);
  const unique_fd fds[] = {unique_fd{up[0]}, unique_fd{up[1]}, unique_fd{down[0]},
                           unique_fd{down[1]}};
  {
    server srv{server_config()};
    server_connection s = srv.accept_fds(up[0], down[1]);
    client c{client_config()};
    c.connect_fds(down[0], up[1], "localhost");
    ASSERT_TRUE(handshake_pair(c, s));
    // Pipes hold 64 KiB: the sender meets want_send and the pump takes turns.
    EXPECT_TRUE(memory_link::pump(c, s, upstream) == upstream);
    EXPECT_TRUE(memory_link::pump(s, c, downstream) == downstream);
    EXPECT_TRUE(close_notify(c, s));
    EXPECT_TRUE(close_notify(s, c));
  }
  for (const unique_fd& fd : fds) EXPECT_TRUE(is_open(fd.get())) << "the caller's fds stay open";
}

TEST(Sockets, NonBlockingSocketRecvWantsRecvWhenNoDataThenSucceeds) {
  int pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair), 0);
  const unique_fd client_end{pair[0]};
  const unique_fd server_end{pair[1]};
  server srv{server_config()};
  server_connection s = srv.accept_socket(server_end.get());
  client c{client_config()};
  c.connect_socket(client_end.get(), "localhost");
  ASSERT_TRUE(handshake_pair(c, s));

  std::vector<std::byte> buf(64);
  io_result r = c.recv(buf);
  EXPECT_EQ(r.status, io_status::want_recv) << describe("client recv", r, c);
  r = s.recv(buf);
  EXPECT_EQ(r.status, io_status::want_recv) << describe("server recv", r, s);

  ASSERT_TRUE(s.send("later").ok());
  r = c.recv(buf);
  ASSERT_TRUE(r.ok()) << describe("client recv", r, c);
  EXPECT_EQ(std::string_view(reinterpret_cast<const char*>(buf.data()), r.bytes), "later");
  r = c.recv(buf);
  EXPECT_EQ(r.status, io_status::want_recv) << describe("client recv", r, c);
}

TEST(Sockets, Tls13OnABlockingSocketNeverSurfacesWantRecv) {
  if (!get_backend_features().tls1_3) GTEST_SKIP() << "the backend has no TLS 1.3";
  // TLS 1.3 servers send session tickets after the handshake; some backends
  // answer "want read" after consuming one even on a blocking socket. The
  // client's recv must retry by itself.
  constexpr int rounds = 20;
  const local_port port;
  server srv{server_config()};
  server_thread peer{port, [&](int fd) -> std::string {
                       server_connection conn = srv.accept_socket(fd);
                       std::string request;
                       for (int i = 0; i < rounds; ++i) {
                         if (auto e = recv_exactly(conn, 7, request); !e.empty()) return e;
                         if (auto e = send_all(conn, "reply " + request); !e.empty()) return e;
                       }
                       if (auto e = expect_closed(conn); !e.empty()) return e;
                       return {};
                     }};
  const unique_fd sock = port.connect_plain();
  client c{client_config()};
  c.connect_socket(sock.get(), "localhost");
  ASSERT_TRUE(c.handshake().ok());
  if (c.info().version != "TLSv1.3") GTEST_SKIP() << "negotiated " << c.info().version;

  std::string reply;
  for (int i = 0; i < rounds; ++i) {
    const std::string request = "req " + std::to_string(100 + i);
    ASSERT_EQ(send_all(c, request), "");
    // Every recv on a blocking socket returns data: a want is a bug.
    ASSERT_EQ(recv_exactly(c, 6 + request.size(), reply), "") << "round " << i;
    EXPECT_EQ(reply, "reply " + request);
  }
  ASSERT_TRUE(c.close().ok());
  EXPECT_TRUE(peer.outcome());
}

TEST(Sockets, HundredSessionTicketsOnABlockingSocketNeverSurfaceAWant) {
  if (const char* why = openssl_server_unavailable()) GTEST_SKIP() << why;
  if (!get_backend_features().tls1_3) GTEST_SKIP() << "the libtls backend has no TLS 1.3";
#if defined(TLSPP_TEST_HAVE_OPENSSL)
  // An OpenSSL server sends 100 tickets, then data, all at once: the client
  // finds them in the socket without waiting, and each ticket makes the
  // backend ask to read again, which a blocking socket never needs.
  int pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
  const unique_fd client_end{pair[0]};
  const unique_fd server_end{pair[1]};
  guard_socket(client_end.get());
  guard_socket(server_end.get());
  const std::string data = "the data after a hundred tickets";
  std::string server_outcome = "not run";
  std::thread peer{[&] {
    try {
      openssl_server srv{100, server_end.get()};
      if (!srv.handshake()) throw std::runtime_error{"handshake did not complete"};
      srv.send(data);
      srv.drain();
      server_outcome.clear();
    } catch (const std::exception& e) {
      server_outcome = e.what();
    }
    ::shutdown(server_end.get(), SHUT_RDWR);
  }};
  client c{client_config()};
  c.connect_socket(client_end.get(), "localhost");
  std::string got;
  EXPECT_EQ(recv_exactly(c, data.size(), got), "");
  EXPECT_EQ(got, data);
  EXPECT_TRUE(c.close().ok()) << c.error_message();
  ::shutdown(client_end.get(), SHUT_WR);
  peer.join();
  EXPECT_EQ(server_outcome, "");
#endif
}

TEST(Sockets, HostOrPortWithANulThrowsBeforeConnecting) {
  using namespace std::string_view_literals;
  // Nothing listens there: had a cut name reached connect(2), the error
  // would be ECONNREFUSED, not invalid_argument.
  const local_port port{local_port::not_listening};
  const std::string port_with_nul = port.port() + '\0' + "443";
  client c{client_config()};
  struct bad_argument {
    std::string_view host;
    std::string_view service;
    const char* named;  // the argument the error must name
  };
  for (const bad_argument& bad : {bad_argument{"127.0.0.1\0.attacker.test"sv, port.port(), "host"},
                                  bad_argument{"127.0.0.1"sv, port_with_nul, "port"}}) {
    SCOPED_TRACE(bad.named);
    try {
      c.connect(bad.host, bad.service);
      ADD_FAILURE() << "connect() took it";
    } catch (const error& e) {
      EXPECT_EQ(e.code(), errc::invalid_argument) << e.what();
      EXPECT_TRUE(contains(e.what(), bad.named)) << e.what();
    }
  }
}

TEST(Sockets, ConnectingToAClosedPortThrowsConnectionRefused) {
  // Bound but not listening: the port is ours, and a SYN to it gets a reset.
  const local_port port{local_port::not_listening};
  client c{client_config()};
  try {
    c.connect("127.0.0.1", port.port());
    FAIL() << "connect() did not throw";
  } catch (const error& e) {
    EXPECT_TRUE(contains(e.what(), std::strerror(ECONNREFUSED)));
    EXPECT_TRUE(contains(e.what(), "127.0.0.1:" + port.port()));
  }
  // Nothing was connected, so the client may try again.
  EXPECT_EQ(c.handshake().status, io_status::failed);
  EXPECT_EQ(c.error_code(), errc::misuse);
  EXPECT_TRUE(contains(c.error_message(), "not connected"));
}

TEST(Sockets, UnresolvableHostThrowsTheResolversMessage) {
  const char* host = "tlspp-test.invalid";  // .invalid never resolves (RFC 6761)
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int rc = ::getaddrinfo(host, "443", &hints, &found);
  if (rc == 0) {
    ::freeaddrinfo(found);
    GTEST_SKIP() << "this resolver resolves " << host;
  }
  client c{client_config()};
  try {
    c.connect(host, "443");
    FAIL() << "connect() did not throw";
  } catch (const error& e) {
    EXPECT_TRUE(contains(e.message(), ::gai_strerror(rc)));
    EXPECT_TRUE(contains(e.what(), host));
  }
}

}  // namespace
}  // namespace tlspp::test
