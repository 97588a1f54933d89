# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""collection/setup.sh (`make setup`, the first half of `make build`) on a fresh machine.

Promises: the controller venv gets koji without its Kerberos dependency (requests-gssapi -> gssapi has
no Linux wheel), so nothing is compiled; a missing system package is installed when run as root and
otherwise the exact command is printed; KERBEROS=1 adds requests-gssapi. setup.sh runs here in a copy
of the checkout, with stand-ins for python3, pip, apt-get and id on a PATH that has nothing else
(tests/fresh-debian.sh runs the real thing on a clean Debian 12 root).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from importlib import metadata

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REQUIREMENTS = os.path.join(ROOT, 'collection', 'requirements.txt')

FAKE_PYTHON = r'''#!/bin/bash
# python3 stand-in: ensurepip exists once "python3-venv" is installed; never has Python.h
case "$1 $2" in
  "-c import ensurepip, venv") [ -e "$STATE/venv-ok" ] ;;
  "-m venv") mkdir -p "$3/bin" && cp "$0" "$3/bin/python" && cp "$STATE/pip" "$3/bin/pip" ;;
  *) exit 1 ;;
esac
'''
FAKE_PIP = r'''#!/bin/bash
echo "pip $*" >>"$STATE/calls"
if [ "$3" = -r ]; then sed 's/^/  req: /' "$4" >>"$STATE/calls"; fi
if [ "$3" = -e ]; then : >"$(dirname "$0")/fedora-build"; chmod +x "$(dirname "$0")/fedora-build"; fi
'''
FAKE_APT = r'''#!/bin/bash
echo "apt-get $*" >>"$STATE/calls"
case " $* " in *" python3-venv "*) : >"$STATE/venv-ok" ;; esac
'''
# Fedora: python3 itself carries venv and ensurepip (there is no python3-venv package)
FAKE_DNF = r'''#!/bin/bash
echo "dnf $*" >>"$STATE/calls"
case " $* " in *" python3 "*) : >"$STATE/venv-ok" ;; esac
'''
TOOLS = ('bash', 'sha256sum', 'cut', 'cat', 'grep', 'sed', 'rm', 'mkdir', 'readlink', 'ln', 'dirname',
         'basename', 'cp', 'chmod')


@pytest.fixture(params=['debian'])
def sandbox(request, tmp_path):
    repo = tmp_path / 'repo'
    (repo / 'collection').mkdir(parents=True)
    for name in ('setup.sh', 'requirements.txt'):
        shutil.copy(os.path.join(ROOT, 'collection', name), str(repo / 'collection' / name))
    state = tmp_path / 'state'
    state.mkdir()
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    for tool in TOOLS:
        os.symlink(shutil.which(tool), str(bin_dir / tool))
    manager = {'debian': ('apt-get', FAKE_APT), 'fedora': ('dnf', FAKE_DNF)}.get(request.param)
    for name, text in (('python3', FAKE_PYTHON), ('id', '#!/bin/bash\necho "$FAKE_UID"\n')) + ((manager,) if manager else ()):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    (state / 'pip').write_text(FAKE_PIP)
    (state / 'pip').chmod(0o755)

    def run(uid=0, venv_ok=True, **env):
        if venv_ok:
            (state / 'venv-ok').write_text('')
        full = {'PATH': str(bin_dir), 'STATE': str(state), 'FAKE_UID': str(uid), 'HOME': str(tmp_path)}
        full.update(env)
        proc = subprocess.run([str(bin_dir / 'bash'), str(repo / 'collection' / 'setup.sh')], env=full,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                              check=False, timeout=60)
        calls = (state / 'calls').read_text() if (state / 'calls').exists() else ''
        return proc, calls

    run.repo = repo
    return run


def test_koji_is_installed_without_its_kerberos_dependency(sandbox):
    proc, calls = sandbox()
    assert proc.returncode == 0, proc.stderr
    assert 'setup: ready' in proc.stdout
    installs = [line for line in calls.splitlines() if line.startswith('pip ')]
    assert installs[0] == 'pip install -q -U pip'
    assert installs[1].startswith('pip install -q -r ')
    assert installs[2] == 'pip install -q --no-deps koji>=1.35'
    assert installs[3] == 'pip install -q -e collection/cli'
    requirements = [line[len('  req: '):].split('#')[0].strip() for line in calls.splitlines()
                    if line.startswith('  req: ')]
    assert 'ansible-core>=2.18,<2.20' in requirements and not any(r.startswith('koji') for r in requirements)
    assert 'gssapi' not in ' '.join(requirements + installs) and 'apt-get' not in calls


