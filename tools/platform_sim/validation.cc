#include "platform_sim/validation.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstdlib>
#include <regex>

namespace rvm::sim {
namespace {

using nlohmann::json;

struct Located {
  std::string path;
  const json* value;  // nullptr when absent
};

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    parts.push_back(s.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return parts;
}

// Expands `path` against `root`; "*" visits every element of an array or
// object. Segments below a missing or scalar value resolve to "absent".
void Resolve(const json* node, const std::vector<std::string_view>& segments, size_t i,
             const std::string& prefix, std::vector<Located>& out) {
  if (i == segments.size()) {
    out.push_back({prefix, node});
    return;
  }
  const std::string_view seg = segments[i];
  const std::string joined = prefix.empty() ? "" : prefix + ".";
  if (seg == "*") {
    if (node == nullptr) return;
    if (node->is_array()) {
      for (size_t k = 0; k < node->size(); ++k) {
        Resolve(&(*node)[k], segments, i + 1, joined + std::to_string(k), out);
      }
    } else if (node->is_object()) {
      for (auto it = node->begin(); it != node->end(); ++it) {
        Resolve(&it.value(), segments, i + 1, joined + it.key(), out);
      }
    }
    return;
  }
  const json* child = nullptr;
  if (node != nullptr && node->is_object()) {
    auto it = node->find(std::string(seg));
    if (it != node->end()) child = &*it;
  } else if (node != nullptr && node->is_array()) {
    size_t index = 0;
    auto [p, ec] = std::from_chars(seg.data(), seg.data() + seg.size(), index);
    if (ec == std::errc() && p == seg.data() + seg.size() && index < node->size()) {
      child = &(*node)[index];
    }
  }
  Resolve(child, segments, i + 1, joined + std::string(seg), out);
}

bool IsEmpty(const json* v) {
  if (v == nullptr || v->is_null()) return true;
  if (v->is_string() && v->get_ref<const std::string&>().empty()) return true;
  if ((v->is_array() || v->is_object()) && v->empty()) return true;
  return false;
}

bool ParseDouble(const std::string& s, double& out) {
  if (s.empty()) return false;
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

bool IsNumeric(const json& v, double& out) {
  if (v.is_number()) {
    out = v.get<double>();
    return true;
  }
  if (v.is_string()) return ParseDouble(v.get_ref<const std::string&>(), out);
  return false;
}

bool IsInteger(const json& v) {
  if (v.is_number_integer()) return true;
  if (v.is_number_float()) {
    double d = v.get<double>();
    return d == static_cast<double>(static_cast<long long>(d));
  }
  if (v.is_string()) {
    static const std::regex kInt("^[+-]?[0-9]+$");
    return std::regex_match(v.get_ref<const std::string&>(), kInt);
  }
  return false;
}

bool IsBoolean(const json& v) {
  if (v.is_boolean()) return true;
  if (v.is_number_integer()) return v.get<long long>() == 0 || v.get<long long>() == 1;
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    return s == "0" || s == "1" || s == "true" || s == "false";
  }
  return false;
}

bool IsIp(const std::string& s) {
  unsigned char buf[sizeof(struct in6_addr)];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

bool IsEmail(const std::string& s) {
  static const std::regex kEmail(R"(^[^@\s]+@[^@\s]+$)");
  return std::regex_match(s, kEmail);
}

// Dates as PHP's strtotime commonly accepts them from devices: ISO 8601 date
// or date-time, with optional fraction and zone.
bool IsDate(const std::string& s) {
  static const std::regex kDate(
      R"(^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$)");
  return std::regex_match(s, kDate);
}

size_t Utf8Length(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

std::string FormatNumber(std::string_view text) { return std::string(text); }

enum class SizeKind { kString, kNumeric, kArray };

// The "size" Laravel compares max/min/between/size against.
double SizeOf(const json& v, SizeKind kind) {
  switch (kind) {
    case SizeKind::kNumeric: {
      double d = 0;
      IsNumeric(v, d);
      return d;
    }
    case SizeKind::kArray:
      return static_cast<double>(v.size());
    case SizeKind::kString:
      return v.is_string() ? static_cast<double>(Utf8Length(v.get_ref<const std::string&>()))
                           : static_cast<double>(Utf8Length(v.dump()));
  }
  return 0;
}

std::string ValueAsString(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "1" : "0";
  return v.dump();
}

// Returns the message for the first rule `v` fails, or "" when it passes.
std::string FirstFailure(const json& v, const std::vector<std::string_view>& rules,
                         const std::string& attr) {
  SizeKind kind = SizeKind::kString;
  for (auto r : rules) {
    if (r == "integer" || r == "numeric") kind = SizeKind::kNumeric;
    if (r == "array") kind = SizeKind::kArray;
  }
  const std::string a = "The " + attr + " field";
  for (auto rule : rules) {
    const size_t colon = rule.find(':');
    const std::string_view name = rule.substr(0, colon);
    const std::string_view arg = colon == std::string_view::npos ? "" : rule.substr(colon + 1);
    double num = 0;
    if (name == "required" || name == "nullable") {
      continue;
    } else if (name == "string") {
      if (!v.is_string()) return a + " must be a string.";
    } else if (name == "integer") {
      if (!IsInteger(v)) return a + " must be an integer.";
    } else if (name == "numeric") {
      if (!IsNumeric(v, num)) return a + " must be a number.";
    } else if (name == "boolean") {
      if (!IsBoolean(v)) return a + " must be true or false.";
    } else if (name == "array") {
      if (!v.is_array() && !v.is_object()) return a + " must be an array.";
    } else if (name == "ip") {
      if (!v.is_string() || !IsIp(v.get<std::string>())) return a + " must be a valid IP address.";
    } else if (name == "email") {
      if (!v.is_string() || !IsEmail(v.get<std::string>())) {
        return a + " must be a valid email address.";
      }
    } else if (name == "date") {
      if (!v.is_string() || !IsDate(v.get<std::string>())) return a + " must be a valid date.";
    } else if (name == "max" || name == "min" || name == "size") {
      double limit = 0;
      ParseDouble(std::string(arg), limit);
      const double size = SizeOf(v, kind);
      const std::string n = FormatNumber(arg);
      if (name == "max" && size > limit) {
        if (kind == SizeKind::kNumeric) return a + " must not be greater than " + n + ".";
        if (kind == SizeKind::kArray) return a + " must not have more than " + n + " items.";
        return a + " must not be greater than " + n + " characters.";
      }
      if (name == "min" && size < limit) {
        if (kind == SizeKind::kNumeric) return a + " must be at least " + n + ".";
        if (kind == SizeKind::kArray) return a + " must have at least " + n + " items.";
        return a + " must be at least " + n + " characters.";
      }
      if (name == "size" && size != limit) {
        if (kind == SizeKind::kNumeric) return a + " must be " + n + ".";
        if (kind == SizeKind::kArray) return a + " must contain " + n + " items.";
        return a + " must be " + n + " characters.";
      }
    } else if (name == "between") {
      auto bounds = Split(arg, ',');
      double lo = 0, hi = 0;
      ParseDouble(std::string(bounds.front()), lo);
      ParseDouble(std::string(bounds.back()), hi);
      const double size = SizeOf(v, kind);
      if (size < lo || size > hi) {
        std::string range = std::string(bounds.front()) + " and " + std::string(bounds.back());
        if (kind == SizeKind::kNumeric) return a + " must be between " + range + ".";
        if (kind == SizeKind::kArray) return a + " must have between " + range + " items.";
        return a + " must be between " + range + " characters.";
      }
    } else if (name == "in") {
      const std::string s = ValueAsString(v);
      bool found = false;
      for (auto option : Split(arg, ',')) found = found || option == s;
      if (!found) return "The selected " + attr + " is invalid.";
    } else {
      // A rule this validator does not know is a bug in the sim, not in the request.
      std::abort();
    }
  }
  return "";
}

}  // namespace

void FieldErrors::Add(const std::string& field, std::string message) {
  for (auto& [name, messages] : fields_) {
    if (name == field) {
      messages.push_back(std::move(message));
      return;
    }
  }
  fields_.push_back({field, {std::move(message)}});
}

void FieldErrors::AddAll(const FieldErrors& other) {
  for (const auto& [name, messages] : other.fields_) {
    for (const auto& m : messages) Add(name, m);
  }
}

bool FieldErrors::Has(const std::string& field) const {
  for (const auto& entry : fields_) {
    if (entry.first == field) return true;
  }
  return false;
}

size_t FieldErrors::message_count() const {
  size_t n = 0;
  for (const auto& entry : fields_) n += entry.second.size();
  return n;
}

nlohmann::ordered_json FieldErrors::ToJson() const {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& [name, messages] : fields_) out[name] = messages;
  return out;
}

std::string FieldErrors::Summary() const {
  if (fields_.empty()) return "";
  std::string first = fields_.front().second.front();
  const size_t more = message_count() - 1;
  if (more == 0) return first;
  return first + " (and " + std::to_string(more) + (more == 1 ? " more error)" : " more errors)");
}

void RequestValidator::Check(std::string_view path, std::string_view rules) {
  const auto rule_list = Split(rules, '|');
  bool required = false;
  for (auto r : rule_list) required = required || r == "required";
  std::vector<Located> located;
  Resolve(&input_, Split(path, '.'), 0, "", located);
  for (const auto& [concrete, value] : located) {
    if (IsEmpty(value)) {
      if (required) errors_.Add(concrete, "The " + AttributeName(concrete) + " field is required.");
      continue;
    }
    std::string message = FirstFailure(*value, rule_list, AttributeName(concrete));
    if (!message.empty()) errors_.Add(concrete, std::move(message));
  }
}

std::string AttributeName(std::string_view field) {
  std::string out(field);
  for (char& c : out) {
    if (c == '_') c = ' ';
  }
  return out;
}

std::string DetectImageType(std::string_view b) {
  auto starts = [&](std::string_view magic) { return b.substr(0, magic.size()) == magic; };
  if (starts("\xFF\xD8\xFF")) return "jpeg";
  if (starts("\x89PNG\r\n\x1A\n")) return "png";
  if (starts("GIF87a") || starts("GIF89a")) return "gif";
  if (starts("BM")) return "bmp";
  if (starts("RIFF") && b.size() >= 12 && b.substr(8, 4) == "WEBP") return "webp";
  return "";
}

void CheckImageFile(FieldErrors& errors, const std::string& field, bool present,
                    std::string_view bytes, std::string_view mimes, size_t max_kb) {
  const std::string a = "The " + AttributeName(field) + " field";
  if (!present || bytes.empty()) {
    errors.Add(field, a + " is required.");
    return;
  }
  const std::string type = DetectImageType(bytes);
  if (type.empty()) {
    errors.Add(field, a + " must be an image.");
    return;
  }
  bool allowed = false;
  for (auto m : Split(mimes, ',')) allowed = allowed || m == type || (type == "jpeg" && m == "jpg");
  if (!allowed) {
    std::string list;
    for (auto m : Split(mimes, ',')) list += (list.empty() ? "" : ", ") + std::string(m);
    errors.Add(field, a + " must be a file of type: " + list + ".");
    return;
  }
  if (bytes.size() > max_kb * 1024) {
    errors.Add(field, a + " must not be greater than " + std::to_string(max_kb) + " kilobytes.");
  }
}

}  // namespace rvm::sim
