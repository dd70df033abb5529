#include "deposit/decision_recorder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "deposit/memory_decision_sink.h"

namespace rvm {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;

constexpr int kPerson = 0, kBottle = 1, kCup = 2, kBicycle = 3;

Detection At(float x, int class_id = kBottle, float score = 0.8f) {
  return {class_id, score, {x, 100, x + 100, 300}};
}

// Camera -> tracker -> recorder, with a fake clock: 100 ms per frame.
class DecisionRecorderTest : public ::testing::Test {
 protected:
  DecisionRecorderTest()
      : ids_(clock_),
        labels_(*LabelMap::Create({"person", "bottle", "cup", "bicycle"}, PolicyConfig{})),
        tracker_(TrackerConfigForTest()),
        recorder_(MachineConfig{"rvm-7", "Test machine"}, PolicyConfig{}, SessionsConfig{}, labels_,
                  sink_, clock_, ids_) {}

  static TrackerConfig TrackerConfigForTest() {
    TrackerConfig c;
    c.max_missed_frames = 2;
    c.min_frames_to_decide = 3;
    c.settle_frames = 10;
    return c;
  }

  void Frames(int n, const Detections& dets) {
    for (int i = 0; i < n; ++i) {
      clock_.Advance(milliseconds(100));
      for (const TrackedItem& item : tracker_.Update(clock_.Now(), labels_.WithoutIgnored(dets))) {
        Result<Decision> d = recorder_.Record(item);
        ASSERT_TRUE(d.ok()) << d.status().ToString();
      }
    }
  }

  FakeClock clock_{1'770'000'000'000};
  UuidV7Generator ids_;
  MemoryDecisionSink sink_;
  LabelMap labels_;
  ItemTracker tracker_;
  DecisionRecorder recorder_;
};

TEST_F(DecisionRecorderTest, AnItemBecomesOneDecisionInAGuestSession) {
  Frames(5, {At(200), At(150, kPerson, 0.9f)});  // the hand is ignored
  Frames(3, {});
  const std::vector<Decision> ds = sink_.decisions();
  ASSERT_EQ(ds.size(), 1u);
  const Decision& d = ds[0];
  EXPECT_TRUE(IsUuidV7(d.item_id));
  EXPECT_EQ(d.machine_id, "rvm-7");
  EXPECT_EQ(d.session_kind, "guest");
  EXPECT_EQ(d.user_id, -1);
  EXPECT_EQ(d.label, "bottle");
  EXPECT_EQ(d.material, Material::kPet);
  EXPECT_TRUE(d.accepted);
  EXPECT_EQ(d.points, 10);
  EXPECT_EQ(d.frames, 5);
  EXPECT_EQ(d.finish, "left");
  EXPECT_EQ(d.first_seen_ms, 1'770'000'000'100);
  EXPECT_EQ(d.last_seen_ms, 1'770'000'000'500);
  EXPECT_EQ(d.decided_ms, 1'770'000'000'800);
  EXPECT_EQ(recorder_.CurrentSession()->session_id, d.session_id);
}

TEST_F(DecisionRecorderTest, ItemsInARowShareTheSessionWhichSummarisesWhenIdle) {
  Frames(5, {At(200)});
  Frames(4, {});
  Frames(5, {At(200, kCup)});
  Frames(4, {});
  Frames(4, {At(200, kBicycle)});
  Frames(4, {});
  ASSERT_EQ(sink_.decisions().size(), 3u);
  EXPECT_TRUE(sink_.summaries().empty());

  clock_.Advance(seconds(59));
  ASSERT_TRUE(recorder_.CloseIdleSession().ok());
  EXPECT_TRUE(sink_.summaries().empty());
  clock_.Advance(seconds(1));
  ASSERT_TRUE(recorder_.CloseIdleSession().ok());
  ASSERT_EQ(sink_.summaries().size(), 1u);
  const SessionSummary s = sink_.summaries()[0];
  EXPECT_EQ(s.session.session_id, sink_.decisions()[0].session_id);
  EXPECT_EQ(s.items.size(), 3u);
  EXPECT_EQ(s.accepted_count(), 2);
  EXPECT_EQ(s.total_points(), 10 + 15);
  EXPECT_EQ(sink_.decisions()[2].reason, RejectReason::kUnknownItem);
  EXPECT_FALSE(recorder_.CurrentSession().has_value());
}

TEST_F(DecisionRecorderTest, NewRunTimeSettingsApplyToTheNextItemAndTheOpenSession) {
  Frames(5, {At(200)});
  Frames(4, {});
  ASSERT_EQ(sink_.decisions().size(), 1u);
  EXPECT_TRUE(sink_.decisions()[0].accepted);
  EXPECT_EQ(sink_.decisions()[0].points, 10);

  RuntimeSettings settings;
  settings.points[Material::kAluminium] = 42;
  settings.accept_threshold[Material::kPet] = 0.95;  // above the bottle's 0.8
  settings.idle_timeout_s = 5;
  recorder_.SetRuntimeSettings(settings);
  Frames(5, {At(200, kCup)});
  Frames(4, {});
  Frames(5, {At(200)});
  Frames(4, {});
  ASSERT_EQ(sink_.decisions().size(), 3u);
  EXPECT_EQ(sink_.decisions()[1].points, 42);
  EXPECT_FALSE(sink_.decisions()[2].accepted);
  EXPECT_EQ(sink_.decisions()[2].reason, RejectReason::kLowConfidence);
  EXPECT_DOUBLE_EQ(sink_.decisions()[2].threshold, 0.95);

  // The session opened under the 60 s timeout closes after the new 5 s.
  clock_.Advance(seconds(5));
  ASSERT_TRUE(recorder_.CloseIdleSession().ok());
  ASSERT_EQ(sink_.summaries().size(), 1u);
  EXPECT_EQ(sink_.summaries()[0].close_reason, "idle_timeout");
  EXPECT_EQ(sink_.summaries()[0].total_points(), 10 + 42);
}

TEST_F(DecisionRecorderTest, TwoItemsAtOnceAreBothRejectedAsMultipleItems) {
  Frames(5, {At(50), At(400, kCup)});
  Frames(3, {});
  const std::vector<Decision> ds = sink_.decisions();
  ASSERT_EQ(ds.size(), 2u);
  for (const Decision& d : ds) {
    EXPECT_FALSE(d.accepted);
    EXPECT_EQ(d.reason, RejectReason::kMultipleItems);
    EXPECT_EQ(d.points, 0);
  }
  EXPECT_NE(ds[0].item_id, ds[1].item_id);
}

TEST_F(DecisionRecorderTest, EvidenceTravelsWithTheDecision) {
  Frames(4, {At(200)});
  const std::vector<TrackedItem> items = tracker_.Flush();
  ASSERT_EQ(items.size(), 1u);
  Result<Decision> d = recorder_.Record(items[0], {"\xff\xd8jpeg", {{"inference", 15.0}}});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->best_frame_jpeg, "\xff\xd8jpeg");
  ASSERT_EQ(d->stage_ms.size(), 1u);
  EXPECT_EQ(d->finish, "flushed");
  EXPECT_EQ(d->best_frame_ms, 1'770'000'000'100);
}

