# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""stage on localhost: local and FTP targets through ansible-playbook, faults, resume, latest pointers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.ansible_run import run_module
from support.stage_tree import make_tree, tree_digests, write_random

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils.staging import stage
from support.skips import tool_missing

BID = 'live-41-x86_64-0123456789ab'
BID2 = 'live-41-x86_64-ba9876543210'
LATEST = 'latest-live-41-x86_64'


def via_ansible(check=False, diff=False, env=None, **args):
    run = run_module('ondemand.fedora_build.stage', args, check=check, diff=diff, env=env)
    return run


def ok(**kwargs):
    run = via_ansible(**kwargs)
    run.assert_ok()
    return run.result('module')


def failed(**kwargs):
    run = via_ansible(**kwargs)
    assert run.rc != 0, run.describe()
    assert run.status('module') == 'failed'
    return run, run.result('module')


def ftp_target(srv, path='/staging', **extra):
    spec = {'type': 'ftp', 'host': srv.host, 'port': srv.port, 'user': srv.user, 'password': srv.password, 'path': path}
    spec.update(extra)
    return spec


def leftovers(root):
    """Temporary names anywhere below root."""
    return [str(p) for p in Path(root).rglob('*') if p.name.endswith('.tmp') or '.old.' in p.name]


# --------------------------------------------------------------------------- local


def test_local_stage_rerun_check_and_diff(tmp_path):
    src = tmp_path / 'src'
    digests = make_tree(src)
    dest = tmp_path / 'staging'
    args = dict(src=str(src), build_id=BID, latest=LATEST, target={'type': 'local', 'path': str(dest)})

    # check mode: what would be sent, nothing written
    res = ok(check=True, **args)
    assert res['changed'] is True
    assert sorted(res['would_transfer']) == sorted(list(digests) + ['CHECKSUM'])
    assert res['bytes_to_transfer'] == sum((src / r).stat().st_size for r in list(digests) + ['CHECKSUM'])
    assert res['bytes_transferred'] == 0 and not any(f['transferred'] for f in res['files'])
    assert not dest.exists()

    res = ok(diff=True, **args)
    assert res['changed'] is True
    assert res['target_url'] == 'file://%s/%s' % (dest, BID)
    assert res['path'] == '%s/%s' % (dest, BID)
    assert all(f['transferred'] for f in res['files'])
    assert res['bytes_transferred'] == res['bytes_to_transfer'] > 3 * 1024 * 1024
    assert {f['relpath']: f['sha256'] for f in res['files'] if f['relpath'] != 'CHECKSUM'} == digests
    assert tree_digests(dest / BID) == tree_digests(src)
    assert os.readlink(dest / LATEST) == BID
    assert res['latest'] == {'name': LATEST, 'build_id': BID, 'previous': None, 'changed': True}
    assert res['diff']['after'] == BID + '\n'
    assert sorted(os.listdir(dest)) == [LATEST, BID]  # no partial, no temp names

    # re-run: nothing to do
    res = ok(**args)
    assert res['changed'] is False and res['already_staged'] is True
    assert res['bytes_transferred'] == 0 and len(res['skipped_files']) == len(digests) + 1
    res = ok(check=True, **args)
    assert res['changed'] is False and res['would_transfer'] == []


def test_local_copy_on_same_fs_and_across(tmp_path):
    src = tmp_path / 'src'
    make_tree(src)
    same = tmp_path / 'same'
    ok(src=str(src), build_id=BID, target={'type': 'local', 'path': str(same)})
    # never a hard link into the build tree (its modes, its later changes): test_stage_links.py has the modes
    assert (same / BID / 'images/boot.iso').stat().st_ino != (src / 'images/boot.iso').stat().st_ino
    assert tree_digests(same / BID) == tree_digests(src)
    # A second filesystem (a tmpfs of our own; tests run as root): no hard link across it, a real copy.
    other_fs = tmp_path / 'other-fs'
    other_fs.mkdir()
    if subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', str(other_fs)], check=False).returncode:
        tool_missing('cannot mount a tmpfs for a second filesystem')
    try:
        other = other_fs / 'staging'
        ok(src=str(src), build_id=BID, target={'type': 'local', 'path': str(other)})
        staged = other / BID / 'images/boot.iso'
        assert staged.stat().st_ino != (src / 'images/boot.iso').stat().st_ino
        assert staged.stat().st_nlink == 1
        assert tree_digests(other / BID) == tree_digests(src)
        assert oct(staged.stat().st_mode & 0o777) == '0o644'
    finally:
        subprocess.run(['umount', '-l', str(other_fs)], check=False)


