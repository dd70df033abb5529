#include "config/default_model.h"

namespace rvm {

const char* DefaultModelFile() { return "models/rvm-containers.onnx"; }

}  // namespace rvm
