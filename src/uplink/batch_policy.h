// Batch assembly: when a batch of records is worth sending. A batch goes out
// once it holds `max_records`, or once its oldest record has waited
// `max_delay_ms` (so a quiet machine still delivers within that bound).
// During a backlog replay every batch is full at once. Pure and thread-safe.
#pragma once

#include <cstdint>

namespace rvm::uplink {

struct BatchOptions {
  int max_records = 50;         // records per request, >= 1
  int64_t max_delay_ms = 2000;  // longest a record waits for its batch to fill, ms
};

// `count` records are waiting; the oldest has waited `oldest_wait_ms`.
inline bool ShouldSendBatch(int count, int64_t oldest_wait_ms, const BatchOptions& options) {
  if (count <= 0) return false;
  return count >= options.max_records || oldest_wait_ms >= options.max_delay_ms;
}

}  // namespace rvm::uplink
