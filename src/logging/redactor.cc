#include "logging/redactor.h"

#include <algorithm>
#include <cctype>
#include <regex>

namespace rvm {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Cheap pre-check: the patterns below cannot match text that has none of
// these words, and most log lines have none, so most lines skip the regexes.
bool MayHoldCredential(std::string_view text) {
  const std::string lower = Lower(text);
  for (std::string_view word : {"auth", "bearer", "key", "token", "pass", "pwd", "secret", "@"}) {
    if (lower.find(word) != std::string::npos) return true;
  }
  return false;
}

// A credential name followed by a separator: `name=`, `name: `, `"name":`,
// `'name' = `. Group 1 is everything up to the value.
constexpr char kKeyedValue[] =
    R"(([a-z0-9_.-]*(?:api[_-]?key|password|passwd|pwd|secret|token)["']?\s*[:=]\s*))";
// `Authorization: Bearer x`, `authorization=x`, `"Authorization":"Basic x"`.
constexpr char kAuthorization[] =
    R"((authorization["']?\s*[:=]\s*["']?(?:(?:bearer|basic|token|digest)\s+)?))";
// A bare bearer credential anywhere: `Bearer eyJ...`.
constexpr char kBearer[] = R"((\bbearer\s+))";
// `scheme://user:password@host`.
constexpr char kUrlUserInfo[] = R"((://[^/\s:@]+:))";

struct Pattern {
  std::regex prefix_and_value;
  bool value_may_be_quoted;
};

const std::vector<Pattern>& Patterns() {
  static const std::vector<Pattern> patterns = [] {
    const auto flags = std::regex::ECMAScript | std::regex::icase | std::regex::optimize;
    // The value: a quoted string (kept quoted, so JSON stays JSON) or a run
    // of characters up to whitespace, a quote or a list separator.
    const std::string quoted_or_bare = R"(("(?:[^"\\]|\\.)*"|'[^']*'|[^\s"'&,;]+))";
    std::vector<Pattern> p;
    p.push_back({std::regex(std::string(kAuthorization) + R"(([^\s"',;&]+))", flags), false});
    p.push_back({std::regex(std::string(kBearer) + R"(([A-Za-z0-9\-._~+/]+=*))", flags), false});
    p.push_back({std::regex(std::string(kKeyedValue) + quoted_or_bare, flags), true});
    p.push_back({std::regex(std::string(kUrlUserInfo) + R"(([^/\s@]+)@)", flags), false});
    return p;
  }();
  return patterns;
}

// Replaces group 2 of every match of `pattern` by the mask.
std::string MaskPattern(const std::string& text, const Pattern& pattern) {
  std::string out;
  auto last = text.cbegin();
  for (std::sregex_iterator it(text.cbegin(), text.cend(), pattern.prefix_and_value), end;
       it != end; ++it) {
    const std::smatch& m = *it;
    out.append(last, m[2].first);
    const std::string_view value(&*m[2].first, static_cast<size_t>(m[2].length()));
    if (value == Redactor::kMask || value == "\"<redacted>\"") {
      out.append(value);  // already masked by an earlier rule
    } else if (pattern.value_may_be_quoted && !value.empty() &&
               (value.front() == '"' || value.front() == '\'')) {
      out += value.front();
      out += Redactor::kMask;
      out += value.front();
    } else {
      out += Redactor::kMask;
    }
    last = m[2].second;
  }
  out.append(last, text.cend());
  return out;
}

}  // namespace

Redactor::Redactor(std::vector<std::string> secrets) : secrets_(std::move(secrets)) {
  std::erase_if(secrets_, [](const std::string& s) { return s.empty(); });
  std::sort(secrets_.begin(), secrets_.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() > b.size() : a < b;
  });
  secrets_.erase(std::unique(secrets_.begin(), secrets_.end()), secrets_.end());
}

std::string Redactor::MaskSecrets(std::string_view text) const {
  if (secrets_.empty()) return std::string(text);
  // One left-to-right pass over the original text, so the mask itself is
  // never searched for secrets.
  auto word_char = [&text](size_t at) {
    return at < text.size() && std::isalnum(static_cast<unsigned char>(text[at])) != 0;
  };
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const std::string* hit = nullptr;
    for (const std::string& s : secrets_) {
      if (text.substr(i).starts_with(s) &&
          (s.size() >= kMinEmbeddedSecret ||
           ((i == 0 || !word_char(i - 1)) && !word_char(i + s.size())))) {
        hit = &s;
        break;
      }
    }
    if (hit != nullptr) {
      out += kMask;
      i += hit->size();
    } else {
      out += text[i++];
    }
  }
  return out;
}

std::string Redactor::Redact(std::string_view text) const {
  std::string out = MaskSecrets(text);
  if (!MayHoldCredential(out)) return out;
  for (const Pattern& pattern : Patterns()) out = MaskPattern(out, pattern);
  return out;
}

std::string Redactor::RedactField(std::string_view key, std::string_view value) const {
  if (IsCredentialKey(key)) return std::string(kMask);
  return Redact(value);
}

bool Redactor::IsCredentialKey(std::string_view key) {
  static const std::regex credential(
      R"([a-z0-9_.-]*(?:api[_-]?key|password|passwd|pwd|secret|token|authorization|credentials?))",
      std::regex::ECMAScript | std::regex::icase | std::regex::optimize);
  return std::regex_match(key.begin(), key.end(), credential);
}

}  // namespace rvm
