# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Staging: copy one finished build tree to a staging target, verified and atomic.

The tree of one build (``src``) holds a Fedora-style ``CHECKSUM`` listing every
file (``SHA256 (<relpath>) = <hex>``, sizes in ``# <relpath>: <n> bytes``
comments). Staging it to a target means:

1. inspect the target: ``<path>/<build_id>`` complete (its ``CHECKSUM`` is the
   same bytes as ours and every listed file has the listed size) -> nothing to
   do; otherwise note which files ``<path>/.<build_id>.partial/`` already holds;
2. send every missing file to a temporary name ``.<name>.<random>.tmp`` in the
   partial directory, hash the bytes *on the receiving side while they are
   written* (or read back, FTP), compare with ``CHECKSUM`` and the size, and
   only then rename the file to its name in the partial directory;
3. rename ``.<build_id>.partial`` to ``<build_id>`` (an older, different
   ``<build_id>`` is first renamed aside and removed after);
4. point ``latest-...`` at the build: a symlink replaced by rename (local,
   SSH) or a small file holding the build ID replaced by RNFR/RNTO (FTP).

Trust rules (why a re-run is fast): a name without the ``.tmp`` suffix in the
partial directory, and the final ``<build_id>`` directory itself, are only
ever created by a rename *after* verification. A re-run therefore trusts a
file in the partial directory whose size matches, and a final directory whose
``CHECKSUM`` equals ours byte for byte with every size matching, without
hashing multi-GB images again (``verify_existing`` forces a full re-hash of
an already staged build).

Bytes are streamed, never held in memory or base64-encoded:

* SSH push (module on the build node): a file >= 8 MiB is ssh's stdin itself
  (no Python in the sending data path); a small python3 receiver on the
  staging host writes it to the temp name while hashing (OpenSSL's SHA
  instructions; coreutils sha256sum is 4x slower here), checks, renames.
  Small files and CHECKSUM go in one call that also commits and moves the
  pointer. Without python3 there: ``tee -- TMP | sha256sum`` + ``stat``;
