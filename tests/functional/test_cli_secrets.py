# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""No file the CLI or ansible-runner leaves in the status dir holds a secret (issue 13 item 5).

The operator's secrets reach the playbook (controller environment variables such as
FEDORA_BUILD_SMTP_PASSWORD, extra vars from ``-e @service.yml``); ansible-runner records its
environment (artifacts/<ident>/command, before the playbook starts: a killed run keeps it) and
its extra vars (env/extravars). A build is submitted with secrets in both, checked to have
received them (an assert on their sha256 in the playbook), scanned mid-build (what a killed
run would leave) and after `cancel` (the cancel.yml run in the same run dir too).
"""

import hashlib
import json
import shutil
import sys
from pathlib import Path

import yaml

from support.cli_helpers import cli, live_processes_in, wait_for

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SECRETS = {
    'FEDORA_BUILD_SMTP_PASSWORD': 'smtp-S3cret-0f9a1c',
    'FEDORA_BUILD_FTP_PASSWORD': 'ftp-S3cret-77b2e4',
    'KOJI_TOKEN_FOR_TEST': 'koji-S3cret-5d01aa',
    'SOME_UNRELATED_VARIABLE': 'plain-S3cret-c0ffee',
}
EXTRA_SECRET = 'extra-S3cret-91d3b7'


def sha(text):
    return hashlib.sha256(text.encode()).hexdigest()


def project(tmp_path):
    """fake_build.yml (the CLI tests' stand-in build) behind a play that asserts the secrets arrived."""
    proj = tmp_path / 'project'
    (proj / 'playbooks').mkdir(parents=True)
    (proj / 'galaxy.yml').write_text('namespace: ondemand\nname: fedora_build\nversion: 0.0.0\n')
    (proj / 'ansible.cfg').write_text('[defaults]\ncollections_path = %s\ninterpreter_python = auto_silent\n'
                                      % (REPO / '.collections'))
    shutil.copy(HERE / 'cli_project' / 'fake_build.yml', proj / 'playbooks' / 'fake_steps.yml')
    shutil.copy(HERE / 'cli_project' / 'fake_one.yml', proj / 'playbooks' / 'fake_one.yml')
    shutil.copy(REPO / 'playbooks' / 'cancel.yml', proj / 'playbooks' / 'cancel.yml')
    checks = ["lookup('ansible.builtin.env', '%s') | hash('sha256') == '%s'" % (k, sha(v)) for k, v in SECRETS.items()]
    checks.append("fedora_build_probe_secret | hash('sha256') == '%s'" % sha(EXTRA_SECRET))
    (proj / 'playbooks' / 'build.yml').write_text(yaml.safe_dump([
        {'name': 'The secrets reached ansible-playbook', 'hosts': 'localhost', 'gather_facts': False,
         'tasks': [{'name': 'Compare their sha256', 'ansible.builtin.assert': {'that': checks, 'quiet': True}}]},
        {'name': 'The stand-in build', 'ansible.builtin.import_playbook': 'fake_steps.yml'}], sort_keys=False))
    work, lock = tmp_path / 'node' / 'work', tmp_path / 'node' / 'lock'
    inventory = tmp_path / 'inventory.yml'
    inventory.write_text(yaml.safe_dump({'all': {'children': {'builders': {'hosts': {'localhost': {
        'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable,
        'fedora_build_work_dir': str(work), 'fedora_build_lock_dir': str(lock)}}}}}}))
    status = tmp_path / 'staging' / 'status'
    env = dict(SECRETS, FEDORA_BUILD_PROJECT=str(proj), FEDORA_BUILD_STATUS_DIR=str(status),
               FEDORA_BUILD_CANCEL_GRACE='5')
    return proj, inventory, status, work, env


def leaks(root):
    """(file, secret name) for every file under ``root`` that holds a secret value (also base64/JSON-escaped forms)."""
    values = dict(SECRETS, probe=EXTRA_SECRET)
    found = []
    for path in sorted(Path(root).rglob('*')):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            found += [(str(path.relative_to(root)), name) for name, value in values.items() if value.encode() in data]
    return found


def test_cancel_leaves_no_secret_in_any_artifact(tmp_path):
    proj, inventory, status, work, env = project(tmp_path)
    service = tmp_path / 'service.yml'
    service.write_text(yaml.safe_dump({'fedora_build_probe_secret': EXTRA_SECRET}))
    req = tmp_path / 'slow.yml'
    req.write_text(yaml.safe_dump({'fedora_build_requests': [
        {'image_type': 'boot', 'release': 41, 'arch': 'x86_64', 'name': 'slow'}]}))
    proc = cli('--json', 'submit', req, '--inventory', inventory, '-e', '@%s' % service, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    sub = json.loads(proc.stdout)
    rid, run_dir = sub['requests'][0]['request_id'], Path(sub['run_dir'])

    def building():
        path = status / ('%s.json' % rid)
        return path.is_file() and json.loads(path.read_text())['phase'] == 'build' and live_processes_in(work)
    wait_for(building, 120, 'the build phase (after the play that checks the secrets arrived)')
    # mid-build: what a run killed now would leave behind
    assert leaks(status) == []
    command = json.loads((run_dir / 'artifacts' / 'main' / 'command').read_text())
    assert not set(SECRETS) & set(command['env'])  # ansible-runner was never given them
    assert not (run_dir / 'env' / 'extravars').exists()

    proc = cli('cancel', rid, env=env, timeout=240)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (run_dir / 'artifacts' / ('cancel-%s' % rid) / 'command').is_file()  # cancel.yml ran in the same dir
    assert leaks(status) == []
    assert not list(run_dir.glob('.*.channel')) and not list(run_dir.glob('.*.extravars'))
    # the assert play passed: the secrets did reach ansible-playbook (its job events say so, without the values)
    events = [json.loads(p.read_text()) for p in (run_dir / 'artifacts' / 'main' / 'job_events').glob('*.json')]
    assert any(e.get('event') == 'runner_on_ok' and e['event_data'].get('task') == 'Compare their sha256' for e in events)
