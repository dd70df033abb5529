// MemoryDecisionSink: the fake DecisionSink for tests. Keeps every record in
// memory and can be told to fail, to exercise what callers do when storage
// refuses a record. Thread-safe.
#pragma once

#include <mutex>
#include <vector>

#include "deposit/decision_sink.h"

namespace rvm {

class MemoryDecisionSink final : public DecisionSink {
 public:
  Status Write(const Decision& decision) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!fail_with_.ok()) return fail_with_;
    decisions_.push_back(decision);
    return Status::Ok();
  }
  Status WriteSessionSummary(const SessionSummary& summary) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!fail_with_.ok()) return fail_with_;
    summaries_.push_back(summary);
    return Status::Ok();
  }
  Status Flush() override {
    std::lock_guard<std::mutex> lock(mu_);
    ++flushes_;
    return fail_with_;
  }

  bool Accepting() override {
    std::lock_guard<std::mutex> lock(mu_);
    return accepting_;
  }

  // Every call fails with `status` until FailWith(Status::Ok()).
  void FailWith(Status status) {
    std::lock_guard<std::mutex> lock(mu_);
    fail_with_ = std::move(status);
  }
  // What Accepting() says (true at first); writes still succeed either way.
  void SetAccepting(bool accepting) {
    std::lock_guard<std::mutex> lock(mu_);
    accepting_ = accepting;
  }

  std::vector<Decision> decisions() const {
    std::lock_guard<std::mutex> lock(mu_);
    return decisions_;
  }
  std::vector<SessionSummary> summaries() const {
    std::lock_guard<std::mutex> lock(mu_);
    return summaries_;
  }
  int flushes() const {
    std::lock_guard<std::mutex> lock(mu_);
    return flushes_;
  }

 private:
  mutable std::mutex mu_;
  Status fail_with_;
  bool accepting_ = true;
  std::vector<Decision> decisions_;
  std::vector<SessionSummary> summaries_;
  int flushes_ = 0;
};

}  // namespace rvm
