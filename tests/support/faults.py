# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers of the fault-injection suite (tests/lab/test_faults_lab.py, tests/functional/test_faults_local.py).

* :class:`BackgroundRun`: ``playbooks/build.yml`` in a thread, so a test can inject a fault while it runs.
* :func:`wait_until`: poll a condition (status records, files) with a deadline; never a fixed sleep.
* :func:`records`, :func:`record_in`: the status records ``<status_dir>/rq-*.json``.
* :func:`check_staging_dir`: what staging may hold after any fault: every ``<build_id>/`` verifies
  against its CHECKSUM, every ``latest-*`` names a verified build, anything unfinished is a dot-name.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from pathlib import Path

from support.ansible_run import REPO, run_playbook

PLAYBOOK = str(REPO / 'playbooks' / 'build.yml')


def records(status_dir):
    """{request_id: record} of every status record in status_dir (a record being replaced is skipped)."""
    out = {}
    for path in Path(status_dir).glob('rq-*.json'):
        try:
            out[path.stem] = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
    return out


def by_name(status_dir):
    return {r['name']: r for r in records(status_dir).values()}


def phases(record):
    return [h['phase'] for h in record.get('history', [])]


def wait_until(what, predicate, timeout=240, interval=0.2, run=None):
    """Poll ``predicate()`` until it returns something truthy (returned); fail after ``timeout`` seconds.

    ``run``: a :class:`BackgroundRun` whose end before the condition is a failure with its output.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if run is not None and run.done():
            value = predicate()
            if value:
                return value
            raise AssertionError('the run ended before %s\n%s' % (what, run.describe()))
        if time.monotonic() > deadline:
            raise AssertionError('timed out after %ss waiting for %s%s' % (
                timeout, what, '' if run is None else '\n(the run is still going)'))
        time.sleep(interval)


class BackgroundRun(object):
    """ansible-playbook playbooks/build.yml in a thread; ``join()`` returns the PlaybookRun."""

    def __init__(self, inventory, extra_vars, workdir, env=None, timeout=600, playbook=PLAYBOOK):
        self.result = None
        self.error = None
        self.started = time.monotonic()
        self.elapsed = None

        def target():
            try:
                self.result = run_playbook(playbook, inventory=inventory, extra_vars=extra_vars, env=env,
                                           workdir=workdir, timeout=timeout)
            except BaseException as exc:  # pylint: disable=broad-except
                self.error = exc
            finally:
                self.elapsed = time.monotonic() - self.started

        self.thread = threading.Thread(target=target, daemon=True)
        self.thread.start()

    def done(self):
        return not self.thread.is_alive()

    def describe(self):
        if self.result is not None:
            return self.result.describe()
        return 'run error: %r' % (self.error,) if self.error else '(still running)'

    def join(self, timeout=900):
        self.thread.join(timeout)
        if self.thread.is_alive():
            raise AssertionError('the playbook run did not end within %ss' % timeout)
        if self.error is not None:
            raise AssertionError('the playbook run failed to complete: %r' % (self.error,))
        return self.result


def verify_checksum(directory):
    """sha256sum -c of <directory>/CHECKSUM (Fedora style, BSD tags) succeeds."""
    proc = subprocess.run(['sha256sum', '--quiet', '--strict', '-c', 'CHECKSUM'], cwd=str(directory),
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, 'CHECKSUM of %s does not verify: %s%s' % (directory, proc.stdout, proc.stderr)


def check_staging_dir(root, allow_partial=True):
    """The staging invariants after any fault; returns the names of the finished build dirs.

    Every non-dot directory except status/ is a finished build: CHECKSUM present and verifying, and
    every file in it listed there. latest-* links name one of them. Unfinished transfers may only
    live under dot-names (.<build_id>.partial, .<name>.tmp).
    """
    root = Path(root)
    finished = []
    if not root.exists():
        return finished
    for entry in sorted(root.iterdir()):
        name = entry.name
        if name.startswith('.'):
            assert allow_partial, 'leftover %s in %s' % (name, root)
            continue
        if name == 'status':
            continue
        if name.startswith('latest-'):
            target = os.readlink(str(entry)) if entry.is_symlink() else entry.read_text().strip()
            assert '/' not in target and (root / target / 'CHECKSUM').is_file(), \
                '%s points to %r, which is no finished build' % (entry, target)
            continue
        assert entry.is_dir() and not entry.is_symlink(), 'unexpected %s in staging' % entry
        assert (entry / 'CHECKSUM').is_file(), 'final name %s without CHECKSUM (a partial build under a final name)' % entry
        verify_checksum(entry)
        listed = set()
        for line in (entry / 'CHECKSUM').read_text().splitlines():
            if line.startswith('SHA256 ('):
                listed.add(line[len('SHA256 ('):line.rindex(') = ')])
        present = {str(p.relative_to(entry)) for p in entry.rglob('*') if p.is_file() and p.name != 'CHECKSUM'}
        assert present <= listed, 'files in %s not covered by CHECKSUM: %s' % (entry, sorted(present - listed))
        finished.append(name)
    return finished
