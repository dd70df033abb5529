// RecentLinesSink: an spdlog sink that keeps the last N formatted lines in
// memory (drop-oldest), for the admin log view and "report logs". It stores
// the lines as formatted, i.e. already redacted; no raw message is kept.
// Thread-safe (spdlog's base_sink locks around every call).
#pragma once

#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include <spdlog/sinks/base_sink.h>

namespace rvm {

class RecentLinesSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit RecentLinesSink(size_t capacity) : capacity_(capacity) {}

  // The last `max` lines, oldest first, without trailing newlines.
  std::vector<std::string> Last(size_t max) {
    std::lock_guard<std::mutex> lock(mutex_);
    const size_t n = std::min(max, lines_.size());
    return std::vector<std::string>(lines_.end() - static_cast<std::ptrdiff_t>(n), lines_.end());
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    std::string line(formatted.data(), formatted.size());
    while (!line.empty() && line.back() == '\n') line.pop_back();
    if (capacity_ == 0) return;
    if (lines_.size() == capacity_) lines_.pop_front();
    lines_.push_back(std::move(line));
  }
  void flush_() override {}

 private:
  const size_t capacity_;
  std::deque<std::string> lines_;  // guarded by mutex_
};

}  // namespace rvm
