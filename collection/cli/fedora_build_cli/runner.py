# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ansible-runner glue: start a playbook run in its own process, stop it, run cancel.yml.

`submit` writes ``runs/<run_id>/run.json`` and starts ``python -m fedora_build_cli.runner
<run_dir>`` in a new session: the *runner process*.  It calls ``ansible_runner.run_async`` with
the run dir as private data dir (project dir: the checkout), writes ``worker.json`` (its pid, the
runner status, rc) and stays until ansible-playbook ends, so `submit` can return at once and a
later `cancel` finds it by pid.

Stopping (`cancel`) is graceful first: SIGINT to the runner process, which passes SIGINT to
ansible-playbook's process group (Ansible stops after the running task); if that does not end it
within the grace time, SIGTERM; then the runner's cancel_callback, which makes ansible-runner
kill the process group.
"""

import importlib
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from .errors import CLIError, INFRA
from .project import collection_module
from .secrets_channel import Channel
from .status import IDENT, Run, load_json, now_iso, pid_alive

GRACE = float(os.environ.get('FEDORA_BUILD_CANCEL_GRACE', '15'))


def atomic_json(path, data):
    path = Path(path)
    tmp = path.with_name('.%s.%d.tmp' % (path.name, os.getpid()))
    with open(tmp, 'w', encoding='utf-8') as handle:
        json.dump(data, handle, indent=1, sort_keys=True, default=str)
        handle.write('\n')
    os.replace(tmp, path)


def atomic_write_text(path, text):
    path = Path(path)
    tmp = path.with_name('.%s.%d.tmp' % (path.name, os.getpid()))
    with open(tmp, 'w', encoding='utf-8') as handle:
        handle.write(text)
    os.replace(tmp, path)


MODEL_MODULE = 'ansible_collections.ondemand.fedora_build.plugins.module_utils.request_model'


def redact(requests, project=None):
    """``requests`` with every field the collection's request model marks secret replaced and the user information
    (``user:password@``) of the URL fields it marks dropped, for files on disk (by the model's marks, not by names)."""
    if project is not None:
        model = collection_module(project, MODEL_MODULE)
    else:
        try:
            model = importlib.import_module(MODEL_MODULE)
        except ImportError as exc:
            raise CLIError('cannot import %s from the collection (%s); run collection/setup.sh.' % (MODEL_MODULE, exc),
                           INFRA)
    return model.hide_secrets(requests, mask='(redacted)')


def new_run_id():
    return 'run-%s-%s' % (datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%SZ'), secrets.token_hex(3))


def _package_path():
    return str(Path(__file__).resolve().parent.parent)


def start(project, status_dir, playbook, inventory, extravars, request_ids, requests, kind='build'):
    """Write the run dir and start the runner process; returns the Run."""
    runs = Path(status_dir) / 'runs'
    try:
        runs.mkdir(parents=True, exist_ok=True)
        run_dir = runs / new_run_id()
        run_dir.mkdir(mode=0o700)
    except OSError as exc:
        raise CLIError('status dir %s: cannot create the run directory (%s).' % (status_dir, exc), INFRA)
    # run.json is on disk: the extra vars (they may hold secrets) go to the runner process through its stdin
    info = {
        'run_id': run_dir.name, 'kind': kind, 'created': now_iso(), 'project': str(project.root),
        'playbook': str(playbook), 'inventory': inventory, 'extravar_names': sorted(extravars),
        'envvars': project.runner_env(), 'request_ids': list(request_ids), 'requests': redact(requests, project),
        'status_dir': str(status_dir),
    }
    atomic_json(run_dir / 'run.json', info)
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join([_package_path()] + [p for p in env.get('PYTHONPATH', '').split(os.pathsep) if p])
    with open(run_dir / 'worker.log', 'ab') as log:
        proc = subprocess.Popen([sys.executable, '-m', 'fedora_build_cli.runner', str(run_dir)],
                                stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT,
                                cwd=str(project.root), env=env, start_new_session=True, close_fds=True)
    try:
        proc.stdin.write(json.dumps({'extravars': extravars}, default=str).encode('utf-8'))
        proc.stdin.close()
    except OSError:
        pass  # it died at once: reported below
    info['worker_pid'] = proc.pid
    atomic_json(run_dir / 'run.json', info)
    deadline = time.time() + 20
    while time.time() < deadline:
        if (run_dir / 'worker.json').is_file():
            break
        if proc.poll() is not None:
            raise CLIError('the runner process exited at once (rc %s): %s' % (proc.returncode, _tail(run_dir / 'worker.log')), INFRA)
        time.sleep(0.1)
    return Run(run_dir)


def _tail(path, lines=5):
    try:
        text = Path(path).read_text(encoding='utf-8', errors='replace').strip().splitlines()
    except OSError:
        return '(no log)'
    return ' | '.join(text[-lines:]) or '(empty log)'


# --------------------------------------------------------------------------- the runner process

def _children(pid):
    """PIDs whose parent is ``pid`` (Linux /proc)."""
    out = []
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                with open('/proc/%s/stat' % entry, 'rb') as handle:
                    fields = handle.read().rsplit(b')', 1)[-1].split()
                if int(fields[1]) == pid:
                    out.append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    return out


class Worker:
    """The runner process for one run dir."""

    def __init__(self, run_dir, extravars=None):
        self.run_dir = Path(run_dir)
        self.info = load_json(self.run_dir / 'run.json') or {}
        self.extravars = extravars or {}
        self.cancel = threading.Event()
        self.state = {'pid': os.getpid(), 'status': 'starting', 'started': now_iso(), 'rc': None}
        self.signals = []
        self.ids_seen = False

    def write(self, **fields):
        self.state.update(fields)
        atomic_json(self.run_dir / 'worker.json', self.state)

    def playbook_pids(self):
        return _children(os.getpid())

    def _signal_playbook(self, signum):
        for pid in self.playbook_pids():
            try:
                os.killpg(os.getpgid(pid), signum)
            except OSError:
                try:
                    os.kill(pid, signum)
                except OSError:
                    pass

    def on_signal(self, signum, _frame):
        name = signal.Signals(signum).name
        self.signals.append({'time': now_iso(), 'signal': name})
        self.write(signals=self.signals, cancel_requested=True)
        self._signal_playbook(signum)
        # escalate on our own if ansible-playbook does not stop: SIGTERM, then ansible-runner's kill
        steps = [(GRACE, signal.SIGTERM), (2 * GRACE, None)] if signum == signal.SIGINT else [(GRACE, None)]
        for delay, nxt in steps:
            timer = threading.Timer(delay, self._escalate, args=(nxt,))
            timer.daemon = True
            timer.start()

    def _escalate(self, signum):
        if signum is None:
            self.cancel.set()
        else:
            self._signal_playbook(signum)

    def on_event(self, event):
        """Keep the request IDs the playbook computed (build_request's result) in request_ids.json."""
        data = event.get('event_data') or {}
        if (event.get('event') == 'runner_on_ok' and not self.ids_seen
                and 'build_request' in str(data.get('resolved_action') or data.get('task_action') or '')):
            ids = (data.get('res') or {}).get('request_ids')
            if ids:
                self.ids_seen = True
                atomic_json(self.run_dir / 'request_ids.json', {'request_ids': ids, 'task': data.get('task')})
        return True

    def on_status(self, data, runner_config=None):  # pylint: disable=unused-argument
        status = data.get('status')
        fields = {'status': status}
        if status == 'running':
            fields['playbook_pids'] = self.playbook_pids()
        self.write(**fields)

    def run(self):
        self.write()
        signal.signal(signal.SIGINT, self.on_signal)
        signal.signal(signal.SIGTERM, self.on_signal)
        try:
            import ansible_runner  # pylint: disable=import-outside-toplevel
        except ImportError as exc:
            self.write(status='error', rc=None, error='ansible-runner is not installed (%s)' % exc, finished=now_iso())
            return 4
        try:
            # no extra vars and no secret environment variable for ansible-runner to record: they go
            # through the channel to the wrapper that starts ansible-playbook (secrets_channel.py)
            runner_settings(self.run_dir)
            with Channel(self.run_dir, IDENT, self.extravars) as channel:
                envvars = dict(self.info.get('envvars') or {}, **channel.envvars)
                thread, runner = ansible_runner.run_async(
                    private_data_dir=str(self.run_dir), project_dir=self.info['project'],
                    playbook=self.info['playbook'], inventory=self.info.get('inventory') or None,
                    envvars=envvars, binary=channel.binary, cmdline=channel.cmdline(self.info['playbook']),
                    ident=IDENT, quiet=True, cancel_callback=self.cancel.is_set, status_handler=self.on_status,
                    event_handler=self.on_event, suppress_env_files=True,
                )
                while thread.is_alive():
                    thread.join(0.5)
        except Exception as exc:  # pylint: disable=broad-except
            self.write(status='error', error='%s: %s' % (type(exc).__name__, exc), finished=now_iso())
            return 4
        self._redact_command()
        self.write(status=runner.status, rc=runner.rc, stats=runner.stats, finished=now_iso())
        return 0

    def _redact_command(self):
        redact_command(self.run_dir / 'artifacts' / IDENT / 'command')


def runner_settings(run_dir):
    """env/settings of the run dir (ansible-runner reads it; suppress_env_files keeps it from writing env/).

    suppress_env_files: ansible-runner writes none of env/extravars, envvars, cmdline (and would
    otherwise reuse the first run's env/cmdline and env/envvars for cancel.yml in the same dir).
    """
    path = Path(run_dir) / 'env' / 'settings'
    path.parent.mkdir(mode=0o700, exist_ok=True)
    atomic_json(path, {'pexpect_timeout': 1})


def redact_command(path):
    """ansible-runner keeps its environment in artifacts/<ident>/command: keep the names only.

    It holds only public variables anyway (secrets_channel.py); this also hides their values.
    """
    data = load_json(path) if Path(path).is_file() else None
    if data and isinstance(data.get('env'), dict):
        data['env'] = dict((k, '(redacted)') for k in data['env'])
        atomic_json(path, data)


# --------------------------------------------------------------------------- stopping a run

def stop(run, grace=None):
    """SIGINT to the runner process, SIGTERM after ``grace``; returns what was done."""
    grace = GRACE if grace is None else grace
    pid = run.pid
    done = []
    if not pid or not pid_alive(pid):
        return done
    for signum, wait in ((signal.SIGINT, 2 * grace + 5), (signal.SIGTERM, grace + 10)):
        try:
            os.kill(int(pid), signum)
        except ProcessLookupError:
            return done
        done.append(signal.Signals(signum).name)
        deadline = time.time() + wait
        while time.time() < deadline:
            if not pid_alive(pid):
                return done
            time.sleep(0.2)
    raise CLIError('run %s: the runner process %s did not stop after SIGINT and SIGTERM.' % (run.run_id, pid), INFRA)


def run_sync(project, run_dir, ident, playbook, inventory, extravars):
    """Run a short playbook (cancel.yml) through ansible-runner and wait; returns the Runner."""
    try:
        import ansible_runner  # pylint: disable=import-outside-toplevel
    except ImportError as exc:
        raise CLIError('ansible-runner is not installed (%s); run collection/setup.sh.' % exc, INFRA)
    with Channel(run_dir, ident, extravars) as channel:
        thread, done = ansible_runner.run_async(
            private_data_dir=str(run_dir), project_dir=str(project.root), playbook=str(playbook),
            inventory=inventory or None, envvars=dict(project.runner_env(), **channel.envvars),
            binary=channel.binary, cmdline=channel.cmdline(playbook), ident=ident, quiet=True,
            suppress_env_files=True)
        channel.restore()
        thread.join()
    redact_command(Path(run_dir) / 'artifacts' / ident / 'command')
    return done


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        sys.stderr.write('usage: python -m fedora_build_cli.runner RUN_DIR (extra vars as JSON on stdin)\n')
        return 2
    try:
        handed = json.loads(sys.stdin.read() or '{}')
    except ValueError as exc:
        sys.stderr.write('runner: stdin is not the JSON submit writes (%s)\n' % exc)
        return 2
    return Worker(argv[0], handed.get('extravars')).run()


if __name__ == '__main__':
    sys.exit(main())
