// From the parsed configuration (config/config.h) to the options of the
// pieces the service is built from: the capture source, the detector and the
// pipeline. Kept apart from the pieces themselves so that each module reads
// only its own plain options struct. Pure functions; thread-safe.
#pragma once

#include "base/status.h"
#include "capture/source_factory.h"
#include "config/config.h"
#include "config/runtime_settings.h"
#include "inference/detector.h"
#include "pipeline/pipeline.h"

namespace rvm {

// [capture] -> CaptureOptions (source kind, device/uri/path, size, rate,
// reconnect policy). Fails on an unknown source kind.
Result<CaptureOptions> CaptureOptionsFromConfig(const CaptureConfig& c);

// [detector] -> DetectorOptions. Fails on an unknown model family.
Result<DetectorOptions> DetectorOptionsFromConfig(const DetectorConfig& d);

// [pipeline], [tracker] and the scheduling/motion keys of [capture].
PipelineOptions PipelineOptionsFromConfig(const Config& config);

// `options` with the scheduling and motion keys of `settings` (the part of
// PipelineOptions that may change while the pipeline runs).
PipelineOptions PipelineOptionsWith(PipelineOptions options, const RuntimeSettings& settings);

}  // namespace rvm
