// SPDX-License-Identifier: ISC
#include "asio_tcp.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <exception>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "harness.hpp"
#include "profile.h"

#if TLSPP_BENCH_HAVE_ASIO
#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/strand.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/version.hpp>
#include <asio/write.hpp>
#include "asio_streams.hpp"
#include "support/counting_stream.hpp"
#endif

namespace bench {

#if !TLSPP_BENCH_HAVE_ASIO

std::vector<result> run_loopback(const loopback_options&, void (*progress)(const std::string&),
                                 int&) {
  progress("loopback TCP: skipped (built without Asio: install libasio-dev)");
  return {};
}

#else

namespace {

using tcp = ::asio::ip::tcp;
/// Both streams sit on the same counting layer over the socket, so that
/// their socket calls are counted the same way.
using counted_socket = tlspp::test::counting_stream<tcp::socket>;
using ::asio::awaitable;
using ::asio::use_awaitable;
constexpr auto as_tuple_awaitable = ::asio::experimental::as_tuple(use_awaitable);

constexpr std::size_t bulk_chunk = 16384;
constexpr std::size_t echo_size = 64;
std::byte source[bulk_chunk];

void rethrow(const std::exception_ptr& e) {
  if (e) std::rethrow_exception(e);
}

/// Socket calls, counted at the next layer: a counted read is one recv
/// system call, or two when the first finds nothing and the read waits.
struct socket_calls {
  double bulk_reads = 0;   ///< at the receiver, per 16 KiB record
  double bulk_writes = 0;  ///< at the sender, per 16 KiB record
  double echo_reads = 0;   ///< both ends together, per 64 B round trip
};

/// One TLS stream implementation over loopback TCP.
class tcp_subject {
 public:
  virtual ~tcp_subject() = default;
  /// Opens the long-lived pairs that bulk and echo use.
  virtual void open(int pairs) = 0;
  [[nodiscard]] virtual tcp_negotiated info() = 0;
  /// `per_connection` bytes client to server over the first `connections`
  /// pairs at once, in 16 KiB writes.
  virtual void bulk(int connections, std::size_t per_connection) = 0;
  /// `count` 64-byte round trips on the first pair; appends each one's time (µs).
  virtual void echo(int count, std::vector<double>& rtt_us) = 0;
  /// `clients` clients at once, each connecting `per_client` times: TCP
  /// connect, handshake, one byte from the server, then a reset. With
  /// `threads` > 1, one io_context run by that many threads, every
  /// connection's operations on a strand of its own.
  virtual void handshakes(int clients, int per_client, int threads) = 0;
  /// Heap per idle established stream (client, server) over `n` pairs.
  virtual std::pair<double, double> idle_heap(int n) = 0;
  /// Socket calls of a bulk transfer of `bytes` and of `round_trips` echoes
  /// on the first pair.
  virtual socket_calls count_calls(std::size_t bytes, int round_trips) = 0;
};

using ssl_policy = asio_ssl_policy<counted_socket>;
#if TLSPP_BENCH_HAVE_TLSPP_ASIO
using tls_policy = tlspp_policy<counted_socket>;
#endif

template <class Policy>
class tcp_impl final : public tcp_subject {
  using stream_type = typename Policy::stream_type;
  struct stream_pair {
    std::unique_ptr<stream_type> client;
    std::unique_ptr<stream_type> server;
  };

 public:
  explicit tcp_impl(const loopback_options& o)
      : policy_{tls_files{o.ca_file, o.cert_file, o.key_file}} {}

  void open(int n) override { pairs_ = connect_pairs(n); }

  tcp_negotiated info() override { return Policy::info(*pairs_.at(0).client); }

  void bulk(int connections, std::size_t per_connection) override {
    for (int i = 0; i < connections; ++i) {
      stream_pair& p = pairs_.at(static_cast<std::size_t>(i));
      ::asio::co_spawn(io_, send_all(*p.client, per_connection), rethrow);
      ::asio::co_spawn(io_, receive_all(*p.server, per_connection), rethrow);
    }
    run();
  }

