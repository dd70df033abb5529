#include "logging/log_record.h"

#include <gtest/gtest.h>

namespace rvm {
namespace {

TEST(LogRecordTest, AStructuredPayloadDecodesToTheSameRecord) {
  const std::vector<LogField> fields = {
      {"records", 50}, {"ok", true}, {"ratio", 0.5}, {"url", "https://x/y"}, {"empty", ""}};
  const std::string payload = EncodePayload("uplink", "batch delivered", fields.data(), 5);
  const LogRecord r = DecodePayload(payload, "ignored");
  EXPECT_EQ(r.component, "uplink");
  EXPECT_EQ(r.message, "batch delivered");
  ASSERT_EQ(r.fields, fields);
  EXPECT_EQ(r.fields[0].kind, LogField::Kind::kNumber);
  EXPECT_EQ(r.fields[1].kind, LogField::Kind::kBool);
  EXPECT_EQ(r.fields[3].kind, LogField::Kind::kString);
}

TEST(LogRecordTest, APlainPayloadIsTheMessageOfTheDefaultComponent) {
  const LogRecord r = DecodePayload("hello world", "rvm-edge");
  EXPECT_EQ(r, (LogRecord{"rvm-edge", "hello world", {}}));
}

TEST(LogRecordTest, NulBytesInsideThePartsCannotBreakTheFraming) {
  const std::string evil("a\0b", 3);
  const LogField f(evil, evil);
  const LogRecord r = DecodePayload(EncodePayload(evil, evil, &f, 1), "x");
  EXPECT_EQ(r.component,
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(r.message,
            "a\xEF\xBF\xBD"
            "b");
  ASSERT_EQ(r.fields.size(), 1u);
  EXPECT_EQ(r.fields[0].value,
            "a\xEF\xBF\xBD"
            "b");
}

TEST(LogRecordTest, NonFiniteDoublesAreStrings) {
  EXPECT_EQ(LogField("x", 1.0 / 0.0).kind, LogField::Kind::kString);
  EXPECT_EQ(LogField("x", 0.25).value, "0.25");
}

TEST(LogRecordTest, LevelAndFormatNamesParseAndBadOnesNameTheKey) {
  EXPECT_EQ(*ParseLogLevel("warn"), LogLevel::kWarn);
  EXPECT_EQ(*ParseLogLevel("off"), LogLevel::kOff);
  Result<LogLevel> bad = ParseLogLevel("verbose");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "logging.level = 'verbose': not one of trace, debug, info, warn, error, off");
  EXPECT_EQ(*ParseLogFormat("json"), LogFormat::kJson);
  EXPECT_FALSE(ParseLogFormat("xml").ok());
}

}  // namespace
}  // namespace rvm
