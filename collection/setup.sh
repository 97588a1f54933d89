#!/usr/bin/env bash
# Controller set-up for using this checkout in place: a venv with the
# controller requirements, and the .collections/ link that ansible.cfg points
# at so `ondemand.fedora_build.*` resolves from the repo root.
#   collection/setup.sh                                                  (controller venv; = make setup)
#   REQUIREMENTS=collection/requirements-test.txt collection/setup.sh   (test venv)
#   KERBEROS=1 collection/setup.sh    also install requests-gssapi (Koji `auth: kerberos`)
# Nothing is built from source unless KERBEROS=1: a requirement line marked
# `# --no-deps` (koji, whose requests-gssapi needs a compiler) is installed
# without its dependencies, which the file lists itself. A system package that
# is missing is installed when run as root (apt-get or dnf), otherwise the
# exact command is printed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
venv=${VENV:-.venv}
req=${REQUIREMENTS:-collection/requirements.txt}
py=${PYTHON:-python3}
kerberos=${KERBEROS:-}

# need_packages DEBIAN_PACKAGES FEDORA_PACKAGES WHY: install system packages
# (root) or print the exact command and stop.
need_packages() {
  local deb=$1 rpm=$2 why=$3 cmd
  if command -v apt-get >/dev/null 2>&1; then
    cmd="apt-get install -y $deb"
  elif command -v dnf >/dev/null 2>&1; then
    cmd="dnf install -y $rpm"
  else
    echo "setup: $why; install the system packages $deb (Debian) or $rpm (Fedora)" >&2
    exit 1
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "setup: $why; install them with: sudo $cmd" >&2
    exit 1
  fi
  echo "setup: $why; installing: $cmd"
  if command -v apt-get >/dev/null 2>&1; then
    # shellcheck disable=SC2086  # the package lists are words
    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $deb; } >/dev/null
  else
    # shellcheck disable=SC2086
    dnf install -y -q $rpm >/dev/null
  fi
}

if ! command -v "$py" >/dev/null 2>&1; then
  need_packages python3 python3 "$py is missing"
fi
if [ ! -x "$venv/bin/pip" ]; then   # (a venv made without ensurepip has python but no pip)
  # Debian ships venv's pip bootstrap (ensurepip) in python3-venv
  if ! "$py" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    need_packages python3-venv python3 "$py cannot create a venv (no ensurepip)"
  fi
  echo "setup: creating $venv"
  "$py" -m venv "$venv"
  "$venv/bin/pip" install -q -U pip
fi

# Re-install only when the requirements (or KERBEROS) changed since the last run.
stamp="$venv/.installed-$(basename "$req")"
want=$(sha256sum <"$req" | cut -d' ' -f1)${kerberos:++kerberos}
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  if [ -n "$kerberos" ]; then
    # requests-gssapi -> gssapi: no Linux wheel; pip builds it with krb5-config, a compiler and Python.h
    if ! command -v krb5-config >/dev/null 2>&1 || ! command -v gcc >/dev/null 2>&1 ||
       ! "$venv/bin/python" -c 'import os, sysconfig; os.stat(os.path.join(sysconfig.get_paths()["include"], "Python.h"))' >/dev/null 2>&1; then
      need_packages "libkrb5-dev gcc python3-dev" "krb5-devel gcc python3-devel" \
        "KERBEROS=1: pip builds gssapi from source, which needs krb5-config, gcc and the Python headers"
    fi
  fi
  echo "setup: installing $req into $venv"
  nodeps=$(grep -E '^[^#]*#.*--no-deps' "$req" | sed 's/#.*//; s/[[:space:]]*$//' || true)
  grep -vE '^[^#]*#.*--no-deps' "$req" >"$venv/.requirements-deps.txt" || true
  "$venv/bin/pip" install -q -r "$venv/.requirements-deps.txt"
  if [ -n "$nodeps" ]; then
    # shellcheck disable=SC2086  # one requirement per word (none has spaces)
    "$venv/bin/pip" install -q --no-deps $nodeps
  fi
  rm -f "$venv/.requirements-deps.txt"
  if [ -n "$kerberos" ]; then
    "$venv/bin/pip" install -q requests-gssapi
  fi
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
