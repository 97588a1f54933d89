# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Staging over SSH: the ssh connection (strict host keys, one master) and the SSH target (pushed from the node)."""

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
    BLOCK, CIPHERS, Target, TargetState, check_abs_path, check_host, check_port,
    check_ssh_args, check_user, checksum_entry, host_for_url, mismatch, tmp_name)


class SshConnection(object):
    """ssh argv builder with strict host key checking and one shared master connection."""

    def __init__(self, spec, field, connect_timeout, describe):
        self.host = check_host(spec.get('host'), field + '.host')
        self.port = check_port(spec.get('port') or 22, field + '.port')
        self.user = check_user(spec.get('user') or 'root', field + '.user')
        self.identity_file = spec.get('identity_file')
        self.known_hosts_file = spec.get('known_hosts_file')
        self.ssh_args = check_ssh_args(spec.get('ssh_args'), field + '.ssh_args')
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
INSPECT_SCRIPT = r'''printf 'python\0'
command -v python3 >/dev/null 2>&1 && printf yes
printf '\0'
cd -- {path} 2>/dev/null || exit 0
printf 'final\0'
[ -d {final} ] && find {final} -type f -printf '%s %P\0'
printf 'partial\0'
[ -d {partial} ] && find {partial} -type f ! -name '.*.tmp' -printf '%s %P\0'
printf 'latest\0'
readlink -- {latest} 2>/dev/null | tr -d '\n'
printf '\0checksum\0'
[ -f {final}/CHECKSUM ] && cat -- {final}/CHECKSUM
exit 0'''

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
    with open(path, "wb", buffering=0) as out:
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

PUT_SCRIPT = r'''umask 022
mkdir -p -- {dir} || exit 3
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
  mv -f -- {tmp} {dest} || exit 5
else
  rm -f -- {tmp}; exit 6
fi'''

COMMIT_SCRIPT = r'''cd -- {path} || exit 3
find {partial} -name '.*.tmp' -type f -delete 2>/dev/null
old=.{bid}.old.$$
if [ {replace} = yes ] && [ -e {final} ]; then mv -T -- {final} "$old" || exit 4; fi
mv -T -- {partial} {final} || exit 5
if [ -e "$old" ]; then rm -rf -- "$old"; fi'''

# Receiving side of a batch: stdin is the files' bytes one after the other; argv[1] is JSON
# [[tmp, dest, size, sha256 or ""], ...]. Each file is written to its temp name while hashed, checked,
# renamed; one "hex size" line per file. Exit 6 at the first mismatch, 4 on a write error.
BATCH_RECEIVER = '''import hashlib, json, os, sys
files = json.loads(sys.argv[1])
source = sys.stdin.buffer.raw
buf = bytearray(1 << 20)
view = memoryview(buf)
try:
    import fcntl
    fcntl.fcntl(0, 1031, 1 << 20)
except Exception:
    pass
for tmp, dest, size, sha in files:
    digest, left = hashlib.sha256(), size
    try:
        os.makedirs(os.path.dirname(tmp), exist_ok=True)
        with open(tmp, "wb", buffering=0) as out:
            while left > 0:
                count = source.readinto(view[:min(left, len(buf))])
                if not count:
                    break
                digest.update(view[:count])
                done = 0
                while done < count:
                    done += out.write(view[done:count])
                left -= count
            os.fsync(out.fileno())
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        sys.stderr.write("%s: %s\\n" % (tmp, exc.strerror or exc))
        sys.exit(4)
    got = size - left
    sys.stdout.write("%s %d\\n" % (digest.hexdigest(), got))
    sys.stdout.flush()
    if got != size or (sha and digest.hexdigest() != sha):
        os.unlink(tmp)
        sys.exit(6)
    os.rename(tmp, dest)
'''
BATCH_LIMIT = 8 * 1024 * 1024     # files at least this big travel alone, straight from the file

LATEST_SCRIPT = r'''cd -- {path} || exit 3
t=.{name}.$$.tmp
ln -s -- {bid} "$t" && mv -T -f -- "$t" {name} || {{ rm -f -- "$t"; exit 4; }}'''


