// SPDX-License-Identifier: ISC
// tlspp-scale: N TLS connections over loopback TCP, client and server
// streams in one process, all established and held open at once, each with
// a handshake and a 64-byte echo, then all closed with close_notify. It
// measures the wall time, the heap per connection and the peak RSS, for
// tlspp::asio::stream and then asio::ssl::stream, each in a fresh child
// process. scripts/scale.sh builds and runs it; docs/performance.md explains
// the output.
//
//   tlspp-scale [--connections N] [--parallel K] [--runs R] [--impl NAME] [--out DIR]
//
// --connections: how many connections are held at once (default 10000);
// --parallel: how many are being opened at a time (default 128);
// --runs: runs of each implementation, alternating which goes first; the
// report gives the medians (default 1); --impl: one implementation alone.
// Writes DIR/scale.json and DIR/scale.md.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <openssl/crypto.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/version.hpp>
#include <asio/write.hpp>

#include "asio_streams.hpp"
#include "harness.hpp"
#include "profile.h"
#include "report.hpp"

namespace bench {
namespace {

using tcp = ::asio::ip::tcp;
using ::asio::awaitable;
using ::asio::use_awaitable;

constexpr std::size_t echo_size = 64;
/// Descriptors a run opens beside the two sockets per connection and those
/// open at start (stdio): the acceptor, Asio's epoll, eventfd and timerfd,
/// the pipe to the parent, /proc/self/status while it is read, and a margin.
constexpr rlim_t run_descriptors = 12;

/// The descriptors open now.
rlim_t open_descriptors() {
  rlim_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator{"/proc/self/fd"}) ++n;
  return n > 0 ? n - 1 : 0;  // less the iterator's own
}

struct options {
  int connections = 10000;
  int parallel = 128;
  int runs = 1;
  std::string impl;
  std::filesystem::path out = "build/scale-results";
};

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error{a + " needs a value"};
      return argv[++i];
    };
    if (a == "--connections") {
      o.connections = std::stoi(value());
    } else if (a == "--parallel") {
      o.parallel = std::stoi(value());
    } else if (a == "--runs") {
      o.runs = std::stoi(value());
    } else if (a == "--impl") {
      o.impl = value();
    } else if (a == "--out") {
      o.out = value();
    } else if (a == "--help" || a == "-h") {
      std::puts(
          "usage: tlspp-scale [--connections N] [--parallel K] [--runs R] [--impl NAME]\n"
          "                   [--out DIR]");
      std::exit(0);
    } else {
      throw std::runtime_error{"unknown argument " + a};
    }
  }
  if (o.connections < 1 || o.parallel < 1 || o.runs < 1) {
    throw std::runtime_error{"--connections, --parallel and --runs take a positive count"};
  }
  return o;
}

void say(const std::string& what) { std::fprintf(stderr, "tlspp-scale: %s\n", what.c_str()); }

/// A field of /proc/self/status in KiB (VmRSS, VmHWM), or 0.
double status_kib(const char* field) {
  std::ifstream in{"/proc/self/status"};
  const std::string prefix = std::string{field} + ":";
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) == 0) return std::stod(line.substr(prefix.size()));
  }
  return 0;
}

