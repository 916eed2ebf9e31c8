// SPDX-License-Identifier: ISC
// A TLS echo server that reloads its certificate without a restart: on
// SIGHUP it reads the certificate and key files again and calls
// server::reset(). Connections accepted before keep the certificate they
// were accepted with and go on undisturbed; connections accepted after get
// the new one. A reload that fails (a file half-written, a key that does not
// match) is reported and the server keeps the certificate it had.
//
// Usage: tlspp-reloading-server [--port N] [--cert CHAIN] [--key KEY]
//   --port  port to listen on, on 127.0.0.1 (default 8443; 0 picks a free one)
//   --cert  certificate chain (default: the build's test PKI, server-ecdsa)
//   --key   its private key
// Each line a client sends is echoed back. SIGTERM or SIGINT stops it.
// Try it: tlspp-reloading-server --port 8443 --cert c.pem --key k.pem &
//         tlscat --ca ca-bundle.pem localhost 8443   (replace c.pem and
//         k.pem, kill -HUP the server, connect again: a new certificate)
//
// The shape: the main thread owns the tlspp::server and is the only one
// that touches it (accept and reset must not run at the same time); it
// waits in poll(2) for a new connection or a signal. Each accepted
// connection is served on its own thread: a server_connection is
// independent of the server once accepted.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <list>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>

#include "tlspp/tlspp.hpp"

namespace {

[[noreturn]] void fail(const std::string& what) {
  std::cerr << "tlspp-reloading-server: " << what << "\n";
  std::exit(1);
}

struct arguments {
  std::uint16_t port = 8443;
  std::filesystem::path cert = std::filesystem::path{TLSPP_DEMO_PKI_DIR} / "server-ecdsa-chain.pem";
  std::filesystem::path key = std::filesystem::path{TLSPP_DEMO_PKI_DIR} / "server-ecdsa.key";
};

arguments parse(int argc, char** argv) {
  arguments a;
  for (int i = 1; i < argc; i += 2) {
    const std::string_view flag = argv[i];
    if (i + 1 == argc) fail("missing value after " + std::string{flag});
    const std::string_view value = argv[i + 1];
    if (flag == "--port") {
      const auto [end, ec] = std::from_chars(value.begin(), value.end(), a.port);
      if (ec != std::errc{} || end != value.end()) fail("bad port " + std::string{value});
    } else if (flag == "--cert") {
      a.cert = value;
    } else if (flag == "--key") {
      a.key = value;
    } else {
      fail("unknown option " + std::string{flag});
    }
  }
  return a;
}

/// The configuration, read from the files as they are now. A config reads
/// its files when it is built: replacing them changes nothing until the
/// next one is built.
tlspp::config load(const arguments& a) {
  tlspp::config_options options;
  options.cert_file = a.cert;
  options.key_file = a.key;
  return tlspp::config{options};
}

// --- signals: a handler may do almost nothing, so it writes the signal's
// number to a pipe, which the main loop polls beside the listening socket.
int signal_pipe[2];

extern "C" void on_signal(int signal_number) {
  const int saved_errno = errno;
  const char byte = static_cast<char>(signal_number);
  (void)!::write(signal_pipe[1], &byte, 1);
  errno = saved_errno;
}

void catch_signals() {
  if (::pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    fail("pipe: " + std::string{std::strerror(errno)});
  }
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  for (const int s : {SIGHUP, SIGTERM, SIGINT}) ::sigaction(s, &action, nullptr);
}

int listen_on(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int on = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(fd, 64) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    fail("cannot listen on port " + std::to_string(port) + ": " + std::strerror(errno));
  }
  std::cerr << "listening on 127.0.0.1:" << ntohs(addr.sin_port) << std::endl;
  return fd;
}

