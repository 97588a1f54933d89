# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""fedora-build as a subprocess: validate, import-conf, and submit/wait/status/list/logs/cancel
through ansible-runner against a local playbook run (localhost inventory).

The submit/cancel tests use a project dir (FEDORA_BUILD_PROJECT) whose playbooks/build.yml is
cli_project/fake_build.yml: it takes the same inputs and writes the same status records, slot
lock and slot work dir as roles/build, with an async command standing in for the builder.
playbooks/cancel.yml is the real one (build_cleanup, node_lock, build_status).
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from support.cli_helpers import cli, live_processes_in, running, wait_for

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SAMPLES = REPO / 'tests' / 'unit' / 'cli' / 'data'


def write_yaml(path, data):
    path.write_text(yaml.safe_dump(data))
    return path


# --------------------------------------------------------------------------- validate / import-conf

def test_validate_good_and_bad_files(tmp_path):
    good = write_yaml(tmp_path / 'good.yml', {'fedora_build_requests': [
        {'image_type': 'boot', 'release': 41, 'arch': 'x86_64'},
        {'image_type': 'live', 'release': 'rawhide', 'kickstart': {'src': 'https://example.org/live.ks'}}]})
    proc = cli('validate', good, '--status-dir', tmp_path / 'status')
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 2 and lines[0].startswith('ok  rq-') and 'live rawhide x86_64' in lines[1]

    bad = write_yaml(tmp_path / 'bad.yml', {'fedora_build_requests': [
        {'image_type': 'boot', 'release': 41, 'koji': {'builds': ['not an nvr']}},
        {'image_type': 'dvd', 'release': 41, 'staging': [{'type': 'ftp', 'path': 'relative'}]},
        {'image_type': 'iso'}]})
    proc = cli('validate', bad, '--status-dir', tmp_path / 'status')
    assert proc.returncode == 1
    problems = proc.stderr.splitlines()[:-1]
    assert proc.stderr.splitlines()[-1] == '%s: %d problems.' % (bad, len(problems))
    for field in ('requests[0].koji.builds[0]', 'requests[1].kickstart', 'requests[1].staging[0].host',
                  'requests[1].staging[0].path', 'requests[2].image_type', 'requests[2].release'):
        assert any(p.startswith(field) for p in problems), (field, problems)
    assert 'Traceback' not in proc.stderr

    proc = cli('--json', 'validate', bad, '--status-dir', tmp_path / 'status')
    data = json.loads(proc.stdout)
    assert proc.returncode == 1 and data['valid'] is False and len(data['problems']) == len(problems)


def test_validate_usage_and_missing(tmp_path):
    assert cli('validate').returncode == 2
    proc = cli('validate', tmp_path / 'nope.yml')
    assert proc.returncode == 3 and 'no such request file' in proc.stderr


def test_import_conf_then_validate(tmp_path):
    out = tmp_path / 'boot.yml'
    proc = cli('import-conf', SAMPLES / 'boot_imagebuild.conf', '-o', out, '--status-dir', tmp_path / 'status')
    assert proc.returncode == 0, proc.stderr
    assert '[boot] outdir: no longer used' in proc.stderr
    # the converted request defines its own staging target: valid where the operator allows that
    proc = cli('validate', out, '--status-dir', tmp_path / 'status')
    assert proc.returncode == 1 and 'fedora_build_allow_request_destinations is off' in proc.stderr, proc.stderr
    proc = cli('validate', out, '--status-dir', tmp_path / 'status', '-e', 'fedora_build_allow_request_destinations=true')
    assert proc.returncode == 0, proc.stderr
    proc = cli('import-conf', SAMPLES / 'live_imagebuild.conf')
    assert proc.returncode == 0
    request = yaml.safe_load(proc.stdout)['fedora_build_request']
    assert request['image_type'] == 'live' and request['release'] == 'rawhide'


