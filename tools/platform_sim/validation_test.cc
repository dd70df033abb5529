#include "platform_sim/validation.h"

#include <gtest/gtest.h>

namespace rvm::sim {
namespace {

using nlohmann::json;

TEST(RequestValidatorTest, MissingRequiredFieldGetsLaravelMessage) {
  json body = json::object();
  RequestValidator v(body);
  v.Check("hardware_id", "required|string|max:100");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.errors().ToJson()["hardware_id"][0], "The hardware id field is required.");
}

TEST(RequestValidatorTest, EmptyStringAndEmptyArrayFailRequired) {
  json body = {{"name", ""}, {"detections", json::array()}};
  RequestValidator v(body);
  v.Check("name", "required|string");
  v.Check("detections", "required|array");
  EXPECT_TRUE(v.errors().Has("name"));
  EXPECT_TRUE(v.errors().Has("detections"));
}

TEST(RequestValidatorTest, OptionalAbsentFieldPasses) {
  json body = {{"name", "x"}};
  RequestValidator v(body);
  v.Check("ip_local", "nullable|ip");
  v.Check("timezone", "nullable|string|max:50");
  EXPECT_TRUE(v.ok());
}

TEST(RequestValidatorTest, TypeRulesRejectWrongTypes) {
  json body = {{"s", 5},           {"i", "12a"},        {"n", "abc"},
               {"a", "x"},         {"ip", "300.1.1.1"}, {"e", "no-at-sign"},
               {"d", "yesterday"}, {"b", "maybe"}};
  RequestValidator v(body);
  v.Check("s", "string");
  v.Check("i", "integer");
  v.Check("n", "numeric");
  v.Check("a", "array");
  v.Check("ip", "ip");
  v.Check("e", "email");
  v.Check("d", "date");
  v.Check("b", "boolean");
  const json e = v.errors().ToJson();
  EXPECT_EQ(e["s"][0], "The s field must be a string.");
  EXPECT_EQ(e["i"][0], "The i field must be an integer.");
  EXPECT_EQ(e["n"][0], "The n field must be a number.");
  EXPECT_EQ(e["a"][0], "The a field must be an array.");
  EXPECT_EQ(e["ip"][0], "The ip field must be a valid IP address.");
  EXPECT_EQ(e["e"][0], "The e field must be a valid email address.");
  EXPECT_EQ(e["d"][0], "The d field must be a valid date.");
  EXPECT_EQ(e["b"][0], "The b field must be true or false.");
}

TEST(RequestValidatorTest, NumericStringsAndIntegerStringsAreAccepted) {
  json body = {{"i", "42"}, {"n", "0.5"}, {"ip", "::1"}, {"d", "2026-01-31T10:00:00.123Z"}};
  RequestValidator v(body);
  v.Check("i", "integer");
  v.Check("n", "numeric|between:0,1");
  v.Check("ip", "ip");
  v.Check("d", "date");
  EXPECT_TRUE(v.ok()) << v.errors().Summary();
}

TEST(RequestValidatorTest, SizeRulesCompareByTheFieldsType) {
  json body = {{"name", std::string(101, 'x')},
               {"pct", 101},
               {"bbox", {1, 2, 3}},
               {"password", "abc"},
               {"conf", 1.5}};
  RequestValidator v(body);
  v.Check("name", "string|max:100");
  v.Check("pct", "numeric|min:0|max:100");
  v.Check("bbox", "array|size:4");
  v.Check("password", "string|min:6");
  v.Check("conf", "numeric|between:0,1");
  const json e = v.errors().ToJson();
  EXPECT_EQ(e["name"][0], "The name field must not be greater than 100 characters.");
  EXPECT_EQ(e["pct"][0], "The pct field must not be greater than 100.");
  EXPECT_EQ(e["bbox"][0], "The bbox field must contain 4 items.");
  EXPECT_EQ(e["password"][0], "The password field must be at least 6 characters.");
  EXPECT_EQ(e["conf"][0], "The conf field must be between 0 and 1.");
}

TEST(RequestValidatorTest, WildcardExpandsOverArrayElements) {
  json body = {
      {"detections",
       {{{"class", "bottle"}, {"confidence", 0.9}}, {{"class_name", "can"}, {"confidence", 2}}}}};
  RequestValidator v(body);
  v.Check("detections.*.class", "required|string");
  v.Check("detections.*.confidence", "required|numeric|between:0,1");
  const json e = v.errors().ToJson();
  EXPECT_FALSE(e.contains("detections.0.class"));
  EXPECT_EQ(e["detections.1.class"][0], "The detections.1.class field is required.");
  EXPECT_EQ(e["detections.1.confidence"][0],
            "The detections.1.confidence field must be between 0 and 1.");
}

TEST(RequestValidatorTest, InRuleListsTheAllowedValues) {
  json body = {{"waste_type", "wood"}};
  RequestValidator v(body);
  v.Check("waste_type", "required|in:plastic,glass,metal");
  EXPECT_EQ(v.errors().ToJson()["waste_type"][0], "The selected waste type is invalid.");
}

TEST(FieldErrorsTest, SummaryCountsTheOtherMessages) {
  FieldErrors one;
  one.Add("a", "First.");
  EXPECT_EQ(one.Summary(), "First.");
  one.Add("b", "Second.");
  EXPECT_EQ(one.Summary(), "First. (and 1 more error)");
  one.Add("c", "Third.");
  EXPECT_EQ(one.Summary(), "First. (and 2 more errors)");
}

TEST(ImageFileTest, DetectsImagesByMagicNumber) {
  EXPECT_EQ(DetectImageType("\xFF\xD8\xFF\xE0rest"), "jpeg");
  EXPECT_EQ(DetectImageType(std::string("\x89PNG\r\n\x1A\n", 8) + "x"), "png");
  EXPECT_EQ(DetectImageType("GIF89a..."), "gif");
  EXPECT_EQ(DetectImageType("hello"), "");
}

TEST(ImageFileTest, RejectsMissingNonImageWrongTypeAndOversizedFiles) {
  FieldErrors e;
  CheckImageFile(e, "missing", false, "", "jpeg,jpg,png", 5120);
  CheckImageFile(e, "text", true, "plain text", "jpeg,jpg,png", 5120);
  CheckImageFile(e, "gif", true, "GIF89a....", "jpeg,jpg,png", 5120);
  CheckImageFile(e, "big", true, "\xFF\xD8\xFF" + std::string(5121 * 1024, 'x'), "jpeg,jpg,png",
                 5120);
  CheckImageFile(e, "ok", true, "\xFF\xD8\xFF" + std::string(100, 'x'), "jpeg,jpg,png", 5120);
  const auto j = e.ToJson();
  EXPECT_EQ(j["missing"][0], "The missing field is required.");
  EXPECT_EQ(j["text"][0], "The text field must be an image.");
  EXPECT_EQ(j["gif"][0], "The gif field must be a file of type: jpeg, jpg, png.");
  EXPECT_EQ(j["big"][0], "The big field must not be greater than 5120 kilobytes.");
  EXPECT_FALSE(j.contains("ok"));
}

}  // namespace
}  // namespace rvm::sim
