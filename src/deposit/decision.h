// Decision: the one record the machine makes for one physical item, and its
// JSON form. It is what the outbox stores and the uplink delivers; `item_id`
// (a UUIDv7 minted when the item was decided) is its idempotency key all the
// way to the platform.
//
// JSON (one object, `"type": "decision"`); times are UTC ISO-8601 with
// milliseconds, confidences in [0, 1]:
//   item_id, machine_id, session_id, session_kind ("user"|"guest"), user_id,
//   label, class_id, material ("pet"|"aluminium"|"glass"|"other"|null),
//   platform_type ("plastic_bottle"|...|null), confidence, vote_share,
//   threshold, accepted, status ("ACCEPTED"|"REJECTED"), reason (null or
//   "multiple_items"|"unknown_item"|"not_accepted_material"|"low_confidence"|
//   "out_of_service"), reason_detail (null, or why the machine was out of
//   service, e.g. "maintenance: cleaning the chute"), points, frames, distinct_classes, finish
//   ("settled"|"left"|"flushed"), first_seen, last_seen, decided_at, decided_at_ms, best_frame
//   {time, box [x1,y1,x2,y2], score, jpeg_bytes, jpeg_sha256|null}, stage_ms {stage: milliseconds,
//   ...}.
// The JPEG itself is not in the JSON; it travels beside it (multipart image).
//
// Plain value; safe to copy between threads.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/material.h"
#include "deposit/decision_policy.h"
#include "vision/detection.h"

namespace rvm {

// Time one pipeline stage spent on this item ("decode", "inference", ...).
struct StageTiming {
  std::string stage;
  double ms = 0;  // milliseconds
};

struct Decision {
  std::string item_id;       // UUIDv7
  std::string machine_id;    // config machine.id
  std::string session_id;    // the session the item belongs to
  std::string session_kind;  // "user" | "guest"
  int64_t user_id = 0;       // platform user credited (guest sessions: sessions.guest_user_id)

  int class_id = -1;
  std::string label;
  std::optional<Material> material;  // nullopt: unknown item
  double confidence = 0;             // fused, [0, 1]
  double vote_share = 0;             // winner's share of all votes, [0, 1]
  double threshold = 0;              // acceptance threshold applied, [0, 1]
  bool accepted = false;
  RejectReason reason = RejectReason::kNone;
  std::string reason_detail;  // out_of_service: why the machine was not accepting; else empty
  int points = 0;             // credited to the session (0 when rejected)

  int frames = 0;             // frames the item was seen in
  int distinct_classes = 0;   // classes it was seen as (1 = no flicker)
  std::string finish;         // "settled" | "left" | "flushed"
  int64_t first_seen_ms = 0;  // wall clock, Unix ms
  int64_t last_seen_ms = 0;   // wall clock, Unix ms
  int64_t decided_ms = 0;     // wall clock, Unix ms

  Box best_box;                 // best detection's box, frame pixels
  float best_score = 0;         // best detection's score
  int64_t best_frame_ms = 0;    // wall clock of the best frame, Unix ms
  std::string best_frame_jpeg;  // JPEG bytes of the best frame; empty when none was kept

  std::vector<StageTiming> stage_ms;  // per-stage timings, in pipeline order
};

nlohmann::json DecisionToJson(const Decision& d);

}  // namespace rvm
