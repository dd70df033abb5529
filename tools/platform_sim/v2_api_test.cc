#include "platform_sim/v2_api.h"

#include <gtest/gtest.h>

#include "platform_sim/sim_test_util.h"

namespace rvm::sim {
namespace {

using nlohmann::json;

class V2ApiTest : public SimTest {
 protected:
  httplib::Headers Bearer(const std::string& token) {
    return {{"Accept", "application/json"}, {"Authorization", "Bearer " + token}};
  }
  json Detection(const std::string& cls = "bottle") {
    return {{"rvm_id", 1},
            {"image_path", "spool/item.jpg"},
            {"detections", {{{"class", cls}, {"confidence", 0.91}, {"bbox", {10, 20, 110, 220}}}}},
            {"model_version", "yolo11n"}};
  }
  httplib::MultipartFormDataItems UploadItems(const std::string& item_id) {
    return {{"image", FakeJpeg(), "item.jpg", "image/jpeg"},
            {"rvm_id", "1", "", ""},
            {"metadata[item_id]", item_id, "", ""},
            {"metadata[material]", "PET", "", ""}};
  }
};

TEST_F(V2ApiTest, LoginReturnsASanctumStyleToken) {
  json body = {{"email", kTestEmail}, {"password", kTestPassword}};
  auto r = client().Post("/api/v2/auth/login", body.dump(), "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  const json j = Json(r);
  EXPECT_EQ(j["success"], true);
  EXPECT_EQ(j["data"]["token_type"], "Bearer");
  EXPECT_EQ(j["data"]["user"]["email"], kTestEmail);
  const std::string token = j["data"]["token"];
  EXPECT_EQ(token.size() - token.find('|') - 1, 40u);
}

TEST_F(V2ApiTest, LoginAcceptsAFormEncodedBody) {
  httplib::Params form = {{"email", kTestEmail}, {"password", kTestPassword}};
  auto r = client().Post("/api/v2/auth/login", form);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
}

TEST_F(V2ApiTest, LoginFailuresUseTheV2Shapes) {
  json wrong = {{"email", kTestEmail}, {"password", "wrong-password"}};
  auto r = client().Post("/api/v2/auth/login", wrong.dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(Json(r), (json{{"success", false}, {"message", "Invalid credentials"}}));
  json invalid = {{"email", "nobody"}, {"password", "123"}};
  auto v = client().Post("/api/v2/auth/login", invalid.dump(), "application/json");
  ASSERT_TRUE(v);
  ASSERT_EQ(v->status, 422);
  const json j = Json(v);
  EXPECT_EQ(j["success"], false);
  EXPECT_EQ(j["message"], "Validation failed");
  EXPECT_EQ(j["errors"]["email"][0], "The email field must be a valid email address.");
  EXPECT_EQ(j["errors"]["password"][0], "The password field must be at least 6 characters.");
}

TEST_F(V2ApiTest, DetectionResultIsStoredWithTheMachine) {
  auto r = client().Post("/api/v2/detection-results", Bearer(LoginV2()), Detection().dump(),
                         "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  const json j = Json(r);
  EXPECT_EQ(j["success"], true);
  EXPECT_EQ(j["data"]["status"], "completed");
  EXPECT_EQ(j["data"]["reverse_vending_machine"]["id"], 1);
  EXPECT_EQ(sim_->Stats()["stored"]["detection_results"], 1);
}

TEST_F(V2ApiTest, DetectionResultsWithoutATokenAre401) {
  auto r = client().Post("/api/v2/detection-results", Detection().dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(Json(r), (json{{"message", "Unauthenticated."}}));
  auto bogus = client().Post("/api/v2/detection-results", Bearer("1|bogus"), Detection().dump(),
                             "application/json");
  ASSERT_TRUE(bogus);
  EXPECT_EQ(bogus->status, 401);
}

TEST_F(V2ApiTest, UnauthenticatedWithoutAcceptJsonRedirectsToLogin) {
  auto r = client().Post("/api/v2/detection-results", {{"Accept", "text/html"}}, Detection().dump(),
                         "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 302);
  EXPECT_NE(r->get_header_value("Location").find("/login"), std::string::npos);
}

TEST_F(V2ApiTest, EmptyDetectionsAndClassNameInsteadOfClassAre422) {
  const auto headers = Bearer(LoginV2());
  json empty = Detection();
  empty["detections"] = json::array();
  auto r = client().Post("/api/v2/detection-results", headers, empty.dump(), "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 422);
  EXPECT_EQ(Json(r)["errors"]["detections"][0], "The detections field is required.");

  json drifted = Detection();
  drifted["detections"][0].erase("class");
  drifted["detections"][0]["class_name"] = "bottle";
  drifted["detections"][0]["bbox"] = {1, 2, 3};
  auto d = client().Post("/api/v2/detection-results", headers, drifted.dump(), "application/json");
  ASSERT_TRUE(d);
  ASSERT_EQ(d->status, 422);
  EXPECT_EQ(Json(d)["errors"]["detections.0.class"][0],
            "The detections.0.class field is required.");
  EXPECT_EQ(Json(d)["errors"]["detections.0.bbox"][0],
            "The detections.0.bbox field must contain 4 items.");
}

TEST_F(V2ApiTest, DetectionResultForAnUnknownRvmIs422) {
  json body = Detection();
  body["rvm_id"] = 77;
  auto r = client().Post("/api/v2/detection-results", Bearer(LoginV2()), body.dump(),
                         "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 422);
  EXPECT_EQ(Json(r)["errors"]["rvm_id"][0], "The selected rvm id is invalid.");
}

TEST_F(V2ApiTest, DetectionResultsDedupeOnTheIdempotencyKey) {
  auto headers = Bearer(LoginV2());
  headers.emplace("Idempotency-Key", "item-7");
  auto a =
      client().Post("/api/v2/detection-results", headers, Detection().dump(), "application/json");
  auto b =
      client().Post("/api/v2/detection-results", headers, Detection().dump(), "application/json");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(b->status, 201);
  EXPECT_EQ(a->body, b->body);
  EXPECT_EQ(sim_->Stats()["duplicates"]["detection_results"], 1);
  EXPECT_EQ(sim_->Stats()["stored"]["detection_results"], 1);
}

TEST_F(V2ApiTest, UploadStoresTheImageAndDedupesOnMetadataItemId) {
  const auto headers = Bearer(LoginV2());
  auto r = client().Post("/api/v2/upload", headers, UploadItems("item-9"));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const json j = Json(r);
  EXPECT_EQ(j["data"]["mime_type"], "image/jpeg");
  EXPECT_EQ(j["data"]["rvm_id"], 1);
  EXPECT_EQ(j["data"]["filename"].get<std::string>().rfind("detection_1_", 0), 0u);
  auto again = client().Post("/api/v2/upload", headers, UploadItems("item-9"));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->body, r->body);
  auto uploads = client().Get("/sim/uploads");
  ASSERT_TRUE(uploads);
  ASSERT_EQ(Json(uploads).size(), 1u);
  EXPECT_EQ(Json(uploads)[0]["item_id"], "item-9");
  EXPECT_EQ(Json(uploads)[0]["payload"]["metadata"]["material"], "PET");
  EXPECT_EQ(sim_->Stats()["duplicates"]["uploads"], 1);
}

TEST_F(V2ApiTest, UploadUnderTheWrongFieldNameOrWithJsonMetadataIs422) {
  const auto headers = Bearer(LoginV2());
  httplib::MultipartFormDataItems items = {{"file", FakeJpeg(), "item.jpg", "image/jpeg"},
                                           {"rvm_id", "1", "", ""},
                                           {"metadata", R"({"item_id":"x"})", "", ""}};
  auto r = client().Post("/api/v2/upload", headers, items);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 422);
  const json j = Json(r);
  EXPECT_EQ(j["message"], "Validation failed");
  EXPECT_EQ(j["errors"]["image"][0], "The image field is required.");
  EXPECT_EQ(j["errors"]["metadata"][0], "The metadata field must be an array.");
}

TEST_F(V2ApiTest, MetricsNeedNoAuthAndRejectNonObjectsWith500) {
  json body = {{"system_metrics", {{"cpu_usage", 12}}},
               {"application_metrics", {{"uptime_seconds", 42}}}};
  auto r = client().Post("/api/v2/rvms/1/metrics", body.dump(), "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(Json(r), (json{{"success", true}, {"message", "Metrics stored successfully"}}));
  auto bad =
      client().Post("/api/v2/rvms/1/metrics", R"({"system_metrics":"high"})", "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 500);
  EXPECT_EQ(Json(bad)["success"], false);
  EXPECT_EQ(sim_->Stats()["stored"]["metrics"], 1);
  EXPECT_EQ(sim_->Stats()["requests"]["by_route"]["POST /api/v2/rvms/{id}/metrics"]["200"], 1);
}

TEST_F(V2ApiTest, SelfClaimChecksKeyThenFieldsThenTheMachine) {
  auto missing = client().Post("/api/v2/rvm/self/claim", R"({"rvm_id":1})", "application/json");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 401);
  EXPECT_EQ(Json(missing)["message"], "Missing API key");

  httplib::Headers key = {{"Accept", "application/json"}, {"X-API-Key", kTestKey}};
  auto invalid =
      client().Post("/api/v2/rvm/self/claim", key, R"({"device_name":"x"})", "application/json");
  ASSERT_TRUE(invalid);
  ASSERT_EQ(invalid->status, 422);
  EXPECT_EQ(Json(invalid)["message"], "The rvm id field is required.");
  EXPECT_FALSE(Json(invalid).contains("success"));

  httplib::Headers wrong = {{"Accept", "application/json"}, {"X-API-Key", "rvm_wrong"}};
  auto mismatch =
      client().Post("/api/v2/rvm/self/claim", wrong, R"({"rvm_id":1})", "application/json");
  ASSERT_TRUE(mismatch);
  EXPECT_EQ(mismatch->status, 401);
  EXPECT_EQ(Json(mismatch)["message"], "Invalid API key or RVM not found");

  json body = {{"rvm_id", 1}, {"device_name", "Chute 1"}, {"timezone", "Asia/Jakarta"}};
  auto ok = client().Post("/api/v2/rvm/self/claim", key, body.dump(), "application/json");
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status, 200) << ok->body;
  EXPECT_EQ(Json(ok)["data"], (json{{"rvm_id", 1},
                                    {"name", "Chute 1"},
                                    {"timezone", "Asia/Jakarta"},
                                    {"timezone_offset", "+07:00"}}));
}

TEST_F(V2ApiTest, SelfClaimWithNullDeviceNameKeepsTheMachineName) {
  httplib::Headers key = {{"Accept", "application/json"}, {"X-API-Key", kTestKey}};
  auto r = client().Post("/api/v2/rvm/self/claim", key, R"({"rvm_id":1,"device_name":null})",
                         "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Json(r)["data"]["name"], "RVM-SIM-1");
}

TEST(TimezoneOffsetTest, KnownZonesHaveTheirOffsetAndOthersAreUtc) {
  EXPECT_EQ(TimezoneOffset("Asia/Jayapura"), "+09:00");
  EXPECT_EQ(TimezoneOffset("Mars/Olympus"), "+00:00");
}

}  // namespace
}  // namespace rvm::sim
