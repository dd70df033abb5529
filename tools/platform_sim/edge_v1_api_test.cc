#include "platform_sim/edge_v1_api.h"

#include <gtest/gtest.h>

#include "platform_sim/sim_test_util.h"

namespace rvm::sim {
namespace {

using nlohmann::json;

class EdgeV1ApiTest : public SimTest {
 protected:
  httplib::Result PostJson(const std::string& path, const json& body, httplib::Headers headers) {
    return client().Post(path, headers, body.dump(), "application/json");
  }
  json HandshakeBody() {
    return {{"hardware_id", "RVM-202601-001"},
            {"name", "Sim RVM"},
            {"ip_local", "192.168.1.20"},
            {"timezone", "Asia/Makassar"},
            {"health_metrics", {{"cpu_usage_percent", 12.5}, {"cpu_temperature", 51}}}};
  }
};

TEST_F(EdgeV1ApiTest, HandshakeReturnsTheConfigurationAndMarksTheMachineOnline) {
  auto r = PostJson("/api/v1/edge/handshake", HandshakeBody(), KeyHeaders());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const json j = Json(r);
  EXPECT_EQ(j["status"], "success");
  EXPECT_EQ(j["message"], "Handshake successful. Configuration synced.");
  EXPECT_EQ(j["data"]["identity"]["rvm_id"], 1);
  EXPECT_EQ(j["data"]["identity"]["rvm_uuid"].get<std::string>().size(), 36u);
  EXPECT_EQ(j["data"]["kiosk"]["timezone"], "Asia/Makassar");
  EXPECT_EQ(j["data"]["policy"]["bin_full_threshold_percent"], 90);
  EXPECT_EQ(j["data"]["policy"]["system_donation_user_id"], -1);
  EXPECT_EQ(j["data"]["ai_model"]["target_version"], "v1.0.0");
  EXPECT_TRUE(j["data"]["ai_model"]["hash"].is_null());
  EXPECT_EQ(sim_->store().MachineById(1)->status, "online");
  EXPECT_EQ(sim_->store().ListEdgeDevices()[0]["hardware_id"], "RVM-202601-001");
}

TEST_F(EdgeV1ApiTest, MissingAndWrongApiKeysAre401WithErrorCodes) {
  auto missing =
      PostJson("/api/v1/edge/handshake", HandshakeBody(), {{"Accept", "application/json"}});
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 401);
  EXPECT_EQ(Json(missing)["error_code"], "MISSING_API_KEY");
  auto wrong = PostJson("/api/v1/edge/heartbeat", json::object(), KeyHeaders("not-a-key"));
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  EXPECT_EQ(Json(wrong)["status"], "error");
  EXPECT_EQ(Json(wrong)["error_code"], "INVALID_API_KEY");
}

TEST_F(EdgeV1ApiTest, BlockedMachineIs403MachineBlocked) {
  ASSERT_TRUE(sim_->store().SetMachineStatus(1, "suspended").ok());
  auto r = PostJson("/api/v1/edge/heartbeat", json::object(), KeyHeaders());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(Json(r)["error_code"], "MACHINE_BLOCKED");
}

TEST_F(EdgeV1ApiTest, HandshakeValidationFailureIsLaravel422) {
  json body = {{"name", std::string(300, 'n')},
               {"ip_local", "not-an-ip"},
               {"health_metrics", {{"cpu_usage_percent", 150}}}};
  auto r = PostJson("/api/v1/edge/handshake", body, KeyHeaders());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 422);
  const json j = Json(r);
  EXPECT_EQ(j["message"], "The hardware id field is required. (and 3 more errors)");
  EXPECT_EQ(j["errors"]["hardware_id"][0], "The hardware id field is required.");
  EXPECT_EQ(j["errors"]["name"][0], "The name field must not be greater than 255 characters.");
  EXPECT_EQ(j["errors"]["ip_local"][0], "The ip local field must be a valid IP address.");
  EXPECT_TRUE(j["errors"].contains("health_metrics.cpu_usage_percent"));
  EXPECT_FALSE(j.contains("status"));
}

TEST_F(EdgeV1ApiTest, ValidationFailureWithoutAcceptJsonIsARedirect) {
  auto r = client().Post("/api/v1/edge/handshake", {{"X-RVM-API-KEY", kTestKey}, {"Accept", "*/*"}},
                         "{}", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 302);
  EXPECT_FALSE(r->get_header_value("Location").empty());
}

