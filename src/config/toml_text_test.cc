#include "config/toml_text.h"

#include <gtest/gtest.h>

#include <limits>

namespace rvm {
namespace {

TEST(TomlTextTest, StringsAreQuotedAndEscaped) {
  EXPECT_EQ(TomlString("plain"), "\"plain\"");
  EXPECT_EQ(TomlString("a \"b\" \\ c\n"), "\"a \\\"b\\\" \\\\ c\\n\"");
  EXPECT_EQ(TomlString(std::string("\x01", 1)), "\"\\u0001\"");
}

TEST(TomlTextTest, FloatsUseTheShortestRoundTripForm) {
  EXPECT_EQ(TomlFloat(0.3), "0.3");
  EXPECT_EQ(TomlFloat(30), "30.0");
  EXPECT_EQ(TomlFloat(1e-7), "1e-07");
  EXPECT_EQ(TomlFloat(std::numeric_limits<double>::infinity()), "inf");
}

TEST(TomlTextTest, KeysAreQuotedOnlyWhenTheyMustBe) {
  EXPECT_EQ(TomlKey("glass_bottle"), "glass_bottle");
  EXPECT_EQ(TomlKey("wine glass"), "\"wine glass\"");
  EXPECT_EQ(TomlKey(""), "\"\"");
}

}  // namespace
}  // namespace rvm
