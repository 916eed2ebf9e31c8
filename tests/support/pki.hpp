// SPDX-License-Identifier: ISC
// The test PKI that the build generates (tests/pki/make-pki.sh).
#pragma once

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

#include "tlspp/config.hpp"

namespace tlspp::test::pki {

inline std::filesystem::path dir() { return TLSPP_TEST_PKI_DIR; }
inline std::filesystem::path path(const std::string& name) { return dir() / name; }

inline std::string read(const std::string& name) {
  std::ifstream in{path(name), std::ios::binary};
  if (!in) throw std::runtime_error{"missing test PKI file " + path(name).string()};
  return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

/// A server presenting `name`-chain.pem with `name`.key (default: the
/// ECDSA localhost certificate).
inline config_options server_options(const std::string& name = "server-ecdsa") {
  config_options o;
  o.cert_file = path(name + "-chain.pem");
  o.key_file = path(name + ".key");
  return o;
}

/// A client trusting the test root CA, verifying everything.
inline config_options client_options() {
  config_options o;
  o.ca_file = path("ca-bundle.pem");
  return o;
}

}  // namespace tlspp::test::pki
