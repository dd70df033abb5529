#include "app/tee_sink.h"

#include <string>

namespace rvm::app {

TeeSink::TeeSink(std::unique_ptr<DecisionSink> primary,
                 std::vector<std::unique_ptr<DecisionSink>> side_logs, const Clock& clock,
                 StateLog::Sink log)
    : primary_(std::move(primary)),
      side_logs_(std::move(side_logs)),
      state_log_("sink", clock, {}, std::move(log)) {
  for (size_t i = 0; i < side_logs_.size(); ++i) {
    state_log_.Seed("side_log_" + std::to_string(i), "ok");
  }
}

template <typename Op>
void TeeSink::ToSideLogs(const Op& op, bool success_is_news) {
  for (size_t i = 0; i < side_logs_.size(); ++i) {
    const Status s = op(*side_logs_[i]);
    if (s.ok() && !success_is_news) continue;
    if (!s.ok()) side_failures_.fetch_add(1);
    const std::string subject = "side_log_" + std::to_string(i);
    std::lock_guard<std::mutex> lock(log_mu_);
    if (s.ok()) {
      state_log_.Report(subject, "ok", LogLevel::kInfo, "side log written again");
    } else {
      state_log_.Report(subject, "failing", LogLevel::kWarn,
                        "side log failing; the outbox keeps every record and items are taken as "
                        "usual",
                        {{"error", s.message()}});
    }
  }
}

Status TeeSink::Write(const Decision& decision) {
  RVM_RETURN_IF_ERROR(primary_->Write(decision));
  ToSideLogs([&](DecisionSink& s) { return s.Write(decision); });
  return Status::Ok();
}

Status TeeSink::WriteSessionSummary(const SessionSummary& summary) {
  RVM_RETURN_IF_ERROR(primary_->WriteSessionSummary(summary));
  ToSideLogs([&](DecisionSink& s) { return s.WriteSessionSummary(summary); });
  return Status::Ok();
}

Status TeeSink::Flush() {
  const Status primary = primary_->Flush();
  ToSideLogs([](DecisionSink& s) { return s.Flush(); }, /*success_is_news=*/false);
  return primary;
}

}  // namespace rvm::app
