// SPDX-License-Identifier: ISC
// tlspp::protocol_set: typed flags, and libtls's own protocol strings.
#include <gtest/gtest.h>

#include <string>

#include "tlspp/error.hpp"
#include "tlspp/protocols.hpp"

namespace tlspp::test {
namespace {

constexpr protocol_set all_four =
    protocol::tlsv1_0 | protocol::tlsv1_1 | protocol::tlsv1_2 | protocol::tlsv1_3;

// Usable at compile time, as a constant in a config.
static_assert(protocol_set::secure() == (protocol::tlsv1_2 | protocol::tlsv1_3));
static_assert(protocol_set::secure().contains(protocol::tlsv1_3));
static_assert(!protocol_set::secure().contains(protocol::tlsv1_1));
static_assert(protocol_set{}.empty());

TEST(ProtocolSet, DefaultSetIsEmpty) {
  const protocol_set none;
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none.bits(), 0u);
  for (protocol p : {protocol::tlsv1_0, protocol::tlsv1_1, protocol::tlsv1_2, protocol::tlsv1_3}) {
    EXPECT_FALSE(none.contains(p));
  }
}

TEST(ProtocolSet, TypedFlagsAreLibtlsBits) {
  // TLS_PROTOCOL_TLSv1_0 .. TLS_PROTOCOL_TLSv1_3 in tls.h.
  EXPECT_EQ(protocol_set{protocol::tlsv1_0}.bits(), 1u << 1);
  EXPECT_EQ(protocol_set{protocol::tlsv1_1}.bits(), 1u << 2);
  EXPECT_EQ(protocol_set{protocol::tlsv1_2}.bits(), 1u << 3);
  EXPECT_EQ(protocol_set{protocol::tlsv1_3}.bits(), 1u << 4);
}

TEST(ProtocolSet, CombinedFlagsContainExactlyTheirMembers) {
  const protocol_set set = protocol::tlsv1_1 | protocol::tlsv1_3;
  EXPECT_FALSE(set.empty());
  EXPECT_FALSE(set.contains(protocol::tlsv1_0));
  EXPECT_TRUE(set.contains(protocol::tlsv1_1));
  EXPECT_FALSE(set.contains(protocol::tlsv1_2));
  EXPECT_TRUE(set.contains(protocol::tlsv1_3));
  EXPECT_EQ(set | protocol::tlsv1_1, set);  // idempotent
  EXPECT_EQ(set | protocol::tlsv1_2, protocol::tlsv1_1 | protocol::tlsv1_2 | protocol::tlsv1_3);
}

TEST(ProtocolSet, SecureAndDefaultStringsAreTls12AndTls13) {
  EXPECT_EQ(protocol_set{"secure"}, protocol::tlsv1_2 | protocol::tlsv1_3);
  EXPECT_EQ(protocol_set{"default"}, protocol::tlsv1_2 | protocol::tlsv1_3);
  EXPECT_EQ(protocol_set{"secure"}, protocol_set::secure());
}

/// `set` without `p`.
protocol_set without(protocol_set set, protocol p) {
  protocol_set rest;
  for (protocol q : {protocol::tlsv1_0, protocol::tlsv1_1, protocol::tlsv1_2, protocol::tlsv1_3}) {
    if (q != p && set.contains(q)) rest = rest | q;
  }
  return rest;
}

// What "all" means is the backend's: every version in libretls, TLS 1.2 and
// 1.3 in LibreSSL 4 and libtls-bearssl. The tests hold it to the bounds and
// to the relations between strings, which every backend shares.

TEST(ProtocolSet, AllIsTheSecureSetAtLeastAndNothingUnknown) {
  const protocol_set all{"all"};
  EXPECT_EQ(all | protocol_set::secure(), all) << "all lacks TLS 1.2 or 1.3: " << all.bits();
  EXPECT_EQ(all | all_four, all_four) << "all has unknown bits: " << all.bits();
}

TEST(ProtocolSet, LegacyAndTlsv1AreAliasesOfAll) {
  EXPECT_EQ(protocol_set{"legacy"}, protocol_set{"all"});
  EXPECT_EQ(protocol_set{"tlsv1"}, protocol_set{"all"});
}

TEST(ProtocolSet, SingleVersionStringsAreOneFlagEach) {
  EXPECT_EQ(protocol_set{"tlsv1.0"}, protocol::tlsv1_0);
  EXPECT_EQ(protocol_set{"tlsv1.1"}, protocol::tlsv1_1);
  EXPECT_EQ(protocol_set{"tlsv1.2"}, protocol::tlsv1_2);
  EXPECT_EQ(protocol_set{"tlsv1.3"}, protocol::tlsv1_3);
  EXPECT_EQ(protocol_set{"TLSv1.2"}, protocol::tlsv1_2);  // case does not matter
}

TEST(ProtocolSet, ListsAndNegationsCombineAsLibtlsSays) {
  EXPECT_EQ(protocol_set{"tlsv1.2,tlsv1.3"}, protocol::tlsv1_2 | protocol::tlsv1_3);
  EXPECT_EQ(protocol_set{"tlsv1.2:tlsv1.3"}, protocol::tlsv1_2 | protocol::tlsv1_3);
  const protocol_set all{"all"};
  EXPECT_EQ(protocol_set{"all,!tlsv1.0"}, without(all, protocol::tlsv1_0));
  EXPECT_EQ(protocol_set{"all,!tlsv1.3"}, without(all, protocol::tlsv1_3));
  // A leading negation starts from "all".
  EXPECT_EQ(protocol_set{"!tlsv1.2"}, without(all, protocol::tlsv1_2));
}

TEST(ProtocolSet, StringViewAndCStringFormsAgree) {
  const std::string spec = "tlsv1.3";
  EXPECT_EQ(protocol_set{std::string_view{spec}}, protocol_set{spec.c_str()});
}

TEST(ProtocolSet, UnknownStringThrowsNamingProtocolsAndTheString) {
  try {
    const protocol_set bogus{"bogus"};
    ADD_FAILURE() << "parsed 'bogus' as " << bogus.bits();
  } catch (const error& e) {
    EXPECT_EQ(e.where(), "config option protocols");
    EXPECT_NE(e.message().find("'bogus'"), std::string::npos) << e.message();
  }
}

TEST(ProtocolSet, EmptyStringIsRejectedNamingProtocols) {
  try {
    protocol_set{""};
    ADD_FAILURE() << "an empty protocol string was accepted";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), errc::invalid_argument);
    EXPECT_EQ(e.where(), "config option protocols");
    EXPECT_NE(e.message().find("empty"), std::string::npos) << e.what();
  }
}

TEST(ProtocolSet, StringWithANulByteIsRejectedNotCutAtIt) {
  // libtls would read "tlsv1.3" only and never see the rest.
  const std::string spec{"tlsv1.3\0,tlsv1.2", 16};
  try {
    protocol_set{spec};
    ADD_FAILURE() << "a protocol string with a NUL byte was accepted";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), errc::invalid_argument);
    EXPECT_EQ(e.where(), "config option protocols");
    EXPECT_NE(e.message().find("NUL"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tlspp::test
