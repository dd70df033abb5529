// Fault injection for the platform sim.
//
// FaultSettings says which failures the sim injects into device API requests
// (never into the /sim/* control endpoints). Each fault kind fires either for
// the next N matching requests ("*_next", consumed first) or with a
// probability per request ("*_rate", drawn from a seeded RNG so a test run is
// reproducible). At most one fault fires per request, in the order of
// FaultKind below; added latency applies to every matching request on top.
//
// FaultInjector turns settings into one decision per request. It is pure (no
// sleeping, no sockets) and thread-safe: Decide() and the setters take an
// internal mutex, so HTTP worker threads share one injector.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <mutex>
#include <random>
#include <string>

#include "base/status.h"

namespace rvm::sim {

enum class FaultKind {
  kNone = 0,
  kReset,          // the TCP connection is reset without a response
  kHang,           // the response is held for hang_ms (far beyond client timeouts)
  kRateLimit,      // 429 with Retry-After, request not processed
  kError,          // 500 or 503 with a JSON error body, request not processed
  kHtmlBody,       // an HTML page (text/html) with html_status, request not processed
  kMalformedJson,  // request processed, then a 200 whose JSON body is cut short
};

const char* FaultKindName(FaultKind kind);

// One trigger: the next `next` requests, else each request with probability `rate`.
struct FaultTrigger {
  int64_t next = 0;  // requests still to be hit, counted down as they are
  double rate = 0;   // 0..1
};

struct FaultSettings {
  int64_t latency_ms = 0;  // added before every matching API response
  FaultTrigger reset;
  FaultTrigger hang;
  FaultTrigger rate_limit;
  FaultTrigger error;
  FaultTrigger html_body;
  FaultTrigger malformed_json;
  int64_t hang_ms = 30'000;   // how long a hung response is held (Stop() cuts it short)
  int64_t retry_after_s = 1;  // Retry-After value sent with 429
  int error_status = 0;       // 500 or 503; 0 alternates between the two
  int html_status = 200;      // status sent with the HTML page
  // When true, a reset or hung request is processed (stored) first, so the
  // client's retry meets the dedupe path; when false it is dropped unprocessed.
  bool process_before_fault = true;
  // Faults and latency apply only to request paths containing this text ("" = all).
  std::string path_filter;
  uint64_t seed = 1;
};

// Parses the JSON accepted by POST /sim/faults and the --faults flag. Keys
// absent from `json` keep their value from `base`; an unknown key or a bad
// value is an error naming the key. The one-shot action "expire_tokens" is not
// a setting and is ignored here.
Result<FaultSettings> ParseFaultSettings(const nlohmann::json& json, const FaultSettings& base);
nlohmann::json FaultSettingsToJson(const FaultSettings& settings);

// What to do to one request; the settings a fault needs are copied in, so the
// caller acts on a consistent snapshot even if the settings change meanwhile.
struct FaultDecision {
  FaultKind kind = FaultKind::kNone;
  int64_t latency_ms = 0;
  int status = 0;  // kError: 500/503; kHtmlBody: html_status
  int64_t hang_ms = 0;
  int64_t retry_after_s = 0;
  bool process_before_fault = true;
};

class FaultInjector {
 public:
  explicit FaultInjector(FaultSettings settings = {});

  // Replaces the settings and reseeds the RNG from settings.seed.
  void Set(FaultSettings settings);
  FaultSettings Get() const;

  // The fault for one API request to `path`; counts it as injected.
  FaultDecision Decide(const std::string& path);

  // Faults injected so far, by kind name ("latency" counts delayed requests).
  std::map<std::string, int64_t> InjectedCounts() const;
  void ResetCounts();

 private:
  bool Fire(FaultTrigger& trigger);

  mutable std::mutex mu_;
  FaultSettings settings_;                 // guarded by mu_
  std::mt19937_64 rng_;                    // guarded by mu_
  std::map<std::string, int64_t> counts_;  // guarded by mu_
  int64_t errors_sent_ = 0;                // guarded by mu_; alternates 500/503
};

}  // namespace rvm::sim
