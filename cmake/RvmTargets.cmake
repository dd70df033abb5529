include(GoogleTest)

# rvm_library(NAME SOURCES... [DEPS targets...])
# A module library: static, include root at src/ (so includes read "vision/nms.h").
function(rvm_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC "${CMAKE_SOURCE_DIR}/src")
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
endfunction()

# rvm_test(NAME SOURCES... [DEPS targets...] [LABELS labels...])
# A GoogleTest binary registered with ctest. Tests learn where the shared data
# lives from RVM_SHARED_DIR; slow or fault-injection suites carry a label.
function(rvm_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
    RVM_SHARED_DIR="${RVM_SHARED_DIR}" RVM_SOURCE_DIR="${CMAKE_SOURCE_DIR}"
    RVM_BINARY_DIR="${CMAKE_BINARY_DIR}")
  set(props ENVIRONMENT "RVM_SHARED_DIR=${RVM_SHARED_DIR}")
  if(ARG_LABELS)
    list(APPEND props LABELS "${ARG_LABELS}")
  endif()
  gtest_discover_tests(${name} PROPERTIES ${props} DISCOVERY_TIMEOUT 60)
endfunction()
