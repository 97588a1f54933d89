# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""node_lock over SSH: the detached holder does not hold the SSH session open, and two
ansible-playbook runs against the same node take turns."""

from __future__ import annotations

import threading
import time

import pytest

from support.ansible_run import run_playbook

pytestmark = pytest.mark.lab


def play(node, owner, hold):
    lock_dir = '{{ node_root }}/lock-test'
    return [{
        'name': 'hold the node',
        'hosts': node,
        'gather_facts': False,
        'tasks': [
            {'name': 'lock', 'ondemand.fedora_build.node_lock': {'lock_dir': lock_dir, 'owner': owner, 'wait': 120},
             'register': 'slot'},
            {'name': 'build', 'ansible.builtin.command': {'argv': ['sleep', str(hold)]}},
            {'name': 'unlock',
             'ondemand.fedora_build.node_lock': {'lock_dir': lock_dir, 'state': 'released', 'token': '{{ slot.token }}'}},
        ],
    }]


def test_two_runs_take_turns_on_one_node(lab, tmp_path):
    node = sorted(lab.hosts)[0]
    runs = {}
    spans = {}

    def one(owner):
        started = time.monotonic()
        runs[owner] = run_playbook(play(node, owner, 4), lab.inventory, workdir=tmp_path / owner)
        spans[owner] = time.monotonic() - started

    threads = [threading.Thread(target=one, args=(o,)) for o in ('rq-aaaaaaaaaaaa', 'rq-bbbbbbbbbbbb')]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
    for run in runs.values():
        run.assert_ok()
    waited = sorted(run.result('lock', node)['waited'] for run in runs.values())
    assert waited[0] < 3 and waited[1] >= 3, 'the second run must wait for the first one\'s build: %s' % waited
    # the holder lives on after the module, yet it must not keep the SSH session (and the run) open
    assert min(spans.values()) < 30, spans
    assert all(run.status('unlock', node) == 'changed' for run in runs.values())
