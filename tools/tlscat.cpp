// SPDX-License-Identifier: ISC
// tlscat: a netcat for TLS, built on tlspp's public API only (in the spirit
// of OpenBSD's `nc -c`). `tlscat -h` lists the options; docs/tlscat.md has
// examples.
//
// One thread, one ppoll(2) loop over the socket, stdin and stdout. The
// socket is non-blocking, so every tlspp call answers at once: bytes, a want
// (wait for it on the socket and call again), the peer's close_notify, or an
// error.
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <exception>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "config_option_table.hpp"
#include "tlscat_options.hpp"
#include "tlspp/tlspp.hpp"

namespace tlscat {
namespace {

void note(const std::string& line) { std::fprintf(stderr, "tlscat: %s\n", line.c_str()); }

[[noreturn]] void fail_errno(const std::string& what) {
  throw failure{what + ": " + std::strerror(errno)};
}

// SIGINT and SIGTERM end tlscat through main() (so destructors run and
// sanitizers see a normal exit). They are blocked except inside ppoll(),
// which every wait goes through, so none can slip in between a check of
// the flag and the wait.
volatile std::sig_atomic_t stop_signal = 0;
sigset_t wait_mask;  // the mask during ppoll(): stop signals let through

extern "C" void on_stop_signal(int signal) { stop_signal = signal; }

void install_stop_handler() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  ::sigprocmask(SIG_BLOCK, &stop_signals, &wait_mask);
  sigdelset(&wait_mask, SIGINT);
  sigdelset(&wait_mask, SIGTERM);
}

/// Thrown by a stop signal that arrives between connections (-l -k): a
/// clean exit.
struct stopped {};

/// Waits for events on `fds` (ppoll); 0 on timeout. A stop signal throws:
/// `stopped` between connections, a failure during one.
int wait_events(std::span<pollfd> fds, int timeout_ms, bool between_connections = false) {
  for (;;) {
    if (stop_signal != 0 && between_connections) throw stopped{};
    if (stop_signal != 0) throw failure{std::string{"interrupted by "} + ::strsignal(stop_signal)};
    timespec timeout{timeout_ms / 1000, (timeout_ms % 1000) * 1'000'000L};
    const int n = ::ppoll(fds.data(), fds.size(), timeout_ms < 0 ? nullptr : &timeout, &wait_mask);
    if (n >= 0) return n;
    if (errno != EINTR) fail_errno("poll");
  }
}

/// A file descriptor closed when it goes out of scope.
class socket_fd {
 public:
  explicit socket_fd(int fd = -1) noexcept : fd_{fd} {}
  socket_fd(socket_fd&& other) noexcept : fd_{std::exchange(other.fd_, -1)} {}
  socket_fd& operator=(socket_fd&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  ~socket_fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  [[nodiscard]] int get() const noexcept { return fd_; }

 private:
  int fd_;
};

std::string address_of(const sockaddr* sa) {
  char host[NI_MAXHOST];
  char port[NI_MAXSERV];
  if (::getnameinfo(sa, sa->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in),
                    host, sizeof host, port, sizeof port, NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    return "?";
  }
  return sa->sa_family == AF_INET6 ? "[" + std::string{host} + "]:" + port
                                   : std::string{host} + ":" + port;
}

struct address_list {
  addrinfo* head = nullptr;
  address_list(const options& o, int flags) {
    addrinfo hints{};
    hints.ai_family = o.family;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = flags;
    const char* host = o.host.empty() ? nullptr : o.host.c_str();
    if (const int rc = ::getaddrinfo(host, o.port.c_str(), &hints, &head); rc != 0) {
      throw failure{"resolve " + (o.host.empty() ? "*" : o.host) + ":" + o.port + ": " +
                    ::gai_strerror(rc)};
    }
  }
  address_list(const address_list&) = delete;
  address_list& operator=(const address_list&) = delete;
  ~address_list() { ::freeaddrinfo(head); }
};

/// Waits for `events` on `fd`; false on timeout.
bool wait_for(int fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  return wait_events({&p, 1}, timeout_ms) > 0;
}

[[noreturn]] void timed_out(const options& o, std::string_view during) {
  throw failure{std::string{during} + ": timed out after " +
                std::to_string(o.idle_timeout_ms / 1000) + " s without activity"};
}

/// A non-blocking TCP connection to host:port (the first address that answers).
socket_fd connect_tcp(const options& o) {
  const address_list addresses{o, 0};
  std::string last_error = "no address";
  for (const addrinfo* ai = addresses.head; ai != nullptr; ai = ai->ai_next) {
    socket_fd s{
        ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol)};
    if (s.get() < 0) fail_errno("socket");
    int rc = ::connect(s.get(), ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      if (!wait_for(s.get(), POLLOUT, o.idle_timeout_ms)) timed_out(o, "connect");
      int error = 0;
      socklen_t len = sizeof error;
      ::getsockopt(s.get(), SOL_SOCKET, SO_ERROR, &error, &len);
      errno = error;
      rc = error == 0 ? 0 : -1;
    }
    if (rc == 0) {
      if (o.verbose) note("connected to " + address_of(ai->ai_addr));
      return s;
    }
    last_error = std::strerror(errno);
  }
  throw failure{"connect to " + o.host + ":" + o.port + ": " + last_error};
}

socket_fd listen_tcp(const options& o) {
  const address_list addresses{o, AI_PASSIVE};
  std::string last_error = "no address";
  for (const addrinfo* ai = addresses.head; ai != nullptr; ai = ai->ai_next) {
    socket_fd s{
        ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol)};
    if (s.get() < 0) fail_errno("socket");
    const int on = 1;
    ::setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    // -6 means IPv6 only, even where the system would also accept IPv4
    // (as IPv4-mapped addresses) on an IPv6 socket.
    if (o.family == AF_INET6 && ai->ai_family == AF_INET6) {
      ::setsockopt(s.get(), IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
    }
    if (::bind(s.get(), ai->ai_addr, ai->ai_addrlen) == 0 && ::listen(s.get(), 16) == 0) {
      // Port 0 picks a free port: say which, or nobody can connect.
      if (o.verbose || o.port == "0") {
        sockaddr_storage bound{};
        socklen_t len = sizeof bound;
        ::getsockname(s.get(), reinterpret_cast<sockaddr*>(&bound), &len);
        note("listening on " + address_of(reinterpret_cast<sockaddr*>(&bound)));
      }
      return s;
    }
    last_error = std::strerror(errno);
  }
  throw failure{"listen on " + (o.host.empty() ? "*" : o.host) + ":" + o.port + ": " + last_error};
}

socket_fd accept_tcp(const socket_fd& listener, const options& o) {
  for (;;) {
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    pollfd p{listener.get(), POLLIN, 0};
    wait_events({&p, 1}, -1, true);
    const int fd = ::accept4(listener.get(), reinterpret_cast<sockaddr*>(&peer), &len,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      if (o.verbose) note("connection from " + address_of(reinterpret_cast<sockaddr*>(&peer)));
      return socket_fd{fd};
    }
    // The client may have given up between the poll and the accept.
    if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED) fail_errno("accept");
  }
}

