#!/usr/bin/env bash
# Build the execution environment (collection/execution-environment.yml):
# builds this collection's tarball, stages it with the EE's requirement files
# in a work directory and runs ansible-builder there.
#   collection/build-ee.sh create          build context only (no container engine needed)
#   collection/build-ee.sh build [TAG]     the image (podman, or docker with CONTAINER_RUNTIME=docker)
# CONTEXT=DIR keeps the build context in DIR (default: a temp dir, removed afterwards for `build`).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${VENV:-$root/.venv}
export PATH="$venv/bin:$PATH"
mode=${1:-create}
tag=${2:-fedora-build-ee:latest}
case "$mode" in create|build) ;; *) echo "usage: $0 create|build [TAG]" >&2; exit 2 ;; esac
command -v ansible-builder >/dev/null || { echo "build-ee.sh: ansible-builder is not installed (pip install 'ansible-builder>=3.1,<4')" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/fedora_build-ee.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp "$root/collection/execution-environment.yml" "$root/collection/requirements.txt" \
   "$root/collection/bindep.txt" "$root/collection/requirements.yml" "$work/"
ansible-galaxy collection build --force --output-path "$work/dist" "$root" >/dev/null
mv "$work"/dist/ondemand-fedora_build-*.tar.gz "$work/ondemand-fedora_build.tar.gz"
context=${CONTEXT:-$work/context}
cd "$work"
if [ "$mode" = create ]; then
  ansible-builder create -f execution-environment.yml --context "$context" --output-filename Containerfile
else
  ansible-builder build -f execution-environment.yml --context "$context" --tag "$tag" \
    --container-runtime "${CONTAINER_RUNTIME:-podman}"
fi
echo "build-ee.sh: $mode done (context: $context)"
