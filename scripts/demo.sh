#!/usr/bin/env bash
# The main job on an embedded default: detection over the shared sample
# images, then the service `rvm-edge run` (embedded default configuration)
# on a chute-like image sequence made from validation photos of the
# container data set (one can or bottle at a time, the empty chute between
# them), printing each decision with its material and points, then replaying
# the shared conveyor video and a short image sequence of the shared photos.
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

# Prints one line per decision of a decisions file (JSON lines): status,
# label, material, confidence, points and the reason of a rejection.
print_decisions() {
  local line field
  while IFS= read -r line; do
    [[ $line == *'"type":"decision"'* ]] || continue
    field() { sed -n "s/.*\"$1\":\(null\|true\|false\|\"[^\"]*\"\|[-0-9.e][-0-9.e]*\).*/\1/p" <<<"$line" | tr -d '"'; }
    printf '   %-8s %-16s %-10s conf %.2f  %3s points%s\n' "$(field status)" "$(field label)" \
      "$(field material)" "$(field confidence)" "$(field points)" \
      "$([[ $(field reason) == null ]] || echo "  reason: $(field reason)")"
  done <"$1"
}

# A chute as the machine's camera sees it: validation photos of the container
# data set, each holding exactly one can or plastic bottle, in view for six
# frames, the empty chute (a plain grey frame, written here as a BMP) for
# seven frames between them, long enough for the tracker to see each item leave.
val="$shared/datasets/containers/val"
if [ -d "$val/labels" ]; then
  chute_dir="out/chute_sequence"
  rm -rf "$chute_dir"
  mkdir -p "$chute_dir"
  val_abs="$(cd "$val" && pwd)"
  empty="$chute_dir/.empty_chute.bmp"
  le32() { printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }
  w=640 h=480
  # BMP: file header, BITMAPINFOHEADER (24 bits, bottom-up), then grey 114 rows.
  printf "BM$(le32 $((54 + w * h * 3)))$(le32 0)$(le32 54)$(le32 40)$(le32 $w)$(le32 $h)\x01\x00\x18\x00$(le32 0)$(le32 $((w * h * 3)))$(le32 2835)$(le32 2835)$(le32 0)$(le32 0)" >"$empty"
  head -c $((w * h * 3)) /dev/zero | tr '\0' '\162' >>"$empty"
  # Single-item photos, alternately a can (class 0) and a plastic bottle (class 1): the first in name
  # order, at most two of each class per source (the file name's prefix before "_"), so the sequence
  # shows several sources' photographers and backgrounds.
  cans=() bottles=()
  declare -A per_source=()
  for label in "$val_abs"/labels/*.txt; do
    [ "$(grep -c '[^[:space:]]' "$label")" = 1 ] || continue
    image="$val_abs/images/$(basename "$label" .txt).jpg"
    [ -f "$image" ] || continue
    class="$(awk 'NF {print $1}' "$label")"
    key="$(basename "$label" | cut -d_ -f1):$class"
    ((${per_source[$key]:-0} < 2)) || continue
    case "$class" in
      0) ((${#cans[@]} < 4)) || continue; cans+=("$image") ;;
      1) ((${#bottles[@]} < 4)) || continue; bottles+=("$image") ;;
      *) continue ;;
    esac
    per_source[$key]=$((${per_source[$key]:-0} + 1))
    ((${#cans[@]} == 4 && ${#bottles[@]} == 4)) && break
  done
  n=0
  frames() {
    for _ in $(seq "$2"); do
      ln -s "$1" "$chute_dir/$(printf 'frame_%03d.%s' "$n" "${1##*.}")"
      n=$((n + 1))
    done
  }
  empty_abs="$(cd "$chute_dir" && pwd)/.empty_chute.bmp"
  frames "$empty_abs" 4
  echo
  echo "== the chute sequence $chute_dir: one item at a time, the empty chute between"
  for i in 0 1 2 3; do
    for item in "${cans[$i]:-}" "${bottles[$i]:-}"; do
      [ -n "$item" ] || continue
      echo "   item: $(basename "$item")  (labelled $([[ " ${cans[*]} " == *" $item "* ]] && echo can || echo plastic_bottle))"
      frames "$item" 6
      frames "$empty_abs" 7
    done
  done
  echo
  echo "== rvm-edge run (embedded default configuration, default model): the chute sequence"
  rm -f out/decisions_chute.jsonl
  "$build/rvm-edge" run --replay --source images --path "$chute_dir" \
    --decisions out/decisions_chute.jsonl --outbox out/demo-outbox --platform "$platform"
  echo "== decisions on the chute sequence (out/decisions_chute.jsonl):"
  print_decisions out/decisions_chute.jsonl
fi

echo
# A bottling line is not a chute: the default model sees its clear bottles as
# plastic bottles, mostly below the accept threshold or several at once, and
# the policy rejects those.
echo "== rvm-edge run (embedded default configuration, default model): replay of $shared/video"
"$build/rvm-edge" run --replay \
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
