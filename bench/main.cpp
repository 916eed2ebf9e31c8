// SPDX-License-Identifier: ISC
// tlspp-bench: tlspp against raw libtls, OpenSSL, asio::ssl and the cipher's
// own limit, interleaved in one process. scripts/bench.sh builds and runs it.
//
//   tlspp-bench [--smoke] [--out DIR] [--rounds N] [--sample-ms MS]
//               [--only SUBSTRING] [--impl NAME] [--amount N] [--heap-connections N]
//
// --only keeps the workloads whose id contains SUBSTRING; --impl runs one
// implementation alone and --amount fixes the sample size (bytes for bulk
// transfers, count for handshakes) instead of calibrating it by time: with
// both, two runs under `valgrind --tool=callgrind` do the same work.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "asio_tcp.hpp"
#include "cipher_ceiling.h"
#include "harness.hpp"
#include "openssl_direct.h"
#include "pipe_impls.hpp"
#include "raw_libtls.h"
#include "report.hpp"
#include "tlspp/features.hpp"

namespace bench {
namespace {

struct options {
  bool smoke = false;
  std::filesystem::path out = "bench-out";
  int rounds = 41;
  double sample_seconds = 0.03;
  std::string only;
  std::string impl;
  int heap_connections = 1000;
  int heap_runs = 3;
  std::size_t amount = 0;  // fixed sample size instead of calibration
};

options parse(int argc, char** argv) {
  options o;
  bool rounds_set = false;
  bool sample_set = false;
  bool heap_set = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error{a + " needs a value"};
      return argv[++i];
    };
    if (a == "--smoke") {
      o.smoke = true;
    } else if (a == "--out") {
      o.out = value();
    } else if (a == "--rounds") {
      o.rounds = std::stoi(value());
      rounds_set = true;
    } else if (a == "--sample-ms") {
      o.sample_seconds = std::stod(value()) / 1000;
      sample_set = true;
    } else if (a == "--only") {
      o.only = value();
    } else if (a == "--impl") {
      o.impl = value();
    } else if (a == "--amount") {
      o.amount = std::stoull(value());
    } else if (a == "--heap-connections") {
      o.heap_connections = std::stoi(value());
      heap_set = true;
    } else if (a == "--help" || a == "-h") {
      std::puts(
          "usage: tlspp-bench [--smoke] [--out DIR] [--rounds N] [--sample-ms MS]\n"
          "                   [--only SUBSTRING] [--impl NAME] [--amount N]\n"
          "                   [--heap-connections N]");
      std::exit(0);
    } else {
      throw std::runtime_error{"unknown argument " + a};
    }
  }
  if (o.smoke) {
    if (!rounds_set) o.rounds = 3;
    if (!sample_set) o.sample_seconds = 0.004;
    if (!heap_set) o.heap_connections = 20;
    o.heap_runs = 1;
  }
  return o;
}

std::string pki(const char* name) { return std::string{TLSPP_BENCH_PKI_DIR} + "/" + name; }

/// A workload's TLS settings, with the strings its bench_profile points into.
struct profile_spec {
  std::string id;       // "tls13", "tls12-aes128", "tls12-rsa"
  std::string setting;  // for the tables
  std::string ca;
  std::string cert;
  std::string key;
  bool tls12_only = false;
  const char* ciphers = nullptr;
  bool resume = false;

  [[nodiscard]] bench_profile profile() const {
    return {ca.c_str(), cert.c_str(), key.c_str(), tls12_only ? 1 : 0, ciphers, resume ? 1 : 0};
  }
};

profile_spec tls13_ecdsa() {
  return {"tls13", "default versions (TLS 1.3) and cipher, ECDSA P-256", pki("ca-bundle.pem"),
          pki("server-ecdsa-chain.pem"), pki("server-ecdsa.key")};
}
profile_spec tls12_aes128() {
  return {"tls12",
          "TLS 1.2, ECDHE-ECDSA-AES128-GCM-SHA256",
          pki("ca-bundle.pem"),
          pki("server-ecdsa-chain.pem"),
          pki("server-ecdsa.key"),
          true,
          "ECDHE-ECDSA-AES128-GCM-SHA256"};
}
profile_spec tls12_rsa() {
  return {"tls12-rsa",           "TLS 1.2, RSA-2048",
          pki("ca-bundle.pem"),  pki("server-rsa-chain.pem"),
          pki("server-rsa.key"), true};
}

