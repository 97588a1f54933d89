# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""cmd_runner: argument formats, the logged run with timeout, log tails."""

from __future__ import annotations

import os
import sys
import time

import pytest

from ansible_collections.ondemand.fedora_build.plugins.module_utils import cmd_runner
from ansible_collections.ondemand.fedora_build.plugins.module_utils.cmd_runner import CmdRunner, fmt
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError


def test_formats_build_exact_argv_in_declared_order():
    runner = CmdRunner('tool', dict(
        flag=fmt.as_bool('--flag'), neg=fmt.as_bool('--yes', '--no'), val=fmt.as_opt_val('-o'),
        eq=fmt.as_opt_eq_val('--eq'), rep=fmt.as_repeat('-s'), pos=fmt.as_list(), fixed=fmt.as_fixed('sub', 'cmd'),
        func=fmt.as_func(lambda v: ['--n=%d' % v])))
    order = ('fixed', 'flag', 'neg', 'val', 'eq', 'rep', 'func', 'pos')
    assert runner.argv(order, flag=True, neg=False, val=3, eq='a b', rep=['x', 'y'], func=2, pos=['out']) == [
        'tool', 'sub', 'cmd', '--flag', '--no', '-o', '3', '--eq=a b', '-s', 'x', '-s', 'y', '--n=2', 'out']
    # None and empty values leave an option out; neg=None emits neither form.
    assert runner.argv(order, executable='/usr/bin/tool', flag=False, neg=None, rep=[]) == ['/usr/bin/tool', 'sub', 'cmd']
    with pytest.raises(KeyError):
        runner.argv(('nope',))


def test_quote_argv_is_display_only_quoting():
    assert cmd_runner.quote_argv(['a', 'b c', "d'e"]) == "a 'b c' 'd'\"'\"'e'"


def test_run_logged_captures_everything_with_c_locale(tmp_path):
    log = tmp_path / 'build.log'
    code = 'import os, sys; print("out", os.environ["LC_ALL"], flush=True); print("err", file=sys.stderr); sys.exit(3)'
    run = cmd_runner.run_logged([sys.executable, '-c', code], str(log), timeout=30,
                                env=cmd_runner.tool_environment({'EXTRA': 1}), cwd=str(tmp_path))
    assert run.rc == 3 and not run.timed_out and not run.ok and run.duration >= 0
    text = log.read_text()
    assert 'out C' in text and 'err' in text
    assert text.startswith('# ') and '# finished with exit code 3' in text
    assert cmd_runner.last_message(cmd_runner.log_tail(str(log))) == 'err'


def test_timeout_stops_the_whole_process_group(tmp_path):
    log = tmp_path / 'build.log'
    pidfile = tmp_path / 'child.pid'
    code = ('import subprocess, sys; c = subprocess.Popen(["sleep", "300"]); '
            'open(sys.argv[1], "w").write(str(c.pid)); c.wait()')
    run = cmd_runner.run_logged([sys.executable, '-c', code, str(pidfile)], str(log), timeout=1)
    assert run.timed_out and not run.ok
    assert run.duration < 300, 'stopped, not run until the child ended by itself'
    child = int(pidfile.read_text())
    # The grandchild got the signal too (reaped by init or a zombie at most, never still sleeping).
    deadline = time.monotonic() + 60  # polling with a deadline: a loaded machine only takes longer
    while True:
        try:
            with open('/proc/%d/stat' % child) as handle:
                state = handle.read().split(')')[-1].split()[0]
        except IOError:
            break
        if state == 'Z':
            break
        if time.monotonic() > deadline:
            pytest.fail('child %d still runs after the timeout' % child)
        time.sleep(0.1)
    assert '# stopped after the timeout of 1 seconds' in log.read_text()


def test_log_tail_limits_lines_and_survives_missing_file(tmp_path):
    log = tmp_path / 'x.log'
    log.write_text(''.join('line %d\n' % i for i in range(100)))
    assert cmd_runner.log_tail(str(log), lines=3) == ['line 97', 'line 98', 'line 99']
    assert cmd_runner.log_tail(str(tmp_path / 'missing')) == []


class _Module(object):
    def __init__(self, path=None, rc=0, out='', err=''):
        self.path, self.rc, self.out, self.err = path, rc, out, err

    def get_bin_path(self, name, required=False):
        return self.path

    def run_command(self, argv, environ_update=None):
        assert environ_update['LC_ALL'] == 'C'
        return self.rc, self.out, self.err


def test_find_binary_missing_is_one_sentence(monkeypatch):
    monkeypatch.setenv('PATH', '/usr/bin')
    with pytest.raises(FedoraBuildError) as err:
        cmd_runner.find_binary(_Module(), 'lorax', 'lorax')
    assert err.value.msg == ('lorax: the executable was not found on the node (PATH=/usr/bin); install lorax '
                             '(the build_node role does this).')
    assert cmd_runner.find_binary(_Module('/usr/sbin/lorax'), 'lorax') == '/usr/sbin/lorax'


@pytest.mark.parametrize('out,expected', [
    ('lorax-42.4\n', '42.4'),
    ('KIWI (next generation) version 10.2.12\n', '10.2.12'),
    ('pungi 4.7.0\n', '4.7.0'),
])
def test_probe_version(out, expected):
    assert cmd_runner.probe_version(_Module(out=out), ['x', '-V']) == expected


def test_probe_version_failure_is_none():
    assert cmd_runner.probe_version(_Module(rc=2, err='unknown option'), ['x']) is None


def test_environment_forces_c_locale(monkeypatch):
    monkeypatch.setenv('LC_ALL', 'de_DE.UTF-8')
    env = cmd_runner.tool_environment({'SOURCE_DATE_EPOCH': 5})
    assert env['LC_ALL'] == 'C' and env['LANG'] == 'C' and env['SOURCE_DATE_EPOCH'] == '5'
    assert env['PATH'] == os.environ['PATH']
