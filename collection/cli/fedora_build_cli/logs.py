# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`logs`: the staged logs of a finished build, or the runner's output of a running one."""

import sys
import time
from pathlib import Path

from .errors import CLIError, NOT_FOUND
from .safe import escape
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


def show_file(path, stream=None):
    """A log file, escaped line by line (safe.escape: line breaks kept, controls made visible)."""
    stream = stream or sys.stdout
    with open(path, 'r', encoding='utf-8', errors='replace', newline='') as handle:
        for line in handle:
            stream.write(escape(line, lines=True))


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
        stream.write('==> %s <==\n' % escape(path))
        show_file(path, stream)
        stream.write('\n')


def follow(path, run, stream=None, interval=0.5):
    """Print ``path`` and keep printing what is appended until the run's runner process ends.

    Whole lines only while the run goes on (an escape sequence or CRLF is never cut in two),
    each escaped like every other log line (safe.escape).
    """
    stream = stream or sys.stdout
    pending = ''
    with open(path, 'r', encoding='utf-8', errors='replace', newline='') as handle:
        while True:
            chunk = handle.read()
            if chunk:
                pending += chunk
                cut = pending.rfind('\n') + 1
                if cut:
                    stream.write(escape(pending[:cut], lines=True))
                    stream.flush()
                    pending = pending[cut:]
                continue
            if run is None or Run(run.path).finished:
                pending += handle.read()
                if pending:
                    stream.write(escape(pending, lines=True))
                return
            time.sleep(interval)