using factory = std::unique_ptr<pipe_impl> (*)(const bench_profile&);
struct pipe_entry {
  const char* name;
  factory make;
  bool control = false;  // timing only: the heap figures are exact
  /// The raw libtls rows: their library says itself whether it resumes, and
  /// where it does not, its resumed rows say why instead of a figure.
  const raw_libtls* raw = nullptr;
};
constexpr pipe_entry pipe_entries[] = {
    {impl_tlspp, make_tlspp},
    {impl_tlspp_mt, make_tlspp_memory_transport},
    {impl_libtls, make_raw_libtls, false, &raw_backend_libtls},
    {impl_libtls_control, make_raw_libtls, true, &raw_backend_libtls},
#if TLSPP_BENCH_HAVE_SYSTEM_LIBTLS
    {impl_system_libtls, make_raw_system_libtls, false, &raw_system_libtls},
#endif
    {impl_openssl, make_openssl},
};

class bench_run {
 public:
  explicit bench_run(options o) : opt_{std::move(o)} {
    backend_ = TLSPP_BENCH_BACKEND;
    engine_ = ossl_version();
    if (TLSPP_BENCH_ENGINE_UNDER_LIBTLS) backend_ += " over " + engine_;
#if TLSPP_BENCH_HAVE_SYSTEM_LIBTLS
    // Debian's libtls.so links the system's libssl, as tlspp-openssl does.
    system_libtls_ = TLSPP_BENCH_SYSTEM_LIBTLS " over " + engine_;
#endif
  }

  /// Workloads that failed while measuring (not the skipped ones).
  [[nodiscard]] int errors() const { return errors_; }

  void run() {
    std::filesystem::create_directories(opt_.out);
    bulk_workloads(tls13_ecdsa());
    bulk_workloads(tls12_aes128());
    handshake_workload(tls13_ecdsa());
    handshake_workload(tls12_rsa());
    resumption_workload(tls13_ecdsa());
    resumption_workload(tls12_aes128());
    heap_workload(tls13_ecdsa());
    ceiling_workloads();
    loopback_workloads();
    write();
  }

 private:
  [[nodiscard]] bool wanted(const std::string& workload) const {
    return opt_.only.empty() || workload.find(opt_.only) != std::string::npos;
  }
  [[nodiscard]] bool wanted_impl(const std::string& impl) const {
    return opt_.impl.empty() || impl == opt_.impl;
  }

  static void progress(const std::string& what) {
    std::fprintf(stderr, "tlspp-bench: %s\n", what.c_str());
  }

  result base(const std::string& workload, const std::string& title, const std::string& section,
              const std::string& setting, const std::string& impl, const std::string& unit) {
    result r;
    r.workload = workload;
    r.title = title;
    r.section = section;
    r.setting = setting;
    r.implementation = impl;
    r.unit = unit;
    r.backend = impl == impl_openssl || impl == impl_ceiling ? engine_
                : impl == impl_system_libtls                 ? system_libtls_
                                                             : backend_;
    return r;
  }

  /// The implementations that could be built and connected for `spec`
  /// (and, with resume, that resume); the others become results with the
  /// reason in their note.
  struct live_impl {
    const char* name;
    std::unique_ptr<pipe_impl> impl;
    negotiated info;
  };
  std::vector<live_impl> open_impls(const profile_spec& spec, bool with_control,
                                    std::vector<std::pair<std::string, std::string>>& failures) {
    std::vector<live_impl> live;
    const bench_profile p = spec.profile();
    for (const auto& e : pipe_entries) {
      if (!wanted_impl(e.name) || (e.control && !with_control)) continue;
      char why[256] = "";
      if (spec.resume && e.raw != nullptr && e.raw->resumption_check(&p, why, sizeof why) != 1) {
        failures.emplace_back(e.name, why);
        progress(std::string{"  "} + e.name + ": " + why);
        continue;
      }
      try {
        live_impl l{e.name, e.make(p), {}};
        l.impl->connect();
        l.info = l.impl->info();
        live.push_back(std::move(l));
      } catch (const std::exception& ex) {
        failures.emplace_back(e.name, ex.what());
        progress(std::string{"  "} + e.name + " unavailable: " + ex.what());
      }
    }
    return live;
  }

  /// Which implementation calibrates the sample size: raw libtls when it
  /// runs, else the first one.
  static std::size_t reference_index(const std::vector<live_impl>& live) {
    for (std::size_t i = 0; i < live.size(); ++i) {
      if (std::strcmp(live[i].name, impl_libtls) == 0) return i;
    }
    return 0;
  }