TEST_F(EdgeV1ApiTest, HeartbeatDeliversQueuedCommandsExactlyOnce) {
  ASSERT_TRUE(sim_->QueueCommand(1, "CAPTURE_IMAGE", json{{"camera", 0}}).ok());
  ASSERT_TRUE(sim_->QueueCommand(1, "RESTART").ok());
  json beat = {{"bin_capacity", 40}, {"version", "0.1.0"}};
  auto first = PostJson("/api/v1/edge/heartbeat", beat, KeyHeaders());
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status, 200);
  const json j = Json(first);
  EXPECT_EQ(j["status"], "success");
  EXPECT_FALSE(j["server_time"].get<std::string>().empty());
  ASSERT_EQ(j["commands"].size(), 2u);
  EXPECT_EQ(j["commands"][0]["action"], "CAPTURE_IMAGE");
  EXPECT_EQ(j["commands"][0]["payload"]["camera"], 0);
  EXPECT_FALSE(j["commands"][1].contains("payload"));
  EXPECT_FALSE(j["commands"][1]["timestamp"].get<std::string>().empty());
  auto second = PostJson("/api/v1/edge/heartbeat", beat, KeyHeaders());
  ASSERT_TRUE(second);
  EXPECT_TRUE(Json(second)["commands"].empty());
  EXPECT_EQ(sim_->Stats()["stored"]["heartbeats"], 2);
}

TEST_F(EdgeV1ApiTest, HeartbeatStoresReportedCommandResults) {
  json beat = {{"command_results", {{{"action", "RESTART"}, {"outcome", "done"}}}}};
  auto r = PostJson("/api/v1/edge/heartbeat", beat, KeyHeaders());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  auto listed = client().Get("/sim/commands");
  ASSERT_TRUE(listed);
  EXPECT_EQ(Json(listed)["results"][0]["result"]["outcome"], "done");
}

TEST_F(EdgeV1ApiTest, HeartbeatKeepsAMachineInMaintenance) {
  ASSERT_TRUE(sim_->QueueCommand(1, "MAINTENANCE").ok());
  EXPECT_EQ(sim_->store().MachineById(1)->status, "maintenance");
  ASSERT_TRUE(PostJson("/api/v1/edge/heartbeat", json::object(), KeyHeaders()));
  EXPECT_EQ(sim_->store().MachineById(1)->status, "maintenance");
}

TEST_F(EdgeV1ApiTest, DepositIsStoredAndAnswered201) {
  auto r = PostDeposit("0190a1b2-0000-7000-8000-000000000001");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  const json j = Json(r);
  EXPECT_EQ(j["status"], "success");
  EXPECT_EQ(j["message"], "Deposit processed");
  EXPECT_EQ(j["data"]["ai_result"]["material"], "PET");
  EXPECT_NE(j["data"]["image_url"].get<std::string>().find("/storage/deposits/"),
            std::string::npos);
  const json deposits = sim_->Deposits();
  ASSERT_EQ(deposits.size(), 1u);
  EXPECT_EQ(deposits[0]["item_id"], "0190a1b2-0000-7000-8000-000000000001");
  EXPECT_EQ(deposits[0]["payload"]["status"], "ACCEPTED");
  EXPECT_EQ(deposits[0]["payload"]["image"]["type"], "jpeg");
  EXPECT_EQ(deposits[0]["payload"]["image"]["sha256"].get<std::string>().size(), 64u);
}

TEST_F(EdgeV1ApiTest, RepeatedDepositIsAnsweredLikeTheFirstAndCountedAsDuplicate) {
  auto first = PostDeposit("item-A");
  auto second = PostDeposit("item-A");
  ASSERT_TRUE(first && second);
  EXPECT_EQ(second->status, 201);
  EXPECT_EQ(second->body, first->body);
  EXPECT_EQ(second->get_header_value("X-Sim-Duplicate"), "true");
  EXPECT_EQ(sim_->Deposits().size(), 1u);
  const json stats = sim_->Stats();
  EXPECT_EQ(stats["duplicates"]["deposits"], 1);
  EXPECT_EQ(stats["stored"]["deposits"], 1);
}

TEST_F(EdgeV1ApiTest, DepositKeyFromDataIsUsedWithoutTheHeader) {
  json data = {{"item_id", "from-data"}};
  httplib::MultipartFormDataItems items = {{"image", FakeJpeg(), "a.jpg", "image/jpeg"},
                                           {"status", "ACCEPTED", "", ""},
                                           {"data", data.dump(), "", ""}};
  ASSERT_TRUE(client().Post("/api/v1/edge/deposit", KeyHeaders(), items));
  ASSERT_TRUE(client().Post("/api/v1/edge/deposit", KeyHeaders(), items));
  EXPECT_EQ(sim_->Deposits().size(), 1u);
  EXPECT_EQ(sim_->Deposits()[0]["item_id"], "from-data");
}

