#include "base/status.h"

#include <gtest/gtest.h>

namespace rvm {
namespace {

TEST(StatusTest, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(StatusTest, ErrorCarriesCodeAndMessage) {
  Status s = NotFound("model 'x.onnx': no such file");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.ToString(), "not found: model 'x.onnx': no such file");
}

TEST(ResultTest, HoldsValueOrError) {
  Result<int> good = 42;
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 42);
  Result<int> bad = InvalidArgument("nope");
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

Status FailsThenContinues(bool fail, int* reached) {
  RVM_RETURN_IF_ERROR(fail ? Internal("boom") : Status::Ok());
  *reached = 1;
  return Status::Ok();
}

TEST(StatusTest, ReturnIfErrorStopsOnFailure) {
  int reached = 0;
  EXPECT_FALSE(FailsThenContinues(true, &reached).ok());
  EXPECT_EQ(reached, 0);
  EXPECT_TRUE(FailsThenContinues(false, &reached).ok());
  EXPECT_EQ(reached, 1);
}

}  // namespace
}  // namespace rvm