std::string load_average() {
  std::ifstream in{"/proc/loadavg"};
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

/// The descriptor limit, raised as a server raises it.
struct descriptor_limit {
  rlim_t soft_before = 0;
  rlim_t hard_before = 0;
  rlim_t soft = 0;
  rlim_t hard = 0;
  std::string how;
};

/// Raises RLIMIT_NOFILE's soft limit to its hard limit, as a server does
/// at start. `connections` need two sockets each, beside `others`; when
/// even the hard limit is below that, raises both limits to it, which only
/// a privileged process (CAP_SYS_RESOURCE) may do. Throws, saying what to
/// run, when the limit stays below it.
descriptor_limit raise_descriptor_limit(rlim_t connections, rlim_t others) {
  const rlim_t needed = 2 * connections + others;
  descriptor_limit d;
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) != 0) throw std::runtime_error{"getrlimit failed"};
  d.soft_before = r.rlim_cur;
  d.hard_before = r.rlim_max;
  if (r.rlim_max != RLIM_INFINITY && r.rlim_max < needed) {
    const rlimit raised{needed, needed};
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) {
      d.how = "setrlimit(RLIMIT_NOFILE) raised the soft and the hard limit to " +
              std::to_string(needed) +
              " (the hard limit was lower; this process may raise it: CAP_SYS_RESOURCE)";
    } else {
      throw std::runtime_error{
          std::to_string(needed) + " descriptors needed, but the hard limit (`ulimit -Hn`) is " +
          std::to_string(r.rlim_max) +
          " and this process may not raise it. Raise it where the program starts: as root, "
          "`ulimit -Hn " +
          std::to_string(needed) +
          "` in the shell that runs it, LimitNOFILE=" + std::to_string(needed) +
          " in a systemd unit, or a `nofile` line in /etc/security/limits.conf; or pass "
          "--connections " +
          std::to_string(r.rlim_max > others ? (r.rlim_max - others) / 2 : 0) +
          " or fewer, which fit under it"};
    }
  } else {
    r.rlim_cur = r.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &r) != 0) throw std::runtime_error{"setrlimit failed"};
    d.how = "setrlimit(RLIMIT_NOFILE) raised the soft limit to the hard limit";
  }
  getrlimit(RLIMIT_NOFILE, &r);
  d.soft = r.rlim_cur;
  d.hard = r.rlim_max;
  return d;
}

/// The kernel's range of ports for connect() without bind().
struct port_range {
  int low = 0;
  int high = 0;
  [[nodiscard]] int count() const { return high - low + 1; }
};

/// Every client connects to one address, so each needs a local port of its
/// own: throws, saying what to run, when the range has fewer than `needed`.
port_range check_port_range(int needed) {
  port_range p;
  std::ifstream in{"/proc/sys/net/ipv4/ip_local_port_range"};
  if (!(in >> p.low >> p.high)) return {};  // not Linux: nothing to check
  if (p.count() < needed) {
    throw std::runtime_error{
        "net.ipv4.ip_local_port_range (" + std::to_string(p.low) + "-" + std::to_string(p.high) +
        ") has " + std::to_string(p.count()) + " ports, fewer than the " + std::to_string(needed) +
        " client connections to 127.0.0.1 need: widen it (as root: `sysctl -w "
        "net.ipv4.ip_local_port_range=\"1024 65535\"`) or pass a smaller --connections"};
  }
  return p;
}

