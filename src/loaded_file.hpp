// SPDX-License-Identifier: ISC
// loaded_file: file contents read (and, for keys, decrypted) by libtls.
#pragma once

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <utility>

#include "backend_calls.hpp"
#include "libtls.hpp"
#include "tlspp/error.hpp"

namespace tlspp::detail {

/// Bytes from tls_load_file(), wiped and freed by tls_unload_file() when
/// this goes out of scope; or a view of caller-owned memory (view()).
class loaded_file {
 public:
  loaded_file() = default;

  /// Loads `path`; with a password, decrypts the private key it holds.
  /// Throws tlspp::error naming `option`.
  loaded_file(const std::filesystem::path& path, const std::string* password,
              const std::string& option) {
    // tls_load_file wants a mutable password; give it a copy we wipe.
    std::string secret = password != nullptr ? *password : std::string{};
    errno = 0;
    data_ = backend::load_file(path.c_str(), &size_, password != nullptr ? secret.data() : nullptr);
    const int saved_errno = errno;
    explicit_wipe(secret);
    owned_ = true;
    if (data_ == nullptr && saved_errno == ENOSYS) {
      throw error{errc::unsupported, option,
                  "not supported by the libtls backend tlspp was built with: it cannot load "
                  "files for tlspp"};
    }
    if (data_ == nullptr) {
      std::string why = "cannot load '" + path.string() + "'";
      if (saved_errno != 0) {
        why.append(": ").append(std::strerror(saved_errno));
      } else if (password != nullptr) {
        why.append(": wrong password, or not a private key");
      }
      throw error{errc::config_rejected, option, why};
    }
  }

  static loaded_file view(const std::string& bytes) {
    loaded_file f;
    f.data_ = reinterpret_cast<std::uint8_t*>(const_cast<char*>(bytes.data()));
    f.size_ = bytes.size();
    return f;
  }

  loaded_file(loaded_file&& other) noexcept
      : data_{std::exchange(other.data_, nullptr)},
        size_{std::exchange(other.size_, 0)},
        owned_{std::exchange(other.owned_, false)} {}
  loaded_file& operator=(loaded_file&&) = delete;
  loaded_file(const loaded_file&) = delete;
  loaded_file& operator=(const loaded_file&) = delete;

  ~loaded_file() {
    if (owned_ && data_ != nullptr) backend::unload_file(data_, size_);
  }

  /// nullptr when empty, as libtls expects for an absent item.
  [[nodiscard]] const std::uint8_t* data() const noexcept { return size_ == 0 ? nullptr : data_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }

  /// Overwrites a string's bytes in a way the optimizer keeps.
  static void explicit_wipe(std::string& s) noexcept {
    volatile char* p = s.data();
    for (std::size_t i = 0; i < s.size(); ++i) p[i] = 0;
  }

 private:
  std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  bool owned_ = false;
};

}  // namespace tlspp::detail
