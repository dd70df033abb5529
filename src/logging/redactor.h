// Redactor: removes credentials from log text before it is written anywhere.
//
// Two rules, both applied to every message and every field value:
//  - each configured secret value (admin token, uplink API key, password,
//    bearer token) is replaced by kMask wherever it occurs; one shorter than
//    kMinEmbeddedSecret characters only where it stands alone (not inside a
//    longer run of letters and digits), so that a toy key such as "k" does
//    not mask every "k" of the log;
//  - common credential shapes are masked even when the value is not a known
//    secret: `Authorization: Bearer ...`, `Bearer ...`, `X-API-Key: ...`,
//    `password=...`, `"password":"..."`, `api_key`, `token` and `secret` keys
//    in key=value, header and JSON form, and `user:password@` in URLs.
// A field whose key itself names a credential ("token", "api_key",
// "password", ...) has its whole value masked.
//
// The logging formatter (log_formatter.h) is the one place every line passes
// through, and it applies this; callers never need to. Immutable after
// construction; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace rvm {

class Redactor {
 public:
  static constexpr std::string_view kMask = "<redacted>";
  // Secrets at least this long are masked inside words too.
  static constexpr size_t kMinEmbeddedSecret = 8;

  // Empty values are ignored; the rest are matched exactly (case-sensitive),
  // short ones where they stand alone (above).
  explicit Redactor(std::vector<std::string> secrets = {});

  // `text` with secrets and credential patterns masked.
  std::string Redact(std::string_view text) const;

  // The value of field `key`: fully masked when the key names a credential,
  // else Redact(value).
  std::string RedactField(std::string_view key, std::string_view value) const;

  // Whether a field or header name denotes a credential ("api_key",
  // "X-API-Key", "refresh_token", "password", "authorization", ...).
  static bool IsCredentialKey(std::string_view key);

 private:
  std::string MaskSecrets(std::string_view text) const;

  std::vector<std::string> secrets_;  // longest first, so a secret containing another wins
};

}  // namespace rvm