def test_local_resume_after_a_bad_source_file(tmp_path):
    """A run that fails half-way leaves verified files in the partial dir; the re-run keeps them."""
    src = tmp_path / 'src'
    make_tree(src)
    good = (src / 'logs/build.log').read_bytes()
    (src / 'logs/build.log').write_bytes(good.upper())  # same size, other bytes than CHECKSUM says
    dest = tmp_path / 'staging'
    args = dict(src=str(src), build_id=BID, latest=LATEST, target={'type': 'local', 'path': str(dest)})
    run, res = failed(**args)
    assert res['msg'] == ('local target %s: logs/build.log arrived with sha256 %s instead of %s from CHECKSUM; '
                          'the copy was discarded.' % (dest, tree_digests(src)['logs/build.log'],
                                                       _checksum_of(src, 'logs/build.log')))
    partial = dest / ('.%s.partial' % BID)
    assert not (dest / BID).exists() and not (dest / LATEST).exists()
    assert partial.is_dir()
    present = sorted(str(p.relative_to(partial)) for p in partial.rglob('*') if p.is_file())
    assert 'logs/build.log' not in present and 'images/boot.iso' in present
    assert not leftovers(dest)

    (src / 'logs/build.log').write_bytes(good)
    res = ok(**args)
    sent = {f['relpath']: f['transferred'] for f in res['files']}
    for rel in present:
        assert sent[rel] is False, rel
        assert rel in res['skipped_files']
    assert sent['logs/build.log'] is True and sent['CHECKSUM'] is True
    assert not partial.exists()
    assert tree_digests(dest / BID) == tree_digests(src)


def _checksum_of(root, rel):
    for line in (root / 'CHECKSUM').read_text().splitlines():
        if line.startswith('SHA256 (%s) = ' % rel):
            return line.rsplit(' ', 1)[1]
    raise KeyError(rel)


def test_latest_pointer_failed_build_and_replacing_a_failed_tree(tmp_path):
    dest = tmp_path / 'staging'
    first = tmp_path / 'first'
    make_tree(first)
    ok(src=str(first), build_id=BID, latest=LATEST, target={'type': 'local', 'path': str(dest)})

    # a failed build of another ID: staged (logs), latest untouched
    broken = tmp_path / 'broken'
    make_tree(broken, {'logs/build.log': b'lorax failed\n', 'build.json': b'{"result": {"state": "failed"}}\n'})
    res = ok(src=str(broken), build_id=BID2, latest=LATEST, failed=True, target={'type': 'local', 'path': str(dest)})
    assert res['changed'] is True and res['latest'] is None
    assert os.readlink(dest / LATEST) == BID
    assert sorted(os.listdir(dest / BID2)) == ['CHECKSUM', 'build.json', 'logs']

    # the same ID rebuilt successfully replaces the failed tree, and latest moves
    second = tmp_path / 'second'
    make_tree(second)
    res = ok(src=str(second), build_id=BID2, latest=LATEST, target={'type': 'local', 'path': str(dest)}, diff=True)
    assert res['changed'] is True and res['already_staged'] is False
    assert tree_digests(dest / BID2) == tree_digests(second)
    assert os.readlink(dest / LATEST) == BID2
    assert res['latest'] == {'name': LATEST, 'build_id': BID2, 'previous': BID, 'changed': True}
    assert res['diff']['before'] == BID + '\n' and res['diff']['after'] == BID2 + '\n'
    assert sorted(os.listdir(dest)) == sorted([BID, BID2, LATEST])


