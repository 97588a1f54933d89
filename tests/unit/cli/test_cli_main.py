# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""fedora-build: argument parsing, status reading, display (--json), exit codes."""

import io
import json
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest
import yaml

from fedora_build_cli import display, errors, main as cli
from fedora_build_cli.status import Store

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def iso(minutes_ago=0):
    return (NOW - timedelta(minutes=minutes_ago)).isoformat()


def run_cli(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def write_record(status_dir, request_id, **fields):
    rec = {'request_id': request_id, 'build_id': None, 'state': 'queued', 'phase': 'queued', 'reason': None,
           'image_type': 'live', 'release': '41', 'arch': 'x86_64', 'name': 'live', 'node': None,
           'submitted': iso(30), 'updated': iso(1), 'started': None, 'finished': None,
           'staging': [], 'artifacts': [], 'history': []}
    rec.update(fields)
    status_dir.mkdir(parents=True, exist_ok=True)
    (status_dir / ('%s.json' % request_id)).write_text(json.dumps(rec))
    return rec


def write_run(status_dir, run_id, request_ids, worker=None, created=None, requests=None):
    path = status_dir / 'runs' / run_id
    path.mkdir(parents=True)
    (path / 'run.json').write_text(json.dumps({'run_id': run_id, 'created': created or iso(5), 'request_ids': request_ids,
                                               'requests': requests or []}))
    if worker is not None:
        (path / 'worker.json').write_text(json.dumps(worker))
    return path


@pytest.fixture
def runner_pid():
    """A live process that looks like a runner process (its command line names fedora_build_cli)."""
    proc = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)', 'fedora_build_cli.runner'])
    deadline = time.monotonic() + 30  # /proc/<pid>/cmdline is empty for a moment around exec
    while True:
        with open('/proc/%d/cmdline' % proc.pid, 'rb') as handle:
            if b'fedora_build_cli' in handle.read():
                break
        assert time.monotonic() < deadline, 'the runner-like process never showed its command line'
        time.sleep(0.01)
    yield proc.pid
    proc.kill()
    proc.wait()


@pytest.fixture
def store(tmp_path):
    status = tmp_path / 'staging' / 'status'
    write_record(status, 'rq-aaaaaaaaaaaa', state='succeeded', phase='done', build_id='live-41-x86_64-111111111111',
                 node='build-x86-01', submitted=iso(120), updated=iso(100),
                 staging=['file://%s/live-41-x86_64-111111111111' % (tmp_path / 'staging')],
                 artifacts=[{'name': 'a.iso', 'size': 3 * 1024 * 1024, 'sha256': 'ab'}, {'name': 'CHECKSUM', 'size': 100}])
    write_record(status, 'rq-bbbbbbbbbbbb', state='running', phase='build', build_id='boot-41-aarch64-222222222222',
                 image_type='boot', arch='aarch64', node='build-arm-01', updated=iso(0))
    write_record(status, 'rq-cccccccccccc', state='failed', phase='preflight', reason='preflight: lorax is missing.',
                 image_type='dvd', release='40', updated=iso(50))
    return status


def test_parser_commands_and_globals():
    parser = cli.build_parser()
    args = parser.parse_args(['--json', 'submit', 'r.yml', '--wait', '-i', 'inv', '-e', 'a=1', '-e', '@x.yml'])
    assert (args.command, args.request, args.wait, args.inventory, args.extra_vars, args.json) == (
        'submit', 'r.yml', True, 'inv', ['a=1', '@x.yml'], True)
    args = parser.parse_args(['status', '--json', '--status-dir', '/s'])
    assert args.id is None and args.json and args.status_dir == '/s'
    args = parser.parse_args(['logs', 'rq-1', '-f'])
    assert args.follow and args.id == 'rq-1'
    args = parser.parse_args(['import-conf', 'x.conf', '-o', 'y.yml'])
    assert args.output == 'y.yml'
    args = parser.parse_args(['list', '-n', '5', '--state', 'failed'])
    assert args.limit == 5 and args.state == 'failed'


@pytest.mark.parametrize('argv', [[], ['frobnicate'], ['submit'], ['logs'], ['list', '--state', 'bogus'],
                                  ['status', 'a', 'b'], ['list', '-n', 'x']])
def test_usage_errors_exit_2(argv, capsys):
    assert cli.main(argv, io.StringIO(), io.StringIO()) == errors.USAGE


