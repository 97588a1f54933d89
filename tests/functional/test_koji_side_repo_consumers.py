# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The side repo as its consumers see it: Debian's dnf picks the pinned build; the real koji CLI agrees with the stand-in."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys

import pytest

from support.koji_side import direct, via_ansible
from support.skips import tool_missing

KOJI_CLI = os.path.join(os.path.dirname(sys.executable), 'koji')


def _sha(path):
    return hashlib.sha256(open(path, 'rb').read()).hexdigest()


@pytest.fixture
def base_repo(rpm_factory, tmp_path):
    """A 'distro' repo carrying a NEWER hello (3.0) than the pinned Koji build (1.0)."""
    if not shutil.which('createrepo_c'):
        tool_missing('createrepo_c command missing')
    rpms = rpm_factory.build('hello', '3.0', '1.fc41', arches=('x86_64',))
    repo = tmp_path / 'base'
    repo.mkdir()
    for item in rpms:
        shutil.copy(item.path, str(repo))
    subprocess.run(['createrepo_c', '--quiet', str(repo)], check=True)
    return repo


def _dnf(tmp_path, root, *args):
    if not shutil.which('dnf'):
        tool_missing('dnf missing')
    argv = ['dnf', '-y', '-q', '--installroot=%s' % root, '--setopt=cachedir=%s' % (tmp_path / 'dnfcache'),
            '--releasever=41', '--forcearch=x86_64', '--setopt=install_weak_deps=0'] + list(args)
    return subprocess.run(argv, capture_output=True, text=True, check=False)


def _installed(root):
    out = subprocess.run(['rpm', '--root', str(root), '-q', '--qf', '%{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}\n', 'hello'],
                         capture_output=True, text=True, check=False)
    return out.stdout.strip()


def test_control_without_side_repo_dnf_takes_the_newer_build(base_repo, tmp_path):
    proc = _dnf(tmp_path, tmp_path / 'root0', '--setopt=reposdir=/dev/null', '--disablerepo=*',
                '--repofrompath=base,file://%s' % base_repo, '--enablerepo=base', '--nogpgcheck', 'install', 'hello')
    assert proc.returncode == 0, proc.stderr
    assert _installed(tmp_path / 'root0') == 'hello-3.0-1.fc41.x86_64'


def test_dnf_installs_pinned_build_by_priority(koji_world, base_repo, tmp_path):
    """Side repo .repo (gpgcheck with the test key) + base repo via --repofrompath (priority 99): pinned 1.0 wins."""
    w = koji_world
    run = via_ansible(w.hub, tmp_path, builds=['hello-1.0-1.fc41'], arches=['x86_64'], sigkeys=[w.key1.sigkey],
                      gpgkeys=[w.key1.public_key], repo_file=str(tmp_path / 'repos.d' / 'side.repo'))
    run.assert_ok()
    proc = _dnf(tmp_path, tmp_path / 'root1', '--setopt=reposdir=%s' % (tmp_path / 'repos.d'),
                '--repofrompath=base,file://%s' % base_repo, '--setopt=base.gpgcheck=0', 'install', 'hello')
    assert proc.returncode == 0, proc.stderr
    assert _installed(tmp_path / 'root1') == 'hello-1.0-1.fc41.x86_64'
    # dnf checked the signature with the key from the .repo file (gpg-pubkey imported into the root)
    keys = subprocess.run(['rpm', '--root', str(tmp_path / 'root1'), '-q', 'gpg-pubkey'], capture_output=True, text=True,
                          check=False)
    assert w.key1.sigkey in keys.stdout


def test_dnf_installs_pinned_build_by_base_excludes(koji_world, base_repo, tmp_path):
    """Even with the priority made useless (side repo 99 like the base), excludepkgs on the base repo pins 1.0."""
    w = koji_world
    res = direct(w.hub, tmp_path, builds=['hello-1.0-1.fc41'], priority=98,
                 repo_file=str(tmp_path / 'repos.d' / 'side.repo'),
                 base_repos=[{'name': 'fedora', 'baseurl': 'file://%s' % base_repo, 'priority': 1}])
    assert res['exclude_packages'] == ['hello', 'hello-libs']
    text = (tmp_path / 'repos.d' / 'side.repo').read_text()
    assert '[fedora]\n' in text and 'excludepkgs=hello hello-libs\n' in text
    proc = _dnf(tmp_path, tmp_path / 'root2', '--setopt=reposdir=%s' % (tmp_path / 'repos.d'), 'install', 'hello')
    assert proc.returncode == 0, proc.stderr
    assert _installed(tmp_path / 'root2') == 'hello-1.0-1.fc41.x86_64'


@pytest.mark.parametrize('signed', [True, False], ids=['signed', 'unsigned'])
def test_koji_cli_download_build_agrees_with_module(koji_world, tmp_path, signed):
    """The real `koji download-build` against the stand-in fetches the very same files the module put in the repo."""
    w = koji_world
    sigkey = w.key1.sigkey if signed else ''
    res = direct(w.hub, tmp_path, builds=['hello-1.0-1.fc41'], arches=['x86_64'], exclude=[], sigkeys=[sigkey])
    conf = w.hub.write_cli_config(str(tmp_path / 'koji.conf'))
    cwd = tmp_path / 'cli'
    cwd.mkdir()
    argv = [KOJI_CLI, '-c', conf, '-p', 'standin', 'download-build', '--arch=x86_64', '--arch=noarch', '--debuginfo',
            '--noprogress', 'hello-1.0-1.fc41']
    if signed:
        argv.insert(-1, '--key=%s' % sigkey)
    proc = subprocess.run(argv, cwd=str(cwd), capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    cli_files = sorted(os.listdir(str(cwd)))
    assert cli_files == sorted(p['nvra'] + '.rpm' for p in res['packages'])
    for pkg in res['packages']:
        assert _sha(str(cwd / (pkg['nvra'] + '.rpm'))) == pkg['sha256']
    # and the CLI used the API the stand-in implements the way a real hub would be used
    assert 'listRPMs' in w.hub.method_calls() and 'getBuild' in w.hub.method_calls()
    if signed:
        assert any(c[0] == 'queryRPMSigs' for c in w.hub.calls)


def test_tampered_payload_passes_koji_cli_but_not_module(koji_world, tmp_path):
    """Cross-check of the fault injection: a tampered unsigned copy of the same size passes the CLI's size and
    header checks (it never hashes the payload), while the module refuses it."""
    w = koji_world
    path = 'packages/pydata/0.5/2.fc41/noarch/pydata-0.5-2.fc41.noarch.rpm'
    w.hub.inject('vol/archive/' + path, 'tamper')
    conf = w.hub.write_cli_config(str(tmp_path / 'koji.conf'))
    cwd = tmp_path / 'cli'
    cwd.mkdir()
    proc = subprocess.run([KOJI_CLI, '-c', conf, '-p', 'standin', 'download-build', '--arch=noarch', '--noprogress',
                           'pydata-0.5-2.fc41'], cwd=str(cwd), capture_output=True, text=True, timeout=120, check=False)
    from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
    with pytest.raises(FedoraBuildError):
        direct(w.hub, tmp_path, builds=['pydata-0.5-2.fc41'])
    # what the CLI does with the same bytes: it keeps them, although they differ from the hub's file
    assert proc.returncode == 0, proc.stdout + proc.stderr
    got = (cwd / 'pydata-0.5-2.fc41.noarch.rpm').read_bytes()
    real = open(os.path.join(w.hub.topdir, 'vol', 'archive', path), 'rb').read()
    assert len(got) == len(real) and got != real
