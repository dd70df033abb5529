# ctest install_tree: installs the build into a scratch DESTDIR with prefix
# /opt/rvm and checks the tree. Arguments: BUILD_DIR, STAGE_DIR, BINARIES
# (the binaries this build installs), SYSCONFDIR, SOURCE_DIR (for the shipped models),
# EMULATOR (a cross build's CMAKE_CROSSCOMPILING_EMULATOR, empty otherwise).
set(prefix "/opt/rvm")
file(REMOVE_RECURSE "${STAGE_DIR}")

function(install_once)
  execute_process(
    COMMAND ${CMAKE_COMMAND} -E env "DESTDIR=${STAGE_DIR}"
            ${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${prefix}"
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "cmake --install failed (${rc}):\n${out}\n${err}")
  endif()
endfunction()

function(expect_file path)
  if(NOT EXISTS "${STAGE_DIR}${path}")
    message(FATAL_ERROR "not installed: ${path}")
  endif()
endfunction()

function(expect_contains path text)
  expect_file("${path}")
  file(READ "${STAGE_DIR}${path}" content)
  string(FIND "${content}" "${text}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${path} lacks '${text}'")
  endif()
endfunction()

install_once()

set(unit "${prefix}/lib/systemd/system/rvm-edge.service")
expect_contains("${unit}" "ExecStart=${prefix}/bin/rvm-edge run --config ${SYSCONFDIR}/rvm-edge.toml")
expect_contains("${unit}" "Type=notify")
file(READ "${STAGE_DIR}${unit}" content)
if(content MATCHES "/usr/local/")
  message(FATAL_ERROR "${unit} still names /usr/local")
endif()
expect_contains("${prefix}/lib/sysusers.d/rvm-edge.conf" "u rvm-edge")
expect_contains("${SYSCONFDIR}/rvm-edge.toml" "[detector]")
foreach(doc README.md rvm-edge.example.toml rvm-edge.toml rvm-edge.env.example)
  expect_file("${prefix}/share/doc/rvm-edge/${doc}")
endforeach()

# The shipped models, where the binaries look for their default model.
file(GLOB shipped_models RELATIVE "${SOURCE_DIR}/models" "${SOURCE_DIR}/models/*.onnx")
foreach(model ${shipped_models})
  expect_file("${prefix}/share/rvm-edge/models/${model}")
endforeach()

foreach(binary ${BINARIES})
  expect_file("${prefix}/bin/${binary}")
  # The installed binary must find its ONNX Runtime through the RPATH alone
  # (a cross build runs it under its emulator, CMAKE_CROSSCOMPILING_EMULATOR).
  execute_process(COMMAND ${EMULATOR} "${STAGE_DIR}${prefix}/bin/${binary}" --help
                  RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "installed ${binary} --help failed (${rc}): ${err}")
  endif()
endforeach()
if(BINARIES)
  expect_file("${prefix}/lib/rvm-edge/libonnxruntime.so.1")
endif()

# A second install keeps an edited configuration.
file(APPEND "${STAGE_DIR}${SYSCONFDIR}/rvm-edge.toml" "# operator edit\n")
install_once()
expect_contains("${SYSCONFDIR}/rvm-edge.toml" "# operator edit")

file(REMOVE_RECURSE "${STAGE_DIR}")
message(STATUS "install tree OK under ${prefix}")
