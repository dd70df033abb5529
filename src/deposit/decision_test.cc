#include "deposit/decision.h"

#include <gtest/gtest.h>

namespace rvm {
namespace {

Decision Sample() {
  Decision d;
  d.item_id = "018bcfe5-687b-7000-8000-000000000000";
  d.machine_id = "rvm-7";
  d.session_id = "s-1";
  d.session_kind = "guest";
  d.user_id = -1;
  d.class_id = 39;
  d.label = "bottle";
  d.material = Material::kPet;
  d.confidence = 0.75;
  d.vote_share = 1.0;
  d.threshold = 0.5;
  d.accepted = true;
  d.points = 10;
  d.frames = 12;
  d.distinct_classes = 1;
  d.finish = "settled";
  d.first_seen_ms = 1'700'000'000'000;
  d.last_seen_ms = 1'700'000'001'100;
  d.decided_ms = 1'700'000'001'100;
  d.best_box = {10, 20, 110, 220};
  d.best_score = 0.875f;
  d.best_frame_ms = 1'700'000'000'500;
  d.best_frame_jpeg = "abc";
  d.stage_ms = {{"decode", 1.5}, {"inference", 14.25}};
  return d;
}

TEST(DecisionTest, AnAcceptedDecisionRendersEveryField) {
  const nlohmann::json j = DecisionToJson(Sample());
  EXPECT_EQ(j["type"], "decision");
  EXPECT_EQ(j["item_id"], "018bcfe5-687b-7000-8000-000000000000");
  EXPECT_EQ(j["machine_id"], "rvm-7");
  EXPECT_EQ(j["session_id"], "s-1");
  EXPECT_EQ(j["session_kind"], "guest");
  EXPECT_EQ(j["user_id"], -1);
  EXPECT_EQ(j["label"], "bottle");
  EXPECT_EQ(j["class_id"], 39);
  EXPECT_EQ(j["material"], "pet");
  EXPECT_EQ(j["platform_type"], "plastic_bottle");
  EXPECT_DOUBLE_EQ(j["confidence"].get<double>(), 0.75);
  EXPECT_EQ(j["accepted"], true);
  EXPECT_EQ(j["status"], "ACCEPTED");
  EXPECT_TRUE(j["reason"].is_null());
  EXPECT_TRUE(j["reason_detail"].is_null());
  EXPECT_EQ(j["points"], 10);
  EXPECT_EQ(j["frames"], 12);
  EXPECT_EQ(j["finish"], "settled");
  EXPECT_EQ(j["first_seen"], "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(j["decided_at"], "2023-11-14T22:13:21.100Z");
  EXPECT_EQ(j["decided_at_ms"], 1'700'000'001'100);
  EXPECT_EQ(j["best_frame"]["time"], "2023-11-14T22:13:20.500Z");
  EXPECT_EQ(j["best_frame"]["box"], (nlohmann::json{10.0, 20.0, 110.0, 220.0}));
  EXPECT_EQ(j["best_frame"]["jpeg_bytes"], 3);
  EXPECT_EQ(j["best_frame"]["jpeg_sha256"],
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_DOUBLE_EQ(j["stage_ms"]["inference"].get<double>(), 14.25);
  EXPECT_EQ(j["stage_ms"].size(), 2u);
}

TEST(DecisionTest, ARejectedUnknownItemHasAReasonAndNoMaterial) {
  Decision d = Sample();
  d.material.reset();
  d.accepted = false;
  d.reason = RejectReason::kUnknownItem;
  d.points = 0;
  d.best_frame_jpeg.clear();
  const nlohmann::json j = DecisionToJson(d);
  EXPECT_EQ(j["status"], "REJECTED");
  EXPECT_EQ(j["reason"], "unknown_item");
  EXPECT_TRUE(j["material"].is_null());
  EXPECT_TRUE(j["platform_type"].is_null());
  EXPECT_TRUE(j["best_frame"]["jpeg_sha256"].is_null());
  EXPECT_EQ(j["best_frame"]["jpeg_bytes"], 0);
}

TEST(DecisionTest, AnItemRejectedOutOfServiceSaysWhy) {
  Decision d = Sample();
  d.accepted = false;
  d.reason = RejectReason::kOutOfService;
  d.reason_detail = "maintenance: cleaning the chute";
  d.points = 0;
  const nlohmann::json j = DecisionToJson(d);
  EXPECT_EQ(j["status"], "REJECTED");
  EXPECT_EQ(j["reason"], "out_of_service");
  EXPECT_EQ(j["reason_detail"], "maintenance: cleaning the chute");
  EXPECT_EQ(j["material"], "pet") << "what the item was is still recorded";
}

TEST(DecisionTest, TheJsonIsOneLine) {
  EXPECT_EQ(DecisionToJson(Sample()).dump().find('\n'), std::string::npos);
}

}  // namespace
}  // namespace rvm
