#include "deposit/decision_recorder.h"

namespace rvm {

DecisionRecorder::DecisionRecorder(const MachineConfig& machine, const PolicyConfig& policy,
                                   const SessionsConfig& sessions, LabelMap labels,
                                   DecisionSink& sink, const Clock& clock, UuidV7Generator& ids)
    : machine_id_(machine.id),
      policy_(policy),
      labels_(std::move(labels)),
      sink_(sink),
      clock_(clock),
      ids_(ids),
      sessions_(sessions, machine.id, clock, ids) {}

namespace {

// A guest session that recorded nothing (its only item was refused by the
// sink) has nothing to report; every other summary is kept.
bool WorthRecording(const SessionSummary& s) {
  return s.session.kind == SessionKind::kUser || !s.items.empty();
}

}  // namespace

void DecisionRecorder::QueueLocked(std::optional<SessionSummary> summary) {
  if (summary && WorthRecording(*summary)) pending_.push_back(std::move(*summary));
}

Status DecisionRecorder::DrainLocked() {
  while (!pending_.empty()) {
    RVM_RETURN_IF_ERROR(sink_.WriteSessionSummary(pending_.front()));
    pending_.erase(pending_.begin());
  }
  return Status::Ok();
}

Result<Decision> DecisionRecorder::Record(const TrackedItem& item, ItemEvidence evidence) {
  std::lock_guard<std::mutex> lock(mu_);
  Verdict verdict = Decide(item, labels_, policy_);
  std::optional<std::string> out_of_service = OutOfServiceReasonLocked();
  if (out_of_service) {
    verdict.accepted = false;
    verdict.reason = RejectReason::kOutOfService;
  }
  SessionBook::Change change = sessions_.TicketForNextItem();
  QueueLocked(std::move(change.closed));
  RVM_RETURN_IF_ERROR(DrainLocked());

  Decision d;
  d.item_id = ids_.Next();
  d.machine_id = machine_id_;
  d.session_id = change.ticket.session_id;
  d.session_kind = SessionKindName(change.ticket.kind);
  d.user_id = change.ticket.user_id;
  d.class_id = verdict.class_id;
  d.label = verdict.label;
  d.material = verdict.material;
  d.confidence = verdict.confidence;
  d.vote_share = item.fused.vote_share;
  d.threshold = verdict.threshold;
  d.accepted = verdict.accepted;
  d.reason = verdict.reason;
  if (out_of_service) d.reason_detail = std::move(*out_of_service);
  d.points = sessions_.PointsFor(verdict.material, verdict.accepted);
  d.frames = item.frames_seen;
  d.distinct_classes = item.fused.distinct_classes;
  d.finish = FinishReasonName(item.reason);
  d.first_seen_ms = clock_.WallMillisAt(item.first_seen);
  d.last_seen_ms = clock_.WallMillisAt(item.last_seen);
  d.decided_ms = clock_.WallMillis();
  d.best_box = item.best.box;
  d.best_score = item.best.score;
  d.best_frame_ms = clock_.WallMillisAt(item.best_frame_time);
  d.best_frame_jpeg = std::move(evidence.best_frame_jpeg);
  d.stage_ms = std::move(evidence.stage_ms);

  RVM_RETURN_IF_ERROR(sink_.Write(d));
  // The session was opened or checked under this same lock, so it is still open.
  RVM_RETURN_IF_ERROR(sessions_.AddItem(
      change.ticket, {d.item_id, d.material, d.accepted, d.points, d.decided_ms}));
  return d;
}

Result<SessionTicket> DecisionRecorder::OpenUserSession(int64_t user_id, std::string session_id) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<SessionBook::Change> change = sessions_.OpenUserSession(user_id, std::move(session_id));
  if (!change.ok()) return change.status();
  QueueLocked(std::move(change->closed));
  // The new session is open either way; a summary the sink refused stays pending.
  RVM_RETURN_IF_ERROR(DrainLocked());
  return change->ticket;
}

Status DecisionRecorder::RecoverSessions(std::vector<SessionSummary> summaries) {
  std::lock_guard<std::mutex> lock(mu_);
  pending_.insert(pending_.begin(), std::make_move_iterator(summaries.begin()),
                  std::make_move_iterator(summaries.end()));
  return DrainLocked();
}

void DecisionRecorder::SetRuntimeSettings(const RuntimeSettings& settings) {
  std::lock_guard<std::mutex> lock(mu_);
  policy_.accept_threshold = settings.accept_threshold;
  sessions_.SetTimeoutAndPoints(settings.idle_timeout_s, settings.points);
}

Status DecisionRecorder::CloseSession() {
  std::lock_guard<std::mutex> lock(mu_);
  QueueLocked(sessions_.Close("closed"));
  return DrainLocked();
}

Status DecisionRecorder::CloseIdleSession() {
  std::lock_guard<std::mutex> lock(mu_);
  QueueLocked(sessions_.CloseIfIdle());
  return DrainLocked();
}

Status DecisionRecorder::Flush() {
  std::lock_guard<std::mutex> lock(mu_);
  RVM_RETURN_IF_ERROR(DrainLocked());
  return sink_.Flush();
}

void DecisionRecorder::SetOutOfService(bool on, std::string reason) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!on) {
    out_of_service_.reset();
    return;
  }
  out_of_service_ = reason.empty() ? std::string("out of service") : std::move(reason);
}

std::optional<std::string> DecisionRecorder::OutOfServiceReasonLocked() const {
  if (out_of_service_) return out_of_service_;
  if (!sink_.Accepting()) return std::string(kSinkNotAccepting);
  return std::nullopt;
}

std::optional<std::string> DecisionRecorder::OutOfServiceReason() const {
  std::lock_guard<std::mutex> lock(mu_);
  return OutOfServiceReasonLocked();
}

std::optional<SessionTicket> DecisionRecorder::CurrentSession() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sessions_.current();
}

size_t DecisionRecorder::pending_summaries() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pending_.size();
}

}  // namespace rvm
