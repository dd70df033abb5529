// StateLog: one log line per change of state, not one per attempt. The
// uplink, the heartbeat and the handshake report every outcome here; a line
// is written only when a subject's state differs from the last one reported
// ("platform" unreachable -> reachable), so an outage costs two lines, not
// one per retry. A subject that flaps is rate-limited as well: at most
// `burst` lines per subject, refilled one per `refill`; changes held back are
// counted and the next line written carries `suppressed_changes`, so a long
// outage cannot fill the disk however its state bounces.
//
// Lines go to the redacting service log (logging.h) unless a sink is given
// (tests). Not synchronised: each owner (a delivery or heartbeat thread)
// keeps its own.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "logging/log_record.h"

namespace rvm {

struct StateLogOptions {
  int burst = 10;                                  // lines per subject before limiting
  std::chrono::milliseconds refill{5 * 60 * 1000};  // one more line per this, per subject
};

class StateLog {
 public:
  using Sink = std::function<void(LogLevel, std::string_view component, std::string_view message,
                                  const std::vector<LogField>& fields)>;

  // `sink` null: the service log.
  StateLog(std::string component, const Clock& clock, StateLogOptions options = {},
           Sink sink = nullptr);

  // Takes `state` as the subject's current state without writing a line (the
  // state a service starts in, which is not news).
  void Seed(std::string_view subject, std::string_view state);
  // Writes `message` (with `fields`) when `state` differs from the subject's
  // last reported state and the subject's budget allows; returns true when a
  // line was written. The state is taken either way.
  bool Report(std::string_view subject, std::string_view state, LogLevel level,
              std::string_view message, std::vector<LogField> fields = {});
  // The subject's last reported state; "" before the first.
  std::string state(std::string_view subject) const;

 private:
  struct Subject {
    std::string state;
    double tokens = 0;
    std::chrono::steady_clock::time_point refilled{};
    int64_t suppressed = 0;
  };

  const std::string component_;
  const Clock& clock_;
  const StateLogOptions options_;
  const Sink sink_;
  std::map<std::string, Subject, std::less<>> subjects_;
};

}  // namespace rvm