  void echo(int count, std::vector<double>& rtt_us) override {
    stream_pair& p = pairs_.at(0);
    ::asio::co_spawn(io_, echo_client(*p.client, count, rtt_us), rethrow);
    ::asio::co_spawn(io_, echo_server(*p.server, count), rethrow);
    run();
  }

  void handshakes(int clients, int per_client, int threads) override {
    if (threads <= 1) {
      ::asio::co_spawn(io_, accept_loop(io_, acceptor_, clients * per_client, false), rethrow);
      for (int i = 0; i < clients; ++i) {
        ::asio::co_spawn(io_, client_loop(io_.get_executor(), acceptor_, per_client), rethrow);
      }
      run();
      return;
    }
    // The acceptor and each client on a strand: a client's connections run
    // one after another on its strand, and each accepted connection gets a
    // strand of its own, where its stream is made (server::accept, from
    // whichever thread runs it) and all its operations run.
    ::asio::co_spawn(pool_acceptor_.get_executor(),
                     accept_loop(pool_io_, pool_acceptor_, clients * per_client, true), rethrow);
    for (int i = 0; i < clients; ++i) {
      const ::asio::any_io_executor strand = ::asio::make_strand(pool_io_);
      ::asio::co_spawn(strand, client_loop(strand, pool_acceptor_, per_client), rethrow);
    }
    run_threads(threads);
  }

  socket_calls count_calls(std::size_t bytes, int round_trips) override {
    stream_pair& p = pairs_.at(0);
    counted_socket& client = p.client->next_layer();
    counted_socket& server = p.server->next_layer();
    socket_calls c;
    const double records = double(bytes) / bulk_chunk;
    const std::size_t reads = server.reads;
    const std::size_t writes = client.writes;
    bulk(1, bytes);
    c.bulk_reads = double(server.reads - reads) / records;
    c.bulk_writes = double(client.writes - writes) / records;
    const std::size_t both = client.reads + server.reads;
    std::vector<double> ignored;
    echo(round_trips, ignored);
    c.echo_reads = double(client.reads + server.reads - both) / round_trips;
    return c;
  }

  std::pair<double, double> idle_heap(int n) override {
    const std::size_t before = bench_heap_in_use();
    std::vector<stream_pair> pairs = connect_pairs(n);
    for (auto& p : pairs) {
      ::asio::co_spawn(io_, exchange(*p.client, *p.server), rethrow);
    }
    run();
    const std::size_t established = bench_heap_in_use();
    if (established < before) throw std::runtime_error{"heap shrank"};
    for (auto& p : pairs) p.client.reset();
    const std::size_t no_clients = bench_heap_in_use();
    for (auto& p : pairs) p.server.reset();
    const std::size_t no_servers = bench_heap_in_use();
    auto per = [n](std::size_t a, std::size_t b) { return a > b ? double(a - b) / n : 0.0; };
    return {per(established, no_clients), per(no_clients, no_servers)};
  }

 private:
  void run() {
    io_.restart();
    io_.run();
  }

  /// Runs pool_io_ on `threads` threads (this one among them); rethrows the
  /// first exception any of them saw, once all have stopped.
  void run_threads(int threads) {
    pool_io_.restart();
    std::exception_ptr failed;
    std::mutex m;
    auto body = [&] {
      try {
        pool_io_.run();
      } catch (...) {
        const std::scoped_lock lock{m};
        if (!failed) failed = std::current_exception();
        pool_io_.stop();
      }
    };
    std::vector<std::thread> others;
    for (int i = 1; i < threads; ++i) others.emplace_back(body);
    body();
    for (auto& t : others) t.join();
    rethrow(failed);
  }

  static void no_delay(tcp::socket& s) { s.set_option(tcp::no_delay(true)); }

