#!/usr/bin/env bash
# Proves the README's two commands on a fresh Debian 12 root: builds one with mmdebstrap (nothing but
# Debian's minimal system, build-essential not included), puts a clean copy of this checkout's HEAD in
# it with the shared data beside it (read-only), and runs `make demo` then `make test` there as root.
#
#   scripts/fresh-machine-check.sh [WORKDIR]     # default: a new folder under ${TMPDIR:-/tmp}
#
# A second run with the same WORKDIR reuses its root (packages already installed there); with
# REUSE_BUILD=1 it also keeps the previous run's build tree, so only what changed is rebuilt. The
# proof of a fresh machine is a run with a new WORKDIR.
#
# The host's trust store and registry settings are carried in, as a fresh machine of this kind has
# its own: /usr/local/share/ca-certificates, /etc/npmrc, and every file named by a *_CA_* or SSL_CERT_*
# environment variable. Prints each command's exit code and time; logs: WORKDIR/demo.log and
# WORKDIR/test.log. Exit 0 when both commands pass.
set -euo pipefail

root_dir="$(cd "$(dirname "$0")/.." && pwd)"
shared="$(cd "$root_dir/../shared" && pwd)"
work="${1:-$(mktemp -d "${TMPDIR:-/tmp}/rvm-fresh.XXXXXX")}"
chroot_dir="$work/root"
[[ $(id -u) -eq 0 ]] || { echo "fresh-machine-check: must run as root (mmdebstrap, chroot)" >&2; exit 2; }
for tool in mmdebstrap rsync; do
  command -v "$tool" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "$tool"; }
done

mkdir -p "$work"
if [[ ! -x "$chroot_dir/bin/bash" ]]; then
  echo "fresh-machine-check: creating a Debian 12 root in $chroot_dir"
  mmdebstrap --variant=minbase --include=ca-certificates,make,sudo bookworm "$chroot_dir"
fi

# Trust store and registry settings of this kind of machine.
if [[ -d /usr/local/share/ca-certificates ]]; then
  cp -a /usr/local/share/ca-certificates/. "$chroot_dir/usr/local/share/ca-certificates/"
  chroot "$chroot_dir" update-ca-certificates >/dev/null
fi
[[ -f /etc/npmrc ]] && cp /etc/npmrc "$chroot_dir/etc/npmrc"
env_pass=()
while IFS='=' read -r name value; do
  [[ -f "$value" ]] && { mkdir -p "$chroot_dir$(dirname "$value")"; cp "$value" "$chroot_dir$value"; }
  env_pass+=("$name=$value")
done < <(env | grep -E '^[A-Za-z0-9_]*(_CA_|SSL_CERT_)[A-Za-z0-9_]*=' || true)

# A clean checkout of HEAD, and the shared data beside it, read-only.
project="$chroot_dir/srv/rvm/project"
if [[ "${REUSE_BUILD:-0}" == 1 && -d "$project/build" ]]; then
  # Only files whose content changed are replaced, so the build tree's timestamps stay valid.
  rm -rf "$work/checkout" && mkdir -p "$work/checkout"
  git -C "$root_dir" archive HEAD | tar -x -C "$work/checkout"
  rsync -rlc --delete --exclude=/build --exclude=/third_party --exclude=/out "$work/checkout/" "$project/"
else
  rm -rf "$chroot_dir/srv/rvm"
  mkdir -p "$project"
  git -C "$root_dir" archive HEAD | tar -x -C "$project"
fi
mkdir -p "$chroot_dir/srv/rvm/shared"
mounts=(proc sys dev dev/pts srv/rvm/shared)
cleanup() {
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "$chroot_dir/${mounts[$i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
mount -t proc proc "$chroot_dir/proc"
mount --rbind /sys "$chroot_dir/sys"
mount --rbind /dev "$chroot_dir/dev"
mount -t devpts devpts "$chroot_dir/dev/pts" 2>/dev/null || true
mount --bind "$shared" "$chroot_dir/srv/rvm/shared"
mount -o remount,bind,ro "$chroot_dir/srv/rvm/shared"
cp /etc/resolv.conf "$chroot_dir/etc/resolv.conf"

run_in_root() {
  chroot "$chroot_dir" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 "${env_pass[@]}" bash -c "cd /srv/rvm/project && $1"
}
status=0
# Runs one README command in the root; prints its exit code and the time it took.
run_step() {
  local name="$1" log="$work/$2" start rc
  echo "fresh-machine-check: $name (log: $log)"
  start=$(date +%s)
  if run_in_root "$name" >"$log" 2>&1; then rc=0; else rc=$?; fi
  printf '  %s: exit %d in %dm%02ds\n' "$name" "$rc" $(( ($(date +%s) - start) / 60 )) $(( ($(date +%s) - start) % 60 ))
  if [[ $rc -ne 0 ]]; then tail -20 "$log"; status=1; fi
}
run_step "make demo" demo.log
run_step "make test" test.log
grep -E 'tests passed|tests failed' "$work/test.log" || true
exit $status
