# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""node_lock: real holder processes and real flocks in a temp lock dir."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from ansible_collections.ondemand.fedora_build.plugins.module_utils import node_lock
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError


@pytest.fixture
def lock_dir(tmp_path):
    path = str(tmp_path / 'lock')
    yield path
    # never leave holders behind, whatever the test did
    for name in os.listdir(path) if os.path.isdir(path) else []:
        if name.endswith('.json'):
            record = json.loads(open(os.path.join(path, name)).read())
            if node_lock.holder_alive(record):
                os.kill(record['pid'], signal.SIGKILL)


def params(directory, **kw):
    base = dict(state='acquired', lock_dir=directory, slots=1, owner=None, wait=0.0, lease=600.0, token=None)
    base.update(kw)
    return base


def flock_free(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_acquire_holds_a_real_flock_that_outlives_the_call(lock_dir):
    res = node_lock.run(params(lock_dir, owner='rq-aaaaaaaaaaaa'))
    assert res['changed'] is True and res['slot'] == 0 and res['free'] is True
    assert res['lock_file'] == os.path.join(lock_dir, 'slot-0.lock')
    assert not flock_free(res['lock_file']), 'the holder must keep the flock after acquire returned'
    record = json.loads(open(os.path.join(lock_dir, 'slot-0.json')).read())
    assert record['owner'] == 'rq-aaaaaaaaaaaa' and record['pid'] == res['holder_pid'] and record['token'] == res['token']
    assert record['lease_expires'] > record['acquired']
    # the holder is detached: its own session, not our process group
    assert os.getsid(res['holder_pid']) == res['holder_pid']
    assert oct(os.stat(lock_dir).st_mode & 0o777) == '0o755'


def test_second_acquire_fails_at_once_naming_the_holder(lock_dir):
    first = node_lock.run(params(lock_dir, owner='rq-aaaaaaaaaaaa'))
    with pytest.raises(FedoraBuildError) as err:  # wait 0 (the default here): no waiting at all
        node_lock.run(params(lock_dir, owner='rq-bbbbbbbbbbbb'))
    msg = err.value.msg
    assert msg.startswith('No build slot is free on ') and 'all 1 taken' in msg
    assert 'slot 0 by rq-aaaaaaaaaaaa (pid %d' % first['holder_pid'] in msg
    assert err.value.result['holders'][0]['owner'] == 'rq-aaaaaaaaaaaa'
    assert msg.count('. ') == 0 and msg.endswith('.')


def test_waiter_gets_the_slot_when_it_is_released(lock_dir):
    first = node_lock.run(params(lock_dir, owner='rq-aaaaaaaaaaaa'))
    got = {}

    def waiter():
        got['res'] = node_lock.run(params(lock_dir, owner='rq-bbbbbbbbbbbb', wait=20))

    thread = threading.Thread(target=waiter)
    thread.start()
    thread.join(1.5)  # the waiter is still waiting: a taken slot is never given out
    assert thread.is_alive() and 'res' not in got, 'the waiter must not get a taken slot'
    rel = node_lock.run(params(lock_dir, state='released', token=first['token']))
    assert rel['changed'] is True and rel['released'][0]['holder_pid'] == first['holder_pid']
    thread.join(30)
    assert got['res']['slot'] == 0 and got['res']['owner'] == 'rq-bbbbbbbbbbbb'
    assert got['res']['waited'] >= 1.0  # it waited for the release, however fast this machine is


def test_wait_times_out(lock_dir):
    node_lock.run(params(lock_dir, owner='rq-aaaaaaaaaaaa'))
    started = time.monotonic()
    with pytest.raises(FedoraBuildError, match='after waiting 1 s'):
        node_lock.run(params(lock_dir, owner='x', wait=1.2))
    assert time.monotonic() - started >= 1.1  # it did wait out its wait (an upper bound would measure speed)


def test_two_slots_let_two_in_and_the_third_waits(lock_dir):
    a = node_lock.run(params(lock_dir, slots=2, owner='A-owner'))
    b = node_lock.run(params(lock_dir, slots=2, owner='B-owner'))
    assert sorted([a['slot'], b['slot']]) == [0, 1]
    with pytest.raises(FedoraBuildError) as err:
        node_lock.run(params(lock_dir, slots=2, owner='C-owner'))
    assert 'slot 0 by A-owner' in err.value.msg and 'slot 1 by B-owner' in err.value.msg
    node_lock.run(params(lock_dir, slots=2, state='released', token=b['token']))
    c = node_lock.run(params(lock_dir, slots=2, owner='C-owner'))
    assert c['slot'] == 1


def test_release_frees_and_is_idempotent(lock_dir):
    res = node_lock.run(params(lock_dir, owner='o1'))
    rel = node_lock.run(params(lock_dir, state='released', token=res['token']))
    assert rel['changed'] is True and rel['slot'] == 0
    assert flock_free(res['lock_file'])
    assert not os.path.exists(os.path.join(lock_dir, 'slot-0.json')), 'the holder removes its owner record'
    again = node_lock.run(params(lock_dir, state='released', token=res['token']))
    assert again['changed'] is False and again['released'] == []
    # a lock dir that never existed
    gone = node_lock.run(params(lock_dir + '-none', state='released', owner='o1'))
    assert gone['changed'] is False


def test_release_right_after_acquire_is_never_lost(lock_dir):
    # SIGTERM may reach the holder while it is still setting up; it must still clean up
    for _round in range(8):
        res = node_lock.run(params(lock_dir, owner='quick'))
        assert node_lock.run(params(lock_dir, state='released', token=res['token']))['changed'] is True
        assert flock_free(res['lock_file'])
        assert not os.path.exists(os.path.join(lock_dir, 'slot-0.json'))


def test_lease_expiry_frees_the_slot(lock_dir):
    res = node_lock.run(params(lock_dir, owner='short', lease=1.0))
    assert not flock_free(res['lock_file'])
    assert wait_for(lambda: flock_free(res['lock_file']), 10)
    assert wait_for(lambda: not os.path.exists(os.path.join(lock_dir, 'slot-0.json')), 5)
    assert node_lock.run(params(lock_dir, owner='next'))['slot'] == 0


def test_killed_holder_frees_the_slot_and_its_stale_record_is_ignored(lock_dir):
    res = node_lock.run(params(lock_dir, owner='victim'))
    os.kill(res['holder_pid'], signal.SIGKILL)
    assert wait_for(lambda: flock_free(res['lock_file']))
    assert os.path.exists(os.path.join(lock_dir, 'slot-0.json')), 'SIGKILL leaves the record behind'
    # a release of the dead holder's token does nothing
    assert node_lock.run(params(lock_dir, state='released', token=res['token']))['changed'] is False
    nxt = node_lock.run(params(lock_dir, owner='next'))
    assert nxt['slot'] == 0 and nxt['holder_pid'] != res['holder_pid']
    assert json.loads(open(os.path.join(lock_dir, 'slot-0.json')).read())['owner'] == 'next'


def test_owner_release_frees_every_lock_of_that_owner(lock_dir):
    a = node_lock.run(params(lock_dir, slots=3, owner='rq-cccccccccccc'))
    b = node_lock.run(params(lock_dir, slots=3, owner='rq-cccccccccccc'))
    other = node_lock.run(params(lock_dir, slots=3, owner='rq-dddddddddddd'))
    rel = node_lock.run(params(lock_dir, slots=1, state='released', owner='rq-cccccccccccc'))
    assert rel['changed'] is True
    assert sorted(r['holder_pid'] for r in rel['released']) == sorted([a['holder_pid'], b['holder_pid']])
    assert flock_free(a['lock_file']) and flock_free(b['lock_file'])
    assert not flock_free(other['lock_file'])


def test_release_never_signals_a_pid_that_is_not_the_holder(lock_dir):
    res = node_lock.run(params(lock_dir, owner='o'))
    os.kill(res['holder_pid'], signal.SIGKILL)
    assert wait_for(lambda: flock_free(res['lock_file']))
    # the pid got "recycled" by an unrelated process
    bystander = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])
    try:
        path = os.path.join(lock_dir, 'slot-0.json')
        record = json.loads(open(path).read())
        record['pid'] = bystander.pid
        open(path, 'w').write(json.dumps(record))
        rel = node_lock.run(params(lock_dir, state='released', owner='o'))
        assert rel['changed'] is False
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()


