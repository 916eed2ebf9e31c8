// SPDX-License-Identifier: ISC
#include "pipe_impls.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <tls.h>
#include <unistd.h>

#include "byte_queue.h"
#include "openssl_direct.h"
#include "raw_libtls.h"
#include "tlspp/tlspp.hpp"

namespace bench {
namespace {

[[noreturn]] void fail(std::string what) { throw std::runtime_error{std::move(what)}; }

alignas(BENCH_PAGE) std::byte source[BENCH_BATCH];
alignas(BENCH_PAGE) std::byte sink[BENCH_BATCH];

tlspp::config_options common_options(const bench_profile& p) {
  tlspp::config_options o;
  if (p.tls12_only != 0) o.protocols = tlspp::protocol::tlsv1_2;
  if (p.tls12_ciphers != nullptr) o.ciphers = p.tls12_ciphers;
  return o;
}

/// A file name for the client's session, removed with the object.
class temporary_file {
 public:
  temporary_file() {
    std::string name = "/tmp/tlspp-bench-session.XXXXXX";
    const int fd = mkstemp(name.data());
    if (fd < 0) fail("tlspp: cannot create a session file");
    ::close(fd);
    path_ = name;
  }
  temporary_file(const temporary_file&) = delete;
  temporary_file& operator=(const temporary_file&) = delete;
  ~temporary_file() { ::unlink(path_.c_str()); }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

tlspp::config client_config(const bench_profile& p, const std::string& session_file) {
  tlspp::config_options o = common_options(p);
  o.ca_file = p.ca_file;
#ifndef TLSPP_OPENSSL_VERSION
  // libtls resumes only from a session file; tlspp-openssl's client config
  // keeps its sessions in memory, as OpenSSL direct's rows do.
  if (p.resume != 0) o.session_file = session_file;
#else
  (void)session_file;
#endif
  return tlspp::config{o};
}

tlspp::config server_config(const bench_profile& p) {
  tlspp::config_options o = common_options(p);
  o.cert_file = p.cert_file;
  o.key_file = p.key_file;
  if (p.resume != 0) {
    o.session_id = BENCH_SESSION_ID;
    o.session_lifetime = std::chrono::seconds{BENCH_SESSION_LIFETIME};
  }
  return tlspp::config{o};
}

/// Heap deltas of the staged teardown, per connection.
heap_figures per_connection(std::size_t established, std::size_t no_clients, std::size_t no_servers,
                            std::size_t no_transports, int count) {
  auto delta = [count](std::size_t before, std::size_t after) {
    return before > after ? static_cast<double>(before - after) / count : 0.0;
  };
  return {delta(established, no_clients), delta(no_clients, no_servers),
          delta(no_servers, no_transports) / 2};
}

// --- tlspp ------------------------------------------------------------------

/// A tlspp::transport over the benchmark's byte queues.
class queue_transport final : public tlspp::transport {
 public:
  queue_transport(byte_queue* in, byte_queue* out) : in_{in}, out_{out} {}
  tlspp::transfer read(std::span<std::byte> buffer) override {
    const ssize_t n = bq_read(in_, buffer.data(), buffer.size());
    return n >= 0 ? tlspp::transfer::bytes(static_cast<std::size_t>(n))
                  : tlspp::transfer::want_recv();
  }
  tlspp::transfer write(std::span<const std::byte> buffer) override {
    const ssize_t n = bq_write(out_, buffer.data(), buffer.size());
    return n >= 0 ? tlspp::transfer::bytes(static_cast<std::size_t>(n))
                  : tlspp::transfer::failed(ENOMEM);
  }

 private:
  byte_queue* in_;
  byte_queue* out_;
};

struct tlspp_env {
  bool resume;
  std::optional<temporary_file> session_file;  // with resume
  tlspp::config client_conf;
  tlspp::config server_conf;
  tlspp::server server;
  explicit tlspp_env(const bench_profile& p)
      : resume{p.resume != 0},
        session_file{resume ? std::make_optional<temporary_file>() : std::nullopt},
        client_conf{client_config(p, resume ? session_file->path() : std::string{})},
        server_conf{server_config(p)},
        server{server_conf} {}
};

/// A pair over the byte queues.
struct queue_pair {
  byte_queue to_server{};
  byte_queue to_client{};
  queue_transport client_io{&to_client, &to_server};
  queue_transport server_io{&to_server, &to_client};
  std::optional<tlspp::client> client;
  std::optional<tlspp::server_connection> server;

  queue_pair() = default;
  queue_pair(const queue_pair&) = delete;
  queue_pair& operator=(const queue_pair&) = delete;
  ~queue_pair() {
    client.reset();
    server.reset();
    free_transport();
  }

