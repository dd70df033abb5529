// Text and JSON views of the outbox for operators (`rvm-edge outbox ...`) and
// for the admin server: pure functions of stats and records, no I/O.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "outbox/outbox.h"

namespace rvm::outbox {

nlohmann::json StatsToJson(const OutboxStats& stats);
// "key  value" lines, sizes in KiB/MiB/GiB and ages in s/min/h/d.
std::string FormatStats(const OutboxStats& stats);

// The payload is embedded as JSON when it parses, as a string otherwise.
nlohmann::json RecordToJson(const StoredRecord& record);
// One line per record under a header; ages are relative to `now_ms`.
std::string FormatRecordTable(const std::vector<StoredRecord>& records, int64_t now_ms);

std::string FormatBytes(int64_t bytes);
std::string FormatAge(int64_t ms);
// "90" (seconds), "90s", "15m", "12h", "7d" -> milliseconds.
Result<int64_t> ParseAge(std::string_view text);

}  // namespace rvm::outbox