def test_help_documents_exit_codes(capsys):
    assert cli.main(['--help']) == 0
    text = capsys.readouterr().out
    for code, dummy in errors.EXIT_CODES:
        assert '\n  %-4d ' % code in text


def test_extra_vars(tmp_path):
    vars_file = tmp_path / 'v.yml'
    vars_file.write_text('fedora_build_capacity: 2\n')
    assert cli.parse_extra_vars(['a=b=c', '@%s' % vars_file]) == {'a': 'b=c', 'fedora_build_capacity': 2}
    with pytest.raises(cli.CLIError) as err:
        cli.parse_extra_vars(['novalue'])
    assert err.value.code == errors.USAGE
    with pytest.raises(cli.CLIError) as err:
        cli.parse_extra_vars(['@%s' % (tmp_path / 'missing.yml')])
    assert err.value.code == errors.NOT_FOUND


def test_list_json(store):
    code, out, dummy = run_cli('list', '--json', '--status-dir', str(store))
    assert code == 0
    views = json.loads(out)
    assert [v['request_id'] for v in views] == ['rq-bbbbbbbbbbbb', 'rq-cccccccccccc', 'rq-aaaaaaaaaaaa']  # newest first
    done = views[2]
    assert done['size'] == 3 * 1024 * 1024 + 100
    assert 7100 <= done['age_seconds'] <= 7300
    assert (done['state'], done['image_type'], done['release'], done['arch']) == ('succeeded', 'live', '41', 'x86_64')
    code, out, dummy = run_cli('list', '--json', '--status-dir', str(store), '--state', 'failed')
    assert [v['request_id'] for v in json.loads(out)] == ['rq-cccccccccccc']
    code, out, dummy = run_cli('list', '--json', '--status-dir', str(store), '-n', '1')
    assert len(json.loads(out)) == 1


def test_list_plain_table(store):
    code, out, dummy = run_cli('list', '--status-dir', str(store))
    lines = out.splitlines()
    assert lines[0].split() == ['REQUEST', 'BUILD', 'STATE', 'TYPE', 'RELEASE', 'ARCH', 'AGE', 'SIZE']
    assert lines[3].split()[:6] == ['rq-aaaaaaaaaaaa', 'live-41-x86_64-111111111111', 'succeeded', 'live', '41', 'x86_64']
    assert lines[3].split()[6:] == ['2h', '3.0', 'MiB']
    assert '\x1b[' not in out  # no terminal codes when stdout is not a TTY


def test_status_by_request_build_prefix(store):
    code, out, dummy = run_cli('status', '--json', '--status-dir', str(store), 'rq-bbbbbbbbbbbb')
    assert code == 0 and json.loads(out)['phase'] == 'build'
    code, out, dummy = run_cli('status', '--json', '--status-dir', str(store), 'live-41-x86_64-111111111111')
    assert json.loads(out)['request_id'] == 'rq-aaaaaaaaaaaa'
    code, out, dummy = run_cli('status', '--json', '--status-dir', str(store), 'rq-cccc')
    assert json.loads(out)['reason'] == 'preflight: lorax is missing.'
    code, out, dummy = run_cli('status', '--status-dir', str(store), 'rq-aaaaaaaaaaaa')
    assert 'state:      succeeded' in out and 'artifact:   a.iso  3.0 MiB' in out
    code, out, dummy = run_cli('status', '--status-dir', str(store))
    assert code == 0 and len(out.splitlines()) == 4


def test_status_not_found_and_ambiguous(store):
    code, out, err = run_cli('status', '--status-dir', str(store), 'rq-ffffffffffff')
    assert code == errors.NOT_FOUND and 'no build, request or run with that ID' in err
    code, out, err = run_cli('status', '--json', '--status-dir', str(store), 'rq-ffffffffffff')
    assert json.loads(out)['exit_code'] == errors.NOT_FOUND
    write_record(store, 'rq-aaaaaaaaaaab')
    code, dummy, err = run_cli('status', '--status-dir', str(store), 'rq-aaaaaaaaa')
    assert code == errors.NOT_FOUND and 'matches 2 builds' in err


