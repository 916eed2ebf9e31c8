// SPDX-License-Identifier: ISC
// tlspp demo: a TLS server and client in one process, first over an
// in-memory transport, then over a loopback TCP socket, with the PKI the
// build generated. Prints what was negotiated and how many bytes moved.
//
// Usage: tlspp-demo [PKI_DIR]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <future>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "tlspp/tlspp.hpp"

namespace {

namespace fs = std::filesystem;

/// One direction of an in-memory wire: what one side wrote and the other
/// has not read yet. An empty queue answers "want recv": nothing blocks.
struct wire {
  std::deque<std::byte> bytes;
  std::size_t total = 0;

  tlspp::transfer read(std::span<std::byte> out) {
    if (bytes.empty()) return tlspp::transfer::want_recv();
    const std::size_t n = std::min(out.size(), bytes.size());
    std::copy_n(bytes.begin(), n, out.begin());
    bytes.erase(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
    return tlspp::transfer::bytes(n);
  }
  tlspp::transfer write(std::span<const std::byte> in) {
    bytes.insert(bytes.end(), in.begin(), in.end());
    total += in.size();
    return tlspp::transfer::bytes(in.size());
  }
};

[[noreturn]] void fail(const std::string& what) {
  std::cerr << "tlspp-demo: " << what << "\n";
  std::exit(1);
}

/// Fails the demo on a final error; the connection keeps why it failed.
void check(const tlspp::connection& c, tlspp::io_result r, const char* what) {
  if (r.status == tlspp::io_status::failed || r.status == tlspp::io_status::truncated) {
    fail(std::string{what} + ": " + c.error_message());
  }
}

std::string payload(std::size_t size) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return s;
}

void print_info(const char* side, const tlspp::connection_info& info) {
  std::cout << "  " << side << ": " << info.version << ", " << info.cipher << " ("
            << info.cipher_strength << " bits), ALPN " << info.alpn.value_or("(none)");
  if (info.peer) std::cout << ", peer " << info.peer->subject;
  std::cout << "\n";
}

/// Moves `data` from `from` to `to`, driving both ends in turn; in memory a
/// "want" just means "let the other side run".
std::string transfer_in_memory(tlspp::connection& from, tlspp::connection& to,
                               const std::string& data) {
  std::string received;
  std::vector<std::byte> buffer(16384);
  std::size_t sent = 0;
  while (received.size() < data.size()) {
    if (sent < data.size()) {
      const auto w = from.send(std::string_view{data}.substr(sent));
      check(from, w, "send");
      sent += w.bytes;
    }
    const auto r = to.recv(buffer);
    check(to, r, "recv");
    received.append(reinterpret_cast<const char*>(buffer.data()), r.bytes);
  }
  return received;
}

void in_memory(const tlspp::config& client_conf, const tlspp::config& server_conf) {
  wire to_server;
  wire to_client;
  tlspp::server server{server_conf};
  tlspp::server_connection accepted =
      server.accept([&](std::span<std::byte> b) { return to_server.read(b); },
                    [&](std::span<const std::byte> b) { return to_client.write(b); });
  tlspp::client client{client_conf};
  client.connect(
      "localhost", [&](std::span<std::byte> b) { return to_client.read(b); },
      [&](std::span<const std::byte> b) { return to_server.write(b); });

  // Both ends in one thread: each call runs until it needs the other side.
  while (!client.handshake_done() || !accepted.handshake_done()) {
    check(client, client.handshake(), "client handshake");
    check(accepted, accepted.handshake(), "server handshake");
  }
  const std::string data = payload(1 << 20);
  if (transfer_in_memory(client, accepted, data) != data) fail("in-memory data differs");
  if (transfer_in_memory(accepted, client, data) != data) fail("in-memory echo differs");
  check(client, client.close(), "client close");
  std::vector<std::byte> rest(64);
  if (accepted.recv(rest).status != tlspp::io_status::closed) fail("no close_notify seen");
  check(accepted, accepted.close(), "server close");

  std::cout << "in memory:\n";
  print_info("client", client.info());
  print_info("server", accepted.info());
  std::cout << "  plaintext " << 2 * data.size() << " bytes, ciphertext " << to_server.total
            << " bytes to the server and " << to_client.total << " to the client\n";
}

std::size_t send_all(tlspp::connection& c, const std::string& data) {
  for (std::size_t sent = 0; sent < data.size();) {
    const auto w = c.send(std::string_view{data}.substr(sent));
    check(c, w, "send");
    sent += w.bytes;
  }
  return data.size();
}

std::string recv_exactly(tlspp::connection& c, std::size_t size) {
  std::string received;
  std::vector<std::byte> buffer(16384);
  while (received.size() < size) {
    const auto r = c.recv(buffer);
    check(c, r, "recv");
    if (r.status == tlspp::io_status::closed) fail("peer closed early");
    received.append(reinterpret_cast<const char*>(buffer.data()), r.bytes);
  }
  return received;
}

void over_loopback(const tlspp::config& client_conf, const tlspp::config& server_conf) {
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listener, 1) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    fail("cannot listen on 127.0.0.1");
  }
  const std::string port = std::to_string(ntohs(addr.sin_port));
  const std::string data = payload(1 << 20);

  // The server echoes everything back in its own thread, over blocking I/O.
  tlspp::server server{server_conf};
  auto served = std::async(std::launch::async, [&] {
    const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) fail("accept failed");
    tlspp::server_connection conn = server.accept_socket(fd);
    send_all(conn, recv_exactly(conn, data.size()));
    std::vector<std::byte> rest(64);
    if (conn.recv(rest).status != tlspp::io_status::closed) fail("no close_notify from client");
    check(conn, conn.close(), "server close");
    auto info = conn.info();
    ::close(fd);
    return info;
  });

  tlspp::client client{client_conf};
  client.connect("127.0.0.1", port, "localhost");
  send_all(client, data);
  if (recv_exactly(client, data.size()) != data) fail("loopback echo differs");
  check(client, client.close(), "client close");
  const auto server_info = served.get();
  ::close(listener);

  std::cout << "over loopback TCP (127.0.0.1:" << port << "):\n";
  print_info("client", client.info());
  print_info("server", server_info);
  std::cout << "  plaintext " << 2 * data.size() << " bytes echoed\n";
}

}  // namespace

int main(int argc, char** argv) {
  const fs::path pki = argc > 1 ? fs::path{argv[1]} : fs::path{TLSPP_DEMO_PKI_DIR};
  if (!fs::exists(pki / "ca-bundle.pem")) fail("no test PKI in " + pki.string());
  try {
    std::cout << "tlspp demo, backend: " << tlspp::describe(tlspp::get_backend_features()) << "\n";
    const tlspp::config server_conf{{
        .alpn = {"http/1.1"},
        .key_file = pki / "server-ecdsa.key",
        .cert_file = pki / "server-ecdsa-chain.pem",
    }};
    const tlspp::config client_conf{{
        .alpn = {"h2", "http/1.1"},
        .ca_file = pki / "ca-bundle.pem",
    }};
    in_memory(client_conf, server_conf);
    over_loopback(client_conf, server_conf);
  } catch (const tlspp::error& e) {
    fail(e.what());
  }
  std::cout << "ok\n";
  return 0;
}
