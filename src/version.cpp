// SPDX-License-Identifier: ISC
// The version string compiled into the library, not into the program that
// calls it: that difference is what tlspp::version() is for.
#include "tlspp/version.hpp"

namespace tlspp {

const char* version() noexcept { return TLSPP_VERSION_STRING; }

}  // namespace tlspp
