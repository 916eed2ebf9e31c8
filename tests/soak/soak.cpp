// SPDX-License-Identifier: ISC
// tlspp-soak: many handshakes and much data through one process, sampling
// resident memory and heap in use, to show that neither grows once warm.
//
// A server thread accepts each connection over one end of a socketpair and
// echoes what it reads; the main thread connects over the other end, sends a
// pattern in chunks of varying size and checks every echoed byte. The
// connections alternate TLS 1.3 and TLS 1.2, a fresh client and a reset one,
// and half of them present a client certificate. Both sides share their
// configs across the two threads.
//
// Prints one CSV row per sample and a summary; exits 1 on any TLS or data
// error, or when the heap in use after warm-up grows by more than
// --max-heap-growth-kib (a leak, not a timing).
#include <malloc.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tlspp/tlspp.hpp"

namespace {

struct options {
  std::uint64_t handshakes = 100'000;
  std::uint64_t bytes = 10ull << 30;  // sent by the clients, echoed back
  std::uint64_t sample_every = 1000;
  std::uint64_t max_heap_growth_kib = 1024;
  std::string pki = TLSPP_TEST_PKI_DIR;
  std::string csv;
};

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "tlspp-soak: " << why << "\n"
            << "usage: tlspp-soak [--handshakes N] [--bytes N] [--sample-every N]\n"
            << "                  [--max-heap-growth-kib N] [--pki DIR] [--csv FILE]\n";
  std::exit(2);
}

std::uint64_t number(std::string_view flag, std::string_view text) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size()) {
    usage(std::string{flag} + " wants a number, got '" + std::string{text} + "'");
  }
  return v;
}

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (i + 1 >= argc) usage(std::string{flag} + " needs a value");
    const std::string_view value = argv[++i];
    if (flag == "--handshakes") {
      o.handshakes = number(flag, value);
    } else if (flag == "--bytes") {
      o.bytes = number(flag, value);
    } else if (flag == "--sample-every") {
      o.sample_every = std::max<std::uint64_t>(1, number(flag, value));
    } else if (flag == "--max-heap-growth-kib") {
      o.max_heap_growth_kib = number(flag, value);
    } else if (flag == "--pki") {
      o.pki = value;
    } else if (flag == "--csv") {
      o.csv = value;
    } else {
      usage("unknown option " + std::string{flag});
    }
  }
  if (o.handshakes == 0) usage("--handshakes must be at least 1");
  return o;
}

std::uint64_t resident_kib() {
  std::ifstream statm{"/proc/self/statm"};
  std::uint64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE)) / 1024;
}

std::uint64_t heap_in_use_kib() { return mallinfo2().uordblks / 1024; }

/// The byte at `offset` of connection `conn`'s stream: differs per
/// connection and per position, so a misplaced or stale byte shows.
std::byte pattern(std::uint64_t conn, std::uint64_t offset) {
  return static_cast<std::byte>((offset * 31 + conn * 7 + (offset >> 8)) & 0xff);
}

void expect_ok(const tlspp::connection& c, tlspp::io_result r, const char* what) {
  if (!r.ok()) {
    throw std::runtime_error{std::string{what} + ": " + tlspp::to_string(r.status) + ": " +
                             c.error_message()};
  }
}

/// Hands accepted sockets from the client loop to the server thread.
class socket_queue {
 public:
  void push(int fd) {
    {
      std::lock_guard lock{mutex_};
      fds_.push_back(fd);
    }
    ready_.notify_one();
  }
  /// The next socket, or nothing once closed and drained.
  std::optional<int> pop() {
    std::unique_lock lock{mutex_};
    ready_.wait(lock, [&] { return !fds_.empty() || closed_; });
    if (fds_.empty()) return std::nullopt;
    const int fd = fds_.front();
    fds_.pop_front();
    return fd;
  }
  void close() {
    {
      std::lock_guard lock{mutex_};
      closed_ = true;
    }
    ready_.notify_one();
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<int> fds_;
  bool closed_ = false;
};

/// Echoes every connection until the queue closes; records the first error.
void serve(tlspp::server& server, socket_queue& queue, std::string& error) {
  std::vector<std::byte> buf(16384);
  while (const std::optional<int> fd = queue.pop()) {
    try {
      tlspp::server_connection conn = server.accept_socket(*fd);
      expect_ok(conn, conn.handshake(), "server handshake");
      for (;;) {
        const tlspp::io_result r = conn.recv(buf);
        if (r.status == tlspp::io_status::closed) break;
        expect_ok(conn, r, "server recv");
        expect_ok(conn, conn.send(std::span{buf.data(), r.bytes}), "server send");
      }
      expect_ok(conn, conn.close(), "server close");
    } catch (const std::exception& e) {
      if (error.empty()) error = e.what();
    }
    ::close(*fd);
  }
}

struct client_configs {
  tlspp::config tls13;
  tlspp::config tls12;
  tlspp::config tls13_with_cert;
  tlspp::config tls12_with_cert;

