// SPDX-License-Identifier: ISC
// A tlspp::server accepting a connection from a peer that sends arbitrary
// bytes (see script in fuzz_support.hpp for the input's layout). Every call
// must end in a clear result: no crash, leak, hang or escaped exception.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz_configs.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tlspp::fuzz;
  // One server per variant for the whole run, as a real server accepts many
  // connections (none keeps a session cache: no session_id is set).
  static std::array<tlspp::server, config_variants> servers{
      tlspp::server{setup_config(server_options(0), "server variant 0")},
      tlspp::server{setup_config(server_options(1), "server variant 1")},
      tlspp::server{setup_config(server_options(2), "server variant 2")},
      tlspp::server{setup_config(server_options(3), "server variant 3")}};

  const thread_state_release release;
  const script s{std::span{data, size}};
  scripted_peer peer{s};
  tlspp::server_connection c = servers[static_cast<std::size_t>(s.variant())].accept(
      [&](std::span<std::byte> b) { return peer.read(b); },
      [&](std::span<const std::byte> b) { return peer.write(b); });
  drive(c, s, peer);
  return 0;
}
