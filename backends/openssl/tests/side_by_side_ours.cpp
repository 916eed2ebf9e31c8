// SPDX-License-Identifier: ISC
// The tlspp-openssl half of the side-by-side test.
#include <dlfcn.h>
#include <tls.h>

#include <cstring>
#include <string>
#include <vector>

#ifndef TLSPP_OPENSSL
#error "this file must see tlspp-openssl's tls.h"
#endif

namespace ours {
#include "handshake.inc"
}  // namespace ours

std::string run_ours(const std::string& cert, const std::string& key, std::string& version,
                     std::string& library) {
  return ours::run(cert, key, version, library);
}
