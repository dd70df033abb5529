// Test support for the uplink tests: records shaped like the ones the
// machine appends (a Decision's JSON, a SessionSummary's JSON), a fake JPEG,
// platform client options for a PlatformSim, and a temporary directory.
// Test-only; used by one test thread at a time.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "deposit/decision.h"
#include "deposit/session.h"
#include "outbox/record.h"
#include "uplink/platform_client_options.h"

namespace rvm::uplink::testing {

inline constexpr const char* kSimKey = "sim-machine-key-0001";
inline constexpr const char* kSimEmail = "device@example.com";
inline constexpr const char* kSimPassword = "secret123";

// Starts like a JPEG (the sim checks the magic number), `size` bytes in all.
inline std::vector<uint8_t> FakeJpeg(size_t size = 512, uint8_t seed = 1) {
  std::vector<uint8_t> b = {0xFF, 0xD8, 0xFF, 0xE0};
  b.resize(std::max<size_t>(size, 4));
  for (size_t i = 4; i < b.size(); ++i) b[i] = static_cast<uint8_t>(seed + i * 13);
  return b;
}

inline Decision MakeDecision(const std::string& item_id, const std::string& session_id = "s-1",
                             bool accepted = true) {
  Decision d;
  d.item_id = item_id;
  d.machine_id = "rvm-test";
  d.session_id = session_id;
  d.session_kind = "guest";
  d.user_id = -1;
  d.class_id = 0;
  d.label = "pet_bottle";
  d.material = Material::kPet;
  d.confidence = 0.93;
  d.vote_share = 1.0;
  d.threshold = 0.5;
  d.accepted = accepted;
  d.points = accepted ? 10 : 0;
  d.frames = 5;
  d.distinct_classes = 1;
  d.finish = "settled";
  d.first_seen_ms = d.last_seen_ms = d.decided_ms = d.best_frame_ms = 1'770'000'000'000;
  d.best_box = Box{10, 20, 110, 220};
  d.best_score = 0.9f;
  return d;
}

inline outbox::StoredRecord DepositRecord(int64_t seq, const std::string& item_id,
                                          const std::string& session_id = "s-1") {
  outbox::StoredRecord r;
  r.seq = seq;
  r.item_id = item_id;
  r.kind = outbox::RecordKind::kDeposit;
  r.machine_id = "rvm-test";
  r.created_ms = 1'770'000'000'000;
  r.payload_json = DecisionToJson(MakeDecision(item_id, session_id)).dump();
  return r;
}

// A closed session with `accepted_items` accepted PET bottles for `user_id`.
inline SessionSummary MakeSession(const std::string& session_id, int accepted_items,
                                  int64_t user_id = -1) {
  SessionSummary s;
  s.session = {session_id, user_id > 0 ? SessionKind::kUser : SessionKind::kGuest, user_id};
  s.machine_id = "rvm-test";
  s.opened_ms = 1'770'000'000'000;
  s.closed_ms = s.opened_ms + 60'000;
  s.close_reason = "idle_timeout";
  for (int i = 0; i < accepted_items; ++i) {
    s.items.push_back(
        {session_id + "-item-" + std::to_string(i), Material::kPet, true, 10, s.opened_ms + i});
  }
  return s;
}

inline outbox::StoredRecord SessionRecord(int64_t seq, const std::string& session_id,
                                          int accepted_items, int64_t user_id = -1) {
  outbox::StoredRecord r;
  r.seq = seq;
  r.item_id = "session-" + session_id;
  r.kind = outbox::RecordKind::kSession;
  r.machine_id = "rvm-test";
  r.created_ms = 1'770'000'000'000;
  r.payload_json = SessionSummaryToJson(MakeSession(session_id, accepted_items, user_id)).dump();
  return r;
}

inline PlatformClientOptions SimOptions(const std::string& base_url) {
  PlatformClientOptions o;
  o.base_url = base_url;
  o.api_key = kSimKey;
  o.machine_id = 1;
  o.machine_name = "RVM-TEST";
  o.hardware_id = "RVM-SIM-1";
  o.software_version = "0.1.0-test";
  o.email = kSimEmail;
  o.password = kSimPassword;
  o.http.connect_timeout_ms = 1000;
  o.http.request_timeout_ms = 3000;
  return o;
}

class ScopedTempDir {
 public:
  ScopedTempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() /
            ("rvm_uplink_" + std::string(info->test_suite_name()) + "_" + info->name() + "_" +
             std::to_string(::getpid()));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScopedTempDir() { std::filesystem::remove_all(path_); }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace rvm::uplink::testing
