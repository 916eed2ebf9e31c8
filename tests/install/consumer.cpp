// SPDX-License-Identifier: ISC
// Built against an installed tlspp, once through find_package and once
// through pkg-config (and as a subproject): proves the package works outside
// the source tree, and that the library it runs with is the one its headers
// describe.
#include <tlspp/tlspp.hpp>

#include <cstring>
#include <iostream>

int main() {
  const tlspp::config conf{tlspp::config_options{.alpn = {"http/1.1"}}};
  tlspp::client client{conf};
  std::cout << "tlspp " << tlspp::version()
            << " consumer: " << tlspp::describe(tlspp::get_backend_features()) << "\n";
  if (std::strcmp(tlspp::version(), TLSPP_VERSION_STRING) != 0) {
    std::cerr << "headers " << TLSPP_VERSION_STRING << ", library " << tlspp::version() << "\n";
    return 1;
  }
  return client.handshake_done() ? 1 : 0;
}
