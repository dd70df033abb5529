#include "logging/log_formatter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace rvm {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// 2025-03-01T12:00:00.123Z
const auto kTime = std::chrono::system_clock::time_point(std::chrono::milliseconds(1740830400123));

TEST(LogFormatterTest, TextLinesReadAsTimeLevelComponentMessageFields) {
  const LogRecord r{"uplink", "batch delivered", {{"records", 50}, {"url", "https://x/a b"}}};
  EXPECT_EQ(FormatLine(r, LogLevel::kInfo, kTime, LogFormat::kText, Redactor()),
            "2025-03-01T12:00:00.123Z INFO  uplink: batch delivered records=50 "
            "url=\"https://x/a b\"");
}

TEST(LogFormatterTest, ATextLineNeverSpansTwoLines) {
  const LogRecord r{"c", "first\nsecond\r\x01", {{"v", "a\nb"}}};
  const std::string line = FormatLine(r, LogLevel::kWarn, kTime, LogFormat::kText, Redactor());
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_THAT(line, HasSubstr("WARN  c: first\\nsecond\\r\\x01 v=\"a\\nb\""));
}

TEST(LogFormatterTest, JsonLinesAreOneObjectWithTypedFields) {
  const LogRecord r{"pipeline",
                    "item \"decided\"",
                    {{"items", 3}, {"ok", false}, {"score", 0.75}, {"label", "can"}, {"msg", "x"}}};
  const std::string line = FormatLine(r, LogLevel::kError, kTime, LogFormat::kJson, Redactor());
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const nlohmann::json j = nlohmann::json::parse(line);
  EXPECT_EQ(j["ts"], "2025-03-01T12:00:00.123Z");
  EXPECT_EQ(j["level"], "error");
  EXPECT_EQ(j["logger"], "pipeline");
  EXPECT_EQ(j["msg"], "item \"decided\"");
  EXPECT_EQ(j["items"], 3);
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["score"], 0.75);
  EXPECT_EQ(j["label"], "can");
  EXPECT_EQ(j["field_msg"], "x");
  EXPECT_EQ(line.rfind("{\"ts\":", 0), 0u) << "ts comes first: " << line;
}

TEST(LogFormatterTest, InvalidUtf8StillGivesParseableJson) {
  const LogRecord r{"c", "bad \xff byte", {}};
  const std::string line = FormatLine(r, LogLevel::kInfo, kTime, LogFormat::kJson, Redactor());
  EXPECT_NO_THROW(nlohmann::json::parse(line));
}

TEST(LogFormatterTest, SecretsAreMaskedInMessageFieldsAndKeysInBothFormats) {
  const Redactor redactor({"sk-123", "hunter2"});
  const LogRecord r{"uplink",
                    "login with hunter2 sent Authorization: Bearer abc",
                    {{"api_key", "anything"}, {"note", "key sk-123"}, {"sk-123", "v"}}};
  for (LogFormat format : {LogFormat::kText, LogFormat::kJson}) {
    const std::string line = FormatLine(r, LogLevel::kInfo, kTime, format, redactor);
    EXPECT_THAT(line, Not(HasSubstr("hunter2")));
    EXPECT_THAT(line, Not(HasSubstr("sk-123")));
    EXPECT_THAT(line, Not(HasSubstr("anything")));
    EXPECT_THAT(line, Not(HasSubstr("Bearer abc")));
    EXPECT_THAT(line, HasSubstr("<redacted>"));
  }
}

TEST(LogFormatterTest, UtcTimesHaveMilliseconds) {
  EXPECT_EQ(FormatUtcMillis(std::chrono::system_clock::time_point()), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatUtcMillis(kTime), "2025-03-01T12:00:00.123Z");
}

}  // namespace
}  // namespace rvm
