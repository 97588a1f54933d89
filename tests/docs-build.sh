#!/usr/bin/env bash
# The docs build: regenerate the plugin reference (docs/modules/) from the
# plugins' own documentation (docs/gen_reference.py: ansible-doc --json +
# antsibull-docs-parser, offline), then check every relative link and #anchor
# in README.md, CONTRIBUTING.md and docs/**/*.md (docs/check_links.py).
# Fails on a plugin whose docs do not load, broken markup, an O()/RV() that
# names no option, or a broken link.
#   tests/docs-build.sh           regenerate docs/modules in place, check links
#   tests/docs-build.sh --check   the same, and fail if docs/modules was out of date
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${VENV:-$root/.venv}
py=$venv/bin/python
[ -x "$py" ] || py=python3
check=0
case "${1:-}" in
  --check) check=1 ;;
  "") ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac
cd "$root"
work=$(mktemp -d "${TMPDIR:-/tmp}/fedora_build-docs.XXXXXX")
trap 'rm -rf "$work"' EXIT

PATH="$venv/bin:$PATH" "$py" docs/gen_reference.py --dest "$work/modules"
stale=0
if ! diff -r -q docs/modules "$work/modules" >"$work/diff" 2>&1; then
  stale=1
  if [ "$check" = 1 ]; then
    echo "docs-build: docs/modules is out of date with the plugin docs:" >&2
    sed 's/^/  /' "$work/diff" >&2
  fi
fi
rm -rf docs/modules
cp -r "$work/modules" docs/modules

"$py" docs/check_links.py
if [ "$check" = 1 ] && [ "$stale" = 1 ]; then
  echo "docs-build: regenerated docs/modules; commit it" >&2
  exit 1
fi
echo "docs-build: ok ($(find docs/modules -name '*.md' | wc -l) reference pages, links checked)"
