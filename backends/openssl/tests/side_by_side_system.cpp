// SPDX-License-Identifier: ISC
// The system libtls half of the side-by-side test.
#include <dlfcn.h>
#include <tls.h>

#include <cstring>
#include <string>
#include <vector>

#ifdef TLSPP_OPENSSL
#error "this file must see the system's tls.h"
#endif

namespace system_libtls {
#include "handshake.inc"
}  // namespace system_libtls

std::string run_system(const std::string& cert, const std::string& key, std::string& version,
                       std::string& library) {
  return system_libtls::run(cert, key, version, library);
}
