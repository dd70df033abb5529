#!/usr/bin/env bash
# Measures the detector on an NVIDIA GPU: builds rvm-edge against ONNX Runtime
# 1.29 with its CUDA and TensorRT execution providers, then runs `rvm-edge
# bench` on the CPU, on CUDA and on TensorRT (FP16) with the same models and
# images, and prints a table for docs/performance.md.
#
#   scripts/gpu-bench.sh [SHARED_DIR]      (default ../shared)
#
# Needs an x86-64 Linux machine with an NVIDIA GPU and driver, and the
# libraries the provider libraries are linked against: CUDA 13 (libcudart.so.13,
# libcublas.so.13, libcublasLt.so.13, libcurand.so.10), cuDNN 9 (libcudnn.so.9)
# and TensorRT 10 (libnvinfer.so.10, libnvonnxparser.so.10) where the dynamic
# loader finds them (ldconfig or LD_LIBRARY_PATH). It stops with exit code 2,
# naming what is missing, on a machine without them.
#
# The GPU runtime: the npm package com.github.asus4.onnxruntime.linux-x64-gpu
# holds only the provider libraries (libonnxruntime_providers_{shared,cuda,
# tensorrt}.so); ONNX Runtime loads them from the directory of
# libonnxruntime.so, so they are put beside the x86-64 SDK's library in
# third_party/onnxruntime-gpu, and the build in build-gpu uses that directory.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
shared="$(cd "${1:-$root/../shared}" && pwd)"
gpu_package="com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9"
ort_gpu="$root/third_party/onnxruntime-gpu"
build="${RVM_GPU_BUILD:-$root/build-gpu}"
iterations="${ITERATIONS:-200}"

fail() { echo "gpu-bench: $*" >&2; exit 2; }

# --- a GPU, and the libraries the providers need
command -v nvidia-smi >/dev/null 2>&1 ||
  fail "no NVIDIA driver here (nvidia-smi not found); run this on a machine with an NVIDIA GPU"
gpus="$(nvidia-smi -L 2>/dev/null || true)"
[[ "$gpus" == GPU* ]] || fail "nvidia-smi lists no GPU: ${gpus:-no output}"
echo "gpu-bench: $gpus"
missing=()
for lib in libcudart.so.13 libcublas.so.13 libcublasLt.so.13 libcurand.so.10 libcudnn.so.9 \
  libnvinfer.so.10 libnvonnxparser.so.10; do
  found=0
  ldconfig -p 2>/dev/null | grep -q " $lib " && found=1
  for d in ${LD_LIBRARY_PATH:+${LD_LIBRARY_PATH//:/ }}; do [[ -e "$d/$lib" ]] && found=1; done
  ((found)) || missing+=("$lib")
done
((${#missing[@]} == 0)) ||
  fail "the CUDA/TensorRT providers need ${missing[*]}: install CUDA 13, cuDNN 9 and TensorRT 10 (or put them on LD_LIBRARY_PATH)"

# --- ONNX Runtime with the GPU provider libraries beside it
"$root/scripts/install-deps.sh"
if [[ ! -f "$ort_gpu/.version" || "$(cat "$ort_gpu/.version")" != "$gpu_package" ]]; then
  echo "gpu-bench: fetching the GPU provider libraries (npm package $gpu_package)"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "$gpu_package" >/dev/null)
  tar -xzf "$tmp"/com.github.asus4.onnxruntime.linux-x64-gpu-*.tgz -C "$tmp" package/Plugins/Linux/x64
  rm -rf "$ort_gpu"
  mkdir -p "$ort_gpu"
  cp -r "$root/third_party/onnxruntime/include" "$root/third_party/onnxruntime/LICENSE" "$ort_gpu/"
  mkdir -p "$ort_gpu/lib"
  cp "$root/third_party/onnxruntime/lib/libonnxruntime.so.1" "$ort_gpu/lib/"
  ln -sf libonnxruntime.so.1 "$ort_gpu/lib/libonnxruntime.so"
  cp "$tmp"/package/Plugins/Linux/x64/libonnxruntime_providers_*.so "$ort_gpu/lib/"
  echo "$gpu_package" >"$ort_gpu/.version"
fi

# --- build
[[ -f "$build/build.ninja" ]] ||
  cmake -S "$root" -B "$build" -G Ninja -DRVM_ORT_DIR="$ort_gpu" -DRVM_SHARED_DIR="$shared"
cmake --build "$build" --target rvm-edge rvm-edge-bench -j "$(nproc)"

# --- the same models and images on each provider
images="$shared/images/dev/images"
out="$build/gpu-bench"
mkdir -p "$out"
providers=(
  "cpu|--execution-providers cpu"
  "cuda|--execution-providers cuda,cpu --require-gpu"
  "tensorrt-fp16|--execution-providers tensorrt,cuda,cpu --require-gpu --tensorrt-fp16"
)
for model in "$root/models/rvm-containers.onnx" "$shared/models/yolox_nano.onnx" "$shared/models/fastestdet.onnx"; do
  name="$(basename "$model" .onnx)"
  for entry in "${providers[@]}"; do
    label="${entry%%|*}"
    read -r -a flags <<<"${entry#*|}"
    echo "gpu-bench: $name on $label"
    # A first TensorRT load builds the engine (tens of seconds); bench reports
    # that as the cold load and the engine cache hit as the cached one.
    "$build/rvm-edge" bench --json --model "$model" --iterations "$iterations" "${flags[@]}" \
      "$images" >"$out/$name.$label.json"
  done
done

python3 - "$out" <<'PY'
import json, pathlib, sys
out = pathlib.Path(sys.argv[1])
print("\n| model | provider | bare inference median (ms) | full path median (ms) | images/s (stream) | load cold / cached (ms) |")
print("|---|---|---|---|---|---|")
for f in sorted(out.glob("*.json")):
    j = json.loads(f.read_text())
    model, label = f.stem.split(".", 1)
    print(f"| {model} | {label} ({j['execution_provider']}) | {j['bare_ms_median']:.2f} | "
          f"{j['full_ms_median']:.2f} | {j['images_per_s']:.0f} | "
          f"{j['load_cold_ms']:.0f} / {j['load_cached_ms']:.0f} |")
PY
echo "gpu-bench: GPU: $gpus; raw JSON in $out"
