#!/usr/bin/env bash
# Controller set-up for using this checkout in place: a venv with the
# controller requirements, and the .collections/ link that ansible.cfg points
# at so `ondemand.fedora_build.*` resolves from the repo root.
#   REQUIREMENTS=collection/requirements-test.txt collection/setup.sh   (test venv)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
venv=${VENV:-.venv}
req=${REQUIREMENTS:-collection/requirements.txt}
py=${PYTHON:-python3}

if [ ! -x "$venv/bin/python" ]; then
  echo "setup: creating $venv"
  "$py" -m venv "$venv"
  "$venv/bin/pip" install -q -U pip
fi
# Re-install only when the requirements file changed since the last run.
stamp="$venv/.installed-$(basename "$req")"
want=$(cat "$req" | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: installing $req into $venv"
  "$venv/bin/pip" install -q -r "$req"
  echo "$want" >"$stamp"
fi
# The fedora-build CLI (collection/cli, docs/cli.md), editable: it runs this checkout's code.
[ -x "$venv/bin/fedora-build" ] || "$venv/bin/pip" install -q -e collection/cli

# In-place collection: .collections/ansible_collections/ondemand/fedora_build -> repo root
link=.collections/ansible_collections/ondemand/fedora_build
mkdir -p "$(dirname "$link")"
if [ "$(readlink "$link" 2>/dev/null)" != "../../.." ]; then
  rm -rf "$link"
  ln -s ../../.. "$link"
fi
echo "setup: ready ($venv, $link)"