  /// TCP connects one by one (the kernel completes them in the backlog),
  /// then all the TLS handshakes at once.
  std::vector<stream_pair> connect_pairs(int n) {
    std::vector<stream_pair> pairs(static_cast<std::size_t>(n));
    for (auto& p : pairs) {
      tcp::socket c{io_};
      c.connect(acceptor_.local_endpoint());
      tcp::socket s = acceptor_.accept();
      no_delay(c);
      no_delay(s);
      p.client = policy_.client(std::move(c));
      p.server = policy_.server(std::move(s));
      ::asio::co_spawn(io_, Policy::client_handshake(*p.client), rethrow);
      ::asio::co_spawn(io_, Policy::server_handshake(*p.server), rethrow);
    }
    run();
    return pairs;
  }

  static awaitable<void> send_all(stream_type& s, std::size_t total) {
    for (std::size_t sent = 0; sent < total;) {
      const std::size_t n = std::min(bulk_chunk, total - sent);
      sent += co_await ::asio::async_write(s, ::asio::buffer(source, n), use_awaitable);
    }
  }

  static awaitable<void> receive_all(stream_type& s, std::size_t total) {
    std::array<std::byte, bulk_chunk> buffer;
    for (std::size_t received = 0; received < total;) {
      received += co_await s.async_read_some(::asio::buffer(buffer), use_awaitable);
    }
  }

  static awaitable<void> echo_client(stream_type& s, int count, std::vector<double>& rtt_us) {
    std::array<std::byte, echo_size> message{};
    for (int i = 0; i < count; ++i) {
      const auto start = bench_clock::now();
      co_await ::asio::async_write(s, ::asio::buffer(message), use_awaitable);
      co_await ::asio::async_read(s, ::asio::buffer(message), use_awaitable);
      rtt_us.push_back(
          std::chrono::duration<double, std::micro>(bench_clock::now() - start).count());
    }
  }

  static awaitable<void> echo_server(stream_type& s, int count) {
    std::array<std::byte, echo_size> message{};
    for (int i = 0; i < count; ++i) {
      co_await ::asio::async_read(s, ::asio::buffer(message), use_awaitable);
      co_await ::asio::async_write(s, ::asio::buffer(message), use_awaitable);
    }
  }

  static awaitable<void> exchange(stream_type& client, stream_type& server) {
    char byte = 'x';
    co_await ::asio::async_write(client, ::asio::buffer(&byte, 1), use_awaitable);
    co_await ::asio::async_read(server, ::asio::buffer(&byte, 1), use_awaitable);
    co_await ::asio::async_write(server, ::asio::buffer(&byte, 1), use_awaitable);
    co_await ::asio::async_read(client, ::asio::buffer(&byte, 1), use_awaitable);
  }

  /// Accepts `total` connections; with `strands`, each one's socket (and
  /// so its stream and its operations) on a new strand of `io`.
  awaitable<void> accept_loop(::asio::io_context& io, tcp::acceptor& acceptor, int total,
                              bool strands) {
    for (int i = 0; i < total; ++i) {
      const ::asio::any_io_executor where = strands
                                                ? ::asio::any_io_executor{::asio::make_strand(io)}
                                                : ::asio::any_io_executor{io.get_executor()};
      tcp::socket s = co_await acceptor.async_accept(where, use_awaitable);
      no_delay(s);
      ::asio::co_spawn(where, serve_one(std::move(s)), rethrow);
    }
  }

  /// Accepts the TLS connection on the socket's executor (server::accept),
  /// handshake, one byte for the client to wait for, then the client's reset.
  awaitable<void> serve_one(tcp::socket socket) {
    const std::unique_ptr<stream_type> s = policy_.server(std::move(socket));
    co_await Policy::server_handshake(*s);
    const char byte = 'k';
    co_await ::asio::async_write(*s, ::asio::buffer(&byte, 1), use_awaitable);
    char ignored = 0;
    co_await s->next_layer().async_read_some(::asio::buffer(&ignored, 1), as_tuple_awaitable);
  }

