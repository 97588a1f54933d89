# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Staging over SSH: the ssh connection (strict host keys, one master) and the SSH target (written from where the
module runs: from the build tree there, or relayed from the node's stream by the controller)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from shlex import quote as _quote

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils.fileutil import check_tree_path
from ansible_collections.ondemand.fedora_build.plugins.module_utils.staging.common import (
    CIPHERS, Target, TargetState, check_abs_path, check_host, check_port,
    check_ssh_args, check_user, checksum_entry, host_for_url, link_refused, mismatch, tmp_name)


class SshConnection(object):
    """ssh argv builder with strict host key checking and one shared master connection."""

    def __init__(self, spec, field, connect_timeout, describe):
        self.host = check_host(spec.get('host'), field + '.host')
        self.port = check_port(spec.get('port') or 22, field + '.port')
        self.user = check_user(spec.get('user') or 'root', field + '.user')
        self.identity_file = spec.get('identity_file')
        self.known_hosts_file = spec.get('known_hosts_file')
        self.ssh_args = check_ssh_args(spec.get('ssh_args'), field + '.ssh_args')
        # src_host only (the operator's inventory, never a request): how Ansible itself reaches the node
        self.proxy_command = spec.get('proxy_command')
        if self.proxy_command is not None and (not isinstance(self.proxy_command, str) or not self.proxy_command.strip()
                                               or any(c in self.proxy_command for c in '\r\n\0')):
            raise FedoraBuildError('%s.proxy_command: must be one line of text.' % field)
        self.connect_timeout = connect_timeout
        self.describe = describe  # e.g. "SSH target sftp://..." for messages
        self.field = field
        if self.known_hosts_file and not os.path.isfile(self.known_hosts_file):
            raise FedoraBuildError('%s.known_hosts_file: %s does not exist.' % (field, self.known_hosts_file))
        if self.identity_file and not os.path.isfile(self.identity_file):
            raise FedoraBuildError('%s.identity_file: %s does not exist.' % (field, self.identity_file))
        self._ctl_dir = tempfile.mkdtemp(prefix='fb-stage-ssh-')
        self._master = False

    def base_argv(self):
        argv = ['ssh', '-F', '/dev/null', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes',
                '-o', 'ConnectTimeout=%d' % self.connect_timeout, '-o', 'ServerAliveInterval=15',
                '-o', 'ServerAliveCountMax=4', '-o', 'LogLevel=ERROR',
                '-o', 'ControlMaster=auto', '-o', 'ControlPath=%s' % os.path.join(self._ctl_dir, 'cm'),
                '-o', 'ControlPersist=120', '-p', str(self.port), '-l', self.user]
        if self.known_hosts_file:
            argv += ['-o', 'UserKnownHostsFile=%s' % self.known_hosts_file, '-o', 'GlobalKnownHostsFile=/dev/null']
        if self.identity_file:
            argv += ['-i', self.identity_file, '-o', 'IdentitiesOnly=yes']
        if self.proxy_command:
            argv += ['-o', 'ProxyCommand=%s' % self.proxy_command]
        if not any(a == '-c' or a.startswith('-c') and not a.startswith('-o') or 'ciphers' in a.lower()
                   for a in self.ssh_args):
            argv += ['-o', 'Ciphers=%s' % CIPHERS]
        return argv + self.ssh_args

    def argv(self, script):
        """argv running ``script`` (a shell string built only from quoted, validated values) with sh on the host.

        The whole script is one quoted argument of ``sh -c``, so the user's login shell does not matter.
        """
        return self.base_argv() + [self.host, '--', 'sh -c %s' % _quote(script)]

    def error(self, stderr, action):
        text = (stderr or b'').decode('utf-8', 'replace') if isinstance(stderr, bytes) else (stderr or '')
        lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith('@@@')]
        if 'Host key verification failed' in text or 'IDENTIFICATION HAS CHANGED' in text:
            why = 'host key verification failed (the host key is not the one in %s)' % (
                self.known_hosts_file or 'known_hosts')
        elif lines:
            why = lines[-1].rstrip('.')
        else:
            why = 'ssh failed without a message'
        return FedoraBuildError('%s: %s: %s.' % (self.describe, action, why))

    def run(self, script, action, stdin=None, timeout=None, ok=(0,)):
        """Run a remote script; returns (rc, stdout bytes); raises FedoraBuildError on ssh failure (255) or rc not in ok."""
        try:
            proc = subprocess.run(self.argv(script), stdin=stdin if stdin is not None else subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise FedoraBuildError('%s: %s: no answer within %s seconds.' % (self.describe, action, timeout))
        except OSError as exc:
            raise FedoraBuildError('%s: %s: cannot run ssh: %s.' % (self.describe, action, exc.strerror or exc))
        self._master = True
        if proc.returncode == 255 or proc.returncode not in ok:
            raise self.error(proc.stderr, action)
        return proc.returncode, proc.stdout

    def close(self):
        if self._master:
            subprocess.run(self.base_argv()[:3] + ['-o', 'ControlPath=%s' % os.path.join(self._ctl_dir, 'cm'),
                                                   '-O', 'exit', self.host],
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=30, check=False)
        shutil.rmtree(self._ctl_dir, ignore_errors=True)


# Remote scripts for SSH targets. Only validated values go in, each through shlex.quote.
#
# Nothing is written through a symbolic link the staging did not make: below the target's own directory (the
# operator's), python3 opens every directory with O_NOFOLLOW and works relative to it (dir_fd), creating files
# with O_EXCL | O_NOFOLLOW; the sh fallback checks each component with [ -L ] before use and makes directories
# one by one (mkdir, not mkdir -p through links). A link at any of those names: exit 7, "<name> is a symbolic
# link" on stderr. mv -T never moves a file into a directory a link points to.

# Python side shared by the receivers: walk to a directory below the cwd without following links.
NOFOLLOW_PY = '''import errno, os, stat, sys
def opendir(rel, base, create):
    fd = os.dup(base)
    shown = []
    for part in [p for p in rel.split("/") if p]:
        shown.append(part)
        if create:
            try:
                os.mkdir(part, 0o755, dir_fd=fd)
            except FileExistsError:
                pass
        try:
            sub = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
        except OSError as exc:
            try:
                link = stat.S_ISLNK(os.lstat(part, dir_fd=fd).st_mode)
            except OSError:
                link = False
            os.close(fd)
            if link:
                sys.stderr.write("%s is a symbolic link\\n" % "/".join(shown))
                sys.exit(7)
            raise
        os.close(fd)
        fd = sub
    return fd
'''

# Lists the regular files of the partial directory with their size and sha256 ("size hex relpath\0"): a file an
# interrupted run left counts only when its content is the one CHECKSUM lists. Links are neither listed nor followed.
PARTIAL_HASHER = NOFOLLOW_PY + '''import hashlib
try:
    top = opendir(sys.argv[1], os.open(".", os.O_RDONLY | os.O_DIRECTORY), False)
except (OSError, SystemExit):
    sys.exit(0)
out = sys.stdout.buffer
for path, dirs, files, dfd in os.fwalk(".", dir_fd=top):
    for name in files:
        if name.startswith(".") and name.endswith(".tmp"):
            continue
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dfd)
        except OSError:
            continue
        with os.fdopen(fd, "rb", buffering=0) as handle:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                continue
            digest, total = hashlib.sha256(), 0
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
                total += len(block)
        rel = os.path.normpath(os.path.join(path, name))
        out.write(b"%d %s %s\\0" % (total, digest.hexdigest().encode(), os.fsencode(rel)))
'''

INSPECT_SCRIPT = r'''printf 'python\0'
command -v python3 >/dev/null 2>&1 && printf yes
printf '\0'
cd -- {path} 2>/dev/null || exit 0
printf 'final\0'
[ -d {final} ] && [ ! -L {final} ] && find {final} -type f -printf '%s %P\0'
printf 'partial\0'
[ -d {partial} ] && [ ! -L {partial} ] && command -v python3 >/dev/null 2>&1 && python3 -c {hasher} {partial}
printf 'latest\0'
readlink -- {latest} 2>/dev/null | tr -d '\n'
printf '\0checksum\0'
[ -f {final}/CHECKSUM ] && [ ! -L {final} ] && [ ! -L {final}/CHECKSUM ] && cat -- {final}/CHECKSUM
exit 0'''

# sh: make the directories of a relative path one by one below the cwd, refusing links (exit 7).
MKDIRS_SH = r'''mkdirs() {{
  set -f; _ifs=$IFS; IFS=/; _p=.
  for _c in $1; do
    _p=$_p/$_c
    if [ -L "$_p" ]; then printf '%s is a symbolic link\n' "${{_p#./}}" >&2; exit 7; fi
    [ -d "$_p" ] || mkdir -m 0755 -- "$_p" || exit 3
  done
  IFS=$_ifs; set +f
}}
'''

# Into the partial directory: made when missing, refused when it is a link.
ENTER_PARTIAL_SH = MKDIRS_SH + r'''umask 022
mkdir -p -- {path} && cd -- {path} || exit 3
mkdirs {partial}
cd -- {partial} || exit 3
'''

# The receiving side of an SSH push: write stdin to the temp name while hashing it, in one process with
# 1 MiB reads (python3's hashlib uses the CPU's SHA instructions; coreutils sha256sum often does not).
RECEIVER = '''import hashlib, os, sys
path = sys.argv[1]
digest, total = hashlib.sha256(), 0
buf = bytearray(1 << 20)
view = memoryview(buf)
source = sys.stdin.buffer.raw
try:
    import fcntl
    fcntl.fcntl(0, 1031, 1 << 20)
except Exception:
    pass
try:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "wb", buffering=0) as out:
        while True:
            count = source.readinto(buf)
            if not count:
                break
            digest.update(view[:count])
            done = 0
            while done < count:
                done += out.write(view[done:count])
            total += count
        os.fsync(out.fileno())
except OSError as exc:
    sys.stderr.write("%s: %s\\n" % (path, exc.strerror or exc))
    sys.exit(4)
sys.stdout.write("%s %d\\n" % (digest.hexdigest(), total))
'''

# One file (paths relative to the partial directory), the python3 receiver or tee | sha256sum.
PUT_SCRIPT = ENTER_PARTIAL_SH + r'''mkdirs {dir}
if [ -e {tmp} ] || [ -L {tmp} ]; then printf '%s exists\n' {tmp} >&2; exit 4; fi
if command -v python3 >/dev/null 2>&1; then
  r=$(python3 -c {receiver} {tmp}) || {{ rm -f -- {tmp}; exit 4; }}
else
  h=$(tee -- {tmp} | sha256sum) || {{ rm -f -- {tmp}; exit 4; }}
  s=$(stat -c %s -- {tmp}) || {{ rm -f -- {tmp}; exit 4; }}
  sync -- {tmp} 2>/dev/null
  r="${{h%% *}} $s"
fi
set -- $r
printf '%s %s\n' "$1" "$2"
s=$(stat -c %s -- {tmp}) || exit 4
if {{ [ {sha} = any ] || [ "$1" = {sha} ]; }} && [ "$2" = {size} ] && [ "$s" = {size} ]; then
  chmod 0644 -- {tmp} && mv -T -f -- {tmp} {dest} || exit 5
else
  rm -f -- {tmp}; exit 6
fi'''

COMMIT_SCRIPT = r'''cd -- {path} || exit 3
if [ -L {partial} ]; then printf '%s is a symbolic link\n' {partial} >&2; exit 7; fi
find {partial} -name '.*.tmp' -type f -delete 2>/dev/null
old=.{bid}.old.$$
if [ {replace} = yes ] && {{ [ -e {final} ] || [ -L {final} ]; }}; then mv -T -- {final} "$old" || exit 4; fi
mv -T -- {partial} {final} || exit 5
if [ -e "$old" ] || [ -L "$old" ]; then rm -rf -- "$old"; fi'''

# Receiving side of a batch: stdin is the files' bytes one after the other; argv[1] the partial directory (relative
# to the cwd, the target's path), argv[2] JSON [[relpath, temp name, size, sha256 or ""], ...]. Each file is written
# to its temp name while hashed, checked, renamed; one "hex size" line per file. Exit 6 at the first mismatch,
# 4 on a write error, 7 when a link stands where a directory of the partial tree belongs.
BATCH_RECEIVER = NOFOLLOW_PY + '''import hashlib, json
os.umask(0o022)
partial = opendir(sys.argv[1], os.open(".", os.O_RDONLY | os.O_DIRECTORY), True)
files = json.loads(sys.argv[2])
source = sys.stdin.buffer.raw
buf = bytearray(1 << 20)
view = memoryview(buf)
try:
    import fcntl
    fcntl.fcntl(0, 1031, 1 << 20)
except Exception:
    pass
for rel, tmp, size, sha in files:
    digest, left = hashlib.sha256(), size
    parent = None
    try:
        parent = opendir(rel.rpartition("/")[0], partial, True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644, dir_fd=parent)
        with os.fdopen(fd, "wb", buffering=0) as out:
            while left > 0:
                count = source.readinto(view[:min(left, len(buf))])
                if not count:
                    break
                digest.update(view[:count])
                done = 0
                while done < count:
                    done += out.write(view[done:count])
                left -= count
            os.fsync(fd)
            os.fchmod(fd, 0o644)
    except OSError as exc:
        if parent is not None:
            try:
                os.unlink(tmp, dir_fd=parent)
            except OSError:
                pass
        sys.stderr.write("%s: %s\\n" % (rel, exc.strerror or exc))
        sys.exit(4)
    got = size - left
    sys.stdout.write("%s %d\\n" % (digest.hexdigest(), got))
    sys.stdout.flush()
    if got != size or (sha and digest.hexdigest() != sha):
        os.unlink(tmp, dir_fd=parent)
        sys.exit(6)
    os.rename(tmp, rel.rpartition("/")[2], src_dir_fd=parent, dst_dir_fd=parent)
    os.close(parent)
'''
BATCH_LIMIT = 8 * 1024 * 1024     # files at least this big travel alone, straight from the file

LATEST_SCRIPT = r'''cd -- {path} || exit 3
t=.{name}.$$.tmp
ln -s -- {bid} "$t" && mv -T -f -- "$t" {name} || {{ rm -f -- "$t"; exit 4; }}'''

# removes the pointer only when it is a link (what LATEST_SCRIPT makes)
CLEAR_LATEST_SCRIPT = r'''cd -- {path} || exit 3
if [ -L {name} ]; then rm -f -- {name} || exit 4; fi'''


class SshTarget(Target):
    """A directory on a host reached over SSH, written from where the module runs (the build role: the controller,
    relaying the node's files)."""

    kind = 'ssh'
    REQUIRED = ('host',)

    def __init__(self, spec, source, connect_timeout, timeout):
        self.path = check_tree_path(check_abs_path(spec.get('path'), 'target.path'), 'target.path', resolve=False)
        self.conn = SshConnection(spec, 'target', connect_timeout, '')
        port = '' if self.conn.port == 22 else ':%d' % self.conn.port
        self.url_base = 'sftp://%s@%s%s%s' % (self.conn.user, host_for_url(self.conn.host), port, self.path)
        self.describe = 'SSH target %s' % self.url_base
        self.conn.describe = self.describe
        self.source = source
        self.timeout = timeout

    def _fmt(self, build_id, **extra):
        values = {'path': _quote(self.path), 'final': _quote(build_id), 'partial': _quote('.%s.partial' % build_id),
                  'bid': _quote(build_id)}
        values.update(extra)
        return values

    def inspect(self, build_id, latest, entries=()):
        script = INSPECT_SCRIPT.format(latest=_quote(latest or '.none'), hasher=_quote(PARTIAL_HASHER),
                                       **self._fmt(build_id))
        out = self.conn.run(script, 'cannot inspect %s' % self.path, timeout=self.timeout)[1]
        state = TargetState()
        head, _sep, checksum = out.partition(b'checksum\0')
        fields = head.split(b'\0')
        section = None
        for item in fields:
            if item in (b'final', b'partial', b'latest', b'python'):
                section = item
                continue
            if section == b'latest':
                state.latest = item.decode('utf-8', 'replace') or None
                section = None
                continue
            if section == b'python':
                self.has_python = item == b'yes'
                section = None
                continue
            if not item or section is None:
                continue
            if section == b'final':
                size, _sp, rel = item.decode('utf-8', 'replace').partition(' ')
                state.final_sizes[rel] = int(size)
            else:
                size, digest, rel = item.decode('utf-8', 'replace').split(' ', 2)
                state.partial[rel] = (int(size), digest)
        if b'final' in fields and 'CHECKSUM' in state.final_sizes:
            state.final_checksum = checksum
        return state

    has_python = False

    def transfer(self, build_id, files, checksum, replace, pointer):
        if not self.has_python:
            return super(SshTarget, self).transfer(build_id, files, checksum, replace, pointer)
        self.partial = self.path + '/.%s.partial' % build_id
        total = 0
        big = [e for e in files if e.size >= BATCH_LIMIT]
        small = [e for e in files if e.size < BATCH_LIMIT]
        for entry in big:
            total += self._batch([entry], None, None)
        finish = COMMIT_SCRIPT.format(replace='yes' if replace else 'no', **self._fmt(build_id))
        if pointer:
            finish += '\n' + LATEST_SCRIPT.format(path=_quote(self.path), name=_quote(pointer), bid=_quote(build_id))
        while len(small) > 1 and sum(e.size for e in small) > 8 * BATCH_LIMIT:
            part, size = [], 0
            while small and size + small[0].size <= 8 * BATCH_LIMIT:
                size += small[0].size
                part.append(small.pop(0))
            total += self._batch(part or [small.pop(0)], None, None)
        return total + self._batch(small, checksum, finish)

    def _batch(self, entries, checksum, finish):
        """One ssh call: receive entries (+ CHECKSUM) into the partial dir, verified; then ``finish`` (a script)."""
        items = list(entries) + ([checksum_entry(checksum)] if checksum is not None else [])
        spec = [[e.relpath, tmp_name(e.relpath).rsplit('/', 1)[-1], e.size, e.sha256 if self.verify else '']
                for e in items]
        partial = self.partial.rsplit('/', 1)[-1]
        script = 'umask 022\nmkdir -p -- %s && cd -- %s || exit 3\n' % (_quote(self.path), _quote(self.path))
        script += 'python3 -c %s %s %s || exit $?\n' % (_quote(BATCH_RECEIVER), _quote(partial), _quote(json.dumps(spec)))
        if finish:
            script += finish + '\n'
        if len(items) == 1 and checksum is None:
            stdin = self.source.open_file(items[0].relpath)   # a big file: straight from the file or the node's stream
        else:
            # small files (at most 8 * BATCH_LIMIT together): gathered first, one read of the source for all of them
            stdin = tempfile.TemporaryFile()
            try:
                self.source.copy_files(entries, stdin)
            except FedoraBuildError:
                stdin.close()
                raise
            if checksum is not None:
                stdin.write(checksum)
            stdin.seek(0)
        names = ', '.join(e.relpath for e in items[:3]) + (' ...' if len(items) > 3 else '') or 'the build'
        try:
            try:
                proc = subprocess.run(self.conn.argv(script), stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      check=False)
            except OSError as exc:
                raise FedoraBuildError('%s: cannot run ssh: %s.' % (self.describe, exc.strerror or exc))
        finally:
            source_failure = stdin.close()
        if proc.returncode != 0 and source_failure is not None:
            raise source_failure   # the node's stream broke: that is why the target got less
        lines = proc.stdout.decode('ascii', 'replace').splitlines()
        if proc.returncode == 255:
            raise self.conn.error(proc.stderr, 'cannot send %s' % names)
        if proc.returncode == 6 and lines and len(lines) <= len(items):
            digest, size = lines[-1].split()
            raise mismatch(self.describe, items[len(lines) - 1], int(size), digest)
        self._refuse_link(proc.returncode, proc.stderr)
        if proc.returncode != 0:
            err = proc.stderr.decode('utf-8', 'replace')
            failing = items[min(len(lines), len(items) - 1)].relpath if items else 'the build'
            if 'No space left' in err or 'Disk quota' in err:
                raise FedoraBuildError('%s: cannot write %s: out of space.' % (self.describe, failing))
            why = ([ln for ln in err.splitlines() if ln.strip()] or ['remote status %d' % proc.returncode])[-1]
            if len(lines) >= len(items) and finish:
                raise FedoraBuildError('%s: cannot rename .%s to its final name: %s.'
                                       % (self.describe, self.partial.rsplit('/', 1)[-1], why.rstrip('.')))
            raise FedoraBuildError('%s: cannot write %s: %s.' % (self.describe, failing, why.rstrip('.')))
        return sum(e.size for e in items)

    def hash_final(self, build_id, rel):
        script = 'cd -- %s && stat -c %%s -- %s && sha256sum < %s' % (
            _quote(self.path + '/' + build_id), _quote(rel), _quote(rel))
        out = self.conn.run(script, 'cannot hash %s' % rel, timeout=None)[1].decode('ascii', 'replace').split()
        return int(out[0]), out[1]

    def _refuse_link(self, returncode, stderr):
        """Exit 7 of a remote script: a link stood where staging writes (its name is the last line of stderr)."""
        if returncode == 7:
            lines = [ln for ln in stderr.decode('utf-8', 'replace').splitlines() if ln.strip()]
            name = lines[-1].rsplit(' is a symbolic link', 1)[0] if lines else 'a path'
            if not name.startswith('.') and self.partial and not name.startswith(self.partial.rsplit('/', 1)[-1]):
                name = self.partial.rsplit('/', 1)[-1] + '/' + name
            raise link_refused(self.describe, name)

    def prepare(self, build_id):
        self.partial = self.path + '/.%s.partial' % build_id
        script = ENTER_PARTIAL_SH.format(path=_quote(self.path), partial=_quote('.%s.partial' % build_id))
        script += 'find . -name %s -type f -delete\n' % _quote('.*.tmp')
        proc = self._script(script, 'cannot create %s' % self.partial)
        if proc.returncode != 0:
            raise self.conn.error(proc.stderr, 'cannot create %s' % self.partial)

    def _script(self, script, action, stdin=None):
        """Run a remote script; a link refusal (exit 7) becomes its sentence; returns the CompletedProcess."""
        try:
            proc = subprocess.run(self.conn.argv(script), stdin=stdin if stdin is not None else subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
        except OSError as exc:
            raise FedoraBuildError('%s: cannot run ssh: %s.' % (self.describe, exc.strerror or exc))
        if proc.returncode == 255:
            raise self.conn.error(proc.stderr, action)
        self._refuse_link(proc.returncode, proc.stderr)
        return proc

    def put(self, entry, data=None):
        script = PUT_SCRIPT.format(path=_quote(self.path), partial=_quote(self.partial.rsplit('/', 1)[-1]),
                                   dir=_quote(os.path.dirname(entry.relpath)), tmp=_quote(tmp_name(entry.relpath)),
                                   dest=_quote(entry.relpath), receiver=_quote(RECEIVER),
                                   sha=_quote(entry.sha256 if self.verify else 'any'), size=_quote(str(entry.size)))
        if data is not None:
            stdin = tempfile.TemporaryFile()
            stdin.write(data)
            stdin.seek(0)
        else:
            stdin = self.source.open_file(entry.relpath)
        try:
            proc = self._script(script, 'cannot send %s' % entry.relpath, stdin=stdin)
        finally:
            source_failure = stdin.close()
        if proc.returncode != 0 and source_failure is not None:
            raise source_failure
        reported = proc.stdout.decode('ascii', 'replace').split()
        if proc.returncode == 6 and len(reported) == 2:
            raise mismatch(self.describe, entry, int(reported[1]), reported[0])
        if proc.returncode != 0:
            err = proc.stderr.decode('utf-8', 'replace')
            if 'No space left' in err or 'Disk quota' in err:
                why = 'out of space'
            else:
                why = ([ln for ln in err.splitlines() if ln.strip()] or ['remote status %d' % proc.returncode])[-1]
            raise FedoraBuildError('%s: cannot write %s: %s.' % (self.describe, entry.relpath, why.rstrip('.')))
        return entry.size

    def commit(self, build_id, replace):
        script = COMMIT_SCRIPT.format(replace='yes' if replace else 'no', **self._fmt(build_id))
        proc = self._script(script, 'cannot rename .%s.partial to %s' % (build_id, build_id))
        if proc.returncode != 0:
            raise self.conn.error(proc.stderr, 'cannot rename .%s.partial to %s' % (build_id, build_id))

    def set_latest(self, name, build_id):
        script = LATEST_SCRIPT.format(path=_quote(self.path), name=_quote(name), bid=_quote(build_id))
        self.conn.run(script, 'cannot update the pointer %s' % name, timeout=self.timeout)

    def clear_latest(self, name):
        script = CLEAR_LATEST_SCRIPT.format(path=_quote(self.path), name=_quote(name))
        self.conn.run(script, 'cannot remove the pointer %s' % name, timeout=self.timeout)

    def close(self):
        self.conn.close()
