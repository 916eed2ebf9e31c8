// SPDX-License-Identifier: ISC
// A next layer for TLS streams that counts the reads and writes they make
// on the socket under it. The Asio tests use it to prove how many socket
// calls a record costs; the bench uses it to count them for both streams.
#pragma once

#include <concepts>
#include <cstddef>
#include <type_traits>
#include <utility>

namespace tlspp::test {

/// Wraps an Asio stream (a tcp::socket) and forwards every call to it,
/// counting read_some/async_read_some and write_some/async_write_some. One
/// counted read is one call on the socket: Asio makes it one recv system
/// call, or two when the first finds nothing yet and it waits in between.
template <class Stream>
class counting_stream {
 public:
  using executor_type = typename Stream::executor_type;
  using lowest_layer_type = typename Stream::lowest_layer_type;

  template <class Arg>
  requires(!std::same_as<std::remove_cvref_t<Arg>, counting_stream>) explicit counting_stream(
      Arg&& arg)
      : next_(std::forward<Arg>(arg)) {}

  std::size_t reads = 0;
  std::size_t writes = 0;

  executor_type get_executor() { return next_.get_executor(); }
  lowest_layer_type& lowest_layer() { return next_.lowest_layer(); }
  const lowest_layer_type& lowest_layer() const { return next_.lowest_layer(); }

  template <class Buffers, class Token>
  auto async_read_some(const Buffers& buffers, Token&& token) {
    ++reads;
    return next_.async_read_some(buffers, std::forward<Token>(token));
  }
  template <class Buffers, class Token>
  auto async_write_some(const Buffers& buffers, Token&& token) {
    ++writes;
    return next_.async_write_some(buffers, std::forward<Token>(token));
  }
  // ErrorCode: std::error_code or boost::system::error_code, the next layer's.
  template <class Buffers, class ErrorCode>
  std::size_t read_some(const Buffers& buffers, ErrorCode& ec) {
    ++reads;
    return next_.read_some(buffers, ec);
  }
  template <class Buffers, class ErrorCode>
  std::size_t write_some(const Buffers& buffers, ErrorCode& ec) {
    ++writes;
    return next_.write_some(buffers, ec);
  }

 private:
  Stream next_;
};

}  // namespace tlspp::test