def test_check_mode_reports_and_takes_nothing(lock_dir):
    res = node_lock.run(params(lock_dir, owner='o'), check_mode=True)
    assert res['changed'] is True and res['free'] is True and res['slot'] == 0 and res['holder_pid'] is None
    assert not os.path.exists(lock_dir)
    held = node_lock.run(params(lock_dir, owner='o'))
    res = node_lock.run(params(lock_dir, owner='p'), check_mode=True)
    assert res['changed'] is False and res['free'] is False and res['holders'][0]['owner'] == 'o'
    rel = node_lock.run(params(lock_dir, state='released', owner='o'), check_mode=True)
    assert rel['changed'] is True and not flock_free(held['lock_file'])


def test_acquire_with_a_live_token_is_idempotent(lock_dir):
    res = node_lock.run(params(lock_dir, owner='o', token='my-token-1'))
    assert res['token'] == 'my-token-1'
    again = node_lock.run(params(lock_dir, owner='o', token='my-token-1'))
    assert again['changed'] is False and again['holder_pid'] == res['holder_pid']


@pytest.mark.parametrize('kw,needle', [
    ({'slots': 0}, 'slots: 0 is not a node capacity'),
    ({'wait': -1}, 'wait: -1 is negative'),
    ({'lease': 0}, 'lease: 0 must be a positive'),
    ({'lock_dir': 'rel/dir'}, "lock_dir: 'rel/dir' is not an absolute path."),
    ({'token': 'a b'}, "token: 'a b' is not a lock token"),
    ({'owner': 'x\ny'}, 'owner:'),
    ({'state': 'released'}, 'token: releasing a lock needs the token'),
])
def test_bad_parameters(lock_dir, kw, needle):
    with pytest.raises(FedoraBuildError) as err:
        node_lock.run(params(lock_dir, **kw))
    assert needle in err.value.msg


@pytest.mark.parametrize('slots', [1, 2])
def test_a_link_planted_at_a_lock_file_is_refused_and_never_followed(lock_dir, tmp_path, slots):
    """The holder runs as root: a link at slot-<n>.lock must not make it create, truncate or write the link's
    target (a file elsewhere, or a name that does not exist yet)."""
    os.makedirs(lock_dir)
    victim = tmp_path / 'victim'
    victim.write_text('precious\n')
    missing = tmp_path / 'not-there'
    os.symlink(str(victim), os.path.join(lock_dir, 'slot-0.lock'))
    if slots == 2:
        os.symlink(str(missing), os.path.join(lock_dir, 'slot-1.lock'))
    with pytest.raises(FedoraBuildError) as err:
        node_lock.run(params(lock_dir, slots=slots))
    assert err.value.msg == ('lock_dir: %s is a symbolic link; the lock never opens a link it did not make '
                             '(remove it).' % os.path.join(lock_dir, 'slot-0.lock'))
    assert victim.read_text() == 'precious\n'
    assert not missing.exists()
    assert sorted(os.listdir(lock_dir)) == ['slot-%d.lock' % n for n in range(slots)]
