#include "uplink/response_class.h"

#include <gtest/gtest.h>

namespace rvm::uplink {
namespace {

HttpResponse Response(int status, std::string body = "{}",
                      std::string content_type = "application/json") {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.content_type = std::move(content_type);
  return r;
}

TEST(ResponseClassTest, A2xxWithJsonIsAnAck) {
  EXPECT_EQ(Classify(Response(200), 0).verdict, Verdict::kAck);
  EXPECT_EQ(Classify(Response(201), 0).verdict, Verdict::kAck);
  EXPECT_FALSE(Classify(Response(201), 0).garbled_ack);
}

TEST(ResponseClassTest, A2xxWithACutJsonBodyIsRetriedAndCountedAsGarbled) {
  const Classification c = Classify(Response(200, R"({"status":"succ)"), 0);
  EXPECT_EQ(c.verdict, Verdict::kRetry);
  EXPECT_TRUE(c.garbled_ack);
  EXPECT_NE(c.message.find("not a JSON object"), std::string::npos) << c.message;
}

TEST(ResponseClassTest, A2xxWithAnEmptyOrNonObjectBodyIsRetried) {
  const Classification empty = Classify(Response(201, ""), 0);
  EXPECT_EQ(empty.verdict, Verdict::kRetry);
  EXPECT_NE(empty.message.find("empty body"), std::string::npos) << empty.message;
  EXPECT_EQ(Classify(Response(200, "[]"), 0).verdict, Verdict::kRetry);
  EXPECT_EQ(Classify(Response(200, R"("ok")"), 0).verdict, Verdict::kRetry);
}

TEST(ResponseClassTest, A2xxWhoseBodySaysItFailedIsRetriedWithTheServersMessage) {
  const Classification edge = Classify(Response(200, R"({"status":"error","message":"nope"})"), 0);
  EXPECT_EQ(edge.verdict, Verdict::kRetry);
  EXPECT_NE(edge.message.find("says the request failed: nope"), std::string::npos)
      << edge.message;
  const Classification kiosk =
      Classify(Response(201, R"({"success":false,"error":"disk full"})"), 0);
  EXPECT_EQ(kiosk.verdict, Verdict::kRetry);
  EXPECT_NE(kiosk.message.find("disk full"), std::string::npos) << kiosk.message;
  EXPECT_EQ(Classify(Response(200, R"({"success":true})"), 0).verdict, Verdict::kAck);
  EXPECT_EQ(Classify(Response(200, R"({"status":"success"})"), 0).verdict, Verdict::kAck);
}

TEST(ResponseClassTest, A200WhereA201IsTheStoredAnswerIsRetried) {
  const Classification c = Classify(Response(200, R"({"status":"success"})"), 0, {201, ""});
  EXPECT_EQ(c.verdict, Verdict::kRetry);
  EXPECT_NE(c.message.find("answers a stored record with 201"), std::string::npos) << c.message;
  EXPECT_EQ(Classify(Response(201, R"({"status":"success"})"), 0, {201, ""}).verdict,
            Verdict::kAck);
}

TEST(ResponseClassTest, A2xxNamingAnotherItemContradictsTheRequestAndIsRetried) {
  const std::string echo = R"({"status":"success","data":{"ai_result":{"item_id":"item-B"}}})";
  const Classification c = Classify(Response(201, echo), 0, {201, "item-A"});
  EXPECT_EQ(c.verdict, Verdict::kRetry);
  EXPECT_NE(c.message.find("naming item 'item-B', not 'item-A'"), std::string::npos) << c.message;
  EXPECT_EQ(Classify(Response(201, echo), 0, {201, "item-B"}).verdict, Verdict::kAck);
  EXPECT_EQ(Classify(Response(201, R"({"item_id":"x"})"), 0, {0, "y"}).verdict, Verdict::kRetry);
  EXPECT_EQ(Classify(Response(201, R"({"data":{"item_id":"x"}})"), 0, {0, "y"}).verdict,
            Verdict::kRetry);
}

TEST(ResponseClassTest, ARedirectToAnotherHostIsRetriedNotFollowed) {
  HttpResponse r = Response(302, "");
  r.content_type = "text/html";
  const Classification c = Classify(r, 0);
  EXPECT_EQ(c.verdict, Verdict::kRetry);
  EXPECT_NE(c.message.find("HTTP 302"), std::string::npos);
}

TEST(ResponseClassTest, A2xxHtmlPageIsRetriedNotTakenAsAnAck) {
  const Classification c = Classify(Response(200, "<html>portal</html>", "text/html"), 0);
  EXPECT_EQ(c.verdict, Verdict::kRetry);
  EXPECT_NE(c.message.find("text/html"), std::string::npos);
}

TEST(ResponseClassTest, NoResponseIsRetriedWithTheTransportError) {
  HttpResponse r;
  r.transport_error = "Couldn't connect to server";
  const Classification c = Classify(r, 0);
  EXPECT_EQ(c.verdict, Verdict::kRetry);
  EXPECT_NE(c.message.find("Couldn't connect"), std::string::npos);
}

TEST(ResponseClassTest, UnauthorizedAsksForAFreshLogin) {
  EXPECT_EQ(Classify(Response(401, R"({"message":"Unauthenticated."})"), 0).verdict,
            Verdict::kReauth);
}

TEST(ResponseClassTest, ServerErrorsTimeoutsAndRateLimitsAreRetried) {
  for (int s : {408, 425, 429, 500, 502, 503, 504, 403, 302}) {
    EXPECT_EQ(Classify(Response(s), 0).verdict, Verdict::kRetry) << s;
  }
}

TEST(ResponseClassTest, RetryAfterIsHonoured) {
  HttpResponse r = Response(429);
  r.retry_after = "7";
  EXPECT_EQ(Classify(r, 0).retry_after_ms, 7000);
  r.retry_after = "garbage";
  EXPECT_EQ(Classify(r, 0).retry_after_ms, -1);
}

TEST(ResponseClassTest, ValidationErrorsAreParkedWithTheServersMessage) {
  const Classification c = Classify(
      Response(
          422,
          R"({"message":"The image field is required.","errors":{"image":["The image field is required."]}})"),
      0);
  EXPECT_EQ(c.verdict, Verdict::kPark);
  EXPECT_NE(c.message.find("HTTP 422"), std::string::npos);
  EXPECT_NE(c.message.find("image: The image field is required."), std::string::npos);
  for (int s : {400, 404, 409, 413}) EXPECT_EQ(Classify(Response(s), 0).verdict, Verdict::kPark);
}

TEST(ResponseClassTest, ServerMessagesAreClippedAndKeepTheErrorCode) {
  const std::string huge(5000, 'x');
  EXPECT_LE(ServerMessage(Response(500, R"({"message":")" + huge + R"("})")).size(), 510u);
  EXPECT_NE(ServerMessage(
                Response(401, R"({"message":"Invalid API key.","error_code":"INVALID_API_KEY"})"))
                .find("[INVALID_API_KEY]"),
            std::string::npos);
  EXPECT_NE(ServerMessage(Response(500, "<h1>oops</h1>", "text/html")).find("text/html"),
            std::string::npos);
}

TEST(ResponseClassTest, JsonContentTypesAreRecognised) {
  EXPECT_TRUE(IsJsonContentType("application/json"));
  EXPECT_TRUE(IsJsonContentType("application/problem+json"));
  EXPECT_FALSE(IsJsonContentType("text/html"));
  EXPECT_FALSE(IsJsonContentType(""));
}

}  // namespace
}  // namespace rvm::uplink
