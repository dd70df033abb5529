#include "admin/admin_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "admin/fake_service_control.h"

namespace rvm::admin {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// One sample line of the text exposition format.
struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct Exposition {
  std::vector<Sample> samples;
  std::map<std::string, std::string> types;  // family name -> counter|gauge|histogram
};

// A parser for what TextSerializer writes: `name{a="x",b="y"} value`.
Exposition Parse(const std::string& text) {
  Exposition e;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream t(line.substr(7));
      std::string name, type;
      t >> name >> type;
      e.types[name] = type;
      continue;
    }
    if (line[0] == '#') continue;
    Sample s;
    const size_t brace = line.find('{');
    const size_t space = line.rfind(' ');
    if (brace != std::string::npos && brace < space) {
      s.name = line.substr(0, brace);
      const size_t close = line.rfind('}');
      std::string labels = line.substr(brace + 1, close - brace - 1);
      size_t pos = 0;
      while (pos < labels.size()) {
        const size_t eq = labels.find('=', pos);
        const size_t q2 = labels.find('"', eq + 2);
        s.labels[labels.substr(pos, eq - pos)] = labels.substr(eq + 2, q2 - eq - 2);
        pos = q2 + 2;  // past `",`
      }
    } else {
      s.name = line.substr(0, space);
    }
    s.value = std::stod(line.substr(space + 1));
    e.samples.push_back(std::move(s));
  }
  return e;
}

// The value of the one sample with this name whose labels include `labels`
// ("le" compared as a number); NaN when there is none.
double Value(const Exposition& e, const std::string& name,
             const std::map<std::string, std::string>& labels = {}) {
  for (const Sample& s : e.samples) {
    if (s.name != name) continue;
    bool match = true;
    for (const auto& [k, v] : labels) {
      auto it = s.labels.find(k);
      if (it == s.labels.end()) {
        match = false;
      } else if (k == "le") {
        match = match && std::stod(it->second) == std::stod(v);
      } else {
        match = match && it->second == v;
      }
    }
    if (match) return s.value;
  }
  return std::nan("");
}

SystemSample BareSystem() {
  SystemSample s;
  s.process.rss_bytes = 50'000'000;
  return s;
}

TEST(AdminMetricsTest, StageObservationsBecomeHistogramsInSeconds) {
  AdminMetrics m;
  m.OnStage("inference", 40);
  m.OnStage("inference", 30);
  m.OnStage("inference", 20);
  m.OnStage("decide", 0.2);
  const Exposition e = Parse(m.Render(RealisticStatus(), BareSystem()));
  const std::string h = "rvm_pipeline_stage_duration_seconds";
  EXPECT_EQ(e.types.at(h), "histogram");
  EXPECT_EQ(Value(e, h + "_count", {{"stage", "inference"}}), 3);
  EXPECT_NEAR(Value(e, h + "_sum", {{"stage", "inference"}}), 0.090, 1e-9);
  EXPECT_EQ(Value(e, h + "_bucket", {{"stage", "inference"}, {"le", "0.01"}}), 0);
  EXPECT_EQ(Value(e, h + "_bucket", {{"stage", "inference"}, {"le", "0.025"}}), 1);
  EXPECT_EQ(Value(e, h + "_bucket", {{"stage", "inference"}, {"le", "0.05"}}), 3);
  EXPECT_EQ(Value(e, h + "_count", {{"stage", "decide"}}), 1);
  EXPECT_EQ(Value(e, h + "_count", {{"stage", "capture"}}), 0);
}

TEST(AdminMetricsTest, AnUnknownStageGetsItsOwnSeries) {
  AdminMetrics m;
  m.OnStage("preprocess", 3);
  m.OnStage("preprocess", 5);
  const Exposition e = Parse(m.Render(RealisticStatus(), BareSystem()));
  EXPECT_EQ(Value(e, "rvm_pipeline_stage_duration_seconds_count", {{"stage", "preprocess"}}), 2);
}

TEST(AdminMetricsTest, DecisionsAreCountedByMaterialAndOutcome) {
  AdminMetrics m;
  m.OnDecision(RealisticDecision(0, 0, false).decision);  // bottle, pet, accepted
  m.OnDecision(RealisticDecision(3, 0, false).decision);  // cup: unknown, rejected
  Decision pet_rejected = RealisticDecision(0, 0, false).decision;
  pet_rejected.accepted = false;
  m.OnDecision(pet_rejected);
  m.OnDecision(pet_rejected);
  const Exposition e = Parse(m.Render(RealisticStatus(), BareSystem()));
  const std::string c = "rvm_items_decided_total";
  EXPECT_EQ(e.types.at(c), "counter");
  EXPECT_EQ(Value(e, c, {{"material", "pet"}, {"outcome", "accepted"}}), 1);
  EXPECT_EQ(Value(e, c, {{"material", "pet"}, {"outcome", "rejected"}}), 2);
  EXPECT_EQ(Value(e, c, {{"material", "unknown"}, {"outcome", "rejected"}}), 1);
  EXPECT_EQ(Value(e, c, {{"material", "glass"}, {"outcome", "accepted"}}), 0);
}

