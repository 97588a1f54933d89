#!/usr/bin/env bash
# Install the system packages the tests need (root; Debian/Ubuntu with apt, or
# Fedora with dnf). Python packages come from collection/requirements-test.txt.
set -euo pipefail
if [ "$(id -u)" != 0 ]; then
  echo "install-deps: run as root (the test lab needs network namespaces too), or install the packages listed in $0 yourself" >&2
  exit 1
fi
if command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  # libkrb5-dev + gcc: the test venv's koji pulls requests-gssapi -> gssapi, built from
  # source (the controller venv of `make build` installs koji without it).
  # python3-rpm: the rpm bindings (the PyPI "rpm" shim loads them into the venv).
  # krb5-*: a loopback KDC for the Koji Kerberos login tests.
  # mmdebstrap: the `fresh` layer's clean Debian 12 root (tests/fresh-debian.sh).
  apt-get install -y -q --no-install-recommends \
    openssh-server openssh-client iproute2 procps util-linux psmisc \
    rpm python3-rpm dnf createrepo-c python3-createrepo-c gnupg \
    libkrb5-dev gcc python3-venv rsync xorriso squashfs-tools zstd git make \
    krb5-kdc krb5-admin-server krb5-user mmdebstrap >/dev/null
elif command -v dnf >/dev/null 2>&1; then
  dnf -y -q install \
    openssh-server openssh-clients iproute procps-ng util-linux psmisc \
    rpm-build rpm-sign python3-rpm dnf createrepo_c python3-createrepo_c gnupg2 \
    krb5-devel gcc python3-devel rsync xorriso squashfs-tools zstd git make \
    krb5-server krb5-workstation mmdebstrap
else
  echo "install-deps: neither apt-get nor dnf found; install the packages listed in $0 by hand" >&2
  exit 1
fi
echo "install-deps: system packages ready"
