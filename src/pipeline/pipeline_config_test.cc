#include "pipeline/pipeline_config.h"

#include <gtest/gtest.h>

namespace rvm {
namespace {

TEST(PipelineConfigTest, CaptureKeysBecomeCaptureOptions) {
  CaptureConfig c;
  c.source = "video";
  c.path = "clip.mp4";
  c.loop = true;
  c.pace = false;
  c.reconnect_backoff_min_ms = 250;
  c.stall_timeout_ms = 4000;
  auto o = CaptureOptionsFromConfig(c);
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->kind, SourceKind::kVideo);
  EXPECT_EQ(o->path, "clip.mp4");
  EXPECT_TRUE(o->loop);
  EXPECT_FALSE(o->pace);
  EXPECT_EQ(o->reconnect.initial_backoff, std::chrono::milliseconds(250));
  EXPECT_EQ(o->reconnect.stall_timeout, std::chrono::milliseconds(4000));
}

TEST(PipelineConfigTest, AnUnknownSourceKindIsRefusedByName) {
  CaptureConfig c;
  c.source = "webcam";
  auto o = CaptureOptionsFromConfig(c);
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.status().message().find("webcam"), std::string::npos) << o.status().message();
}

TEST(PipelineConfigTest, DetectorKeysBecomeDetectorOptions) {
  DetectorConfig d;
  d.model_path = "m.onnx";
  d.conf_threshold = 0.6;
  d.intra_op_threads = 3;
  d.family = "yolox";
  auto o = DetectorOptionsFromConfig(d);
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->engine.model_path, "m.onnx");
  EXPECT_FLOAT_EQ(o->post.conf_threshold, 0.6f);
  EXPECT_EQ(o->engine.threads, 3);
  EXPECT_EQ(o->family, ModelFamily::kYoloX);
}

TEST(PipelineConfigTest, TheRegionOfInterestGoesToTheDetectorAndTheMotionGate) {
  Config c;
  c.detector.roi = Roi{0.2, 0.1, 0.8, 0.9};
  auto d = DetectorOptionsFromConfig(c.detector);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->roi, c.detector.roi);
  EXPECT_EQ(PipelineOptionsFromConfig(c).motion.roi, c.detector.roi);
}

TEST(PipelineConfigTest, ZeroIntraOpThreadsKeepsTheEngineDefault) {
  DetectorConfig d;
  d.intra_op_threads = 0;
  auto o = DetectorOptionsFromConfig(d);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->engine.threads, EngineOptions{}.threads);
}

TEST(PipelineConfigTest, AnUnknownModelFamilyIsRefused) {
  DetectorConfig d;
  d.family = "yolo99";
  EXPECT_FALSE(DetectorOptionsFromConfig(d).ok());
}

TEST(PipelineConfigTest, SchedulingAndPipelineKeysReachThePipelineOptions) {
  Config c;
  c.capture.idle_fps = 3;
  c.capture.active_fps = 12;
  c.capture.quiet_period_ms = 900;
  c.capture.motion_threshold = 0.05;
  c.pipeline.inference_workers = 4;
  c.tracker.settle_frames = 9;
  const PipelineOptions o = PipelineOptionsFromConfig(c);
  EXPECT_EQ(o.schedule.idle_fps, 3);
  EXPECT_EQ(o.schedule.active_fps, 12);
  EXPECT_EQ(o.schedule.quiet_period, std::chrono::milliseconds(900));
  EXPECT_DOUBLE_EQ(o.motion.min_changed_fraction, 0.05);
  EXPECT_EQ(o.pipeline.inference_workers, 4);
  EXPECT_EQ(o.tracker.settle_frames, 9);
  EXPECT_TRUE(ValidatePipelineOptions(o).ok());
}

}  // namespace
}  // namespace rvm
