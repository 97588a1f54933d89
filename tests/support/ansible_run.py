# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run playbooks and single modules through the real ``ansible-playbook``.

Used by functional and lab tests::

    from support.ansible_run import run_module, run_playbook, LOCALHOST

    run = run_module('ansible.builtin.command', {'argv': ['true']})          # localhost
    run.assert_ok()
    assert run.result('module', 'localhost')['rc'] == 0

    run = run_module('ondemand.fedora_build.preflight', {'require': []},
                     inventory=lab.inventory, hosts='builders')
    for host, res in run.module_results().items(): ...

    run = run_playbook('playbooks/build.yml', lab.inventory, extra_vars={...}, check=True, diff=True)
    run.hosts['node-x86a']['Some task name']   # result dict of that task on that host
    run.status('Some task name', 'node-x86a')  # 'ok' | 'changed' | 'failed' | 'ignored' | 'skipped' | 'unreachable'

Each run gets ``ANSIBLE_CONFIG=<repo>/ansible.cfg`` (so ``ondemand.fedora_build.*``
resolves from the checkout), its own ``ANSIBLE_HOME`` and local temp dir, and
the ``fb_results`` callback (tests/support/callbacks/) that writes every task
result to JSON while the normal stdout callback prints for humans.
ANSIBLE_* variables of the calling environment are NOT passed on (a CI that
exports ANSIBLE_HOST_KEY_CHECKING=False must not change what tests see); pass
what a test needs in ``env``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CALLBACK_DIR = Path(__file__).resolve().parent / 'callbacks'
ANSIBLE_CFG = REPO / 'ansible.cfg'

#: Inventory for running on the controller itself with the venv's Python.
LOCALHOST = {
    'all': {
        'hosts': {
            'localhost': {
                'ansible_connection': 'local',
                'ansible_python_interpreter': sys.executable,
            },
        },
    },
}


def _ansible_playbook():
    """The ansible-playbook next to the running interpreter (the venv), else PATH."""
    candidate = Path(sys.executable).parent / 'ansible-playbook'
    if candidate.exists():
        return str(candidate)
    found = shutil.which('ansible-playbook')
    if not found:
        raise RuntimeError('ansible-playbook not found next to %s nor on PATH' % sys.executable)
    return found


@dataclass
class TaskResult:
    """One task's outcome on one host."""

    play: str
    host: str
    task: str
    action: str
    status: str
    result: dict


@dataclass
class PlaybookRun:
    """What one ansible-playbook run did."""

    argv: list
    rc: int
    stdout: str
    stderr: str
    results: list = field(default_factory=list)
    stats: dict = field(default_factory=dict)
    custom: dict = field(default_factory=dict)

    @property
    def hosts(self):
        """``{host: {task name: result dict}}``; a later task of the same name wins."""
        out = {}
        for res in self.results:
            out.setdefault(res.host, {})[res.task] = res.result
        return out

    def _find(self, task, host=None):
        found = [r for r in self.results if r.task == task and (host is None or r.host == host)]
        if not found:
            raise KeyError('no result for task %r on host %r; ran: %s' % (
                task, host, sorted({(r.host, r.task) for r in self.results})))
        if host is None and len({r.host for r in found}) > 1:
            raise KeyError('task %r ran on several hosts (%s); pass host=' % (task, sorted({r.host for r in found})))
        return found[-1]

    def result(self, task, host=None):
        """Result dict of ``task`` on ``host`` (host may be omitted when only one host ran it)."""
        return self._find(task, host).result

    def status(self, task, host=None):
        """'ok', 'changed', 'failed', 'ignored', 'skipped' or 'unreachable'."""
        return self._find(task, host).status

    def module_results(self, task='module'):
        """``{host: result}`` of one task on every host (default: the task of run_module)."""
        return {r.host: r.result for r in self.results if r.task == task}

    @property
    def ok(self):
        return self.rc == 0

    def describe(self):
        """Text for assertion messages: command, rc and both output streams."""
        return 'ansible-playbook exited %s\n$ %s\n--- stdout ---\n%s\n--- stderr ---\n%s' % (
            self.rc, ' '.join(self.argv), self.stdout, self.stderr)

    def assert_ok(self):
        """Raise AssertionError with the full output unless the run exited 0."""
        if self.rc != 0:
            raise AssertionError(self.describe())
        return self


def _write_data(path, data):
    # JSON is YAML, and json.dumps quotes everything that YAML would misread.
    path.write_text(json.dumps(data, indent=1, default=str), encoding='utf-8')
    return str(path)


