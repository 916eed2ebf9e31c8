#include "tlspp/protocols.hpp"

#include <string>

#include "libtls.hpp"
#include "tlspp/error.hpp"

namespace tlspp {

static_assert(static_cast<std::uint32_t>(protocol::tlsv1_0) == TLS_PROTOCOL_TLSv1_0);
static_assert(static_cast<std::uint32_t>(protocol::tlsv1_1) == TLS_PROTOCOL_TLSv1_1);
static_assert(static_cast<std::uint32_t>(protocol::tlsv1_2) == TLS_PROTOCOL_TLSv1_2);
#if TLSPP_HAVE_TLS_PROTOCOL_TLSV1_3
static_assert(static_cast<std::uint32_t>(protocol::tlsv1_3) == TLS_PROTOCOL_TLSv1_3);
#endif

protocol_set::protocol_set(std::string_view spec) {
  detail::ensure_libtls_initialized();
  const std::string text{spec};
  std::uint32_t parsed = 0;
  if (tls_config_parse_protocols(&parsed, text.c_str()) != 0) {
    throw error{errc::invalid_argument, "config option protocols", "libtls cannot parse protocol string '" + text + "'"};
  }
  bits_ = parsed;
}

}  // namespace tlspp
