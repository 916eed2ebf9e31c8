// SPDX-License-Identifier: ISC
// Links tlspp-openssl and the system's libtls into one program and does a
// handshake with each: the two share no symbol, each call lands in its own
// library, and neither disturbs the other.
#include <cstdio>
#include <string>

#include "test_identity.hpp"

std::string run_ours(const std::string& cert, const std::string& key, std::string& version,
                     std::string& library);
std::string run_system(const std::string& cert, const std::string& key, std::string& version,
                       std::string& library);

using tlspp_openssl_test::make_identity;

int main() {
  std::string cert, key;
  if (!make_identity(cert, key)) {
    std::puts("FAIL: could not make a test certificate");
    return 1;
  }
  int failures = 0;
  std::string home[2];
  const char* names[2] = {"tlspp-openssl", "system libtls"};
  for (int i = 0; i < 2; ++i) {
    std::string version;
    const std::string failed =
        i == 0 ? run_ours(cert, key, version, home[i]) : run_system(cert, key, version, home[i]);
    std::printf("%s: %s, %s, tls_handshake from %s\n", names[i],
                failed.empty() ? "handshake ok" : failed.c_str(), version.c_str(), home[i].c_str());
    if (!failed.empty()) ++failures;
  }
  // Each tls_handshake must come from its own library: ours is linked in
  // statically, the system's is a shared object.
  if (home[0] == home[1] || home[1].find("libtls.so") == std::string::npos) {
    std::puts("FAIL: both calls did not land in their own library");
    ++failures;
  }
  return failures == 0 ? 0 : 1;
}