  /// Where a connection's buffers land changes its speed by several percent
  /// (cache sets, 4 KiB aliasing between buffers): two instances of the very
  /// same code differ that much. So each bulk sample opens a new connection
  /// behind a heap allocation of random size, and the median over the rounds
  /// averages the layouts out instead of keeping one lucky or unlucky layout.
  void shuffle_heap() {
    // Freed first: allocating the new pads while the old ones still live
    // makes malloc alternate between two places, and the layouts with it,
    // round by round, instead of drawing a new one.
    heap_pad_ = {};
    heap_pad2_ = {};
    std::uniform_int_distribution<std::size_t> size{1, 64 * 1024};
    heap_pad_.resize(size(rng_));
    heap_pad2_.resize(size(rng_) / 16);
  }

  void bulk_workloads(const profile_spec& spec) {
    struct size_spec {
      std::size_t chunk;
      const char* id;
      const char* title;
    };
    constexpr size_spec sizes[] = {{16384, "16k", "bulk, 16 KiB writes"},
                                   {1024, "1k", "bulk, 1 KiB writes"},
                                   {64, "64", "bulk, 64 B writes"}};
    bool any = false;
    for (const auto& s : sizes) any = any || wanted("bulk-" + std::string{s.id} + "-" + spec.id);
    if (!any) return;

    std::vector<std::pair<std::string, std::string>> failures;
    std::vector<live_impl> live = open_impls(spec, true, failures);
    for (const auto& s : sizes) {
      const std::string id = "bulk-" + std::string{s.id} + "-" + spec.id;
      if (!wanted(id)) continue;
      progress(id + " (" + spec.setting + ")");
      const std::string section = "Memory pipe: bulk transfer, one thread";
      std::vector<result> rows;
      std::vector<sample_fn> cases;
      std::size_t total = 0;
      for (const auto& [name, why] : failures) {
        result r = base(id, s.title, section, spec.setting, name, "MB/s");
        r.note = why;
        results_.push_back(r);
      }
      if (live.empty()) continue;
      // The ceiling of the cipher the connections negotiated, at this
      // record size.
      const std::string cipher = live[reference_index(live)].info.cipher;
      const char* aead = ceiling_cipher_for(cipher.c_str());
      auto ceil = std::make_shared<ceiling>();
      const bool have_ceiling = aead != nullptr && wanted_impl(impl_ceiling) &&
                                ceiling_init(ceil.get(), aead, s.chunk) == 0;
      try {
        pipe_impl& ref = *live[reference_index(live)].impl;
        total = opt_.amount != 0 ? opt_.amount
                                 : calibrate([&](std::size_t n) { ref.bulk(s.chunk, n); },
                                             BENCH_BATCH, opt_.sample_seconds);
        for (auto& l : live) {
          pipe_impl* impl = l.impl.get();
          const std::size_t chunk = s.chunk;
          cases.push_back([this, impl, chunk, total] {
            impl->disconnect();
            shuffle_heap();
            impl->connect();
            return static_cast<double>(total) / seconds_of([&] { impl->bulk(chunk, total); }) / 1e6;
          });
          result r = base(id, s.title, section, spec.setting, l.name, "MB/s");
          r.protocol = l.info.version;
          r.cipher = l.info.cipher;
          rows.push_back(r);
        }
        if (have_ceiling) {
          cases.push_back([ceil, total] {
            return static_cast<double>(total) / seconds_of([&] {
                     if (ceiling_run(ceil.get(), total) != 0) {
                       throw std::runtime_error{"cipher ceiling: a tag did not verify"};
                     }
                   }) /
                   1e6;
          });
          result r = base(id, s.title, section, spec.setting, impl_ceiling, "MB/s");
          r.cipher = aead;
          r.note = "EVP " + std::string{aead} + " seal+open of " + std::to_string(s.chunk) +
                   "-byte records: 1/(1/seal + 1/open)";
          rows.push_back(r);
        }
        const auto values = interleave(cases, opt_.rounds);
        for (std::size_t i = 0; i < rows.size(); ++i) rows[i].values = values[i];
      } catch (const std::exception& ex) {
        ++errors_;
        progress("  failed: " + std::string{ex.what()});
        for (auto& r : rows) r.note = ex.what();
      }
      if (have_ceiling) ceiling_free(ceil.get());
      results_.insert(results_.end(), rows.begin(), rows.end());
    }
  }

