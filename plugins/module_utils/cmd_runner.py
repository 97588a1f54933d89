# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared command runner for the image builder modules.

Modelled on community.general's ``cmd_runner``: each command-line option is
described once by a named *argument format* (``fmt.as_opt_val('--product')``),
and a command line is assembled from parameter values in a fixed order, so
the same values always give the same argv.  Commands are argv lists only;
nothing is ever passed through a shell.

What this runner adds for long image builds:

* the tool runs with ``LC_ALL=C`` (stable, parseable messages);
* the executable is resolved with ``get_bin_path`` and a missing tool is one
  clear sentence, not a traceback;
* the tool's complete stdout and stderr go straight into a build log file
  (never held in memory: lorax and pungi print megabytes);
* a wall-clock timeout stops the whole process group (the tools spawn
  dnf, mksquashfs, xorriso ... which must die with them);
* the duration, the exit code and the tail of the log are returned so a
  failure can be reported as one sentence plus the log tail;
* ``probe_version`` asks the tool for its version.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time

from shlex import quote as _quote

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError

C_LOCALE = {'LC_ALL': 'C', 'LANG': 'C', 'LANGUAGE': 'C'}
TAIL_LINES = 40
TAIL_BYTES = 64 * 1024
KILL_GRACE = 10


class _Format(object):
    """One named argument format: turns a parameter value into argv items."""

    def __init__(self, func, ignore_none=True):
        self.func = func
        self.ignore_none = ignore_none

    def __call__(self, value):
        if value is None and self.ignore_none:
            return []
        result = self.func(value)
        return [str(item) for item in result]


def _as_list(value):
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


class fmt(object):  # pylint: disable=invalid-name
    """Argument format factories (the ``cmd_runner_fmt`` of this collection)."""

    @staticmethod
    def as_bool(option, false_option=None):
        """``--opt`` when the value is true; ``false_option`` (if any) when it is false."""
        def func(value):
            if value:
                return [option]
            return [false_option] if false_option and value is not None and not value else []
        return _Format(func)

    @staticmethod
    def as_opt_val(option):
        """``--opt VALUE`` (two argv items)."""
        return _Format(lambda value: [option, value])

    @staticmethod
    def as_opt_eq_val(option):
        """``--opt=VALUE`` (one argv item)."""
        return _Format(lambda value: ['%s=%s' % (option, value)])

    @staticmethod
    def as_repeat(option):
        """``--opt A --opt B`` for each item of a list."""
        def func(value):
            argv = []
            for item in _as_list(value):
                argv.extend([option, item])
            return argv
        return _Format(func)

    @staticmethod
    def as_list():
        """The items themselves (positional arguments)."""
        return _Format(_as_list)

    @staticmethod
    def as_fixed(*items):
        """Always the same items, whatever the value."""
        return _Format(lambda value: list(items), ignore_none=False)

    @staticmethod
    def as_func(func, ignore_none=True):
        """A custom function returning a list of argv items."""
        return _Format(func, ignore_none=ignore_none)


def quote_argv(argv):
    """Return a shell-quoted rendering of argv, for display only (never executed)."""
    return ' '.join(_quote(str(item)) for item in argv)


class CmdRunner(object):
    """Build exact argv lists for one tool from named argument formats.

    ``arg_formats`` maps a name to a format; ``argv(order, **values)`` emits the
    formats in ``order`` with their values.  Names in ``order`` without a format
    are a programming error (KeyError), values for names not in ``order`` are
    ignored, so every module states its command line in one place.
    """

    def __init__(self, command, arg_formats):
        self.command = command
        self.arg_formats = dict(arg_formats)

    def argv(self, order, executable=None, **values):
        argv = [executable or self.command]
        for name in order:
            argv.extend(self.arg_formats[name](values.get(name)))
        return argv


def find_binary(module, name, package=None):
    """Return the absolute path of a required executable or raise one sentence."""
    path = module.get_bin_path(name, required=False)
    if not path:
        raise FedoraBuildError(
            '%s: the executable was not found on the node (PATH=%s); install %s (the build_node role does this).'
            % (name, os.environ.get('PATH', ''), package or 'the package that provides it'))
    return path


def tool_environment(extra=None):
    """The environment for a tool: the module's environment with the C locale forced."""
    env = dict(os.environ)
    env.update(C_LOCALE)
    for key, value in (extra or {}).items():
        env[key] = str(value)
    return env


def probe_version(module, argv, pattern=r'(\d+(?:\.\d+)+(?:[-.][0-9A-Za-z]+)*)'):
    """Run a version query (e.g. ``lorax -V``); return the version string or None."""
    try:
        rc, out, err = module.run_command(argv, environ_update=dict(C_LOCALE))
    except Exception:  # pylint: disable=broad-except
        return None
    text = '%s\n%s' % (out or '', err or '')
    if rc != 0:
        return None
    match = re.search(pattern, text)
    return match.group(1) if match else (text.strip().splitlines() or [None])[0]


class RunResult(object):
    """Outcome of one logged command run."""

    def __init__(self, argv, rc, duration, timed_out, log_path):
        self.argv = argv
        self.rc = rc
        self.duration = duration
        self.timed_out = timed_out
        self.log_path = log_path

    @property
    def ok(self):
        return self.rc == 0 and not self.timed_out


def _kill_group(proc):
    """Stop a process group: SIGTERM, a grace period, then SIGKILL."""
    for sig, wait in ((signal.SIGTERM, KILL_GRACE), (signal.SIGKILL, None)):
        try:
            os.killpg(proc.pid, sig)
        except OSError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue
    proc.wait()


def spawn(argv, log_path, timeout=None, env=None, cwd=None):
    """Run argv with stdout+stderr appended to log_path; return (rc, timed_out).

    The child gets its own session (process group) so a timeout can stop
    everything it started.  This is the one place that starts a build
    process; the unit tests replace it to assert exact argv.
    """
    with open(log_path, 'ab') as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                cwd=cwd, env=env, start_new_session=True)
        try:
            return proc.wait(timeout=timeout), False
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            return proc.returncode, True
        except BaseException:
            _kill_group(proc)
            raise


def run_logged(argv, log_path, timeout=None, env=None, cwd=None):
    """Run a build command with its output in log_path, framed by header/footer lines."""
    started = time.time()
    with open(log_path, 'ab') as log:
        log.write(('# %s started: %s\n# cwd: %s\n'
                   % (time.strftime('%Y-%m-%dT%H:%M:%S%z'), quote_argv(argv), cwd or os.getcwd())).encode('utf-8'))
    rc, timed_out = spawn(argv, log_path, timeout=timeout, env=env, cwd=cwd)
    duration = round(time.time() - started, 3)
    with open(log_path, 'ab') as log:
        if timed_out:
            log.write(('\n# stopped after the timeout of %s seconds (exit code %s)\n' % (timeout, rc)).encode('utf-8'))
        log.write(('# finished with exit code %s after %.1f seconds\n' % (rc, duration)).encode('utf-8'))
    return RunResult(argv, rc, duration, timed_out, log_path)


def log_tail(path, lines=TAIL_LINES, max_bytes=TAIL_BYTES):
    """Return the last lines of a log file (decoded leniently); [] if unreadable."""
    try:
        with open(path, 'rb') as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - max_bytes))
            data = handle.read()
    except (IOError, OSError):
        return []
    text = data.decode('utf-8', 'replace')
    return text.splitlines()[-lines:]


def last_message(tail):
    """The last meaningful line of a log tail (skipping the runner's own '#' lines)."""
    for line in reversed(tail):
        stripped = line.strip()
        if stripped and not stripped.startswith('# '):
            return stripped
    return None
