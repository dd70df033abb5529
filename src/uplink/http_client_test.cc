#include "uplink/http_client.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <thread>

namespace rvm::uplink {
namespace {

using std::chrono::milliseconds;

// A loopback HTTP server on an ephemeral port with the routes the tests need.
class HttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
      std::string out = "key=" + req.get_header_value("X-Key");
      for (const auto& [name, part] : req.files) {
        out += ";" + name + "=" + part.content + (part.filename.empty() ? "" : "@" + part.filename);
      }
      if (!req.is_multipart_form_data()) out += ";body=" + req.body;
      res.set_content(out, "application/json; charset=utf-8");
    });
    server_.Get("/big", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string(3 << 20, 'g'), "application/json");
    });
    server_.Get("/slow", [](const httplib::Request&, httplib::Response& res) {
      std::this_thread::sleep_for(milliseconds(1500));
      res.set_content("{}", "application/json");
    });
    server_.Get("/busy", [](const httplib::Request&, httplib::Response& res) {
      res.status = 429;
      res.set_header("Retry-After", "12");
      res.set_content("<html>slow down</html>", "text/html");
    });
    server_.set_keep_alive_max_count(1000);  // the default closes every 5 requests
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(milliseconds(1));
    HttpClientOptions o;
    o.request_timeout_ms = 400;
    o.max_response_bytes = 1 << 20;
    client_ = std::move(HttpClient::Create(o)).value();
  }
  void TearDown() override {
    client_.reset();
    server_.stop();
    thread_.join();
  }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::unique_ptr<HttpClient> client_;
};

TEST_F(HttpClientTest, JsonPostsCarryTheirHeadersAndBody) {
  const HttpResponse r = client_->PostJson(Url("/echo"), {{"X-Key", "k1"}}, R"({"a":1})");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");  // parameters stripped
  EXPECT_EQ(r.body, R"(key=k1;body={"a":1})");
}

TEST_F(HttpClientTest, MultipartSendsTextFieldsAndFiles) {
  const HttpResponse r = client_->PostMultipart(
      Url("/echo"), {}, {{"data", "{}", "", ""}, {"image", "JPEG", "x.jpg", "image/jpeg"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("data={}"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("image=JPEG@x.jpg"), std::string::npos) << r.body;
}

TEST_F(HttpClientTest, RequestsReuseOnePooledConnection) {
  for (int i = 0; i < 20; ++i) EXPECT_EQ(client_->PostJson(Url("/echo"), {}, "{}").status, 200);
  EXPECT_EQ(client_->stats().requests, 20);
  EXPECT_EQ(client_->stats().connections_opened, 1);
  client_->ResetConnection();
  EXPECT_EQ(client_->PostJson(Url("/echo"), {}, "{}").status, 200);
  EXPECT_EQ(client_->stats().connections_opened, 2);
}

TEST_F(HttpClientTest, AHungResponseEndsAtTheRequestTimeout) {
  const auto start = std::chrono::steady_clock::now();
  const HttpResponse r = client_->Get(Url("/slow"), {});
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.transport_error.find("imeout"), std::string::npos) << r.transport_error;
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(1200));
  EXPECT_EQ(client_->stats().transport_failures, 1);
}

TEST_F(HttpClientTest, AnOversizedBodyIsCutAtTheCap) {
  // Its own client: the cap is the point here, not the fixture's short
  // timeout, which a sanitizer build's 3 MB response can outlast.
  HttpClientOptions o;
  o.request_timeout_ms = 10'000;
  o.max_response_bytes = 1 << 20;
  auto client = std::move(HttpClient::Create(o)).value();
  const HttpResponse r = client->Get(Url("/big"), {});
  EXPECT_EQ(r.status, 200) << r.transport_error;
  EXPECT_TRUE(r.body_truncated);
  EXPECT_EQ(r.body.size(), size_t{1} << 20);
}

TEST_F(HttpClientTest, RetryAfterAndContentTypeAreCaptured) {
  const HttpResponse r = client_->Get(Url("/busy"), {});
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.retry_after, "12");
  EXPECT_EQ(r.content_type, "text/html");
}

TEST_F(HttpClientTest, ARefusedConnectionIsATransportErrorNotACrash) {
  server_.stop();
  const HttpResponse r = client_->PostJson(Url("/echo"), {}, "{}");
  EXPECT_EQ(r.status, 0);
  EXPECT_FALSE(r.transport_error.empty());
}

}  // namespace
}  // namespace rvm::uplink
