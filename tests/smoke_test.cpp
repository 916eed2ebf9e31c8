// SPDX-License-Identifier: ISC
#include <gtest/gtest.h>

#include "support/memory_link.hpp"
#include "support/pki.hpp"

namespace tlspp::test {
namespace {

TEST(Smoke, HandshakeAndEchoInMemory) {
  memory_link link{config{pki::client_options()}, config{pki::server_options()}};
  ASSERT_TRUE(link.handshake()) << link.describe();
  EXPECT_EQ(memory_link::pump(link.client, link.accepted, "hello"), "hello");
  EXPECT_EQ(memory_link::pump(link.accepted, link.client, "world"), "world");
  const connection_info info = link.client.info();
  // The newest version both sides have.
  EXPECT_EQ(info.version, get_backend_features().tls1_3 ? "TLSv1.3" : "TLSv1.2");
  ASSERT_TRUE(info.peer);
  EXPECT_EQ(info.peer->common_name, "localhost");
}

}  // namespace
}  // namespace tlspp::test
