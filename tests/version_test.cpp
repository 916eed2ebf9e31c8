// SPDX-License-Identifier: ISC
// The version macros come from project(VERSION), and tlspp::version() is the
// library's own: a program can tell the headers it was compiled with from
// the library it runs with.
#include <gtest/gtest.h>

#include <string>

#include "tlspp/tlspp.hpp"

namespace tlspp::test {
namespace {

// The macros are preprocessor numbers, for #if in a consumer's code.
#if TLSPP_VERSION_MAJOR < 0 || TLSPP_VERSION_MINOR < 0 || TLSPP_VERSION_PATCH < 0
#error "TLSPP_VERSION_* must be non-negative integers"
#endif

TEST(Version, MacrosSpellTheProjectVersion) {
  EXPECT_STREQ(TLSPP_VERSION_STRING, TLSPP_TEST_PROJECT_VERSION);
  const std::string joined = std::to_string(TLSPP_VERSION_MAJOR) + "." +
                             std::to_string(TLSPP_VERSION_MINOR) + "." +
                             std::to_string(TLSPP_VERSION_PATCH);
  EXPECT_EQ(joined, TLSPP_VERSION_STRING);
}

TEST(Version, TheLibraryReportsTheVersionItWasBuiltAs) {
  // Built from the same tree as this test, the library matches its headers;
  // a program linked to another libtlspp would see the difference here.
  ASSERT_NE(tlspp::version(), nullptr);
  EXPECT_STREQ(tlspp::version(), TLSPP_VERSION_STRING);
}

}  // namespace
}  // namespace tlspp::test