// --- connection details (-v) ------------------------------------------------

std::string utc(const std::optional<std::chrono::system_clock::time_point>& t) {
  if (!t) return "?";
  const std::time_t seconds = std::chrono::system_clock::to_time_t(*t);
  std::tm tm{};
  char text[32];
  ::gmtime_r(&seconds, &tm);
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

bool is_ip_address(const std::string& name) {
  in6_addr address{};
  return ::inet_pton(AF_INET, name.c_str(), &address) == 1 ||
         ::inet_pton(AF_INET6, name.c_str(), &address) == 1;
}

/// `sent_servername`: the client's name to verify (empty for a server).
void print_info(const tlspp::connection_info& info, std::string_view sent_servername) {
  note("version: " + info.version);
  note("cipher: " + info.cipher +
       (info.cipher_strength > 0 ? " (" + std::to_string(info.cipher_strength) + " bits)" : ""));
  note("alpn: " + info.alpn.value_or("none"));
  const std::string name = info.servername.value_or(std::string{sent_servername});
  // libtls sends no IP address with SNI; it only verifies it.
  note("servername: " + (name.empty()          ? std::string{"none"}
                         : is_ip_address(name) ? name + " (an IP address: verified, not sent)"
                                               : name));
  note(std::string{"resumed: "} + (info.session_resumed ? "yes" : "no"));
  if (info.peer) {
    note("peer subject: " + info.peer->subject);
    note("peer issuer: " + info.peer->issuer);
    note("peer validity: " + utc(info.peer->not_before) + " to " + utc(info.peer->not_after));
    note("peer hash: " + info.peer->hash);
  } else {
    note("peer certificate: none");
  }
  if (info.ocsp) {
    note("ocsp: " + info.ocsp->result + " (response status " +
         std::to_string(info.ocsp->response_status) + ", this update " +
         utc(info.ocsp->this_update) + ", next update " + utc(info.ocsp->next_update) + ")");
  } else {
    note("ocsp: none stapled");
  }
}

// --- the relay ---------------------------------------------------------------

short events_for(const tlspp::io_result& r) {
  return r.status == tlspp::io_status::want_send ? POLLOUT : POLLIN;
}

/// Runs one call (handshake, close) to completion, polling the socket for
/// what it wants; returns its final result.
template <class Call>
tlspp::io_result complete(int sock, const options& o, std::string_view what, Call&& call) {
  for (;;) {
    tlspp::io_result r = call();
    if (!r.want_io()) return r;
    if (!wait_for(sock, events_for(r), o.idle_timeout_ms)) timed_out(o, what);
  }
}

/// A buffer of bytes on their way from one side to the other.
struct pending {
  std::array<std::byte, 16 * 1024> data;
  std::size_t begin = 0;
  std::size_t end = 0;
  [[nodiscard]] bool empty() const noexcept { return begin == end; }
  [[nodiscard]] std::span<const std::byte> bytes() const noexcept {
    return std::span{data}.subspan(begin, end - begin);
  }
  void consume(std::size_t n) noexcept {
    begin += n;
    if (begin == end) begin = end = 0;
  }
};

/// A connection that must fail: libtls has written its fatal alert, if it
/// had one, to the socket. Closing now, with bytes from the peer unread,
/// would make the kernel answer with a reset, which drops whatever it still
/// holds back (the alert, delayed by Nagle) and may overtake it. So: end
/// our side (the FIN pushes the alert out), read what the peer still sends
/// for a moment (bounded in time and bytes), and only then let the socket
/// close.
void deliver_alert_and_drain(int sock) {
  constexpr auto linger = std::chrono::seconds{1};
  constexpr std::size_t max_drained = 256 * 1024;
  ::shutdown(sock, SHUT_WR);
  const auto deadline = std::chrono::steady_clock::now() + linger;
  std::array<std::byte, 4096> sink;
  for (std::size_t drained = 0; drained < max_drained;) {
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return;
    pollfd p{sock, POLLIN, 0};
    const timespec timeout{static_cast<time_t>(left.count() / 1000),
                           static_cast<long>(left.count() % 1000) * 1'000'000L};
    // Not wait_events(): a stop signal here must not replace the error
    // being reported; it ends the wait, and main() then sees the signal.
    if (::ppoll(&p, 1, &timeout, &wait_mask) <= 0) return;
    const ssize_t n = ::read(sock, sink.data(), sink.size());
    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) return;
    if (n > 0) drained += static_cast<std::size_t>(n);
  }
}

