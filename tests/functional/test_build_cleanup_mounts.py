# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""build_cleanup with real tmpfs and bind mounts, a real loop device and real processes (needs root)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from ansible_collections.ondemand.fedora_build.plugins.module_utils import cleanup
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from support.ansible_run import run_module
from support.skips import tool_missing

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason='mounting needs root')


def mounted(path):
    return [p for p, _t in cleanup.mounts_below(str(path))]


def mount(*argv):
    subprocess.run(['mount'] + [str(a) for a in argv], check=True)


@pytest.fixture
def work(tmp_path):
    root = tmp_path / 'work'
    build = root / 'live-41-x86_64-0123456789ab'
    (build / 'root').mkdir(parents=True)
    yield root
    # whatever a failing test left behind
    for point in sorted(mounted(tmp_path), key=len, reverse=True):
        subprocess.run(['umount', '-l', point], check=False)
    for dev, _backing in cleanup.loops_below(str(tmp_path)):
        subprocess.run(['losetup', '-d', dev], check=False)


def sleeper(cwd):
    # "ready" once it runs in cwd: the test then knows the process uses the directory (no sleep and hope)
    proc = subprocess.Popen([sys.executable, '-c', 'import time; print("ready", flush=True); time.sleep(600)'],
                            cwd=str(cwd), stdout=subprocess.PIPE)
    assert proc.stdout.readline().strip() == b'ready'
    return proc


def stubborn(cwd):
    code = 'import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print("ready", flush=True); time.sleep(600)'
    proc = subprocess.Popen([sys.executable, '-c', code], cwd=str(cwd), stdout=subprocess.PIPE)
    assert proc.stdout.readline().strip() == b'ready'
    return proc


def test_unmounts_deepest_first_and_removes(work, tmp_path):
    build = work / 'live-41-x86_64-0123456789ab'
    outside = tmp_path / 'outside'
    outside.mkdir()
    (outside / 'keep').write_text('precious')
    mount('-t', 'tmpfs', 'fbtest', build / 'root')
    (build / 'root' / 'proc').mkdir()
    (build / 'root' / 'host').mkdir()
    mount('-t', 'tmpfs', 'fbtest2', build / 'root' / 'proc')
    mount('--bind', outside, build / 'root' / 'host')
    mount('-t', 'tmpfs', 'fbtest3', build / 'root' / 'proc')          # stacked on the same point
    assert len(mounted(build)) == 4

    res = cleanup.cleanup(str(build), str(work), check_mode=True)
    assert res['changed'] is True and len(res['unmounted']) == 4 and build.exists() and len(mounted(build)) == 4

    res = cleanup.cleanup(str(build), str(work))
    points = [m['mount_point'] for m in res['unmounted']]
    assert points[-1] == str(build / 'root'), 'the parent mount goes last: %s' % points
    assert sorted(points[:3]) == sorted([str(build / 'root' / 'proc')] * 2 + [str(build / 'root' / 'host')])
    assert all(not m['lazy'] for m in res['unmounted'])
    assert mounted(build) == [] and not build.exists()
    assert (outside / 'keep').read_text() == 'precious', 'a bind mount target must never be emptied'
    assert cleanup.cleanup(str(build), str(work))['changed'] is False


def test_busy_mount_falls_back_to_lazy_unmount(work, tmp_path):
    build = work / 'live-41-x86_64-0123456789ab'
    mount('-t', 'tmpfs', 'fbbusy', build / 'root')
    proc = sleeper(build / 'root')
    try:
        res = cleanup.cleanup(str(build), str(work))
        assert res['unmounted'] == [dict(mount_point=str(build / 'root'), fstype='tmpfs', lazy=True)]
        assert res['killed'] == [] and proc.poll() is None
        assert not build.exists() and mounted(build) == []
    finally:
        proc.kill()
        proc.wait()