TEST(AdminMetricsTest, BatchSizesAreAHistogram) {
  AdminMetrics m;
  m.OnBatch(1);
  m.OnBatch(4);
  m.OnBatch(3);
  const Exposition e = Parse(m.Render(RealisticStatus(), BareSystem()));
  EXPECT_EQ(Value(e, "rvm_inference_batch_size_count"), 3);
  EXPECT_EQ(Value(e, "rvm_inference_batch_size_sum"), 8);
  EXPECT_EQ(Value(e, "rvm_inference_batch_size_bucket", {{"le", "2"}}), 1);
  EXPECT_EQ(Value(e, "rvm_inference_batch_size_bucket", {{"le", "4"}}), 3);
}

TEST(AdminMetricsTest, StatusCountersAreReadAtScrapeTime) {
  AdminMetrics m;
  ops::ServiceStatus s = RealisticStatus();
  Exposition e = Parse(m.Render(s, BareSystem()));
  EXPECT_EQ(Value(e, "rvm_frames_captured_total"), 412'345);
  EXPECT_EQ(Value(e, "rvm_frames_processed_total"), 98'753);
  EXPECT_EQ(Value(e, "rvm_frames_dropped_total"), 12);
  EXPECT_EQ(Value(e, "rvm_queue_depth", {{"queue", "frames"}}), 1);
  EXPECT_EQ(Value(e, "rvm_queue_capacity", {{"queue", "results"}}), 8);
  EXPECT_EQ(Value(e, "rvm_frame_pool_in_use"), 3);
  EXPECT_EQ(Value(e, "rvm_outbox_pending_records"), 7);
  EXPECT_NEAR(Value(e, "rvm_outbox_oldest_pending_age_seconds"), 2.4, 1e-9);
  EXPECT_EQ(Value(e, "rvm_uplink_requests_total"), 2'330);
  EXPECT_EQ(Value(e, "rvm_uplink_retries_total"), 23);
  EXPECT_EQ(Value(e, "rvm_uplink_connections_opened_total"), 4);
  EXPECT_EQ(Value(e, "rvm_uplink_circuit_state", {{"state", "closed"}}), 1);
  EXPECT_EQ(Value(e, "rvm_uplink_circuit_state", {{"state", "open"}}), 0);
  EXPECT_EQ(Value(e, "rvm_process_resident_memory_bytes"), 50'000'000);

  s.pipeline.frames_sampled += 100;
  s.delivery->circuit = "open";
  e = Parse(m.Render(s, BareSystem()));
  EXPECT_EQ(Value(e, "rvm_frames_captured_total"), 412'445);
  EXPECT_EQ(Value(e, "rvm_uplink_circuit_state", {{"state", "open"}}), 1);
}

TEST(AdminMetricsTest, DecisionsFileFailuresAndSkippedImagesAreCounters) {
  AdminMetrics m;
  ops::ServiceStatus s = RealisticStatus();
  Exposition e = Parse(m.Render(s, BareSystem()));
  EXPECT_EQ(Value(e, "rvm_decisions_file_failures_total"), 0);
  EXPECT_EQ(Value(e, "rvm_images_skipped_total"), 0);
  s.decisions_file_failures = 17;
  s.images_skipped = 2;
  e = Parse(m.Render(s, BareSystem()));
  EXPECT_EQ(Value(e, "rvm_decisions_file_failures_total"), 17);
  EXPECT_EQ(Value(e, "rvm_images_skipped_total"), 2);
}

TEST(AdminMetricsTest, OfflineServiceHasNoOutboxOrUplinkSeries) {
  AdminMetrics m;
  ops::ServiceStatus s = RealisticStatus();
  s.outbox.reset();
  s.delivery.reset();
  const std::string text = m.Render(s, BareSystem());
  EXPECT_THAT(text, Not(HasSubstr("rvm_outbox_pending_records")));
  EXPECT_THAT(text, Not(HasSubstr("rvm_uplink_requests_total")));
}

TEST(AdminMetricsTest, MachineReadingsAppearOnlyWhenTheMachineHasThem) {
  AdminMetrics m;
  std::string text = m.Render(RealisticStatus(), BareSystem());
  EXPECT_THAT(text, Not(HasSubstr("rvm_gpu_")));
  EXPECT_THAT(text, Not(HasSubstr("rvm_thermal_zone_temperature_celsius{")));
  EXPECT_THAT(text, Not(HasSubstr("rvm_system_cpu_usage_ratio")));

  SystemSample sys = BareSystem();
  sys.cpu = CpuTimes{10, 0, 5, 100, 1, 0, 0, 0};
  sys.cpu_usage_ratio = 0.25;
  sys.memory_total_bytes = 8'000'000'000;
  sys.memory_available_bytes = 6'000'000'000;
  sys.disk_total_bytes = 64'000'000'000;
  sys.disk_available_bytes = 40'000'000'000;
  sys.thermal = {{"thermal_zone0", "CPU-therm", 48.5}, {"thermal_zone1", "GPU-therm", 51.0}};
  sys.gpu_load_ratio = 0.372;
  const Exposition e = Parse(m.Render(RealisticStatus(), sys));
  EXPECT_EQ(Value(e, "rvm_system_cpu_seconds_total", {{"mode", "idle"}}), 100);
  EXPECT_EQ(Value(e, "rvm_system_cpu_usage_ratio"), 0.25);
  EXPECT_EQ(Value(e, "rvm_system_memory_available_bytes"), 6e9);
  EXPECT_EQ(Value(e, "rvm_outbox_filesystem_available_bytes"), 4e10);
  EXPECT_EQ(Value(e, "rvm_thermal_zone_temperature_celsius", {{"zone", "thermal_zone0"}}), 48.5);
  EXPECT_EQ(Value(e, "rvm_gpu_temperature_celsius", {{"type", "GPU-therm"}}), 51.0);
  EXPECT_TRUE(std::isnan(Value(e, "rvm_gpu_temperature_celsius", {{"type", "CPU-therm"}})));
  EXPECT_EQ(Value(e, "rvm_gpu_load_ratio"), 0.372);
}

TEST(AdminMetricsTest, NamesFollowPrometheusConventions) {
  AdminMetrics m;
  m.OnStage("inference", 1);
  m.OnUplinkRequest(120, true);
  const Exposition e = Parse(m.Render(RealisticStatus(), BareSystem()));
  ASSERT_GT(e.types.size(), 50u);
  for (const auto& [name, type] : e.types) {
    EXPECT_EQ(name.rfind("rvm_", 0), 0u) << name;
    if (type == "counter") {
      EXPECT_TRUE(name.ends_with("_total")) << name;
    } else {
      EXPECT_FALSE(name.ends_with("_total")) << name << " is a " << type;
    }
  }
  for (const Sample& s : e.samples) EXPECT_EQ(s.name.rfind("rvm_", 0), 0u) << s.name;
}

TEST(AdminMetricsTest, UplinkLatencyAppearsWithTheFirstTimedRequest) {
  AdminMetrics m;
  EXPECT_TRUE(std::isnan(Value(Parse(m.Render(RealisticStatus(), BareSystem())),
                               "rvm_uplink_request_duration_seconds_count")));
  m.OnUplinkRequest(120, true);
  m.OnUplinkRequest(900, false);
  const Exposition e = Parse(m.Render(RealisticStatus(), BareSystem()));
  EXPECT_EQ(Value(e, "rvm_uplink_request_duration_seconds_count"), 2);
  EXPECT_NEAR(Value(e, "rvm_uplink_request_duration_seconds_sum"), 1.02, 1e-9);
  EXPECT_EQ(Value(e, "rvm_uplink_timed_requests_total", {{"outcome", "failed"}}), 1);
}

TEST(AdminMetricsTest, StageLatenciesComeInPipelineOrderWithQuantiles) {
  AdminMetrics m;
  for (int i = 0; i < 100; ++i) m.OnStage("inference", 30 + (i % 10));  // 30..39 ms
  m.OnStage("capture", 2);
  m.OnStage("zeta", 1);
  const std::vector<StageLatency> st = m.StageLatencies();
  ASSERT_EQ(st.size(), 3u);
  EXPECT_EQ(st[0].stage, "capture");
  EXPECT_EQ(st[1].stage, "inference");
  EXPECT_EQ(st[2].stage, "zeta");
  EXPECT_EQ(st[1].count, 100u);
  EXPECT_NEAR(st[1].sum_ms, 3450, 1e-6);
  // All in the (25, 50] ms bucket: interpolated quantiles stay inside it.
  EXPECT_GT(st[1].p50_ms, 25);
  EXPECT_LE(st[1].p99_ms, 50);
  EXPECT_LT(st[1].p50_ms, st[1].p99_ms);
}

TEST(HistogramQuantileTest, InterpolatesWithinTheBucketHoldingTheRank) {
  prometheus::ClientMetric::Histogram h;
  h.sample_count = 10;
  h.bucket = {{0, 1.0}, {10, 2.0}, {10, std::numeric_limits<double>::infinity()}};
  EXPECT_DOUBLE_EQ(HistogramQuantile(h, 0.5), 1.5);
  EXPECT_DOUBLE_EQ(HistogramQuantile(h, 1.0), 2.0);
  h.bucket = {{2, 1.0}, {2, 2.0}, {10, std::numeric_limits<double>::infinity()}};
  EXPECT_DOUBLE_EQ(HistogramQuantile(h, 0.9), 2.0) << "above the last bound: that bound";
  EXPECT_DOUBLE_EQ(HistogramQuantile({}, 0.5), 0);
}

}  // namespace
}  // namespace rvm::admin