def test_installed_console_script():
    script = Path(sys.executable).parent / 'fedora-build'
    if not script.exists():
        pytest.skip('fedora-build is not installed in this venv (pip install -e collection/cli)')
    proc = subprocess.run([str(script), '--help'], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0 and 'exit codes:' in proc.stdout


# --------------------------------------------------------------------------- through ansible-runner

@pytest.fixture
def project(tmp_path):
    """A checkout-like project dir: the repo's ansible.cfg, collections and cancel.yml; fake_build.yml as build.yml."""
    proj = tmp_path / 'project'
    (proj / 'playbooks').mkdir(parents=True)
    (proj / 'galaxy.yml').write_text('namespace: ondemand\nname: fedora_build\nversion: 0.0.0\n')
    (proj / 'ansible.cfg').write_text('[defaults]\ncollections_path = %s\ninterpreter_python = auto_silent\n'
                                      % (REPO / '.collections'))
    shutil.copy(HERE / 'cli_project' / 'fake_build.yml', proj / 'playbooks' / 'build.yml')
    shutil.copy(HERE / 'cli_project' / 'fake_one.yml', proj / 'playbooks' / 'fake_one.yml')
    shutil.copy(REPO / 'playbooks' / 'cancel.yml', proj / 'playbooks' / 'cancel.yml')
    work, lock = tmp_path / 'node' / 'work', tmp_path / 'node' / 'lock'
    inventory = write_yaml(tmp_path / 'inventory.yml', {'all': {'children': {'builders': {'hosts': {'localhost': {
        'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable,
        'fedora_build_work_dir': str(work), 'fedora_build_lock_dir': str(lock)}}}}}})
    staging = tmp_path / 'staging'
    return {'dir': proj, 'inventory': inventory, 'status': staging / 'status', 'staging': staging, 'work': work,
            'lock': lock, 'env': {'FEDORA_BUILD_PROJECT': str(proj), 'FEDORA_BUILD_STATUS_DIR': str(staging / 'status'),
                                  'FEDORA_BUILD_CANCEL_GRACE': '5'}}


def request_file(tmp_path, name, *names):
    reqs = [{'image_type': 'boot', 'release': 41, 'arch': 'x86_64', 'name': n} for n in (name,) + names]
    return write_yaml(tmp_path / ('%s.yml' % name), {'fedora_build_requests': reqs})


def record(project, request_id):
    return json.loads((project['status'] / ('%s.json' % request_id)).read_text())


def test_submit_wait_status_list_logs(tmp_path, project):
    req = request_file(tmp_path, 'quick', 'fail')
    proc = cli('submit', req, '--wait', '--inventory', project['inventory'], env=project['env'])
    assert proc.returncode == 1, proc.stdout + proc.stderr  # one of the two builds failed
    ids = [line.split()[0] for line in proc.stdout.splitlines()[:2]]
    assert all(i.startswith('rq-') for i in ids)
    quick, fail = ids
    # the plain live view: one line per phase change of each build
    for phase in ('queued', 'lock', 'build'):
        assert any(quick in line and phase in line for line in proc.stdout.splitlines()), phase
    assert '%s failed: Build (a stand-in builder in the work dir)' % fail in proc.stderr

    assert record(project, quick)['state'] == 'succeeded'
    assert record(project, fail)['state'] == 'failed'

    proc = cli('--json', 'status', quick, env=project['env'])
    view = json.loads(proc.stdout)
    assert proc.returncode == 0 and view['state'] == 'succeeded' and view['phase'] == 'done'
    assert view['run']['runner_status'] == 'successful' and view['node'] == 'localhost'

    proc = cli('list', '--json', env=project['env'])
    views = dict((v['request_id'], v) for v in json.loads(proc.stdout))
    assert views[quick]['size'] == len('ISO %s\n' % view['build_id'])
    assert views[fail]['state'] == 'failed'

    proc = cli('logs', quick, env=project['env'])
    assert proc.returncode == 0 and 'stand-in builder log of %s' % quick in proc.stdout
    proc = cli('logs', fail, '--json', env=project['env'])
    data = json.loads(proc.stdout)
    assert data['source'] == 'runner'  # nothing staged: the runner's ansible-playbook output
    assert 'builder broke' in Path(data['path']).read_text()

    # the runner process kept the IDs the playbook's build_request computed: the same as submit printed
    run_dir = Path(view['run']['path'])
    assert json.loads((run_dir / 'request_ids.json').read_text())['request_ids'] == ids
    # the runner's record of the environment is redacted after the run
    command = json.loads((run_dir / 'artifacts' / 'main' / 'command').read_text())
    assert set(command['env'].values()) == {'(redacted)'}


def test_submit_then_cancel_mid_build(tmp_path, project):
    req = request_file(tmp_path, 'slow')
    proc = cli('--json', 'submit', req, '--inventory', project['inventory'], env=project['env'])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    sub = json.loads(proc.stdout)
    rid = sub['requests'][0]['request_id']
    run_dir = Path(sub['run_dir'])

    def building():
        path = project['status'] / ('%s.json' % rid)
        return path.is_file() and json.loads(path.read_text())['phase'] == 'build' and live_processes_in(project['work'])
    wait_for(building, 120, 'the build phase with the builder running')
    builder = live_processes_in(project['work'])
    worker = json.loads((run_dir / 'worker.json').read_text())['pid']
    proc = cli('status', rid, env=project['env'])
    assert 'state:      running' in proc.stdout and 'phase:      build' in proc.stdout
    proc = cli('logs', rid, env=project['env'])  # running: the runner output so far
    assert proc.returncode == 0 and 'Build (a stand-in builder in the work dir)' in proc.stdout

    proc = cli('cancel', rid, env=project['env'], timeout=240)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith('%s  cancelled  cancelled with fedora-build cancel' % rid)

    rec = record(project, rid)
    assert rec['state'] == 'cancelled' and rec['phase'] == 'build'
    cancel = json.loads((run_dir / 'cancel.json').read_text())
    assert cancel['signals'][0] == 'SIGINT'
    assert cancel['cleanup'][rid]['status'] == 'successful'
    # the node is clean: runner process, ansible-playbook and the builder are gone, the slot dir
    # is removed and the slot is free again
    assert not running(worker)
    for pid in builder:
        assert not running(pid), 'builder %d survived the cancel' % pid
    assert not live_processes_in(project['work'])
    assert not list(project['work'].glob('slot-*'))
    from ansible_collections.ondemand.fedora_build.plugins.module_utils import node_lock
    assert node_lock.holders(str(project['lock']), 1) == []

    # a second cancel: nothing left to do
    proc = cli('cancel', rid, env=project['env'])
    assert proc.returncode == 0 and 'already cancelled' in proc.stdout
    proc = cli('--json', 'status', rid, env=project['env'])
    assert json.loads(proc.stdout)['state'] == 'cancelled'


def test_cancel_a_build_this_cli_did_not_start_needs_its_inventory(tmp_path, project):
    """A build run by ansible-playbook or AWX has a status record but no run of this CLI, so nothing says which
    inventory holds its node: --inventory gives it. Without it cancel.yml runs with ansible.cfg's (none here), cannot
    find the node, and says so (exit 4); with it the node's slot is released and its slot dir removed."""
    from ansible_collections.ondemand.fedora_build.plugins.module_utils import node_lock
    rid = 'rq-0123456789ab'
    project['status'].mkdir(parents=True)
    (project['status'] / ('%s.json' % rid)).write_text(json.dumps({
        'request_id': rid, 'build_id': None, 'state': 'running', 'phase': 'build', 'reason': None,
        'image_type': 'boot', 'release': '41', 'arch': 'x86_64', 'name': 'elsewhere', 'node': 'localhost#0',
        'submitted': '2026-12-03T10:00:00+00:00', 'updated': '2026-12-03T10:01:00+00:00', 'started': None,
        'finished': None, 'staging': [], 'artifacts': [], 'history': []}))
    held = node_lock.run({'state': 'acquired', 'lock_dir': str(project['lock']), 'slots': 1, 'owner': rid, 'wait': 0,
                          'lease': 600, 'token': None})
    slot_dir = project['work'] / ('slot-%d' % held['slot'])
    slot_dir.mkdir(parents=True)
    try:
        proc = cli('cancel', rid, '--inventory', tmp_path / 'missing.yml', env=project['env'])
        assert proc.returncode == 3 and '--inventory %s: no such file' % (tmp_path / 'missing.yml') in proc.stderr, \
            proc.stderr
        assert record(project, rid)['state'] == 'running'  # refused before anything ran

        proc = cli('cancel', rid, env=project['env'], timeout=240)
        assert proc.returncode == 4, proc.stdout + proc.stderr
        assert record(project, rid)['state'] == 'running' and 'cancel.yml ended failed' in proc.stderr, proc.stderr
        assert slot_dir.is_dir() and node_lock.holders(str(project['lock']), 1)

        (project['status'] / ('%s.json' % rid)).write_text(json.dumps(dict(record(project, rid), state='running')))
        proc = cli('cancel', rid, '--inventory', project['inventory'], env=project['env'], timeout=240)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert record(project, rid)['state'] == 'cancelled'
        assert not slot_dir.exists() and node_lock.holders(str(project['lock']), 1) == []
    finally:
        node_lock.run({'state': 'released', 'lock_dir': str(project['lock']), 'slots': 1, 'owner': rid, 'wait': 0,
                       'lease': 600, 'token': None})


def test_logs_follow_until_the_run_ends(tmp_path, project):
    req = request_file(tmp_path, 'quick')
    proc = cli('--json', 'submit', req, '--inventory', project['inventory'], env=project['env'])
    assert proc.returncode == 0, proc.stderr
    rid = json.loads(proc.stdout)['requests'][0]['request_id']
    proc = cli('logs', rid, '--follow', env=project['env'], timeout=300)  # started right away: waits for the output
    assert proc.returncode == 0, proc.stderr
    assert 'TASK [Build (a stand-in builder in the work dir)]' in proc.stdout
    assert proc.stdout.rstrip().splitlines()[-1].startswith('localhost')  # the PLAY RECAP: followed to the end
    assert '\x1b[' not in proc.stdout
    assert 'staged logs: %s' % (project['staging'] / record(project, rid)['build_id'] / 'logs') in proc.stderr
    assert record(project, rid)['state'] == 'succeeded'
