# Install-time part of cmake/Install.cmake (runs inside `cmake --install`,
# where CMAKE_INSTALL_PREFIX is the effective prefix, --prefix included).
#  - rvm-edge.service: the /usr/local paths of the source unit become the
#    install prefix, so ExecStart names the installed binary.
#  - rvm-edge.toml: installed into RVM_INSTALL_SYSCONFDIR only when no
#    configuration is there yet, so a reinstall keeps the operator's edits.

set(rvm_root "$ENV{DESTDIR}")

set(rvm_unit_dir "${rvm_root}${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
file(READ "${RVM_DEPLOY_DIR}/rvm-edge.service" rvm_unit)
string(REPLACE "/usr/local/" "${CMAKE_INSTALL_PREFIX}/" rvm_unit "${rvm_unit}")
file(MAKE_DIRECTORY "${rvm_unit_dir}")
file(WRITE "${rvm_unit_dir}/rvm-edge.service" "${rvm_unit}")
message(STATUS "Installing: ${rvm_unit_dir}/rvm-edge.service")
list(APPEND CMAKE_INSTALL_MANIFEST_FILES "${CMAKE_INSTALL_PREFIX}/lib/systemd/system/rvm-edge.service")

# file(INSTALL) adds DESTDIR to an absolute destination itself.
set(rvm_config "${rvm_root}${RVM_INSTALL_SYSCONFDIR}/rvm-edge.toml")
if(EXISTS "${rvm_config}")
  message(STATUS "Keeping: ${rvm_config} (already present)")
else()
  file(INSTALL "${RVM_DEPLOY_DIR}/rvm-edge.toml" DESTINATION "${RVM_INSTALL_SYSCONFDIR}"
       FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endif()
