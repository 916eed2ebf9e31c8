// SPDX-License-Identifier: ISC
#include "tlspp/protocols.hpp"

#include <string>

#include "backend_calls.hpp"
#include "c_string.hpp"
#include "libtls.hpp"
#include "tlspp/error.hpp"

namespace tlspp {

static_assert(static_cast<std::uint32_t>(protocol::tlsv1_0) == TLS_PROTOCOL_TLSv1_0);
static_assert(static_cast<std::uint32_t>(protocol::tlsv1_1) == TLS_PROTOCOL_TLSv1_1);
static_assert(static_cast<std::uint32_t>(protocol::tlsv1_2) == TLS_PROTOCOL_TLSv1_2);
// Zero where the backend has no TLS 1.3: the bit is then only ever refused.
static_assert(detail::backend::protocol_tlsv1_3 == 0 ||
              static_cast<std::uint32_t>(protocol::tlsv1_3) == detail::backend::protocol_tlsv1_3);

protocol_set::protocol_set(std::string_view spec) {
  detail::ensure_libtls_initialized();
  constexpr std::string_view option = "config option protocols";
  const std::string text = detail::c_string(spec, option);
  if (text.empty()) {
    throw error{errc::invalid_argument, option,
                "the protocol string is empty: name versions such as \"tlsv1.2,tlsv1.3\" or "
                "\"secure\""};
  }
  std::uint32_t parsed = 0;
  if (tls_config_parse_protocols(&parsed, text.c_str()) != 0) {
    throw error{errc::invalid_argument, option,
                "libtls cannot parse protocol string '" + text + "'"};
  }
  bits_ = parsed;
}

}  // namespace tlspp
