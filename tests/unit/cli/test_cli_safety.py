# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What reaches the operator is safe (issue 13 items 3 and 5): terminal escapes, IDs, YAML."""

import io
import json
import os
from datetime import datetime, timezone

import pytest

from fedora_build_cli import display, errors, logs, main as cli, safe, watch
from fedora_build_cli.status import Run, Store

# what a hostile build can write into a reason, a log line or a record field
HOSTILE = ('\x1b]8;;https://evil.example/\x07click\x1b]8;;\x07 \x1b[2J\x1b[1A\x1bc \x9b31m \x07 \x08'
           '\u202egnp.exe\u202c \u2066x\u2069 \u200b \r\nrq-000000000000  succeeded')
# none of these may reach the terminal
FORBIDDEN = ['\x1b', '\x9b', '\x07', '\x08', '\r', '\u202e', '\u202c', '\u2066', '\u2069', '\u200b']
NOW = datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def clean(text):
    return [c for c in FORBIDDEN if c in text]


def run_cli(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def write_record(status, request_id, **fields):
    rec = {'request_id': request_id, 'build_id': None, 'state': 'failed', 'phase': 'build', 'reason': HOSTILE,
           'image_type': 'live', 'release': '41', 'arch': 'x86_64', 'name': 'live', 'node': 'node-1',
           'submitted': NOW, 'updated': NOW, 'staging': [], 'artifacts': [], 'history': []}
    rec.update(fields)
    status.mkdir(parents=True, exist_ok=True)
    (status / ('%s.json' % request_id)).write_text(json.dumps(rec))
    return rec


def write_run(status, run_id, request_ids, worker):
    path = status / 'runs' / run_id
    path.mkdir(parents=True)
    (path / 'run.json').write_text(json.dumps({'run_id': run_id, 'created': NOW, 'request_ids': request_ids,
                                               'requests': []}))
    (path / 'worker.json').write_text(json.dumps(worker))
    return path


# --------------------------------------------------------------------------- escaping

def test_escape_makes_every_control_visible():
    text = safe.escape(HOSTILE)
    assert clean(text) == [] and '\n' not in text
    assert '\\x1b]8;;https://evil.example/\\x07' in text and '\\u202e' in text and '\\x9b' in text and '\\x0d\\x0a' in text
    lines = safe.escape('a\tb\x1b[0;31mred\x1b[0m\r\n\x1b]0;title\x07next\n', lines=True)
    assert lines == 'a\tbred\n\\x1b]0;title\\x07next\n'  # colours dropped, OSC escaped, line breaks and tabs kept
    assert safe.escape(None) == '' and safe.escape(42) == '42'


def test_status_prints_a_hostile_failure_reason_escaped(tmp_path):
    status = tmp_path / 'status'
    write_record(status, 'rq-aaaaaaaaaaaa', node=HOSTILE, name=HOSTILE,
                 staging=['file:///x/' + HOSTILE], artifacts=[{'name': HOSTILE, 'size': 1, 'sha256': HOSTILE}])
    code, out, err = run_cli('status', '--status-dir', str(status), 'rq-aaaaaaaaaaaa')
    assert code == 0 and clean(out + err) == []
    reason = [line for line in out.splitlines() if line.startswith('reason:')]
    assert len(reason) == 1 and '\\x1b[2J' in reason[0]  # one line, visible
    assert 'rq-000000000000  succeeded' not in out.splitlines()  # no forged line
    for argv in (('status',), ('list',)):
        code, out, err = run_cli(*(argv + ('--status-dir', str(status))))
        assert code == 0 and clean(out + err) == [], argv


def test_tables_on_a_terminal_are_not_rich_markup(monkeypatch):
    monkeypatch.setattr(display, 'use_rich', lambda stream=None: True)
    out = io.StringIO()
    display.table([{'request_id': 'rq-aaaaaaaaaaaa', 'name': '[bold]x[/bold] [link=https://evil.example]y[/link]'}],
                  (('request_id', 'REQUEST'), ('name', 'NAME')), out)
    assert '[bold]x[/bold]' in out.getvalue() and '[link=https://evil.example]' in out.getvalue()


def test_logs_escape_staged_and_runner_output_but_keep_lines(tmp_path):
    status = tmp_path / 'staging' / 'status'
    bid = 'live-41-x86_64-111111111111'
    write_record(status, 'rq-aaaaaaaaaaaa', build_id=bid, state='failed')
    log_dir = tmp_path / 'staging' / bid / 'logs'
    log_dir.mkdir(parents=True)
    (log_dir / 'build.log').write_text('line one\n' + HOSTILE + '\nline three\n')
    code, out, err = run_cli('logs', '--status-dir', str(status), 'rq-aaaaaaaaaaaa')
    assert code == 0 and clean(out + err) == []
    assert 'line one\n' in out and '\nline three\n' in out
    # the runner's stdout of a run (logs of a running build, and --follow)
    run = write_run(status, 'run-20260101T000000Z-abcdef', ['rq-bbbbbbbbbbbb'], {'pid': None, 'status': 'failed'})
    write_record(status, 'rq-bbbbbbbbbbbb', state='running')
    (run / 'artifacts' / 'main').mkdir(parents=True)
    (run / 'artifacts' / 'main' / 'stdout').write_text('TASK [x]\r\n\x1b[0;31mfatal: ' + HOSTILE + '\x1b[0m\r\n')
    code, out, err = run_cli('logs', '--status-dir', str(status), 'rq-bbbbbbbbbbbb')
    assert code == 0 and clean(out + err) == [] and out.startswith('TASK [x]\nfatal: ')
    follow = io.StringIO()
    logs.follow(run / 'artifacts' / 'main' / 'stdout', Run(run), follow)
    assert clean(follow.getvalue()) == [] and follow.getvalue() == out


def test_watch_escapes_history_and_job_event_failures(tmp_path):
    status = tmp_path / 'status'
    write_record(status, 'rq-aaaaaaaaaaaa', history=[{'time': NOW, 'state': 'running', 'phase': HOSTILE}])
    run = write_run(status, 'run-20260101T000000Z-abcdef', ['rq-aaaaaaaaaaaa'], {'pid': None, 'status': 'failed'})
    events = run / 'artifacts' / 'main' / 'job_events'
    events.mkdir(parents=True)
    (events / '1-x.json').write_text(json.dumps({'counter': 1, 'event': 'runner_on_failed', 'event_data': {
        'host': 'localhost', 'task': HOSTILE, 'res': {'msg': HOSTILE}}}))
    out = io.StringIO()
    watch.watch(Store(status), Run(run), ['rq-aaaaaaaaaaaa'], interval=0.01, stream=out)
    assert clean(out.getvalue()) == [] and '\\x1b[2J' in out.getvalue() and 'failed' in out.getvalue()


def test_submit_wait_and_cancel_print_reasons_escaped(tmp_path):
    ctx = cli.Context(cli.build_parser().parse_args(['status']), io.StringIO(), io.StringIO())
    ctx.out(HOSTILE)
    ctx.warn(HOSTILE)
    assert clean(ctx.stdout.getvalue() + ctx.stderr.getvalue()) == []
    err = io.StringIO()
    display.problems(['requests[0].name: ' + HOSTILE, 'x' * 5000], err)
    assert clean(err.getvalue()) == [] and max(len(line) for line in err.getvalue().splitlines()) < 1100


# --------------------------------------------------------------------------- IDs

@pytest.mark.parametrize('ident', ['run-20260101T000000Z-abcdef/../../../etc', '../x', '/etc/passwd', 'rq-../../x',
                                   'a/b', '..', 'run-..', 'x' * 200, 'rq-\x1b[2J'])
def test_ids_resolve_only_inside_the_runs_dir(tmp_path, ident):
    status = tmp_path / 'status'
    write_record(status, 'rq-aaaaaaaaaaaa')
    for command in ('status', 'logs', 'cancel'):
        code, out, err = run_cli(command, '--status-dir', str(status), ident)
        assert code == errors.NOT_FOUND, (command, ident, err)
        assert 'not a request, build or run ID' in err and err.count('\n') == 1 and clean(err) == [], err


def test_a_run_dir_link_escaping_the_runs_dir_is_refused(tmp_path):
    status = tmp_path / 'status'
    outside = tmp_path / 'elsewhere' / 'run-20260101T000000Z-abcdef'
    write_run(tmp_path / 'elsewhere-status', 'run-20260101T000000Z-abcdef', ['rq-aaaaaaaaaaaa'], {'status': 'failed'})
    outside.parent.mkdir()
    os.rename(tmp_path / 'elsewhere-status' / 'runs' / 'run-20260101T000000Z-abcdef', outside)
    (status / 'runs').mkdir(parents=True)
    os.symlink(outside, status / 'runs' / 'run-20260101T000000Z-abcdef')
    code, out, err = run_cli('status', '--status-dir', str(status), 'run-20260101T000000Z-abcdef')
    assert code == errors.NOT_FOUND and 'is a link or lies outside the runs directory' in err, err
    assert Store(status).runs() == []  # not listed either
    # a record whose request_id is not one, or a record that is a link, names nothing
    (status / 'rq-bbbbbbbbbbbb.json').write_text(json.dumps({'request_id': '../../etc/passwd', 'state': 'failed'}))
    os.symlink(tmp_path / 'elsewhere-status' / 'nothing.json', status / 'rq-cccccccccccc.json')
    assert [b.request_id for b in Store(status).builds()] == []
    # a build ID in a record names a directory, never a path
    write_record(status, 'rq-dddddddddddd', build_id='../../etc')
    (build,) = Store(status).builds()
    assert build.staged_dirs(str(status)) == []


# --------------------------------------------------------------------------- YAML

def test_request_yaml_refuses_duplicate_keys(tmp_path):
    path = tmp_path / 'dup.yml'
    path.write_text('fedora_build_request:\n  image_type: boot\n  release: "41"\n  image_type: live\n')
    code, out, err = run_cli('validate', '--status-dir', str(tmp_path), str(path))
    assert code == errors.FAILED
    assert 'line 4: duplicate key \'image_type\' (first at line 2)' in err and err.count('\n') == 1
    extra = tmp_path / 'extra.yml'
    extra.write_text('a: 1\na: 2\n')
    with pytest.raises(cli.CLIError) as exc:
        cli.parse_extra_vars(['@%s' % extra])
    assert "duplicate key 'a'" in exc.value.msg


def test_request_yaml_bounds_alias_expansion(tmp_path):
    lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]']
    lines += ['a%d: &a%d [%s]' % (i, i, ', '.join(['*a%d' % (i - 1)] * 10)) for i in range(1, 10)]
    path = tmp_path / 'laughs.yml'
    path.write_text('\n'.join(lines) + '\n')
    # refused before expanding 10**10 values (an expansion would never return: pytest's timeout ends it)
    code, out, err = run_cli('validate', '--status-dir', str(tmp_path), str(path))
    assert code == errors.FAILED and 'aliases expand to more than 100000 values' in err and err.count('\n') == 1
    # few values, one long string aliased many times: bounded by characters too
    wide = tmp_path / 'wide.yml'
    wide.write_text('s: &s "%s"\nl: [%s]\n' % ('x' * 1000000, ', '.join(['*s'] * 100)))
    code, out, err = run_cli('validate', '--status-dir', str(tmp_path), str(wide))
    assert code == errors.FAILED and 'aliases expand to more than' in err and err.count('\n') == 1
    recursive = tmp_path / 'loop.yml'
    recursive.write_text('a: &a [*a, *a]\n')
    code, out, err = run_cli('validate', '--status-dir', str(tmp_path), str(recursive))
    assert code == errors.FAILED and 'Traceback' not in err


