#include "admin/request_framing.h"

#include <gtest/gtest.h>

namespace rvm::admin {
namespace {

using Kind = RequestFrame::Kind;

TEST(RequestFramingTest, AHeadWithoutItsBlankLineIsIncomplete) {
  const RequestFrame f = FrameRequest("GET /healthz HTTP/1.1\r\nHost: x\r\n", {});
  EXPECT_EQ(f.kind, Kind::kIncomplete);
  EXPECT_EQ(f.path, "/healthz");
}

TEST(RequestFramingTest, AGetEndsAtItsBlankLineAndLeavesThePipelinedRest) {
  const std::string first = "GET /readyz?x=1 HTTP/1.1\r\nHost: x\r\n\r\n";
  const RequestFrame f = FrameRequest(first + "GET /next HTTP/1.1\r\n", {});
  ASSERT_EQ(f.kind, Kind::kComplete);
  EXPECT_EQ(f.size, first.size());
  EXPECT_EQ(f.path, "/readyz");
}

TEST(RequestFramingTest, APostIsCompleteOnlyWithTheWholeBodyItAnnounced) {
  const std::string head = "POST /api/trigger HTTP/1.1\r\ncontent-length: 4\r\n\r\n";
  EXPECT_EQ(FrameRequest(head + "{}", {}).kind, Kind::kIncomplete);
  const RequestFrame f = FrameRequest(head + "{ }", {});
  EXPECT_EQ(f.kind, Kind::kIncomplete);
  const RequestFrame whole = FrameRequest(head + "{  }", {});
  ASSERT_EQ(whole.kind, Kind::kComplete);
  EXPECT_EQ(whole.size, head.size() + 4);
}

TEST(RequestFramingTest, AClientWaitingForContinueIsToldSo) {
  const RequestFrame f = FrameRequest(
      "POST /api/maintenance HTTP/1.1\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n", {});
  EXPECT_EQ(f.kind, Kind::kIncomplete);
  EXPECT_TRUE(f.expects_continue);
}

TEST(RequestFramingTest, AnOversizedHeadIsRefusedBeforeItEnds) {
  FramingLimits limits;
  limits.max_head_bytes = 64;
  const RequestFrame f = FrameRequest("GET / HTTP/1.1\r\nX: " + std::string(100, 'a'), limits);
  EXPECT_EQ(f.kind, Kind::kRefused);
  EXPECT_EQ(f.status, 431);
}

TEST(RequestFramingTest, ABodyLargerThanTheLimitIsRefusedFromItsContentLength) {
  FramingLimits limits;
  limits.max_body_bytes = 100;
  const RequestFrame f = FrameRequest("POST /x HTTP/1.1\r\nContent-Length: 101\r\n\r\n", limits);
  EXPECT_EQ(f.kind, Kind::kRefused);
  EXPECT_EQ(f.status, 413);
  EXPECT_NE(f.reason.find("100 bytes"), std::string::npos);
}

TEST(RequestFramingTest, ChunkedBodiesAndBadLengthsAreRefused) {
  EXPECT_EQ(FrameRequest("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", {}).status, 501);
  EXPECT_EQ(FrameRequest("POST /x HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", {}).status, 400);
  EXPECT_EQ(FrameRequest("garbage\r\n\r\n", {}).status, 400);
}

}  // namespace
}  // namespace rvm::admin