  void handshake_workload(const profile_spec& spec) {
    const std::string id = (spec.resume ? "resumed-" : "handshake-") + spec.id;
    if (!wanted(id)) return;
    progress(id + " (" + spec.setting + ")");
    const std::string section = "Memory pipe: handshakes, one thread";
    const std::string title = spec.resume ? "resumed handshakes" : "full handshakes";
    std::vector<std::pair<std::string, std::string>> failures;
    std::vector<live_impl> live = open_impls(spec, true, failures);
    for (const auto& [name, why] : failures) {
      result r = base(id, title, section, spec.setting, name, "handshakes/s");
      r.note = why;
      results_.push_back(r);
    }
    if (live.empty()) return;
    std::vector<result> rows;
    try {
      pipe_impl& ref = *live[reference_index(live)].impl;
      const auto count = static_cast<int>(
          opt_.amount != 0 ? opt_.amount
                           : calibrate([&](std::size_t n) { ref.handshakes(static_cast<int>(n)); },
                                       1, opt_.sample_seconds));
      std::vector<sample_fn> cases;
      for (auto& l : live) {
        pipe_impl* impl = l.impl.get();
        cases.push_back(
            [impl, count] { return count / seconds_of([&] { impl->handshakes(count); }); });
        result r = base(id, title, section, spec.setting, l.name, "handshakes/s");
        r.protocol = l.info.version;
        r.cipher = l.info.cipher;
        rows.push_back(r);
      }
      const auto values = interleave(cases, opt_.rounds);
      for (std::size_t i = 0; i < rows.size(); ++i) {
        rows[i].values = values[i];
        if (!spec.resume) continue;
        // A resumed-handshake figure is only one if the handshakes resumed.
        // The count is in every row, so that a reader sees they did (the
        // first may be a full one: nothing was saved yet).
        const auto count = live[i].impl->resumptions();
        rows[i].note = (count.resumed < count.handshakes - 1 ? "only " : "") +
                       std::to_string(count.resumed) + " of " + std::to_string(count.handshakes) +
                       " handshakes resumed";
      }
    } catch (const std::exception& ex) {
      ++errors_;
      progress("  failed: " + std::string{ex.what()});
      for (auto& r : rows) r.note = ex.what();
    }
    results_.insert(results_.end(), rows.begin(), rows.end());
  }

  /// Resumed handshakes, where the backend resumes (raw libtls decides);
  /// the system libtls beside tlspp-openssl decides for its own rows.
  void resumption_workload(profile_spec spec) {
    spec.resume = true;
    const std::string id = "resumed-" + spec.id;
    if (!wanted(id)) return;
    char why[256] = "";
    const bench_profile p = spec.profile();
    if (raw_backend_libtls.resumption_check(&p, why, sizeof why) == 1) {
      handshake_workload(spec);
      return;
    }
    progress(id + ": skipped, " + why);
    result r = base(id, "resumed handshakes", "Memory pipe: handshakes, one thread", spec.setting,
                    impl_libtls, "handshakes/s");
    r.note = why;
    results_.push_back(r);
  }

  void heap_workload(const profile_spec& spec) {
    if (!wanted("heap")) return;
    const int n = opt_.heap_connections;
    progress("heap per idle connection (" + std::to_string(n) + " connections)");
    const std::string section =
        "Heap per idle established connection (" + std::to_string(n) + " connections)";
    std::vector<std::pair<std::string, std::string>> failures;
    std::vector<live_impl> live = open_impls(spec, false, failures);
    struct side {
      const char* id;
      const char* title;
    };
    constexpr side sides[] = {{"heap-client", "client side, TLS objects"},
                              {"heap-server", "server side, TLS objects"},
                              {"heap-transport", "transport buffers, per connection"}};
    std::vector<result> rows;
    for (const auto& s : sides) {
      for (const auto& [name, why] : failures) {
        result r = base(s.id, s.title, section, spec.setting, name, "B");
        r.note = why;
        results_.push_back(r);
      }
    }
    for (auto& l : live) {
      result c =
          base("heap-client", "client side, TLS objects", section, spec.setting, l.name, "B");
      result sv =
          base("heap-server", "server side, TLS objects", section, spec.setting, l.name, "B");
      result t = base("heap-transport", "transport buffers, per connection", section, spec.setting,
                      l.name, "B");
      c.higher_is_better = sv.higher_is_better = t.higher_is_better = false;
      c.protocol = sv.protocol = t.protocol = l.info.version;
      c.cipher = sv.cipher = t.cipher = l.info.cipher;
      try {
        for (int run = 0; run < opt_.heap_runs; ++run) {
          const heap_figures h = l.impl->idle_heap(n);
          c.values.push_back(h.client);
          sv.values.push_back(h.server);
          t.values.push_back(h.transport);
        }
      } catch (const std::exception& ex) {
        ++errors_;
        progress("  " + std::string{l.name} + " failed: " + ex.what());
        c.note = sv.note = t.note = ex.what();
        c.values.clear();
        sv.values.clear();
        t.values.clear();
      }
      if (std::strcmp(l.name, impl_openssl) == 0) {
        t.note = "each half of a " + std::to_string(OSSL_BIO_PAIR_SIZE) +
                 "-byte BIO pair, measured apart";
      } else if (std::strcmp(l.name, impl_tlspp_mt) == 0) {
        t.note = "the memory_transport's inbox and outbox";
      }
      rows.push_back(c);
      rows.push_back(sv);
      rows.push_back(t);
    }
    // Grouped by side, as the table reads.
    for (const auto& s : sides) {
      for (const auto& r : rows) {
        if (r.workload == s.id) results_.push_back(r);
      }
    }
  }

