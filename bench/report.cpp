// SPDX-License-Identifier: ISC
#include "report.hpp"

#include <sys/utsname.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <span>
#include <stdexcept>
#include <thread>

#include "harness.hpp"

namespace bench {
namespace {

struct ratio_column {
  const char* a;
  const char* b;
  const char* title;
};

/// Ratios shown in the tables, in order; a column appears in a section
/// when both implementations ran there.
constexpr ratio_column ratio_columns[] = {
    {impl_tlspp, impl_libtls, "tlspp ÷ libtls"},
    {impl_tlspp_mt, impl_libtls, "tlspp (memory_transport) ÷ libtls"},
    {impl_tlspp, impl_openssl, "tlspp ÷ OpenSSL"},
    {impl_libtls, impl_openssl, "libtls ÷ OpenSSL"},
    {impl_system_libtls, impl_openssl, "system libtls ÷ OpenSSL"},
    {impl_libtls, impl_system_libtls, "libtls ÷ system libtls"},
    {impl_tlspp, impl_ceiling, "tlspp ÷ ceiling"},
    {impl_libtls_control, impl_libtls, "A/A control: libtls ÷ libtls"},
    {impl_tlspp_asio, impl_asio_ssl, "tlspp::asio ÷ asio::ssl"},
};

/// The plot's series: the ratios a reader looks for first, the loopback one
/// last (its workloads have no other). A series that has no value in the
/// run (no system libtls) is left out.
constexpr ratio_column plot_series[] = {
    {impl_tlspp, impl_libtls, "tlspp / libtls (the binding's cost)"},
    {impl_tlspp_mt, impl_libtls, "tlspp over memory_transport / libtls"},
    {impl_tlspp, impl_openssl, "tlspp / OpenSSL direct"},
    {impl_libtls, impl_system_libtls, "tlspp-openssl / system libtls (raw C)"},
    {impl_libtls_control, impl_libtls, "A/A control: libtls / libtls"},
    {impl_tlspp_asio, impl_asio_ssl, "tlspp::asio / asio::ssl (loopback TCP)"},
};

/// Heap rows show differences in bytes rather than ratios.
constexpr ratio_column delta_columns[] = {
    {impl_tlspp, impl_libtls, "tlspp − libtls"},
    {impl_tlspp_mt, impl_libtls, "tlspp (memory_transport) − libtls"},
    {impl_libtls, impl_system_libtls, "libtls − system libtls"},
    {impl_tlspp_asio, impl_asio_ssl, "tlspp::asio − asio::ssl"},
};

/// Three significant digits, no exponent.
std::string number(double v) {
  char buf[64];
  const double a = std::fabs(v);
  std::snprintf(buf, sizeof buf,
                a >= 100  ? "%.0f"
                : a >= 10 ? "%.1f"
                : a >= 1  ? "%.2f"
                          : "%.3f",
                v);
  return buf;
}

std::string ratio_text(double r) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", r);
  return buf;
}

const result* find(const std::vector<result>& results, const std::string& workload,
                   const std::string& impl) {
  for (const auto& r : results) {
    if (r.workload == workload && r.implementation == impl) return &r;
  }
  return nullptr;
}

template <class T>
void add_unique(std::vector<T>& v, const T& x) {
  if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
}

std::ofstream open(const std::filesystem::path& file) {
  std::ofstream out{file};
  if (!out) throw std::runtime_error{"cannot write " + file.string()};
  return out;
}

}  // namespace

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", std::gmtime(&t));
  return buf;
}

std::string machine_description() {
  std::string cpu;
  std::ifstream in{"/proc/cpuinfo"};
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) == 0) {
      cpu = line.substr(line.find(':') + 2);
      break;
    }
  }
  utsname u{};
  uname(&u);
  return (cpu.empty() ? std::string{u.machine} : cpu) + ", " +
         std::to_string(std::thread::hardware_concurrency()) + " CPUs, " + u.sysname + " " +
         u.release;
}

