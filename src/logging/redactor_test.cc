#include "logging/redactor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rvm {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(RedactorTest, EveryConfiguredSecretIsMaskedWhereverItOccurs) {
  const Redactor r({"sk-live-123", "hunter2!", "admintok"});
  EXPECT_EQ(r.Redact("key sk-live-123 and pw hunter2!, twice hunter2!hunter2!; xadmintokx."),
            "key <redacted> and pw <redacted>, twice <redacted><redacted>; x<redacted>x.");
}

TEST(RedactorTest, AShortSecretIsMaskedOnlyWhereItStandsAlone) {
  static_assert(Redactor::kMinEmbeddedSecret == 8);
  const Redactor r({"k", "pw-7", "hunter2"});
  EXPECT_EQ(r.Redact("k: kept keys, pw-7 (pw-77 apw-7), k hunter2 hunter22 \"hunter2\" k"),
            "<redacted>: kept keys, <redacted> (pw-77 apw-7), <redacted> <redacted> hunter22 "
            "\"<redacted>\" <redacted>");
}

TEST(RedactorTest, TheLongerOfTwoOverlappingSecretsWins) {
  const Redactor r({"abcdefgh", "abcdefghijkl"});
  EXPECT_EQ(r.Redact("xabcdefghijklx"), "x<redacted>x");
}

TEST(RedactorTest, EmptySecretsAreIgnored) {
  const Redactor r({"", "s3cr3t"});
  EXPECT_EQ(r.Redact("plain text"), "plain text");
}

TEST(RedactorTest, AuthorizationHeadersAreMasked) {
  const Redactor r;
  EXPECT_EQ(r.Redact("Authorization: Bearer eyJhbGciOi.payload.sig"),
            "Authorization: Bearer <redacted>");
  EXPECT_EQ(r.Redact("authorization=Basic dXNlcjpwYXNz next"),
            "authorization=Basic <redacted> next");
  EXPECT_EQ(r.Redact(R"({"Authorization":"Bearer abc.def"})"),
            R"({"Authorization":"Bearer <redacted>"})");
}

TEST(RedactorTest, ABareBearerTokenIsMasked) {
  const Redactor r;
  EXPECT_EQ(r.Redact("sent bearer abc123== to host"), "sent bearer <redacted> to host");
}

TEST(RedactorTest, ApiKeyHeadersAreMasked) {
  const Redactor r;
  EXPECT_EQ(r.Redact("X-API-Key: k-123 X-RVM-API-KEY:k-456"),
            "X-API-Key: <redacted> X-RVM-API-KEY:<redacted>");
}

TEST(RedactorTest, KeyValueCredentialsAreMasked) {
  const Redactor r;
  EXPECT_EQ(r.Redact("login password=hunter2 user=bob"), "login password=<redacted> user=bob");
  EXPECT_EQ(r.Redact("GET /x?api_key=abc&page=2"), "GET /x?api_key=<redacted>&page=2");
  EXPECT_EQ(r.Redact("refresh_token: r-1, token = t-2"),
            "refresh_token: <redacted>, token = <redacted>");
  EXPECT_EQ(r.Redact("client_secret='a b'"), "client_secret='<redacted>'");
}

TEST(RedactorTest, JsonCredentialsAreMaskedAndStayJson) {
  const Redactor r;
  EXPECT_EQ(
      r.Redact(R"({"email":"a@b.c","password":"hun \"ter\" 2","api_key":"k","token":"t"})"),
      R"({"email":"a@b.c","password":"<redacted>","api_key":"<redacted>","token":"<redacted>"})");
}

TEST(RedactorTest, UrlUserInfoIsMasked) {
  const Redactor r;
  EXPECT_EQ(r.Redact("rtsp://cam:pa55@10.0.0.2/stream"), "rtsp://cam:<redacted>@10.0.0.2/stream");
}

TEST(RedactorTest, OrdinaryTextIsLeftAlone) {
  const Redactor r({"s3cr3t"});
  for (const char* s : {"delivered 50 records in 12 ms", "max_tokens=5", "token_env is set",
                        "key frame every 30", "api key rotated", "idle_timeout_s=60"}) {
    EXPECT_EQ(r.Redact(s), s);
  }
}

TEST(RedactorTest, CredentialKeysAreRecognised) {
  for (const char* k : {"token", "api_key", "X-API-Key", "apiKey", "password", "refresh_token",
                        "Authorization", "client_secret", "credentials"}) {
    EXPECT_TRUE(Redactor::IsCredentialKey(k)) << k;
  }
  for (const char* k : {"records", "max_tokens", "token_source", "keyframe", "url"}) {
    EXPECT_FALSE(Redactor::IsCredentialKey(k)) << k;
  }
}

TEST(RedactorTest, ACredentialFieldIsMaskedWhole) {
  const Redactor r({"known"});
  EXPECT_EQ(r.RedactField("token", "anything at all"), "<redacted>");
  EXPECT_EQ(r.RedactField("note", "has known inside"), "has <redacted> inside");
}

}  // namespace
}  // namespace rvm
