#include "admin/token_auth.h"

#include <gtest/gtest.h>

namespace rvm::admin {
namespace {

TEST(ConstantTimeEqualsTest, EqualStringsOfEqualLengthAreEqual) {
  EXPECT_TRUE(ConstantTimeEquals("s3cret-token", "s3cret-token"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
}

TEST(ConstantTimeEqualsTest, EqualLengthStringsDifferingAnywhereAreNotEqual) {
  const std::string token = "abcdefgh";
  for (size_t i = 0; i < token.size(); ++i) {
    std::string other = token;
    other[i] ^= 1;
    EXPECT_FALSE(ConstantTimeEquals(token, other)) << "differs at " << i;
  }
}

TEST(ConstantTimeEqualsTest, DifferentLengthsAreNotEqualEvenAsPrefixes) {
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_FALSE(ConstantTimeEquals("abcd", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("", "a"));
  // A trailing NUL must not pass for the end of the shorter string.
  EXPECT_FALSE(ConstantTimeEquals(std::string_view("abc\0", 4), "abc"));
}

TEST(BearerTokenTest, TakesTheTokenOfABearerHeader) {
  EXPECT_EQ(BearerToken("Bearer t-1"), "t-1");
  EXPECT_EQ(BearerToken("  bearer   t-2  "), "t-2");
  EXPECT_EQ(BearerToken("BEARER t-3"), "t-3");
}

TEST(BearerTokenTest, OtherSchemesAndMalformedHeadersGiveNothing) {
  EXPECT_EQ(BearerToken(""), "");
  EXPECT_EQ(BearerToken("Basic dXNlcjpwYXNz"), "");
  EXPECT_EQ(BearerToken("Bearer"), "");
  EXPECT_EQ(BearerToken("Bearertoken"), "");
}

TEST(CookieValueTest, FindsTheNamedCookieAmongOthers) {
  EXPECT_EQ(CookieValue("a=1; rvm_admin_token=tok; b=2", "rvm_admin_token"), "tok");
  EXPECT_EQ(CookieValue("rvm_admin_token=tok", "rvm_admin_token"), "tok");
  EXPECT_EQ(CookieValue("x_rvm_admin_token=no; a=1", "rvm_admin_token"), "");
  EXPECT_EQ(CookieValue("", "rvm_admin_token"), "");
}

TEST(CheckTokenTest, NoConfiguredTokenRefusesEvenAMatchingGuess) {
  EXPECT_EQ(CheckToken({"", "", ""}, ""), AuthResult::kNotConfigured);
  EXPECT_EQ(CheckToken({"x", "", ""}, ""), AuthResult::kNotConfigured);
}

TEST(CheckTokenTest, MissingWrongAndRightAreTold) {
  EXPECT_EQ(CheckToken({}, "tok"), AuthResult::kMissing);
  EXPECT_EQ(CheckToken({"nope", "", ""}, "tok"), AuthResult::kWrong);
  EXPECT_EQ(CheckToken({"tok", "", ""}, "tok"), AuthResult::kOk);
  EXPECT_EQ(CheckToken({"", "tok", ""}, "tok"), AuthResult::kOk);
  EXPECT_EQ(CheckToken({"", "", "tok"}, "tok"), AuthResult::kOk);
  EXPECT_EQ(CheckToken({"tok0", "", ""}, "tok"), AuthResult::kWrong);
}

}  // namespace
}  // namespace rvm::admin