  awaitable<void> client_loop(::asio::any_io_executor where, tcp::acceptor& acceptor, int count) {
    for (int i = 0; i < count; ++i) {
      tcp::socket c{where};
      co_await c.async_connect(acceptor.local_endpoint(), use_awaitable);
      no_delay(c);
      std::unique_ptr<stream_type> s = policy_.client(std::move(c));
      co_await Policy::client_handshake(*s);
      char byte = 0;
      co_await ::asio::async_read(*s, ::asio::buffer(&byte, 1), use_awaitable);
      // Close with a reset: no TIME_WAIT, so the ports last the whole run.
      s->lowest_layer().set_option(::asio::socket_base::linger(true, 0));
    }
  }

  Policy policy_;
  ::asio::io_context io_{1};
  tcp::acceptor acceptor_{io_, {::asio::ip::address_v4::loopback(), 0}};
  /// The multi-threaded handshakes' own io_context (its concurrency hint
  /// lets threads share it, which io_'s hint of 1 forbids).
  ::asio::io_context pool_io_{2};
  tcp::acceptor pool_acceptor_{::asio::make_strand(pool_io_),
                               {::asio::ip::address_v4::loopback(), 0}};
  std::vector<stream_pair> pairs_;
};

struct subject_entry {
  const char* name;
  std::unique_ptr<tcp_subject> subject;
  tcp_negotiated info;
};

}  // namespace

std::vector<result> run_loopback(const loopback_options& o, void (*progress)(const std::string&),
                                 int& errors) {
  const std::string section =
      "Loopback TCP, client and server in one io_context on one thread (unless the row says 2)";
  const std::string heap_section = "Heap per idle established stream, loopback TCP (" +
                                   std::to_string(o.heap_connections) + " connections)";
  const std::string setting = "default versions (TLS 1.3) and cipher, ECDSA P-256";
  auto wanted = [&](const std::string& id) {
    return o.only.empty() || id.find(o.only) != std::string::npos;
  };
  const char* ids[] = {
      "tcp-bulk-1",     "tcp-bulk-64",    "tcp-handshake-64", "tcp-handshake-64-2threads",
      "tcp-echo-p50",   "tcp-echo-p99",   "tcp-heap-client",  "tcp-heap-server",
      "tcp-reads-bulk", "tcp-sends-bulk", "tcp-reads-echo"};
  if (std::none_of(std::begin(ids), std::end(ids), wanted)) return {};

  std::vector<result> rows;
  auto row = [&](const std::string& id, const std::string& title, const std::string& sect,
                 const char* impl, const std::string& unit, bool higher) {
    result r;
    r.workload = id;
    r.title = title;
    r.section = sect;
    r.setting = setting;
    r.implementation = impl;
    r.unit = unit;
    r.higher_is_better = higher;
    r.backend = std::string{impl} == impl_asio_ssl
                    ? "Asio " + std::to_string(ASIO_VERSION / 100000) + "." +
                          std::to_string(ASIO_VERSION / 100 % 1000) + "." +
                          std::to_string(ASIO_VERSION % 100) + " over " + o.engine
                    : o.backend;
    return r;
  };

  std::vector<subject_entry> subjects;
  std::vector<std::pair<const char*, std::string> > missing;
  const int open_pairs = o.smoke ? 4 : 64;
  auto add = [&](const char* name, auto make) {
    if (!o.impl.empty() && o.impl != name) return;
    try {
      subject_entry e{name, make(), {}};
      e.subject->open(open_pairs);
      e.info = e.subject->info();
      subjects.push_back(std::move(e));
    } catch (const std::exception& ex) {
      missing.emplace_back(name, ex.what());
      progress(std::string{"  "} + name + " unavailable: " + ex.what());
    }
  };
#if TLSPP_BENCH_HAVE_TLSPP_ASIO
  add(impl_tlspp_asio, [&] { return std::make_unique<tcp_impl<tls_policy> >(o); });
#else
  if (o.impl.empty() || o.impl == impl_tlspp_asio) {
    missing.emplace_back(impl_tlspp_asio, "tlspp::asio::stream is not in this build");
  }
#endif
  add(impl_asio_ssl, [&] { return std::make_unique<tcp_impl<ssl_policy> >(o); });

  auto missing_rows = [&](const std::string& id, const std::string& title, const std::string& sect,
                          const std::string& unit, bool higher) {
    for (const auto& [name, why] : missing) {
      result r = row(id, title, sect, name, unit, higher);
      r.note = why;
      rows.push_back(r);
    }
  };
  // The reference that sizes the samples: asio::ssl when it runs.
  tcp_subject* ref = subjects.empty() ? nullptr : subjects.back().subject.get();

  // Runs `sample` for every subject, interleaved; one row per subject.
  auto measure = [&](const std::string& id, const std::string& title, const std::string& unit,
                     auto sample) {
    progress(id);
    missing_rows(id, title, section, unit, true);
    std::vector<result> new_rows;
    std::vector<sample_fn> cases;
    for (auto& s : subjects) {
      tcp_subject* subject = s.subject.get();
      cases.push_back([subject, sample] { return sample(*subject); });
      result r = row(id, title, section, s.name, unit, true);
      r.protocol = s.info.version;
      r.cipher = s.info.cipher;
      new_rows.push_back(r);
    }
    try {
      const auto values = interleave(cases, o.rounds);
      for (std::size_t i = 0; i < new_rows.size(); ++i) new_rows[i].values = values[i];
    } catch (const std::exception& ex) {
      ++errors;
      progress("  failed: " + std::string{ex.what()});
      for (auto& r : new_rows) r.note = ex.what();
    }
    rows.insert(rows.end(), new_rows.begin(), new_rows.end());
  };

  if (ref != nullptr && wanted("tcp-bulk-1")) {
    const std::size_t total = o.amount != 0 ? o.amount
                                            : calibrate([&](std::size_t n) { ref->bulk(1, n); },
                                                        bulk_chunk, o.sample_seconds);
    measure("tcp-bulk-1", "bulk, 16 KiB writes, 1 connection", "MB/s", [total](tcp_subject& s) {
      return double(total) / seconds_of([&] { s.bulk(1, total); }) / 1e6;
    });
  }
  if (ref != nullptr && wanted("tcp-bulk-64")) {
    const std::size_t per = o.amount != 0
                                ? o.amount
                                : calibrate([&](std::size_t n) { ref->bulk(open_pairs, n); },
                                            bulk_chunk, o.sample_seconds);
    const int conns = open_pairs;
    measure("tcp-bulk-64", "bulk, 16 KiB writes, " + std::to_string(conns) + " connections", "MB/s",
            [per, conns](tcp_subject& s) {
              return double(per) * conns / seconds_of([&] { s.bulk(conns, per); }) / 1e6;
            });
  }
  // Connections per client in a handshake sample, calibrated once on one thread.
  const int clients = open_pairs;
  int handshakes_per_client = 0;
  auto per_client = [&] {
    if (handshakes_per_client == 0) {
      handshakes_per_client = static_cast<int>(
          o.amount != 0
              ? o.amount
              : calibrate([&](std::size_t n) { ref->handshakes(clients, static_cast<int>(n), 1); },
                          1, o.sample_seconds));
    }
    return handshakes_per_client;
  };
  if (ref != nullptr && wanted("tcp-handshake-64")) {
    const int per = per_client();
    measure("tcp-handshake-64",
            "full handshakes, " + std::to_string(clients) + " concurrent clients", "handshakes/s",
            [clients, per](tcp_subject& s) {
              return double(clients) * per / seconds_of([&] { s.handshakes(clients, per, 1); });
            });
  }
  if (ref != nullptr && wanted("tcp-handshake-64-2threads")) {
    // Two threads share the work, so this row times the wall clock: thread
    // CPU time would see one thread's half. The same rounds also time each
    // stream on one thread by the wall clock, for the 2 ÷ 1 thread ratio in
    // the note (the 1-thread row above is CPU time, which a shared machine
    // does not inflate).
    const std::string id = "tcp-handshake-64-2threads";
    const std::string title =
        "full handshakes, " + std::to_string(clients) + " concurrent clients, 2 threads";
    progress(id);
    missing_rows(id, title, section, "handshakes/s", true);
    const int per = per_client();
    auto rate = [clients, per](tcp_subject& s, int threads) {
      const auto start = bench_clock::now();
      s.handshakes(clients, per, threads);
      const std::chrono::duration<double> t = bench_clock::now() - start;
      return double(clients) * per / t.count();
    };
    std::vector<sample_fn> cases;
    for (int threads : {2, 1}) {
      for (auto& s : subjects) {
        tcp_subject* subject = s.subject.get();
        cases.push_back([rate, subject, threads] { return rate(*subject, threads); });
      }
    }
    std::vector<result> new_rows;
    for (auto& s : subjects) {
      result r = row(id, title, section, s.name, "handshakes/s", true);
      r.protocol = s.info.version;
      r.cipher = s.info.cipher;
      new_rows.push_back(r);
    }
    try {
      const auto values = interleave(cases, o.rounds);
      for (std::size_t i = 0; i < new_rows.size(); ++i) {
        const std::vector<double>& two = values[i];
        const std::vector<double>& one = values[i + new_rows.size()];
        std::vector<double> scaling;
        for (std::size_t k = 0; k < two.size(); ++k) scaling.push_back(two[k] / one[k]);
        char note[200];
        std::snprintf(note, sizeof note,
                      "wall time; 2 threads ÷ 1 thread (wall time, same rounds): %.2f, "
                      "1 thread %.0f/s",
                      median(scaling), median(one));
        new_rows[i].values = two;
        new_rows[i].note = note;
      }
    } catch (const std::exception& ex) {
      ++errors;
      progress("  failed: " + std::string{ex.what()});
      for (auto& r : new_rows) r.note = ex.what();
    }
    rows.insert(rows.end(), new_rows.begin(), new_rows.end());
  }
  if (ref != nullptr && (wanted("tcp-echo-p50") || wanted("tcp-echo-p99"))) {
    std::vector<double> scratch;
    const auto count =
        o.amount != 0
            ? static_cast<int>(o.amount)
            : std::max<int>(o.smoke ? 20 : 200,
                            static_cast<int>(calibrate(
                                [&](std::size_t n) { ref->echo(static_cast<int>(n), scratch); }, 1,
                                o.sample_seconds)));
    // One sample gives both rows: its median and its 99th percentile.
    progress("tcp-echo-p50, tcp-echo-p99");
    missing_rows("tcp-echo-p50", "64 B echo round trip, p50", section, "µs", false);
    missing_rows("tcp-echo-p99", "64 B echo round trip, p99", section, "µs", false);
    std::vector<std::vector<double> > p99(subjects.size());
    std::vector<sample_fn> cases;
    for (std::size_t i = 0; i < subjects.size(); ++i) {
      tcp_subject* subject = subjects[i].subject.get();
      std::vector<double>* tail = &p99[i];
      cases.push_back([subject, count, tail] {
        std::vector<double> rtt;
        rtt.reserve(static_cast<std::size_t>(count));
        subject->echo(count, rtt);
        tail->push_back(quantile(rtt, 0.99));
        return quantile(rtt, 0.5);
      });
    }
    try {
      const auto p50 = interleave(cases, o.rounds);
      for (std::size_t i = 0; i < subjects.size(); ++i) {
        result a = row("tcp-echo-p50", "64 B echo round trip, p50", section, subjects[i].name, "µs",
                       false);
        result b = row("tcp-echo-p99", "64 B echo round trip, p99", section, subjects[i].name, "µs",
                       false);
        a.protocol = b.protocol = subjects[i].info.version;
        a.cipher = b.cipher = subjects[i].info.cipher;
        a.values = p50[i];
        // The warm-up round's tail came first: drop it to pair with p50.
        b.values.assign(p99[i].end() - static_cast<std::ptrdiff_t>(p50[i].size()), p99[i].end());
        b.note = "the 99th percentile of " + std::to_string(count) + " round trips per round";
        rows.push_back(a);
        rows.push_back(b);
      }
    } catch (const std::exception& ex) {
      ++errors;
      progress("  failed: " + std::string{ex.what()});
    }
  }
  if (wanted("tcp-reads-bulk") || wanted("tcp-sends-bulk") || wanted("tcp-reads-echo")) {
    // Counts, not timings: one pass each, the same work for every stream.
    const std::string calls_section = "Socket calls, loopback TCP (counted at the next layer)";
    const std::size_t bytes = o.smoke ? std::size_t{1} << 20 : std::size_t{32} << 20;
    const int round_trips = o.smoke ? 200 : 5000;
    progress("tcp socket calls");
    const char* titles[] = {"socket reads per 16 KiB record, bulk receiver",
                            "socket writes per 16 KiB record, bulk sender",
                            "socket reads per 64 B echo round trip, both ends"};
    const char* units[] = {"reads/record", "writes/record", "reads/round trip"};
    const char* row_ids[] = {"tcp-reads-bulk", "tcp-sends-bulk", "tcp-reads-echo"};
    for (int k = 0; k < 3; ++k) missing_rows(row_ids[k], titles[k], calls_section, units[k], false);
    for (auto& s : subjects) {
      result r[3];
      for (int k = 0; k < 3; ++k) {
        r[k] = row(row_ids[k], titles[k], calls_section, s.name, units[k], false);
        r[k].protocol = s.info.version;
        r[k].cipher = s.info.cipher;
        r[k].note = "a counted read is one recv call, two when it first finds nothing and waits";
      }
      try {
        const socket_calls c = s.subject->count_calls(bytes, round_trips);
        r[0].values.push_back(c.bulk_reads);
        r[1].values.push_back(c.bulk_writes);
        r[2].values.push_back(c.echo_reads);
      } catch (const std::exception& ex) {
        ++errors;
        for (auto& x : r) x.note = ex.what();
      }
      rows.insert(rows.end(), std::begin(r), std::end(r));
    }
  }
  if (wanted("tcp-heap-client") || wanted("tcp-heap-server")) {
    progress("tcp heap per idle stream (" + std::to_string(o.heap_connections) + " connections)");
    missing_rows("tcp-heap-client", "client stream", heap_section, "B", false);
    missing_rows("tcp-heap-server", "server stream", heap_section, "B", false);
    std::vector<result> clients;
    std::vector<result> servers;
    for (auto& s : subjects) {
      result c = row("tcp-heap-client", "client stream", heap_section, s.name, "B", false);
      result v = row("tcp-heap-server", "server stream", heap_section, s.name, "B", false);
      c.protocol = v.protocol = s.info.version;
      c.cipher = v.cipher = s.info.cipher;
      c.note = "TLS state and the stream's buffers; Asio pools the socket's own state";
      try {
        const auto [client, server] = s.subject->idle_heap(o.heap_connections);
        c.values.push_back(client);
        v.values.push_back(server);
      } catch (const std::exception& ex) {
        ++errors;
        c.note = v.note = ex.what();
      }
      clients.push_back(c);
      servers.push_back(v);
    }
    rows.insert(rows.end(), clients.begin(), clients.end());
    rows.insert(rows.end(), servers.begin(), servers.end());
  }
  return rows;
}

#endif

}  // namespace bench
