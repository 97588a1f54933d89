# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A missing tool skips its tests on a developer's machine and fails them under CI=true.

The session fixtures ``rpm_tools`` and ``koji_kdc`` (support.plugin_koji) guard ~65 tests: a skip
there in CI would turn a broken environment into a green run.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from support.skips import in_ci, tool_missing

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.parametrize('value, expected', [
    ('true', True), ('TRUE', True), ('1', True), ('yes', True),
    ('', False), ('false', False), ('0', False), (None, False),
])
def test_in_ci_reads_the_ci_variable(value, expected):
    environ = {} if value is None else {'CI': value}
    assert in_ci(environ) is expected


def test_a_missing_tool_skips_outside_ci():
    with pytest.raises(pytest.skip.Exception, match='rpmbuild missing'):
        tool_missing('rpmbuild missing', environ={})


def test_a_missing_tool_fails_under_ci():
    with pytest.raises(pytest.fail.Exception, match='rpmbuild missing; CI=true: a missing tool fails'):
        tool_missing('rpmbuild missing', environ={'CI': 'true'})


def run_without_tools(tmp_path, ci):
    """Run pytest on two tests that need the RPM tools and the KDC, with neither on PATH."""
    (tmp_path / 'pytest.ini').write_text('[pytest]\n')
    (tmp_path / 'test_needs_tools.py').write_text(
        'def test_rpm(rpm_tools):\n    pass\n\n\ndef test_kdc(koji_kdc):\n    pass\n')
    empty = tmp_path / 'bin'
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ('CI', 'PYTEST_ADDOPTS')}
    env.update({'PATH': str(empty), 'PYTHONPATH': TESTS, 'PYTHONDONTWRITEBYTECODE': '1'})
    if ci:
        env['CI'] = 'true'
    return subprocess.run(
        [sys.executable, '-m', 'pytest', '-p', 'no:cacheprovider', '-p', 'support.plugin_koji', '-rs', '-q',
         '-c', str(tmp_path / 'pytest.ini'), '--rootdir', str(tmp_path), str(tmp_path / 'test_needs_tools.py')],
        cwd=str(tmp_path), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
        check=False, timeout=120)


def test_the_session_fixtures_skip_without_ci(tmp_path):
    proc = run_without_tools(tmp_path, ci=False)
    assert proc.returncode == 0, proc.stdout
    assert '2 skipped' in proc.stdout, proc.stdout
    assert 'RPM tools missing: rpmbuild' in proc.stdout and 'Kerberos KDC tools missing' in proc.stdout


def test_the_session_fixtures_fail_under_ci(tmp_path):
    proc = run_without_tools(tmp_path, ci=True)
    assert proc.returncode == 1, proc.stdout
    assert '2 errors' in proc.stdout and 'skipped' not in proc.stdout, proc.stdout
    assert 'RPM tools missing: rpmbuild' in proc.stdout and 'Kerberos KDC tools missing' in proc.stdout
