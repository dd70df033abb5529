#include "admin/token_auth.h"

#include <algorithm>
#include <cctype>

namespace rvm::admin {

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  // Walk the longer of the two so a short guess costs as much as a long one;
  // the length difference itself is folded into the result.
  const size_t n = std::max(a.size(), b.size());
  volatile unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff = diff | (x ^ y);
  }
  return diff == 0;
}

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::string_view BearerToken(std::string_view authorization) {
  authorization = Trim(authorization);
  const size_t space = authorization.find(' ');
  if (space == std::string_view::npos) return {};
  if (!EqualsIgnoreCase(authorization.substr(0, space), "bearer")) return {};
  return Trim(authorization.substr(space + 1));
}

std::string_view CookieValue(std::string_view cookie_header, std::string_view name) {
  while (!cookie_header.empty()) {
    const size_t semi = cookie_header.find(';');
    const std::string_view pair = Trim(cookie_header.substr(0, semi));
    const size_t eq = pair.find('=');
    if (eq != std::string_view::npos && Trim(pair.substr(0, eq)) == name) {
      return Trim(pair.substr(eq + 1));
    }
    if (semi == std::string_view::npos) break;
    cookie_header.remove_prefix(semi + 1);
  }
  return {};
}

AuthResult CheckToken(const PresentedToken& presented, std::string_view expected) {
  if (expected.empty()) return AuthResult::kNotConfigured;
  bool any = false;
  bool match = false;
  for (std::string_view t : {presented.bearer, presented.query, presented.cookie}) {
    if (t.empty()) continue;
    any = true;
    // No short-circuit: every presented token costs one full comparison.
    match = ConstantTimeEquals(t, expected) || match;
  }
  if (!any) return AuthResult::kMissing;
  return match ? AuthResult::kOk : AuthResult::kWrong;
}

}  // namespace rvm::admin
