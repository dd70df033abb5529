#!/usr/bin/env bash
# make cross-arm64: cross-compiles the whole project for aarch64 (the Jetson's
# Arm cores, or any arm64 Linux board), runs the unit tests and the detector's
# integration tests under qemu-aarch64, and checks that `rvm-edge detect` under
# emulation finds what the x86-64 build finds (scripts/compare-detections.py).
#
#   scripts/cross-arm64.sh [SHARED_DIR]     (default ../shared)
#
# What it sets up, each step skipped when already done:
# - this machine's packages: Debian's cross compiler (crossbuild-essential-arm64),
#   qemu-user and mmdebstrap;
# - third_party-arm64/sysroot: an arm64 Debian 12 root holding the project's
#   libraries, extracted by mmdebstrap (no package scripts run). The arm64
#   libraries are NOT installed into this machine's own package set: Debian 12's
#   OpenCV and GDAL development packages cannot be installed for two
#   architectures at once, and installing the arm64 ones removes the native ones;
# - third_party-arm64/onnxruntime: ONNX Runtime 1.30 for aarch64 (CPU), the
#   library from the npm package onnxruntime-node, with the C API headers of the
#   x86-64 SDK (scripts/install-deps.sh): the C API is versioned, and a 1.30
#   library serves API version 29;
# - build-arm64: the cross build tree (cmake/aarch64-linux-gnu.cmake).
# The native build (make build) must exist: the comparison runs both.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
shared="$(cd "${1:-$root/../shared}" && pwd)"
arm="$root/third_party-arm64"
sysroot="$arm/sysroot"
ort_dir="$arm/onnxruntime"
build="${RVM_ARM64_BUILD:-$root/build-arm64}"
jobs="${JOBS:-$(nproc)}"

