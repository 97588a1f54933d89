# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""stage never writes through a link it did not make, trusts a resumed file only by its sha256, and gives
staged files their documented modes: local targets (through ansible-playbook), SSH targets (the real remote
scripts, run by sh on this machine instead of over ssh), pulls and FTP (pyftpdlib on loopback)."""

from __future__ import annotations

import os
import stat

import pytest

from support.ansible_run import run_module
from support.stage_tree import make_tree, tree_digests

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils.staging import stage
from ansible_collections.ondemand.fedora_build.plugins.module_utils.staging import ssh as staging_ssh

BID = 'boot-41-x86_64-0123456789ab'
LATEST = 'latest-boot-41-x86_64'
LINK_MSG = '%s: %s is a symbolic link; staging never writes through a link it did not make.'


def run_stage(**args):
    return run_module('ondemand.fedora_build.stage', args)


def victim_dir(tmp_path):
    victim = tmp_path / 'victim'
    victim.mkdir()
    (victim / 'keep').write_text('precious\n')
    return victim


def assert_untouched(victim):
    assert sorted(os.listdir(victim)) == ['keep'] and (victim / 'keep').read_text() == 'precious\n'


@pytest.fixture
def local_ssh(monkeypatch):
    """SSH targets and sources without a network: every remote script runs with sh on this machine (the same
    scripts, the same python3 receivers; only the transport differs). ``python`` False hides python3 from the
    target, as on a staging host without it."""
    monkeypatch.setattr(staging_ssh.SshConnection, 'argv', lambda self, script: ['sh', '-c', script])
    monkeypatch.setattr(staging_ssh.SshConnection, 'close', lambda self: None)

    def use(python=True):
        if not python:
            inspect = staging_ssh.SshTarget.inspect

            def without_python(self, *args, **kwargs):
                state = inspect(self, *args, **kwargs)
                self.has_python = False
                return state
            monkeypatch.setattr(staging_ssh.SshTarget, 'inspect', without_python)
    return use


def ssh_target(path):
    return {'type': 'ssh', 'host': 'staging.invalid', 'path': str(path)}


# --------------------------------------------------------------------------- links at partial names


@pytest.mark.parametrize('where', ['partial', 'partial/images'])
def test_local_target_refuses_a_link_at_a_partial_directory_name(tmp_path, where):
    src = tmp_path / 'src'
    make_tree(src)
    dest = tmp_path / 'staging'
    victim = victim_dir(tmp_path)
    partial = dest / ('.%s.partial' % BID)
    if where == 'partial':
        dest.mkdir()
        partial.symlink_to(victim)
        shown = '.%s.partial' % BID
    else:
        partial.mkdir(parents=True)
        (partial / 'images').symlink_to(victim)
        shown = '.%s.partial/images' % BID
    run = run_stage(src=str(src), build_id=BID, latest=LATEST, target={'type': 'local', 'path': str(dest)})
    assert run.rc != 0, run.describe()
    assert run.result('module')['msg'] == LINK_MSG % ('local target %s' % dest, shown)
    assert_untouched(victim)
    assert not (dest / BID).exists() and not (dest / LATEST).exists()


@pytest.mark.parametrize('python', [True, False], ids=['python3', 'sh'])
@pytest.mark.parametrize('where', ['partial', 'partial/images'])
def test_ssh_target_refuses_a_link_at_a_partial_directory_name(tmp_path, local_ssh, where, python):
    local_ssh(python)
    src = tmp_path / 'src'
    make_tree(src)
    dest = tmp_path / 'staging'
    victim = victim_dir(tmp_path)
    partial = dest / ('.%s.partial' % BID)
    if where == 'partial':
        dest.mkdir()
        partial.symlink_to(victim)
        shown = '.%s.partial' % BID
    else:
        partial.mkdir(parents=True)
        (partial / 'images').symlink_to(victim)
        shown = '.%s.partial/images' % BID
    with pytest.raises(FedoraBuildError) as err:
        stage({'src': str(src), 'build_id': BID, 'latest': LATEST, 'target': ssh_target(dest)})
    assert err.value.msg == LINK_MSG % ('SSH target sftp://root@staging.invalid%s' % dest, shown)
    assert_untouched(victim)
    assert not (dest / BID).exists() and not (dest / LATEST).exists()


def test_pull_into_a_local_target_refuses_a_link_at_a_partial_directory_name(tmp_path, local_ssh):
    local_ssh()
    src = tmp_path / 'src'
    make_tree(src, {'images/boot.iso': 9 * 1024 * 1024, 'logs/build.log': b'log\n'})  # one big, one batched
    dest = tmp_path / 'staging'
    victim = victim_dir(tmp_path)
    (dest / ('.%s.partial' % BID)).mkdir(parents=True)
    (dest / ('.%s.partial' % BID) / 'logs').symlink_to(victim)
    with pytest.raises(FedoraBuildError) as err:
        stage({'src': str(src), 'build_id': BID, 'target': {'type': 'local', 'path': str(dest)},
               'src_host': {'host': 'node.invalid'}})
    assert err.value.msg == LINK_MSG % ('local target %s' % dest, '.%s.partial/logs' % BID)
    assert_untouched(victim)
    # with the link gone, the same pull stages the tree (the big file verified by then is kept)
    (dest / ('.%s.partial' % BID) / 'logs').unlink()
    res = stage({'src': str(src), 'build_id': BID, 'target': {'type': 'local', 'path': str(dest)},
                 'src_host': {'host': 'node.invalid'}})
    assert 'images/boot.iso' in res['skipped_files']
    assert tree_digests(dest / BID) == tree_digests(src)


# --------------------------------------------------------------------------- resumed files: sha256, not size


def plant_wrong_partial_file(partial, src, rel):
    """A file under its real name in the partial directory, of the right size and with other bytes."""
    good = (src / rel).read_bytes()
    (partial / rel).parent.mkdir(parents=True, exist_ok=True)
    (partial / rel).write_bytes(bytes(b ^ 0xff for b in good[:16]) + good[16:])
    assert (partial / rel).stat().st_size == len(good)


def test_local_resume_trusts_a_partial_file_only_by_its_sha256(tmp_path):
    src = tmp_path / 'src'
    make_tree(src)
    dest = tmp_path / 'staging'
    plant_wrong_partial_file(dest / ('.%s.partial' % BID), src, 'images/boot.iso')
    run = run_stage(src=str(src), build_id=BID, target={'type': 'local', 'path': str(dest)})
    run.assert_ok()
    res = run.result('module')
    assert {f['relpath']: f['transferred'] for f in res['files']}['images/boot.iso'] is True
    assert res['skipped_files'] == []
    assert tree_digests(dest / BID) == tree_digests(src)


@pytest.mark.parametrize('python', [True, False], ids=['python3', 'sh'])
def test_ssh_resume_trusts_a_partial_file_only_by_its_sha256(tmp_path, local_ssh, python):
    local_ssh(python)
    src = tmp_path / 'src'
    make_tree(src)
    dest = tmp_path / 'staging'
    plant_wrong_partial_file(dest / ('.%s.partial' % BID), src, 'images/boot.iso')
    res = stage({'src': str(src), 'build_id': BID, 'target': ssh_target(dest)})
    assert {f['relpath']: f['transferred'] for f in res['files']}['images/boot.iso'] is True
    assert tree_digests(dest / BID) == tree_digests(src)


def test_ssh_resume_keeps_a_verified_partial_file(tmp_path, local_ssh):
    """The other side of the rule: a partial file with the right sha256 is not sent again."""
    local_ssh()
    src = tmp_path / 'src'
    make_tree(src)
    partial = tmp_path / 'staging' / ('.%s.partial' % BID)
    (partial / 'images').mkdir(parents=True)
    (partial / 'images/boot.iso').write_bytes((src / 'images/boot.iso').read_bytes())
    res = stage({'src': str(src), 'build_id': BID, 'target': ssh_target(tmp_path / 'staging')})
    assert res['skipped_files'] == ['images/boot.iso']
    assert tree_digests(tmp_path / 'staging' / BID) == tree_digests(src)


def test_ftp_resume_trusts_a_partial_file_only_by_its_sha256(tmp_path, ftp_server):
    root = tmp_path / 'ftproot'
    root.mkdir()
    srv = ftp_server(root)
    src = tmp_path / 'src'
    make_tree(src, {'images/boot.iso': 1024 * 1024, 'build.json': b'{}\n'})
    plant_wrong_partial_file(root / 'staging' / ('.%s.partial' % BID), src, 'images/boot.iso')
    target = {'type': 'ftp', 'host': srv.host, 'port': srv.port, 'user': srv.user, 'password': srv.password,
              'path': '/staging'}
    run = run_stage(src=str(src), build_id=BID, target=target)
    run.assert_ok()
    res = run.result('module')
    assert {f['relpath']: f['transferred'] for f in res['files']}['images/boot.iso'] is True
    assert tree_digests(root / 'staging' / BID) == tree_digests(src)


# --------------------------------------------------------------------------- modes on the same filesystem


def test_staged_files_get_their_modes_on_the_same_filesystem(tmp_path):
    """Source and target share a filesystem (tmp_path): staged files are 0644 files of their own, never a
    hard link that keeps the build tree's mode (or changes when the tree does); directories 0755."""
    src = tmp_path / 'src'
    make_tree(src)
    for path in src.rglob('*'):
        if path.is_file():
            path.chmod(0o600)
    dest = tmp_path / 'staging'
    old_umask = os.umask(0o077)   # the module's own umask must not matter either
    try:
        run = run_stage(src=str(src), build_id=BID, target={'type': 'local', 'path': str(dest)})
    finally:
        os.umask(old_umask)
    run.assert_ok()
    staged = dest / BID
    for path in staged.rglob('*'):
        mode = stat.S_IMODE(path.lstat().st_mode)
        if path.is_dir():
            assert mode == 0o755, (path, oct(mode))
        else:
            assert mode == 0o644, (path, oct(mode))
            assert path.stat().st_nlink == 1, path
            assert path.stat().st_ino != (src / path.relative_to(staged)).stat().st_ino, path
    assert stat.S_IMODE(staged.stat().st_mode) == 0o755
    before = tree_digests(staged)
    (src / 'images/boot.iso').write_bytes(b'changed after staging')
    assert tree_digests(staged) == before
