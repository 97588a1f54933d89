# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`logs`: the staged logs of a finished build, or the runner's output of a running one."""

import re
import sys
import time
from pathlib import Path

from .errors import CLIError, NOT_FOUND
from .status import Run


def staged_logs(build, status_dir):
    """(logs dir, [files]) of the first staged copy found on a local filesystem, or (None, [])."""
    for path in build.staged_dirs(status_dir):
        logs = Path(path) / 'logs'
        if logs.is_dir():
            return logs, sorted(p for p in logs.rglob('*') if p.is_file())
    return None, []


def runner_stdout(build):
    if build.run is None:
        return None
    path = build.run.artifacts / 'stdout'
    return path if path.is_file() else None


def plan(build, status_dir):
    """What `logs` shows: {'source': 'staged'|'runner', ...}."""
    logs_dir, files = staged_logs(build, status_dir)
    running = build.state not in ('succeeded', 'failed', 'cancelled')
    stdout = runner_stdout(build)
    if files and not running:
        return {'source': 'staged', 'dir': str(logs_dir), 'files': [str(f) for f in files]}
    if stdout is not None:
        return {'source': 'runner', 'path': str(stdout), 'running': running,
                'staged_dir': str(logs_dir) if logs_dir else None}
    if files:
        return {'source': 'staged', 'dir': str(logs_dir), 'files': [str(f) for f in files]}
    raise CLIError('%s: no logs yet (nothing staged under %s and no runner output).'
                   % (build.request_id, ', '.join(str(p) for p in build.staged_dirs(status_dir)) or 'any staging target'),
                   NOT_FOUND)


ANSI = re.compile(r'\x1b\[[0-9;?]*[A-Za-z]')


def plain(stream):
    """A writer that drops terminal colour codes (ansible-playbook's) unless ``stream`` is a terminal."""
    if hasattr(stream, 'isatty') and stream.isatty():
        return stream.write
    return lambda text: stream.write(ANSI.sub('', text))


def wait_for_runner_output(build, status_dir, interval=0.5):
    """--follow on a run that has just started: wait until ansible-runner has created its stdout."""
    while True:
        try:
            return plan(build, status_dir)
        except CLIError:
            if build.run is None or Run(build.run.path).finished:
                raise
        time.sleep(interval)


def show_staged(files, stream=None):
    stream = stream or sys.stdout
    for path in files:
        stream.write('==> %s <==\n' % path)
        with open(path, 'r', encoding='utf-8', errors='replace') as handle:
            for line in handle:
                stream.write(line)
        stream.write('\n')


def follow(path, run, stream=None, interval=0.5):
    """Print ``path`` and keep printing what is appended until the run's runner process ends."""
    stream = stream or sys.stdout
    write = plain(stream)
    with open(path, 'r', encoding='utf-8', errors='replace') as handle:
        while True:
            chunk = handle.read()
            if chunk:
                write(chunk)
                stream.flush()
                continue
            if run is None or Run(run.path).finished:
                chunk = handle.read()
                if chunk:
                    write(chunk)
                return
            time.sleep(interval)
