// Test support for the platform sim's HTTP tests: a fixture that runs a
// PlatformSim on an ephemeral loopback port with a FakeClock, and helpers that
// build the requests a device sends. Used by one test thread at a time.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <memory>
#include <string>

#include "base/clock.h"
#include "platform_sim/platform_sim.h"

namespace rvm::sim {

inline constexpr const char* kTestKey = "sim-machine-key-0001";
inline constexpr const char* kTestEmail = "device@example.com";
inline constexpr const char* kTestPassword = "secret123";

// Bytes that start like a JPEG (the sim checks the magic number, as Laravel's
// `image` rule checks the detected MIME type), padded to `size`.
std::string FakeJpeg(size_t size = 256);

class SimTest : public ::testing::Test {
 protected:
  void SetUp() override { StartSim(PlatformSim::Options{}); }
  void TearDown() override {
    client_.reset();  // an idle keep-alive connection would hold Stop() up
    sim_.reset();
  }

  // (Re)starts the sim with `options`; the fixture's FakeClock is injected.
  void StartSim(PlatformSim::Options options);

  // A keep-alive client for the sim that sends "Accept: application/json".
  std::unique_ptr<httplib::Client> NewClient();
  httplib::Client& client();

  // edge v1 helpers.
  httplib::Headers KeyHeaders(const std::string& key = kTestKey) const;
  httplib::Result PostDeposit(const std::string& item_id, const std::string& image = FakeJpeg());
  std::string LoginV1();
  // v2 helper: a bearer token from /api/v2/auth/login.
  std::string LoginV2();

  static nlohmann::json Json(const httplib::Result& r);

  FakeClock clock_;
  std::unique_ptr<PlatformSim> sim_;
  std::unique_ptr<httplib::Client> client_;
};

}  // namespace rvm::sim
