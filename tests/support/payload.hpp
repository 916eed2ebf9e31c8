// SPDX-License-Identifier: ISC
// Test payloads and how to compare them without printing megabytes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tlspp::test {

/// `size` bytes that differ from one position to the next and between seeds,
/// so a dropped, repeated or swapped chunk cannot go unnoticed.
inline std::string pattern(std::size_t size, unsigned seed = 1) {
  std::string s(size, '\0');
  unsigned x = seed * 2654435761u + 1;
  for (char& c : s) {
    x = x * 1103515245u + 12345u;
    c = static_cast<char>(x >> 16);
  }
  return s;
}

/// "" when equal, else where and how the two differ.
inline std::string first_difference(std::string_view expected, std::string_view actual) {
  if (expected == actual) return {};
  std::size_t i = 0;
  while (i < expected.size() && i < actual.size() && expected[i] == actual[i]) ++i;
  return "sizes " + std::to_string(expected.size()) + " vs " + std::to_string(actual.size()) +
         ", first difference at byte " + std::to_string(i);
}

}  // namespace tlspp::test
