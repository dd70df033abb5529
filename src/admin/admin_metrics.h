// AdminMetrics: the service's Prometheus metrics. Two kinds of series:
//
//  * observed: per-stage latency and batch-size histograms and decided-item
//    counters, fed by the pipeline through the PipelineObserver hooks (and
//    uplink request latency through OnUplinkRequest) into a prometheus-cpp
//    registry. The hooks are lock-free on the hot path (atomic adds on
//    pre-created series).
//  * read at scrape time: every counter and gauge that ServiceStatus and
//    SystemProbe already keep (frames, queues, pool, outbox, uplink, process,
//    machine). They are built fresh on each scrape (StatusFamilies), so they
//    can never drift from the service's own counters, and a sensor the
//    machine lacks is simply not emitted.
//
// Names follow Prometheus conventions: `rvm_` prefix, base units in the name
// (`_seconds`, `_bytes`, `_celsius`, `_ratio`), `_total` for counters.
// docs/operations.md lists them all.
//
// Thread-safety: the hooks and Render/StageLatencies may run concurrently
// from any threads.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "admin/system_probe.h"
#include "ops/service_control.h"
#include "pipeline/pipeline_observer.h"

namespace rvm::admin {

// One stage's latency so far, from its histogram (quantiles interpolated
// within buckets, as Prometheus' histogram_quantile does).
struct StageLatency {
  std::string stage;
  uint64_t count = 0;
  double sum_ms = 0;
  double p50_ms = 0, p90_ms = 0, p99_ms = 0;
};

// The q-quantile (q in [0, 1]) of a cumulative-bucket histogram, in the
// histogram's unit; 0 when it is empty. Observations above the last finite
// bound are reported as that bound.
double HistogramQuantile(const prometheus::ClientMetric::Histogram& h, double q);

// The scrape-time series of a status and a system sample.
std::vector<prometheus::MetricFamily> StatusFamilies(const ops::ServiceStatus& status,
                                                     const SystemSample& system);

class AdminMetrics final : public PipelineObserver {
 public:
  AdminMetrics();
  AdminMetrics(const AdminMetrics&) = delete;
  AdminMetrics& operator=(const AdminMetrics&) = delete;

  // PipelineObserver
  void OnStage(std::string_view stage, double ms) override;
  void OnBatch(int size) override;
  void OnDecision(const Decision& decision) override;

  // One request the uplink made to the platform: its latency and whether it
  // got a usable answer. For the platform client to call; the series appear
  // with the first request.
  void OnUplinkRequest(double ms, bool ok);

  // Observed stages, pipeline order first ("capture", "queue", "inference",
  // "decide"), then any other stage by name; stages never observed are left out.
  std::vector<StageLatency> StageLatencies() const;

  // Everything, in the Prometheus text exposition format (version 0.0.4).
  std::string Render(const ops::ServiceStatus& status, const SystemSample& system) const;

 private:
  prometheus::Histogram& StageHistogram(std::string_view stage);

  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Histogram>& stages_;
  prometheus::Family<prometheus::Histogram>& batch_sizes_;
  prometheus::Family<prometheus::Counter>& decided_;
  prometheus::Family<prometheus::Histogram>& uplink_latency_;
  prometheus::Family<prometheus::Counter>& uplink_outcomes_;

  static constexpr std::array<std::string_view, 4> kStages = {"capture", "queue", "inference",
                                                              "decide"};
  std::array<prometheus::Histogram*, kStages.size()> known_stages_{};
  prometheus::Histogram* batch_size_ = nullptr;
  // [material index, unknown last][accepted]
  std::array<std::array<prometheus::Counter*, 2>, 5> decided_by_material_{};

  mutable std::mutex mu_;
  std::map<std::string, prometheus::Histogram*, std::less<>> other_stages_;  // guarded by mu_
  std::atomic<prometheus::Histogram*> uplink_histogram_{nullptr};
  std::atomic<prometheus::Counter*> uplink_ok_{nullptr};
  std::atomic<prometheus::Counter*> uplink_failed_{nullptr};
};

}  // namespace rvm::admin
