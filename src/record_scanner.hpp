// SPDX-License-Identifier: ISC
// record_scanner: follows the TLS record boundaries of what the peer sent.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

namespace tlspp::detail {

/// Follows the record layer of the bytes a read callback delivered, so that
/// tlspp can tell, without trusting libtls, what the peer's last record
/// was. libtls backends report a handshake as complete when the peer's
/// close_notify arrives in the middle of it (OpenSSL and LibreSSL say
/// SSL_ERROR_ZERO_RETURN, which libtls maps to success): a handshake whose
/// last record from the peer was an alert did not complete. Costs a few
/// comparisons per read, and runs only until the handshake is done.
class record_scanner {
 public:
  static constexpr std::uint8_t alert = 21;

  void feed(std::span<const std::byte> bytes) noexcept {
    std::size_t i = 0;
    while (i < bytes.size()) {
      if (header_seen_ < 5) {
        header_[header_seen_++] = static_cast<std::uint8_t>(bytes[i++]);
        if (header_seen_ == 5) {
          last_type_ = header_[0];
          body_left_ = static_cast<std::size_t>(header_[3]) << 8 | header_[4];
          body_seen_ = 0;
          if (body_left_ == 0) header_seen_ = 0;
        }
        continue;
      }
      const std::size_t n = std::min(body_left_, bytes.size() - i);
      if (body_seen_ < 2) {
        for (std::size_t k = 0; k < n && body_seen_ + k < 2; ++k) {
          first_body_bytes_[body_seen_ + k] = static_cast<std::uint8_t>(bytes[i + k]);
        }
      }
      body_seen_ += n;
      body_left_ -= n;
      i += n;
      if (body_left_ == 0) header_seen_ = 0;
    }
  }

  /// The last record (begun) was an alert.
  [[nodiscard]] bool last_was_alert() const noexcept {
    return last_type_ == alert && (header_seen_ == 5 || header_seen_ == 0);
  }
  /// That alert was a plaintext close_notify (level and description 1, 0;
  /// an encrypted alert's body says nothing to us).
  [[nodiscard]] bool last_was_plaintext_close_notify() const noexcept {
    return last_was_alert() && body_seen_ == 2 && body_left_ == 0 && first_body_bytes_[1] == 0;
  }

 private:
  std::uint8_t header_[5]{};
  std::size_t header_seen_ = 0;
  std::size_t body_left_ = 0;
  std::size_t body_seen_ = 0;
  std::uint8_t first_body_bytes_[2]{};
  std::uint8_t last_type_ = 0;
};

}  // namespace tlspp::detail