class SshTarget(Target):
    """A directory on a host reached over SSH; the module runs on the build node and pushes."""

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
        script = INSPECT_SCRIPT.format(latest=_quote(latest or '.none'), **self._fmt(build_id))
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
            size, _sp, rel = item.decode('utf-8', 'replace').partition(' ')
            (state.final_sizes if section == b'final' else state.partial_sizes)[rel] = int(size)
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
        spec = [[self.partial + '/' + tmp_name(e.relpath), self.partial + '/' + e.relpath, e.size,
                 e.sha256 if self.verify else ''] for e in items]
        script = 'umask 022\nmkdir -p -- %s || exit 3\n' % _quote(self.partial)
        if items:
            script += 'python3 -c %s %s || exit $?\n' % (_quote(BATCH_RECEIVER), _quote(json.dumps(spec)))
        if finish:
            script += finish + '\n'
        if len(items) == 1 and checksum is None:
            try:
                stdin = open(self.source.path(items[0].relpath), 'rb')
            except (IOError, OSError) as exc:
                raise FedoraBuildError('src: cannot read %s: %s.'
                                       % (self.source.path(items[0].relpath), exc.strerror or exc))
        else:
            stdin = tempfile.TemporaryFile()
            for entry in entries:
                try:
                    with open(self.source.path(entry.relpath), 'rb') as handle:
                        shutil.copyfileobj(handle, stdin, BLOCK)
                except (IOError, OSError) as exc:
                    stdin.close()
                    raise FedoraBuildError('src: cannot read %s: %s.'
                                           % (self.source.path(entry.relpath), exc.strerror or exc))
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
            stdin.close()
        lines = proc.stdout.decode('ascii', 'replace').splitlines()
        if proc.returncode == 255:
            raise self.conn.error(proc.stderr, 'cannot send %s' % names)
        if proc.returncode == 6 and lines and len(lines) <= len(items):
            digest, size = lines[-1].split()
            raise mismatch(self.describe, items[len(lines) - 1], int(size), digest)
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

    def prepare(self, build_id):
        script = 'mkdir -p -- %s && cd -- %s && find . -name %s -type f -delete' % (
            _quote(self.path + '/.%s.partial' % build_id), _quote(self.path + '/.%s.partial' % build_id), _quote('.*.tmp'))
        self.conn.run(script, 'cannot create %s/.%s.partial' % (self.path, build_id), timeout=self.timeout)
        self.partial = self.path + '/.%s.partial' % build_id

    def put(self, entry, data=None):
        dest = self.partial + '/' + entry.relpath
        tmp = self.partial + '/' + tmp_name(entry.relpath)
        script = PUT_SCRIPT.format(dir=_quote(os.path.dirname(dest)), tmp=_quote(tmp), dest=_quote(dest),
                                   receiver=_quote(RECEIVER),
                                   sha=_quote(entry.sha256 if self.verify else 'any'), size=_quote(str(entry.size)))
        if data is not None:
            stdin = tempfile.TemporaryFile()
            stdin.write(data)
            stdin.seek(0)
        else:
            try:
                stdin = open(self.source.path(entry.relpath), 'rb')
            except (IOError, OSError) as exc:
                raise FedoraBuildError('src: cannot read %s: %s.' % (self.source.path(entry.relpath), exc.strerror or exc))
        try:
            try:
                proc = subprocess.run(self.conn.argv(script), stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      check=False)
            except OSError as exc:
                raise FedoraBuildError('%s: cannot run ssh: %s.' % (self.describe, exc.strerror or exc))
        finally:
            stdin.close()
        if proc.returncode == 255:
            raise self.conn.error(proc.stderr, 'cannot send %s' % entry.relpath)
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
        self.conn.run(script, 'cannot rename .%s.partial to %s' % (build_id, build_id), timeout=self.timeout)

    def set_latest(self, name, build_id):
        script = LATEST_SCRIPT.format(path=_quote(self.path), name=_quote(name), bid=_quote(build_id))
        self.conn.run(script, 'cannot update the pointer %s' % name, timeout=self.timeout)

    def close(self):
        self.conn.close()


