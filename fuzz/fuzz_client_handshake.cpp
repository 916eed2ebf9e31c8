// SPDX-License-Identifier: ISC
// A tlspp::client connecting to "localhost" over a transport that delivers
// arbitrary server bytes (see script in fuzz_support.hpp for the input's
// layout); verification is on but in the insecure variants. Every call must
// end in a clear result: no crash, leak, hang or escaped exception.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz_configs.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tlspp::fuzz;
  static const std::array<tlspp::config, config_variants> configs{
      setup_config(client_options(0), "client variant 0"),
      setup_config(client_options(1), "client variant 1"),
      setup_config(client_options(2), "client variant 2"),
      setup_config(client_options(3), "client variant 3")};

  const thread_state_release release;
  const script s{std::span{data, size}};
  scripted_peer peer{s};
  tlspp::client c{configs[static_cast<std::size_t>(s.variant())]};
  c.connect(
      "localhost", [&](std::span<std::byte> b) { return peer.read(b); },
      [&](std::span<const std::byte> b) { return peer.write(b); });
  drive(c, s, peer);
  return 0;
}
