#include "deposit/session.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rvm {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;

class SessionBookTest : public ::testing::Test {
 protected:
  SessionBookTest() : ids_(clock_), book_(Config(), "rvm-7", clock_, ids_) {}

  static SessionsConfig Config() {
    SessionsConfig c;
    c.idle_timeout_s = 60;
    c.guest_user_id = -1;
    c.points = {{Material::kPet, 10},
                {Material::kAluminium, 15},
                {Material::kGlass, 20},
                {Material::kOther, 0}};
    return c;
  }

  // Adds an item to whatever session the book picks; returns that session.
  SessionBook::Change Add(std::optional<Material> m, bool accepted) {
    SessionBook::Change change = book_.TicketForNextItem();
    const std::string id = ids_.Next();
    EXPECT_TRUE(book_
                    .AddItem(change.ticket,
                             {id, m, accepted, book_.PointsFor(m, accepted), clock_.WallMillis()})
                    .ok());
    return change;
  }

  FakeClock clock_{1'770'000'000'000};
  UuidV7Generator ids_;
  SessionBook book_;
};

TEST_F(SessionBookTest, TheFirstItemOpensAGuestSessionForTheDonationUser) {
  EXPECT_FALSE(book_.current().has_value());
  const SessionBook::Change c = Add(Material::kPet, true);
  EXPECT_EQ(c.ticket.kind, SessionKind::kGuest);
  EXPECT_EQ(c.ticket.user_id, -1);
  EXPECT_TRUE(IsUuidV7(c.ticket.session_id));
  EXPECT_FALSE(c.closed.has_value());
  EXPECT_EQ(book_.current(), c.ticket);
}

TEST_F(SessionBookTest, ItemsWithinTheIdleTimeoutShareOneSession) {
  const SessionTicket first = Add(Material::kPet, true).ticket;
  clock_.Advance(seconds(59));
  const SessionTicket second = Add(Material::kAluminium, true).ticket;
  clock_.Advance(seconds(59));  // the timeout counts from the last item
  EXPECT_EQ(Add(Material::kGlass, true).ticket, first);
  EXPECT_EQ(second, first);
}

TEST_F(SessionBookTest, AnIdleSessionClosesWithItsSummary) {
  const SessionTicket t = Add(Material::kPet, true).ticket;
  Add(Material::kPet, true);
  Add(Material::kAluminium, true);
  Add(Material::kGlass, false);
  clock_.Advance(seconds(59));
  EXPECT_FALSE(book_.CloseIfIdle().has_value());
  clock_.Advance(seconds(1));
  const std::optional<SessionSummary> s = book_.CloseIfIdle();
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->session, t);
  EXPECT_EQ(s->close_reason, "idle_timeout");
  EXPECT_EQ(s->items.size(), 4u);
  EXPECT_EQ(s->accepted_count(), 3);
  EXPECT_EQ(s->total_points(), 10 + 10 + 15);
  EXPECT_EQ(s->opened_ms, 1'770'000'000'000);
  EXPECT_EQ(s->closed_ms, 1'770'000'060'000);
  EXPECT_FALSE(book_.current().has_value());
}

TEST_F(SessionBookTest, AnItemAfterTheTimeoutStartsANewSessionAndClosesTheOld) {
  const SessionTicket first = Add(Material::kPet, true).ticket;
  clock_.Advance(seconds(61));
  const SessionBook::Change c = Add(Material::kPet, true);
  ASSERT_TRUE(c.closed.has_value());
  EXPECT_EQ(c.closed->session, first);
  EXPECT_NE(c.ticket.session_id, first.session_id);
}

TEST_F(SessionBookTest, PointsComeFromTheTableAndOnlyForAcceptedItems) {
  EXPECT_EQ(book_.PointsFor(Material::kGlass, true), 20);
  EXPECT_EQ(book_.PointsFor(Material::kGlass, false), 0);
  EXPECT_EQ(book_.PointsFor(std::nullopt, true), 0);
  EXPECT_EQ(book_.PointsFor(Material::kOther, true), 0);
}

TEST_F(SessionBookTest, AUserSessionCreditsItsUser) {
  Result<SessionBook::Change> opened = book_.OpenUserSession(42, "platform-session-1");
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->ticket.kind, SessionKind::kUser);
  const SessionBook::Change c = Add(Material::kAluminium, true);
  EXPECT_EQ(c.ticket.session_id, "platform-session-1");
  EXPECT_EQ(c.ticket.user_id, 42);
  const auto s = book_.Close();
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->close_reason, "closed");
  EXPECT_EQ(s->total_points(), 15);
}

