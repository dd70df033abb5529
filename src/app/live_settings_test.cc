#include "app/live_settings.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace rvm::app {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// LiveSettings whose apply function records what each part would be given.
class LiveSettingsTest : public ::testing::Test {
 protected:
  LiveSettings live_{Config{}, [this](const RuntimeSettings& s) { applied_.push_back(s); }};
  std::vector<RuntimeSettings> applied_;
};

TEST_F(LiveSettingsTest, StartsWithTheConfigurationsRunTimeKeysAndAppliesNothing) {
  Config c;
  c.detector.conf_threshold = 0.3;
  LiveSettings live(c, [this](const RuntimeSettings& s) { applied_.push_back(s); });
  EXPECT_DOUBLE_EQ(live.current().conf_threshold, 0.3);
  EXPECT_THAT(applied_, IsEmpty());
}

TEST_F(LiveSettingsTest, AValidChangeIsAppliedWholeOnce) {
  ASSERT_TRUE(live_.SetConfThreshold(0.6).ok());
  ASSERT_EQ(applied_.size(), 1u);
  EXPECT_DOUBLE_EQ(applied_[0].conf_threshold, 0.6);
  EXPECT_EQ(applied_[0].idle_fps, Config{}.capture.idle_fps) << "the other keys come along";
  EXPECT_DOUBLE_EQ(live_.current().conf_threshold, 0.6);
}

TEST_F(LiveSettingsTest, AnInvalidChangeIsRefusedWithTheRulesMessageAndChangesNothing) {
  const Status s = live_.SetConfThreshold(1.7);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "detector.conf_threshold = 1.7: must be in [0, 1]");
  const Status t = live_.Update([](RuntimeSettings& r) {
    r.retry_backoff_min_ms = 500;
    r.retry_backoff_max_ms = 100;
  });
  EXPECT_EQ(t.message(),
            "uplink.retry_backoff_max_ms = 100: must be >= uplink.retry_backoff_min_ms (500)");
  EXPECT_THAT(applied_, IsEmpty());
  EXPECT_EQ(live_.current(), RuntimeSettings{});
}

TEST_F(LiveSettingsTest, TheSameValueAgainAppliesNothing) {
  ASSERT_TRUE(live_.SetConfThreshold(Config{}.detector.conf_threshold).ok());
  EXPECT_THAT(applied_, IsEmpty());
}

TEST_F(LiveSettingsTest, AReloadAppliesTheRunTimeKeysAndNamesTheRest) {
  Config fresh;
  fresh.detector.conf_threshold = 0.5;
  fresh.uplink.heartbeat_interval_s = 5;
  fresh.machine.id = "another";
  fresh.pipeline.inference_workers = 3;
  const LiveSettings::ReloadReport r = live_.Reload(fresh);
  EXPECT_TRUE(r.status.ok());
  EXPECT_THAT(r.applied, ElementsAre("detector.conf_threshold", "uplink.heartbeat_interval_s"));
  EXPECT_THAT(r.restart_needed, ElementsAre("machine.id", "pipeline.inference_workers"));
  ASSERT_EQ(applied_.size(), 1u);
  EXPECT_EQ(applied_[0].heartbeat_interval_s, 5);
  EXPECT_EQ(live_.startup().machine.id, Config{}.machine.id) << "restart keys stay as started";
}

TEST_F(LiveSettingsTest, AReloadComparesWithTheSettingsInEffectNotTheFileAtStart) {
  ASSERT_TRUE(live_.SetConfThreshold(0.7).ok());  // from the admin API
  Config fresh;  // the file still says the default
  const LiveSettings::ReloadReport r = live_.Reload(fresh);
  EXPECT_THAT(r.applied, ElementsAre("detector.conf_threshold"));
  EXPECT_DOUBLE_EQ(live_.current().conf_threshold, fresh.detector.conf_threshold);
  // A second identical reload changes nothing and still names nothing.
  const LiveSettings::ReloadReport again = live_.Reload(fresh);
  EXPECT_THAT(again.applied, IsEmpty());
  EXPECT_THAT(again.restart_needed, IsEmpty());
}

TEST_F(LiveSettingsTest, AReloadOfAnInvalidFileReportsWhyAndAppliesNothing) {
  Config fresh;
  fresh.capture.idle_fps = 50;  // above active_fps: a file that skipped validation
  const LiveSettings::ReloadReport r = live_.Reload(fresh);
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.applied, IsEmpty());
  EXPECT_THAT(applied_, IsEmpty());
}

TEST(LiveSettingsConcurrencyTest, ConcurrentChangesAreAppliedOneAtATimeAndTheLastOneStays) {
  std::atomic<int> inside{0};
  std::atomic<int> overlaps{0};
  LiveSettings live(Config{}, [&](const RuntimeSettings&) {
    if (inside.fetch_add(1) != 0) ++overlaps;
    std::this_thread::yield();
    inside.fetch_sub(1);
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&live, t] {
      for (int i = 0; i < 200; ++i) {
        ASSERT_TRUE(live.SetConfThreshold((t * 200 + i) / 1000.0).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(overlaps.load(), 0);
  const double last = live.current().conf_threshold;
  EXPECT_GE(last, 0.0);
  EXPECT_LE(last, 0.8);
}

TEST(KeyListTest, NamesTheKeysOrSaysNone) {
  EXPECT_EQ(KeyList({}), "none");
  EXPECT_EQ(KeyList({"a.b", "c.d"}), "a.b, c.d");
}

}  // namespace
}  // namespace rvm::app
