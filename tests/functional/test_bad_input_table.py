# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bad-input table: every module and every request field against malformed values.

Data-driven: ``tests/functional/data/bad_input/<name>.yml`` holds, per module (and one for the
request through ``build_request``)::

    module: ondemand.fedora_build.boot_iso
    tools: [lorax]            # what the valid ``base`` arguments run (the control case proves it)
    base: {...}               # valid arguments; @TMP@ is a fresh directory, @TRIPWIRE@ a URL of
                              # a loopback server that records every connection
    cases:
      - id: version-semicolon
        args: {version: '41; touch /tmp/pwned'}   # merged over base (null removes a key)
        field: version                            # the msg must name it (default: the first key of args)
        known: why it still fails                 # optional: a known, reported gap (strict xfail: flips when fixed)

Each YAML file becomes one ``ansible-playbook`` run on localhost with one task per case
(``ignore_errors``), so each case is its own module invocation and its own pytest id
(``boot_iso-version-semicolon``).  Every case must fail with a one-line ``msg`` that names the
field, without a traceback (no ``exception`` in the result) and without running anything:

* PATH starts with a tripwire dir whose lorax, pungi, livemedia-creator, kiwi-ng, createrepo_c,
  rpmkeys, koji, ssh, scp, sftp, rsync, curl, mount, umount, losetup, ... write a marker file
  named after the case and exit 97;
* hub, topurl, webhook, SMTP and kickstart URLs point at a loopback TCP server
  (``@TRIPWIRE@``; a fresh one per case) that records every connection.

The ``control`` case of each file runs ``base`` unchanged and must leave a marker (or a
connection): the tripwire is live, so a bad case that ran something cannot pass.
"""

from __future__ import annotations

import copy
import json
import os
import socket
import stat
import sys
import threading
from pathlib import Path

import pytest
import yaml

from support.ansible_run import run_playbook

DATA = Path(__file__).resolve().parent / 'data' / 'bad_input'
TRIPWIRE_TOOLS = ('lorax', 'pungi', 'pungi-koji', 'livemedia-creator', 'kiwi-ng', 'kiwi', 'createrepo_c', 'createrepo',
                  'rpmkeys', 'rpm', 'rpmsign', 'koji', 'ssh', 'scp', 'sftp', 'rsync', 'curl', 'wget', 'lftp',
                  'mount', 'umount', 'losetup', 'xorriso', 'mkisofs', 'genisoimage', 'dnf', 'ksflatten',
                  'ksvalidator', 'getenforce', 'sendmail', 'gpg', 'anaconda', 'dracut')
WRAPPER = """#!/bin/sh
# tripwire: record that this tool ran, for which bad-input case, and fail
printf '%%s\\n' "$0 $*" >> "%s/${FB_TRIPWIRE_CASE:-unknown}.$(basename "$0").$$"
exit 97
"""


def load_tables():
    tables = {}
    for path in sorted(DATA.glob('*.yml')):
        tables[path.stem] = yaml.safe_load(path.read_text(encoding='utf-8'))
    return tables


TABLES = load_tables()


def case_params():
    params = []
    for name, table in TABLES.items():
        params.append(pytest.param(name, 'control', id='%s-control' % name))
        seen = set()
        for case in table['cases']:
            assert case['id'] not in seen, 'duplicate case id %s in %s.yml' % (case['id'], name)
            seen.add(case['id'])
            marks = [pytest.mark.xfail(strict=True, reason=case['known'])] if case.get('known') else []
            params.append(pytest.param(name, case['id'], id='%s-%s' % (name, case['id']), marks=marks))
    return params


class Tripwire(object):
    """A loopback TCP server that records the first bytes of every connection it gets."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections = []
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self._stop:
            try:
                conn = self.sock.accept()[0]
            except OSError:
                return
            conn.settimeout(2)
            try:
                data = conn.recv(4096)
            except OSError:
                data = b''
            self.connections.append(data.decode('latin-1'))
            conn.close()

    def close(self):
        self._stop = True
        self.sock.close()


def substitute(value, subs):
    if isinstance(value, str):
        for key, repl in subs.items():
            value = value.replace(key, repl)
        return value
    if isinstance(value, list):
        return [substitute(v, subs) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, subs) for k, v in value.items()}
    return value


def merge(base, args):
    out = copy.deepcopy(base)
    for key, value in (args or {}).items():
        if value is None and key in out:
            del out[key]
        elif isinstance(value, dict) and isinstance(out.get(key), dict) and not value.get('__replace__'):
            out[key] = merge(out[key], value)
        else:
            if isinstance(value, dict):
                value = {k: v for k, v in value.items() if k != '__replace__'}
            out[key] = value
    return out