std::optional<double> ratio(const result& a, const result& b) {
  if (a.values.empty() || b.values.empty()) return std::nullopt;
  auto speed = [&](double x, double y) -> double {
    if (x <= 0 || y <= 0) return NAN;
    return a.higher_is_better ? x / y : y / x;
  };
  if (a.values.size() == b.values.size()) {
    std::vector<double> per_round;
    for (std::size_t i = 0; i < a.values.size(); ++i) {
      const double r = speed(a.values[i], b.values[i]);
      if (std::isfinite(r)) per_round.push_back(r);
    }
    if (per_round.empty()) return std::nullopt;
    return median(per_round);
  }
  const double r = speed(median(a.values), median(b.values));
  if (!std::isfinite(r)) return std::nullopt;
  return r;
}

void write_json(const std::filesystem::path& file, const run_info& info,
                const std::vector<result>& results) {
  std::ofstream out = open(file);
  out << "{\n";
  out << "  \"date\": " << json_string(info.date) << ",\n";
  out << "  \"machine\": " << json_string(info.machine) << ",\n";
  out << "  \"backend\": " << json_string(info.backend) << ",\n";
  out << "  \"backend_features\": " << json_string(info.backend_features) << ",\n";
  out << "  \"engine\": " << json_string(info.engine) << ",\n";
  if (!info.system_libtls.empty()) {
    out << "  \"system_libtls\": " << json_string(info.system_libtls) << ",\n";
  }
  out << "  \"mode\": " << json_string(info.mode) << ",\n";
  out << "  \"optimized\": " << (info.optimized ? "true" : "false") << ",\n";
  out << "  \"rounds\": " << info.rounds << ",\n";
  out << "  \"command\": " << json_string(info.command) << ",\n";
  out << "  \"records\": [";
  bool first = true;
  for (const auto& r : results) {
    out << (first ? "\n" : ",\n") << "    {";
    first = false;
    out << "\"workload\": " << json_string(r.workload);
    out << ", \"title\": " << json_string(r.title);
    out << ", \"section\": " << json_string(r.section);
    out << ", \"setting\": " << json_string(r.setting);
    out << ", \"implementation\": " << json_string(r.implementation);
    out << ", \"unit\": " << json_string(r.unit);
    out << ", \"better\": " << json_string(r.higher_is_better ? "higher" : "lower");
    if (r.values.empty()) {
      out << ", \"median\": null, \"min\": null, \"max\": null";
    } else {
      out << ", \"median\": " << json_number(median(r.values));
      out << ", \"min\": " << json_number(*std::min_element(r.values.begin(), r.values.end()));
      out << ", \"max\": " << json_number(*std::max_element(r.values.begin(), r.values.end()));
    }
    out << ", \"runs\": " << r.values.size();
    out << ", \"backend\": " << json_string(r.backend);
    out << ", \"protocol\": " << json_string(r.protocol);
    out << ", \"cipher\": " << json_string(r.cipher);
    out << ", \"ratios\": {";
    bool first_ratio = true;
    for (const auto& c : ratio_columns) {
      if (r.implementation != c.a) continue;
      const result* other = find(results, r.workload, c.b);
      if (other == nullptr) continue;
      const auto x = ratio(r, *other);
      if (!x) continue;
      out << (first_ratio ? "" : ", ") << json_string(std::string{"vs "} + c.b) << ": "
          << json_number(*x);
      first_ratio = false;
    }
    out << "}";
    if (!r.note.empty()) out << ", \"note\": " << json_string(r.note);
    out << ", \"values\": [";
    for (std::size_t i = 0; i < r.values.size(); ++i) {
      out << (i ? ", " : "") << json_number(r.values[i]);
    }
    out << "]}";
  }
  out << "\n  ]\n}\n";
}

