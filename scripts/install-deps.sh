#!/usr/bin/env bash
# Installs everything RVM Edge needs to build and test on a fresh Debian 12
# machine: Debian packages through apt-get, and the ONNX Runtime C/C++ SDK
# from its npm package (extracted with `npm pack` + tar; no install scripts run).
# Idempotent: a second run with everything present takes well under a second.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"

debian_packages=(
  build-essential cmake ninja-build pkg-config git curl
  libopencv-dev libjpeg62-turbo-dev libssl-dev
  nlohmann-json3-dev libspdlog-dev libfmt-dev libtomlplusplus-dev libcli11-dev
  prometheus-cpp-dev libcpp-httplib-dev libcurl4-openssl-dev libsqlite3-dev sqlite3
  libonnx-dev libprotobuf-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  chromium  # headless, for the dashboard's browser test (tests/dashboard_browser_test.sh)
)
# npm is only needed to fetch the ONNX Runtime SDK; use the machine's own if it has one.
command -v npm >/dev/null 2>&1 || debian_packages+=(nodejs npm)

# One dpkg-query for all packages keeps the no-op case fast.
installed="$({ dpkg-query -W -f='${Package} ${Status}\n' "${debian_packages[@]}" 2>/dev/null || true; } |
  awk '$NF == "installed" {print $1}')"
missing=()
for p in "${debian_packages[@]}"; do
  grep -qx "$p" <<<"$installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing Debian packages: ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# ONNX Runtime 1.29 C/C++ SDK (Linux x64 shared library + headers).
ort_version="0.4.9"
ort_dir="$root/third_party/onnxruntime"
ort_stamp="$ort_dir/.version"
if [[ ! -f "$ort_stamp" || "$(cat "$ort_stamp")" != "$ort_version" ]]; then
  echo "install-deps: fetching ONNX Runtime SDK (npm package com.github.asus4.onnxruntime@$ort_version)"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "com.github.asus4.onnxruntime@$ort_version" >/dev/null)
  headers='package/Plugins/iOS~/onnxruntime.xcframework/ios-arm64/onnxruntime.framework/Headers'
  tar -xzf "$tmp"/com.github.asus4.onnxruntime-*.tgz -C "$tmp" \
    package/Plugins/Linux/x64/libonnxruntime.so package/LICENSE package/ThirdPartyNotices.txt "$headers"
  rm -rf "$ort_dir"
  mkdir -p "$ort_dir/include" "$ort_dir/lib"
  cp "$tmp/$headers"/*.h "$ort_dir/include/"
  cp "$tmp/package/Plugins/Linux/x64/libonnxruntime.so" "$ort_dir/lib/libonnxruntime.so.1"
  ln -sf libonnxruntime.so.1 "$ort_dir/lib/libonnxruntime.so"
  cp "$tmp/package/LICENSE" "$tmp/package/ThirdPartyNotices.txt" "$ort_dir/"
  echo "$ort_version" >"$ort_stamp"
fi
