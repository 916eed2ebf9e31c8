// SPDX-License-Identifier: ISC
// tlspp-poll-echo: a TLS echo server and its clients in one thread, driven
// by plain poll(2) on non-blocking sockets through tlspp::memory_transport.
//
// The pattern any event loop follows (epoll, kqueue, io_uring, a game loop):
//  - call the connection until it answers want_recv/want_send;
//  - ask for POLLIN only while memory_transport::read_pending(): libtls then
//    waits on its own buffer, and the socket is read straight into it
//    (receive_buffer(), commit_received(): no copy);
//  - ask for POLLOUT while to_send() is not empty, and send it from there.
//
// Connects CLIENTS clients (default 4) to itself on 127.0.0.1, each sends
// BYTES bytes (default 256 KiB) and checks the echo, then both sides close
// with close_notify. Prints a summary and exits 0; on any failure, prints
// what went wrong and exits 1.
//
// Usage: tlspp-poll-echo [CLIENTS [BYTES]]
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tlspp/tlspp.hpp"

namespace {

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "tlspp-poll-echo: error: %s\n", what.c_str());
  std::exit(1);
}

[[noreturn]] void fail_errno(const std::string& what) { fail(what + ": " + std::strerror(errno)); }

/// Fails on anything but ok or a want; returns true on ok.
bool done_or_want(const tlspp::connection& c, tlspp::io_result r, const char* what) {
  if (r.ok()) return true;
  if (r.want_io()) return false;
  fail(std::string{what} + ": " + tlspp::to_string(r.status) + " " + c.error_message());
}

bool would_block() { return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR; }

/// A non-blocking socket and the memory_transport whose ciphertext it carries.
struct wire {
  int fd = -1;
  tlspp::memory_transport io;
  bool connecting = false;     // a non-blocking connect() is in progress
  bool end_of_stream = false;  // recv() returned 0

  explicit wire(int socket) : fd{socket} {}
  wire(const wire&) = delete;
  wire& operator=(const wire&) = delete;
  ~wire() { close_socket(); }

  void close_socket() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }

  /// What to poll for: bytes only when libtls waits on its buffer.
  [[nodiscard]] short events() const {
    if (connecting) return POLLOUT;
    short events = 0;
    if (io.read_pending() && !end_of_stream) events |= POLLIN;
    if (!io.to_send().empty()) events |= POLLOUT;
    return events;
  }

  void on_ready(short revents) {
    if ((revents & (POLLERR | POLLNVAL)) != 0) {
      int error = 0;
      socklen_t size = sizeof error;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size);
      fail(std::string{"socket error: "} + std::strerror(error));
    }
    if ((revents & POLLOUT) != 0) on_writable();
    if ((revents & (POLLIN | POLLHUP)) != 0) on_readable();
  }

  void on_readable() {
    if (!io.read_pending()) fail("the peer hung up while nothing was waiting to read");
    // receive_buffer() is libtls's own buffer here: the socket fills it.
    const std::span<std::byte> buffer = io.receive_buffer();
    const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
    if (n > 0) {
      io.commit_received(static_cast<std::size_t>(n));
    } else if (n == 0) {
      io.receive_end_of_stream();  // the connection then reports closed or truncated
      end_of_stream = true;
    } else if (!would_block()) {
      fail_errno("recv");
    }
  }

  void on_writable() {
    if (connecting) {
      int error = 0;
      socklen_t size = sizeof error;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size);
      if (error != 0) fail(std::string{"connect: "} + std::strerror(error));
      connecting = false;
    }
    const std::span<const std::byte> out = io.to_send();
    if (out.empty()) return;
    const ssize_t n = ::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
    if (n >= 0) {
      io.consume_sent(static_cast<std::size_t>(n));
    } else if (!would_block()) {
      fail_errno("send");
    }
  }
};

/// Common to both ends: a wire and the TLS connection over it.
struct session {
  std::unique_ptr<wire> w;
  tlspp::connection* conn = nullptr;
  std::vector<std::byte> buffer = std::vector<std::byte>(16 * 1024);
  bool finished = false;

  /// Once close_notify went out: closes the socket when the outbox is empty.
  void finish_when_flushed() {
    if (w->io.to_send().empty()) {
      w->close_socket();
      finished = true;
    }
  }
};