void write_markdown(const std::filesystem::path& file, const run_info& info,
                    const std::vector<result>& results) {
  std::ofstream out = open(file);
  out << "<!-- Written by tlspp-bench (" << info.command << "). -->\n\n";
  out << "Backend: " << info.backend << " (" << info.backend_features << ").  \n";
  out << "Engine for the OpenSSL and cipher-ceiling rows: " << info.engine << ".  \n";
  if (!info.system_libtls.empty()) {
    out << "System libtls (the raw libtls code again, on the system's libtls, in the same "
           "process): "
        << info.system_libtls << ".  \n";
  }
  out << "Machine: " << info.machine << "; " << info.date << "; " << info.mode << " run, "
      << info.rounds << " interleaved rounds.\n\n";
  if (!info.optimized) {
    out << "**Built without optimization** (no CMAKE_BUILD_TYPE): tlspp's C++ layers cost\n"
           "far more here than in a release build, so its ratios to raw libtls and OpenSSL\n"
           "do not describe a release build. scripts/bench.sh builds Release.\n\n";
  }
  out << "Medians of the rounds. Ratios are speed ratios (> 1: the first is faster; for\n"
         "latency the inverse of the times), each the median of the per-round ratios.\n";

  std::vector<std::string> sections;
  for (const auto& r : results) add_unique(sections, r.section);

  for (const auto& section : sections) {
    std::vector<std::string> workloads;
    std::vector<std::string> impls;
    bool heap = false;
    for (const auto& r : results) {
      if (r.section != section) continue;
      add_unique(workloads, r.workload);
      add_unique(impls, r.implementation);
      heap = heap || r.unit == "B";
    }
    std::vector<ratio_column> extra;
    for (const auto& c : heap ? std::span<const ratio_column>{delta_columns}
                              : std::span<const ratio_column>{ratio_columns}) {
      const bool has_a = std::find(impls.begin(), impls.end(), c.a) != impls.end();
      const bool has_b = std::find(impls.begin(), impls.end(), c.b) != impls.end();
      if (has_a && has_b) extra.push_back(c);
    }

    out << "\n### " << section << "\n\n| workload | setting | unit |";
    for (const auto& i : impls) out << " " << i << " |";
    for (const auto& c : extra) out << " " << c.title << " |";
    out << " negotiated |\n|---|---|---|";
    for (std::size_t i = 0; i < impls.size() + extra.size(); ++i) out << "---:|";
    out << "---|\n";

    std::vector<std::string> notes;
    for (const auto& w : workloads) {
      const result* any = nullptr;
      for (const auto& i : impls) {
        if (const result* r = find(results, w, i); r != nullptr && any == nullptr) any = r;
      }
      out << "| " << any->title << " | " << any->setting << " | " << any->unit << " |";
      for (const auto& i : impls) {
        const result* r = find(results, w, i);
        if (r == nullptr) {
          out << " |";
        } else if (r->values.empty()) {
          out << " n/a |";
        } else {
          out << " " << number(median(r->values)) << " |";
        }
        if (r != nullptr && !r->note.empty()) {
          add_unique(notes, any->title + " (" + any->setting + "), " + i + ": " + r->note);
        }
      }
      for (const auto& c : extra) {
        const result* a = find(results, w, c.a);
        const result* b = find(results, w, c.b);
        if (a == nullptr || b == nullptr || a->values.empty() || b->values.empty()) {
          out << " |";
        } else if (heap) {
          out << " " << std::showpos << std::lround(median(a->values) - median(b->values))
              << std::noshowpos << " |";
        } else if (const auto x = ratio(*a, *b)) {
          out << " " << ratio_text(*x) << " |";
        } else {
          out << " |";
        }
      }
      // The protocol and cipher of the first implementation that has them.
      std::string negotiated;
      for (const auto& i : impls) {
        const result* r = find(results, w, i);
        if (r != nullptr && !r->cipher.empty()) {
          negotiated = r->protocol.empty() ? r->cipher : r->protocol + " " + r->cipher;
          break;
        }
      }
      out << " " << negotiated << " |\n";
    }
    if (!notes.empty()) {
      out << "\n";
      for (const auto& n : notes) out << "- " << n << "\n";
    }
  }
}