step() { echo "cross-arm64: $*"; }
sudo_cmd=()
[[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)

# --- this machine's tools
host_packages=(crossbuild-essential-arm64 qemu-user mmdebstrap)
command -v npm >/dev/null 2>&1 || host_packages+=(nodejs npm)
missing=()
for p in "${host_packages[@]}"; do
  dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || missing+=("$p")
done
if ((${#missing[@]})); then
  step "installing this machine's packages: ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# --- the arm64 root: the libraries of scripts/install-deps.sh's list, for arm64
arm64_packages=(
  libc6-dev libstdc++-12-dev
  libopencv-dev libjpeg62-turbo-dev libssl-dev
  nlohmann-json3-dev libspdlog-dev libfmt-dev libtomlplusplus-dev libcli11-dev
  prometheus-cpp-dev libcpp-httplib-dev libcurl4-openssl-dev libsqlite3-dev
  libonnx-dev libprotobuf-dev
  libgtest-dev libgmock-dev libbenchmark-dev
)
want="bookworm ${arm64_packages[*]}"
if [[ ! -f "$sysroot/.packages" || "$(cat "$sysroot/.packages")" != "$want" ]]; then
  step "building the arm64 root in $sysroot (mmdebstrap, a few minutes)"
  [[ $(id -u) -eq 0 ]] || { echo "cross-arm64: building the arm64 root needs root (mmdebstrap)" >&2; exit 2; }
  rm -rf "$sysroot" "$sysroot.new"
  mkdir -p "$arm"
  include="$(IFS=,; echo "${arm64_packages[*]}")"
  mmdebstrap --quiet --variant=extract --architectures=arm64 --include="$include" bookworm "$sysroot.new"
  # Absolute links (libz.so -> /lib/...) would point into this machine's root:
  # make them relative, so the compiler, linker and qemu see the arm64 files.
  (cd "$sysroot.new" && find . -type l -lname '/*' -print0 | while IFS= read -r -d '' link; do
    target="$(readlink "$link")"
    ln -sfn "$(realpath -m --relative-to="$(dirname "$link")" ".$target")" "$link"
  done)
  # Debian picks the BLAS and LAPACK implementation with update-alternatives,
  # a package script that extraction does not run: link the reference ones.
  for lib in blas/libblas.so.3 lapack/liblapack.so.3; do
    ln -sfn "$lib" "$sysroot.new/usr/lib/aarch64-linux-gnu/$(basename "$lib")"
  done
  echo "$want" >"$sysroot.new/.packages"
  mv "$sysroot.new" "$sysroot"
fi

# --- ONNX Runtime for aarch64
ort_package="onnxruntime-node@1.30.0"
"$root/scripts/install-deps.sh"  # the x86-64 SDK: its headers, and the native build's runtime
if [[ ! -f "$ort_dir/.version" || "$(cat "$ort_dir/.version")" != "$ort_package" ]]; then
  step "fetching ONNX Runtime for aarch64 (npm package $ort_package)"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "$ort_package" >/dev/null)
  tar -xzf "$tmp"/onnxruntime-node-*.tgz -C "$tmp" package/bin/napi-v6/linux/arm64/libonnxruntime.so.1
  rm -rf "$ort_dir"
  mkdir -p "$ort_dir/include" "$ort_dir/lib"
  cp "$root/third_party/onnxruntime/include/"*.h "$ort_dir/include/"
  cp "$tmp/package/bin/napi-v6/linux/arm64/libonnxruntime.so.1" "$ort_dir/lib/"
  ln -sf libonnxruntime.so.1 "$ort_dir/lib/libonnxruntime.so"
  cp "$root/third_party/onnxruntime/LICENSE" "$ort_dir/"  # ONNX Runtime's MIT licence, as for x86-64
  echo "$ort_package" >"$ort_dir/.version"
fi

# --- build
launcher=()
command -v ccache >/dev/null 2>&1 &&
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
if [[ ! -f "$build/build.ninja" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$root/cmake/aarch64-linux-gnu.cmake" \
    -DRVM_ARM64_SYSROOT="$sysroot" -DRVM_ORT_DIR="$ort_dir" -DRVM_SHARED_DIR="$shared" "${launcher[@]}"
fi
step "building for aarch64 in $build"
cmake --build "$build" -j "$jobs"
file "$build/rvm-edge" | grep -q 'ARM aarch64' || { echo "cross-arm64: $build/rvm-edge is not an aarch64 binary" >&2; exit 1; }

# --- tests under emulation: the unit tests (no slow/fault/integration label)
# and the detector's integration tests (real models on real images, both backends)
step "unit tests under qemu-aarch64"
(cd "$build" && ctest --output-on-failure -j "$jobs" --timeout 1200 -LE 'slow|fault|integration|train')
step "detector integration tests under qemu-aarch64"
(cd "$build" && ctest --output-on-failure -j "$jobs" --timeout 1800 -R '^(DetectorTest|DetectorAllocationTest|OrtProvidersTest)\.')

# --- the same detections as the x86-64 build
native="${RVM_NATIVE_BUILD:-$root/build}/rvm-edge"
[[ -x "$native" ]] || { echo "cross-arm64: no native $native to compare with; run make build first" >&2; exit 2; }
images="$shared/images/dev/images"
for model in "$root/models/rvm-containers.onnx" "$shared/models/yolox_nano.onnx"; do
  name="$(basename "$model" .onnx)"
  out="$build/compare/$name"
  mkdir -p "$out"
  step "detect on $images with $name: x86-64, then aarch64 under qemu"
  "$native" detect --json --cache-dir none --model "$model" "$images" >"$out/x86_64.jsonl"
  qemu-aarch64 -L "$sysroot" "$build/rvm-edge" detect --json --cache-dir none --model "$model" \
    "$images" >"$out/aarch64.jsonl"
  python3 "$root/scripts/compare-detections.py" "$out/x86_64.jsonl" "$out/aarch64.jsonl"
done
step "done: aarch64 build tested, detections match the x86-64 build"