def test_verify_existing_restages_a_damaged_tree(tmp_path):
    src = tmp_path / 'src'
    make_tree(src)
    dest = tmp_path / 'staging'
    args = dict(src=str(src), build_id=BID, target={'type': 'local', 'path': str(dest)})
    ok(**args)
    # break the hard link, then damage the staged copy without changing its size
    staged = dest / BID / 'kickstart/fedora-live.ks'
    data = staged.read_bytes()
    staged.unlink()
    staged.write_bytes(data.replace(b'core', b'CORE'))
    assert ok(**args)['changed'] is False            # trusted by CHECKSUM + sizes (documented)
    res = ok(verify_existing=True, **args)           # hashed: restaged
    assert res['changed'] is True
    assert staged.read_bytes() == data


def test_a_staged_build_checked_in_place_answers_what_is_missing_or_differs(tmp_path):
    """Without src (check mode, verify_existing) the staged build is checked against its own CHECKSUM: the reuse check
    of the build role. Missing and different files are an answer, never a failure; what fails is a bad argument."""
    src = tmp_path / 'src'
    make_tree(src)
    dest = tmp_path / 'staging'
    target = {'type': 'local', 'path': str(dest)}
    ok(src=str(src), build_id=BID, target=target)
    before = tree_digests(dest / BID)
    check = dict(build_id=BID, target=target, verify_existing=True, check=True)
    res = ok(**check)
    assert res['already_staged'] is True and res['would_transfer'] == [] and res['changed'] is False
    assert len(res['files']) == len(before) - 1

    staged = dest / BID / 'kickstart/fedora-live.ks'
    data = staged.read_bytes()
    staged.write_bytes(data.replace(b'core', b'CORE'))                   # same size, other bytes
    res = ok(**check)
    assert res['already_staged'] is False and res['would_transfer'] == ['kickstart/fedora-live.ks']
    staged.unlink()                                                      # missing
    res = ok(**check)
    assert res['already_staged'] is False and res['would_transfer'] == ['kickstart/fedora-live.ks']
    (dest / BID / 'CHECKSUM').unlink()
    assert ok(**check)['would_transfer'] == ['CHECKSUM']
    assert ok(build_id=BID2, target=target, verify_existing=True, check=True)['would_transfer'] == ['CHECKSUM']
    assert sorted(p.name for p in dest.iterdir()) == [BID]               # nothing written

    for args in ({'verify_existing': True}, {'check': True}, {'verify_existing': True, 'check': True, 'latest': LATEST}):
        _run, res = failed(build_id=BID, target=target, **args)
        assert res['msg'].startswith('src: required, except to check a staged build in place'), res['msg']
    _run, res = failed(build_id=BID, target=dict(target, name='nightly'), verify_existing=True, check=True)
    assert 'Unsupported parameters' in res['msg'] and 'target.name' in res['msg'], res['msg']


def test_a_staged_build_on_ftp_checked_in_place(tmp_path, ftp_server):
    src = tmp_path / 'src'
    make_tree(src, {'a.txt': b'a\n', 'images/boot.iso': 70000})
    (tmp_path / 'ftp' / 'staging').mkdir(parents=True)
    srv = ftp_server(tmp_path / 'ftp')
    target = ftp_target(srv)
    stage({'src': str(src), 'build_id': BID, 'target': target})
    check = {'build_id': BID, 'target': target, 'verify_existing': True}
    res = stage(dict(check), check_mode=True)
    assert res['already_staged'] is True and res['would_transfer'] == []
    served = tmp_path / 'ftp' / 'staging' / BID
    (served / 'a.txt').write_bytes(b'b\n')
    (served / 'images' / 'boot.iso').unlink()
    res = stage(dict(check), check_mode=True)
    assert res['already_staged'] is False and sorted(res['would_transfer']) == ['a.txt', 'images/boot.iso']


