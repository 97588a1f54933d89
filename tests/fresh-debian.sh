#!/usr/bin/env bash
# The "fresh" layer of tests/run-all.sh: the README's first command on a clean
# Debian 12. A bookworm root made with mmdebstrap holding only python3,
# python3-venv, make and git (and what they depend on); this checkout's HEAD
# cloned into it; `make build` run inside (chroot with /proc, /dev, /sys), which
# must reach its documented end: the preflight sentence on a non-Fedora node.
#   FRESH_CACHE=DIR   where the bootstrapped root tarball is kept between runs
#                     (default ${XDG_CACHE_HOME:-~/.cache}/fedora-build; a week at most;
#                     not written under CI=true, where a fresh machine would never read it)
#   FRESH_MIRROR=URL  the Debian mirror (default http://deb.debian.org/debian)
#   FRESH_KEEP=1      keep the work directory (printed) after the run
#   FRESH_REF=REF     test this commit of the checkout instead of HEAD
# Root only (chroot, mounts); exit 77 = skipped when not root, a failure under CI=true.
# Everything runs in a private mount namespace: no mount outlives the script,
# and nothing outside the work directory (and the cache) is written.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
ci=${CI:-}
ci=${ci,,}
[ "$ci" != 1 ] && [ "$ci" != yes ] || ci=true

skip_or_fail() {
  if [ "$ci" = true ]; then
    echo "fresh: $1 (CI=true: failing rather than skipping)" >&2
    exit 1
  fi
  echo "fresh: skipped: $1" >&2
  exit 77
}

if [ "$(id -u)" != 0 ]; then
  skip_or_fail "needs root (mmdebstrap, chroot and mounts)"
fi
if [ -z "${FRESH_IN_NAMESPACE:-}" ]; then
  command -v unshare >/dev/null 2>&1 || skip_or_fail "unshare (util-linux) is missing"
  FRESH_IN_NAMESPACE=1 exec unshare --mount --propagation private -- "$0" "$@"
fi

# Own tools: install what is missing (this layer must pass on a machine without them).
missing=()
command -v mmdebstrap >/dev/null 2>&1 || missing+=(mmdebstrap)
command -v git >/dev/null 2>&1 || missing+=(git)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "fresh: installing ${missing[*]}"
  if command -v apt-get >/dev/null 2>&1; then
    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"; } >/dev/null
  elif command -v dnf >/dev/null 2>&1; then
    dnf install -y -q "${missing[@]}" >/dev/null
  else
    echo "fresh: ${missing[*]} missing and neither apt-get nor dnf found" >&2
    exit 1
  fi
fi

