# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""node_lock through real ansible-playbook runs on localhost, two at a time."""

from __future__ import annotations

import calendar
import json
import os
import signal
import sys
import threading
import time

import pytest

from support.ansible_run import run_module, run_playbook

# Appends "<event> <owner> <monotonic time>" to a log, so the test can see whether two holds overlapped.
MARK = 'import sys, time; open(sys.argv[1], "a").write("%s %s %.3f\\n" % (sys.argv[2], sys.argv[3], time.monotonic()))'
# The "build": holds the slot until both runs have started (an event in the log, not a guess at how long
# the other run takes to get there), or until `hold` seconds have passed. With one slot the other run
# cannot start, so the holder waits the whole `hold`; with two, both go on as soon as both started.
HOLD = ('import sys, time\n'
        'deadline = time.monotonic() + float(sys.argv[2])\n'
        'while time.monotonic() < deadline:\n'
        '    if sum(1 for l in open(sys.argv[1]) if l.startswith("start ")) >= 2:\n'
        '        break\n'
        '    time.sleep(0.05)\n')


def play(lock_dir, log, owner, wait, hold=10.0, slots=1):
    mark = [sys.executable, '-c', MARK, str(log)]
    return [{
        'name': 'build on the node',
        'hosts': 'localhost',
        'gather_facts': False,
        'tasks': [
            {'name': 'lock', 'ondemand.fedora_build.node_lock': {
                'lock_dir': str(lock_dir), 'owner': owner, 'wait': wait, 'slots': slots}, 'register': 'slot'},
            {'name': 'start', 'ansible.builtin.command': {'argv': mark + ['start', owner]}},
            {'name': 'build', 'ansible.builtin.command': {'argv': [sys.executable, '-c', HOLD, str(log), str(hold)]}},
            {'name': 'end', 'ansible.builtin.command': {'argv': mark + ['end', owner]}},
            {'name': 'unlock', 'ondemand.fedora_build.node_lock': {
                'lock_dir': str(lock_dir), 'state': 'released', 'token': '{{ slot.token }}'}},
        ],
    }]


def run_parallel(*plays):
    runs = [None] * len(plays)

    def one(i):
        runs[i] = run_playbook(plays[i])

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(plays))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
    return runs


def intervals(log):
    spans = {}
    for line in log.read_text().splitlines():
        event, owner, when = line.split()
        spans.setdefault(owner, {})[event] = float(when)
    return spans


def holders_left(lock_dir):
    found = []
    for name in os.listdir(lock_dir):
        if name.endswith('.json'):
            record = json.loads((lock_dir / name).read_text())
            if os.path.exists('/proc/%d' % record['pid']):
                cmdline = open('/proc/%d/cmdline' % record['pid'], 'rb').read()
                if record['token'].encode() in cmdline:
                    found.append(record)
    return found


@pytest.fixture
def lock_dir(tmp_path):
    path = tmp_path / 'lock'
    yield path
    if path.is_dir():
        for record in holders_left(path):
            os.kill(record['pid'], signal.SIGKILL)


def test_two_runs_with_one_slot_never_overlap(tmp_path, lock_dir):
    log = tmp_path / 'events.log'
    first, second = run_parallel(play(lock_dir, log, 'rq-aaaaaaaaaaaa', wait=60),
                                 play(lock_dir, log, 'rq-bbbbbbbbbbbb', wait=60))
    first.assert_ok()
    second.assert_ok()
    spans = intervals(log)
    a, b = spans['rq-aaaaaaaaaaaa'], spans['rq-bbbbbbbbbbbb']
    assert a['end'] <= b['start'] or b['end'] <= a['start'], 'the two builds overlapped: %s' % spans
    # no wall-clock threshold on `waited`: under load the second run may start after the first is done
    assert first.status('lock') == 'changed' and first.status('unlock') == 'changed'
    assert holders_left(lock_dir) == []


def test_second_run_without_wait_fails_naming_the_holder(tmp_path, lock_dir):
    log = tmp_path / 'events.log'
    holder = run_module('ondemand.fedora_build.node_lock', {'lock_dir': str(lock_dir), 'owner': 'rq-aaaaaaaaaaaa'})
    holder.assert_ok()
    token = holder.result('module')['token']
    # the lock outlived the ansible-playbook run that took it
    assert [r['token'] for r in holders_left(lock_dir)] == [token]
    run = run_playbook(play(lock_dir, log, 'rq-bbbbbbbbbbbb', wait=0))
    assert not run.ok and run.status('lock') == 'failed'
    msg = run.result('lock')['msg']
    assert msg.startswith('No build slot is free on ') and 'slot 0 by rq-aaaaaaaaaaaa' in msg, msg
    assert not log.exists()
    rel = run_module('ondemand.fedora_build.node_lock', {'lock_dir': str(lock_dir), 'state': 'released',
                                                         'owner': 'rq-aaaaaaaaaaaa'})
    rel.assert_ok()
    assert rel.status('module') == 'changed'
    again = run_module('ondemand.fedora_build.node_lock', {'lock_dir': str(lock_dir), 'state': 'released',
                                                           'token': token})
    again.assert_ok()
    assert again.status('module') == 'ok'


def test_two_slots_let_two_runs_build_at_once(tmp_path, lock_dir):
    log = tmp_path / 'events.log'
    first, second = run_parallel(play(lock_dir, log, 'A-req', wait=0, hold=120, slots=2),
                                 play(lock_dir, log, 'B-req', wait=0, hold=120, slots=2))
    first.assert_ok()
    second.assert_ok()
    assert sorted([first.result('lock')['slot'], second.result('lock')['slot']]) == [0, 1]
    spans = intervals(log)
    a, b = spans['A-req'], spans['B-req']
    assert a['start'] < b['end'] and b['start'] < a['end'], 'two slots should have let both run at once: %s' % spans


def lock_records(lock_dir):
    return {r['owner']: r for r in (json.loads(p.read_text()) for p in lock_dir.glob('*.json'))}


def test_an_abandoned_lock_frees_itself_when_its_lease_ends(lock_dir):
    # a controller that took the lock and died before releasing it; the lease is long enough for the next
    # run to start before it ends (else the test could not see a slot freed too early), and nothing below
    # depends on that: a slower machine only waits less
    run = run_module('ondemand.fedora_build.node_lock', {'lock_dir': str(lock_dir), 'owner': 'gone', 'lease': 20})
    run.assert_ok()
    # the lease's end as the module reported it (whole seconds, rounded down); the holder may already
    # be gone when this line runs on a loaded machine, so its record is not read here
    expires = calendar.timegm(time.strptime(run.result('module')['lease_expires'], '%Y-%m-%dT%H:%M:%SZ'))
    # wait well beyond the lease: whenever this run starts (at once, or after the lease ran out
    # on a slow machine), it must get the slot, and never before the lease's recorded end
    nxt = run_module('ondemand.fedora_build.node_lock', {'lock_dir': str(lock_dir), 'owner': 'next', 'wait': 120})
    nxt.assert_ok()
    assert nxt.result('module')['slot'] == 0
    records = lock_records(lock_dir)
    assert 'gone' not in records, 'the abandoned holder must be gone'
    assert records['next']['acquired_epoch'] >= expires, (records['next'], expires)


def test_check_mode_takes_nothing(lock_dir):
    run = run_module('ondemand.fedora_build.node_lock', {'lock_dir': str(lock_dir), 'owner': 'x'}, check=True)
    run.assert_ok()
    res = run.result('module')
    assert res['changed'] is True and res['free'] is True and res['holder_pid'] is None
    assert not lock_dir.exists()