TEST_F(DecisionRecorderTest, AUserSessionOpenedLocallyCreditsItsUser) {
  Frames(5, {At(200)});
  Frames(3, {});  // a guest item first
  Result<SessionTicket> t = recorder_.OpenUserSession(42, "platform-s-1");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(sink_.summaries().size(), 1u);  // the guest session was replaced
  EXPECT_EQ(sink_.summaries()[0].close_reason, "replaced");
  Frames(5, {At(200, kCup)});
  Frames(3, {});
  ASSERT_EQ(sink_.decisions().size(), 2u);
  EXPECT_EQ(sink_.decisions()[1].session_id, "platform-s-1");
  EXPECT_EQ(sink_.decisions()[1].user_id, 42);
  EXPECT_EQ(sink_.decisions()[1].session_kind, "user");
  ASSERT_TRUE(recorder_.CloseSession().ok());
  ASSERT_EQ(sink_.summaries().size(), 2u);
  EXPECT_EQ(sink_.summaries()[1].total_points(), 15);
}

TEST_F(DecisionRecorderTest, ARefusedDecisionEarnsNothingAndJoinsNoSession) {
  Frames(4, {At(200)});
  const std::vector<TrackedItem> items = tracker_.Flush();
  ASSERT_EQ(items.size(), 1u);
  sink_.FailWith(IoError("disk full"));
  Result<Decision> refused = recorder_.Record(items[0]);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("disk full"));
  sink_.FailWith(Status::Ok());
  ASSERT_TRUE(recorder_.Record(items[0]).ok());  // the caller retries
  ASSERT_TRUE(recorder_.CloseSession().ok());
  ASSERT_EQ(sink_.summaries().size(), 1u);
  EXPECT_EQ(sink_.summaries()[0].items.size(), 1u);
  EXPECT_EQ(sink_.decisions().size(), 1u);
}

