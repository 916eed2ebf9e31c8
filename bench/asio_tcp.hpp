// SPDX-License-Identifier: ISC
// Loopback TCP rows: tlspp::asio::stream against asio::ssl::stream, the
// same certificates and cipher, client and server in one io_context.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "report.hpp"

namespace bench {

struct loopback_options {
  int rounds = 0;
  double sample_seconds = 0;
  bool smoke = false;
  int heap_connections = 0;
  std::size_t amount = 0;  ///< fixed sample size (bytes per connection, or count), else calibrated
  std::string only;        ///< workload id filter (substring)
  std::string impl;        ///< one implementation alone, or all
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::string backend;  ///< for the tlspp rows
  std::string engine;   ///< for the asio::ssl rows
};

/// Runs the loopback workloads; a build without Asio (or without the
/// tlspp::asio stream) returns rows that say so. Counts the workloads that
/// failed while measuring in `errors`.
std::vector<result> run_loopback(const loopback_options& options,
                                 void (*progress)(const std::string&), int& errors);

}  // namespace bench