def test_koji_runtime_dependencies_except_kerberos_are_listed():
    """koji is installed with --no-deps: requirements.txt must list what koji needs, but requests-gssapi."""
    listed = set()
    with open(REQUIREMENTS) as handle:
        for line in handle:
            line = line.split('#', 1)[0].strip()
            if line:
                listed.add(re.split(r'[<>=!~\[; ]', line, maxsplit=1)[0].lower())
    needed = {re.split(r'[<>=!~\[; (]', req, maxsplit=1)[0].lower() for req in metadata.requires('koji') or ()
              if 'extra ==' not in req}
    assert needed - listed == {'requests-gssapi'}


def test_missing_venv_support_is_installed_as_root(sandbox):
    proc, calls = sandbox(uid=0, venv_ok=False)
    assert proc.returncode == 0, proc.stderr
    assert 'installing: apt-get install -y python3-venv' in proc.stdout
    assert 'apt-get install -y -q --no-install-recommends python3-venv' in calls


def test_missing_venv_support_prints_the_command_otherwise(sandbox):
    proc, calls = sandbox(uid=1000, venv_ok=False)
    assert proc.returncode == 1
    assert proc.stderr.strip() == ('setup: python3 cannot create a venv (no ensurepip); install them with: '
                                   'sudo apt-get install -y python3-venv')
    assert calls == ''


def test_kerberos_extra_prints_the_build_packages_when_not_root(sandbox):
    proc, calls = sandbox(uid=1000, KERBEROS='1')
    assert proc.returncode == 1
    assert 'install them with: sudo apt-get install -y libkrb5-dev gcc python3-dev' in proc.stderr
    assert 'requests-gssapi' not in calls


def test_kerberos_extra_installs_requests_gssapi_as_root(sandbox):
    proc, calls = sandbox(uid=0, KERBEROS='1')
    assert proc.returncode == 0, proc.stderr
    assert 'apt-get install -y -q --no-install-recommends libkrb5-dev gcc python3-dev' in calls
    assert 'pip install -q requests-gssapi' in calls


def test_a_venv_left_without_pip_is_made_again(sandbox):
    """`python3 -m venv` without ensurepip leaves bin/python but no pip: the next run must not take it as done."""
    (sandbox.repo / '.venv' / 'bin').mkdir(parents=True)
    (sandbox.repo / '.venv' / 'bin' / 'python').write_text('#!/bin/bash\nexit 1\n')
    (sandbox.repo / '.venv' / 'bin' / 'python').chmod(0o755)
    proc, calls = sandbox()
    assert proc.returncode == 0, proc.stderr
    assert 'setup: creating .venv' in proc.stdout
    assert 'pip install -q --no-deps koji>=1.35' in calls


# The same promises on Fedora (dnf, no apt-get) and on a machine with neither. This proves setup.sh's
# choices there, with a dnf stand-in; a real fresh Fedora root is not reachable here (no Fedora registry).
fedora = pytest.mark.parametrize('sandbox', ['fedora'], indirect=True)


@fedora
def test_fedora_missing_venv_support_installs_python3_as_root(sandbox):
    proc, calls = sandbox(uid=0, venv_ok=False)
    assert proc.returncode == 0, proc.stderr
    assert 'installing: dnf install -y python3\n' in proc.stdout
    assert 'dnf install -y -q python3\n' in calls
    assert 'pip install -q --no-deps koji>=1.35' in calls


@fedora
def test_fedora_missing_venv_support_prints_the_dnf_command_otherwise(sandbox):
    proc, calls = sandbox(uid=1000, venv_ok=False)
    assert proc.returncode == 1
    assert proc.stderr.strip() == ('setup: python3 cannot create a venv (no ensurepip); install them with: '
                                   'sudo dnf install -y python3')
    assert calls == ''


@fedora
def test_fedora_kerberos_extra_names_the_fedora_build_packages(sandbox):
    proc, calls = sandbox(uid=1000, KERBEROS='1')
    assert proc.returncode == 1
    assert 'install them with: sudo dnf install -y krb5-devel gcc python3-devel' in proc.stderr
    assert 'requests-gssapi' not in calls


@fedora
def test_fedora_needs_no_system_package_when_python3_has_venv(sandbox):
    """A fresh Fedora's python3 makes venvs: `make build`'s set-up installs nothing with dnf."""
    proc, calls = sandbox(uid=1000)
    assert proc.returncode == 0, proc.stderr
    assert 'dnf ' not in calls
    assert 'pip install -q --no-deps koji>=1.35' in calls


@pytest.mark.parametrize('sandbox', ['neither'], indirect=True)
def test_without_apt_or_dnf_both_package_names_are_printed(sandbox):
    proc, calls = sandbox(uid=0, venv_ok=False)
    assert proc.returncode == 1
    assert proc.stderr.strip() == ('setup: python3 cannot create a venv (no ensurepip); install the system packages '
                                   'python3-venv (Debian) or python3 (Fedora)')
    assert calls == ''
