#include "deposit/decision.h"

#include "base/sha256.h"
#include "base/iso_time.h"

namespace rvm {

nlohmann::json DecisionToJson(const Decision& d) {
  using nlohmann::json;
  json j;
  j["type"] = "decision";
  j["item_id"] = d.item_id;
  j["machine_id"] = d.machine_id;
  j["session_id"] = d.session_id;
  j["session_kind"] = d.session_kind;
  j["user_id"] = d.user_id;
  j["label"] = d.label;
  j["class_id"] = d.class_id;
  j["material"] = d.material ? json(std::string(MaterialName(*d.material))) : json(nullptr);
  j["platform_type"] =
      d.material ? json(std::string(PlatformItemType(*d.material))) : json(nullptr);
  j["confidence"] = d.confidence;
  j["vote_share"] = d.vote_share;
  j["threshold"] = d.threshold;
  j["accepted"] = d.accepted;
  j["status"] = d.accepted ? "ACCEPTED" : "REJECTED";
  j["reason"] = d.reason == RejectReason::kNone ? json(nullptr)
                                                : json(std::string(RejectReasonName(d.reason)));
  j["reason_detail"] = d.reason_detail.empty() ? json(nullptr) : json(d.reason_detail);
  j["points"] = d.points;
  j["frames"] = d.frames;
  j["distinct_classes"] = d.distinct_classes;
  j["finish"] = d.finish;
  j["first_seen"] = IsoUtcMillis(d.first_seen_ms);
  j["last_seen"] = IsoUtcMillis(d.last_seen_ms);
  j["decided_at"] = IsoUtcMillis(d.decided_ms);
  j["decided_at_ms"] = d.decided_ms;
  j["best_frame"] = {
      {"time", IsoUtcMillis(d.best_frame_ms)},
      {"box", {d.best_box.x1, d.best_box.y1, d.best_box.x2, d.best_box.y2}},
      {"score", d.best_score},
      {"jpeg_bytes", d.best_frame_jpeg.size()},
      {"jpeg_sha256",
       d.best_frame_jpeg.empty() ? json(nullptr) : json(Sha256Hex(d.best_frame_jpeg))},
  };
  json stages = json::object();
  for (const StageTiming& s : d.stage_ms) stages[s.stage] = s.ms;
  j["stage_ms"] = std::move(stages);
  return j;
}

}  // namespace rvm
