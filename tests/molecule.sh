#!/usr/bin/env bash
# Run the molecule scenarios of extensions/molecule (called by tests/run-all.sh).
#   tests/molecule.sh                 every scenario (the lab one needs root)
#   tests/molecule.sh default         only the named ones
# Each run gets its own ANSIBLE_HOME and molecule cache, and the lab scenario a
# lab id (MOLECULE_LAB_ID, else the first free one of 80..99) reserved by a lock
# for the whole run; that lab is torn down at exit even if molecule was killed.
# Last line: "molecule: N passed, N failed".
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${VENV:-$root/.venv}
export PATH="$venv/bin:$PATH"
export NO_COLOR=1 PY_COLORS=0 ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0

work=$(mktemp -d "${TMPDIR:-/tmp}/fedora_build-molecule.XXXXXX")
export ANSIBLE_HOME="$work/ansible-home" XDG_CACHE_HOME="$work/cache"
lab_id=""
cleanup() {
  if [ -n "$lab_id" ]; then
    LAB_ID=$lab_id "$root/tests/lab/lab.sh" down >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

if [ $# -gt 0 ]; then
  scenarios=("$@")
else
  scenarios=()
  for f in "$root"/extensions/molecule/*/molecule.yml; do
    scenarios+=("$(basename "$(dirname "$f")")")
  done
fi

reserve_lab() { # sets lab_id; holds fd 8 (lock) until this script exits
  local id ids lockdir=${LAB_LOCK_DIR:-/run/lock}
  if [ -n "${MOLECULE_LAB_ID:-}" ]; then ids=$MOLECULE_LAB_ID; else ids=$(seq 80 99); fi
  mkdir -p "$lockdir"
  for id in $ids; do
    exec 8>"$lockdir/fedora-build-molecule-$id.lock"
    if flock -n 8 && ! ip link show "fblab${id}br" >/dev/null 2>&1; then
      lab_id=$id
      export MOLECULE_LAB_ID=$id
      return 0
    fi
    exec 8>&-
  done
  echo "molecule: no free lab id in $ids" >&2
  return 1
}

passed=0 failed=0 results=()
for s in "${scenarios[@]}"; do
  if [ ! -f "$root/extensions/molecule/$s/molecule.yml" ]; then
    echo "molecule: no scenario $s" >&2; failed=$((failed + 1)); results+=("FAIL $s (no such scenario)"); continue
  fi
  if [ "$s" = lab ]; then
    if [ "$(id -u)" != 0 ]; then
      echo "molecule: scenario lab needs root (network namespaces); run as root or name other scenarios" >&2
      failed=$((failed + 1)); results+=("FAIL lab (needs root)"); continue
    fi
    if [ -z "$lab_id" ] && ! reserve_lab; then
      failed=$((failed + 1)); results+=("FAIL lab (no free lab id)"); continue
    fi
  fi
  echo "=== molecule test -s $s${lab_id:+ (lab $lab_id)}"
  t0=$SECONDS
  if (cd "$root/extensions" && molecule test -s "$s"); then
    passed=$((passed + 1)); results+=("PASS $s ($((SECONDS - t0))s)")
  else
    failed=$((failed + 1)); results+=("FAIL $s ($((SECONDS - t0))s)")
  fi
done
printf '%s\n' "${results[@]}"
echo "molecule: $passed passed, $failed failed"
[ "$failed" = 0 ]
