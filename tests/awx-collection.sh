#!/usr/bin/env bash
# Put the awx.awx collection where the AWX asset tests and ansible-lint find
# it, without Galaxy: it ships inside the `ansible` community package on PyPI.
# Downloads that wheel once (pip's cache; about 55 MB, no dependencies, nothing
# installed) and extracts only ansible_collections/awx/awx.
#   tests/awx-collection.sh            -> prints the collections path to use
#   ANSIBLE_COLLECTIONS_PATH=$(tests/awx-collection.sh):.collections ansible-lint collection/awx/configure.yml
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${VENV:-$root/.venv}
dest=${AWX_COLLECTION_DEST:-$root/tests/output/awx-collection}
spec=${AWX_ANSIBLE_SPEC:-ansible>=12,<13}   # ansible 12.x goes with ansible-core 2.19
if [ -f "$dest/ansible_collections/awx/awx/MANIFEST.json" ]; then
  echo "$dest"; exit 0
fi
dl=$(mktemp -d "${TMPDIR:-/tmp}/awx-collection.XXXXXX")
trap 'rm -rf "$dl"' EXIT
"$venv/bin/pip" download --quiet --no-deps --only-binary=:all: -d "$dl" "$spec" >&2
wheel=$(find "$dl" -name 'ansible-*.whl' | head -n1)
[ -n "$wheel" ] || { echo "awx-collection.sh: pip downloaded no ansible wheel for '$spec'" >&2; exit 1; }
mkdir -p "$dest.tmp"
"$venv/bin/python" - "$wheel" "$dest.tmp" <<'PY'
import sys
import zipfile
wheel, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as archive:
    members = [n for n in archive.namelist() if n.startswith('ansible_collections/awx/awx/')]
    if not members:
        sys.exit('awx-collection.sh: %s has no ansible_collections/awx/awx' % wheel)
    archive.extractall(dest, members=members)
PY
rm -rf "$dest"
mv "$dest.tmp" "$dest"
echo "$dest"
