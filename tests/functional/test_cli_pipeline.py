# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""fedora-build against the real pipeline (playbooks/build.yml, roles/build) on localhost,
with the builder stand-ins (tests/support/plugin_builders.py): submit --wait, status, list,
logs of a boot ISO build, and cancel in the middle of the lorax run."""

import json
import os
import re
import sys
from pathlib import Path

import yaml

from support.cli_helpers import cli, live_processes_in, running, wait_for

REPO = Path(__file__).resolve().parents[2]


def setup(tmp_path, builder_standins, fedora_repo, sleep=None):
    env = dict(builder_standins.environment)
    if sleep:
        env['FB_STANDIN_SLEEP'] = str(sleep)
    node = tmp_path / 'node'
    host = {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable,
            'fedora_build_environment': env, 'fedora_build_work_dir': str(node / 'work'),
            'fedora_build_cache_dir': str(node / 'cache'), 'fedora_build_lock_dir': str(node / 'lock'),
            'fedora_build_preflight_require': ['tools'], 'fedora_build_poll': 1}
    staging = tmp_path / 'staging'
    # the operator's staging target (a request cannot define one by default); the CLI's own default is the
    # same directory: the parent of the status dir
    host['fedora_build_staging'] = [{'type': 'local', 'path': str(staging)}]
    # the node directory a request's file:// repository may name (the CLI reads it from the inventory too)
    host['fedora_build_node_repo_dirs'] = [str(tmp_path)]
    inventory = tmp_path / 'inventory.yml'
    inventory.write_text(yaml.safe_dump({'all': {'children': {'builders': {'hosts': {'localhost': host}}}}}))
    request = tmp_path / 'boot.yml'
    request.write_text(yaml.safe_dump({'fedora_build_request': {
        'image_type': 'boot', 'release': 41, 'arch': 'x86_64', 'name': 'clitest',
        'repos': {'presets': [], 'extra': [{'name': 'local', 'baseurl': 'file://%s' % fedora_repo}]}}}))
    return {'inventory': inventory, 'request': request, 'status': staging / 'status', 'staging': staging,
            'node': node, 'env': {'FEDORA_BUILD_STATUS_DIR': str(staging / 'status'), 'FEDORA_BUILD_CANCEL_GRACE': '5',
                                  'FEDORA_BUILD_PROJECT': str(REPO)}}


def test_boot_iso_submit_wait_status_logs(tmp_path, builder_standins, fedora_repo):
    lab = setup(tmp_path, builder_standins, fedora_repo)
    proc = cli('submit', lab['request'], '--wait', '-i', lab['inventory'], env=lab['env'], timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rid = proc.stdout.split()[0]
    for phase in ('queued', 'lock', 'preflight', 'build', 'checksum', 'staging'):
        assert any(rid in line and ' %s ' % phase in line + ' ' for line in proc.stdout.splitlines()), phase
    view = json.loads(cli('--json', 'status', rid, env=lab['env']).stdout)
    assert view['state'] == 'succeeded' and view['build_id'].startswith('boot-41-x86_64-')
    staged = lab['staging'] / view['build_id']
    assert (staged / 'CHECKSUM').is_file() and (staged / 'build.json').is_file()
    views = json.loads(cli('--json', 'list', env=lab['env']).stdout)
    assert views[0]['request_id'] == rid and views[0]['size'] and views[0]['size'] > 0
    logs = cli('--json', 'logs', view['build_id'], env=lab['env'])
    data = json.loads(logs.stdout)
    assert data['source'] == 'staged' and data['files'], logs.stdout
    assert cli('logs', rid, env=lab['env']).stdout.startswith('==> %s' % (staged / 'logs'))


def test_cancel_in_the_middle_of_lorax(tmp_path, builder_standins, fedora_repo):
    lab = setup(tmp_path, builder_standins, fedora_repo, sleep=600)
    proc = cli('--json', 'submit', lab['request'], '-i', lab['inventory'], env=lab['env'])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    sub = json.loads(proc.stdout)
    rid = sub['requests'][0]['request_id']

    def building():
        path = lab['status'] / ('%s.json' % rid)
        return (path.is_file() and json.loads(path.read_text())['phase'] == 'build'
                and live_processes_in(lab['node'] / 'work'))
    wait_for(building, 300, 'lorax running in the slot')

    def helper_pid():
        # the stand-in logs the pid of the child it builds in; the cancel must stop that one too
        for log in (lab['node'] / 'work').rglob('build.log'):
            found = re.search(r'Running helper process pid (\d+)', log.read_text(errors='replace'))
            if found and running(int(found.group(1))):
                return int(found.group(1))
        return None
    helper = wait_for(helper_pid, 300, "lorax's build process running")
    tools = live_processes_in(lab['node'] / 'work')
    assert helper in tools, (helper, tools)
    proc = cli('cancel', rid, env=lab['env'], timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rec = json.loads((lab['status'] / ('%s.json' % rid)).read_text())
    assert rec['state'] == 'cancelled', rec
    for pid in tools:
        assert not running(pid), 'pid %d survived the cancel' % pid
    assert not live_processes_in(lab['node'] / 'work')
    assert not list((lab['node'] / 'work').glob('slot-*'))
    from ansible_collections.ondemand.fedora_build.plugins.module_utils import node_lock
    assert node_lock.holders(str(lab['node'] / 'lock'), 1) == []
    assert not os.path.exists(lab['staging'] / rec.get('build_id', 'none'))  # nothing staged