def test_run_states(tmp_path, runner_pid):
    status = tmp_path / 'status'
    # submitted: the runner process runs (this process stands in for it), no record yet
    write_run(status, 'run-1', ['rq-111111111111'], worker={'pid': runner_pid, 'status': 'running'},
              requests=[{'request_id': 'rq-111111111111', 'image_type': 'boot', 'release': '41', 'arch': 'x86_64'}])
    # the runner ended (failed) while the record still said running
    write_record(status, 'rq-222222222222', state='running', phase='build')
    write_run(status, 'run-2', ['rq-222222222222'], worker={'pid': 999999999, 'status': 'failed', 'rc': 2})
    # cancelled through the CLI before any record was written
    path = write_run(status, 'run-3', ['rq-333333333333'], worker={'pid': 999999999, 'status': 'failed', 'rc': 99})
    (path / 'cancel.json').write_text('{"requested": "x"}')
    views = dict((b.request_id, b.view()) for b in Store(status).builds())
    assert views['rq-111111111111']['state'] == 'submitted'
    assert views['rq-111111111111']['phase'] == 'starting'
    assert views['rq-111111111111']['image_type'] == 'boot'  # from the run's normalized request
    assert views['rq-222222222222']['state'] == 'failed'
    assert 'the runner ended (failed, rc 2) before the build finished' in views['rq-222222222222']['reason']
    assert views['rq-333333333333']['state'] == 'cancelled'
    # a pid that is alive but is not a runner process (pid reuse) does not count as running
    path = write_run(status, 'run-5', ['rq-555555555555'], worker={'pid': os.getpid(), 'status': 'running'})
    assert Store(status).resolve('rq-555555555555')[0].state == 'failed'
    # a run ID names the builds it carries
    assert [b.request_id for b in Store(status).resolve('run-2')] == ['rq-222222222222']


def test_playbook_request_ids_win(tmp_path):
    status = tmp_path / 'status'
    path = write_run(status, 'run-6', ['rq-666666666666'], worker={'pid': 999999999, 'status': 'successful', 'rc': 0},
                     requests=[{'request_id': 'rq-666666666666', 'image_type': 'dvd', 'release': '41', 'arch': 'x86_64'}])
    write_record(status, 'rq-777777777777', state='succeeded', phase='done', image_type=None)
    (path / 'request_ids.json').write_text('{"request_ids": ["rq-777777777777"]}')
    builds = Store(status).resolve('run-6')
    assert [b.request_id for b in builds] == ['rq-777777777777']
    assert builds[0].state == 'succeeded' and builds[0].view()['image_type'] == 'dvd'
    assert [b.request_id for b in Store(status).builds()] == ['rq-777777777777']
    # the ID submit printed still finds the build
    assert [b.request_id for b in Store(status).resolve('rq-666666666666')] == ['rq-777777777777']


def test_corrupt_record_is_infra_error(tmp_path):
    status = tmp_path / 'status'
    status.mkdir()
    (status / 'rq-dddddddddddd.json').write_text('{not json')
    code, dummy, err = run_cli('list', '--status-dir', str(status))
    assert code == errors.INFRA and 'rq-dddddddddddd.json: cannot read it as JSON' in err


def test_status_dir_from_environment(store, monkeypatch):
    monkeypatch.setenv('FEDORA_BUILD_STATUS_DIR', str(store))
    code, out, dummy = run_cli('list', '--json')
    assert code == 0 and len(json.loads(out)) == 3


def test_logs_staged(store, tmp_path):
    logs = tmp_path / 'staging' / 'live-41-x86_64-111111111111' / 'logs'
    logs.mkdir(parents=True)
    (logs / 'build.log').write_text('lorax said hello\n')
    (logs / 'pipeline.log').write_text('phase done\n')
    code, out, dummy = run_cli('logs', '--status-dir', str(store), 'rq-aaaaaaaaaaaa')
    assert code == 0
    assert '==> %s <==\nlorax said hello' % (logs / 'build.log') in out and 'phase done' in out
    code, out, dummy = run_cli('logs', '--json', '--status-dir', str(store), 'live-41-x86_64-111111111111')
    data = json.loads(out)
    assert data['source'] == 'staged' and data['files'] == [str(logs / 'build.log'), str(logs / 'pipeline.log')]
    code, dummy, err = run_cli('logs', '--status-dir', str(store), 'rq-cccccccccccc')
    assert code == errors.NOT_FOUND and 'no logs yet' in err


