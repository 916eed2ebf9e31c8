// SPDX-License-Identifier: ISC
// Built against an installed tlspp, once through find_package and once
// through pkg-config: proves the package works outside the source tree.
#include <tlspp/tlspp.hpp>

#include <iostream>

int main() {
  const tlspp::config conf{tlspp::config_options{.alpn = {"http/1.1"}}};
  tlspp::client client{conf};
  std::cout << "tlspp consumer: " << tlspp::describe(tlspp::get_backend_features()) << "\n";
  return client.handshake_done() ? 1 : 0;
}