  void disconnect() {
    client.reset();
    server.reset();
  }
  void connect(tlspp_env& env) {
    disconnect();  // both ends first, as the raw C code does
    bq_clear(&to_server);
    bq_clear(&to_client);
    client.emplace(env.client_conf);
    server.emplace(env.server.accept(server_io));
    client->connect(BENCH_SERVERNAME, client_io);
  }
  void pump() {}
  void free_transport() {
    bq_free(&to_server);
    bq_free(&to_client);
  }
};

/// Moves ciphertext from one memory_transport's outbox into the other's
/// receive buffer, as an event loop moves it through a socket.
void move(tlspp::memory_transport& from, tlspp::memory_transport& to) {
  for (auto out = from.to_send(); !out.empty(); out = from.to_send()) {
    const std::span<std::byte> in = to.receive_buffer(out.size());
    const std::size_t n = std::min(in.size(), out.size());
    std::memcpy(in.data(), out.data(), n);
    to.commit_received(n);
    from.consume_sent(n);
  }
}

/// A pair over two memory_transports.
struct memory_transport_pair {
  std::optional<tlspp::memory_transport> client_io;
  std::optional<tlspp::memory_transport> server_io;
  std::optional<tlspp::client> client;
  std::optional<tlspp::server_connection> server;

  void disconnect() {
    client.reset();
    server.reset();
  }
  void connect(tlspp_env& env) {
    // A transport serves one connection: it may hold the last one's buffer.
    disconnect();
    client_io.emplace();
    server_io.emplace();
    client.emplace(env.client_conf);
    server.emplace(env.server.accept(*server_io));
    client->connect(BENCH_SERVERNAME, *client_io);
  }
  void pump() {
    move(*client_io, *server_io);
    move(*server_io, *client_io);
  }
  void free_transport() {
    client_io.reset();
    server_io.reset();
  }
};

template <class Pair>
void handshake(Pair& p) {
  bool client_done = false;
  bool server_done = false;
  for (int round = 0; round < 100; ++round) {
    if (!client_done) {
      const tlspp::io_result r = p.client->handshake();
      if (r.ok()) {
        client_done = true;
      } else if (!r.want_io()) {
        fail("tlspp: client handshake: " + p.client->error_message());
      }
      p.pump();
    }
    if (!server_done) {
      const tlspp::io_result r = p.server->handshake();
      if (r.ok()) {
        server_done = true;
      } else if (!r.want_io()) {
        fail("tlspp: server handshake: " + p.server->error_message());
      }
      p.pump();
    }
    if (client_done && server_done) return;
  }
  fail("tlspp: handshake did not complete");
}

/// Reads what the server side holds.
template <class Pair>
void drain(Pair& p, std::size_t& received) {
  for (;;) {
    const tlspp::io_result r = p.server->recv(sink);
    if (r.ok()) {
      received += r.bytes;
    } else if (r.status == tlspp::io_status::want_recv) {
      return;
    } else {
      fail("tlspp: recv: " + std::string{to_string(r.status)} + " " + p.server->error_message());
    }
  }
}

template <class Pair>
void bulk(Pair& p, std::size_t chunk, std::size_t total) {
  const std::size_t batch = std::max<std::size_t>(chunk, BENCH_BATCH);
  std::size_t sent = 0;
  std::size_t received = 0;
  while (received < total) {
    const std::size_t batch_end = std::min(sent + batch, total);
    while (sent < batch_end) {
      const std::size_t len = std::min(chunk, batch_end - sent);
      const tlspp::io_result r = p.client->send(std::span<const std::byte>{source, len});
      if (r.ok()) {
        sent += r.bytes;
      } else if (r.status == tlspp::io_status::want_send) {
        p.pump();  // the outbox is full: let the server read
        drain(p, received);
      } else {
        fail("tlspp: send: " + p.client->error_message());
      }
    }
    p.pump();
    drain(p, received);
  }
}

/// Reads exactly `want` bytes that the peer has written already.
template <class Pair>
void read_exactly(Pair& p, tlspp::connection& conn, std::size_t want) {
  std::size_t got = 0;
  for (int spins = 0; got < want && spins < 64; ++spins) {
    p.pump();
    const tlspp::io_result r = conn.recv(sink);
    if (r.ok()) {
      got += r.bytes;
    } else if (!r.want_io()) {
      fail("tlspp: recv: " + conn.error_message());
    }
  }
  if (got != want) fail("tlspp: recv: data missing");
}

template <class Pair>
void exchange(Pair& p) {
  if (p.client->send("x").bytes != 1) fail("tlspp: send failed");
  read_exactly(p, *p.server, 1);
  if (p.server->send("y").bytes != 1) fail("tlspp: send failed");
  read_exactly(p, *p.client, 1);
}

template <class Pair>
class tlspp_impl final : public pipe_impl {
 public:
  explicit tlspp_impl(const bench_profile& p) : env_{p} {}

