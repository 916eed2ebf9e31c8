// SPDX-License-Identifier: ISC
// Built against an installed tlspp::asio when the package has it. It names
// asio::io_service, which Asio hides under ASIO_NO_DEPRECATED: it compiles
// only if linking tlspp::asio leaves that choice to the consumer.
#include <asio/io_service.hpp>
#include <asio/ip/tcp.hpp>
#include <tlspp/asio/stream.hpp>

#include <iostream>

int main() {
  asio::io_service io;
  const tlspp::config conf{tlspp::config_options{.alpn = {"http/1.1"}}};
  tlspp::asio::stream<asio::ip::tcp::socket> s{io, conf};
  std::cout << "tlspp::asio consumer: stream built\n";
  return s.connection().handshake_done() ? 1 : 0;
}
