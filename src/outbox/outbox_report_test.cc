#include "outbox/outbox_report.h"

#include <gtest/gtest.h>

namespace rvm::outbox {
namespace {

TEST(OutboxReportTest, StatsJsonCarriesTheAcceptingStateAndQuota) {
  OutboxStats s;
  s.pending = 3;
  s.accepting = false;
  s.bytes_used = 900;
  s.quota_bytes = 1000;
  nlohmann::json j = StatsToJson(s);
  EXPECT_EQ(j["pending"], 3);
  EXPECT_EQ(j["accepting"], false);
  EXPECT_EQ(j["bytes_used"], 900);
  EXPECT_EQ(j["quota_bytes"], 1000);
}

TEST(OutboxReportTest, StatsTextSaysPlainlyWhenItemsAreRefused) {
  OutboxStats s;
  s.accepting = false;
  s.bytes_used = 3 << 20;
  s.quota_bytes = 4 << 20;
  std::string text = FormatStats(s);
  EXPECT_NE(text.find("NO (out of space"), std::string::npos);
  EXPECT_NE(text.find("3.0 MiB of 4.0 MiB quota (75.0%)"), std::string::npos);
}

TEST(OutboxReportTest, RecordJsonEmbedsAValidPayloadAsJson) {
  StoredRecord r;
  r.seq = 7;
  r.item_id = "abc";
  r.payload_json = R"({"class":"can"})";
  r.evidence = EvidenceState::kStored;
  r.evidence_file = "abc.jpg";
  nlohmann::json j = RecordToJson(r);
  EXPECT_EQ(j["payload"]["class"], "can");
  EXPECT_EQ(j["state"], "pending");
  EXPECT_EQ(j["evidence"]["file"], "abc.jpg");
  r.payload_json = "not json";
  EXPECT_EQ(RecordToJson(r)["payload"], "not json");
}

TEST(OutboxReportTest, RecordTableHasOneLinePerRecordUnderAHeader) {
  StoredRecord r;
  r.seq = 12;
  r.item_id = "item-12";
  r.created_ms = 1000;
  r.state = RecordState::kParked;
  r.last_error = "422";
  std::string table = FormatRecordTable({r}, 91'000);
  EXPECT_NE(table.find("SEQ"), std::string::npos);
  EXPECT_NE(table.find("item-12"), std::string::npos);
  EXPECT_NE(table.find("parked"), std::string::npos);
  EXPECT_NE(table.find("1.5 min"), std::string::npos);
  EXPECT_EQ(std::count(table.begin(), table.end(), '\n'), 2);
  EXPECT_NE(FormatRecordTable({}, 0).find("(no records)"), std::string::npos);
}

TEST(OutboxReportTest, AgesParseWithUnits) {
  EXPECT_EQ(*ParseAge("90"), 90'000);
  EXPECT_EQ(*ParseAge("15m"), 900'000);
  EXPECT_EQ(*ParseAge("12h"), 43'200'000);
  EXPECT_EQ(*ParseAge("7d"), 604'800'000);
  EXPECT_EQ(*ParseAge("0"), 0);
}

TEST(OutboxReportTest, MalformedAgesAreRejectedWithTheExpectedForm) {
  for (const char* bad : {"", "d", "7w", "-3d", "1.5h", "99999999999999999999"}) {
    auto r = ParseAge(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("e.g. 7d"), std::string::npos);
  }
}

TEST(OutboxReportTest, SizesAndAgesReadNaturally) {
  EXPECT_EQ(FormatBytes(512), "512 B");
  EXPECT_EQ(FormatBytes(1536), "1.5 KiB");
  EXPECT_EQ(FormatBytes(int64_t{3} << 30), "3.00 GiB");
  EXPECT_EQ(FormatAge(2500), "2.5 s");
  EXPECT_EQ(FormatAge(2 * 86'400'000), "2.0 d");
}

}  // namespace
}  // namespace rvm::outbox