/// What one implementation's run measured; the child writes it to the pipe.
struct figures {
  int connections = 0;    ///< held open at once
  int failures = 0;       ///< operations that failed
  double open_s = 0;      ///< connect, handshake and echo of all, wall time
  double close_s = 0;     ///< close_notify both ways on all, wall time
  double cpu_s = 0;       ///< user + system time of the whole run
  double heap_per = 0;    ///< heap per held connection, both ends
  double heap_left = 0;   ///< heap still in use once all are freed
  double rss_before = 0;  ///< KiB, after the warm-up
  double rss_peak = 0;    ///< KiB, VmHWM
  char version[32] = "";
  char cipher[64] = "";
  char error[256] = "";  ///< the first failure
};

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) { return double(t.tv_sec) + double(t.tv_usec) * 1e-6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

void copy(char* to, std::size_t size, const std::string& from) {
  std::snprintf(to, size, "%s", from.c_str());
}

/// Opens, holds and closes the connections of one implementation, client
/// and server in one io_context on this thread.
template <class Policy>
class scale_run {
  using stream_type = typename Policy::stream_type;

 public:
  scale_run(const tls_files& files, const options& o) : policy_{files}, opt_{o} {}

  figures run() {
    figures f;
    // One connection first, so that what the first connection builds
    // lazily (and keeps) is not counted per connection.
    open(1);
    close_all();
    clients_.clear();
    servers_.clear();
    const auto n = static_cast<std::size_t>(opt_.connections);
    clients_.reserve(n);
    servers_.reserve(n);
    if (failures_ == 0) {
      f.rss_before = status_kib("VmRSS");
      const std::size_t heap_before = bench_heap_in_use();
      const double cpu_start = cpu_seconds();
      const auto start = std::chrono::steady_clock::now();
      open(opt_.connections);
      const auto opened = std::chrono::steady_clock::now();
      const std::size_t heap_open = bench_heap_in_use();
      if (failures_ == 0 && !clients_.empty()) {
        const tcp_negotiated info = Policy::info(*clients_.front());
        copy(f.version, sizeof f.version, info.version);
        copy(f.cipher, sizeof f.cipher, info.cipher);
      }
      f.connections = static_cast<int>(std::min(clients_.size(), servers_.size()));
      if (failures_ == 0) close_all();
      const auto closed = std::chrono::steady_clock::now();
      f.cpu_s = cpu_seconds() - cpu_start;
      clients_.clear();
      servers_.clear();
      clients_.shrink_to_fit();
      servers_.shrink_to_fit();
      const std::size_t heap_after = bench_heap_in_use();
      f.open_s = std::chrono::duration<double>(opened - start).count();
      f.close_s = std::chrono::duration<double>(closed - opened).count();
      f.heap_per = heap_open > heap_before
                       ? double(heap_open - heap_before) / std::max(f.connections, 1)
                       : 0;
      f.heap_left = double(heap_after) - double(heap_before);
    }
    f.rss_peak = status_kib("VmHWM");
    f.failures = failures_;
    copy(f.error, sizeof f.error, first_error_);
    return f;
  }

 private:
  /// Any failure stops the run: an accept or a handshake that waits for a
  /// peer that failed would otherwise wait for ever.
  void failed(const std::exception_ptr& e) {
    if (!e) return;
    ++failures_;
    if (first_error_.empty()) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        first_error_ = ex.what();
      }
    }
    io_.stop();
  }

  void run_io() {
    io_.restart();
    io_.run();
  }

  /// `n` connections, `parallel` being opened at a time; each is held.
  void open(int n) {
    to_open_ = n;
    auto done = [this](const std::exception_ptr& e) { failed(e); };
    ::asio::co_spawn(io_, accept_loop(n), done);
    for (int i = 0; i < std::min(n, opt_.parallel); ++i) ::asio::co_spawn(io_, opener(), done);
    run_io();
  }

  /// close_notify both ways on every connection at once: each end sends its
  /// own and waits for its peer's. Then the streams close their sockets
  /// when freed.
  void close_all() {
    auto done = [this](const std::exception_ptr& e) { failed(e); };
    for (auto& s : clients_) ::asio::co_spawn(io_, shut(*s), done);
    for (auto& s : servers_) ::asio::co_spawn(io_, shut(*s), done);
    run_io();
  }

  static awaitable<void> shut(stream_type& s) { co_await s.async_shutdown(use_awaitable); }

  awaitable<void> opener() {
    while (to_open_ > 0) {
      --to_open_;
      tcp::socket c{io_};
      co_await c.async_connect(acceptor_.local_endpoint(), use_awaitable);
      c.set_option(tcp::no_delay(true));
      std::unique_ptr<stream_type> s = policy_.client(std::move(c));
      co_await Policy::client_handshake(*s);
      std::array<std::byte, echo_size> message{};
      message.fill(std::byte{'e'});
      co_await ::asio::async_write(*s, ::asio::buffer(message), use_awaitable);
      co_await ::asio::async_read(*s, ::asio::buffer(message), use_awaitable);
      if (message[0] != std::byte{'e'}) throw std::runtime_error{"the echo came back changed"};
      clients_.push_back(std::move(s));
    }
  }

  awaitable<void> accept_loop(int n) {
    for (int i = 0; i < n; ++i) {
      tcp::socket s = co_await acceptor_.async_accept(use_awaitable);
      ::asio::co_spawn(io_, serve(std::move(s)),
                       [this](const std::exception_ptr& e) { failed(e); });
    }
  }

  awaitable<void> serve(tcp::socket socket) {
    socket.set_option(tcp::no_delay(true));
    std::unique_ptr<stream_type> s = policy_.server(std::move(socket));
    co_await Policy::server_handshake(*s);
    std::array<std::byte, echo_size> message{};
    co_await ::asio::async_read(*s, ::asio::buffer(message), use_awaitable);
    co_await ::asio::async_write(*s, ::asio::buffer(message), use_awaitable);
    servers_.push_back(std::move(s));
  }

  Policy policy_;
  options opt_;
  ::asio::io_context io_{1};
  tcp::acceptor acceptor_{io_, {::asio::ip::address_v4::loopback(), 0}};
  std::vector<std::unique_ptr<stream_type>> clients_;
  std::vector<std::unique_ptr<stream_type>> servers_;
  int to_open_ = 0;
  int failures_ = 0;
  std::string first_error_;
};