TEST_F(DecisionRecorderTest, ARefusedSummaryIsKeptAndWrittenLater) {
  Frames(5, {At(200)});
  Frames(3, {});
  sink_.FailWith(IoError("disk full"));
  EXPECT_FALSE(recorder_.CloseSession().ok());
  EXPECT_EQ(recorder_.pending_summaries(), 1u);
  EXPECT_FALSE(recorder_.Flush().ok());
  sink_.FailWith(Status::Ok());
  ASSERT_TRUE(recorder_.Flush().ok());
  EXPECT_EQ(recorder_.pending_summaries(), 0u);
  ASSERT_EQ(sink_.summaries().size(), 1u);
  EXPECT_EQ(sink_.summaries()[0].items.size(), 1u);
  EXPECT_EQ(sink_.flushes(), 1);  // the failed Flush stopped at the pending summary
}

TEST_F(DecisionRecorderTest, AnEmptyGuestSessionLeavesNoSummary) {
  Frames(4, {At(200)});
  const std::vector<TrackedItem> items = tracker_.Flush();
  sink_.FailWith(IoError("disk full"));
  ASSERT_FALSE(recorder_.Record(items[0]).ok());
  sink_.FailWith(Status::Ok());
  clock_.Advance(seconds(61));
  ASSERT_TRUE(recorder_.CloseIdleSession().ok());
  EXPECT_TRUE(sink_.summaries().empty());
}

TEST_F(DecisionRecorderTest, ItemsDecidedOutOfServiceAreRecordedButRejected) {
  EXPECT_FALSE(recorder_.OutOfServiceReason().has_value());
  recorder_.SetOutOfService(true, "maintenance: cleaning the chute");
  EXPECT_EQ(recorder_.OutOfServiceReason(), "maintenance: cleaning the chute");
  Frames(5, {At(200)});
  Frames(3, {});
  recorder_.SetOutOfService(false, "");
  EXPECT_FALSE(recorder_.OutOfServiceReason().has_value());
  Frames(5, {At(200)});
  Frames(3, {});

  const std::vector<Decision> ds = sink_.decisions();
  ASSERT_EQ(ds.size(), 2u) << "the item out of service is still recorded";
  EXPECT_FALSE(ds[0].accepted);
  EXPECT_EQ(ds[0].reason, RejectReason::kOutOfService);
  EXPECT_EQ(ds[0].reason_detail, "maintenance: cleaning the chute");
  EXPECT_EQ(ds[0].points, 0);
  EXPECT_EQ(ds[0].material, Material::kPet) << "what the item was is kept for the platform";
  EXPECT_TRUE(ds[1].accepted) << "accepted again once back in service";
  EXPECT_EQ(ds[1].reason, RejectReason::kNone);
  EXPECT_TRUE(ds[1].reason_detail.empty());
  EXPECT_EQ(ds[1].points, 10);

  ASSERT_TRUE(recorder_.CloseSession().ok());
  ASSERT_EQ(sink_.summaries().size(), 1u);
  EXPECT_EQ(sink_.summaries()[0].items.size(), 2u);
  EXPECT_EQ(sink_.summaries()[0].accepted_count(), 1);
  EXPECT_EQ(sink_.summaries()[0].total_points(), 10);
}

TEST_F(DecisionRecorderTest, OutOfServiceWithoutAReasonStillSaysSo) {
  recorder_.SetOutOfService(true, "");
  Frames(5, {At(200)});
  Frames(3, {});
  ASSERT_EQ(sink_.decisions().size(), 1u);
  EXPECT_EQ(sink_.decisions()[0].reason, RejectReason::kOutOfService);
  EXPECT_EQ(sink_.decisions()[0].reason_detail, "out of service");
}

TEST_F(DecisionRecorderTest, ASinkThatIsNotAcceptingRejectsItemsAsOutOfService) {
  sink_.SetAccepting(false);
  EXPECT_EQ(recorder_.OutOfServiceReason(), DecisionRecorder::kSinkNotAccepting);
  Frames(5, {At(200)});
  Frames(3, {});
  sink_.SetAccepting(true);
  EXPECT_FALSE(recorder_.OutOfServiceReason().has_value());
  Frames(5, {At(200)});
  Frames(3, {});

  const std::vector<Decision> ds = sink_.decisions();
  ASSERT_EQ(ds.size(), 2u);
  EXPECT_FALSE(ds[0].accepted);
  EXPECT_EQ(ds[0].reason, RejectReason::kOutOfService);
  EXPECT_THAT(ds[0].reason_detail, HasSubstr("outbox full"));
  EXPECT_EQ(ds[0].points, 0);
  EXPECT_TRUE(ds[1].accepted);
}

TEST_F(DecisionRecorderTest, AMaintenanceReasonWinsOverAFullSink) {
  sink_.SetAccepting(false);
  recorder_.SetOutOfService(true, "maintenance: door open");
  EXPECT_EQ(recorder_.OutOfServiceReason(), "maintenance: door open");
  recorder_.SetOutOfService(false, "");
  EXPECT_EQ(recorder_.OutOfServiceReason(), DecisionRecorder::kSinkNotAccepting)
      << "leaving maintenance does not hide the full sink";
}