/// Echoes what the client sends until it closes. `conn` is independent of the
/// server: a reload meanwhile does not touch it.
void echo(tlspp::server_connection conn) {
  char buffer[4096];
  for (;;) {
    // recv() runs the handshake first. On this blocking socket a call
    // completes or fails, except that SO_RCVTIMEO (set at accept) makes a
    // read that waited too long answer want_recv: an idle client.
    const tlspp::io_result r = conn.recv(std::as_writable_bytes(std::span{buffer}));
    if (r.status == tlspp::io_status::closed) break;  // the client's close_notify
    if (!r) {
      if (r.want_io()) {
        std::cerr << "dropping an idle client\n";
      } else if (!conn.error_message().empty()) {
        std::cerr << conn.error_message() << "\n";
      }
      return;
    }
    for (std::string_view rest{buffer, r.bytes}; !rest.empty();) {
      const tlspp::io_result w = conn.send(rest);
      if (!w) return;
      rest.remove_prefix(w.bytes);
    }
  }
  (void)conn.close();  // our close_notify in answer
}

/// A connection being served: its socket and the thread serving it. Only
/// the main thread adds, joins and removes workers, and closes their
/// sockets; a worker only says it is done. Every thread is joined, none
/// detached: a thread still running when the process exits would leave its
/// OpenSSL thread state behind.
struct worker {
  int fd;
  std::thread thread;
  bool done = false;  // guarded by workers_mutex
};
std::mutex workers_mutex;
std::list<worker> workers;

/// Joins the workers that are done and closes their sockets. With
/// `stopping`, first shuts down every socket, which makes a blocked read
/// return, and so ends them all.
void reap(bool stopping) {
  std::list<worker> finished;
  {
    const std::lock_guard lock{workers_mutex};
    for (auto it = workers.begin(); it != workers.end();) {
      if (stopping && !it->done) ::shutdown(it->fd, SHUT_RDWR);
      const auto next = std::next(it);
      if (stopping || it->done) finished.splice(finished.end(), workers, it);
      it = next;
    }
  }
  for (worker& w : finished) {
    w.thread.join();
    ::close(w.fd);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const arguments args = parse(argc, argv);
  catch_signals();
  try {
    tlspp::server server{load(args)};
    const int listener = listen_on(args.port);

    for (bool running = true; running;) {
      pollfd waits[2] = {{listener, POLLIN, 0}, {signal_pipe[0], POLLIN, 0}};
      if (::poll(waits, 2, -1) < 0) {
        if (errno == EINTR) continue;
        fail("poll: " + std::string{std::strerror(errno)});
      }
      reap(false);  // the connections that ended meanwhile

      char signal_number = 0;
      while (::read(signal_pipe[0], &signal_number, 1) == 1) {
        if (signal_number != SIGHUP) {
          running = false;
          break;
        }
        // The reload: build the new config first, then reset. If the files
        // are bad, load() throws and the server keeps what it had.
        try {
          server.reset(load(args));
          std::cerr << "reloaded " << args.cert.string() << std::endl;
        } catch (const tlspp::error& e) {
          std::cerr << "reload failed, keeping the previous certificate: " << e.what() << std::endl;
        }
      }

      if (running && (waits[0].revents & POLLIN) != 0) {
        const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) continue;
        const timeval idle{60, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof idle);
        ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &idle, sizeof idle);
        // accept_socket() leaves the socket ours: reap() closes it.
        std::optional<tlspp::server_connection> conn;
        try {
          conn.emplace(server.accept_socket(fd));
        } catch (const tlspp::error& e) {
          std::cerr << e.what() << std::endl;
          ::close(fd);
          continue;
        }
        const std::lock_guard lock{workers_mutex};
        worker& w = workers.emplace_back(worker{fd, {}, false});
        // The worker starts with the signals blocked (a thread inherits its
        // creator's mask), so that they all reach this thread's poll.
        sigset_t signals, previous;
        sigemptyset(&signals);
        for (const int s : {SIGHUP, SIGTERM, SIGINT}) sigaddset(&signals, s);
        ::pthread_sigmask(SIG_BLOCK, &signals, &previous);
        w.thread = std::thread{[conn = std::move(*conn), &w]() mutable {
          echo(std::move(conn));  // the connection ends here, before its socket closes
          const std::lock_guard lock{workers_mutex};
          w.done = true;
        }};
        ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
      }
    }

    reap(true);
    std::cerr << "stopped" << std::endl;
    return 0;
  } catch (const tlspp::error& e) {
    fail(e.what());
  }
}
