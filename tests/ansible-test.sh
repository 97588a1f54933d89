#!/usr/bin/env bash
# Run ansible-test on a copy of this tree laid out as
# <tmp>/ansible_collections/ondemand/fedora_build (ansible-test refuses symlinks
# and needs that path), offline: the get-pip stand-in is put where
# ansible-test looks before it would download get-pip.
#   tests/ansible-test.sh sanity [--test NAME] [PATH...]
#   tests/ansible-test.sh units [PATH...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${VENV:-$root/.venv}
export PATH="$venv/bin:$PATH"
# Outside the checkout: inside it, ansible-test would ask git, which ignores the copy.
work=$(mktemp -d "${TMPDIR:-/tmp}/fedora_build-ansible-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
coll=$work/ansible_collections/ondemand/fedora_build

# Offline get-pip: ansible-test 2.19 pins pip 24.2 and looks in its cache first.
cache="$HOME/.ansible/test/cache"
mkdir -p "$cache"
for v in 24_2 25_2; do
  cmp -s "$root/tests/support/get_pip_offline.py" "$cache/get_pip_$v.py" \
    || cp "$root/tests/support/get_pip_offline.py" "$cache/get_pip_$v.py"
done

# Fresh copy of what git would ship (tracked + untracked-not-ignored), so
# sanity sees exactly the collection and nothing from .venv or the lab.
mkdir -p "$coll"
(cd "$root" && git ls-files -co --exclude-standard -z | xargs -0 -I{} cp --parents -P {} "$coll/" 2>/dev/null) || {
  (cd "$root" && git ls-files -co --exclude-standard -z | while IFS= read -r -d '' f; do
     [ -e "$f" ] && cp --parents -P "$f" "$coll/"; done)
}
cd "$coll"
cmd=$1; shift
case "$cmd" in
  sanity) ansible-test sanity --local --python 3.11 --color no "$@" ;;
  units)  ansible-test units --local --python 3.11 --color no "$@" ;;
  *) echo "usage: $0 sanity|units [args]" >&2; exit 2 ;;
esac
