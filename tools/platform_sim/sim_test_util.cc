#include "platform_sim/sim_test_util.h"

namespace rvm::sim {

std::string FakeJpeg(size_t size) {
  std::string bytes = "\xFF\xD8\xFF\xE0";
  bytes.resize(std::max<size_t>(size, bytes.size()), 'x');
  return bytes;
}

void SimTest::StartSim(PlatformSim::Options options) {
  client_.reset();
  sim_.reset();
  options.clock = &clock_;
  sim_ = std::make_unique<PlatformSim>(std::move(options));
  auto port = sim_->Start();
  ASSERT_TRUE(port.ok()) << port.status().ToString();
  ASSERT_GT(*port, 0);
}

std::unique_ptr<httplib::Client> SimTest::NewClient() {
  auto c = std::make_unique<httplib::Client>("127.0.0.1", sim_->port());
  c->set_default_headers({{"Accept", "application/json"}});
  c->set_keep_alive(true);
  c->set_tcp_nodelay(true);
  c->set_read_timeout(5, 0);
  return c;
}

httplib::Client& SimTest::client() {
  if (!client_) client_ = NewClient();
  return *client_;
}

httplib::Headers SimTest::KeyHeaders(const std::string& key) const {
  return {{"Accept", "application/json"}, {"X-RVM-API-KEY", key}};
}

httplib::Result SimTest::PostDeposit(const std::string& item_id, const std::string& image) {
  nlohmann::json data = {{"item_id", item_id}, {"material", "PET"}, {"is_accepted", true}};
  httplib::MultipartFormDataItems items = {
      {"image", image, "item.jpg", "image/jpeg"},
      {"status", "ACCEPTED", "", ""},
      {"data", data.dump(), "", ""},
  };
  httplib::Headers headers = KeyHeaders();
  headers.emplace("Idempotency-Key", item_id);
  return client().Post("/api/v1/edge/deposit", headers, items);
}

std::string SimTest::LoginV1() {
  nlohmann::json body = {
      {"email", kTestEmail}, {"password", kTestPassword}, {"device_name", "rvm"}};
  auto r = client().Post("/api/v1/login", body.dump(), "application/json");
  EXPECT_TRUE(r && r->status == 200);
  return r ? Json(r)["data"]["token"].get<std::string>() : "";
}

std::string SimTest::LoginV2() {
  nlohmann::json body = {{"email", kTestEmail}, {"password", kTestPassword}};
  auto r = client().Post("/api/v2/auth/login", body.dump(), "application/json");
  EXPECT_TRUE(r && r->status == 200);
  return r ? Json(r)["data"]["token"].get<std::string>() : "";
}

nlohmann::json SimTest::Json(const httplib::Result& r) {
  if (!r) return nullptr;
  return nlohmann::json::parse(r->body, nullptr, /*allow_exceptions=*/false);
}

}  // namespace rvm::sim