TEST_F(EdgeV1ApiTest, DepositWithoutImageStatusOrDataIs422) {
  httplib::MultipartFormDataItems items = {{"image", "not an image", "a.txt", "text/plain"}};
  auto r = client().Post("/api/v1/edge/deposit", KeyHeaders(), items);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 422);
  const json j = Json(r);
  EXPECT_EQ(j["errors"]["image"][0], "The image field must be an image.");
  EXPECT_EQ(j["errors"]["status"][0], "The status field is required.");
  EXPECT_EQ(j["errors"]["data"][0], "The data field is required.");
  EXPECT_EQ(sim_->Deposits().size(), 0u);
}

TEST_F(EdgeV1ApiTest, DepositImageOver5MBIs422) {
  auto r = PostDeposit("big", FakeJpeg(5121 * 1024));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 422);
  EXPECT_EQ(Json(r)["errors"]["image"][0],
            "The image field must not be greater than 5120 kilobytes.");
}

TEST_F(EdgeV1ApiTest, DatasetUploadStoresTheImageAndAnswers201) {
  const std::string jpeg = FakeJpeg();
  httplib::MultipartFormDataItems items = {{"image", jpeg, "snap.jpg", "image/jpeg"},
                                           {"camera_port", "snapshot", "", ""}};
  auto r = client().Post("/api/v1/dataset/upload", KeyHeaders(), items);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  const json j = Json(r);
  EXPECT_EQ(j["success"], true);
  EXPECT_EQ(j["data"]["rvm_machine_id"], 1);
  EXPECT_EQ(j["data"]["camera_port"], "snapshot");
  EXPECT_TRUE(j["data"]["file_path"].get<std::string>().ends_with("_raw.jpg"));
  const json uploads = sim_->store().ListRecords(RecordKind::kUpload);
  ASSERT_EQ(uploads.size(), 1u);
  EXPECT_EQ(uploads[0]["payload"]["route"], "dataset");
  EXPECT_EQ(uploads[0]["payload"]["image"]["size"], jpeg.size());
}

TEST_F(EdgeV1ApiTest, DatasetUploadWithoutAnImageIs422AndWithoutAKeyIs401) {
  httplib::MultipartFormDataItems items = {{"camera_port", "0", "", ""}};
  auto r = client().Post("/api/v1/dataset/upload", KeyHeaders(), items);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 422);
  EXPECT_EQ(Json(r)["errors"]["image"][0], "The image field is required.");
  auto no_key = client().Post("/api/v1/dataset/upload", {{"Accept", "application/json"}}, items);
  ASSERT_TRUE(no_key);
  EXPECT_EQ(no_key->status, 401);
  EXPECT_TRUE(sim_->store().ListRecords(RecordKind::kUpload).empty());
}

TEST_F(EdgeV1ApiTest, DepositWhoseHeaderAndDataKeysDisagreeIs422) {
  json data = {{"item_id", "one"}};
  httplib::MultipartFormDataItems items = {{"image", FakeJpeg(), "a.jpg", "image/jpeg"},
                                           {"status", "ACCEPTED", "", ""},
                                           {"data", data.dump(), "", ""}};
  auto headers = KeyHeaders();
  headers.emplace("Idempotency-Key", "two");
  auto r = client().Post("/api/v1/edge/deposit", headers, items);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 422);
  EXPECT_TRUE(Json(r)["errors"].contains("data.item_id"));
}

