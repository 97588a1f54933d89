# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The `fresh` layer (tests/fresh-debian.sh) is a default layer of run-all.sh and cannot pass by skipping in CI.

The layer itself (make build on a clean Debian 12 root) runs in tests/run-all.sh, not here: it takes minutes.
Here: without root it skips (exit 77, counted as skipped by run-all.sh) on a developer's machine and fails
under CI=true.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile

import pytest

from support.skips import tool_missing

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, 'tests', 'fresh-debian.sh')


def test_fresh_is_a_default_layer_and_ci_says_so():
    with open(os.path.join(ROOT, 'tests', 'run-all.sh')) as handle:
        run_all = handle.read()
    assert re.search(r'^want fresh && gate "[^"]+" tests/fresh-debian\.sh$', run_all, re.M)
    with open(os.path.join(ROOT, '.ci', 'run')) as handle:
        assert 'export CI="${CI:-true}"' in handle.read()
    with open(os.path.join(ROOT, 'tests', 'install-deps.sh')) as handle:
        assert handle.read().count('mmdebstrap') >= 2      # apt and dnf


@pytest.mark.parametrize('ci, code, text', [
    ('', 77, 'fresh: skipped: needs root'),
    ('true', 1, 'fresh: needs root (mmdebstrap, chroot and mounts) (CI=true: failing rather than skipping)'),
])
def test_without_root_it_skips_or_fails_under_ci(ci, code, text):
    if os.geteuid() != 0 or not shutil.which('setpriv'):
        tool_missing('running the script as another user needs root and setpriv')
    with tempfile.TemporaryDirectory(prefix='fresh-layer-') as tmp:    # pytest's tmp dirs are root-only
        os.chmod(tmp, 0o755)
        script = os.path.join(tmp, 'fresh-debian.sh')
        shutil.copy(SCRIPT, script)
        os.chmod(script, 0o755)
        env = {'PATH': '/usr/sbin:/usr/bin:/sbin:/bin', 'HOME': tmp, 'CI': ci}
        proc = subprocess.run(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', script],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                              check=False, timeout=60)
    assert proc.returncode == code, proc.stdout
    assert text in proc.stdout