def test_kill_processes_then_unmount(work):
    build = work / 'live-41-x86_64-0123456789ab'
    mount('-t', 'tmpfs', 'fbkill', build / 'root')
    polite = sleeper(build / 'root')
    (build / 'log').write_text('')
    holder = subprocess.Popen([sys.executable, '-c', 'import sys, time; f = open(sys.argv[1]); print("ready", flush=True); '
                               'time.sleep(600)', str(build / 'log')], cwd='/', stdout=subprocess.PIPE)
    assert holder.stdout.readline().strip() == b'ready'  # the file is open now
    try:
        res = cleanup.cleanup(str(build), str(work), check_mode=True, kill=True)
        assert sorted(p['pid'] for p in res['killed']) == sorted([polite.pid, holder.pid])
        assert polite.poll() is None and holder.poll() is None

        res = cleanup.cleanup(str(build), str(work), kill=True, grace=5)
        by_pid = dict((p['pid'], p) for p in res['killed'])
        assert by_pid[polite.pid]['uses'] == 'cwd' and by_pid[polite.pid]['signal'] == 'SIGTERM'
        assert by_pid[holder.pid]['uses'].startswith('fd ')
        assert polite.wait(5) == -15 and holder.wait(5) == -15
        assert res['unmounted'][0]['lazy'] is False, 'with the processes gone a plain unmount works'
        assert not build.exists()
    finally:
        for proc in (polite, holder):
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_sigkill_after_grace(work):
    build = work / 'live-41-x86_64-0123456789ab'
    proc = stubborn(build)
    try:
        started = time.monotonic()
        res = cleanup.cleanup(str(build), str(work), kill=True, grace=1)
        assert time.monotonic() - started >= 1, "SIGKILL only after the grace period (no upper bound: a loaded machine is slow)"
        assert [(p['pid'], p['signal']) for p in res['killed']] == [(proc.pid, 'SIGKILL')]
        assert proc.wait(5) == -9 and not build.exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_loop_device_backed_by_a_file_in_the_tree_is_detached(work):
    build = work / 'live-41-x86_64-0123456789ab'
    image = build / 'disk.img'
    with open(str(image), 'wb') as handle:
        handle.truncate(4 * 1024 * 1024)
    try:
        dev = subprocess.run(['losetup', '-f', '--show', str(image)], check=True, capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError) as err:
        tool_missing('no loop device available: %s' % err)
    res = cleanup.cleanup(str(build), str(work))
    assert res['loop_devices'] == [dict(device=dev, backing_file=str(image))]
    assert not os.path.exists('/sys/block/%s/loop/backing_file' % os.path.basename(dev))
    assert not build.exists()


def test_unmount_false_refuses_to_remove_a_tree_with_mounts(work):
    build = work / 'live-41-x86_64-0123456789ab'
    mount('-t', 'tmpfs', 'fbkeep', build / 'root')
    (build / 'root' / 'data').write_text('x')
    with pytest.raises(FedoraBuildError, match='has mount points below it .*set unmount to true'):
        cleanup.cleanup(str(build), str(work), unmount=False)
    assert (build / 'root' / 'data').exists()


def test_through_ansible_playbook(work):
    build = work / 'live-41-x86_64-0123456789ab'
    mount('-t', 'tmpfs', 'fbansible', build / 'root')
    proc = sleeper(build / 'root')
    try:
        args = {'path': str(build), 'work_root': str(work), 'kill_processes': True, 'kill_grace': 3}
        run = run_module('ondemand.fedora_build.build_cleanup', args, check=True)
        run.assert_ok()
        res = run.result('module')
        assert res['changed'] is True and [p['pid'] for p in res['killed']] == [proc.pid] and build.exists()
        run = run_module('ondemand.fedora_build.build_cleanup', args)
        run.assert_ok()
        res = run.result('module')
        assert res['changed'] is True and res['removed'] is True and res['unmounted'][0]['mount_point'] == str(build / 'root')
        assert proc.wait(5) == -15 and not build.exists()
        run = run_module('ondemand.fedora_build.build_cleanup', args)
        run.assert_ok()
        assert run.status('module') == 'ok'
        run = run_module('ondemand.fedora_build.build_cleanup', {'path': str(work), 'work_root': str(work)})
        assert run.status('module') == 'failed'
        assert run.result('module')['msg'] == 'path: %s is not strictly below work_root %s; refusing to remove it.' % (work, work)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_process_in_another_mount_namespace_at_the_same_path_is_left_alone(work):
    """Another mount namespace (a container, a second build node of the lab on this kernel) may have its own
    directory at the very path being cleaned: its processes are not ours and must survive; ours are stopped."""
    build = work / 'live-41-x86_64-0123456789ab'
    code = ('mount -t tmpfs other "$1" && cd "$1" && echo ready && exec %s -c "import time; time.sleep(600)"'
            % sys.executable)
    other = subprocess.Popen(['unshare', '--mount', '--propagation', 'private', 'sh', '-c', code, 'sh', str(build)],
                             stdout=subprocess.PIPE)
    ours = sleeper(build)
    try:
        assert other.stdout.readline().strip() == b'ready'
        cwd_other = os.readlink('/proc/%d/cwd' % other.pid)
        assert cwd_other == str(build), cwd_other   # the very same path text: only the object differs
        res = cleanup.cleanup(str(build), str(work), kill=True, grace=5)
        assert [p['pid'] for p in res['killed']] == [ours.pid], res['killed']
        assert ours.wait(timeout=10) is not None
        assert other.poll() is None, 'the process in the other mount namespace was killed'
    finally:
        for proc in (other, ours):
            if proc.poll() is None:
                proc.kill()
                proc.wait()
