// SPDX-License-Identifier: ISC
// The option table (src/shared/config_option_table.hpp) is the one source of
// the library's option names, tlscat's flags and the config fuzzer's field
// names: these tests fail when any of the three drifts from it. (That every
// field of config_options and keypair is in the table is a static_assert in
// the table itself.)
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "../tools/tlscat_options.hpp"
#include "config_option_table.hpp"
#include "support/pki.hpp"
#include "support/temp_dir.hpp"
#include "tlspp/config.hpp"
#include "tlspp/error.hpp"

namespace {

namespace table = tlspp::options;

TEST(OptionTable, NamesAndFlagsAreUnique) {
  std::set<std::string_view> names;
  std::set<std::string_view> flags;
  for (const table::option& o : table::config_option_table) {
    EXPECT_TRUE(names.insert(o.name).second) << o.name;
    if (!o.flag.empty()) {
      EXPECT_TRUE(flags.insert(o.flag).second) << o.flag;
    }
  }
  for (const tlscat::tool_option& t : tlscat::tool_options) {
    if (!t.long_name.empty()) {
      EXPECT_TRUE(flags.insert(t.long_name).second) << t.long_name;
    }
  }
}

TEST(OptionTable, EveryFlagHasHelpAndTakesAnArgumentUnlessItIsOnOrOff) {
  for (const table::option& o : table::config_option_table) {
    if (o.flag.empty()) {
      EXPECT_TRUE(o.arg.empty() && o.help.empty()) << o.name << ": help for no flag";
      continue;
    }
    EXPECT_FALSE(o.help.empty()) << o.flag;
    EXPECT_EQ(o.arg.empty(), o.kind == table::kind::flag) << o.flag;
  }
}

// --- the library names each option as the table does -------------------------

// A value of each field's type that the config refuses, naming the field;
// false where a type has none on its own (a flag, a depth, a ticket key).
bool make_invalid(bool&) { return false; }
bool make_invalid(std::optional<int>&) { return false; }
bool make_invalid(std::vector<tlspp::ticket_key>&) { return false; }
bool make_invalid(std::optional<std::string>& s) {
  s = "";
  return true;
}
bool make_invalid(std::optional<std::filesystem::path>& p) {
  p = "";
  return true;
}
bool make_invalid(std::vector<std::string>& names) {
  names = {""};
  return true;
}
bool make_invalid(std::optional<tlspp::protocol_set>& protocols) {
  protocols = tlspp::protocol_set{};
  return true;
}
bool make_invalid(std::optional<std::chrono::seconds>& lifetime) {
  lifetime = std::chrono::seconds{-1};
  return true;
}
bool make_invalid(std::vector<tlspp::keypair>& keypairs) {
  keypairs = {tlspp::keypair{}};
  return true;
}

/// Where the config built from `options` failed; empty if it did not.
std::string failure_of(const tlspp::config_options& options) {
  try {
    tlspp::config refused{options};
  } catch (const tlspp::error& e) {
    return e.where();
  }
  return {};
}

TEST(OptionTable, ConfigErrorsNameTheOptionAsTheTableDoes) {
  int checked = 0;
  for (const table::option& entry : table::config_option_table) {
    tlspp::config_options options;
    bool invalid = false;
    table::visit(options, entry.name,
                 [&](const table::option&, auto& field) { invalid = make_invalid(field); });
    if (!invalid) continue;
    ++checked;
    const std::string where = failure_of(options);
    const std::string expected = "config option " + std::string{entry.name};
    EXPECT_TRUE(where == expected || where.starts_with(expected + "["))
        << entry.name << ": the error names '" << where << "'";
  }
  EXPECT_GE(checked, 20);
}

TEST(OptionTable, KeypairErrorsNameTheFieldAsTheTableDoes) {
  for (const table::keypair_option& entry : table::keypair_option_table) {
    tlspp::keypair kp{.cert_file = tlspp::test::pki::path("server-ecdsa-chain.pem"),
                      .key_file = tlspp::test::pki::path("server-ecdsa.key")};
    // An empty value is refused, or clashes with the file set above.
    table::visit(kp, entry.name, [](table::kind, auto& field) { field = ""; });
    const std::string where = failure_of(tlspp::config_options{.keypairs = {kp}});
    EXPECT_EQ(where, "config option keypairs[0]." + std::string{entry.name});
  }
}

// --- tlscat sets each option from the flag the table gives it ------------------

bool is_set(bool flag) { return flag; }
template <class T>
bool is_set(const std::optional<T>& value) {
  return value.has_value();
}
template <class T>
bool is_set(const std::vector<T>& values) {
  return !values.empty();
}

/// The config fields a command line sets.
std::vector<std::string_view> fields_set_by(std::vector<std::string> args) {
  args.insert(args.begin(), "tlscat");
  args.insert(args.end(), {"localhost", "443"});
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  const tlscat::options parsed = tlscat::parse_options(static_cast<int>(argv.size()), argv.data());
  std::vector<std::string_view> set;
  tlspp::config_options tls = parsed.tls;
  for (const table::option& entry : table::config_option_table) {
    table::visit(tls, entry.name, [&](const table::option& e, const auto& field) {
      if (is_set(field)) set.push_back(e.name);
    });
  }
  return set;
}

TEST(OptionTable, TlscatSetsEachConfigOptionFromItsFlag) {
  const tlspp::test::temp_dir dir;
  std::ofstream{dir / "password"} << "secret\n";
  std::ofstream{dir / "ticket.key"} << std::string(tlspp::ticket_key_size, 'k');
  const auto argument = [&](table::kind kind) -> std::string {
    switch (kind) {
      case table::kind::password:
        return (dir / "password").string();
      case table::kind::ticket_keys:
        return (dir / "ticket.key").string();
      case table::kind::number:
      case table::kind::seconds:
        return "3";
      case table::kind::protocols:
        return "tlsv1.3";
      case table::kind::keypairs:
        return "cert.pem,key.pem";
      default:
        return "x";
    }
  };
  int flags = 0;
  for (const table::option& entry : table::config_option_table) {
    if (entry.flag.empty()) continue;
    ++flags;
    std::vector<std::string> args{"--" + std::string{entry.flag}};
    if (!entry.arg.empty()) args.push_back(argument(entry.kind));
    EXPECT_EQ(fields_set_by(args), std::vector<std::string_view>{entry.name}) << entry.flag;
  }
  EXPECT_GE(flags, 25);
}

TEST(OptionTable, TlscatsOwnOptionsSetNoConfigOption) {
  for (const tlscat::tool_option& t : tlscat::tool_options) {
    std::vector<std::string> args{t.long_name.empty() ? std::string{"-"} + t.short_name
                                                      : "--" + std::string{t.long_name}};
    if (t.short_name == 'H') {
      args.push_back("SHA256:" + std::string(64, 'a'));
    } else if (!t.arg.empty()) {
      args.push_back("5");
    }
    if (t.short_name == 'k') args.insert(args.begin(), "-l");
    EXPECT_EQ(fields_set_by(args), std::vector<std::string_view>{}) << args.front();
  }
}

// --- the fuzzer knows every field by its name -------------------------------------

TEST(OptionTable, FuzzerDictionaryHasEveryFieldName) {
  const auto dict_path =
      std::filesystem::path{__FILE__}.parent_path().parent_path() / "fuzz" / "fuzz_config.dict";
  std::ifstream in{dict_path};
  ASSERT_TRUE(in) << dict_path;
  const std::string dict{std::istreambuf_iterator<char>{in}, {}};
  for (const table::option& entry : table::config_option_table) {
    EXPECT_NE(dict.find("\"" + std::string{entry.name} + "=\""), std::string::npos) << entry.name;
  }
  for (const table::keypair_option& entry : table::keypair_option_table) {
    EXPECT_NE(dict.find("\"kp." + std::string{entry.name} + "=\""), std::string::npos)
        << entry.name;
  }
}

}  // namespace