// Money invariant under concurrency: every recorded item is in exactly one
// session, while the admin API opens user sessions in between.
TEST_F(DecisionRecorderTest, EveryItemLandsInExactlyOneSessionUnderConcurrency) {
  TrackedItem item;
  item.fused = {kBottle, 0.9, 1.0, 5, 1};
  item.frames_seen = 5;
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) ASSERT_TRUE(recorder_.Record(item).ok());
    });
  }
  threads.emplace_back([&] {
    for (int i = 0; i < 50; ++i) {
      ASSERT_TRUE(recorder_.OpenUserSession(100 + i).ok());
      ASSERT_TRUE(recorder_.CloseSession().ok());
    }
  });
  for (auto& th : threads) th.join();
  ASSERT_TRUE(recorder_.CloseSession().ok());

  std::map<std::string, std::string> session_of;  // item id -> session id
  for (const SessionSummary& s : sink_.summaries()) {
    for (const SessionItem& it : s.items) {
      EXPECT_TRUE(session_of.emplace(it.item_id, s.session.session_id).second)
          << "item " << it.item_id << " is in two sessions";
    }
  }
  ASSERT_EQ(sink_.decisions().size(), 600u);
  for (const Decision& d : sink_.decisions()) {
    ASSERT_EQ(session_of.count(d.item_id), 1u) << d.item_id;
    EXPECT_EQ(session_of[d.item_id], d.session_id);
  }
}

TEST_F(DecisionRecorderTest, ASessionCutShortIsRebuiltFromItsDecisionsAsItWouldHaveClosed) {
  ASSERT_TRUE(recorder_.OpenUserSession(42, "user-session-1").ok());
  Frames(5, {At(200)});
  Frames(4, {});
  Frames(5, {At(200, kCup)});
  Frames(4, {});
  Frames(4, {At(200, kBicycle)});
  Frames(4, {});
  ASSERT_TRUE(recorder_.CloseSession().ok());
  ASSERT_EQ(sink_.summaries().size(), 1u);
  const SessionSummary closed = sink_.summaries()[0];

  // What a crash before the close leaves: the decisions' records only.
  std::vector<nlohmann::json> records;
  for (const Decision& d : sink_.decisions()) records.push_back(DecisionToJson(d));
  records.push_back(nlohmann::json("not a decision"));
  const std::vector<SessionSummary> rebuilt = RecoverSessionSummaries(records);
  ASSERT_EQ(rebuilt.size(), 1u);
  const SessionSummary& r = rebuilt[0];
  EXPECT_EQ(r.session, closed.session) << "same id, kind and user";
  EXPECT_EQ(r.machine_id, "rvm-7");
  EXPECT_EQ(r.close_reason, "recovered_after_restart");
  ASSERT_EQ(r.items.size(), closed.items.size());
  for (size_t i = 0; i < r.items.size(); ++i) {
    EXPECT_EQ(r.items[i].item_id, closed.items[i].item_id);
    EXPECT_EQ(r.items[i].material, closed.items[i].material);
    EXPECT_EQ(r.items[i].accepted, closed.items[i].accepted);
    EXPECT_EQ(r.items[i].points, closed.items[i].points);
  }
  EXPECT_EQ(SyncOfflineTransaction(r)["items"], SyncOfflineTransaction(closed)["items"]);
  EXPECT_EQ(r.total_points(), 10 + 15);
}

TEST_F(DecisionRecorderTest, RecoveredSummariesAreWrittenInOrderBeforeTheNextItemsSession) {
  Frames(5, {At(200)});
  Frames(4, {});
  ASSERT_EQ(sink_.decisions().size(), 1u);
  std::vector<SessionSummary> recovered(2);
  recovered[0].session = {"left-open-1", SessionKind::kUser, 42};
  recovered[0].items.push_back({"x1", Material::kPet, true, 10, 1});
  recovered[1].session = {"left-open-2", SessionKind::kGuest, -1};
  recovered[1].items.push_back({"x2", Material::kGlass, false, 0, 2});
  sink_.FailWith(Unavailable("disk busy"));
  EXPECT_FALSE(recorder_.RecoverSessions(recovered).ok());
  EXPECT_EQ(recorder_.pending_summaries(), 2u) << "a refused recovery stays pending";
  sink_.FailWith(Status::Ok());
  ASSERT_TRUE(recorder_.Flush().ok());
  ASSERT_EQ(sink_.summaries().size(), 2u);
  EXPECT_EQ(sink_.summaries()[0].session.session_id, "left-open-1");
  EXPECT_EQ(sink_.summaries()[1].session.session_id, "left-open-2");
}

}  // namespace
}  // namespace rvm
