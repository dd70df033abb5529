#!/usr/bin/env bash
# Browser test of the admin dashboard: starts a server command, waits for its
# "admin server on http://ADDR:PORT" line on standard error, renders
# /?token=... in headless Chromium twice, a few seconds apart, and checks the
# DOM shows live data: counters filled in and moving between the two renders,
# decisions listed with thumbnails, health checks shown. Saves both DOMs and a
# screenshot (dashboard.png) in --out.
#
#   dashboard_browser_test.sh --out DIR --token TOKEN [--min-decisions N] \
#       [--timeout S] [--fresh DIR] -- SERVER_COMMAND [ARGS...]
#
# --fresh DIR is removed before the server starts (its outbox, say).
#
# Needs Debian's `chromium` (scripts/install-deps.sh installs it); installs
# nothing itself.
set -euo pipefail

out="" token="" min_decisions=1 timeout_s=90 fresh=""
while (($#)); do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --token) token="$2"; shift 2 ;;
    --min-decisions) min_decisions="$2"; shift 2 ;;
    --timeout) timeout_s="$2"; shift 2 ;;
    --fresh) fresh="$2"; shift 2 ;;
    --) shift; break ;;
    *) echo "dashboard_browser_test: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
if [[ -z "$out" || -z "$token" || $# -eq 0 ]]; then
  echo "usage: dashboard_browser_test.sh --out DIR --token TOKEN [--min-decisions N] -- SERVER..." >&2
  exit 2
fi
browser="$(command -v chromium || command -v chromium-browser || true)"
if [[ -z "$browser" ]]; then
  echo "dashboard_browser_test: chromium not found; scripts/install-deps.sh installs it" >&2
  exit 1
fi

mkdir -p "$out"
[[ -n "$fresh" ]] && rm -rf "$fresh"
log="$out/server.log"
"$@" 2>"$log" >"$out/server.stdout" &
server_pid=$!
profile="$(mktemp -d)"
cleanup() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  rm -rf "$profile"
}
trap cleanup EXIT

url=""
for _ in $(seq 1 300); do
  url="$(grep -o 'admin server on http://[^ ]*' "$log" | head -n1 | sed 's/^admin server on //' || true)"
  [[ -n "$url" ]] && break
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "dashboard_browser_test: server exited before listening; its log:" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 0.1
done
if [[ -z "$url" ]]; then
  echo "dashboard_browser_test: no 'admin server on' line within 30 s; log:" >&2
  cat "$log" >&2
  exit 1
fi
echo "dashboard_browser_test: server at $url"

page="$url/?token=$token"
render() {  # render FILE: the DOM after the page has polled a few times
  timeout 150 "$browser" --headless --no-sandbox --disable-gpu --user-data-dir="$profile" \
    --virtual-time-budget=5000 --dump-dom "$page" >"$1" 2>"$out/chromium.log" || true
}
value() {  # value FILE ID: the data-value of an element
  grep -o "id=\"$2\"[^>]*data-value=\"[0-9.]*\"" "$1" | grep -o 'data-value="[0-9.]*"' |
    grep -o '[0-9.]*' | head -n1
}
count() { grep -o "$2" "$1" | wc -l || true; }

deadline=$((SECONDS + timeout_s))  # for the counters and decisions, after the first renders
while :; do
  render "$out/dom1.html"
  sleep 3
  render "$out/dom2.html"
  f1="$(value "$out/dom1.html" frames-captured || true)"
  f2="$(value "$out/dom2.html" frames-captured || true)"
  decisions="$(count "$out/dom2.html" 'class="decision"')"
  if [[ -n "$f1" && -n "$f2" && "$f1" != "$f2" && "$decisions" -ge "$min_decisions" ]]; then
    break
  fi
  if ((SECONDS > deadline)); then
    echo "dashboard_browser_test: FAIL: frames captured '$f1' -> '$f2', $decisions decision(s)" \
      "(want moving counters and >= $min_decisions); DOMs in $out" >&2
    exit 1
  fi
done

fail=0
check() {  # check DESCRIPTION COMMAND...
  if "${@:2}"; then echo "  ok: $1"; else echo "  FAIL: $1" >&2; fail=1; fi
}
polls="$(grep -o 'id="poll-count">[0-9]*' "$out/dom2.html" | grep -o '[0-9]*$' || echo 0)"
check "frames captured move ($f1 -> $f2)" test "$f1" != "$f2"
check "the page polled ($polls polls)" test "${polls:-0}" -ge 1
check "decisions listed ($decisions)" test "$decisions" -ge "$min_decisions"
check "thumbnails carry the token" grep -q "thumbnail.jpg?token=" "$out/dom2.html"
check "health checks shown" grep -q "frame_source" "$out/dom2.html"
check "stage latency rows" grep -q "<td>inference</td>" "$out/dom2.html"
check "token accepted" grep -q "token accepted" "$out/dom2.html"

rm -f "$out/dashboard.png"
# With a virtual-time budget the page has polled a few times (chart drawn);
# Chromium sometimes never returns from that under load, so fall back to a
# plain screenshot after the first poll.
for budget in --virtual-time-budget=5000 ""; do
  timeout 120 "$browser" --headless --no-sandbox --disable-gpu --user-data-dir="$profile" \
    --hide-scrollbars --window-size=1400,1250 $budget \
    --screenshot="$out/dashboard.png" "$page" >/dev/null 2>>"$out/chromium.log" || true
  [[ -s "$out/dashboard.png" ]] && break
done
check "screenshot saved" test -s "$out/dashboard.png"
exit "$fail"