/// Runs `measure` in a child process, so that each implementation starts
/// from a fresh heap and its own peak RSS; returns what it measured.
template <class F>
figures in_child(F&& measure) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error{"pipe failed"};
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error{"fork failed"};
  if (pid == 0) {
    close(fds[0]);
    figures f;
    try {
      f = measure();
    } catch (const std::exception& e) {
      f.failures = std::max(f.failures, 1);
      copy(f.error, sizeof f.error, e.what());
    }
    const ssize_t w = write(fds[1], &f, sizeof f);
    _exit(w == static_cast<ssize_t>(sizeof f) ? 0 : 1);
  }
  close(fds[1]);
  figures f;
  std::size_t got = 0;
  while (got < sizeof f) {
    const ssize_t r = read(fds[0], reinterpret_cast<char*>(&f) + got, sizeof f - got);
    if (r <= 0) break;
    got += static_cast<std::size_t>(r);
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (got != sizeof f) {
    f = figures{};
    f.failures = 1;
    copy(f.error, sizeof f.error,
         "the child process died (status " + std::to_string(status) + ") before reporting");
  }
  return f;
}

/// One implementation's runs.
struct outcome {
  const char* name;
  std::string backend;
  std::vector<figures> runs;

  [[nodiscard]] const figures* failed() const {
    for (const auto& f : runs) {
      if (f.failures > 0) return &f;
    }
    return nullptr;
  }
  /// The median over the runs of `value`.
  [[nodiscard]] double median_of(double (*value)(const figures&)) const {
    std::vector<double> v;
    for (const auto& f : runs) v.push_back(value(f));
    return median(v);
  }
};

struct report_info {
  std::string date;
  std::string machine;
  std::string load_start;
  std::string load_end;
  descriptor_limit limit;
  port_range ports;
  options opt;
};

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

/// One row of the table: a figure of every implementation and, with two,
/// their quotient.
struct table_row {
  const char* title;
  double (*value)(const figures&);
  int digits;
};

double connections_per_s(const figures& f) { return f.open_s > 0 ? f.connections / f.open_s : 0; }

constexpr table_row table_rows[] = {
    {"open: TCP connect, handshake and 64 B echo, all (s)",
     [](const figures& f) { return f.open_s; }, 2},
    {"connections opened per second", connections_per_s, 0},
    {"close: close_notify both ways, all at once (s)", [](const figures& f) { return f.close_s; },
     2},
    {"total wall time (s)", [](const figures& f) { return f.open_s + f.close_s; }, 2},
    {"CPU time, user + system, open and close (s)", [](const figures& f) { return f.cpu_s; }, 2},
    {"heap per connection, client + server stream (B)", [](const figures& f) { return f.heap_per; },
     0},
    {"peak RSS (MiB)", [](const figures& f) { return f.rss_peak / 1024; }, 1},
    {"peak RSS growth per connection (B)",
     [](const figures& f) {
       return f.connections > 0 ? (f.rss_peak - f.rss_before) * 1024 / f.connections : 0;
     },
     0},
    {"heap still in use per connection once all are closed and freed (B)",
     [](const figures& f) { return f.connections > 0 ? f.heap_left / f.connections : 0; }, 0},
};