  void ceiling_workloads() {
    const char* aeads[] = {"AES-128-GCM", "AES-256-GCM", "ChaCha20-Poly1305"};
    std::vector<std::shared_ptr<ceiling>> ceilings;
    std::vector<result> rows;
    std::vector<sample_fn> cases;
    for (const char* aead : aeads) {
      std::string id = std::string{"ceiling-"} + aead;
      std::transform(id.begin(), id.end(), id.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      if (!wanted(id) || !wanted_impl(impl_ceiling)) continue;
      auto c = std::make_shared<ceiling>();
      if (ceiling_init(c.get(), aead, 16384) != 0) continue;
      ceilings.push_back(c);
      const std::size_t total =
          calibrate([&](std::size_t n) { ceiling_run(c.get(), n); }, 16384, opt_.sample_seconds);
      cases.push_back([c, total] {
        return static_cast<double>(total) / seconds_of([&] { ceiling_run(c.get(), total); }) / 1e6;
      });
      result r = base(id, aead, "Cipher ceilings: seal+open of 16 KiB records, one thread",
                      "EVP, " + std::string{aead}, impl_ceiling, "MB/s");
      r.cipher = aead;
      rows.push_back(r);
    }
    if (cases.empty()) return;
    progress("cipher ceilings");
    const auto values = interleave(cases, opt_.rounds);
    for (std::size_t i = 0; i < rows.size(); ++i) rows[i].values = values[i];
    for (auto& c : ceilings) ceiling_free(c.get());
    results_.insert(results_.end(), rows.begin(), rows.end());
  }

  void loopback_workloads() {
    loopback_options lo;
    lo.rounds = opt_.rounds;
    lo.sample_seconds = opt_.sample_seconds;
    lo.smoke = opt_.smoke;
    lo.heap_connections = opt_.heap_connections;
    lo.amount = opt_.amount;
    lo.only = opt_.only;
    lo.impl = opt_.impl;
    lo.ca_file = pki("ca-bundle.pem");
    lo.cert_file = pki("server-ecdsa-chain.pem");
    lo.key_file = pki("server-ecdsa.key");
    lo.backend = backend_;
    lo.engine = engine_;
    std::vector<result> rows = run_loopback(lo, progress, errors_);
    results_.insert(results_.end(), rows.begin(), rows.end());
  }

  void write() {
    run_info info;
    info.date = utc_now();
    info.machine = machine_description();
    info.backend = backend_;
    info.system_libtls = system_libtls_;
    info.backend_features = tlspp::describe(tlspp::get_backend_features());
    info.engine = engine_;
    info.mode = opt_.smoke ? "smoke" : "full";
#ifndef __OPTIMIZE__
    info.optimized = false;
    progress("built without optimization: the ratios do not describe a release build");
#endif
    info.rounds = opt_.rounds;
    info.command = "bash scripts/bench.sh" + std::string{opt_.smoke ? " --smoke" : ""};
    write_json(opt_.out / "bench.json", info, results_);
    write_markdown(opt_.out / "bench.md", info, results_);
    write_gnuplot(opt_.out, info, results_);
    progress("wrote " + (opt_.out / "bench.json").string() + ", bench.md, bench.dat, bench.gp");
  }

  options opt_;
  std::mt19937 rng_{20240601};
  std::vector<std::byte> heap_pad_;
  std::vector<std::byte> heap_pad2_;
  std::string backend_;
  std::string engine_;
  std::string system_libtls_;  // the "system libtls" rows' library, if any
  std::vector<result> results_;
  int errors_ = 0;
};

}  // namespace
}  // namespace bench

int main(int argc, char** argv) {
  try {
    bench::bench_run run{bench::parse(argc, argv)};
    run.run();
    if (run.errors() > 0) {
      std::fprintf(stderr, "tlspp-bench: %d workload(s) failed: see the notes in bench.md\n",
                   run.errors());
      return 1;
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tlspp-bench: %s\n", e.what());
    return 1;
  }
}
