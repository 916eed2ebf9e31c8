// SPDX-License-Identifier: ISC
// GoogleTest assertions the suites share.
#pragma once

#include <gtest/gtest.h>

#include <string_view>

#include "tlspp/tlspp.hpp"

namespace tlspp::test {

/// `text` contains `part`, with both shown on failure.
inline ::testing::AssertionResult contains(std::string_view text, std::string_view part) {
  if (text.find(part) != std::string_view::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" does not contain \"" << part << "\"";
}

/// Runs both handshakes in turn until both are done or one does something
/// other than ok or a want (in memory a want only means "let the peer run").
inline ::testing::AssertionResult handshake_pair(connection& client, connection& server) {
  for (int round = 0; round < 10000; ++round) {
    const io_result c = client.handshake();
    const io_result s = server.handshake();
    if (c.ok() && s.ok()) return ::testing::AssertionSuccess();
    if (!c.ok() && !c.want_io()) {
      return ::testing::AssertionFailure()
             << "client " << to_string(c.status) << ": " << client.error_message();
    }
    if (!s.ok() && !s.want_io()) {
      return ::testing::AssertionFailure()
             << "server " << to_string(s.status) << ": " << server.error_message();
    }
  }
  return ::testing::AssertionFailure() << "handshake did not finish";
}

}  // namespace tlspp::test
