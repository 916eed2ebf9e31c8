// SPDX-License-Identifier: ISC
// Built against an installed tlspp::boost_asio when the package has it. It
// names boost::asio::io_service, which Boost hides under
// BOOST_ASIO_NO_DEPRECATED: it compiles only if linking tlspp::boost_asio
// leaves that choice to the consumer. It includes no standalone Asio header:
// a Boost program must not need libasio-dev.
#include <boost/asio/io_service.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <tlspp/boost_asio/stream.hpp>

#include <iostream>

int main() {
  boost::asio::io_service io;
  const tlspp::config conf{tlspp::config_options{.alpn = {"http/1.1"}}};
  tlspp::boost_asio::stream<boost::asio::ip::tcp::socket> s{io, conf};
  std::cout << "tlspp::boost_asio consumer: stream built\n";
  return s.connection().handshake_done() ? 1 : 0;
}
