// SyntheticSource: a deterministic generated scene, standing in for a camera
// looking into an empty chute. Used by tests (motion gate, scheduler, capture
// loop, reconnects) and by the idle-CPU benchmark.
//
// The scene is a fixed textured background (the chute walls). Objects (a
// bottle-like shape) slide across it from left to right between their enter
// and exit scene frames. Unpaced, scene frame n is simply the n-th frame read.
// Paced, the scene runs on the clock like a camera's sensor: scene frame n is
// exposed at n / fps seconds after Open(), a reader waits for the next one,
// and a slow reader (idle sampling) gets the latest one and skips the rest; optional Gaussian
// sensor noise and a slow global brightness drift make it look more like a real sensor. The same
// options and seed always produce the same pixels.
//
// Thread-compatible, like every FrameSource.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "base/clock.h"
#include "capture/frame_source.h"
#include "capture/sleep.h"

namespace rvm {

struct SyntheticObject {
  // First scene frame on which the object is visible.
  int64_t enter_frame = 0;
  // First frame on which it has left again; must be > enter_frame.
  int64_t exit_frame = 30;
  // Object size in pixels (width x height).
  cv::Size size{120, 260};
  // Fill colour, BGR.
  cv::Scalar color{40, 160, 40};
};

struct SyntheticSceneOptions {
  // Source name in frames and messages.
  std::string name = "synthetic";
  // Frame size in pixels.
  int width = 640;
  int height = 480;
  // Scene frame rate, used when `pace` is set.
  double fps = 30.0;
  // Scene frames before end of stream; 0 = endless.
  int64_t frame_count = 0;
  // Objects passing through the scene.
  std::vector<SyntheticObject> objects;
  // Standard deviation of per-pixel Gaussian noise in grey levels; 0 = none.
  double noise_stddev = 0.0;
  // Grey levels added to every pixel per frame (slow lighting drift); the
  // offset saturates at +-100.
  double brightness_drift_per_frame = 0.0;
  // Deliver frames no faster than `fps` (waiting through the SleepFn), like a
  // camera. Off: as fast as Read() is called.
  bool pace = false;
  // Seed for the background texture and the noise.
  uint64_t seed = 1;
};

class SyntheticSource final : public FrameSource {
 public:
  // `clock` must outlive the source.
  SyntheticSource(SyntheticSceneOptions options, const Clock& clock, SleepFn sleep = RealSleep());

  Status Open() override;
  Status Read(Frame& into) override;
  void Close() override;
  const std::string& name() const override { return name_; }
  std::string Describe() const override;
  bool StartsOverWhenReopened() const override { return true; }

  // Whether any object covers part of scene frame `n` (tests' ground truth).
  bool ObjectVisibleAt(int64_t n) const;
  // Scene frame of the last delivered frame; -1 before the first.
  int64_t last_scene_frame() const { return last_scene_frame_; }

 private:
  void DrawObjects(int64_t seq, cv::Mat& image) const;

  const SyntheticSceneOptions options_;
  const Clock& clock_;
  SleepFn sleep_;
  const std::string name_;
  bool open_ = false;
  int64_t next_scene_frame_ = 0;
  int64_t last_scene_frame_ = -1;
  int64_t delivered_ = 0;  // Frame::seq of the next frame
  std::chrono::steady_clock::time_point opened_at_{};
  cv::Mat background_;
  cv::Mat noise_;
  cv::RNG rng_;
};

}  // namespace rvm
