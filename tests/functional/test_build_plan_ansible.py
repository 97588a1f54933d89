# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""build_plan through ansible-playbook, and playbooks/tasks/add_slot_hosts.yml on an inventory.

The slot hosts here use the local connection (the lab test checks SSH); this checks which of the
node's variables a slot host gets and that the EXAMPLES way of listing nodes from builders_<arch>
groups feeds the module.
"""

from __future__ import annotations

import sys

from support.ansible_run import REPO, run_playbook

ADD_SLOT_HOSTS = str(REPO / 'playbooks' / 'tasks' / 'add_slot_hosts.yml')

# The node list exactly as the module's EXAMPLES builds it.
LIST_NODES = {
    'name': 'List the build nodes of the builders_<arch> groups',
    'ansible.builtin.set_fact': {
        'fedora_build_nodes': "{{ fedora_build_nodes | default([]) + [{'name': item.1, "
                              "'arch': item.0.key | regex_replace('^builders_', ''), "
                              "'capacity': hostvars[item.1].fedora_build_capacity | default(1) | int}] }}",
    },
    'loop': "{{ groups | dict2items | selectattr('key', 'match', '^builders_.') | subelements('value') }}",
    'loop_control': {'label': '{{ item.1 }}'},
}

INVENTORY = {
    'all': {
        'children': {
            'builders': {
                'vars': {
                    'ansible_connection': 'local',
                    'ansible_python_interpreter': sys.executable,
                    'ansible_become_method': 'sudo',
                    'ansible_become_password': 'S3cret-become',
                    'fedora_build_lock_dir': '/run/fb-lock',
                    'fedora_build_work_dir': '/srv/work/{{ inventory_hostname }}',
                    'unrelated_var': 'not copied',
                },
                'children': {
                    'builders_x86_64': {'hosts': {
                        'x86-one': {'fedora_build_capacity': 2, 'build_arch': 'x86_64', 'ansible_port': 2222,
                                    'ansible_user': 'builder'},
                        'x86-two': {'ansible_host': '192.0.2.7', 'build_arch': 'x86_64'},
                    }},
                    'builders_aarch64': {'hosts': {'arm-one': {'build_arch': 'aarch64'}}},
                },
            },
        },
    },
}


def requests(arches):
    return [{'request_id': 'rq-%012x' % i, 'image_type': 'boot', 'release': '41', 'arch': arch}
            for i, arch in enumerate(arches)]


def plan_plays(reqs, tasks_after):
    return [
        {'name': 'plan', 'hosts': 'localhost', 'gather_facts': False, 'tasks': [
            LIST_NODES,
            {'name': 'plan', 'ondemand.fedora_build.build_plan': {
                'requests': reqs, 'nodes': '{{ fedora_build_nodes }}'}, 'register': 'fedora_build_plan'},
            {'name': 'slots', 'ansible.builtin.include_tasks': ADD_SLOT_HOSTS},
        ]},
        {'name': 'on the slots', 'hosts': 'fedora_build_slots', 'gather_facts': False, 'tasks': tasks_after},
    ]


def test_slot_hosts_carry_the_node_variables(tmp_path):
    report = {'name': 'vars', 'ansible.builtin.debug': {'msg': {
        'node': '{{ fedora_build_node }}', 'slot': '{{ fedora_build_slot }}', 'queue': '{{ fedora_build_queue }}',
        'ansible_host': '{{ ansible_host }}', 'port': "{{ ansible_port | default('unset') }}",
        'user': "{{ ansible_user | default('unset') }}", 'become_method': '{{ ansible_become_method }}',
        'become_password': '{{ ansible_become_password }}', 'work_dir': '{{ fedora_build_work_dir }}',
        'lock_dir': '{{ fedora_build_lock_dir }}', 'build_arch': '{{ build_arch }}',
        'capacity': "{{ fedora_build_capacity | default('unset') }}",
        'unrelated': "{{ unrelated_var | default('absent') }}", 'groups': '{{ group_names }}',
        'slot_type': '{{ fedora_build_slot | type_debug }}'}}}
    whoami = {'name': 'runs', 'ansible.builtin.command': {'argv': ['true']}}
    run = run_playbook(plan_plays(requests(['x86_64', 'x86_64', 'x86_64', 'aarch64']), [report, whoami]),
                       INVENTORY, workdir=tmp_path)
    run.assert_ok()
    plan = run.result('plan', 'localhost')
    assert [s['host'] for s in plan['slots']] == ['arm-one#1', 'x86-one#1', 'x86-one#2', 'x86-two#1']
    got = {host: run.result('vars', host)['msg'] for host in ('arm-one#1', 'x86-one#1', 'x86-one#2', 'x86-two#1')}
    assert got['x86-one#2'] == {
        'node': 'x86-one', 'slot': 2, 'queue': ['rq-000000000002'], 'ansible_host': 'x86-one', 'port': 2222,
        'user': 'builder', 'become_method': 'sudo', 'become_password': 'S3cret-become',
        'work_dir': '/srv/work/x86-one', 'lock_dir': '/run/fb-lock', 'build_arch': 'x86_64', 'capacity': 2,
        'unrelated': 'absent', 'groups': ['fedora_build_slots'], 'slot_type': 'int'}
    assert got['x86-two#1']['ansible_host'] == '192.0.2.7' and got['x86-two#1']['port'] == 'unset'
    assert got['x86-two#1']['work_dir'] == '/srv/work/x86-two' and got['x86-two#1']['capacity'] == 'unset'
    assert got['arm-one#1']['build_arch'] == 'aarch64' and got['arm-one#1']['queue'] == ['rq-000000000003']
    assert all(run.status('runs', host) == 'changed' for host in got)
    # the add_host task hides its values (become and SSH passwords pass through it)
    assert 'S3cret-become' not in run.stdout.split('PLAY [on the slots]')[0]
    assert run.stats['localhost']['changed'] == 0


def test_unserved_arch_fails_the_plan_with_the_arches_that_exist(tmp_path):
    run = run_playbook(plan_plays(requests(['x86_64', 'ppc64le', 's390x']), []), INVENTORY, workdir=tmp_path)
    assert run.rc != 0
    result = run.result('plan', 'localhost')
    assert result['msg'] == ('requests[1].arch: no build node serves ppc64le; the inventory has aarch64, x86_64. '
                             'requests[2].arch: no build node serves s390x; the inventory has aarch64, x86_64.')
    assert result['unserved'] == ['ppc64le', 's390x']
    assert 'Traceback' not in run.stdout + run.stderr


def test_check_mode_plans_the_same(tmp_path):
    reqs = requests(['x86_64'] * 5)
    plays = plan_plays(reqs, [])[:1]
    normal = run_playbook(plays, INVENTORY, workdir=tmp_path / 'a').assert_ok().result('plan', 'localhost')
    checked = run_playbook(plays, INVENTORY, check=True, workdir=tmp_path / 'b').assert_ok().result('plan', 'localhost')
    for key in ('slots', 'assignments', 'makespan_estimate'):
        assert normal[key] == checked[key]
    # 4th build: every slot would finish at 2400, x86-two has the least work so far
    assert [len(s['queue']) for s in normal['slots']] == [2, 1, 2] and normal['changed'] is False