void write_gnuplot(const std::filesystem::path& dir, const run_info& info,
                   const std::vector<result>& results) {
  std::vector<std::string> workloads;
  for (const auto& r : results) {
    // Heap bytes and socket-call counts are tables, not speed ratios.
    const bool count = r.unit.starts_with("reads/") || r.unit.starts_with("writes/");
    if (r.unit != "B" && !count) add_unique(workloads, r.workload);
  }
  auto value = [&](const std::string& w, const ratio_column& s) -> std::optional<double> {
    const result* a = find(results, w, s.a);
    const result* b = find(results, w, s.b);
    if (a == nullptr || b == nullptr) return std::nullopt;
    return ratio(*a, *b);
  };
  std::vector<ratio_column> shown;
  for (const auto& s : plot_series) {
    if (std::any_of(workloads.begin(), workloads.end(),
                    [&](const std::string& w) { return value(w, s).has_value(); })) {
      shown.push_back(s);
    }
  }
  std::ofstream dat = open(dir / "bench.dat");
  dat << "workload";
  for (const auto& s : shown) dat << "\t" << s.title;
  dat << "\n";
  int rows = 0;
  for (const auto& w : workloads) {
    std::vector<std::string> cells;
    bool any = false;
    for (const auto& s : shown) {
      const std::optional<double> x = value(w, s);
      cells.push_back(x ? ratio_text(*x) : "-");
      any = any || x.has_value();
    }
    if (!any) continue;
    dat << w;
    for (const auto& c : cells) dat << "\t" << c;
    dat << "\n";
    ++rows;
  }

  const int series = static_cast<int>(shown.size());
  std::ofstream gp = open(dir / "bench.gp");
  gp << "# Written by tlspp-bench: run `gnuplot bench.gp` in this directory.\n"
     << "set terminal png size " << std::max(900, 140 + rows * 95) << ",640 font ',10'\n"
     << "set output 'bench.png'\n"
     << "set title \"tlspp: speed ratios per workload (above 1: tlspp faster)\\n"
     << info.backend << "; " << info.mode << " run on " << info.date << "\" noenhanced\n"
     << "set datafile separator '\\t'\n"
     << "set datafile missing '-'\n"
     << "set style data histograms\n"
     << "set style histogram clustered gap 1\n"
     << "set style fill solid 0.8 border -1\n"
     << "set boxwidth 1\n"
     << "set key outside bottom center horizontal noenhanced autotitle columnhead\n"
     << "set xtics rotate by 30 right noenhanced nomirror\n"
     << "set ytics nomirror\n"
     << "set grid ytics\n"
     << "set ylabel 'speed ratio'\n"
     << "set yrange [0:1.25<*<2.5]\n"
     << "set xrange [-0.6:" << rows << "-0.4]\n"
     << "set arrow from graph 0, first 1 to graph 1, first 1 nohead lw 2 lc rgb 'black' front\n"
     << "set arrow from graph 0, first 0.99 to graph 1, first 0.99 nohead dt 2 lc rgb 'red' front\n"
     << "set label 'goal 0.99' at graph 1, first 0.96 right textcolor rgb 'red' front\n"
     << "offset(i) = (i - " << (series - 1) / 2.0 << ") / " << series + 1 << ".0\n"
     << "plot";
  for (int i = 0; i < series; ++i) {
    gp << (i ? ", \\\n     ''" : " 'bench.dat'") << " using " << i + 2 << (i ? "" : ":xtic(1)");
  }
  for (int i = 0; i < series; ++i) {
    gp << ", \\\n     '' using ($0 + offset(" << i << ")):" << i + 2 << ":(sprintf('%.2f', $"
       << i + 2 << ")) with labels rotate by 90 left offset 0,0.3 font ',7' notitle";
  }
  gp << "\n";
}

}  // namespace bench
