// SPDX-License-Identifier: ISC
// Strings on their way into libtls's C API.
#pragma once

#include <string>
#include <string_view>

#include "tlspp/error.hpp"

namespace tlspp::detail {

/// `value` as a C string for libtls, which would silently stop reading at a
/// NUL byte inside it ("localhost\0.evil" would verify as "localhost").
/// Throws tlspp::error (errc::invalid_argument) naming `what`.
inline std::string c_string(std::string_view value, std::string_view what) {
  if (value.find('\0') != std::string_view::npos) {
    throw error{errc::invalid_argument, what, "contains a NUL byte"};
  }
  return std::string{value};
}

}  // namespace tlspp::detail
