// Helpers shared by the outbox tests: a temporary directory removed at the
// end of the test, and record builders. Test-only.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "outbox/record.h"

namespace rvm::outbox {

class ScopedTempDir {
 public:
  ScopedTempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() /
            ("rvm_outbox_" + std::string(info->test_suite_name()) + "_" + info->name() + "_" +
             std::to_string(::getpid()));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScopedTempDir() { std::filesystem::remove_all(path_); }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

inline NewRecord MakeRecord(const std::string& item_id, const std::string& machine_id = "rvm-1") {
  NewRecord r;
  r.item_id = item_id;
  r.machine_id = machine_id;
  r.payload_json = R"({"item_id":")" + item_id + R"(","class":"pet_bottle","accepted":true})";
  return r;
}

// Deterministic pseudo-JPEG bytes (content only matters for the checksum).
inline std::vector<uint8_t> MakeImage(size_t bytes, uint8_t seed) {
  std::vector<uint8_t> image(bytes);
  for (size_t i = 0; i < bytes; ++i) image[i] = static_cast<uint8_t>(seed + i * 31);
  return image;
}

}  // namespace rvm::outbox
