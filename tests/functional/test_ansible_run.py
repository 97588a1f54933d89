# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""support.ansible_run: real ansible-playbook runs on localhost."""

from __future__ import annotations

import json

import pytest

from support.ansible_run import LOCALHOST, run_module, run_playbook


def test_run_module_success_and_failure():
    run = run_module('ansible.builtin.command', {'argv': ['echo', 'hello']})
    run.assert_ok()
    assert run.status('module') == 'changed'
    assert run.result('module', 'localhost')['stdout'] == 'hello'
    assert run.module_results() == {'localhost': run.result('module')}
    assert run.stats['localhost']['changed'] == 1

    run = run_module('ansible.builtin.command', {'argv': ['sh', '-c', 'echo oops >&2; exit 3']})
    assert run.rc == 2 and not run.ok
    assert run.status('module') == 'failed'
    assert run.result('module')['rc'] == 3 and run.result('module')['stderr'] == 'oops'
    assert 'exited 2' in run.describe() and 'oops' in run.describe()
    with pytest.raises(AssertionError, match='oops'):
        run.assert_ok()


def test_playbook_tasks_per_host_extra_vars_check_and_diff(tmp_path):
    target = tmp_path / 'out.txt'
    target.write_text('old\n')
    plays = [{
        'name': 'two tasks',
        'hosts': 'all',
        'gather_facts': False,
        'tasks': [
            {'name': 'echo vars', 'ansible.builtin.debug': {'msg': '{{ number + 1 }} {{ items | length }}'}},
            {'name': 'write file', 'ansible.builtin.copy': {'dest': str(target), 'content': 'new\n', 'mode': '0644'}},
            {'name': 'skipped one', 'ansible.builtin.debug': {'msg': 'x'}, 'when': 'false'},
        ],
    }]
    run = run_playbook(plays, extra_vars={'number': 41, 'items': ['a', 'b']}, check=True, diff=True,
                       workdir=tmp_path / 'run')
    run.assert_ok()
    assert run.hosts['localhost']['echo vars']['msg'] == '42 2'
    assert run.status('write file') == 'changed'
    assert run.hosts['localhost']['write file']['diff'][0]['after'] == 'new\n'
    assert run.status('skipped one') == 'skipped'
    assert target.read_text() == 'old\n', 'check mode must not write'
    # the workdir keeps what the run used
    saved = json.loads((tmp_path / 'run' / 'results.json').read_text())
    assert [r['task'] for r in saved['results']] == ['echo vars', 'write file', 'skipped one']

    run = run_playbook(plays, extra_vars={'number': 1, 'items': []})
    run.assert_ok()
    assert target.read_text() == 'new\n'


def test_caller_ansible_env_is_dropped_and_env_is_passed(monkeypatch):
    monkeypatch.setenv('ANSIBLE_FB_TEST_MARKER', 'leaked')
    run = run_module('ansible.builtin.debug',
                     {'msg': "[{{ lookup('env', 'ANSIBLE_FB_TEST_MARKER') }}] [{{ lookup('env', 'FB_PASSED') }}]"},
                     env={'FB_PASSED': 'given'})
    run.assert_ok()
    assert run.result('module')['msg'] == '[] [given]'


def test_limit_and_inventory_dict():
    inventory = {'all': {'hosts': {
        'one': dict(LOCALHOST['all']['hosts']['localhost']),
        'two': dict(LOCALHOST['all']['hosts']['localhost']),
    }}}
    run = run_module('ansible.builtin.ping', inventory=inventory, hosts='all')
    run.assert_ok()
    assert sorted(run.module_results()) == ['one', 'two']
    run = run_module('ansible.builtin.ping', inventory=inventory, hosts='all', limit='two')
    run.assert_ok()
    assert sorted(run.module_results()) == ['two']


def test_collection_modules_resolve_from_the_checkout(tmp_path):
    run = run_module('ondemand.fedora_build.preflight',
                     {'work_dir': str(tmp_path), 'cache_dir': str(tmp_path), 'min_free_gb': 0, 'min_cache_free_gb': 0,
                      'require': []})
    run.assert_ok()
    assert run.result('module')['report']['space']['work_dir']['measured_at'] == str(tmp_path)