/// The server's side of one connection: echoes what it receives until the
/// client's close_notify, then answers with its own.
struct echo_session : session {
  tlspp::server_connection accepted;
  std::vector<std::byte> owed;  // received, not yet echoed
  std::size_t echoed = 0;
  bool peer_closed = false;
  bool close_sent = false;

  echo_session(tlspp::server& server, int socket)
      : session{std::make_unique<wire>(socket)}, accepted{server.accept(w->io)} {
    conn = &accepted;
  }

  /// Runs the connection until it waits for the network.
  void step() {
    if (finished) return;
    if (!done_or_want(accepted, accepted.handshake(), "server handshake")) return;
    while (!peer_closed) {
      if (!owed.empty()) {
        const tlspp::io_result r = accepted.send(owed);
        if (!done_or_want(accepted, r, "server send")) return;
        owed.erase(owed.begin(), owed.begin() + static_cast<std::ptrdiff_t>(r.bytes));
        echoed += r.bytes;
        continue;
      }
      const tlspp::io_result r = accepted.recv(buffer);
      if (r.status == tlspp::io_status::closed) {
        peer_closed = true;
        break;
      }
      if (!done_or_want(accepted, r, "server recv")) return;
      owed.assign(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(r.bytes));
    }
    if (!close_sent) {
      if (!done_or_want(accepted, accepted.close(), "server close")) return;
      close_sent = true;
    }
    finish_when_flushed();
  }
};

/// A client: sends its payload while reading the echo back, checks every
/// byte, sends close_notify, and waits for the server's.
struct echo_client : session {
  tlspp::client client;
  const std::string& payload;
  std::size_t sent = 0;
  std::size_t received = 0;
  bool close_sent = false;
  bool peer_closed = false;
  std::string version;  // what the handshake negotiated

  echo_client(const tlspp::config& conf, int socket, const std::string& data)
      : session{std::make_unique<wire>(socket)}, client{conf}, payload{data} {
    conn = &client;
    w->connecting = true;
    client.connect("localhost", w->io);
  }

  void step() {
    if (finished) return;
    if (!done_or_want(client, client.handshake(), "client handshake")) return;
    if (version.empty()) version = client.info().version;
    // Send and receive in turn until both wait: reading while sending keeps
    // the server's echo flowing, so neither side fills up and stalls.
    for (bool progressed = true; progressed && !close_sent;) {
      progressed = false;
      if (sent < payload.size()) {
        const tlspp::io_result r = client.send(std::string_view{payload}.substr(sent));
        if (done_or_want(client, r, "client send")) {
          sent += r.bytes;
          progressed = true;
        }
      }
      const tlspp::io_result r = client.recv(buffer);
      if (r.status == tlspp::io_status::closed) fail("the server closed before echoing it all");
      if (done_or_want(client, r, "client recv")) {
        if (received + r.bytes > payload.size() ||
            std::memcmp(buffer.data(), payload.data() + received, r.bytes) != 0) {
          fail("the echo differs from what was sent, at byte " + std::to_string(received));
        }
        received += r.bytes;
        progressed = true;
      }
      if (received == payload.size()) {
        if (!done_or_want(client, client.close(), "client close")) return;
        close_sent = true;
      }
    }
    if (!close_sent) return;
    while (!peer_closed) {
      const tlspp::io_result r = client.recv(buffer);
      if (r.status == tlspp::io_status::closed) {
        peer_closed = true;
      } else if (done_or_want(client, r, "client recv after close")) {
        fail("the server sent data after the echo");
      } else {
        return;
      }
    }
    finish_when_flushed();
  }
};

int listen_on_loopback(sockaddr_in& address) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) fail_errno("socket");
  address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t size = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), size) != 0) fail_errno("bind");
  if (::listen(fd, SOMAXCONN) != 0) fail_errno("listen");
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    fail_errno("getsockname");
  }
  return fd;
}

int connect_to(const sockaddr_in& address) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) fail_errno("socket");
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 &&
      errno != EINPROGRESS) {
    fail_errno("connect");
  }
  return fd;
}

std::string payload_for(std::size_t client, std::size_t size) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>(i * 131 + i / 977 + client);
  return s;
}

std::size_t parse_count(const char* text, const char* what) {
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text, &end, 10);
  if (end == text || *end != '\0' || value == 0) fail(std::string{"bad "} + what + ": " + text);
  return static_cast<std::size_t>(value);
}

}  // namespace