def test_bad_inputs_are_one_sentence(tmp_path):
    src = tmp_path / 'src'
    make_tree(src, {'a.txt': b'a\n'})
    dest = {'type': 'local', 'path': str(tmp_path / 'staging')}
    checksum = (src / 'CHECKSUM').read_text()

    (src / 'CHECKSUM').write_text(checksum.replace('(a.txt)', '(../a.txt)'))
    _run, res = failed(src=str(src), build_id=BID, target=dest)
    assert res['msg'] == "src/CHECKSUM line 2: '../a.txt' is not a plain relative path (empty, \".\" or \"..\" part)."

    (src / 'CHECKSUM').write_text(checksum.replace('(a.txt)', '(b.txt)'))
    _run, res = failed(src=str(src), build_id=BID, target=dest)
    assert res['msg'] == 'src: b.txt is listed in CHECKSUM but missing from %s.' % src

    (src / 'CHECKSUM').write_text(checksum)
    _run, res = failed(src=str(src), build_id='../etc', target=dest)
    assert res['msg'].startswith("build_id: '../etc' is not a valid name")
    _run, res = failed(src=str(src), build_id=BID, target={'type': 'local', 'path': 'relative/dir'})
    assert res['msg'] == "target.path: 'relative/dir' is not an absolute path."
    _run, res = failed(src=str(src), build_id=BID, target={'type': 'ssh', 'host': 'stage.example.org',
                                                           'path': '/srv/staging', 'ssh_args': ['-o', 'StrictHostKeyChecking=no']})
    assert res['msg'].startswith("target.ssh_args: 'StrictHostKeyChecking=no' is not allowed")
    _run, res = failed(src=str(src), build_id=BID, target=dest, src_host={'host': 'node1'}, latest='x')
    assert 'src' in res['msg']
    assert not (tmp_path / 'staging').exists()


def test_size_comment_disagreeing_with_the_source(tmp_path):
    src = tmp_path / 'src'
    make_tree(src, {'a.txt': b'a\n'})
    (src / 'a.txt').write_bytes(b'abc\n')
    with pytest.raises(FedoraBuildError, match=r'^src: a.txt is 4 bytes but CHECKSUM says 2\.$'):
        stage({'src': str(src), 'build_id': BID, 'target': {'type': 'local', 'path': str(tmp_path / 'd')}})


# --------------------------------------------------------------------------- FTP


def test_ftp_stage_rerun_latest_and_no_password_anywhere(tmp_path, ftp_server):
    root = tmp_path / 'ftproot'
    root.mkdir()
    srv = ftp_server(root, password='s3cr3t-Pa55')
    src = tmp_path / 'src'
    make_tree(src)
    args = dict(src=str(src), build_id=BID, latest=LATEST, target=ftp_target(srv))
    run = via_ansible(diff=True, **args)
    run.assert_ok()
    res = run.result('module')
    assert res['changed'] is True
    assert res['target_url'] == 'ftp://stage@127.0.0.1:%d/staging/%s' % (srv.port, BID)
    assert tree_digests(root / 'staging' / BID) == tree_digests(src)
    assert (root / 'staging' / LATEST).read_text() == BID + '\n'
    assert not leftovers(root)
    assert 's3cr3t-Pa55' not in run.stdout + run.stderr + repr(run.results)

    # re-run: only the CHECKSUM and the pointer are read, nothing stored
    srv.received.clear()
    res = ok(**args)
    assert res['changed'] is False and res['bytes_transferred'] == 0 and srv.received == []

    # a second build moves the pointer (a file holding the build ID)
    src2 = tmp_path / 'src2'
    make_tree(src2, {'images/boot.iso': 1000, 'build.json': b'{}\n'})
    res = ok(src=str(src2), build_id=BID2, latest=LATEST, target=ftp_target(srv))
    assert res['latest'] == {'name': LATEST, 'build_id': BID2, 'previous': BID, 'changed': True}
    assert (root / 'staging' / LATEST).read_text() == BID2 + '\n'
    assert (root / 'staging' / BID).is_dir()


def test_ftp_password_from_environment(tmp_path, ftp_server):
    root = tmp_path / 'ftproot'
    root.mkdir()
    srv = ftp_server(root)
    src = tmp_path / 'src'
    make_tree(src, {'a.txt': b'a\n'})
    target = ftp_target(srv, password_env='STAGE_FTP_PW')
    del target['password']
    res = ok(src=str(src), build_id=BID, target=target, env={'STAGE_FTP_PW': srv.password})
    assert res['changed'] is True and (root / 'staging' / BID / 'a.txt').read_bytes() == b'a\n'
    _run, res = failed(src=str(src), build_id=BID2, target=target)
    assert res['msg'].startswith('target.password_env: the environment variable STAGE_FTP_PW is not set on ')
    target['password'] = 'wrong-password'
    _run, res = failed(src=str(src), build_id=BID2, target=target)
    assert res['msg'].startswith('FTP target ftp://stage@127.0.0.1:%d/staging: login refused (530' % srv.port)
    assert 'wrong-password' not in res['msg']


