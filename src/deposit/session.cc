#include "deposit/session.h"

#include <algorithm>
#include <map>

#include "base/iso_time.h"

namespace rvm {

const char* SessionKindName(SessionKind kind) {
  return kind == SessionKind::kUser ? "user" : "guest";
}

int SessionSummary::total_points() const {
  int total = 0;
  for (const SessionItem& item : items) total += item.points;
  return total;
}

int SessionSummary::accepted_count() const {
  int n = 0;
  for (const SessionItem& item : items) n += item.accepted ? 1 : 0;
  return n;
}

namespace {

nlohmann::json AcceptedItems(const SessionSummary& s, bool with_ids) {
  nlohmann::json items = nlohmann::json::array();
  for (const SessionItem& item : s.items) {
    if (!item.accepted || !item.material) continue;
    nlohmann::json j = {{"type", std::string(PlatformItemType(*item.material))},
                        {"weight", 0},
                        {"points", item.points}};
    if (with_ids) j["item_id"] = item.item_id;
    items.push_back(std::move(j));
  }
  return items;
}

}  // namespace

nlohmann::json SyncOfflineTransaction(const SessionSummary& s) {
  return {{"session_id", s.session.session_id},
          {"user_id", s.session.user_id},
          {"timestamp", IsoUtcMillis(s.opened_ms)},
          {"items", AcceptedItems(s, false)}};
}

nlohmann::json SessionSummaryToJson(const SessionSummary& s) {
  nlohmann::json j = {{"type", "session_summary"},
                      {"session_id", s.session.session_id},
                      {"user_id", s.session.user_id},
                      {"timestamp", IsoUtcMillis(s.opened_ms)},
                      {"items", AcceptedItems(s, true)},
                      {"machine_id", s.machine_id},
                      {"session_kind", SessionKindName(s.session.kind)},
                      {"opened_at", IsoUtcMillis(s.opened_ms)},
                      {"closed_at", IsoUtcMillis(s.closed_ms)},
                      {"close_reason", s.close_reason}};
  struct Tally {
    int accepted = 0, rejected = 0, points = 0;
  };
  std::map<std::string, Tally> by_material;
  int rejected = 0;
  for (const SessionItem& item : s.items) {
    Tally& t = by_material[item.material ? std::string(MaterialName(*item.material)) : "unknown"];
    (item.accepted ? t.accepted : t.rejected) += 1;
    t.points += item.points;
    rejected += item.accepted ? 0 : 1;
  }
  nlohmann::json materials = nlohmann::json::object();
  for (const auto& [name, t] : by_material) {
    materials[name] = {{"accepted", t.accepted}, {"rejected", t.rejected}, {"points", t.points}};
  }
  j["by_material"] = std::move(materials);
  j["accepted_items"] = s.accepted_count();
  j["rejected_items"] = rejected;
  j["total_points"] = s.total_points();
  return j;
}

namespace {

// Adds one decision record to the summary of its session in `out` (opening
// that summary at its first item). Reads every field before changing
// anything, so a field of the wrong type (json exception) changes nothing.
void AddRecoveredItem(const nlohmann::json& d, std::map<std::string, size_t>& index,
                      std::vector<SessionSummary>& out) {
  const auto sid = d.find("session_id");
  const auto id = d.find("item_id");
  if (sid == d.end() || !sid->is_string() || sid->get<std::string>().empty() || id == d.end() ||
      !id->is_string()) {
    return;
  }
  SessionTicket ticket;
  ticket.session_id = sid->get<std::string>();
  ticket.kind = d.value("session_kind", std::string()) == SessionKindName(SessionKind::kUser)
                    ? SessionKind::kUser
                    : SessionKind::kGuest;
  ticket.user_id = d.value("user_id", int64_t{0});
  const std::string machine_id = d.value("machine_id", std::string());
  SessionItem item;
  item.item_id = id->get<std::string>();
  if (auto m = d.find("material"); m != d.end() && m->is_string()) {
    item.material = ParseMaterial(m->get<std::string>());
  }
  item.accepted = d.value("accepted", false);
  item.points = item.accepted ? d.value("points", 0) : 0;
  item.decided_ms = d.value("decided_at_ms", int64_t{0});

  auto [it, fresh] = index.emplace(ticket.session_id, out.size());
  if (fresh) {
    SessionSummary s;
    s.session = std::move(ticket);
    s.machine_id = machine_id;
    s.opened_ms = item.decided_ms;
    s.close_reason = kRecoveredAfterRestart;
    out.push_back(std::move(s));
  }
  SessionSummary& s = out[it->second];
  s.closed_ms = std::max(s.closed_ms, item.decided_ms);
  s.items.push_back(std::move(item));
}

}  // namespace

std::vector<SessionSummary> RecoverSessionSummaries(const std::vector<nlohmann::json>& decisions) {
  std::vector<SessionSummary> out;
  std::map<std::string, size_t> index;  // session_id -> position in out
  for (const nlohmann::json& d : decisions) {
    if (!d.is_object()) continue;
    try {
      AddRecoveredItem(d, index, out);
    } catch (const nlohmann::json::exception&) {
      // Not a decision this build wrote (a field of the wrong type): skipped.
    }
  }
  return out;
}

SessionBook::SessionBook(const SessionsConfig& config, std::string machine_id, const Clock& clock,
                         UuidV7Generator& ids)
    : config_(config), machine_id_(std::move(machine_id)), clock_(clock), ids_(ids) {}

SessionTicket SessionBook::OpenSession(SessionKind kind, int64_t user_id, std::string session_id) {
  Open open;
  open.summary.session = {session_id.empty() ? ids_.Next() : std::move(session_id), kind, user_id};
  open.summary.machine_id = machine_id_;
  open.summary.opened_ms = clock_.WallMillis();
  open.last_activity = clock_.Now();
  open_ = std::move(open);
  return open_->summary.session;
}

bool SessionBook::IsIdle() const {
  return open_ &&
         clock_.Now() - open_->last_activity >= std::chrono::seconds(config_.idle_timeout_s);
}

SessionBook::Change SessionBook::TicketForNextItem() {
  Change change;
  if (IsIdle()) {
    change.closed = Close("idle_timeout");
  } else if (open_ && open_->summary.session.kind == SessionKind::kGuest &&
             open_->summary.items.size() >= kMaxGuestSessionItems) {
    change.closed = Close("item_limit");
  }
  change.ticket =
      open_ ? open_->summary.session : OpenSession(SessionKind::kGuest, config_.guest_user_id, "");
  return change;
}

void SessionBook::SetTimeoutAndPoints(int idle_timeout_s, std::map<Material, int> points) {
  config_.idle_timeout_s = idle_timeout_s;
  config_.points = std::move(points);
}

int SessionBook::PointsFor(std::optional<Material> material, bool accepted) const {
  if (!accepted || !material) return 0;
  auto it = config_.points.find(*material);
  return it != config_.points.end() ? it->second : 0;
}

Status SessionBook::AddItem(const SessionTicket& ticket, SessionItem item) {
  if (!open_ || !(open_->summary.session == ticket)) {
    return InvalidArgument("session '" + ticket.session_id + "' is not open; item '" +
                           item.item_id + "' cannot join it");
  }
  open_->summary.items.push_back(std::move(item));
  open_->last_activity = clock_.Now();
  return Status::Ok();
}

Result<SessionBook::Change> SessionBook::OpenUserSession(int64_t user_id, std::string session_id) {
  if (user_id <= 0) {
    return InvalidArgument("user session: user_id " + std::to_string(user_id) + " must be > 0");
  }
  Change change;
  if (open_ && !session_id.empty() && open_->summary.session.session_id == session_id) {
    if (open_->summary.session.user_id != user_id) {
      return InvalidArgument("user session '" + session_id + "' is already open for user " +
                             std::to_string(open_->summary.session.user_id) + ", not " +
                             std::to_string(user_id));
    }
    change.ticket = open_->summary.session;
    return change;
  }
  if (open_) change.closed = Close(IsIdle() ? "idle_timeout" : "replaced");
  change.ticket = OpenSession(SessionKind::kUser, user_id, std::move(session_id));
  return change;
}

std::optional<SessionSummary> SessionBook::Close(std::string reason) {
  if (!open_) return std::nullopt;
  SessionSummary summary = std::move(open_->summary);
  open_.reset();
  summary.closed_ms = clock_.WallMillis();
  summary.close_reason = std::move(reason);
  return summary;
}

std::optional<SessionSummary> SessionBook::CloseIfIdle() {
  if (!IsIdle()) return std::nullopt;
  return Close("idle_timeout");
}

std::optional<SessionTicket> SessionBook::current() const {
  if (!open_) return std::nullopt;
  return open_->summary.session;
}

}  // namespace rvm