TEST_F(SessionBookTest, OpeningAUserSessionReplacesAGuestSession) {
  const SessionTicket guest = Add(Material::kPet, true).ticket;
  Result<SessionBook::Change> opened = book_.OpenUserSession(42);
  ASSERT_TRUE(opened.ok());
  ASSERT_TRUE(opened->closed.has_value());
  EXPECT_EQ(opened->closed->session, guest);
  EXPECT_EQ(opened->closed->close_reason, "replaced");
  EXPECT_TRUE(IsUuidV7(opened->ticket.session_id));
}

TEST_F(SessionBookTest, OpeningTheSameUserSessionTwiceIsANoOp) {
  ASSERT_TRUE(book_.OpenUserSession(42, "s-1").ok());
  Add(Material::kPet, true);
  Result<SessionBook::Change> again = book_.OpenUserSession(42, "s-1");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->closed.has_value());
  EXPECT_EQ(book_.Close()->items.size(), 1u);
}

TEST_F(SessionBookTest, BadUserSessionRequestsAreRefused) {
  EXPECT_THAT(book_.OpenUserSession(0).status().message(), HasSubstr("user_id 0 must be > 0"));
  ASSERT_TRUE(book_.OpenUserSession(42, "s-1").ok());
  EXPECT_THAT(book_.OpenUserSession(43, "s-1").status().message(),
              HasSubstr("already open for user 42"));
}

TEST_F(SessionBookTest, AnItemCannotJoinASessionThatIsNoLongerOpen) {
  const SessionTicket t = book_.TicketForNextItem().ticket;
  book_.Close();
  const Status s = book_.AddItem(t, {"item-1", Material::kPet, true, 10, 0});
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("is not open"));
}

TEST_F(SessionBookTest, TheSummaryIsTheOfflineSyncTransaction) {
  ASSERT_TRUE(book_.OpenUserSession(42, "s-9").ok());
  Add(Material::kPet, true);
  Add(Material::kAluminium, true);
  Add(std::nullopt, false);
  Add(Material::kPet, false);
  const SessionSummary s = *book_.Close();

  const nlohmann::json tx = SyncOfflineTransaction(s);
  // Exactly the fields edge v1 sync-offline validates, with its types.
  EXPECT_EQ(tx.size(), 4u);
  EXPECT_EQ(tx["session_id"], "s-9");
  EXPECT_EQ(tx["user_id"], 42);
  EXPECT_EQ(tx["timestamp"], "2026-02-02T02:40:00.000Z");
  ASSERT_EQ(tx["items"].size(), 2u);
  EXPECT_EQ(tx["items"][0],
            (nlohmann::json{{"type", "plastic_bottle"}, {"weight", 0}, {"points", 10}}));
  EXPECT_EQ(tx["items"][1]["type"], "aluminum_can");
  EXPECT_TRUE(tx["items"][1]["points"].is_number_integer());

  const nlohmann::json full = SessionSummaryToJson(s);
  EXPECT_EQ(full["type"], "session_summary");
  EXPECT_EQ(full["session_id"], tx["session_id"]);
  EXPECT_EQ(full["timestamp"], tx["timestamp"]);
  EXPECT_EQ(full["items"].size(), 2u);
  EXPECT_TRUE(full["items"][0].contains("item_id"));
  EXPECT_EQ(full["machine_id"], "rvm-7");
  EXPECT_EQ(full["session_kind"], "user");
  EXPECT_EQ(full["total_points"], 25);
  EXPECT_EQ(full["accepted_items"], 2);
  EXPECT_EQ(full["rejected_items"], 2);
  EXPECT_EQ(full["by_material"]["pet"],
            (nlohmann::json{{"accepted", 1}, {"rejected", 1}, {"points", 10}}));
  EXPECT_EQ(full["by_material"]["unknown"]["rejected"], 1);
}

TEST_F(SessionBookTest, AGuestSessionClosesAtItsItemLimitAndTheNextItemOpensANewOne) {
  const SessionTicket first = Add(Material::kPet, true).ticket;
  for (size_t i = 1; i < kMaxGuestSessionItems; ++i) Add(Material::kPet, true);
  const SessionBook::Change next = Add(Material::kPet, true);
  ASSERT_TRUE(next.closed.has_value());
  EXPECT_EQ(next.closed->close_reason, "item_limit");
  EXPECT_EQ(next.closed->session, first);
  EXPECT_EQ(next.closed->items.size(), kMaxGuestSessionItems);
  EXPECT_NE(next.ticket.session_id, first.session_id);
  EXPECT_EQ(next.ticket.kind, SessionKind::kGuest);
}

}  // namespace
}  // namespace rvm