def test_ftp_refused_writes(tmp_path, ftp_server):
    root = tmp_path / 'ftproot'
    (root / 'staging').mkdir(parents=True)
    srv = ftp_server(root, writable=False)
    src = tmp_path / 'src'
    make_tree(src, {'a.txt': b'a\n'})
    _run, res = failed(src=str(src), build_id=BID, target=ftp_target(srv))
    assert res['msg'].startswith('FTP target ftp://stage@127.0.0.1:%d/staging: cannot create directory '
                                 '/staging/.%s.partial: the server refused (550' % (srv.port, BID))
    assert srv.password not in res['msg']
    assert os.listdir(root / 'staging') == []


@pytest.mark.parametrize('how', ['store_reply', 'quota'])
def test_ftp_out_of_space_then_resume(tmp_path, ftp_server, how):
    root = tmp_path / 'ftproot'
    root.mkdir()
    srv = ftp_server(root)
    src = tmp_path / 'src'
    make_tree(src, {'images/boot.iso': 2 * 1024 * 1024, 'logs/build.log': b'log\n',
                    'images/z-second.iso': 3 * 1024 * 1024, 'build.json': b'{}\n'})
    if how == 'store_reply':
        srv.set_store_reply('552 Insufficient storage space.', pattern='.z-second.iso.*')
    else:
        srv.set_quota(2 * 1024 * 1024 + 5 + 1024 * 1024)  # the first image and the log fit, the second does not
    args = dict(src=str(src), build_id=BID, latest=LATEST, target=ftp_target(srv))
    _run, res = failed(**args)
    assert res['msg'].startswith('FTP target ftp://stage@127.0.0.1:%d/staging: cannot store images/z-second.iso: '
                                 'the server is out of space (552 ' % srv.port), res['msg']
    partial = root / 'staging' / ('.%s.partial' % BID)
    assert not (root / 'staging' / BID).exists() and not (root / 'staging' / LATEST).exists()
    before = sorted(str(p.relative_to(partial)) for p in partial.rglob('*') if p.is_file())
    assert before == ['build.json', 'images/boot.iso']   # CHECKSUM order; only verified files, no temp name

    # space again: the re-run sends only what is missing
    srv.clear_faults()
    srv.received.clear()
    res = ok(**args)
    sent = sorted(f['relpath'] for f in res['files'] if f['transferred'])
    assert sent == ['CHECKSUM', 'images/z-second.iso', 'logs/build.log']
    assert sorted(res['skipped_files']) == before
    stored = [os.path.basename(p).split('.')[1] for p in srv.received]
    assert stored == ['z-second', 'build', 'CHECKSUM', 'latest-live-41-x86_64']
    assert tree_digests(root / 'staging' / BID) == tree_digests(src)
    assert not partial.exists() and not leftovers(root)


def test_ftp_tampered_transfer_is_detected(tmp_path, ftp_server):
    root = tmp_path / 'ftproot'
    root.mkdir()
    srv = ftp_server(root)
    src = tmp_path / 'src'
    digests = make_tree(src, {'images/boot.iso': 1024 * 1024, 'build.json': b'{}\n'})
    srv.set_tamper('.boot.iso.*', times=1)
    args = dict(src=str(src), build_id=BID, latest=LATEST, target=ftp_target(srv))
    _run, res = failed(**args)
    assert res['msg'].startswith('FTP target ftp://stage@127.0.0.1:%d/staging: images/boot.iso arrived with sha256 '
                                 % srv.port)
    assert res['msg'].endswith(' instead of %s from CHECKSUM; the copy was discarded.' % digests['images/boot.iso'])
    assert not (root / 'staging' / BID).exists() and not leftovers(root)
    assert not (root / 'staging' / ('.%s.partial' % BID) / 'images/boot.iso').exists()
    res = ok(**args)
    assert res['changed'] is True
    assert tree_digests(root / 'staging' / BID) == tree_digests(src)


