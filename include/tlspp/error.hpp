// tlspp::error: the one exception type of tlspp.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace tlspp {

/// Thrown when a libtls call or a configuration option fails.
///
/// `what()` reads "<where>: <message>", where `where()` names the tlspp call
/// or config option that failed ("config option ca_file", "client::connect")
/// and `message()` is libtls's own explanation when it gave one (where
/// libtls-bearssl gives only an alert's number, its name is added).
class error : public std::runtime_error {
 public:
  error(std::string_view where, std::string_view message);

  /// The call or option that failed.
  [[nodiscard]] const std::string& where() const noexcept { return where_; }
  /// libtls's message (or tlspp's, when the failure was detected before libtls).
  [[nodiscard]] const std::string& message() const noexcept { return message_; }

 private:
  std::string where_;
  std::string message_;
};

}  // namespace tlspp