  void connect() override {
    pair_.connect(env_);
    handshake(pair_);
  }
  void disconnect() override { pair_.disconnect(); }
  negotiated info() override {
    const tlspp::connection_info i = pair_.client->info();
    return {i.version, i.cipher};
  }
  void bulk(std::size_t chunk, std::size_t total) override { bench::bulk(pair_, chunk, total); }
  void handshakes(int count) override {
    Pair p;
    for (int i = 0; i < count; ++i) {
      p.connect(env_);
      handshake(p);
      if (env_.resume) take_tickets(p);
      p.client.reset();
      p.server.reset();
    }
  }
  resumption_count resumptions() const override { return resumptions_; }
  heap_figures idle_heap(int count) override {
    std::vector<std::unique_ptr<Pair>> pairs;
    for (int i = 0; i < count; ++i) pairs.push_back(std::make_unique<Pair>());
    const std::size_t before = bench_heap_in_use();
    for (auto& p : pairs) {
      p->connect(env_);
      handshake(*p);
      exchange(*p);
    }
    const std::size_t established = bench_heap_in_use();
    if (established < before) fail("tlspp: heap shrank");
    for (auto& p : pairs) p->client.reset();
    const std::size_t no_clients = bench_heap_in_use();
    for (auto& p : pairs) p->server.reset();
    const std::size_t no_servers = bench_heap_in_use();
    for (auto& p : pairs) p->free_transport();
    return per_connection(established, no_clients, no_servers, bench_heap_in_use(), count);
  }

 private:
  /// With resume: the client reads what the server sent after the
  /// handshake (TLS 1.3 tickets), so that its session is saved. The server
  /// reads first (nothing is there yet): a server that sends its ticket with
  /// its first read or write, not at the end of the handshake, sends it then.
  void take_tickets(Pair& p) {
    if (const tlspp::io_result s = p.server->recv(sink); !s.want_io()) {
      fail("tlspp: server recv after the handshake: " + p.server->error_message());
    }
    p.pump();
    const tlspp::io_result r = p.client->recv(sink);
    if (!r.want_io()) fail("tlspp: recv after the handshake: " + p.client->error_message());
    ++resumptions_.handshakes;
    // Counted through libtls: info() would build the peer's certificate too.
    resumptions_.resumed +=
        tls_conn_session_resumed(static_cast<::tls*>(p.client->native_handle()));
  }

  tlspp_env env_;
  Pair pair_;
  resumption_count resumptions_;
};

// --- raw libtls ---------------------------------------------------------------

class raw_impl final : public pipe_impl {
 public:
  raw_impl(const raw_libtls& lib, const bench_profile& p) : lib_{lib} {
    check(lib_.env_init(&env_, &p));
    lib_.pair_init(&pair_);
  }
  ~raw_impl() override {
    lib_.pair_free(&pair_);
    lib_.env_free(&env_);
  }
  raw_impl(const raw_impl&) = delete;
  raw_impl& operator=(const raw_impl&) = delete;

  void connect() override {
    disconnect();
    check(lib_.pair_connect(&env_, &pair_));
    check(lib_.pair_handshake(&pair_));
  }
  void disconnect() override {
    lib_.pair_free_client(&pair_);
    lib_.pair_free_server(&pair_);
  }
  negotiated info() override { return {lib_.version(&pair_), lib_.cipher(&pair_)}; }
  void bulk(std::size_t chunk, std::size_t total) override {
    check(lib_.bulk(&pair_, chunk, total));
  }
  resumption_count resumptions() const override { return {env_.handshakes, env_.resumed}; }
  void handshakes(int count) override {
    raw_pair p;
    lib_.pair_init(&p);
    const int rc = lib_.handshakes(&env_, &p, count);
    lib_.pair_free(&p);
    check(rc);
  }
  heap_figures idle_heap(int count) override {
    std::vector<raw_pair> pairs(static_cast<std::size_t>(count));
    for (auto& p : pairs) lib_.pair_init(&p);
    const std::size_t before = bench_heap_in_use();
    for (auto& p : pairs) {
      if (lib_.pair_connect(&env_, &p) != 0 || lib_.pair_handshake(&p) != 0 ||
          lib_.pair_exchange(&p) != 0) {
        const std::string why = lib_.error();
        for (auto& q : pairs) lib_.pair_free(&q);
        fail(why);
      }
    }
    const std::size_t established = bench_heap_in_use();
    if (established < before) fail("libtls: heap shrank");
    for (auto& p : pairs) lib_.pair_free_client(&p);
    const std::size_t no_clients = bench_heap_in_use();
    for (auto& p : pairs) lib_.pair_free_server(&p);
    const std::size_t no_servers = bench_heap_in_use();
    for (auto& p : pairs) lib_.pair_free(&p);
    return per_connection(established, no_clients, no_servers, bench_heap_in_use(), count);
  }

