// SPDX-License-Identifier: ISC
// tlspp::asio::stream: TLS over any standalone Asio stream, driven by tlspp.
//
// The stream is written once, in detail/stream_impl.hpp, for both Asios:
// this header instantiates it in tlspp::asio on standalone Asio (::asio,
// std::error_code); <tlspp/boost_asio/stream.hpp> does the same in
// tlspp::boost_asio on Boost.Asio. A program includes the one it uses and
// needs only that Asio installed; including both is fine too.
#pragma once

/// \namespace tlspp::asio
/// TLS streams on standalone Asio (<tlspp/asio/stream.hpp>), in the shape of
/// asio::ssl::stream.

/// \namespace tlspp::asio::error
/// The error names asio::ssl users look for, as tlspp's codes.

#include <system_error>

#include <asio/async_result.hpp>
#include <asio/basic_waitable_timer.hpp>
#include <asio/buffer.hpp>
#include <asio/compose.hpp>
#include <asio/error.hpp>
#include <asio/post.hpp>
#include <asio/socket_base.hpp>
#include <asio/system_error.hpp>
#include <asio/version.hpp>
#include <asio/write.hpp>

// Per-operation cancellation (cancellation slots) came with Asio 1.19.
#if ASIO_VERSION >= 101900
#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/cancellation_type.hpp>
#define TLSPP_ASIO_HAS_CANCELLATION 1
#else
#define TLSPP_ASIO_HAS_CANCELLATION 0
#endif

#include "tlspp/asio/error.hpp"
#include "tlspp/asio/shutdown_mode.hpp"

namespace tlspp::asio::detail {

/// What detail/stream_impl.hpp calls Asio and its error code in this flavour.
namespace net = ::asio;
using error_code = std::error_code;
using system_error = ::asio::system_error;

/// tlspp's codes are std::error_codes already.
inline error_code to_error_code(const std::error_code& ec) noexcept { return ec; }

}  // namespace tlspp::asio::detail

#define TLSPP_ASIO_FLAVOUR asio
#include "tlspp/asio/detail/stream_impl.hpp"
#undef TLSPP_ASIO_FLAVOUR
#undef TLSPP_ASIO_HAS_CANCELLATION
