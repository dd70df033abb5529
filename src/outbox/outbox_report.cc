#include "outbox/outbox_report.h"

#include <charconv>
#include <cstdio>

namespace rvm::outbox {

std::string FormatBytes(int64_t bytes) {
  char buf[32];
  double v = static_cast<double>(bytes);
  if (bytes < 1024) {
    std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(bytes));
  } else if (bytes < (int64_t{1} << 20)) {
    std::snprintf(buf, sizeof buf, "%.1f KiB", v / 1024);
  } else if (bytes < (int64_t{1} << 30)) {
    std::snprintf(buf, sizeof buf, "%.1f MiB", v / (1 << 20));
  } else {
    std::snprintf(buf, sizeof buf, "%.2f GiB", v / (1 << 30));
  }
  return buf;
}

std::string FormatAge(int64_t ms) {
  char buf[32];
  double s = static_cast<double>(ms) / 1000.0;
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%.1f s", s);
  } else if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%.1f min", s / 60);
  } else if (s < 86400) {
    std::snprintf(buf, sizeof buf, "%.1f h", s / 3600);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f d", s / 86400);
  }
  return buf;
}

Result<int64_t> ParseAge(std::string_view text) {
  auto bad = [&] {
    return InvalidArgument("age '" + std::string(text) +
                           "': expected a number with an optional unit s, m, h or d (e.g. 7d)");
  };
  if (text.empty()) return bad();
  int64_t unit_ms = 1000;
  std::string_view digits = text;
  switch (text.back()) {
    case 's':
      unit_ms = 1000;
      digits.remove_suffix(1);
      break;
    case 'm':
      unit_ms = 60'000;
      digits.remove_suffix(1);
      break;
    case 'h':
      unit_ms = 3'600'000;
      digits.remove_suffix(1);
      break;
    case 'd':
      unit_ms = 86'400'000;
      digits.remove_suffix(1);
      break;
    default:
      break;
  }
  int64_t n = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || n < 0 ||
      n > INT64_MAX / unit_ms) {
    return bad();
  }
  return n * unit_ms;
}

nlohmann::json StatsToJson(const OutboxStats& s) {
  return {{"pending", s.pending},
          {"delivered", s.delivered},
          {"parked", s.parked},
          {"pending_bytes", s.pending_bytes},
          {"oldest_pending_age_ms", s.oldest_pending_age_ms},
          {"evidence_stored", s.evidence_stored},
          {"evidence_dropped", s.evidence_dropped},
          {"accepting", s.accepting},
          {"bytes_used", s.bytes_used},
          {"quota_bytes", s.quota_bytes}};
}

std::string FormatStats(const OutboxStats& s) {
  char buf[512];
  double percent = s.quota_bytes > 0 ? 100.0 * static_cast<double>(s.bytes_used) /
                                           static_cast<double>(s.quota_bytes)
                                     : 0.0;
  std::snprintf(buf, sizeof buf,
                "accepting         %s\n"
                "pending           %lld (%s)\n"
                "oldest pending    %s\n"
                "delivered         %lld\n"
                "parked            %lld\n"
                "evidence          %lld stored, %lld dropped or missing\n"
                "disk              %s of %s quota (%.1f%%)\n",
                s.accepting ? "yes" : "NO (out of space: items are refused)",
                static_cast<long long>(s.pending), FormatBytes(s.pending_bytes).c_str(),
                s.pending > 0 ? FormatAge(s.oldest_pending_age_ms).c_str() : "-",
                static_cast<long long>(s.delivered), static_cast<long long>(s.parked),
                static_cast<long long>(s.evidence_stored),
                static_cast<long long>(s.evidence_dropped), FormatBytes(s.bytes_used).c_str(),
                FormatBytes(s.quota_bytes).c_str(), percent);
  return buf;
}

nlohmann::json RecordToJson(const StoredRecord& r) {
  nlohmann::json payload =
      nlohmann::json::parse(r.payload_json, nullptr, /*allow_exceptions=*/false);
  if (payload.is_discarded()) payload = r.payload_json;
  nlohmann::json evidence = {{"state", std::string(EvidenceStateName(r.evidence))}};
  if (r.evidence != EvidenceState::kNone) {
    evidence["bytes"] = r.evidence_bytes;
    evidence["sha256"] = r.evidence_sha256;
    if (!r.evidence_file.empty()) evidence["file"] = r.evidence_file;
  }
  return {{"seq", r.seq},
          {"item_id", r.item_id},
          {"kind", std::string(RecordKindName(r.kind))},
          {"machine_id", r.machine_id},
          {"created_ms", r.created_ms},
          {"state", std::string(RecordStateName(r.state))},
          {"attempts", r.attempts},
          {"next_attempt_ms", r.next_attempt_ms},
          {"last_error", r.last_error},
          {"delivered_ms", r.delivered_ms},
          {"evidence", evidence},
          {"payload", payload}};
}

std::string FormatRecordTable(const std::vector<StoredRecord>& records, int64_t now_ms) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "%8s  %-38s %-8s %-10s %8s %10s  %-8s %s\n", "SEQ", "ITEM",
                "KIND", "STATE", "ATTEMPTS", "AGE", "IMAGE", "LAST ERROR");
  out += line;
  for (const StoredRecord& r : records) {
    std::snprintf(line, sizeof line, "%8lld  %-38s %-8s %-10s %8lld %10s  %-8s %s\n",
                  static_cast<long long>(r.seq), r.item_id.c_str(),
                  std::string(RecordKindName(r.kind)).c_str(),
                  std::string(RecordStateName(r.state)).c_str(), static_cast<long long>(r.attempts),
                  FormatAge(std::max<int64_t>(0, now_ms - r.created_ms)).c_str(),
                  std::string(EvidenceStateName(r.evidence)).c_str(), r.last_error.c_str());
    out += line;
  }
  if (records.empty()) out += "(no records)\n";
  return out;
}

}  // namespace rvm::outbox