def test_ftp_without_verify_checks_sizes_only(tmp_path, ftp_server):
    root = tmp_path / 'ftproot'
    root.mkdir()
    srv = ftp_server(root)
    src = tmp_path / 'src'
    make_tree(src, {'images/boot.iso': 100000})
    srv.set_tamper('.boot.iso.*', times=1)
    res = ok(src=str(src), build_id=BID, verify=False, target=ftp_target(srv))
    assert res['changed'] is True  # the documented trade-off: no read-back, so the flip goes unnoticed
    assert tree_digests(root / 'staging' / BID)['images/boot.iso'] != tree_digests(src)['images/boot.iso']


def test_ftp_unreachable(tmp_path):
    src = tmp_path / 'src'
    make_tree(src, {'a.txt': b'a\n'})
    from support.servers import free_port
    port = free_port()
    _run, res = failed(src=str(src), build_id=BID, connect_timeout=5,
                       target={'type': 'ftp', 'host': '127.0.0.1', 'port': port, 'user': 'u', 'password': 'pw',
                               'path': '/x'})
    assert res['msg'] == 'FTP target ftp://u@127.0.0.1:%d/x: cannot connect: Connection refused.' % port


def test_large_file_copies_through_one_block(tmp_path):
    """copy_hashing (a local copy across filesystems) never holds more than one block: 64 MiB with a 1 MiB buffer."""
    from ansible_collections.ondemand.fedora_build.plugins.module_utils.staging import common as staging
    big = tmp_path / 'big'
    write_random(big, 64 * 1024 * 1024)
    with open(big, 'rb', buffering=0) as reader, open(tmp_path / 'copy', 'wb', buffering=0) as writer:
        size, digest = staging.copy_hashing(reader, writer)
    assert size == 64 * 1024 * 1024
    assert digest == tree_digests(tmp_path)['big'] == tree_digests(tmp_path)['copy']


# A writer that appends in bursts with pauses, as ssh does when the network is slower than the disk.
BURST_WRITER = """import os, sys, time
data = open(sys.argv[1], 'rb').read()
out = sys.stdout.buffer
for start in range(0, len(data), 3 * 1024 * 1024 + 7):
    out.write(data[start:start + 3 * 1024 * 1024 + 7])
    out.flush()
    time.sleep(0.01)
"""


def test_follow_hashing_hashes_a_file_while_another_process_writes_it(tmp_path):
    """The pull path: ssh writes the temp file itself and follow_hashing hashes behind it; the digest is the
    file's, with the writer pausing between bursts (reads that find nothing new yet)."""
    from ansible_collections.ondemand.fedora_build.plugins.module_utils.staging import common as staging
    src = tmp_path / 'src'
    write_random(src, 70 * 1024 * 1024 + 5)   # more than one WRITEBACK_STEP
    dest = tmp_path / 'dest'
    with open(dest, 'wb') as writer, open(dest, 'rb', buffering=0) as reader:
        proc = subprocess.Popen([sys.executable, '-c', BURST_WRITER, str(src)], stdout=writer)
        size, digest = staging.follow_hashing(reader, proc, limit=70 * 1024 * 1024 + 5)
        assert proc.wait() == 0
    assert size == 70 * 1024 * 1024 + 5
    assert digest == tree_digests(tmp_path)['src'] == tree_digests(tmp_path)['dest']


def test_follow_hashing_stops_a_writer_that_goes_past_the_size(tmp_path):
    """A source longer than CHECKSUM says is a mismatch, not a disk filler: the writer is killed soon after."""
    from ansible_collections.ondemand.fedora_build.plugins.module_utils.staging import common as staging
    dest = tmp_path / 'dest'
    with open(dest, 'wb') as writer, open(dest, 'rb', buffering=0) as reader:
        proc = subprocess.Popen(['head', '-c', str(2 * 1024 ** 3), '/dev/zero'], stdout=writer)   # 2 GiB
        size, _digest = staging.follow_hashing(reader, proc, limit=1024 * 1024)
        assert proc.poll() is not None, 'the writer still runs'
    assert 1024 * 1024 < size < 1024 ** 3
    assert os.path.getsize(dest) < 1024 ** 3
