// Request validation in the style of the platform's Laravel servers.
//
// RequestValidator checks a JSON request body against Laravel-like rule
// strings ("required|string|max:100") and collects field errors with the
// messages Laravel produces, so the sim answers a bad request with the same
// 422 shapes the real servers send (platform-api.md A1 and B1). Dotted paths
// address nested values and "*" expands over array elements
// ("detections.*.class"). Multipart files are checked with CheckImageFile.
//
// Pure code: no I/O. A RequestValidator is a plain value used by one thread.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rvm::sim {

// Field name -> messages, in the order the rules ran (JSON objects keep order
// in the responses, which makes "the first error" well defined).
class FieldErrors {
 public:
  void Add(const std::string& field, std::string message);
  // Appends every message of `other`, keeping its order.
  void AddAll(const FieldErrors& other);
  bool empty() const { return fields_.empty(); }
  bool Has(const std::string& field) const;
  size_t message_count() const;
  // {"field": ["msg", ...], ...}
  nlohmann::ordered_json ToJson() const;
  // Laravel's summary: "<first message> (and N more errors)".
  std::string Summary() const;

 private:
  std::vector<std::pair<std::string, std::vector<std::string>>> fields_;
};

class RequestValidator {
 public:
  explicit RequestValidator(const nlohmann::json& input) : input_(input) {}

  // Applies `rules` (Laravel syntax, '|'-separated) to the value at `path`.
  // Supported rules: required, nullable, string, integer, numeric, boolean,
  // array, ip, email, date, max:N, min:N, between:A,B, size:N, in:a,b,...
  // A field reports at most one message: the first rule it fails.
  void Check(std::string_view path, std::string_view rules);

  // Adds an error found by the caller (an "exists" rule, a cross-field rule).
  void Fail(const std::string& field, std::string message) {
    errors_.Add(field, std::move(message));
  }

  const FieldErrors& errors() const { return errors_; }
  bool ok() const { return errors_.empty(); }

 private:
  const nlohmann::json& input_;
  FieldErrors errors_;
};

// The attribute name Laravel prints for a field: "hardware_id" -> "hardware id".
std::string AttributeName(std::string_view field);

// What an uploaded file's bytes are, by their magic number: "jpeg", "png",
// "gif", "bmp", "webp", or "" when none of those.
std::string DetectImageType(std::string_view bytes);

// Laravel's `required|image|mimes:<mimes>|max:<max_kb>` for an uploaded file.
// `present` is false when the multipart field is missing. `mimes` lists the
// accepted extensions ("jpeg,jpg,png").
void CheckImageFile(FieldErrors& errors, const std::string& field, bool present,
                    std::string_view bytes, std::string_view mimes, size_t max_kb);

}  // namespace rvm::sim
