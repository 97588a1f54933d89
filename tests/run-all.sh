#!/usr/bin/env bash
# Install what the tests need and run every test layer (= `make test`, and
# what .ci/run calls). Each layer runs even when an earlier one failed; the
# last line is "N passed, N failed" (pytest counts its tests, every other
# gate counts as one); the summary also says how many were skipped.
#   SKIP_SYSTEM_DEPS=1   do not install system packages (non-root developers)
#   LAYERS="pytest lint" run only these layers (pytest sanity units lint changelog docs molecule fresh)
#   CI=true              a missing tool fails its tests instead of skipping them (.ci/run sets it)
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
export PYTHONDONTWRITEBYTECODE=1

if [ -z "${SKIP_SYSTEM_DEPS:-}" ]; then
  tests/install-deps.sh || exit 1
fi
REQUIREMENTS=collection/requirements-test.txt collection/setup.sh || exit 1
export PATH="$root/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$root/.collections"
out="$root/tests/output"
mkdir -p "$out"

# Labs are torn down by their fixtures; this catches a killed run. Only labs
# this run started (state dir newer than the marker): others may be in use.
mkdir -p "$root/.lab"
marker=$(mktemp "$root/.lab/.run-all.XXXXXX")
cleanup_labs() {
  local d
  while IFS= read -r -d '' d; do
    LAB_ID=$(basename "$d") LAB_STATE="$d" tests/lab/lab.sh down >/dev/null 2>&1
  done < <(find "$root/.lab" -mindepth 1 -maxdepth 1 -type d -newer "$marker" -print0)
  rm -f "$marker"
  return 0
}
trap cleanup_labs EXIT

passed=0 failed=0 skipped=0 summary=()
gate() { # NAME CMD... : a gate counts as one test; exit status 77 means skipped
  local name=$1; shift
  echo "=== $name: $*"
  local t0=$SECONDS rc=0
  "$@" || rc=$?
  if [ "$rc" = 0 ]; then passed=$((passed + 1)); summary+=("PASS $name ($((SECONDS - t0))s)")
  elif [ "$rc" = 77 ]; then skipped=$((skipped + 1)); summary+=("SKIP $name ($((SECONDS - t0))s)")
  else failed=$((failed + 1)); summary+=("FAIL $name ($((SECONDS - t0))s)"); fi
}
want() { [ -z "${LAYERS:-}" ] || [[ " $LAYERS " == *" $1 "* ]]; }

if want pytest; then
  echo "=== pytest: unit, functional and lab tests"
  t0=$SECONDS
  pytest -p no:cacheprovider --junit-xml="$out/pytest.xml" "$@"
  rc=$?
  counts=$(python3 - "$out/pytest.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except Exception:
    print("0 0 0"); sys.exit()
suites = [root] if root.tag == "testsuite" else list(root)
total = sum(int(s.get("tests", 0)) for s in suites)
bad = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
skipped = sum(int(s.get("skipped", 0)) for s in suites)
print(total - bad - skipped, bad, skipped)
PY
)
  read -r p f s <<<"$counts"
  if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi   # collection errors, crash, or no tests ran
  if [ "$p" = 0 ]; then f=$((f + 1)); fi
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  summary+=("$([ "$f" = 0 ] && echo PASS || echo FAIL) pytest: $p passed, $f failed, $s skipped ($((SECONDS - t0))s)")
fi
want sanity && gate "ansible-test sanity" tests/ansible-test.sh sanity
want units && gate "ansible-test units" tests/ansible-test.sh units
want lint && gate "ansible-lint (production)" ansible-lint --offline --profile production
want changelog && gate "antsibull-changelog lint" antsibull-changelog lint
want docs && gate "docs build (reference up to date, links)" tests/docs-build.sh --check
want molecule && gate "molecule" tests/molecule.sh
want fresh && gate "fresh Debian 12: make build reaches preflight" tests/fresh-debian.sh

echo
echo "=== summary"
printf '%s\n' "${summary[@]}"
[ "$skipped" = 0 ] || echo "$skipped skipped"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