/// Reports a failed (or truncated) connection, after delivering its alert.
[[noreturn]] void io_failed(const tlspp::connection& conn, int sock) {
  deliver_alert_and_drain(sock);
  if (conn.error_code() == tlspp::errc::truncated) {
    throw failure{"connection truncated, the peer closed without close_notify: " +
                  conn.error_message()};
  }
  throw failure{conn.error_message()};
}

/// Copies stdin to the peer and the peer to stdout until both sides have
/// sent close_notify (returns) or something fails (throws).
///
/// When stdin ends, tlscat sends close_notify and goes on receiving until the
/// peer's. When the peer's close_notify comes first, what happens depends on
/// the version:
/// - TLS 1.3 allows a half-closed connection, so tlscat goes on sending
///   stdin until it ends, then sends close_notify. If the peer also ends the
///   TCP stream, it will read nothing more, and tlscat answers at once.
/// - TLS 1.2 requires an immediate answer (RFC 5246, 7.2.1), so tlscat
///   answers at once and drops the rest of stdin.
void relay(tlspp::connection& conn, int sock, const options& o) {
  const bool half_close_allowed = conn.info().version == "TLSv1.3";
  pending to_peer;    // read from stdin, not yet sent
  pending to_stdout;  // received, not yet written
  bool stdin_open = true;
  bool close_sent = false;
  bool peer_closed = false;  // its close_notify arrived
  bool peer_gone = false;    // and then the end of its TCP stream

  for (;;) {
    bool progress = false;
    short socket_events = 0;
    auto note_want_or_fail = [&](const tlspp::io_result& r) {
      if (!r.want_io()) io_failed(conn, sock);
      socket_events |= events_for(r);
    };

    // The peer to stdout. Nothing more is received until stdout took it all.
    if (!peer_closed && to_stdout.empty()) {
      const tlspp::io_result r = conn.recv(to_stdout.data);
      if (r.ok()) {
        to_stdout.end = r.bytes;
        progress = true;
      } else if (r.status == tlspp::io_status::closed) {
        peer_closed = true;
        progress = true;
        if (o.verbose) note("the peer sent close_notify");
      } else {
        note_want_or_fail(r);
      }
    }
    if (peer_closed && close_sent && to_stdout.empty()) return;

    // Stdin to the peer, then close_notify.
    const bool may_send = !peer_closed || (half_close_allowed && !peer_gone);
    if (!may_send) {
      if (to_stdout.empty()) {
        // The peer may have hung up already, which does not make its clean
        // close any less clean.
        const tlspp::io_result r = complete(sock, o, "close", [&] { return conn.close(); });
        if (!r.ok() && o.verbose)
          note("answering the peer's close_notify: " + conn.error_message());
        return;
      }
    } else if (!to_peer.empty()) {
      const tlspp::io_result r = conn.send(to_peer.bytes());
      if (r.ok()) {
        to_peer.consume(r.bytes);
        progress = true;
      } else {
        note_want_or_fail(r);
      }
    } else if (!stdin_open && !close_sent) {
      const tlspp::io_result r = conn.close();
      if (r.ok()) {
        close_sent = true;
        progress = true;
      } else {
        note_want_or_fail(r);
      }
    }
    if (progress) continue;

    // Nothing can move: wait for the socket, stdin or stdout. After the
    // peer's close_notify, the socket is watched for the end of its stream.
    std::array<pollfd, 3> fds{{
        {sock, static_cast<short>(socket_events | (peer_closed ? POLLRDHUP : 0)), 0},
        {STDIN_FILENO, 0, 0},
        {STDOUT_FILENO, 0, 0},
    }};
    if (stdin_open && to_peer.empty() && may_send) fds[1].events = POLLIN;
    if (!to_stdout.empty()) fds[2].events = POLLOUT;
    for (pollfd& p : fds) {
      if (p.events == 0) p.fd = -1;
    }
    if (wait_events(fds, o.idle_timeout_ms) == 0) timed_out(o, "relay");

    if (peer_closed && (fds[0].revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0) {
      peer_gone = true;
      if (o.verbose) note("the peer hung up after its close_notify");
    }
    if (fds[1].revents != 0) {
      const ssize_t got = ::read(STDIN_FILENO, to_peer.data.data(), to_peer.data.size());
      if (got > 0) {
        to_peer.end = static_cast<std::size_t>(got);
      } else if (got == 0) {
        stdin_open = false;
      } else if (errno != EINTR && errno != EAGAIN) {
        fail_errno("read from stdin");
      }
    }
    if (fds[2].revents != 0) {
      // At most PIPE_BUF bytes: a pipe that polled writable takes them
      // without blocking.
      const std::span<const std::byte> out = to_stdout.bytes();
      const ssize_t put =
          ::write(STDOUT_FILENO, out.data(), std::min<std::size_t>(out.size(), PIPE_BUF));
      if (put >= 0) {
        to_stdout.consume(static_cast<std::size_t>(put));
      } else if (errno != EINTR && errno != EAGAIN) {
        fail_errno("write to stdout");
      }
    }
  }
}

/// --show-chain: the PEM as the peer sent it, so that it can be cut out of
/// stderr and fed to openssl x509.
void print_chain(const tlspp::connection_info& info) {
  if (!info.peer || info.peer->chain_pem.empty()) {
    note("peer chain: none");
    return;
  }
  note("peer chain:");
  std::fwrite(info.peer->chain_pem.data(), 1, info.peer->chain_pem.size(), stderr);
}

/// -H: the handshake is done, but with a certificate other than the pinned
/// one tlscat sends nothing: it closes cleanly (close_notify; libtls has no
/// call to send another alert once the handshake is done) and fails.
void check_pin(tlspp::connection& conn, int sock, const options& o,
               const tlspp::connection_info& info) {
  const std::string seen = info.peer ? info.peer->hash : "no certificate";
  if (seen == *o.pin) return;
  (void)complete(sock, o, "close", [&] { return conn.close(); });
  deliver_alert_and_drain(sock);
  throw failure{"-H: the peer's certificate hash is " + seen + ", not " + *o.pin};
}

/// One connection, handshake to close.
void run_session(tlspp::connection& conn, int sock, const options& o, std::string_view servername) {
  const tlspp::io_result hs = complete(sock, o, "handshake", [&] { return conn.handshake(); });
  if (!hs.ok()) io_failed(conn, sock);
  const tlspp::connection_info info = conn.info();
  if (o.verbose) print_info(info, servername);
  if (o.show_chain) print_chain(info);
  if (o.pin) check_pin(conn, sock, o, info);
  if (o.exit_after_handshake) {
    const tlspp::io_result r = complete(sock, o, "close", [&] { return conn.close(); });
    if (!r.ok()) io_failed(conn, sock);
    return;
  }
  relay(conn, sock, o);
}

// --- the two modes -------------------------------------------------------------

int run_client(const options& o) {
  const tlspp::config conf{o.tls};
  tlspp::client client{conf};
  const socket_fd sock = connect_tcp(o);
  const std::string servername = o.servername.value_or(o.host);
  client.connect_socket(sock.get(), servername);
  run_session(client, sock.get(), o, servername);
  return 0;
}

int run_server(const options& o) {
  const tlspp::config conf{o.tls};
  tlspp::server server{conf};
  const socket_fd listener = listen_tcp(o);
  for (;;) {
    const socket_fd sock = accept_tcp(listener, o);
    tlspp::server_connection conn = server.accept_socket(sock.get());
    if (!o.keep_listening) {
      run_session(conn, sock.get(), o, {});
      return 0;
    }
    // -k: a failed connection is reported, and the next one accepted.
    try {
      run_session(conn, sock.get(), o, {});
      if (o.verbose) note("connection closed cleanly");
    } catch (const failure& e) {
      if (stop_signal != 0) throw;
      note(e.what());
    }
  }
}

/// tlspp names config options as the library spells them ("config option
/// ca_file", "keypairs[1].cert_file"); say which flag set it, from the
/// option table.
std::string flag_for(const tlspp::error& e) {
  constexpr std::string_view prefix = "config option ";
  std::string_view where = e.where();
  if (!where.starts_with(prefix)) return e.what();
  where.remove_prefix(prefix.size());
  for (const tlspp::options::option& entry : tlspp::options::config_option_table) {
    if (entry.flag.empty() || !where.starts_with(entry.name)) continue;
    const std::string_view rest = where.substr(entry.name.size());
    const std::string flag = "--" + std::string{entry.flag};
    if (rest.empty()) return flag + ": " + e.message();
    if (!rest.starts_with('[')) continue;
    // "ticket_keys[0]" -> "--ticket-key-file";
    // "keypairs[0].cert_file" -> "--keypair #1 (cert_file)".
    const std::size_t close = rest.find(']');
    int index = 0;
    if (close == std::string_view::npos ||
        std::from_chars(rest.data() + 1, rest.data() + close, index).ec != std::errc{}) {
      continue;
    }
    if (!rest.substr(close).starts_with("].")) return flag + ": " + e.message();
    return flag + " #" + std::to_string(index + 1) + " (" + std::string{rest.substr(close + 2)} +
           "): " + e.message();
  }
  return e.what();
}

/// --version: tlscat's version (the project's, from CMake) and what the
/// libtls backend can do.
void print_version() {
  std::printf("tlscat %s\n", TLSCAT_VERSION);
  std::printf("backend: %s\n", tlspp::describe(tlspp::get_backend_features()).c_str());
}

}  // namespace
}  // namespace tlscat

int main(int argc, char** argv) {
  using namespace tlscat;
  // A peer or a reader that goes away is an error to report, not a signal.
  std::signal(SIGPIPE, SIG_IGN);
  install_stop_handler();
  try {
    const options o = parse_options(argc, argv);
    if (o.help) {
      const std::string usage = usage_text();
      std::fwrite(usage.data(), 1, usage.size(), stdout);
      return 0;
    }
    if (o.version) {
      print_version();
      return 0;
    }
    return o.listen ? run_server(o) : run_client(o);
  } catch (const stopped&) {
    return 0;
  } catch (const usage_error& e) {
    std::fprintf(stderr, "tlscat: %s (tlscat -h for help)\n", e.what());
  } catch (const failure& e) {
    std::fprintf(stderr, "tlscat: %s\n", e.what());
  } catch (const tlspp::error& e) {
    std::fprintf(stderr, "tlscat: %s\n", flag_for(e).c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tlscat: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "tlscat: unexpected failure\n");
  }
  return 1;
}
