#!/usr/bin/env bash
# What operations cost the service, measured side by side in one run:
# `rvm-edge run` with everything on (outbox, delivery to a local
# rvm-platform-sim, heartbeat every second, admin server) replaying the
# sample video in a loop, alternately without and with a scraper that GETs
# /metrics every 100 ms over one kept-alive connection. Prints per run: frames inferred per second, peak
# resident memory, and the scraper's latencies; then the medians and the
# ratio. Last, one run under a connection flood (build/src/admin/admin_flood:
# 200 idle and 200 slow-header connections against the admin port, reopened
# as the server closes them, and GET /healthz on a fresh connection every
# 50 ms): the probes' latencies and failures, frames/s and decisions made,
# beside a run without the flood.
# Usage: scripts/ops_bench.sh [BUILD] [SHARED] [SECONDS] [ROUNDS]
set -euo pipefail
build="${1:-build}"
shared="$(cd "${2:-../shared}" && pwd)"
seconds="${3:-20}"
rounds="${4:-3}"
work="$(mktemp -d)"
trap 'kill "$sim_pid" 2>/dev/null || true; rm -rf "$work"' EXIT

"$build/tools/platform_sim/rvm-platform-sim" --port 0 --db "$work/platform.sqlite" \
  --machine "1:bench-key" >"$work/sim.log" 2>&1 &
sim_pid=$!
port=""
for _ in $(seq 100); do
  port="$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$work/sim.log")"
  [ -n "$port" ] && break
  sleep 0.05
done
[ -n "$port" ] || { cat "$work/sim.log" >&2; exit 1; }

cat >"$work/rvm.toml" <<TOML
[machine]
id = "ops-bench"
[detector]
model_path = "$shared/models/yolox_nano.onnx"
cache_dir = ""
conf_threshold = 0.1
[capture]
source = "video"
path = "$shared/video/bottling_line_conveyor_bottles.mp4"
loop = true
pace = false
[outbox]
dir = "$work/outbox"
[uplink]
base_url = "http://127.0.0.1:$port"
heartbeat_interval_s = 1
[admin]
port = 0
[sink]
decisions_path = "$work/decisions.jsonl"
TOML
export RVM_EDGE_API_KEY=bench-key

# One run; $1 = "none" | "scrape" | "flood". Prints "frames/s peak_rss_mb scrapes median_ms
# p99_ms decisions"; a flood run leaves admin_flood's JSON line in $work/flood.json.
run_once() {
  local mode="$1" log="$work/run.log" times="$work/scrapes.txt"
  rm -f "$log" "$times" "$work/decisions.jsonl" "$work/flood.json"
  /usr/bin/time -f "%M" -o "$work/rss.txt" "$build/rvm-edge" run --config "$work/rvm.toml" \
    --replay --max-seconds "$seconds" 2>"$log" &
  local pid=$!
  local admin=""
  for _ in $(seq 600); do
    admin="$(sed -n 's/.*admin server on \(http:[^ ]*\).*/\1/p' "$log" | head -1)"
    [ -n "$admin" ] && break
    sleep 0.05
  done
  if [ "$mode" = scrape ] && [ -n "$admin" ]; then
    # One client on one kept-alive connection, 10 requests a second, as a
    # Prometheus server scraping fast would be.
    curl -s --rate 10/s -o /dev/null -w '%{stderr}%{time_total}\n' "$admin/metrics?n=[1-100000]" \
      >/dev/null 2>>"$times" &
    local scraper=$!
    wait "$pid"
    kill "$scraper" 2>/dev/null || true
    wait "$scraper" 2>/dev/null || true
  elif [ "$mode" = flood ] && [ -n "$admin" ]; then
    "$build/src/admin/admin_flood" --port "${admin##*:}" --seconds $((seconds > 6 ? seconds - 4 : 2)) \
      >"$work/flood.json" 2>&1 || true
    wait "$pid"
  else
    wait "$pid"
  fi
  local fps rss n med p99
  fps="$(sed -n 's/.* to the detector, \([0-9.]*\)\/s).*/\1/p' "$log" | tail -1)"
  rss="$(awk '{printf "%.1f", $1 / 1024}' "$work/rss.txt")"
  if [ -s "$times" ]; then
    n="$(wc -l <"$times")"
    med="$(sort -n "$times" | awk -v n="$n" 'NR == int((n + 1) / 2) {printf "%.2f", $1 * 1000}')"
    p99="$(sort -n "$times" | awk -v n="$n" 'NR == int(n * 0.99 + 0.999) {printf "%.2f", $1 * 1000}')"
  else
    n=0 med=- p99=-
  fi
  local decisions
  decisions="$(grep -c '"item_id"' "$work/decisions.jsonl" 2>/dev/null || true)"
  echo "$fps $rss $n $med $p99 ${decisions:-0}"
}

echo "rvm-edge run, everything on, ${seconds} s per run, $rounds rounds, $(nproc) cores"
printf '%-6s %-7s %12s %14s %8s %14s %11s\n' round scraper frames/s "peak RSS MB" scrapes \
  "scrape median" "scrape p99"
none=() scrape=() rss_all=()
for r in $(seq "$rounds"); do
  for mode in none scrape; do
    read -r fps rss n med p99 _ < <(run_once "$mode")
    printf '%-6s %-7s %12s %14s %8s %11s ms %8s ms\n' "$r" "$mode" "$fps" "$rss" "$n" "$med" "$p99"
    if [ "$mode" = none ]; then none+=("$fps"); else scrape+=("$fps"); fi
    rss_all+=("$rss")
  done
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
m_none="$(median "${none[@]}")"
m_scrape="$(median "${scrape[@]}")"
echo "median frames/s: no scraper $m_none, scraper every 100 ms $m_scrape," \
  "ratio $(awk -v a="$m_scrape" -v b="$m_none" 'BEGIN {printf "%.3f", a / b}')"
echo "peak RSS, max over runs: $(printf '%s\n' "${rss_all[@]}" | sort -n | tail -1) MB"

read -r fps_plain _ _ _ _ dec_plain < <(run_once none)
read -r fps_flood _ _ _ _ dec_flood < <(run_once flood)
echo "connection flood on the admin port (200 idle + 200 slow-header, /healthz every 50 ms):"
echo "  admin_flood: $(cat "$work/flood.json")"
echo "  frames/s $fps_plain without, $fps_flood with the flood;" \
  "decision lines $dec_plain without, $dec_flood with"
