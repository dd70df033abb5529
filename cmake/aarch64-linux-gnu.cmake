# Cross-compiles for 64-bit Arm Linux (aarch64: a Jetson's Arm cores, or any
# arm64 board) with Debian's cross compiler (crossbuild-essential-arm64),
# against an arm64 Debian root that holds the libraries the project links
# (scripts/cross-arm64.sh builds it with mmdebstrap). Binaries and tests run
# on this machine under qemu-aarch64, which CMake puts in front of every test
# command (CMAKE_CROSSCOMPILING_EMULATOR), so ctest works unchanged.
#
#   cmake -S . -B build-arm64 -G Ninja -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake \
#         -DRVM_ARM64_SYSROOT=<arm64 root> -DRVM_ORT_DIR=<aarch64 ONNX Runtime>
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

set(RVM_ARM64_SYSROOT "${CMAKE_CURRENT_LIST_DIR}/../third_party-arm64/sysroot"
    CACHE PATH "arm64 Debian root with the project's libraries")
get_filename_component(RVM_ARM64_SYSROOT "${RVM_ARM64_SYSROOT}" ABSOLUTE)
if(NOT EXISTS "${RVM_ARM64_SYSROOT}/usr/lib/aarch64-linux-gnu")
  message(FATAL_ERROR "arm64 root '${RVM_ARM64_SYSROOT}' has no usr/lib/aarch64-linux-gnu; "
                      "scripts/cross-arm64.sh builds it (make cross-arm64)")
endif()
# try_compile projects read this file again: hand them the root.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES RVM_ARM64_SYSROOT)

set(CMAKE_SYSROOT "${RVM_ARM64_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH "${RVM_ARM64_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)  # build tools (protoc, pkg-config) are this machine's
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config answers for the arm64 root, not for this machine.
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${RVM_ARM64_SYSROOT}")
set(ENV{PKG_CONFIG_LIBDIR} "${RVM_ARM64_SYSROOT}/usr/lib/aarch64-linux-gnu/pkgconfig:${RVM_ARM64_SYSROOT}/usr/share/pkgconfig")

# qemu -L: the arm64 loader and libraries come from the root.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L "${RVM_ARM64_SYSROOT}")