void write_reports(const report_info& info, const std::vector<outcome>& results) {
  std::filesystem::create_directories(info.opt.out);
  const std::string command = "tlspp-scale --connections " + std::to_string(info.opt.connections) +
                              " --parallel " + std::to_string(info.opt.parallel) + " --runs " +
                              std::to_string(info.opt.runs);
  const std::string limit_text =
      "RLIMIT_NOFILE soft " + std::to_string(info.limit.soft_before) + ", hard " +
      std::to_string(info.limit.hard_before) + " at start; " + info.limit.how + ": soft " +
      std::to_string(info.limit.soft) + ", hard " + std::to_string(info.limit.hard);
  const std::string ports_text = info.ports.count() > 0
                                     ? std::to_string(info.ports.low) + "-" +
                                           std::to_string(info.ports.high) + " (" +
                                           std::to_string(info.ports.count()) + " ports)"
                                     : std::string{"unknown"};

  std::ofstream js{info.opt.out / "scale.json"};
  js << "{\n";
  js << "  \"date\": " << json_string(info.date) << ",\n";
  js << "  \"machine\": " << json_string(info.machine) << ",\n";
  js << "  \"load_average_start\": " << json_string(info.load_start) << ",\n";
  js << "  \"load_average_end\": " << json_string(info.load_end) << ",\n";
  js << "  \"command\": " << json_string(command) << ",\n";
  js << "  \"connections\": " << info.opt.connections << ",\n";
  js << "  \"parallel_opens\": " << info.opt.parallel << ",\n";
  js << "  \"echo_bytes\": " << echo_size << ",\n";
  js << "  \"descriptors\": {\"soft_before\": " << info.limit.soft_before
     << ", \"hard_before\": " << info.limit.hard_before << ", \"soft\": " << info.limit.soft
     << ", \"hard\": " << info.limit.hard << ", \"how\": " << json_string(info.limit.how) << "},\n";
  js << "  \"local_port_range\": [" << info.ports.low << ", " << info.ports.high << "],\n";
  js << "  \"runs\": " << info.opt.runs << ",\n";
  // One run's figures, or the medians over the runs.
  auto fields = [&](auto value) {
    return "{\"connections\": " +
           json_number(value([](const figures& f) { return double(f.connections); })) +
           ", \"open_seconds\": " + json_number(value([](const figures& f) { return f.open_s; })) +
           ", \"close_seconds\": " +
           json_number(value([](const figures& f) { return f.close_s; })) +
           ", \"cpu_seconds\": " + json_number(value([](const figures& f) { return f.cpu_s; })) +
           ", \"heap_per_connection\": " +
           json_number(value([](const figures& f) { return f.heap_per; })) +
           ", \"rss_before_kib\": " +
           json_number(value([](const figures& f) { return f.rss_before; })) +
           ", \"peak_rss_kib\": " +
           json_number(value([](const figures& f) { return f.rss_peak; })) +
           ", \"heap_left\": " + json_number(value([](const figures& f) { return f.heap_left; })) +
           "}";
  };
  js << "  \"results\": [";
  for (std::size_t i = 0; i < results.size(); ++i) {
    const outcome& r = results[i];
    const figures& first = r.runs.front();
    const figures* failed = r.failed();
    js << (i ? ",\n" : "\n") << "    {\"implementation\": " << json_string(r.name)
       << ", \"backend\": " << json_string(r.backend)
       << ", \"protocol\": " << json_string(first.version)
       << ", \"cipher\": " << json_string(first.cipher) << ",\n     \"median\": "
       << fields([&](double (*v)(const figures&)) { return r.median_of(v); });
    js << ",\n     \"runs\": [";
    for (std::size_t k = 0; k < r.runs.size(); ++k) {
      const figures& f = r.runs[k];
      js << (k ? ", " : "") << fields([&](double (*v)(const figures&)) { return v(f); });
    }
    js << "]";
    if (failed != nullptr) {
      js << ", \"failures\": " << failed->failures << ", \"error\": " << json_string(failed->error);
    }
    js << "}";
  }
  js << "\n  ]\n}\n";

  std::ofstream md{info.opt.out / "scale.md"};
  md << "<!-- Written by tlspp-scale (" << command << "). -->\n\n";
  md << info.opt.connections << " TLS connections over loopback TCP, client and server streams "
     << "in one process and one thread, all held open at once; each has a full handshake and a "
     << echo_size << "-byte echo, then all close with close_notify both ways. " << info.opt.parallel
     << " connections are being opened at a time. Each implementation "
     << "runs in a fresh child process.\n\n";
  for (const auto& r : results) md << r.name << ": " << r.backend << ".  \n";
  md << "Machine: " << info.machine << "; " << info.date << ".  \n";
  md << "Load average (1, 5, 15 min): " << info.load_start << " at the start, " << info.load_end
     << " at the end.  \n";
  md << "Descriptors: " << limit_text << ".  \n";
  md << "Local ports for the clients: " << ports_text << ".\n\n";
  if (info.opt.runs > 1) {
    md << "Medians of " << info.opt.runs << " runs of each, alternating which goes first; the "
       << "quotient is the median of the runs' quotients.\n\n";
  }
  md << "| " << info.opt.connections << " connections |";
  for (const auto& r : results) md << " " << r.name << " |";
  // The quotient when both ran (tlspp's column first).
  const bool ratio = results.size() == 2 && results[0].runs.size() == results[1].runs.size();
  if (ratio) md << " tlspp::asio ÷ asio::ssl |";
  md << "\n|---|";
  for (std::size_t i = 0; i < results.size() + (ratio ? 1 : 0); ++i) md << "---:|";
  md << "\n";
  for (const auto& row : table_rows) {
    md << "| " << row.title << " |";
    for (const auto& r : results) {
      md << " " << (r.failed() == nullptr ? fixed(r.median_of(row.value), row.digits) : "n/a")
         << " |";
    }
    if (ratio) {
      std::vector<double> quotients;
      for (std::size_t k = 0; k < results[0].runs.size(); ++k) {
        const double a = row.value(results[0].runs[k]);
        const double b = row.value(results[1].runs[k]);
        if (a > 0 && b > 0) quotients.push_back(a / b);
      }
      md << " " << (quotients.empty() ? "" : fixed(median(quotients), 2)) << " |";
    }
    md << "\n";
  }
  md << "\nWall time, except the CPU row. Heap is glibc's `mallinfo2()` in use, over the "
        "connections held open (idle after their echo). The quotient is of the values: below 1, "
        "tlspp takes less time or memory (on the rate row, above 1 is faster). What stays in "
        "use after all are freed is Asio's pool of per-socket reactor state, which it keeps for "
        "reuse.\n";
  for (const auto& r : results) {
    const figures& f = r.runs.front();
    if (f.version[0] != '\0')
      md << "\n" << r.name << " negotiated " << f.version << " " << f.cipher << ".";
  }
  md << "\n";
  for (const auto& r : results) {
    if (const figures* f = r.failed()) {
      md << "\n**" << r.name << " failed** (" << f->failures << " operations): " << f->error
         << "\n";
    }
  }
}