int main(int argc, char** argv) try {
  if (argc > 3) fail("usage: tlspp-poll-echo [CLIENTS [BYTES]]");
  const std::size_t client_count = argc > 1 ? parse_count(argv[1], "client count") : 4;
  const std::size_t bytes = argc > 2 ? parse_count(argv[2], "byte count") : 256 * 1024;

  const std::filesystem::path pki{TLSPP_DEMO_PKI_DIR};
  tlspp::server server{tlspp::config{
      {.key_file = pki / "server-ecdsa.key", .cert_file = pki / "server-ecdsa-chain.pem"}}};
  const tlspp::config client_conf{{.ca_file = pki / "ca-bundle.pem"}};

  sockaddr_in address{};
  const int listener = listen_on_loopback(address);

  std::vector<std::string> payloads;
  std::vector<std::unique_ptr<echo_client>> clients;
  for (std::size_t i = 0; i < client_count; ++i) payloads.push_back(payload_for(i, bytes));
  for (std::size_t i = 0; i < client_count; ++i) {
    clients.push_back(std::make_unique<echo_client>(client_conf, connect_to(address), payloads[i]));
  }
  std::vector<std::unique_ptr<echo_session>> sessions;

  std::vector<pollfd> fds;
  std::vector<session*> polled;
  for (;;) {
    // Run every connection until it waits for the network.
    bool all_done = sessions.size() == client_count;
    for (auto& c : clients) {
      c->step();
      all_done = all_done && c->finished;
    }
    for (auto& s : sessions) {
      s->step();
      all_done = all_done && s->finished;
    }
    if (all_done) break;

    // Poll for what they wait for.
    fds.clear();
    polled.clear();
    if (sessions.size() < client_count) fds.push_back({listener, POLLIN, 0});
    auto watch = [&](session& s) {
      if (s.finished) return;
      const short events = s.w->events();
      if (events == 0) fail("a connection waits for nothing (a bug in this example)");
      fds.push_back({s.w->fd, events, 0});
      polled.push_back(&s);
    };
    for (auto& c : clients) watch(*c);
    for (auto& s : sessions) watch(*s);

    const int ready = ::poll(fds.data(), fds.size(), 10'000);
    if (ready < 0 && errno != EINTR) fail_errno("poll");
    if (ready == 0) fail("nothing happened for 10 seconds: the connections are stuck");

    std::size_t first_session = 0;
    if (sessions.size() < client_count) {
      first_session = 1;
      if ((fds[0].revents & POLLIN) != 0) {
        for (;;) {
          const int fd = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (fd < 0) {
            if (would_block()) break;
            fail_errno("accept");
          }
          sessions.push_back(std::make_unique<echo_session>(server, fd));
        }
      }
    }
    for (std::size_t i = 0; i < polled.size(); ++i) {
      const short revents = fds[first_session + i].revents;
      if (revents != 0) polled[i]->w->on_ready(revents);
    }
  }
  ::close(listener);

  // Every byte came back (checked as it arrived), every side closed cleanly.
  std::size_t echoed = 0;
  tlspp::memory_transport::statistics total;
  auto add = [&total](const session& s) {
    const auto& st = s.w->io.stats();
    total.received_in_place += st.received_in_place;
    total.received_copied += st.received_copied;
    total.buffer_changes += st.buffer_changes;
    total.sent_copied += st.sent_copied;
  };
  for (const auto& c : clients) add(*c);
  for (const auto& s : sessions) {
    add(*s);
    echoed += s->echoed;
  }
  if (echoed != client_count * bytes)
    fail("the server echoed " + std::to_string(echoed) + " bytes");
  // Ciphertext is read from the socket into the buffer libtls waits on; a
  // copy happens only if libtls changed its buffer between retries.
  if (total.received_copied != 0 && total.buffer_changes == 0) {
    fail("received ciphertext was copied although libtls kept its buffer");
  }

  std::printf(
      "tlspp-poll-echo: %zu clients echoed %zu bytes each (%zu in all), %s, "
      "close_notify both ways\n",
      client_count, bytes, echoed, clients.front()->version.c_str());
  std::printf(
      "  receive path: %zu ciphertext bytes read in place, %zu copied (%zu buffer changes)\n",
      total.received_in_place, total.received_copied, total.buffer_changes);
  std::printf("  send path: %zu ciphertext bytes through the outboxes\n", total.sent_copied);
  return 0;
} catch (const std::exception& e) {
  fail(e.what());
}
