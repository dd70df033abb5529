// Clock: the one seam for time. Production code takes a Clock& so tests can
// drive time with FakeClock instead of sleeping. SteadyClock is thread-safe;
// FakeClock is thread-safe (atomic) so a test thread may advance it while
// workers read it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace rvm {

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time, for intervals and timeouts.
  virtual std::chrono::steady_clock::time_point Now() const = 0;
  // Wall-clock time in milliseconds since the Unix epoch, for records.
  virtual int64_t WallMillis() const = 0;
  // The wall-clock milliseconds of an earlier (or later) monotonic time point,
  // for records of when a frame was taken. Reads the two clocks once each.
  virtual int64_t WallMillisAt(std::chrono::steady_clock::time_point t) const {
    const auto age = std::chrono::duration_cast<std::chrono::milliseconds>(Now() - t);
    return WallMillis() - age.count();
  }
};

class SteadyClock final : public Clock {
 public:
  std::chrono::steady_clock::time_point Now() const override {
    return std::chrono::steady_clock::now();
  }
  int64_t WallMillis() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  static SteadyClock& Instance() {
    static SteadyClock clock;
    return clock;
  }
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t wall_start_ms = 1'700'000'000'000) : wall_start_ms_(wall_start_ms) {}
  std::chrono::steady_clock::time_point Now() const override {
    return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(ns_.load()));
  }
  int64_t WallMillis() const override { return wall_start_ms_ + ns_.load() / 1'000'000; }
  // Exact, and the same whatever the clock reads now: a worker thread that
  // advances the clock between two reads cannot move a frame's wall time.
  int64_t WallMillisAt(std::chrono::steady_clock::time_point t) const override {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch());
    return wall_start_ms_ + ns.count() / 1'000'000;
  }
  void Advance(std::chrono::nanoseconds d) { ns_ += d.count(); }
  // Steps the wall clock alone (NTP correcting it, an operator setting it);
  // negative steps it back. Monotonic time does not move.
  void StepWall(std::chrono::milliseconds d) { wall_start_ms_ += d.count(); }

 private:
  std::atomic<int64_t> wall_start_ms_;
  std::atomic<int64_t> ns_{0};
};

}  // namespace rvm
