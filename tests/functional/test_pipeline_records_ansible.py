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