class TableRun(object):
    """One ansible-playbook run over every case of one table, case by case with the tripwire counted."""

    def __init__(self, name, table, root):
        self.name = name
        self.table = table
        self.root = root
        self.markers = root / 'markers'
        self.markers.mkdir(parents=True)
        bin_dir = root / 'tripwire-bin'
        bin_dir.mkdir()
        for tool in TRIPWIRE_TOOLS:
            script = bin_dir / tool
            script.write_text(WRAPPER % self.markers)
            script.chmod(0o755)
        self.bin_dir = bin_dir
        self.results = {}
        self.connections = {}
        self.args = {}

    def case_args(self, case_id, tmp, tripwire):
        table = self.table
        subs = {'@TMP@': str(tmp), '@HUGE@': 'https://k.example.org/' + 'a' * 5000, '@TRIPWIRE@': 'http://127.0.0.1:%d' % tripwire.port,
                '@TRIPWIRE_PORT@': str(tripwire.port)}
        base = substitute(table['base'], subs)
        if case_id == 'control':
            return base
        case = [c for c in table['cases'] if c['id'] == case_id][0]
        return merge(base, substitute(case.get('args'), subs))

    def run(self):
        tripwire = Tripwire()
        try:
            ids = ['control'] + [c['id'] for c in self.table['cases']]
            # Each case gets its own tripwire server (port), so connections are told apart.
            plays = []
            wires = {}
            for case_id in ids:
                wire = Tripwire() if case_id != 'control' else tripwire
                wires[case_id] = wire
                tmp = self.root / 'cases' / case_id
                tmp.mkdir(parents=True)
                for rel, content in (self.table.get('files') or {}).items():
                    (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
                    (tmp / rel).write_text(substitute(content, {'@TMP@': str(tmp)}))
                args = self.case_args(case_id, tmp, wire)
                self.args[case_id] = args
                task = {'name': case_id, self.table['module']: args, 'ignore_errors': True,
                        'environment': dict(self.table.get('environment') or {}, FB_TRIPWIRE_CASE=case_id)}
                if self.table.get('task_vars'):
                    task['vars'] = substitute(self.table['task_vars'], {'@TMP@': str(tmp)})
                plays.append(task)
            play = {'name': 'bad input %s' % self.name, 'hosts': 'localhost', 'gather_facts': False, 'tasks': plays}
            env = {'PATH': '%s:%s:%s' % (self.bin_dir, Path(sys.executable).parent, os.environ.get('PATH', ''))}
            env.update(self.table.get('controller_environment') or {})
            run = run_playbook([play], env=env, workdir=self.root / 'ansible', timeout=900)
            self.run_output = run
            for case_id in ids:
                try:
                    self.results[case_id] = dict(run.result(case_id, 'localhost'),
                                                 _status=run.status(case_id, 'localhost'))
                except KeyError:
                    self.results[case_id] = None
                self.connections[case_id] = list(wires[case_id].connections)
            for wire in wires.values():
                wire.close()
        finally:
            tripwire.close()
        return self

    def markers_of(self, case_id):
        return sorted(p.name for p in self.markers.iterdir() if p.name.startswith(case_id + '.'))


@pytest.fixture(scope='session')
def table_runs(tmp_path_factory):
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = TableRun(name, TABLES[name], tmp_path_factory.mktemp('bad-input-%s' % name)).run()
        return cache[name]
    return get


@pytest.mark.parametrize('table,case_id', case_params())
def test_bad_input(table_runs, table, case_id):
    run = table_runs(table)
    result = run.results[case_id]
    assert result is not None, 'case %s did not run:\n%s' % (case_id, run.run_output.describe())
    markers = run.markers_of(case_id)
    conns = run.connections[case_id]
    spec = TABLES[table]
    if case_id == 'control':
        # The valid arguments do reach a tool or the network: the tripwire is live.
        expected = spec.get('control', 'tool')
        if expected == 'tool':
            assert markers, 'control run left no tripwire marker; result: %s' % json.dumps(result)[:2000]
        elif expected == 'connection':
            assert conns, 'control run made no connection; result: %s' % json.dumps(result)[:2000]
        elif expected == 'ok':
            assert result['_status'] in ('ok', 'changed'), result
        return
    case = [c for c in spec['cases'] if c['id'] == case_id][0]
    field = case.get('field') or next(iter(case['args']))
    assert result['_status'] == 'ignored', 'accepted: %s -> %s' % (json.dumps(case['args']), json.dumps(result)[:1500])
    msg = result.get('msg')
    assert isinstance(msg, str) and msg, result
    assert '\n' not in msg and 'Traceback' not in msg, msg
    # ansible-core 2.19 fills in '(traceback unavailable)' for a fail_json without a traceback
    assert result.get('exception') in (None, '', '(traceback unavailable)'), result.get('exception')
    assert msg != 'MODULE FAILURE', result
    assert not result.get('module_stderr'), result.get('module_stderr')
    for name in (field if isinstance(field, list) else [field]):
        assert name in msg, 'msg does not name %r: %s' % (name, msg)
    for text in case.get('msg_has', []):
        assert text in msg, msg
    assert not markers, 'a command ran for bad input: %s' % [
        (run.markers / m).read_text() for m in markers]
    assert not conns, 'a connection was made for bad input: %r' % conns
    for secret in spec.get('secrets', []):
        assert secret not in json.dumps(result), 'secret %r in the result' % secret
    # Nothing was created under the case's directory except what the table says may exist.
    tmp = run.root / 'cases' / case_id
    created = sorted(str(p.relative_to(tmp)) for p in tmp.rglob('*') if not stat.S_ISDIR(p.lstat().st_mode))
    allowed = set(spec.get('files') or {})
    assert not [c for c in created if c not in allowed], 'files created for bad input: %s' % created


# --------------------------------------------------------------------------- the user-facing path

PLAYBOOK_CASES = [
    pytest.param({'koji': {'builds': ['bash-5.2;rm -rf ~-1.fc41']}}, 'requests[0].koji.builds[0]', id='nvr-semicolon'),
    pytest.param({'kickstart': {'src': 'javascript:alert(1)'}}, 'requests[0].kickstart.src', id='kickstart-javascript'),
    pytest.param({'notify': {'webhook': 'file:///etc/passwd'}}, 'requests[0].notify.webhook', id='webhook-file'),
    pytest.param({'name': '../../etc'}, 'requests[0].name', id='name-dotdot'),
    pytest.param({'builder': {'iso_name': '../x.iso'}}, 'requests[0].builder.iso_name', id='builder-iso_name-dotdot'),
]


@pytest.mark.parametrize('change,field', PLAYBOOK_CASES)
def test_build_playbook_stops_in_validation(tmp_path, change, field):
    """playbooks/build.yml with a bad request: the run fails in "Validate every request", nothing runs on a node."""
    markers = tmp_path / 'markers'
    markers.mkdir()
    bin_dir = tmp_path / 'tripwire-bin'
    bin_dir.mkdir()
    for tool in TRIPWIRE_TOOLS:
        (bin_dir / tool).write_text(WRAPPER % markers)
        (bin_dir / tool).chmod(0o755)
    path = '%s:%s:%s' % (bin_dir, Path(sys.executable).parent, os.environ.get('PATH', ''))
    node = {name: tmp_path / 'node' / name for name in ('work', 'cache', 'lock')}
    inventory = {'all': {'children': {'builders': {'hosts': {'localhost': {
        'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable,
        'fedora_build_work_dir': str(node['work']), 'fedora_build_cache_dir': str(node['cache']),
        'fedora_build_lock_dir': str(node['lock'])}}}}}}
    request = {'image_type': 'live', 'release': '41', 'arch': 'x86_64', 'name': 'live-test',
               'kickstart': {'src': 'https://pagure.io/fedora-kickstarts/raw/f41/f/fedora-live-xfce.ks'},
               'notify': {'email': ['qa@example.org']}}
    request.update(change)
    staging = tmp_path / 'staging'
    extra_vars = {'fedora_build_request': request, 'fedora_build_staging': [{'type': 'local', 'path': str(staging)}],
                  'fedora_build_environment': {'PATH': path}}
    run = run_playbook(str(Path(__file__).resolve().parents[2] / 'playbooks' / 'build.yml'), inventory=inventory,
                       extra_vars=extra_vars, env={'PATH': path}, workdir=tmp_path / 'run')
    assert run.rc == 2, run.describe()
    task = 'Validate every request (all problems at once)'
    assert run.status(task, 'localhost') == 'failed'
    msg = run.result(task, 'localhost')['msg']
    assert '\n' not in msg and field + ': ' in msg, msg
    # The run ended there: no task after validation, no slot host, no status record, nothing on the node.
    tasks = [r.task for r in run.results]
    assert tasks[-1] == task, tasks
    assert not [r for r in run.results if r.host != 'localhost'], [(r.host, r.task) for r in run.results]
    assert not staging.exists()
    assert not any(p.exists() for p in node.values())
    assert not list(markers.iterdir())
