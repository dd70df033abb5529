// DecodeAhead: decodes a sequence of encoded images one image ahead of its
// consumer, on a thread of its own, so that decoding image i+1 overlaps
// whatever the consumer does with image i (inference, as the service's
// pipeline overlaps capture and detection).
//
// Two slots alternate: the decode thread fills one while the consumer holds
// the other. Images come out in order; a read or decode failure comes out as
// that image's status and the sequence goes on.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "vision/image_decoder.h"

namespace rvm {

class DecodeAhead {
 public:
  // Called on the decode thread: puts image `index`'s encoded bytes into
  // `bytes` and its name (for error messages) into `name`.
  using Source =
      std::function<Status(int64_t index, std::vector<uint8_t>& bytes, std::string& name)>;

  // Decodes images 0..count-1 from `source`, fitted to `target`.
  DecodeAhead(Source source, int64_t count, const DecodeTarget& target,
              int64_t max_pixels = ImageDecoder::kDefaultMaxPixels);
  // Stops the decode thread (it finishes the image it is on) and joins it.
  ~DecodeAhead();
  DecodeAhead(const DecodeAhead&) = delete;
  DecodeAhead& operator=(const DecodeAhead&) = delete;

  // How long the decode thread took over the current image (ms).
  struct Timing {
    double source_ms = 0;  // the Source call (reading the bytes)
    double decode_ms = 0;
  };

  // Waits for the next image in order. On success `*image` stays valid until
  // Release(); otherwise the status is that image's read or decode error.
  // `timing`, when given, receives the decode thread's time on it either way.
  // Call at most `count` times, each followed by Release().
  Status Next(const DecodedImage** image, Timing* timing = nullptr);
  // Hands the current image's slot back to the decode thread.
  void Release();
  // Waits until the decode thread has nothing to do: both slots hold decoded
  // images (or errors), or every image is decoded. Benchmarks call it before
  // work that the decoding must not overlap.
  void WaitUntilIdle();

 private:
  struct Slot {
    explicit Slot(int64_t max_pixels) : decoder(max_pixels) {}
    std::vector<uint8_t> bytes;
    std::string name;
    ImageDecoder decoder;
    DecodedImage image;
    Status status = Status::Ok();
    Timing timing;
    bool ready = false;  // decoded, waiting for the consumer
  };
  void Run();

  Source source_;
  const int64_t count_;
  const DecodeTarget target_;
  Slot slots_[2];
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  int64_t next_ = 0;      // the consumer's next image
  int64_t decoded_ = 0;   // images decoded so far
  bool holding_ = false;  // the consumer holds slots_[(next_ - 1) % 2]
  std::thread thread_;
};

}  // namespace rvm
