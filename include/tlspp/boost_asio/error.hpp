// SPDX-License-Identifier: ISC
// tlspp::boost_asio::error: tlspp's codes as boost::system::error_codes.
#pragma once

#include <string>
#include <system_error>

#include <boost/system/error_code.hpp>

#include "tlspp/error.hpp"

namespace tlspp::boost_asio::error {

/// A tlspp::boost_asio::stream reports the same codes as tlspp::asio::stream
/// (tlspp/asio/error.hpp tells which), as boost::system::error_codes, the
/// type Boost.Asio's and Beast's handlers take. Boost 1.74's error_code
/// cannot hold a std::error_category, so tlspp's codes travel in the
/// category below: same name ("tlspp"), same values and messages as
/// tlspp::error_category(). `ec == tlspp::errc::handshake_failed` works
/// on them (the operator at the end of this file).
using stream_errors = tlspp::errc;

/// The peer closed its side without close_notify (tlspp::asio::error::stream_truncated).
inline constexpr tlspp::errc stream_truncated = tlspp::errc::truncated;
/// The handshake failed (tlspp::asio::error::handshake_failed).
inline constexpr tlspp::errc handshake_failed = tlspp::errc::handshake_failed;
/// libtls failed after the handshake (tlspp::asio::error::protocol_error).
inline constexpr tlspp::errc protocol_error = tlspp::errc::protocol_error;

namespace detail {
class category final : public boost::system::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "tlspp"; }
  [[nodiscard]] std::string message(int value) const override {
    return tlspp::error_category().message(value);
  }
};
}  // namespace detail

/// tlspp's category for Boost's error_code, one instance per program.
inline const boost::system::error_category& get_stream_category() noexcept {
  static const detail::category instance;
  return instance;
}

/// One of tlspp's codes as a boost::system::error_code.
inline boost::system::error_code make_error_code(tlspp::errc e) noexcept {
  return {static_cast<int>(e), get_stream_category()};
}

}  // namespace tlspp::boost_asio::error

namespace tlspp {

/// A Boost error_code compared with one of tlspp's codes (found by
/// argument-dependent lookup; C++20 derives `!=` and the reversed forms).
/// tlspp::errc is not made a Boost error-code enum: its make_error_code
/// already returns a std::error_code, which Boost 1.74 cannot take.
inline bool operator==(const boost::system::error_code& ec, errc e) noexcept {
  return ec == boost_asio::error::make_error_code(e);
}

/// A std::error_code compared with one of tlspp's codes, as the standard library
/// does it. Spelled out because Boost 1.77 and later convert a
/// std::error_code to a Boost one: without this exact match, the operator
/// above would make `std_ec == tlspp::errc::x` ambiguous.
inline bool operator==(const std::error_code& ec, errc e) noexcept {
  return ec == make_error_code(e);
}

}  // namespace tlspp