int run(const options& o) {
  const tls_files files{std::string{TLSPP_BENCH_PKI_DIR} + "/ca-bundle.pem",
                        std::string{TLSPP_BENCH_PKI_DIR} + "/server-ecdsa-chain.pem",
                        std::string{TLSPP_BENCH_PKI_DIR} + "/server-ecdsa.key"};
  report_info info;
  info.opt = o;
  info.date = utc_now();
  info.machine = machine_description();
  info.load_start = load_average();
  const rlim_t others = open_descriptors() + run_descriptors;
  const rlim_t needed = 2 * static_cast<rlim_t>(o.connections) + others;
  info.limit = raise_descriptor_limit(static_cast<rlim_t>(o.connections), others);
  say("descriptors: " + info.limit.how + " (" + std::to_string(info.limit.soft_before) + " -> " +
      std::to_string(info.limit.soft) + "; " + std::to_string(o.connections) +
      " connections need a client and a server socket each: " + std::to_string(needed) +
      " with spares)");
  info.ports = check_port_range(o.connections);
  if (info.ports.count() > 0) {
    say("local ports " + std::to_string(info.ports.low) + "-" + std::to_string(info.ports.high) +
        ": " + std::to_string(info.ports.count()) + " for " + std::to_string(o.connections) +
        " clients");
  }
  const std::string engine = OpenSSL_version(OPENSSL_VERSION);
  const std::string asio = "Asio " + std::to_string(ASIO_VERSION / 100000) + "." +
                           std::to_string(ASIO_VERSION / 100 % 1000) + "." +
                           std::to_string(ASIO_VERSION % 100) + " over " + engine;
  struct subject {
    const char* name;
    std::string backend;
    std::function<figures()> measure;
  };
  std::vector<subject> subjects;
  auto add = [&](const char* name, const std::string& backend, auto make) {
    if (o.impl.empty() || o.impl == name) subjects.push_back({name, backend, make});
  };
#if TLSPP_BENCH_HAVE_TLSPP_ASIO
  std::string backend = TLSPP_BENCH_BACKEND;
  if (TLSPP_BENCH_ENGINE_UNDER_LIBTLS) backend += " over " + engine;
  add(impl_tlspp_asio, backend,
      [&] { return std::make_unique<scale_run<tlspp_policy<tcp::socket>>>(files, o)->run(); });
#endif
  add(impl_asio_ssl, asio,
      [&] { return std::make_unique<scale_run<asio_ssl_policy<tcp::socket>>>(files, o)->run(); });
  std::vector<outcome> results;
  for (const auto& s : subjects) results.push_back({s.name, s.backend, {}});
  for (int run = 0; run < o.runs; ++run) {
    // Every other run starts with the other implementation.
    for (std::size_t k = 0; k < subjects.size(); ++k) {
      const std::size_t i = run % 2 == 0 ? k : subjects.size() - 1 - k;
      say(std::string{subjects[i].name} + ": " + std::to_string(o.connections) +
          " connections, run " + std::to_string(run + 1) + " of " + std::to_string(o.runs) + "...");
      const figures f = in_child(subjects[i].measure);
      say(std::string{subjects[i].name} + ": open " + fixed(f.open_s, 2) + " s, close " +
          fixed(f.close_s, 2) + " s, heap/connection " + fixed(f.heap_per, 0) + " B, peak RSS " +
          fixed(f.rss_peak / 1024, 1) + " MiB" +
          (f.failures > 0 ? ", FAILED: " + std::string{f.error} : std::string{}));
      results[i].runs.push_back(f);
    }
  }
  info.load_end = load_average();
  write_reports(info, results);
  say("wrote " + (o.out / "scale.json").string() + " and scale.md");
  if (results.empty()) {
    say("no implementation ran (--impl " + o.impl + "?)");
    return 1;
  }
  for (const auto& r : results) {
    if (r.failed() != nullptr) return 1;
  }
  return 0;
}

}  // namespace
}  // namespace bench

int main(int argc, char** argv) {
  try {
    return bench::run(bench::parse(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tlspp-scale: %s\n", e.what());
    return 2;
  }
}
