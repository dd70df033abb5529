#include "app/option_checks.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rvm::app {
namespace {

// An app with one subcommand holding options of each numeric kind; returns
// the parse error's message, or "" when `args` parse.
class OptionChecksTest : public ::testing::Test {
 protected:
  OptionChecksTest() {
    CLI::App* sub = app_.add_subcommand("go");
    sub->add_option("--conf", conf_)->check(NumberIn(0, 1));
    sub->add_option("--drain", drain_)->check(NotNegative());
    sub->add_option("--megapixels", megapixels_)->check(AboveZero());
    sub->add_option("--port", port_)->check(NumberIn(0, 65535));
    sub->add_option("--after", after_);
    sub->add_option("--maybe", maybe_);
    sub->add_option("--name", name_);
    sub->add_flag("--verbose", verbose_);
    sub->add_option("files", files_);
    RequireValuesNotEmpty(app_);
  }

  std::string Parse(std::vector<std::string> args) {
    args.insert(args.begin(), "go");
    std::reverse(args.begin(), args.end());  // CLI11 takes them last first
    try {
      app_.parse(args);
      return "";
    } catch (const CLI::ParseError& e) {
      return e.what();
    }
  }

  CLI::App app_;
  double conf_ = 0.25, drain_ = 5, megapixels_ = 50;
  int port_ = 8080;
  int64_t after_ = 7;
  std::optional<double> maybe_;
  std::string name_ = "x";
  bool verbose_ = false;
  std::vector<std::string> files_;
};

TEST_F(OptionChecksTest, AnEmptyNumericValueIsRefusedNotReadAsZero) {
  for (const char* option : {"--conf", "--drain", "--megapixels", "--port", "--after", "--maybe"}) {
    EXPECT_EQ(Parse({option, ""}), std::string(option) + ": needs a number, not an empty value")
        << option;
  }
  EXPECT_EQ(after_, 7);
}

TEST_F(OptionChecksTest, AnEmptyTextValueOrArgumentIsRefusedNotReadAsNotGiven) {
  EXPECT_EQ(Parse({"--name", ""}), "--name: needs a value, not an empty one");
  EXPECT_EQ(name_, "x");
  EXPECT_EQ(Parse({"--name", "y", "file", ""}), "files: needs a value, not an empty one");
  EXPECT_EQ(Parse({"--name", "y", "--verbose", "file"}), "");
  EXPECT_EQ(name_, "y");
  EXPECT_TRUE(verbose_) << "a flag takes no value and is left alone";
}

TEST_F(OptionChecksTest, BoundsAreStatedAsWritten) {
  EXPECT_EQ(Parse({"--conf", "1.5"}), "--conf: must be in [0, 1], not 1.5");
  EXPECT_EQ(Parse({"--drain", "-1"}), "--drain: must be >= 0, not -1");
  EXPECT_EQ(Parse({"--megapixels", "0"}), "--megapixels: must be > 0, not 0");
  EXPECT_EQ(Parse({"--port", "70000"}), "--port: must be in [0, 65535], not 70000");
  EXPECT_EQ(Parse({"--conf", "high"}), "--conf: needs a number, not 'high'");
}

TEST_F(OptionChecksTest, ValuesWithinTheirBoundsAreTaken) {
  EXPECT_EQ(Parse({"--conf", "0", "--drain", "0", "--megapixels", "0.5", "--port", "65535",
                   "--after", "-3", "--maybe", "2"}),
            "");
  EXPECT_EQ(conf_, 0);
  EXPECT_EQ(drain_, 0);
  EXPECT_EQ(megapixels_, 0.5);
  EXPECT_EQ(port_, 65535);
  EXPECT_EQ(after_, -3);
  EXPECT_EQ(maybe_, 2.0);
}

}  // namespace
}  // namespace rvm::app
