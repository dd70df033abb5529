# Third-party dependencies: Debian packages, plus the ONNX Runtime SDK that
# scripts/install-deps.sh extracts into third_party/onnxruntime.
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
find_package(OpenCV 4 REQUIRED COMPONENTS core imgproc imgcodecs videoio dnn)
find_package(nlohmann_json 3 REQUIRED)
find_package(GTest REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(JPEG REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(fmt REQUIRED)

set(RVM_ORT_DIR "${CMAKE_SOURCE_DIR}/third_party/onnxruntime" CACHE PATH "ONNX Runtime SDK root")
if(NOT EXISTS "${RVM_ORT_DIR}/lib/libonnxruntime.so")
  message(FATAL_ERROR "ONNX Runtime SDK not found in ${RVM_ORT_DIR}; run scripts/install-deps.sh (or `make deps`)")
endif()
add_library(onnxruntime SHARED IMPORTED GLOBAL)
set_target_properties(onnxruntime PROPERTIES
  IMPORTED_LOCATION "${RVM_ORT_DIR}/lib/libonnxruntime.so.1"
  IMPORTED_SONAME "libonnxruntime.so.1"
  INTERFACE_INCLUDE_DIRECTORIES "${RVM_ORT_DIR}/include")
# Binaries find the runtime next to the build without LD_LIBRARY_PATH.
set(CMAKE_BUILD_RPATH "${RVM_ORT_DIR}/lib")
set(CMAKE_INSTALL_RPATH "$ORIGIN/../lib/rvm-edge")
