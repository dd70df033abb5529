// The default detection model: the one home of its path, relative to the
// project's source tree and to an installation's data directory
// (<prefix>/share/rvm-edge). `detector.model_path` defaults to it (relative
// to the service's working directory), and the command line resolves it to a
// file that exists (app/detector_flags.h, DefaultModelPath).
#pragma once

namespace rvm {

// "models/rvm-containers.onnx": the project's own can and PET bottle
// detector (docs/model-card.md).
const char* DefaultModelFile();

}  // namespace rvm