def test_logs_of_a_running_build_are_the_runner_output(tmp_path, runner_pid):
    status = tmp_path / 'status'
    write_record(status, 'rq-444444444444', state='running', phase='build')
    run = write_run(status, 'run-4', ['rq-444444444444'], worker={'pid': runner_pid, 'status': 'running'})
    (run / 'artifacts' / 'main').mkdir(parents=True)
    (run / 'artifacts' / 'main' / 'stdout').write_text('TASK [build]\n\x1b[0;32mok: [localhost]\x1b[0m\n')
    code, out, dummy = run_cli('logs', '--status-dir', str(status), 'rq-444444444444')
    assert code == 0 and out == 'TASK [build]\nok: [localhost]\n'  # colour codes dropped: stdout is no terminal


def test_cancel_finished_build(store):
    code, dummy, err = run_cli('cancel', '--status-dir', str(store), 'rq-aaaaaaaaaaaa')
    assert code == errors.FAILED and 'already succeeded; nothing to cancel' in err


def test_display_helpers():
    assert display.human_size(None) == '-'
    assert display.human_size(512) == '512 B'
    assert display.human_size(1536) == '1.5 KiB'
    assert display.human_size(5 * 1024 ** 3) == '5.0 GiB'
    assert display.human_age(59) == '59s'
    assert display.human_age(3600 * 5 + 10) == '5h'
    assert display.human_age(86400 * 3) == '3d'


def _project_has_request_model():
    try:
        from ansible_collections.ondemand.fedora_build.plugins.module_utils import request  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.skipif(not _project_has_request_model(), reason='module_utils/request.py not importable')
def test_validate_exit_codes(tmp_path):
    good = tmp_path / 'good.yml'
    good.write_text(yaml.safe_dump({'fedora_build_request': {'image_type': 'boot', 'release': 41, 'arch': 'x86_64'}}))
    code, out, dummy = run_cli('validate', '--status-dir', str(tmp_path / 'status'), str(good))
    assert code == 0 and out.startswith('ok  rq-') and 'boot 41 x86_64' in out
    bad = tmp_path / 'bad.yml'
    bad.write_text(yaml.safe_dump({'fedora_build_requests': [
        {'image_type': 'boot', 'release': 'forty'}, {'image_type': 'dvd', 'release': 41, 'arch': 'sparc'}]}))
    code, out, err = run_cli('validate', '--status-dir', str(tmp_path / 'status'), str(bad))
    assert code == errors.FAILED
    assert 'requests[0].release' in err and 'requests[1].arch' in err and 'requests[1].kickstart' in err
    code, out, dummy = run_cli('validate', '--json', '--status-dir', str(tmp_path / 'status'), str(bad))
    data = json.loads(out)
    assert data['valid'] is False and len(data['problems']) >= 3
    code, dummy, err = run_cli('validate', str(tmp_path / 'missing.yml'))
    assert code == errors.NOT_FOUND
    (tmp_path / 'broken.yml').write_text('a: [1\n')
    code, dummy, err = run_cli('validate', str(tmp_path / 'broken.yml'))
    assert code == errors.FAILED and 'is not valid YAML' in err


class FakeRun:
    def __init__(self, status, cancel=None):
        self.runner_status = status
        self.cancel = cancel


@pytest.mark.parametrize('states, runner, cancel, code', [
    ([('succeeded', 'succeeded'), ('succeeded', 'succeeded')], 'successful', None, errors.OK),
    ([('succeeded', 'succeeded'), ('failed', 'failed')], 'failed', None, errors.FAILED),
    ([('cancelled', 'cancelled')], 'failed', None, errors.FAILED),
    ([('failed', 'running')], 'failed', {'requested': 'x'}, errors.FAILED),   # cancelled through the CLI
    ([('failed', None)], 'failed', None, errors.INFRA),                      # the playbook broke before any record
    ([('failed', 'running')], 'error', None, errors.INFRA),                  # the runner died under a running build
    ([('succeeded', 'succeeded')], 'failed', None, errors.INFRA),            # builds fine, the run still failed
])
def test_submit_wait_exit_codes(states, runner, cancel, code):
    views = [{'state': state, 'record_state': rec} for state, rec in states]
    assert cli._run_exit_code(views, FakeRun(runner, cancel)) == code


def test_interrupt_exits_130(monkeypatch, tmp_path):
    def interrupted(ctx):
        raise KeyboardInterrupt
    monkeypatch.setitem(cli.COMMANDS, 'list', interrupted)
    code, dummy, err = run_cli('list', '--status-dir', str(tmp_path))
    assert code == errors.INTERRUPTED == 130 and 'interrupted' in err
