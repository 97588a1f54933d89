# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Secrets reach ansible-playbook without ansible-runner writing them anywhere.

ansible-runner records what it is given: the whole process environment in
``artifacts/<ident>/command`` (written before the playbook starts, so a killed run keeps it)
and the extra vars in ``env/extravars``. The operator's secrets live in that environment
(``FEDORA_BUILD_SMTP_PASSWORD``, FTP and Koji passwords, webhook tokens, ...) and the extra
vars may hold some (``-e @service.yml``).

So ansible-runner gets neither: only the *public* environment variables (a short allowlist of
names without PASS/TOKEN/SECRET/KEY/... in them) and no extra vars. It starts, instead of
ansible-playbook, a wrapper (``playbook_exec``) that reads the rest from a FIFO in the run dir
(a named pipe holds no data on disk; ansible-runner passes its ssh key the same way), puts the
variables back into its environment and execs ansible-playbook, which reads the extra vars
from a second FIFO (``-e @<run_dir>/.<ident>.extravars``).

A build request is untrusted (docs/security.md, "Trust model"), and ansible-playbook templates the strings
of its extra vars: a request string ``{{ lookup('pipe', ...) }}`` would run on the controller with the
operator's secrets in reach. So every string of the request variables goes in Ansible's *unsafe* JSON form
(``{"__ansible_unsafe": text}``), which ansible-playbook never templates (``extravars_payload``).
"""

import json
import os
import re
import shlex
import stat
import sys
import threading
from pathlib import Path

FIFO_VAR = 'FEDORA_BUILD_CHANNEL_FIFO'
PUBLIC = re.compile(r'^(PATH|HOME|USER|LOGNAME|SHELL|LANG|LANGUAGE|LC_[A-Z_]+|TZ|TERM|TMPDIR|PWD|HOSTNAME|'
                    r'PYTHONPATH|VIRTUAL_ENV|ANSIBLE_[A-Z0-9_]+|FEDORA_BUILD_[A-Z0-9_]+)$')
SECRET_WORD = re.compile(r'PASS|PWD_|TOKEN|SECRET|KEY|CRED|AUTH|COOKIE|SESSION|PRIVATE', re.I)


# the extra vars that hold build requests (untrusted); the others are the operator's -e settings
REQUEST_VARS = ('fedora_build_request', 'fedora_build_requests')


def unsafe(value):
    """value with every string (and anything else that becomes text) in Ansible's unsafe JSON form."""
    if isinstance(value, dict):
        return dict((key, unsafe(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return [unsafe(item) for item in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return {'__ansible_unsafe': value if isinstance(value, str) else str(value)}


def extravars_payload(extravars):
    """The JSON ansible-playbook reads as ``-e @FIFO``: the request variables' strings marked unsafe."""
    data = dict((name, unsafe(value) if name in REQUEST_VARS else value) for name, value in extravars.items())
    return json.dumps(data, default=str).encode('utf-8')


def public(name):
    """An environment variable ansible-runner may record (its value is no secret)."""
    return bool(PUBLIC.match(name)) and not SECRET_WORD.search(name)


def wrapper(run_dir):
    """The executable ansible-runner starts instead of ansible-playbook (written once per run dir)."""
    path = Path(run_dir) / 'ansible-playbook'
    if not path.is_file():
        package = str(Path(__file__).resolve().parent.parent)
        text = ('#!/bin/sh\n# fedora-build: ansible-playbook with the secrets of the channel (secrets_channel.py)\n'
                'PYTHONPATH=%s${PYTHONPATH:+:$PYTHONPATH} exec %s -m fedora_build_cli.playbook_exec "$@"\n'
                % (shlex.quote(package), shlex.quote(sys.executable)))
        tmp = path.with_name('.ansible-playbook.tmp')
        fd = os.open(str(tmp), os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o700)
        with os.fdopen(fd, 'w') as handle:
            handle.write(text)
        os.replace(str(tmp), str(path))
    return str(path)


class Channel:
    """``with Channel(run_dir, ident, extravars) as ch:`` around the ansible-runner call.

    Inside, os.environ holds only public variables (ansible-runner copies it when the call
    prepares its config); ``ch.envvars``, ``ch.binary`` and ``ch.cmdline(playbook)`` go to
    ansible-runner. Two FIFOs, each fed once by a thread of this process: ``.<ident>.channel``
    (the hidden environment, read by the wrapper) and ``.<ident>.extravars`` (read by
    ansible-playbook itself as ``-e @FIFO``; it reads extra vars once). Both are removed when
    the block ends, also when nobody read them.
    """

    def __init__(self, run_dir, ident, extravars):
        self.run_dir = Path(run_dir)
        self.fifo = self.run_dir / ('.%s.channel' % ident)
        self.vars_fifo = self.run_dir / ('.%s.extravars' % ident)
        self.extravars = extravars or {}
        self.hidden = {}

    @property
    def envvars(self):
        return {FIFO_VAR: str(self.fifo)}

    @property
    def binary(self):
        return wrapper(self.run_dir)

    def cmdline(self, playbook):
        """ansible-runner's cmdline: the playbook (runner adds none with a custom binary) and the extra vars FIFO."""
        args = [str(playbook)]
        if self.extravars:
            args += ['-e', '@%s' % self.vars_fifo]
        return ' '.join(shlex.quote(a) for a in args)

    def __enter__(self):
        self.hidden = dict((k, v) for k, v in os.environ.items() if not public(k))
        self._serve(self.fifo, json.dumps({'env': self.hidden}).encode('utf-8'))
        if self.extravars:
            self._serve(self.vars_fifo, extravars_payload(self.extravars))
        for name in self.hidden:
            del os.environ[name]
        return self

    def _serve(self, path, payload):
        remove(path)
        os.mkfifo(str(path), stat.S_IRUSR | stat.S_IWUSR)
        thread = threading.Thread(target=_feed, args=(path, payload), daemon=True)
        thread.start()

    def restore(self):
        """Put the hidden variables back into this process's environment (once ansible-runner has its copy)."""
        os.environ.update(self.hidden)

    def __exit__(self, *exc):
        self.restore()
        close(self.fifo)
        close(self.vars_fifo)
        return False


def _feed(path, payload):
    try:
        with open(str(path), 'wb') as handle:  # blocks until the reader opens it
            handle.write(payload)
    except OSError:
        pass


def close(fifo):
    """Release a writer still waiting on ``fifo`` (nobody came to read) and remove it."""
    try:
        fd = os.open(str(fifo), os.O_RDONLY | os.O_NONBLOCK)
        os.close(fd)
    except OSError:
        pass
    remove(fifo)


def remove(path):
    try:
        os.unlink(str(path))
    except FileNotFoundError:
        pass


def leftovers(run_dir):
    """Channel FIFOs a killed runner process left behind (they hold no data; removed anyway)."""
    for pattern in ('.*.channel', '.*.extravars'):
        for path in Path(run_dir).glob(pattern):
            close(path)
