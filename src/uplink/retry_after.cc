#include "uplink/retry_after.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <string>

namespace rvm::uplink {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// IMF-fixdate, the only form a server may generate: "Sun, 06 Nov 1994 08:49:37 GMT".
std::optional<int64_t> ParseImfFixdateMs(std::string_view value) {
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::string s(value);
  char weekday[4] = {}, month[4] = {}, zone[4] = {};
  int day = 0, year = 0, hour = 0, minute = 0, second = 0, consumed = 0;
  if (std::sscanf(s.c_str(), "%3s %d %3s %d %d:%d:%d %3s%n", weekday, &day, month, &year, &hour,
                  &minute, &second, zone, &consumed) != 8 ||
      static_cast<size_t>(consumed) != s.size()) {
    return std::nullopt;
  }
  if (std::string_view(zone) != "GMT") return std::nullopt;
  auto it = std::find_if(kMonths.begin(), kMonths.end(),
                         [&](const char* m) { return std::string_view(m) == month; });
  if (it == kMonths.end() || day < 1 || day > 31 || year < 1970 || hour > 23 || minute > 59 ||
      second > 60 || hour < 0 || minute < 0 || second < 0) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = static_cast<int>(it - kMonths.begin());
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const std::time_t t = timegm(&tm);
  if (t == static_cast<std::time_t>(-1)) return std::nullopt;
  return static_cast<int64_t>(t) * 1000;
}

}  // namespace

std::optional<int64_t> ParseRetryAfterMs(std::string_view value, int64_t now_wall_ms) {
  value = Trim(value);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(),
                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    if (value.size() > 9) return std::nullopt;  // more than ~31 years: not a real delay
    return std::stoll(std::string(value)) * 1000;
  }
  // "Sun, 06 Nov 1994 ..." : drop the comma after the weekday for the scanner.
  std::string copy(value);
  if (copy.size() > 3 && copy[3] == ',') copy.erase(3, 1);
  auto at = ParseImfFixdateMs(copy);
  if (!at) return std::nullopt;
  return std::max<int64_t>(0, *at - now_wall_ms);
}

}  // namespace rvm::uplink