suite=bookworm
include=python3,python3-venv,make,git
mirror=${FRESH_MIRROR:-http://deb.debian.org/debian}
cache=${FRESH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fedora-build}
key=$(printf '%s\n' "$suite" "$include" "$mirror" "$(uname -m)" | sha256sum | cut -c1-12)
tarball="$cache/fresh-$suite-$key.tar"
# The README's preflight sentences (the node is named by this machine's host name).
# shellcheck disable=SC2016  # the backquotes are the sentence's own
expected=('lorax is not installed on [^ ;]+; provision the node with `ansible-playbook playbooks/provision.yml` \(role ondemand\.fedora_build\.build_node\)\.'
          '[^ ]+ runs Debian GNU/Linux 12 \(bookworm\), but the target release is Fedora 41; lorax and pungi must run on the release they build\.')

work=$(mktemp -d "${TMPDIR:-/tmp}/fedora-build-fresh.XXXXXX")
chroot_dir="$work/root"
cleanup() {
  local rc=$?
  # private namespace: these mounts die with the script anyway; unmount to be able to remove the tree
  umount -R "$chroot_dir/proc" "$chroot_dir/dev" "$chroot_dir/sys" 2>/dev/null || true
  while read -r target; do umount -R "$target" 2>/dev/null || umount -l "$target" 2>/dev/null || true; done \
    < <(findmnt -rn -o TARGET | grep -F "$work/" | sort -r)
  if [ -n "${FRESH_KEEP:-}" ]; then
    echo "fresh: kept $work"
  elif findmnt -rn -o TARGET | grep -qF "$work/"; then
    echo "fresh: $work still has mounts; not removing it" >&2
  else
    rm -rf --one-file-system "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

t0=$SECONDS
if [ -n "$(find "$tarball" -mtime -7 2>/dev/null)" ]; then
  echo "fresh: cached Debian $suite root $tarball"
  mkdir "$chroot_dir"
  tar -C "$chroot_dir" -xf "$tarball"
else
  echo "fresh: mmdebstrap $suite ($include) from $mirror"
  # a throw-away root: dpkg need not fsync every file
  mmdebstrap --quiet --variant=apt --dpkgopt=force-unsafe-io --include="$include" "$suite" "$chroot_dir" "$mirror"
  if [ "$ci" != true ]; then
    mkdir -p "$cache"
    tar --numeric-owner -C "$chroot_dir" -cf "$tarball.tmp.$$" . && mv -f "$tarball.tmp.$$" "$tarball"
  fi
fi
echo "fresh: Debian root ready ($((SECONDS - t0))s)"

# The checkout: a clone of HEAD (committed work only).
ref=${FRESH_REF:-HEAD}
head=$(git -C "$root" rev-parse --verify "$ref^{commit}")
if [ "$ref" = HEAD ] && [ -n "$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
  echo "fresh: note: uncommitted changes are not tested; testing HEAD $head"
fi
src="$chroot_dir/root/fedora_build"
git clone -q --no-checkout "$root" "$src"
git -C "$src" fetch -q "$root" "$ref"
git -C "$src" checkout -q --detach FETCH_HEAD

# Network: the host's resolver and the same package index as the host's pip
# (its config files and the files they name; local index/wheel directories read-only).
rm -f "$chroot_dir/etc/resolv.conf"
cp -L /etc/resolv.conf "$chroot_dir/etc/resolv.conf"
pass_env=()
while IFS= read -r -d '' var; do pass_env+=("$var"); done \
  < <(env -0 | grep -zE '^(PIP_[A-Z_]+|https?_proxy|HTTPS?_PROXY|no_proxy|NO_PROXY)=' || true)
while IFS=$'\t' read -r kind path; do
  case $kind in
    file) install -D -m 0644 "$path" "$chroot_dir$path" ;;
    dir) mkdir -p "$chroot_dir$path" && mount --bind "$path" "$chroot_dir$path" &&
           mount -o remount,bind,ro "$chroot_dir$path" ;;
  esac
done < <(command -v python3 >/dev/null 2>&1 && python3 - <<'PY'
import configparser, os, shlex
home = os.path.expanduser('~')
files = ['/etc/pip.conf', os.path.join(home, '.pip', 'pip.conf'), os.path.join(home, '.config', 'pip', 'pip.conf')]
files += [os.path.join(d, 'pip', 'pip.conf') for d in os.environ.get('XDG_CONFIG_DIRS', '/etc/xdg').split(':') if d]
if os.environ.get('PIP_CONFIG_FILE'):
    files.append(os.environ['PIP_CONFIG_FILE'])
values = [v for k, v in os.environ.items() if k.startswith('PIP_')]
seen = set()
for path in files:
    if os.path.isfile(path) and path not in seen:
        seen.add(path)
        print('file\t' + os.path.abspath(path))
        parser = configparser.RawConfigParser()
        parser.read(path)
        values += [parser.get(s, o) for s in parser.sections() for o in parser.options(s)]
for value in values:
    for word in value.split():
        path = word[len('file://'):] if word.startswith('file://') else word
        if os.path.basename(path.rstrip('/')) == 'simple':
            path = os.path.dirname(path.rstrip('/'))   # a local index links to files beside it
        if not os.path.isabs(path) or not os.path.exists(path) or path in seen or path == '/':
            continue
        seen.add(path)
        print(('dir\t' if os.path.isdir(path) else 'file\t') + os.path.realpath(path))
PY
)

mount -t proc proc "$chroot_dir/proc"
mount --rbind /dev "$chroot_dir/dev"
mount --rbind /sys "$chroot_dir/sys"

echo "fresh: make build in the Debian root (HEAD $head)"
log="$work/make-build.log"
set +e
chroot "$chroot_dir" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "${pass_env[@]}" \
  /bin/bash -c 'cd /root/fedora_build && exec make build' 2>&1 | tee "$log" |
  while IFS= read -r line; do  # elapsed seconds on each line; the host pip's missing local indexes are noise
    case $line in "WARNING: Location '"*"' is ignored"*) ;; *) printf '%5ds | %s\n' "$((SECONDS - t0))" "$line" ;; esac
  done
rc=${PIPESTATUS[0]}
set -e
echo "fresh: make build exited $rc after $((SECONDS - t0))s in total"
mkdir -p "$root/tests/output" && cp "$log" "$root/tests/output/fresh-make-build.log"

problems=()
# the documented end is a failed preflight: make must say so, with the README's sentence
[ "$rc" != 0 ] || problems+=("make build succeeded on a node without lorax (expected the preflight stop)")
for sentence in "${expected[@]}"; do
  tr -s ' \n' ' ' <"$log" | grep -qE "$sentence" ||
    problems+=("the preflight sentence of README's Quick start is not in the output: $sentence")
done
! grep -q 'Traceback (most recent call last)' "$log" || problems+=("a Python traceback in the output")
if [ "${#problems[@]}" -gt 0 ]; then
  printf 'fresh: FAIL: %s\n' "${problems[@]}" >&2
  exit 1
fi
echo "fresh: ok: make build on a fresh Debian 12 reached the preflight sentence"