 private:
  void check(int rc) const {
    if (rc != 0) fail(lib_.error());
  }

  const raw_libtls& lib_;
  raw_env env_{};
  raw_pair pair_{};
};

// --- OpenSSL ------------------------------------------------------------------

void check_ossl(int rc) {
  if (rc != 0) fail(ossl_error());
}

class openssl_impl final : public pipe_impl {
 public:
  explicit openssl_impl(const bench_profile& p) { check_ossl(ossl_env_init(&env_, &p)); }
  ~openssl_impl() override {
    ossl_pair_free_client(&pair_);
    ossl_pair_free_server(&pair_);
    ossl_env_free(&env_);
  }
  openssl_impl(const openssl_impl&) = delete;
  openssl_impl& operator=(const openssl_impl&) = delete;

  void connect() override {
    disconnect();
    check_ossl(ossl_pair_connect(&env_, &pair_));
    check_ossl(ossl_pair_handshake(&pair_));
  }
  void disconnect() override {
    ossl_pair_free_client(&pair_);
    ossl_pair_free_server(&pair_);
  }
  negotiated info() override { return {ossl_version_of(&pair_), ossl_cipher_of(&pair_)}; }
  void bulk(std::size_t chunk, std::size_t total) override {
    check_ossl(ossl_bulk(&pair_, chunk, total));
  }
  resumption_count resumptions() const override { return {env_.handshakes, env_.resumed}; }
  void handshakes(int count) override {
    ossl_pair p{};
    check_ossl(ossl_handshakes(&env_, &p, count));
  }
  heap_figures idle_heap(int count) override {
    std::vector<ossl_pair> pairs(static_cast<std::size_t>(count));
    const std::size_t before = bench_heap_in_use();
    for (auto& p : pairs) {
      if (ossl_pair_connect(&env_, &p) != 0 || ossl_pair_handshake(&p) != 0 ||
          ossl_pair_exchange(&p) != 0) {
        const std::string why = ossl_error();
        for (auto& q : pairs) {
          ossl_pair_free_client(&q);
          ossl_pair_free_server(&q);
        }
        fail(why);
      }
    }
    const std::size_t established = bench_heap_in_use();
    if (established < before) fail("OpenSSL: heap shrank");
    for (auto& p : pairs) ossl_pair_free_client(&p);
    const std::size_t no_clients = bench_heap_in_use();
    for (auto& p : pairs) ossl_pair_free_server(&p);
    const std::size_t no_servers = bench_heap_in_use();
    // Each SSL owned its half of the BIO pair: take the pair's buffers out
    // of the SSL figures and count them as the transport.
    heap_figures h = per_connection(established, no_clients, no_servers, no_servers, count);
    h.transport = static_cast<double>(ossl_bio_pair_heap(count)) / 2;
    h.client -= h.transport;
    h.server -= h.transport;
    return h;
  }

 private:
  ossl_env env_{};
  ossl_pair pair_{};
};

}  // namespace

std::unique_ptr<pipe_impl> make_tlspp(const bench_profile& profile) {
  return std::make_unique<tlspp_impl<queue_pair>>(profile);
}
std::unique_ptr<pipe_impl> make_tlspp_memory_transport(const bench_profile& profile) {
  return std::make_unique<tlspp_impl<memory_transport_pair>>(profile);
}
std::unique_ptr<pipe_impl> make_raw_libtls(const bench_profile& profile) {
  return std::make_unique<raw_impl>(raw_backend_libtls, profile);
}
#if TLSPP_BENCH_HAVE_SYSTEM_LIBTLS
std::unique_ptr<pipe_impl> make_raw_system_libtls(const bench_profile& profile) {
  return std::make_unique<raw_impl>(raw_system_libtls, profile);
}
#endif
std::unique_ptr<pipe_impl> make_openssl(const bench_profile& profile) {
  return std::make_unique<openssl_impl>(profile);
}

}  // namespace bench
