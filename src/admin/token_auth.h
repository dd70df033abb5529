// Token authentication for the admin server: where a request may carry the
// admin token, and a comparison whose time does not depend on where the
// token differs. Pure functions over strings; thread-safe.
//
// A request presents the token in one of three places:
//   * `Authorization: Bearer <token>` (scripts, curl, the dashboard's fetches);
//   * the `token` query parameter (`/?token=...`, links and image URLs);
//   * the `rvm_admin_token` cookie, set by the dashboard page; accepted on GET
//     requests only, so a cross-site form cannot use it to change state.
#pragma once

#include <string>
#include <string_view>

namespace rvm::admin {

// The cookie the dashboard page sets when it is opened with a valid `?token=`.
inline constexpr std::string_view kTokenCookie = "rvm_admin_token";

// True when `a` and `b` are equal. The time taken depends only on the two
// lengths, never on the position of the first differing byte.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// The token of an `Authorization` header value "Bearer <token>" (scheme
// case-insensitive, surrounding blanks ignored); empty when the header is
// absent or uses another scheme.
std::string_view BearerToken(std::string_view authorization);

// The value of cookie `name` in a `Cookie` header value ("a=1; b=2"); empty
// when absent.
std::string_view CookieValue(std::string_view cookie_header, std::string_view name);

// What a request offered, by place; any of them may be empty.
struct PresentedToken {
  std::string_view bearer;  // from Authorization
  std::string_view query;   // from ?token=
  std::string_view cookie;  // from the cookie (GET only; see above)
};

enum class AuthResult {
  kOk,
  kMissing,        // no token presented
  kWrong,          // a token was presented and it is not the configured one
  kNotConfigured,  // the service has no admin token: protected endpoints are refused
};

// Checks the presented tokens against `expected` (empty = no admin token
// configured). Every presented token is compared, each in constant time.
AuthResult CheckToken(const PresentedToken& presented, std::string_view expected);

}  // namespace rvm::admin
