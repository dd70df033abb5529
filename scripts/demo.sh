#!/usr/bin/env bash
# The main job on an embedded default: detection over the shared sample
# images, then the service `rvm-edge run` (embedded default configuration)
# replaying the shared conveyor video and a short image sequence made from
# the shared photos, printing each decision.
set -euo pipefail
build="${1:-build}"
shared="${2:-../shared}"
out="out/annotated"
mkdir -p "$out"
echo "== rvm-edge detect: $shared/images/misc with $shared/models/yolox_nano.onnx"
"$build/rvm-edge" detect --model "$shared/models/yolox_nano.onnx" \
  --labels "$shared/models/coco.names" --annotate "$out" "$shared/images/misc"
echo "== annotated images written to $out/"

# The local MyRVM-compatible platform the service delivers to: a real HTTP
# server with its own SQLite database, on a free loopback port.
platform_db="out/demo-platform.sqlite"
rm -rf out/demo-outbox "$platform_db" "$platform_db"-*
sim_out="out/demo-platform.log"
"$build/tools/platform_sim/rvm-platform-sim" --port 0 --db "$platform_db" \
  --machine "1:demo-machine-key:RVM Edge demo" >"$sim_out" 2>&1 &
sim_pid=$!
trap 'kill "$sim_pid" 2>/dev/null || true' EXIT
port=""
for _ in $(seq 100); do
  port="$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$sim_out")"
  [ -n "$port" ] && break
  sleep 0.05
done
if [ -z "$port" ]; then
  echo "rvm-platform-sim did not start:" >&2
  cat "$sim_out" >&2
  exit 1
fi
platform="http://127.0.0.1:$port"
export RVM_EDGE_API_KEY=demo-machine-key
echo
echo "== rvm-platform-sim (local MyRVM platform) listening on $platform"

# GET a path from the local platform (bash's own TCP client: no extra tools).
platform_get() {
  exec 3<>"/dev/tcp/127.0.0.1/$port"
  printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\r\n' "$1" >&3
  sed '1,/^\r$/d' <&3
  exec 3<&-
}

echo
# YOLOX-nano finds nothing in this dense row of clear bottles at the default
# threshold; at 0.1 it sees some of them (as "car"), and the policy rejects them.
echo "== rvm-edge run (embedded default configuration, --conf 0.1): replay of $shared/video"
"$build/rvm-edge" run --replay --conf 0.1 --model "$shared/models/yolox_nano.onnx" \
  --source video --path "$shared/video/bottling_line_conveyor_bottles.mp4" \
  --decisions out/decisions_video.jsonl --outbox out/demo-outbox --platform "$platform"
echo "== decision records (JSON lines) in out/decisions_video.jsonl"

# An image sequence as a camera would see it: a bottle held in view for six
# frames, a scene without items, then three bottles at once.
seq_dir="out/run_sequence"
rm -rf "$seq_dir"
mkdir -p "$seq_dir"
shared_abs="$(cd "$shared" && pwd)"
n=0
add() {
  for _ in $(seq "$2"); do
    ln -s "$shared_abs/images/$1" "$seq_dir/$(printf 'frame_%03d.jpg' "$n")"
    n=$((n + 1))
  done
}
add misc/smartbin_bottle.jpg 6
add misc/bottle_panlinchao.jpg 6
add plain/pdoodp_alu_test_multi.jpg 6
echo
echo "== rvm-edge run (embedded default configuration): image sequence $seq_dir"
"$build/rvm-edge" run --replay --model "$shared/models/yolox_nano.onnx" \
  --source images --path "$seq_dir" --decisions out/decisions_images.jsonl \
  --outbox out/demo-outbox --platform "$platform"
echo "== decision records (JSON lines) in out/decisions_images.jsonl"

echo
echo "== what the platform received (rvm-platform-sim /sim/stats)"
platform_get /sim/stats
echo
echo "== the machine's outbox (rvm-edge outbox stats)"
"$build/rvm-edge" outbox stats --dir out/demo-outbox
