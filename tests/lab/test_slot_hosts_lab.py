# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""build_plan + playbooks/tasks/add_slot_hosts.yml on the SSH lab.

The slot hosts reach the real nodes over SSH with the nodes' own connection variables (host key
checking on), and two slots of one node run at the same time.
"""

from __future__ import annotations

import shutil
from datetime import datetime

import pytest
import yaml

from support.ansible_run import REPO, run_playbook

pytestmark = pytest.mark.lab

ADD_SLOT_HOSTS = str(REPO / 'playbooks' / 'tasks' / 'add_slot_hosts.yml')


def lab_inventory(lab, tmp_path, capacity=None, known_hosts=None):
    """The lab's inventory with fedora_build_capacity per node (and optionally another known_hosts)."""
    data = yaml.safe_load(lab.inventory.read_text(encoding='utf-8'))
    builders = data['all']['children']['builders']
    for body in builders['children'].values():
        for name, hostvars in body['hosts'].items():
            if capacity and name in capacity:
                hostvars['fedora_build_capacity'] = capacity[name]
    if known_hosts:
        builders['vars']['ansible_ssh_common_args'] = builders['vars']['ansible_ssh_common_args'].replace(
            str(lab.known_hosts), str(known_hosts))
        assert str(known_hosts) in builders['vars']['ansible_ssh_common_args']
        # a fresh ControlPath dir: a master connection left by another test would skip the host key check
        builders['vars']['ansible_control_path_dir'] = str(tmp_path / 'cp')
    path = tmp_path / 'inventory.yml'
    path.write_text(yaml.safe_dump(data), encoding='utf-8')
    return path


def plays(requests, slot_tasks):
    return [
        {'name': 'plan', 'hosts': 'localhost', 'gather_facts': False, 'tasks': [
            {'name': 'nodes', 'ansible.builtin.set_fact': {
                'fedora_build_nodes': "{{ fedora_build_nodes | default([]) + [{'name': item.1, "
                                      "'arch': item.0.key | regex_replace('^builders_', ''), "
                                      "'capacity': hostvars[item.1].fedora_build_capacity | default(1) | int}] }}"},
             'loop': "{{ groups | dict2items | selectattr('key', 'match', '^builders_.') | subelements('value') }}"},
            {'name': 'plan', 'ondemand.fedora_build.build_plan': {
                'requests': requests, 'nodes': '{{ fedora_build_nodes }}'}, 'register': 'fedora_build_plan'},
            {'name': 'slots', 'ansible.builtin.include_tasks': ADD_SLOT_HOSTS},
        ]},
        {'name': 'slots', 'hosts': 'fedora_build_slots', 'gather_facts': False, 'tasks': slot_tasks},
    ]


def requests(arches):
    return [{'request_id': 'rq-%012x' % i, 'image_type': 'boot', 'release': '41', 'arch': arch}
            for i, arch in enumerate(arches)]


def stamp(text):
    return datetime.strptime(text, '%Y-%m-%d %H:%M:%S.%f')


def test_slot_hosts_reach_their_nodes_and_run_in_parallel(lab, tmp_path):
    inventory = lab_inventory(lab, tmp_path, capacity={'node-x86a': 2})
    tasks = [
        {'name': 'hostname', 'ansible.builtin.command': {'argv': ['hostname']}, 'changed_when': False},
        {'name': 'args', 'ansible.builtin.debug': {'msg': '{{ ansible_ssh_common_args }}|{{ fedora_build_work_dir }}'}},
        {'name': 'sleep', 'ansible.builtin.command': {'argv': ['sleep', '3']}, 'changed_when': False},
    ]
    run = run_playbook(plays(requests(['x86_64', 'x86_64', 'x86_64', 'aarch64']), tasks), inventory,
                       args=['--forks', '8'], workdir=tmp_path / 'run')
    run.assert_ok()
    slots = ['node-arm#1', 'node-x86a#1', 'node-x86a#2', 'node-x86b#1']
    assert [s['host'] for s in run.result('plan', 'localhost')['slots']] == slots
    for slot in slots:
        node = slot.split('#', maxsplit=1)[0]
        # the UTS namespace of each lab node has the node's name: the slot really ran there
        assert run.result('hostname', slot)['stdout'] == node
        args, work_dir = run.result('args', slot)['msg'].split('|')
        assert 'StrictHostKeyChecking=yes' in args and str(lab.known_hosts) in args
        assert work_dir == lab.hosts[node]['work_dir']
    one, two = run.result('sleep', 'node-x86a#1'), run.result('sleep', 'node-x86a#2')
    start = min(stamp(one['start']), stamp(two['start']))
    end = max(stamp(one['end']), stamp(two['end']))
    # one after the other would take 6 s and more
    assert (end - start).total_seconds() < 5, (one['start'], one['end'], two['start'], two['end'])


def test_slot_hosts_keep_host_key_checking(lab, tmp_path):
    """With a known_hosts that holds another key for the node, the slot host refuses to connect."""
    wrong = tmp_path / 'known_hosts'
    lines = lab.known_hosts.read_text(encoding='utf-8').splitlines()
    by_name = {line.split()[0]: line.split()[1:] for line in lines}
    x86a = next(k for k in by_name if k.endswith(',node-x86a'))
    arm = next(k for k in by_name if k.endswith(',node-arm'))
    wrong.write_text('%s %s\n' % (x86a, ' '.join(by_name[arm])), encoding='utf-8')   # node-arm's key for node-x86a
    shutil.copymode(lab.known_hosts, wrong)
    inventory = lab_inventory(lab, tmp_path, known_hosts=wrong)
    tasks = [{'name': 'hostname', 'ansible.builtin.command': {'argv': ['hostname']}, 'changed_when': False}]
    run = run_playbook(plays(requests(['x86_64']), tasks), inventory, workdir=tmp_path / 'run')
    assert run.rc != 0
    assert run.status('hostname', 'node-x86a#1') == 'unreachable'
    assert 'REMOTE HOST IDENTIFICATION HAS CHANGED' in run.result('hostname', 'node-x86a#1')['msg'] \
        or 'Host key verification failed' in run.result('hostname', 'node-x86a#1')['msg']