  const tlspp::config& pick(std::uint64_t i) const {
    const bool v13 = i % 2 == 0;
    if (i % 4 == 1 || i % 4 == 2) return v13 ? tls13_with_cert : tls12_with_cert;
    return v13 ? tls13 : tls12;
  }
};

tlspp::config client_config(const std::string& pki, tlspp::protocol version, bool with_cert) {
  tlspp::config_options o;
  o.ca_file = pki + "/ca-bundle.pem";
  o.protocols = version;
  if (with_cert) {
    o.cert_file = pki + "/client-chain.pem";
    o.key_file = pki + "/client.key";
  }
  return tlspp::config{o};
}

/// One connection from the client side: handshake, echo `quota` bytes in
/// chunks of 1 B to 16 KiB, check every byte back, close.
void run_client(tlspp::client& client, int fd, std::uint64_t conn_no, std::uint64_t quota,
                std::vector<std::byte>& out, std::vector<std::byte>& in) {
  client.connect_socket(fd, "localhost");
  expect_ok(client, client.handshake(), "client handshake");
  std::uint64_t sent = 0;
  std::uint64_t chunk_seed = conn_no;
  while (sent < quota) {
    chunk_seed = chunk_seed * 6364136223846793005ull + 1442695040888963407ull;
    const std::size_t size =
        static_cast<std::size_t>(std::min<std::uint64_t>(quota - sent, 1 + (chunk_seed >> 50)));
    for (std::size_t k = 0; k < size; ++k) out[k] = pattern(conn_no, sent + k);
    std::size_t written = 0;
    while (written < size) {
      const tlspp::io_result r = client.send(std::span{out.data() + written, size - written});
      expect_ok(client, r, "client send");
      written += r.bytes;
    }
    std::size_t echoed = 0;
    while (echoed < size) {
      const tlspp::io_result r = client.recv(std::span{in.data() + echoed, size - echoed});
      expect_ok(client, r, "client recv");
      echoed += r.bytes;
    }
    if (std::memcmp(in.data(), out.data(), size) != 0) {
      throw std::runtime_error{"connection " + std::to_string(conn_no) +
                               ": echoed bytes differ from the ones sent"};
    }
    sent += size;
  }
  expect_ok(client, client.close(), "client close");
  std::byte tail[1];
  const tlspp::io_result end = client.recv(tail);
  if (end.status != tlspp::io_status::closed) {
    throw std::runtime_error{"connection " + std::to_string(conn_no) +
                             ": expected the server's close_notify, got " +
                             tlspp::to_string(end.status) + " " + client.error_message()};
  }
}

struct sample {
  std::uint64_t handshakes, bytes, rss_kib, heap_kib;
  double seconds;
};

}  // namespace