def run_playbook(playbook, inventory=None, extra_vars=None, check=False, diff=False, env=None, limit=None,
                 verbosity=0, args=(), timeout=1800, workdir=None):
    """Run ``ansible-playbook`` and return a :class:`PlaybookRun`.

    playbook: a path, or the plays themselves (a list of dicts) which get written to a file.
    inventory: a path, an inventory dict (written as YAML/JSON), or None for :data:`LOCALHOST`.
    extra_vars: dict passed as ``-e @file`` (types survive).
    env: extra environment variables (applied last; ANSIBLE_* from the caller's environment are dropped).
    workdir: where the run keeps its ANSIBLE_HOME, temp files and results; a fresh temp dir (removed
    afterwards) when None. Pass pytest's ``tmp_path`` to keep them for debugging.
    """
    own_dir = workdir is None
    work = Path(tempfile.mkdtemp(prefix='fb-ansible-') if own_dir else workdir)
    work.mkdir(parents=True, exist_ok=True)
    try:
        if isinstance(playbook, (list, tuple)):
            playbook = _write_data(work / 'playbook.yml', list(playbook))
        if inventory is None:
            inventory = LOCALHOST
        if isinstance(inventory, dict):
            inventory = _write_data(work / 'inventory.yml', inventory)
        results_file = work / 'results.json'
        if results_file.exists():
            results_file.unlink()
        argv = [_ansible_playbook(), '-i', str(inventory)]
        if extra_vars:
            argv += ['-e', '@' + _write_data(work / 'extra_vars.json', extra_vars)]
        if check:
            argv.append('--check')
        if diff:
            argv.append('--diff')
        if limit:
            argv += ['--limit', limit if isinstance(limit, str) else ','.join(limit)]
        if verbosity:
            argv.append('-' + 'v' * verbosity)
        argv += list(args)
        argv.append(str(playbook))

        home = work / 'ansible-home'
        (home / 'tmp').mkdir(parents=True, exist_ok=True)
        run_env = {k: v for k, v in os.environ.items() if not k.startswith('ANSIBLE_')}
        run_env.update({
            'ANSIBLE_CONFIG': str(ANSIBLE_CFG),
            'ANSIBLE_HOME': str(home),
            'ANSIBLE_LOCAL_TEMP': str(home / 'tmp'),
            'ANSIBLE_CALLBACK_PLUGINS': str(CALLBACK_DIR),
            'ANSIBLE_CALLBACKS_ENABLED': 'fb_results',
            'ANSIBLE_NOCOLOR': '1',
            'ANSIBLE_RETRY_FILES_ENABLED': '0',
            'FB_RESULTS_FILE': str(results_file),
            'PATH': '%s%s%s' % (Path(sys.executable).parent, os.pathsep, os.environ.get('PATH', '')),
            'PYTHONUNBUFFERED': '1',
        })
        if env:
            run_env.update({k: str(v) for k, v in env.items()})
        proc = subprocess.run(argv, cwd=str(REPO), env=run_env, stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=timeout, check=False)
        run = PlaybookRun(argv=argv, rc=proc.returncode, stdout=proc.stdout, stderr=proc.stderr)
        if results_file.exists():
            data = json.loads(results_file.read_text(encoding='utf-8'))
            run.results = [TaskResult(**item) for item in data.get('results', [])]
            run.stats = data.get('stats', {})
            run.custom = data.get('custom', {})  # set_stats data ('_run' when per_host is false)
        return run
    finally:
        if own_dir:
            shutil.rmtree(work, ignore_errors=True)


def run_module(module, module_args=None, inventory=None, hosts='localhost', check=False, diff=False,
               extra_vars=None, env=None, become=False, gather_facts=False, limit=None, workdir=None,
               timeout=1800):
    """Run one module as a one-task playbook (task name ``module``) and return the :class:`PlaybookRun`.

    ``run.module_results()`` gives ``{host: result}``; ``run.result('module', host)`` one host's result.
    """
    task = {'name': 'module', module: dict(module_args or {})}
    play = {'name': 'run %s' % module, 'hosts': hosts, 'gather_facts': gather_facts, 'tasks': [task]}
    if become:
        play['become'] = True
    return run_playbook([play], inventory, extra_vars=extra_vars, check=check, diff=diff, env=env,
                        limit=limit, timeout=timeout, workdir=workdir)