def test_short_never_walks_a_huge_value():
    class Huge(list):
        def __iter__(self):
            raise AssertionError('walked')

        def __repr__(self):
            raise AssertionError('walked')
    assert safe.short(Huge([1, 2, 3])) == '<Huge of 3 items>'
    assert safe.short('x' * 10000).endswith("...'") and len(safe.short('x' * 10000)) < 100
    assert safe.short('\x1b[2J') == "'\\x1b[2J'"


# --------------------------------------------------------------------------- secrets (the functional proof: tests/functional/test_cli_secrets.py)

def test_only_public_environment_variables_reach_ansible_runner():
    from fedora_build_cli.secrets_channel import public
    for name in ('PATH', 'HOME', 'LANG', 'LC_ALL', 'ANSIBLE_CONFIG', 'FEDORA_BUILD_STATUS_DIR', 'PYTHONPATH'):
        assert public(name), name
    for name in ('FEDORA_BUILD_SMTP_PASSWORD', 'FEDORA_BUILD_WEBHOOK_TOKEN', 'FEDORA_BUILD_FTP_PASSWORD',
                 'ANSIBLE_NET_PASSWORD', 'AWS_SECRET_ACCESS_KEY', 'SSH_AUTH_SOCK', 'KRB5CCNAME', 'FB_TEST_FTP_PASSWORD',
                 'GITHUB_TOKEN', 'ANSIBLE_VAULT_PASSWORD_FILE', 'MY_DB_PWD_X'):
        assert not public(name), name


