// SPDX-License-Identifier: ISC
// Protocol versions a context may negotiate.
#pragma once

#include <cstdint>
#include <string_view>

#include "tlspp/export.hpp"

namespace tlspp {

/// One TLS protocol version. The values are libtls's TLS_PROTOCOL_* bits.
enum class protocol : std::uint32_t {
  tlsv1_0 = 1u << 1,
  tlsv1_1 = 1u << 2,
  tlsv1_2 = 1u << 3,
  tlsv1_3 = 1u << 4,
};

/// A set of protocol versions, built from typed flags
/// (`protocol::tlsv1_2 | protocol::tlsv1_3`) or from libtls's protocol
/// strings ("secure", "default", "legacy", "all", "tlsv1.2,tlsv1.3",
/// "all,!tlsv1.0"...), which libtls itself parses.
class TLSPP_API protocol_set {
 public:
  /// The empty set.
  constexpr protocol_set() noexcept = default;
  /// The set of one version; makes `protocols = protocol::tlsv1_3` work.
  constexpr protocol_set(protocol p) noexcept : bits_{static_cast<std::uint32_t>(p)} {}
  /// Parses a libtls protocol string; throws tlspp::error
  /// (errc::invalid_argument, where() "config option protocols") when the
  /// string is empty, holds a NUL byte (libtls would stop reading there), or
  /// libtls rejects it.
  protocol_set(std::string_view spec);
  /// The same, for a string literal.
  protocol_set(const char* spec) : protocol_set(std::string_view{spec}) {}

  /// libtls's "secure"/"default" set: TLS 1.2 and TLS 1.3.
  static constexpr protocol_set secure() noexcept {
    return protocol_set{protocol::tlsv1_2} | protocol::tlsv1_3;
  }

  /// libtls's TLS_PROTOCOL_* bits of the set.
  [[nodiscard]] constexpr std::uint32_t bits() const noexcept { return bits_; }
  /// Whether version `p` is in the set.
  [[nodiscard]] constexpr bool contains(protocol p) const noexcept {
    return (bits_ & static_cast<std::uint32_t>(p)) != 0;
  }
  /// Whether the set has no version.
  [[nodiscard]] constexpr bool empty() const noexcept { return bits_ == 0; }

  /// The union of two sets.
  friend constexpr protocol_set operator|(protocol_set a, protocol_set b) noexcept {
    protocol_set r;
    r.bits_ = a.bits_ | b.bits_;
    return r;
  }
  /// Same versions.
  friend constexpr bool operator==(protocol_set, protocol_set) noexcept = default;

 private:
  std::uint32_t bits_ = 0;
};

/// `protocol::tlsv1_2 | protocol::tlsv1_3`: the set of both.
constexpr protocol_set operator|(protocol a, protocol b) noexcept {
  return protocol_set{a} | protocol_set{b};
}

}  // namespace tlspp
