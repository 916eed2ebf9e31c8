// SPDX-License-Identifier: ISC
// The results, and the files they are written to: bench.json (one record
// per workload x implementation), bench.md (tables of medians and ratios)
// and bench.dat + bench.gp (the gnuplot input for bench.png).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace bench {

// Implementation names, as they appear in every output.
inline constexpr const char* impl_tlspp = "tlspp";
inline constexpr const char* impl_tlspp_mt = "tlspp (memory_transport)";
inline constexpr const char* impl_libtls = "libtls";
/// A second, independent instance of the raw libtls code: the A/A control
/// that shows how far two runs of the same code differ on this machine.
inline constexpr const char* impl_libtls_control = "libtls, 2nd instance";
/// With tlspp-openssl as the backend: the same raw C code on the system's
/// libtls (libretls), loaded beside it.
inline constexpr const char* impl_system_libtls = "system libtls";
inline constexpr const char* impl_openssl = "OpenSSL";
inline constexpr const char* impl_ceiling = "cipher ceiling";
inline constexpr const char* impl_tlspp_asio = "tlspp::asio::stream";
inline constexpr const char* impl_asio_ssl = "asio::ssl::stream";

struct result {
  std::string workload;  ///< id, e.g. "bulk-16k-tls13"
  std::string title;     ///< e.g. "bulk, 16 KiB writes"
  std::string section;   ///< the table it goes in
  std::string setting;   ///< e.g. "TLS 1.3, default cipher"
  std::string implementation;
  std::string unit;
  bool higher_is_better = true;
  /// One value per round; rounds are interleaved across the implementations
  /// of a workload, so values[r] of two implementations were taken together.
  std::vector<double> values;
  std::string backend;
  std::string protocol;
  std::string cipher;
  std::string note;  ///< why there are no values, or how to read them
};

/// a over b as a speed: > 1 means `a` is better, whatever the unit's
/// direction. The median of the per-round ratios when both ran the same
/// rounds, else the ratio of the medians. None when either is missing.
std::optional<double> ratio(const result& a, const result& b);

struct run_info {
  std::string date;
  std::string machine;
  std::string backend;
  std::string backend_features;
  std::string engine;
  /// The library of the "system libtls" rows; empty when there are none.
  std::string system_libtls;
  std::string mode;  ///< "full" or "smoke"
  /// Built with optimization: without, tlspp's C++ layers cost several
  /// times what they cost in a release build, and the ratios mislead.
  bool optimized = true;
  int rounds = 0;
  std::string command;
};

/// The CPU model, CPU count and kernel, for a report's header.
std::string machine_description();
/// "YYYY-MM-DD HH:MM UTC".
std::string utc_now();
/// `s` as a JSON string literal, quotes included.
std::string json_string(const std::string& s);
/// `v` as a JSON number (6 significant digits), or null when not finite.
std::string json_number(double v);

void write_json(const std::filesystem::path& file, const run_info& info,
                const std::vector<result>& results);
void write_markdown(const std::filesystem::path& file, const run_info& info,
                    const std::vector<result>& results);
/// bench.dat and bench.gp; `gnuplot bench.gp` (run in the directory) writes
/// bench.png.
void write_gnuplot(const std::filesystem::path& dir, const run_info& info,
                   const std::vector<result>& results);

}  // namespace bench
