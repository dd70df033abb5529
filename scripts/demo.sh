#!/usr/bin/env bash
# The main job on an embedded default: detection over the shared sample
# images with the shared YOLOX-nano model, printing a table and writing
# annotated copies under out/annotated.
set -euo pipefail
build="${1:-build}"
shared="${2:-../shared}"
out="out/annotated"
mkdir -p "$out"
echo "== rvm-edge detect: $shared/images/misc with $shared/models/yolox_nano.onnx"
"$build/rvm-edge" detect --model "$shared/models/yolox_nano.onnx" \
  --labels "$shared/models/coco.names" --annotate "$out" "$shared/images/misc"
echo "== annotated images written to $out/"
