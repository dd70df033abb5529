# Install rules: `cmake --install <build> [--prefix P]` (or `make install
# PREFIX=P DESTDIR=D`) puts the agent, the platform simulator, the ONNX
# Runtime library they load, the systemd unit, the sysusers.d entry, the
# production configuration and the documentation in place:
#
#   <prefix>/bin/rvm-edge, rvm-edge-bench (what `rvm-edge bench` runs), rvm-platform-sim
#   <prefix>/lib/rvm-edge/libonnxruntime.so.1       (the binaries' RPATH), and any
#                        libonnxruntime_providers_*.so beside it (GPU providers)
#   <prefix>/lib/systemd/system/rvm-edge.service     (paths rewritten to <prefix>)
#   <prefix>/lib/sysusers.d/rvm-edge.conf
#   <prefix>/share/doc/rvm-edge/                     (README, example configs, docs)
#   <prefix>/share/rvm-edge/models/                  (the shipped models; where
#                                                     DefaultModelPath() looks first)
#   /etc/rvm-edge/rvm-edge.toml                      (only if absent: an edited one stays)
#
# The configuration goes to /etc whatever the prefix, because the unit's
# ConfigurationDirectory= is /etc/rvm-edge. DESTDIR is honoured everywhere.
# Binaries are installed only when they are part of the build (RVM_ONLY_DIRS).
include(GNUInstallDirs)

set(RVM_INSTALL_SYSCONFDIR "/etc/rvm-edge" CACHE PATH "Where the service configuration is installed")
set(RVM_INSTALL_DOCDIR "${CMAKE_INSTALL_DATADIR}/doc/rvm-edge")

set(rvm_installed_binaries "")
foreach(target rvm-edge rvm-edge-bench rvm-platform-sim)
  if(TARGET ${target})
    install(TARGETS ${target} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
    list(APPEND rvm_installed_binaries ${target})
  endif()
endforeach()
if(rvm_installed_binaries)
  # Matches CMAKE_INSTALL_RPATH ($ORIGIN/../lib/rvm-edge) in cmake/Dependencies.cmake.
  install(FILES "${RVM_ORT_DIR}/lib/libonnxruntime.so.1" DESTINATION lib/rvm-edge)
  # GPU execution providers, when the runtime has them beside it (docs/jetson.md):
  # ONNX Runtime loads them from its own library's directory.
  file(GLOB rvm_ort_providers "${RVM_ORT_DIR}/lib/libonnxruntime_providers_*.so")
  if(rvm_ort_providers)
    install(FILES ${rvm_ort_providers} DESTINATION lib/rvm-edge)
  endif()
endif()

install(FILES deploy/rvm-edge.sysusers DESTINATION lib/sysusers.d RENAME rvm-edge.conf)
install(FILES README.md config/rvm-edge.example.toml deploy/rvm-edge.toml
              deploy/rvm-edge.env.example
        DESTINATION ${RVM_INSTALL_DOCDIR})
install(DIRECTORY docs/ DESTINATION ${RVM_INSTALL_DOCDIR}/docs FILES_MATCHING PATTERN "*.md")
if(EXISTS "${CMAKE_SOURCE_DIR}/models")
  install(DIRECTORY models/ DESTINATION ${CMAKE_INSTALL_DATADIR}/rvm-edge/models
          FILES_MATCHING PATTERN "*.onnx")
endif()

# The unit and the configuration need install-time logic (prefix rewrite,
# keep an existing file), in deploy/install-unit.cmake.
install(CODE "set(RVM_DEPLOY_DIR \"${CMAKE_SOURCE_DIR}/deploy\")
set(RVM_INSTALL_SYSCONFDIR \"${RVM_INSTALL_SYSCONFDIR}\")")
install(SCRIPT deploy/install-unit.cmake)

# The test installs into a scratch DESTDIR under another prefix and checks the tree.
add_test(NAME install_tree
  COMMAND ${CMAKE_COMMAND} -DBUILD_DIR=${CMAKE_BINARY_DIR}
          -DSTAGE_DIR=${CMAKE_BINARY_DIR}/install-test
          "-DBINARIES=${rvm_installed_binaries}"
          -DSYSCONFDIR=${RVM_INSTALL_SYSCONFDIR}
          -DSOURCE_DIR=${CMAKE_SOURCE_DIR}
          "-DEMULATOR=${CMAKE_CROSSCOMPILING_EMULATOR}"
          -P ${CMAKE_SOURCE_DIR}/deploy/check-install.cmake)