* SSH pull (local target, module on the controller): ``ssh node cat -- FILE``
  with the temp file itself as ssh's stdout (no pipe, no copy through Python),
  while this process hashes the file behind ssh as it grows, from the page
  cache, and starts its writeback as it goes (so the final fsync is short and
  a multi-GB image does not crowd the controller's page cache); small files
  in one ``cat`` split by their sizes;
* same machine: a hard link when source and target share a filesystem (then
  the file is hashed once), else a copy that hashes while it writes;
* FTP: STOR in blocks, then a streamed read-back (RETR) hashed block by block.
"""

from __future__ import annotations

import errno
import ftplib
import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import ssl
import subprocess
import tempfile
import time

try:
    from shlex import quote as _quote
except ImportError:  # pragma: no cover - Python 2 is not supported
    from pipes import quote as _quote  # type: ignore

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils.fileutil import check_tree_path
from ansible_collections.ondemand.fedora_build.plugins.module_utils.validate import check_name

CHECKSUM_NAME = 'CHECKSUM'
BLOCK = 1024 * 1024
SHA_LINE = re.compile(r'^SHA256 \((?P<rel>.+)\) = (?P<hex>[0-9a-fA-F]{64})$')
SIZE_LINE = re.compile(r'^# (?P<rel>.+): (?P<size>[0-9]+) bytes$')
HOST_RE = re.compile(r'^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*'
                     r'|[0-9.]+|\[?[0-9A-Fa-f:.]+\]?)$')
USER_RE = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$')
# ssh options that would turn host key checking off or run local shell strings
# OpenSSH's own ciphers, AES-GCM first: with AES instructions (x86_64, aarch64 with crypto extensions) it costs a
# fraction of the CPU of chacha20-poly1305 (OpenSSH's first choice), which leaves the CPU for hashing what arrives.
# Only the order differs from OpenSSH's default list; ssh_args with -c or Ciphers replace it.
CIPHERS = 'aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr'
FORBIDDEN_SSH_OPTIONS = ('stricthostkeychecking', 'userknownhostsfile', 'globalknownhostsfile', 'proxycommand',
                         'localcommand', 'permitlocalcommand', 'knownhostscommand', 'controlpath', 'controlmaster',
                         'hostkeyalias', 'include')


class Entry(object):
    """One file of the build tree: relative path, size, sha256."""

    def __init__(self, relpath, size, sha256):
        self.relpath = relpath
        self.size = size
        self.sha256 = sha256

    def as_dict(self, transferred):
        return {'relpath': self.relpath, 'size': self.size, 'sha256': self.sha256, 'transferred': transferred}


# --------------------------------------------------------------------------- validation


def check_relpath(rel, field):
    """A relative path inside the build tree: no absolute path, '..', empty or hidden-temp parts."""
    if (not isinstance(rel, str) or not rel or rel.startswith('/') or '\\' in rel
            or any(c in rel for c in '\n\r\0')):
        raise FedoraBuildError('%s: %r is not a relative file path.' % (field, rel))
    parts = rel.split('/')
    if any(p in ('', '.', '..') for p in parts):
        raise FedoraBuildError('%s: %r is not a plain relative path (empty, "." or ".." part).' % (field, rel))
    if parts[-1].endswith('.tmp') and parts[-1].startswith('.'):
        raise FedoraBuildError('%s: %r uses the staging temporary name pattern (.*.tmp).' % (field, rel))
    return rel


def check_abs_path(value, field):
    """An absolute, normalized path without control characters."""
    if not isinstance(value, str) or not value.startswith('/') or any(c in value for c in '\n\r\0'):
        raise FedoraBuildError('%s: %r is not an absolute path.' % (field, value))
    if any(p in ('.', '..') for p in value.split('/')):
        raise FedoraBuildError('%s: %r must not contain "." or ".." parts.' % (field, value))
    return value.rstrip('/') or '/'


def check_host(value, field):
    if not isinstance(value, str) or not HOST_RE.match(value) or value.startswith('-'):
        raise FedoraBuildError('%s: %r is not a host name or address.' % (field, value))
    return value.strip('[]')


def check_user(value, field):
    if not isinstance(value, str) or not USER_RE.match(value):
        raise FedoraBuildError('%s: %r is not a user name.' % (field, value))
    return value


def check_port(value, field):
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
        raise FedoraBuildError('%s: %r is not a TCP port (1-65535).' % (field, value))
    return value


def check_ssh_args(value, field):
    """Extra ssh options (argv items); nothing that disables host key checking or runs local commands."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise FedoraBuildError('%s: must be a list of ssh command-line arguments (strings).' % field)
    for item in value:
        # Any spelling: "-o", "Key=value", "-oKey value", "-4oKey=value", tabs, quotes, any case.
        squeezed = re.sub(r'[\s="\']', '', item.lower())
        # -F (another config file) could turn host key checking off, alone or in a flag cluster (-qF).
        config_file = re.match(r'^-[46AaCfGgKkMNnqsTtVvXxYy]*F', item)
        if config_file or any(opt in squeezed for opt in FORBIDDEN_SSH_OPTIONS):
            raise FedoraBuildError('%s: %r is not allowed (host key checking stays on with known_hosts_file, '
                                   'and no local commands).' % (field, item))
    return list(value)


def host_for_url(host):
    return '[%s]' % host if ':' in host else host


# --------------------------------------------------------------------------- CHECKSUM


def parse_checksum(data, field):
    """Parse Fedora CHECKSUM bytes into a list of Entry (size None when no size comment)."""
    try:
        text = data.decode('utf-8')
    except UnicodeDecodeError:
        raise FedoraBuildError('%s: is not UTF-8 text.' % field)
    sizes, entries, seen = {}, [], set()
    for number, line in enumerate(text.splitlines(), 1):
        line = line.rstrip()
        if not line:
            continue
        match = SIZE_LINE.match(line)
        if match:
            sizes[match.group('rel')] = int(match.group('size'))
            continue
        if line.startswith('#'):
            continue
        match = SHA_LINE.match(line)
        if not match:
            raise FedoraBuildError('%s line %d: %r is not a "SHA256 (file) = hex" line.' % (field, number, line[:80]))
        rel = check_relpath(match.group('rel'), '%s line %d' % (field, number))
        if rel == CHECKSUM_NAME:
            raise FedoraBuildError('%s line %d: CHECKSUM cannot list itself.' % (field, number))
        if rel in seen:
            raise FedoraBuildError('%s line %d: %s is listed twice.' % (field, number, rel))
        seen.add(rel)
        entries.append(Entry(rel, None, match.group('hex').lower()))
    if not entries:
        raise FedoraBuildError('%s: lists no files.' % field)
    for entry in entries:
        entry.size = sizes.get(entry.relpath)
    return entries


def checksum_entry(data):
    """The Entry of the CHECKSUM file itself (staged last, verified against its own bytes)."""
    return Entry(CHECKSUM_NAME, len(data), hashlib.sha256(data).hexdigest())


# --------------------------------------------------------------------------- sources


class LocalSource(object):
    """The build tree on this machine."""

    def __init__(self, root):
        self.root = root
        self.description = root

    def path(self, rel):
        return os.path.join(self.root, rel)

    def read_checksum(self):
        try:
            with open(self.path(CHECKSUM_NAME), 'rb') as handle:
                return handle.read()
        except (IOError, OSError) as exc:
            raise FedoraBuildError('src: cannot read %s: %s.' % (self.path(CHECKSUM_NAME), exc.strerror or exc))

    def sizes(self, entries):
        out = {}
        for entry in entries:
            try:
                st = os.stat(self.path(entry.relpath))
            except OSError:
                raise FedoraBuildError('src: %s is listed in CHECKSUM but missing from %s.' % (entry.relpath, self.root))
            out[entry.relpath] = st.st_size
        return out

    def close(self):
        pass


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


class SshSource(object):
    """The build tree on a build node, read over SSH (controller pulls)."""

    def __init__(self, root, spec, connect_timeout, timeout):
        self.root = root
        self.conn = SshConnection(spec, 'src_host', connect_timeout, 'source node %s' % spec.get('host'))
        self.conn.describe = 'source node %s@%s:%d' % (self.conn.user, self.conn.host, self.conn.port)
        self.description = '%s:%s' % (self.conn.host, root)
        self.timeout = timeout

    def path(self, rel):
        return self.root + '/' + rel

    def sizes(self, entries):
        if all(e.size is not None for e in entries):
            return dict((e.relpath, e.size) for e in entries)  # the CHECKSUM size comments; checked on arrival
        return self._stat(entries)

    def read_checksum(self):
        return self.conn.run('cat -- %s' % _quote(self.path(CHECKSUM_NAME)), 'cannot read %s' % self.path(CHECKSUM_NAME),
                             timeout=self.timeout)[1]

    def _stat(self, entries):
        script = 'cd -- %s && stat -c %%s -- %s' % (_quote(self.root), ' '.join(_quote(e.relpath) for e in entries))
        out = self.conn.run(script, 'cannot list the files of %s listed in CHECKSUM' % self.root, timeout=self.timeout)[1]
        values = out.decode('ascii', 'replace').split()
        if len(values) != len(entries):
            raise FedoraBuildError('%s: stat of the build files under %s gave %d sizes for %d files.'
                                   % (self.conn.describe, self.root, len(values), len(entries)))
        return dict((e.relpath, int(v)) for e, v in zip(entries, values))

    def open_stream(self, *rels, **files):
        """A Popen whose stdout is the files' bytes, one after the other (``stdout``/``stderr``: where they go,
        pipes by default)."""
        return subprocess.Popen(self.conn.argv('cat -- %s' % ' '.join(_quote(self.path(r)) for r in rels)),
                                stdin=subprocess.DEVNULL, stdout=files.get('stdout', subprocess.PIPE),
                                stderr=files.get('stderr', subprocess.PIPE), bufsize=0)

    def close(self):
        self.conn.close()


# --------------------------------------------------------------------------- helpers


def copy_hashing(reader, writer):
    """Copy a binary stream to a file object while hashing; returns (bytes, hexdigest)."""
    digest = hashlib.sha256()
    buf = bytearray(BLOCK)
    view = memoryview(buf)
    total = 0
    while True:
        count = reader.readinto(buf)
        if not count:
            break
        chunk = view[:count]
        digest.update(chunk)
        writer.write(chunk)
        total += count
    return total, digest.hexdigest()


def receive_exactly(reader, path, size):
    """Write exactly ``size`` bytes (fewer at EOF) of a stream to path while hashing; returns (bytes, hexdigest)."""
    digest = hashlib.sha256()
    buf = bytearray(BLOCK)
    view = memoryview(buf)
    left = size
    with open(path, 'wb', buffering=0) as writer:
        while left > 0:
            count = reader.readinto(view[:min(left, BLOCK)])
            if not count:
                break
            digest.update(view[:count])
            writer.write(view[:count])
            left -= count
        os.fsync(writer.fileno())
    return size - left, digest.hexdigest()


def hash_file(path):
    digest = hashlib.sha256()
    buf = bytearray(BLOCK)
    view = memoryview(buf)
    total = 0
    with open(path, 'rb', buffering=0) as handle:
        while True:
            count = handle.readinto(buf)
            if not count:
                break
            digest.update(view[:count])
            total += count
    return total, digest.hexdigest()


WRITEBACK_STEP = 64 * 1024 * 1024   # start writing back (and let go of) what was hashed every 64 MiB


def follow_hashing(reader, proc, limit, pause=0.005):
    """Hash a file while another process (``proc``) appends to it, until that process exits.

    ``reader`` is the file opened for reading. A process appending sequentially only ever grows the file and
    the kernel raises the size after the bytes are in, so whatever a read returns is final. Every
    WRITEBACK_STEP bytes, POSIX_FADV_DONTNEED starts the writeback of what was hashed (the fsync after is then
    short) and drops it from the page cache once written. More than ``limit`` bytes stops the writer: a longer
    file is a mismatch, not a disk filler. Returns (bytes, hexdigest).
    """
    digest = hashlib.sha256()
    buf = bytearray(BLOCK)
    view = memoryview(buf)
    fadvise = getattr(os, 'posix_fadvise', None)
    total = flushed = 0
    while True:
        exited = proc.poll() is not None   # before the read: an exited writer's last bytes are in this read
        count = reader.readinto(buf)
        if count:
            digest.update(view[:count])
            total += count
            if total > limit:
                proc.kill()
                proc.wait()
                break
            if fadvise is not None and total - flushed >= WRITEBACK_STEP:
                fadvise(reader.fileno(), flushed, total - flushed, os.POSIX_FADV_DONTNEED)
                flushed = total
            continue
        if exited:
            break
        time.sleep(pause)
    return total, digest.hexdigest()


def tmp_name(rel):
    head, name = rel.rsplit('/', 1) if '/' in rel else ('', rel)
    tmp = '.%s.%s.tmp' % (name, secrets.token_hex(4))
    return head + '/' + tmp if head else tmp


def mismatch(describe, entry, size, digest):
    if size != entry.size:
        return FedoraBuildError('%s: %s arrived with %d bytes instead of %d; the copy was discarded.'
                                % (describe, entry.relpath, size, entry.size), relpath=entry.relpath)
    return FedoraBuildError('%s: %s arrived with sha256 %s instead of %s from CHECKSUM; the copy was discarded.'
                            % (describe, entry.relpath, digest, entry.sha256), relpath=entry.relpath)


# --------------------------------------------------------------------------- targets


class _Target(object):
    """Common attributes of the targets, and the generic transfer: one file after the other."""

    verify = True
    partial = None

    def transfer(self, build_id, files, checksum, replace, pointer):
        """Send files (then CHECKSUM when not None) to the partial dir, commit, update the pointer; returns bytes sent."""
        self.prepare(build_id)
        total = 0
        for entry in files:
            total += self.put(entry)
        if checksum is not None:
            total += self.put(checksum_entry(checksum), data=checksum)
        self.commit(build_id, replace)
        if pointer:
            self.set_latest(pointer, build_id)
        return total


class TargetState(object):
    """What a target holds for one build."""

    def __init__(self):
        self.final_checksum = None   # bytes of <build_id>/CHECKSUM, or None
        self.final_sizes = {}        # relpath -> size under <build_id>/
        self.partial_sizes = {}      # relpath -> size under .<build_id>.partial/ (non-temp names)
        self.latest = None           # current latest pointer value (build id) or None


class LocalTarget(_Target):
    """A directory on the machine the module runs on."""

    kind = 'local'

    def __init__(self, spec, source):
        self.path = check_tree_path(check_abs_path(spec.get('path'), 'target.path'), 'target.path')
        self.source = source
        self.url_base = 'file://' + self.path
        self.describe = 'local target %s' % self.path

    def _walk(self, top):
        sizes = {}
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames.sort()
            for name in filenames:
                full = os.path.join(dirpath, name)
                try:
                    st = os.lstat(full)
                except OSError:
                    continue
                sizes[os.path.relpath(full, top).replace(os.sep, '/')] = st.st_size
        return sizes

    def inspect(self, build_id, latest):
        state = TargetState()
        final = os.path.join(self.path, build_id)
        if os.path.isdir(final):
            try:
                with open(os.path.join(final, CHECKSUM_NAME), 'rb') as handle:
                    state.final_checksum = handle.read()
            except (IOError, OSError):
                state.final_checksum = None
            state.final_sizes = self._walk(final)
        partial = os.path.join(self.path, '.%s.partial' % build_id)
        if os.path.isdir(partial):
            state.partial_sizes = self._walk(partial)
        if latest:
            try:
                state.latest = os.readlink(os.path.join(self.path, latest))
            except OSError:
                state.latest = None
        return state

    def hash_final(self, build_id, rel):
        return hash_file(os.path.join(self.path, build_id, rel))

    def prepare(self, build_id):
        partial = os.path.join(self.path, '.%s.partial' % build_id)
        try:
            os.makedirs(partial, exist_ok=True)
        except OSError as exc:
            raise FedoraBuildError('%s: cannot create %s: %s.' % (self.describe, partial, exc.strerror or exc))
        # temp files of an interrupted run
        for dirpath, _dirs, files in os.walk(partial):
            for name in files:
                if name.startswith('.') and name.endswith('.tmp'):
                    os.unlink(os.path.join(dirpath, name))
        self.partial = partial

    def put(self, entry, data=None):
        """Copy one file into the partial dir (temp name, verify, rename); returns bytes moved."""
        dest = os.path.join(self.partial, entry.relpath)
        tmp = os.path.join(self.partial, tmp_name(entry.relpath))
        try:
            os.makedirs(os.path.dirname(dest), exist_ok=True)
        except OSError as exc:
            raise FedoraBuildError('%s: cannot create %s: %s.' % (self.describe, os.path.dirname(dest), exc.strerror or exc))
        try:
            if data is not None:
                with open(tmp, 'wb') as out:
                    out.write(data)
                    out.flush()
                    os.fsync(out.fileno())
                size, digest = hash_file(tmp)
            elif isinstance(self.source, LocalSource):
                size, digest = self._put_local(self.source.path(entry.relpath), tmp)
            else:
                size, digest = self._put_pulled(entry, tmp)
            if size != entry.size or (self.verify and digest != entry.sha256):
                raise mismatch(self.describe, entry, size, digest)
            if os.stat(tmp).st_nlink == 1:  # not a hard link to the source: give it the staging mode
                os.chmod(tmp, 0o644)
            os.rename(tmp, dest)
        except OSError as exc:
            why = 'out of space' if exc.errno in (errno.ENOSPC, errno.EDQUOT) else (exc.strerror or str(exc))
            raise FedoraBuildError('%s: cannot write %s: %s.' % (self.describe, entry.relpath, why))
        finally:
            if os.path.lexists(tmp):
                os.unlink(tmp)
        return size

    def transfer(self, build_id, files, checksum, replace, pointer):
        if not isinstance(self.source, SshSource):
            return super(LocalTarget, self).transfer(build_id, files, checksum, replace, pointer)
        # pulled: big files one ssh call each, the small ones together in one `cat` split by their sizes
        self.prepare(build_id)
        total = 0
        for entry in files:
            if entry.size >= BATCH_LIMIT:
                total += self.put(entry)
        small = [e for e in files if e.size < BATCH_LIMIT]
        if small:
            total += self._pull_batch(small)
        if checksum is not None:
            total += self.put(checksum_entry(checksum), data=checksum)
        self.commit(build_id, replace)
        if pointer:
            self.set_latest(pointer, build_id)
        return total

    def _pull_batch(self, entries):
        proc = self.source.open_stream(*[e.relpath for e in entries])
        tmp = None
        try:
            for entry in entries:
                dest = os.path.join(self.partial, entry.relpath)
                tmp = os.path.join(self.partial, tmp_name(entry.relpath))
                try:
                    os.makedirs(os.path.dirname(dest), exist_ok=True)
                    size, digest = receive_exactly(proc.stdout, tmp, entry.size)
                except OSError as exc:
                    why = 'out of space' if exc.errno in (errno.ENOSPC, errno.EDQUOT) else (exc.strerror or str(exc))
                    raise FedoraBuildError('%s: cannot write %s: %s.' % (self.describe, entry.relpath, why))
                if size != entry.size or (self.verify and digest != entry.sha256):
                    proc.kill()
                    proc.wait()
                    stderr = proc.stderr.read()
                    if stderr.strip():
                        raise self.source.conn.error(stderr, 'cannot read the files of %s' % self.source.root)
                    raise mismatch(self.describe, entry, size, digest)
                os.chmod(tmp, 0o644)
                os.rename(tmp, dest)
                tmp = None
            extra = proc.stdout.read(1)
            stderr = proc.stderr.read()
            proc.wait()
            if proc.returncode != 0:
                raise self.source.conn.error(stderr, 'cannot read the files of %s' % self.source.root)
            if extra:
                raise FedoraBuildError('%s: the source files under %s are longer than CHECKSUM says; they changed '
                                       'while staging.' % (self.describe, self.source.description))
        finally:
            if tmp and os.path.lexists(tmp):
                os.unlink(tmp)
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
            proc.stderr.close()
        return sum(e.size for e in entries)

    def _put_local(self, src, tmp):
        same_fs = False
        try:
            same_fs = os.stat(src).st_dev == os.stat(self.partial).st_dev
        except OSError as exc:
            raise FedoraBuildError('src: cannot read %s: %s.' % (src, exc.strerror or exc))
        if same_fs:
            try:
                os.link(src, tmp)
                if not self.verify:
                    return os.stat(tmp).st_size, None
                # the same inode: hashing it checks the source against CHECKSUM
                return hash_file(tmp)
            except OSError:
                pass  # e.g. a filesystem without hard links: copy
        with open(src, 'rb', buffering=0) as reader, open(tmp, 'wb', buffering=0) as writer:
            result = copy_hashing(reader, writer)
            os.fsync(writer.fileno())
        return result

    def _put_pulled(self, entry, tmp):
        # ssh writes the temp file itself; this process hashes behind it (follow_hashing)
        with open(tmp, 'wb') as writer, open(tmp, 'rb', buffering=0) as reader, tempfile.TemporaryFile() as errors:
            proc = self.source.open_stream(entry.relpath, stdout=writer, stderr=errors)
            try:
                result = follow_hashing(reader, proc, limit=entry.size)
                proc.wait()
                os.fsync(writer.fileno())
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            errors.seek(0)
            stderr = errors.read()
        if proc.returncode != 0 and result[0] <= entry.size:
            raise self.source.conn.error(stderr, 'cannot read %s' % self.source.path(entry.relpath))
        return result

    def commit(self, build_id, replace):
        final = os.path.join(self.path, build_id)
        old = None
        try:
            if replace and os.path.lexists(final):
                old = os.path.join(self.path, '.%s.old.%s' % (build_id, secrets.token_hex(4)))
                os.rename(final, old)
            os.rename(self.partial, final)
        except OSError as exc:
            raise FedoraBuildError('%s: cannot rename %s to %s: %s.'
                                   % (self.describe, self.partial, final, exc.strerror or exc))
        if old:
            shutil.rmtree(old, ignore_errors=True)

    def set_latest(self, name, build_id):
        link = os.path.join(self.path, name)
        tmp = os.path.join(self.path, '.%s.%s.tmp' % (name, secrets.token_hex(4)))
        try:
            os.symlink(build_id, tmp)
            os.rename(tmp, link)
        except OSError as exc:
            if os.path.lexists(tmp):
                os.unlink(tmp)
            raise FedoraBuildError('%s: cannot update the pointer %s: %s.' % (self.describe, name, exc.strerror or exc))

    def close(self):
        pass


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


class SshTarget(_Target):
    """A directory on a host reached over SSH; the module runs on the build node and pushes."""

    kind = 'ssh'

    def __init__(self, spec, source, connect_timeout, timeout):
        self.path = check_tree_path(check_abs_path(spec.get('path'), 'target.path'), 'target.path', resolve=False)
        self.conn = SshConnection(spec, 'target', connect_timeout, '')
        port = '' if self.conn.port == 22 else ':%d' % self.conn.port
        self.url_base = 'sftp://%s@%s%s%s' % (self.conn.user, host_for_url(self.conn.host), port, self.path)
        self.describe = 'SSH target %s' % self.url_base
        self.conn.describe = self.describe
        self.source = source
        self.timeout = timeout
        if not isinstance(source, LocalSource):
            raise FedoraBuildError('src_host: SSH targets are pushed from the build node itself; src_host is only '
                                   'for local targets.')

    def _fmt(self, build_id, **extra):
        values = {'path': _quote(self.path), 'final': _quote(build_id), 'partial': _quote('.%s.partial' % build_id),
                  'bid': _quote(build_id)}
        values.update(extra)
        return values

    def inspect(self, build_id, latest):
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


class FtpTarget(_Target):
    """A directory on an FTP server; the module runs on the build node and uploads (STOR), then reads back."""

    kind = 'ftp'

    def __init__(self, spec, source, connect_timeout, timeout):
        self.host = check_host(spec.get('host'), 'target.host')
        self.port = check_port(spec.get('port') or 21, 'target.port')
        self.user = spec.get('user') or 'anonymous'
        if any(c in self.user for c in '\r\n\0') or not self.user:
            raise FedoraBuildError('target.user: is not a valid FTP user name.')
        path = spec.get('path') or '/'
        if not isinstance(path, str) or any(c in path for c in '\r\n\0') or '..' in path.split('/'):
            raise FedoraBuildError('target.path: %r is not a plain FTP path.' % (path,))
        self.path = '/' + path.strip('/') if path.strip('/') else '/'
        password = spec.get('password')
        env_name = spec.get('password_env')
        if password is None and env_name:
            password = os.environ.get(env_name)
            if password is None:
                raise FedoraBuildError('target.password_env: the environment variable %s is not set on %s.'
                                       % (env_name, socket.gethostname()))
        self.password = password if password is not None else ('' if self.user != 'anonymous' else 'anonymous@')
        self.tls = bool(spec.get('tls'))
        self.ca_cert = spec.get('ca_cert')
        self.validate_certs = spec.get('validate_certs', True)
        port = '' if self.port == 21 else ':%d' % self.port
        self.url_base = '%s://%s@%s%s%s' % ('ftps' if self.tls else 'ftp', self.user, host_for_url(self.host), port,
                                            self.path.rstrip('/'))
        self.describe = 'FTP target %s' % self.url_base
        self.connect_timeout = connect_timeout
        self.timeout = timeout
        self.source = source
        self.ftp = None
        if not isinstance(source, LocalSource):
            raise FedoraBuildError('src_host: FTP targets are uploaded from the build node itself; src_host is only '
                                   'for local targets.')

    # -- connection
    def _error(self, exc, action):
        text = str(exc).strip()
        if text.startswith('552') or 'No space left' in text or 'storage' in text.lower():
            return FedoraBuildError('%s: %s: the server is out of space (%s).' % (self.describe, action, text))
        if isinstance(exc, ftplib.error_perm) and text[:3] in ('550', '553', '532', '450'):
            return FedoraBuildError('%s: %s: the server refused (%s).' % (self.describe, action, text))
        if isinstance(exc, (socket.timeout,)):
            return FedoraBuildError('%s: %s: timed out.' % (self.describe, action))
        if isinstance(exc, OSError) and not isinstance(exc, ftplib.Error):
            return FedoraBuildError('%s: %s: %s.' % (self.describe, action, exc.strerror or exc))
        return FedoraBuildError('%s: %s: %s.' % (self.describe, action, text))

    def _reason(self, exc):
        """When the data connection broke, the server's reply on the control connection says why (e.g. 552)."""
        if isinstance(exc, ftplib.Error) or self.ftp is None:
            return exc
        try:
            self.ftp.getresp()
        except ftplib.Error as reply:
            return reply
        except (OSError, EOFError):
            pass
        return exc

    def connect(self):
        if self.ftp is not None:
            return self.ftp
        try:
            if self.tls:
                context = ssl.create_default_context(cafile=self.ca_cert)
                if not self.validate_certs:
                    context.check_hostname = False
                    context.verify_mode = ssl.CERT_NONE
                ftp = ftplib.FTP_TLS(context=context, timeout=self.connect_timeout)
            else:
                ftp = ftplib.FTP(timeout=self.connect_timeout)
            ftp.connect(self.host, self.port, timeout=self.connect_timeout)
        except (OSError, ftplib.Error) as exc:
            raise FedoraBuildError('%s: cannot connect: %s.' % (self.describe, getattr(exc, 'strerror', None) or exc))
        try:
            ftp.login(self.user, self.password)
        except ftplib.error_perm as exc:
            ftp.close()
            raise FedoraBuildError('%s: login refused (%s).' % (self.describe, str(exc).strip()))
        except (OSError, ftplib.Error) as exc:
            ftp.close()
            raise self._error(exc, 'login failed')
        try:
            if self.tls:
                ftp.prot_p()
            ftp.voidcmd('TYPE I')
            if ftp.sock is not None:
                ftp.sock.settimeout(self.timeout)
        except (OSError, ftplib.Error) as exc:
            ftp.close()
            raise self._error(exc, 'session setup failed')
        self.ftp = ftp
        return ftp

    def _abs(self, *parts):
        base = self.path.rstrip('/')
        return base + '/' + '/'.join(parts)

    def _size(self, path):
        try:
            return self.connect().size(path)
        except ftplib.error_perm:
            return None
        except (OSError, ftplib.Error) as exc:
            raise self._error(exc, 'cannot query %s' % path)

    def _retr(self, path, callback):
        try:
            self.connect().retrbinary('RETR ' + path, callback, blocksize=BLOCK)
            return True
        except ftplib.error_perm:
            return False
        except (OSError, ftplib.Error) as exc:
            raise self._error(exc, 'cannot read %s' % path)

    def _read_small(self, path):
        chunks = []
        if not self._retr(path, chunks.append):
            return None
        return b''.join(chunks)

    def _mkdirs(self, path):
        ftp = self.connect()
        current = ''
        for part in [p for p in path.split('/') if p]:
            current += '/' + part
            try:
                ftp.cwd(current)
                continue
            except ftplib.error_perm:
                pass
            try:
                ftp.mkd(current)
            except (OSError, ftplib.Error) as exc:
                raise self._error(exc, 'cannot create directory %s' % current)
        ftp.cwd('/')

    # -- target interface
    def inspect(self, build_id, latest, entries=()):
        self.connect()
        state = TargetState()
        checksum = self._read_small(self._abs(build_id, CHECKSUM_NAME))
        if checksum is not None:
            state.final_checksum = checksum
            state.final_sizes[CHECKSUM_NAME] = len(checksum)
            for entry in entries:
                size = self._size(self._abs(build_id, entry.relpath))
                if size is not None:
                    state.final_sizes[entry.relpath] = size
        for entry in entries:
            size = self._size(self._abs('.%s.partial' % build_id, entry.relpath))
            if size is not None:
                state.partial_sizes[entry.relpath] = size
        if latest:
            value = self._read_small(self._abs(latest))
            state.latest = value.decode('utf-8', 'replace').strip() if value is not None else None
        return state

    def hash_final(self, build_id, rel):
        digest, count = hashlib.sha256(), [0]

        def take(block):
            digest.update(block)
            count[0] += len(block)
        if not self._retr(self._abs(build_id, rel), take):
            return -1, ''
        return count[0], digest.hexdigest()

    def prepare(self, build_id):
        self.partial = self._abs('.%s.partial' % build_id)
        self._mkdirs(self.partial)

    def put(self, entry, data=None):
        ftp = self.connect()
        dest = self.partial + '/' + entry.relpath
        tmp = self.partial + '/' + tmp_name(entry.relpath)
        if '/' in entry.relpath:
            self._mkdirs(dest.rsplit('/', 1)[0])
        if data is not None:
            reader = tempfile.TemporaryFile()
            reader.write(data)
            reader.seek(0)
        else:
            try:
                reader = open(self.source.path(entry.relpath), 'rb')
            except (IOError, OSError) as exc:
                raise FedoraBuildError('src: cannot read %s: %s.' % (self.source.path(entry.relpath), exc.strerror or exc))
        cleanup = True
        try:
            try:
                ftp.storbinary('STOR ' + tmp, reader, blocksize=BLOCK)
            except (OSError, ftplib.Error) as exc:
                raise self._error(self._reason(exc), 'cannot store %s' % entry.relpath)
            finally:
                reader.close()
            if self.verify:
                size, digest = self.hash_remote(tmp)
            else:
                size, digest = self._size(tmp), entry.sha256
            if size != entry.size or digest != entry.sha256:
                raise mismatch(self.describe, entry, size, digest)
            try:
                ftp.rename(tmp, dest)
            except (OSError, ftplib.Error) as exc:
                raise self._error(exc, 'cannot rename %s into place' % entry.relpath)
            cleanup = False
        finally:
            if cleanup:
                self._delete_quietly(tmp)
        return entry.size

    def hash_remote(self, path):
        """Read the stored file back and hash it as the blocks arrive (never held in memory)."""
        digest, count = hashlib.sha256(), [0]

        def take(block):
            digest.update(block)
            count[0] += len(block)
        if not self._retr(path, take):
            raise FedoraBuildError('%s: the server does not return %s after storing it.' % (self.describe, path))
        return count[0], digest.hexdigest()

    def _delete_quietly(self, path):
        try:
            if self.ftp is not None:
                self.ftp.delete(path)
        except (OSError, ftplib.Error):
            pass

    def _rmtree(self, path):
        ftp = self.connect()
        try:
            items = list(ftp.mlsd(path, facts=['type']))
        except (OSError, ftplib.Error):
            items = []
        for name, facts in items:
            if name in ('.', '..'):
                continue
            if facts.get('type') == 'dir':
                self._rmtree(path + '/' + name)
            elif facts.get('type') == 'file':
                self._delete_quietly(path + '/' + name)
        try:
            ftp.rmd(path)
        except (OSError, ftplib.Error):
            pass

    def commit(self, build_id, replace):
        ftp = self.connect()
        final = self._abs(build_id)
        old = None
        try:
            if replace and self._is_dir(final):
                old = self._abs('.%s.old.%s' % (build_id, secrets.token_hex(4)))
                ftp.rename(final, old)
            ftp.rename(self.partial, final)
        except (OSError, ftplib.Error) as exc:
            raise self._error(exc, 'cannot rename .%s.partial to %s' % (build_id, build_id))
        if old:
            self._rmtree(old)

    def _is_dir(self, path):
        ftp = self.connect()
        try:
            ftp.cwd(path)
        except ftplib.error_perm:
            return False
        except (OSError, ftplib.Error) as exc:
            raise self._error(exc, 'cannot look at %s' % path)
        ftp.cwd('/')
        return True

    def set_latest(self, name, build_id):
        ftp = self.connect()
        final = self._abs(name)
        tmp = self._abs('.%s.%s.tmp' % (name, secrets.token_hex(4)))
        reader = tempfile.TemporaryFile()
        reader.write((build_id + '\n').encode('utf-8'))
        reader.seek(0)
        try:
            ftp.storbinary('STOR ' + tmp, reader)
        except (OSError, ftplib.Error) as exc:
            raise self._error(exc, 'cannot store the pointer %s' % name)
        finally:
            reader.close()
        try:
            ftp.rename(tmp, final)
        except ftplib.error_perm:
            # servers that do not rename over an existing file: delete, then rename (a short gap, never a half file)
            try:
                ftp.delete(final)
                ftp.rename(tmp, final)
            except (OSError, ftplib.Error) as exc:
                self._delete_quietly(tmp)
                raise self._error(exc, 'cannot replace the pointer %s' % name)
        except (OSError, ftplib.Error) as exc:
            self._delete_quietly(tmp)
            raise self._error(exc, 'cannot replace the pointer %s' % name)

    def close(self):
        if self.ftp is not None:
            try:
                self.ftp.quit()
            except (OSError, ftplib.Error, EOFError):
                self.ftp.close()
            self.ftp = None


# --------------------------------------------------------------------------- the operation


def make_target(spec, source, connect_timeout, timeout):
    if not isinstance(spec, dict):
        raise FedoraBuildError('target: must be a dict with a type (local, ssh or ftp).')
    kind = spec.get('type')
    if kind == 'local':
        return LocalTarget(spec, source)
    if kind == 'ssh':
        return SshTarget(spec, source, connect_timeout, timeout)
    if kind == 'ftp':
        return FtpTarget(spec, source, connect_timeout, timeout)
    raise FedoraBuildError('target.type: %r is not one of local, ssh, ftp.' % (kind,))


def plan(entries, checksum, state, verify_existing=False):
    """Decide what to do: ('complete' | 'resume'), list of entries to send, list of entries skipped."""
    all_entries = list(entries) + [checksum_entry(checksum)]
    if state.final_checksum == checksum and all(state.final_sizes.get(e.relpath) == e.size for e in all_entries):
        return 'complete', [], all_entries
    send, skip = [], []
    for entry in all_entries:
        if state.partial_sizes.get(entry.relpath) == entry.size:
            skip.append(entry)
        else:
            send.append(entry)
    return 'resume', send, skip


def stage(params, check_mode=False):
    """Stage one build tree; returns the result dict (changed, files, bytes_transferred, ...)."""
    build_id = check_name(params.get('build_id'), 'build_id')
    latest = params.get('latest')
    if latest is not None:
        check_name(latest, 'latest')
        if latest == build_id or latest.startswith('.'):
            raise FedoraBuildError('latest: %r must differ from the build ID.' % latest)
    failed = bool(params.get('failed'))
    src = params.get('src')
    src_host = params.get('src_host')
    connect_timeout = int(params.get('connect_timeout') or 30)
    timeout = int(params.get('timeout') or 300)
    if src_host:
        src = check_abs_path(src, 'src')
        source = SshSource(src, src_host, connect_timeout, timeout)
    else:
        if not isinstance(src, str) or not os.path.isdir(src):
            raise FedoraBuildError('src: %r is not a directory on %s.' % (src, socket.gethostname()))
        source = LocalSource(os.path.abspath(src))
    target = None
    started = time.monotonic()
    try:
        target = make_target(params.get('target'), source, connect_timeout, timeout)
        target.verify = params.get('verify', True) is not False
        checksum = source.read_checksum()
        entries = parse_checksum(checksum, 'src/CHECKSUM')
        sizes = source.sizes(entries)
        for entry in entries:
            if entry.size is None:
                entry.size = sizes[entry.relpath]
            elif entry.size != sizes[entry.relpath]:
                raise FedoraBuildError('src: %s is %d bytes but CHECKSUM says %d.'
                                       % (entry.relpath, sizes[entry.relpath], entry.size))
        if isinstance(target, FtpTarget):
            state = target.inspect(build_id, latest, entries + [checksum_entry(checksum)])
        else:
            state = target.inspect(build_id, latest)
        mode, send, skip = plan(entries, checksum, state)
        replace = state.final_checksum is not None or bool(state.final_sizes)
        if mode == 'complete' and params.get('verify_existing'):
            for entry in entries:
                size, digest = target.hash_final(build_id, entry.relpath)
                if size != entry.size or digest != entry.sha256:
                    mode, send, skip = 'resume', list(entries) + [checksum_entry(checksum)], []
                    replace = True
                    break
        result = {
            'changed': False, 'build_id': build_id, 'target_url': target.url_base.rstrip('/') + '/' + build_id,
            'path': (target.path.rstrip('/') + '/' + build_id), 'target_type': target.kind,
            'bytes_transferred': 0, 'skipped_files': [e.relpath for e in skip],
            'would_transfer': [e.relpath for e in send] if check_mode else [],
            'bytes_to_transfer': sum(e.size for e in send),
            'already_staged': mode == 'complete', 'latest': None, 'diff': {},
        }
        sent = set()
        pointer = None
        if latest and not failed:
            before = state.latest
            result['latest'] = {'name': latest, 'build_id': build_id, 'previous': before, 'changed': before != build_id}
            if before != build_id:
                pointer = latest
                result['changed'] = True
                result['diff'] = {'before_header': latest, 'after_header': latest,
                                  'before': (before or '') + '\n' if before else '', 'after': build_id + '\n'}
        if mode != 'complete':
            result['changed'] = True
            if not check_mode:
                # CHECKSUM goes last; the commit (and the pointer) only after every file is verified
                files = [e for e in send if e.relpath != CHECKSUM_NAME]
                with_checksum = len(files) != len(send)
                result['bytes_transferred'] = target.transfer(build_id, files, checksum if with_checksum else None,
                                                              replace, pointer)
                sent = set(e.relpath for e in send)
        elif pointer and not check_mode:
            target.set_latest(pointer, build_id)
        result['files'] = [e.as_dict(e.relpath in sent) for e in entries + [checksum_entry(checksum)]]
        result['seconds'] = round(time.monotonic() - started, 3)
        return result
    finally:
        if target is not None:
            target.close()
        source.close()
