// TeeSink: one DecisionSink made of a primary sink and side logs.
//
// The primary (the outbox, in `rvm-edge run`) is the commit point: a record
// goes to it first, and its status is what Write and WriteSessionSummary
// return. A record the primary refused goes nowhere else. A record it took
// then goes to each side log (the JSON-lines decisions file), whose failures
// are counted (side_failures()) and logged, never returned: the record is
// durable, so the item is taken. Reporting it as not taken would hand the
// item back while the ledger still credits its committed deposit
// (docs/outbox.md, "The ledger").
//
// Side-log failures are logged once per change of state (StateLog): the
// first failure with its error, and the first success after failures. So a
// decisions file on a full disk or a closed pipe costs two lines, not one
// per item.
//
// Flush() flushes every sink and returns the primary's status; a side log's
// flush failure is counted and logged like a write failure. Accepting() is
// the primary's: a side log never keeps items out.
//
// Thread-safe when the sinks are (DecisionSink requires it).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "base/clock.h"
#include "deposit/decision_sink.h"
#include "logging/state_log.h"

namespace rvm::app {

class TeeSink final : public DecisionSink {
 public:
  // `log` null: the service log (component "sink"); tests pass their own.
  TeeSink(std::unique_ptr<DecisionSink> primary,
          std::vector<std::unique_ptr<DecisionSink>> side_logs, const Clock& clock,
          StateLog::Sink log = nullptr);

  Status Write(const Decision& decision) override;
  Status WriteSessionSummary(const SessionSummary& summary) override;
  Status Flush() override;
  bool Accepting() override { return primary_->Accepting(); }

  // Writes and flushes a side log failed since construction.
  int64_t side_failures() const { return side_failures_.load(); }

 private:
  // Runs `op` on every side log, counting and logging what fails. A success
  // ends a logged failure only when `success_is_news` (a write that went
  // through, not a flush that had nothing left to write).
  template <typename Op>
  void ToSideLogs(const Op& op, bool success_is_news = true);

  const std::unique_ptr<DecisionSink> primary_;
  const std::vector<std::unique_ptr<DecisionSink>> side_logs_;
  std::atomic<int64_t> side_failures_{0};
  std::mutex log_mu_;
  StateLog state_log_;  // guarded by log_mu_
};

}  // namespace rvm::app
