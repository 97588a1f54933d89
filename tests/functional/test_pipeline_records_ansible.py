# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""build_manifest and build_status through real ansible-playbook runs on localhost."""

from __future__ import annotations

import json
import subprocess
import threading

from ansible_collections.ondemand.fedora_build.plugins.module_utils.build_status import read_status
from support.ansible_run import run_module, run_playbook


def test_build_manifest_check_diff_and_sha256sum(tmp_path):
    tree = tmp_path / 'live-41-x86_64-0123456789ab'
    (tree / 'logs').mkdir(parents=True)
    (tree / 'Fedora-Live-41-x86_64.iso').write_bytes(b'iso' * 1000)
    (tree / 'logs' / 'build.log').write_text('ok\n')
    args = {'path': str(tree), 'build': {'build_id': tree.name, 'result': {'state': 'succeeded'}, 'argv': ['lmc']}}
    run = run_module('ondemand.fedora_build.build_manifest', args, check=True, diff=True)
    run.assert_ok()
    assert run.status('module') == 'changed' and not (tree / 'CHECKSUM').exists()
    assert '+++ after: %s' % (tree / 'CHECKSUM') in run.stdout and 'SHA256 (logs/build.log) = ' in run.stdout
    run = run_module('ondemand.fedora_build.build_manifest', args)
    run.assert_ok()
    res = run.result('module')
    assert [f['relpath'] for f in res['files']] == ['Fedora-Live-41-x86_64.iso', 'build.json', 'logs/build.log']
    check = subprocess.run(['sha256sum', '-c', 'CHECKSUM'], cwd=str(tree), capture_output=True, text=True, check=False)
    assert check.returncode == 0 and check.stdout.count(': OK') == 3, check.stdout + check.stderr
    run = run_module('ondemand.fedora_build.build_manifest', args)
    run.assert_ok()
    assert run.status('module') == 'ok'


def status_play(status_dir, request_id, steps):
    tasks = []
    for i, step in enumerate(steps):
        task = dict(step)
        task.update(status_dir=str(status_dir), request_id=request_id)
        tasks.append({'name': 'step %d' % i, 'ondemand.fedora_build.build_status': task})
    return [{'name': 'status', 'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}]


def test_build_status_from_two_playbooks_at_once(tmp_path):
    status_dir = tmp_path / 'staging' / 'status'
    rq = 'rq-0123456789ab'
    run_module('ondemand.fedora_build.build_status', {'status_dir': str(status_dir), 'request_id': rq,
                                                      'state': 'queued', 'fields': {'image_type': 'live'}}).assert_ok()
    one = status_play(status_dir, rq, [{'fields': {'a%02d' % i: i}} for i in range(15)])
    two = status_play(status_dir, rq, [{'fields': {'b%02d' % i: i}} for i in range(15)])
    runs = []
    threads = [threading.Thread(target=lambda p=p: runs.append(run_playbook(p))) for p in (one, two)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
    for run in runs:
        run.assert_ok()
    record = json.loads((status_dir / (rq + '.json')).read_text())
    assert all(record['a%02d' % i] == i and record['b%02d' % i] == i for i in range(15)), record
    assert record['image_type'] == 'live' and record['state'] == 'queued'

    run = run_module('ondemand.fedora_build.build_status', {'status_dir': str(status_dir), 'request_id': rq,
                                                            'state': 'failed', 'reason': 'lorax exited 1.'},
                     check=True, diff=True)
    run.assert_ok()
    assert run.result('module')['record']['state'] == 'failed'
    assert json.loads((status_dir / (rq + '.json')).read_text())['state'] == 'queued'
    assert [r['request_id'] for r in read_status(str(status_dir))] == [rq]


def status_results(status_dir, become):
    """The same build_status tasks through ansible-playbook on localhost: in the controller's process (the action
    plugin) or, with become (su, root to root), as a module."""
    rq = 'rq-00000000abcd'
    base = {'status_dir': str(status_dir), 'request_id': rq}
    steps = [('check', dict(base, state='running', phase='build', fields={'node': 'n1'}), {'check_mode': True, 'diff': True}),
             ('write', dict(base, state='running', phase='build', fields={'node': 'n1'}), {'diff': True}),
             ('again', dict(base, state='running', phase='build', fields={'node': 'n1'}), {}),
             ('bad id', dict(base, request_id='../../etc/x'), {}),
             ('bad state', dict(base, state='done'), {}),
             ('no dir', {'request_id': rq}, {})]
    tasks = [dict({'name': name, 'ondemand.fedora_build.build_status': args, 'ignore_errors': True}, **opts)
             for name, args, opts in steps]
    play = {'name': 'status', 'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}
    if become:
        play.update(become=True, become_method='su', become_user='root')
    run = run_playbook([play])
    assert run.rc == 0, run.describe()
    return dict((name, run.result(name)) for name, _args, _opts in steps)


# what AnsibleModule adds to any result with a 'path' (not part of build_status's RETURN)
PATH_INFO = ('uid', 'gid', 'owner', 'group', 'mode', 'state', 'size', 'secontext')


def comparable(result):
    dropped = ('invocation', '_ansible_no_log', 'warnings', 'deprecations', 'exception') + PATH_INFO
    keep = dict((k, v) for k, v in result.items() if k not in dropped)
    if 'record' in keep:   # timestamps differ between the two runs
        times = ('submitted', 'updated', 'started', 'history')
        keep['record'] = dict((k, v) for k, v in keep['record'].items() if k not in times)
    keep.pop('diff', None)
    return keep


def test_build_status_runs_in_the_controller_process_with_the_module_s_behaviour(tmp_path):
    """On localhost the action plugin updates the record without starting a module (no 'invocation' in the
    result, which only a module run adds) and gives what the module gives: check and diff mode, idempotence,
    the same one-sentence errors."""
    inproc = status_results(tmp_path / 'a' / 'status', become=False)
    module = status_results(tmp_path / 'b' / 'status', become=True)
    assert all('invocation' not in r for r in inproc.values()), inproc
    assert 'invocation' in module['write'], module['write']
    assert inproc['check']['changed'] is True and inproc['check']['diff']['before'] == ''
    assert json.loads(inproc['check']['diff']['after'])['node'] == 'n1'
    assert inproc['write']['changed'] is True and inproc['again']['changed'] is False
    assert json.loads((tmp_path / 'a' / 'status' / 'rq-00000000abcd.json').read_text())['phase'] == 'build'
    assert inproc['bad id']['msg'] == ("request_id: '../../etc/x' is not a request ID (rq- followed by 12 lowercase "
                                       "hex digits).")
    assert inproc['no dir']['msg'] == 'missing required arguments: status_dir'
    assert 'state' in inproc['bad state']['msg'] and 'done' in inproc['bad state']['msg']
    for name in inproc:
        one, two = comparable(inproc[name]), comparable(module[name])
        for key in ('path', 'msg'):
            if isinstance(one.get(key), str):
                one[key] = one[key].replace(str(tmp_path / 'a'), 'X')
                two[key] = two[key].replace(str(tmp_path / 'b'), 'X')
        assert one == two, name
