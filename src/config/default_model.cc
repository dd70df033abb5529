#include "config/default_model.h"

namespace rvm {

const char* DefaultModelFile() { return "models/yolox_nano.onnx"; }

}  // namespace rvm
