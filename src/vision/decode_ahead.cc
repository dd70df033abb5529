#include "vision/decode_ahead.h"

#include <chrono>
#include <utility>

namespace rvm {

DecodeAhead::DecodeAhead(Source source, int64_t count, const DecodeTarget& target,
                         int64_t max_pixels)
    : source_(std::move(source)),
      count_(count),
      target_(target),
      slots_{Slot(max_pixels), Slot(max_pixels)} {
  thread_ = std::thread([this] { Run(); });
}

DecodeAhead::~DecodeAhead() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void DecodeAhead::Run() {
  for (int64_t i = 0; i < count_; ++i) {
    Slot& slot = slots_[i % 2];
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_ || !slot.ready; });
      if (stop_) return;
    }
    // The slot is the decode thread's alone until it is marked ready.
    const auto t0 = std::chrono::steady_clock::now();
    Status s = source_(i, slot.bytes, slot.name);
    const auto t1 = std::chrono::steady_clock::now();
    if (s.ok()) {
      s = slot.decoder.Decode(slot.bytes.data(), slot.bytes.size(), slot.name, target_, slot.image);
    }
    const auto t2 = std::chrono::steady_clock::now();
    slot.timing = {std::chrono::duration<double, std::milli>(t1 - t0).count(),
                   std::chrono::duration<double, std::milli>(t2 - t1).count()};
    {
      std::lock_guard<std::mutex> lock(mu_);
      slot.status = std::move(s);
      slot.ready = true;
      ++decoded_;
    }
    cv_.notify_all();
  }
}

Status DecodeAhead::Next(const DecodedImage** image, Timing* timing) {
  *image = nullptr;
  std::unique_lock<std::mutex> lock(mu_);
  if (holding_) return Internal("DecodeAhead::Next called before Release of the last image");
  if (next_ >= count_) {
    return InvalidArgument("DecodeAhead::Next: all " + std::to_string(count_) +
                           " images were taken");
  }
  Slot& slot = slots_[next_ % 2];
  cv_.wait(lock, [&] { return slot.ready; });
  ++next_;
  holding_ = true;
  if (timing) *timing = slot.timing;
  if (!slot.status.ok()) return slot.status;
  *image = &slot.image;
  return Status::Ok();
}

void DecodeAhead::WaitUntilIdle() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return decoded_ == count_ || (slots_[0].ready && slots_[1].ready); });
}

void DecodeAhead::Release() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!holding_) return;
    holding_ = false;
    slots_[(next_ - 1) % 2].ready = false;
  }
  cv_.notify_all();
}

}  // namespace rvm
