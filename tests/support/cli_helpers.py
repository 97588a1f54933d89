# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers of the fedora-build CLI tests (tests/functional/test_cli_*.py)."""

import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CLI = REPO / 'collection' / 'cli'


def cli(*argv, env=None, timeout=300):
    full = dict(os.environ)
    full['PYTHONPATH'] = os.pathsep.join([str(CLI)] + [p for p in full.get('PYTHONPATH', '').split(os.pathsep) if p])
    full.update(env or {})
    proc = subprocess.run([sys.executable, '-m', 'fedora_build_cli.main'] + [str(a) for a in argv],
                          capture_output=True, text=True, env=full, timeout=timeout, cwd=str(REPO), check=False)
    return proc


def live_processes_in(path):
    found = []
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                if os.readlink('/proc/%s/cwd' % entry).startswith(str(path)):
                    found.append(int(entry))
            except OSError:
                continue
    return found


def running(pid):
    """Alive and not a zombie (a killed child its parent has not reaped yet is dead)."""
    try:
        with open('/proc/%d/stat' % pid) as handle:
            return handle.read().rsplit(')', 1)[-1].split()[0] != 'Z'
    except OSError:
        return False


def wait_for(predicate, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError('timed out waiting for %s' % what)