int main(int argc, char** argv) {
  const options opt = parse(argc, argv);
  std::ofstream csv_file;
  if (!opt.csv.empty()) {
    csv_file.open(opt.csv);
    if (!csv_file) usage("cannot write " + opt.csv);
  }
  std::ostream& csv = opt.csv.empty() ? std::cout : csv_file;

  try {
    tlspp::config_options server_opts;
    server_opts.cert_file = opt.pki + "/server-ecdsa-chain.pem";
    server_opts.key_file = opt.pki + "/server-ecdsa.key";
    server_opts.ca_file = opt.pki + "/ca-bundle.pem";
    server_opts.protocols = tlspp::protocol_set::secure();
    // Clients with and without certificates need verify_client_optional,
    // and the TLS 1.3 ones a backend with TLS 1.3: where either is missing
    // (libtls-bearssl), the soak runs what the backend has.
    const tlspp::backend_features& features = tlspp::get_backend_features();
    const bool mutual = features.verify_client_optional;
    const tlspp::protocol newest =
        features.tls1_3 ? tlspp::protocol::tlsv1_3 : tlspp::protocol::tlsv1_2;
    server_opts.verify_client_optional = mutual;
    const tlspp::config server_conf{server_opts};
    const client_configs clients{client_config(opt.pki, newest, false),
                                 client_config(opt.pki, tlspp::protocol::tlsv1_2, false),
                                 client_config(opt.pki, newest, mutual),
                                 client_config(opt.pki, tlspp::protocol::tlsv1_2, mutual)};

    tlspp::server server{server_conf};
    socket_queue queue;
    std::string server_error;
    std::thread server_thread{[&] { serve(server, queue, server_error); }};

    std::vector<std::byte> out(16384), in(16384);
    std::vector<sample> samples;
    const auto start = std::chrono::steady_clock::now();
    csv << "handshakes,bytes,rss_kib,heap_kib,seconds\n";
    const auto take_sample = [&](std::uint64_t handshakes, std::uint64_t bytes) {
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      samples.push_back({handshakes, bytes, resident_kib(), heap_in_use_kib(), seconds});
      const sample& s = samples.back();
      csv << s.handshakes << ',' << s.bytes << ',' << s.rss_kib << ',' << s.heap_kib << ','
          << s.seconds << std::endl;
    };
    take_sample(0, 0);  // configs loaded, server thread up, no connection yet
    std::uint64_t bytes = 0;
    std::optional<tlspp::client> reused;
    std::string client_error;
    for (std::uint64_t i = 0; i < opt.handshakes && client_error.empty(); ++i) {
      int fds[2];
      if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
        throw std::runtime_error{std::string{"socketpair: "} + std::strerror(errno)};
      }
      queue.push(fds[1]);
      // Spread the bytes evenly: connection i sends its share of the total.
      const std::uint64_t quota =
          opt.bytes / opt.handshakes + (i < opt.bytes % opt.handshakes ? 1 : 0);
      try {
        const tlspp::config& conf = clients.pick(i);
        if (i % 3 == 0) {
          tlspp::client fresh{conf};
          run_client(fresh, fds[0], i, quota, out, in);
        } else {
          if (!reused) reused.emplace(conf);
          reused->reset(conf);
          run_client(*reused, fds[0], i, quota, out, in);
        }
      } catch (const std::exception& e) {
        client_error = "connection " + std::to_string(i) + ": " + e.what();
      }
      ::close(fds[0]);
      bytes += quota;
      if ((i + 1) % opt.sample_every == 0 || i + 1 == opt.handshakes) take_sample(i + 1, bytes);
    }
    queue.close();
    server_thread.join();
    if (!client_error.empty() || !server_error.empty()) {
      std::cerr << "tlspp-soak: FAILED: " << (client_error.empty() ? "" : client_error)
                << (server_error.empty() ? "" : " server: " + server_error) << "\n";
      return 1;
    }

    // Warm-up: the first tenth of the run (at least one connection).
    const std::size_t warm =
        std::min(samples.size() - 1, std::max<std::size_t>(1, samples.size() / 10));
    const sample& base = samples[warm];
    const sample& last = samples.back();
    std::uint64_t max_rss = 0, max_heap = 0;
    for (std::size_t k = warm; k < samples.size(); ++k) {
      max_rss = std::max(max_rss, samples[k].rss_kib);
      max_heap = std::max(max_heap, samples[k].heap_kib);
    }
    const auto growth = [](std::uint64_t from, std::uint64_t to) {
      return static_cast<long long>(to) - static_cast<long long>(from);
    };
    std::cerr << "tlspp-soak: " << last.handshakes << " handshakes, " << last.bytes
              << " bytes echoed, " << last.seconds << " s\n"
              << "  after warm-up (" << base.handshakes << " handshakes): rss " << base.rss_kib
              << " KiB, heap " << base.heap_kib << " KiB\n"
              << "  at the end: rss " << last.rss_kib << " KiB (max " << max_rss << "), heap "
              << last.heap_kib << " KiB (max " << max_heap << ")\n"
              << "  growth after warm-up: rss " << growth(base.rss_kib, last.rss_kib)
              << " KiB, heap " << growth(base.heap_kib, last.heap_kib) << " KiB\n";
    if (growth(base.heap_kib, last.heap_kib) > static_cast<long long>(opt.max_heap_growth_kib)) {
      std::cerr << "tlspp-soak: FAILED: the heap grew by more than " << opt.max_heap_growth_kib
                << " KiB after warm-up\n";
      return 1;
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "tlspp-soak: FAILED: " << e.what() << "\n";
    return 1;
  }
}