def test_run_json_redacts_secret_request_fields():
    from fedora_build_cli.runner import redact
    reqs = [{'request_id': 'rq-aaaaaaaaaaaa', 'koji': {'password': 'p1', 'username': 'u'},
             'kickstart': {'src': 'https://carol:p3-ks@ks.example.org/live.ks'},
             'staging': [{'type': 'ftp', 'password': 'p2', 'password_env': 'X'}, {'type': 'local', 'password': None}]}]
    out = redact(reqs)
    assert 'p1' not in json.dumps(out) and 'p2' not in json.dumps(out) and 'p3-ks' not in json.dumps(out)
    assert out[0]['koji'] == {'password': '(redacted)', 'username': 'u'} and out[0]['staging'][0]['password_env'] == '(redacted)'
    # by the request model's marks (kickstart.src: a URL whose user information is a credential), not by names
    assert out[0]['kickstart']['src'] == 'https://ks.example.org/live.ks'


def test_the_rich_live_table_shows_escaped_text(tmp_path):
    import rich.console as rich_console  # pylint: disable=import-outside-toplevel
    status = tmp_path / 'status'
    write_record(status, 'rq-aaaaaaaaaaaa', state='running', phase=HOSTILE, node='[link=https://evil.example]n[/link]')
    run = write_run(status, 'run-20260101T000000Z-abcdef', ['rq-aaaaaaaaaaaa'], {'pid': None, 'status': HOSTILE})
    events = watch.Events(Run(run))
    events.task = HOSTILE
    out = io.StringIO()
    console = rich_console.Console(file=out, force_terminal=True, width=400, color_system=None)
    console.print(watch._rich_table(watch._views(Store(status), Run(run), ['rq-aaaaaaaaaaaa']), Run(run), events))
    text = out.getvalue()
    assert '\x1b]8' not in text and '\u202e' not in text and '\x07' not in text and '\r' not in text
    assert '\\x1b]8;;https://evil.example/\\x07click' in text and '[link=https://evil.example]n[/link]' in text


def test_the_operators_kiwi_description_names_reach_the_validator():
    from fedora_build_cli import requests_io
    defaults = requests_io.service_defaults('/srv/fb/status', {'fedora_build_kiwi_descriptions': {'lab': '/srv/k'}})
    assert defaults['kiwi_descriptions'] == ['lab']
    assert 'kiwi_descriptions' not in requests_io.service_defaults('/srv/fb/status', {})
