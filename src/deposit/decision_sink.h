// DecisionSink: where decisions and session summaries go once made.
//
// The seam between the deposit logic and storage. Implementations: the durable
// outbox (uplink/outbox_sink.h, what `rvm-edge run` uses), a JSON-lines file or
// standard output (JsonLinesSink, in decision_sink.cc: this module's one writer
// of files), and an in-memory sink for tests.
// A sink that returns OK from Write has taken responsibility for the record;
// what survives a crash depends on the sink (JsonLinesSink: lines written
// before the last successful Flush()).
// An error from Write (or WriteSessionSummary) must mean that nothing was made
// durable: the caller treats the item as not taken and hands it back, so a
// record kept anyway would be delivered and credited for an item the person
// still holds. A sink made of several (app/tee_sink.h) therefore answers with
// its commit point's status alone and never turns a side log's failure into
// an error. The one outcome no sink can know is an I/O error while the
// outbox's COMMIT is being synced: the transaction may or may not be on disk
// (docs/outbox.md, "A failed commit").
//
// Implementations must be thread-safe: the pipeline writes decisions while the
// admin API may close a session.
#pragma once

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

#include "base/status.h"
#include "deposit/decision.h"
#include "deposit/session.h"

namespace rvm {

class DecisionSink {
 public:
  virtual ~DecisionSink() = default;
  virtual Status Write(const Decision& decision) = 0;
  virtual Status WriteSessionSummary(const SessionSummary& summary) = 0;
  // Makes everything written so far durable (as far as the sink can).
  virtual Status Flush() = 0;
  // Whether the sink can take new decisions now. A sink backed by bounded
  // storage (the outbox at its quota, a full disk) says false, and the
  // DecisionRecorder rejects items (out_of_service) instead of taking in
  // deposits it may not be able to keep. Cheap and thread-safe; the recorder
  // asks once per item.
  virtual bool Accepting() { return true; }
};

// One JSON object per line: DecisionToJson / SessionSummaryToJson. Each line
// is handed to the operating system when written (so a crash of this process
// loses nothing written); Flush() also fsyncs a file (so a power cut loses
// nothing flushed). Errors name the path.
class JsonLinesSink final : public DecisionSink {
 public:
  // Appends to `path`, creating it; "-" writes to standard output.
  static Result<std::unique_ptr<JsonLinesSink>> Open(const std::string& path);
  ~JsonLinesSink() override;

  Status Write(const Decision& decision) override;
  Status WriteSessionSummary(const SessionSummary& summary) override;
  Status Flush() override;

 private:
  JsonLinesSink(std::string path, std::FILE* file, bool owned)
      : path_(std::move(path)), file_(file), owned_(owned) {}
  Status WriteLine(const std::string& line);

  const std::string path_;
  std::mutex mu_;
  std::FILE* const file_;  // guarded by mu_
  const bool owned_;       // false for stdout
};

}  // namespace rvm