TEST_F(EdgeV1ApiTest, V1LoginIssuesABearerTokenAndRejectsBadCredentials) {
  EXPECT_FALSE(LoginV1().empty());
  json bad = {{"email", kTestEmail}, {"password", "wrong-pass"}, {"device_name", "rvm"}};
  auto r = client().Post("/api/v1/login", bad.dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(Json(r)["message"], "Kredensial tidak valid");
  auto invalid = client().Post("/api/v1/login", "{}", "application/json");
  ASSERT_TRUE(invalid);
  EXPECT_EQ(invalid->status, 422);
  EXPECT_TRUE(Json(invalid)["errors"].contains("device_name"));
}

json OfflineBatch() {
  return {{"transactions",
           {{{"session_id", "offline-1"},
             {"user_id", -1},
             {"timestamp", "2026-02-01T10:00:00Z"},
             {"items", {{{"type", "plastic_bottle"}, {"weight", 0.02}, {"points", 10}}}}},
            {{"session_id", "offline-2"},
             {"user_id", 1},
             {"timestamp", "2026-02-01T10:01:00Z"},
             {"items", {{{"type", "aluminum_can"}, {"weight", 0.015}, {"points", 15}}}}}}}};
}

TEST_F(EdgeV1ApiTest, KeyAuthenticatedSyncStoresTransactionsInOrderAndDedupesOnSessionId) {
  auto r = PostJson("/api/v1/edge/sync-offline", OfflineBatch(), KeyHeaders());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Json(r)["synced_count"], 2);
  auto retry = PostJson("/api/v1/edge/sync-offline", OfflineBatch(), KeyHeaders());
  ASSERT_TRUE(retry);
  EXPECT_EQ(Json(retry)["synced_count"], 2);
  const json txns = sim_->Transactions();
  ASSERT_EQ(txns.size(), 2u);
  EXPECT_EQ(txns[0]["session_id"], "offline-1");
  EXPECT_EQ(txns[1]["session_id"], "offline-2");
  EXPECT_EQ(txns[0]["variant"], "key");
  EXPECT_EQ(sim_->Stats()["duplicates"]["transactions"], 2);
}

TEST_F(EdgeV1ApiTest, KeyAuthenticatedSyncRejectsANonArrayAsInvalidFormat) {
  auto r = PostJson("/api/v1/edge/sync-offline", json{{"transactions", "x"}}, KeyHeaders());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 422);
  EXPECT_EQ(Json(r)["message"], "Invalid format");
}

TEST_F(EdgeV1ApiTest, BearerSyncNeedsTheMachineIdHeader) {
  const std::string token = LoginV1();
  httplib::Headers headers = {{"Accept", "application/json"}, {"Authorization", "Bearer " + token}};
  auto missing = PostJson("/api/v1/edge/sync-offline", OfflineBatch(), headers);
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 500);
  EXPECT_EQ(Json(missing)["synced_count"], 0);
  EXPECT_EQ(sim_->Transactions().size(), 0u);

  headers.emplace("X-RVM-Machine-ID", "1");
  auto ok = PostJson("/api/v1/edge/sync-offline", OfflineBatch(), headers);
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status, 200) << ok->body;
  EXPECT_EQ(Json(ok)["synced_count"], 2);
  EXPECT_TRUE(Json(ok)["errors"].empty());
  EXPECT_EQ(sim_->Transactions()[0]["variant"], "bearer");
}

TEST_F(EdgeV1ApiTest, BearerSyncReportsUnknownUsersAndValidatesRows) {
  const std::string token = LoginV1();
  httplib::Headers headers = {{"Accept", "application/json"},
                              {"Authorization", "Bearer " + token},
                              {"X-RVM-Machine-ID", "1"}};
  json batch = OfflineBatch();
  batch["transactions"][1]["user_id"] = 4242;
  auto r = PostJson("/api/v1/edge/sync-offline", batch, headers);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(Json(r)["synced_count"], 1);
  ASSERT_EQ(Json(r)["errors"].size(), 1u);
  EXPECT_NE(Json(r)["errors"][0].get<std::string>().find("4242"), std::string::npos);

  json bad = {{"transactions", {{{"user_id", "x"}, {"items", {{{"weight", 1}}}}}}}};
  auto invalid = PostJson("/api/v1/edge/sync-offline", bad, headers);
  ASSERT_TRUE(invalid);
  ASSERT_EQ(invalid->status, 422);
  const json e = Json(invalid)["errors"];
  EXPECT_TRUE(e.contains("transactions.0.session_id"));
  EXPECT_TRUE(e.contains("transactions.0.user_id"));
  EXPECT_TRUE(e.contains("transactions.0.timestamp"));
  EXPECT_TRUE(e.contains("transactions.0.items.0.type"));
}

TEST_F(EdgeV1ApiTest, BearerSyncWithoutATokenIsUnauthenticated) {
  auto r = PostJson("/api/v1/edge/sync-offline", OfflineBatch(),
                    {{"Accept", "application/json"}, {"X-RVM-Machine-ID", "1"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(Json(r)["message"], "Unauthenticated.");
}

TEST_F(EdgeV1ApiTest, BearerOnlyModeRefusesTheMachineKey) {
  PlatformSim::Options options;
  options.sync_offline_auth = SyncOfflineAuth::kBearer;
  StartSim(options);
  auto r = PostJson("/api/v1/edge/sync-offline", OfflineBatch(), KeyHeaders());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
}

}  // namespace
}  // namespace rvm::sim
