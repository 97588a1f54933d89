# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Staging, what every target shares: CHECKSUM, validation, hashing, the target interface, the plan."""

from __future__ import annotations

import errno
import hashlib
import os
import re
import secrets
import stat
import subprocess
import time

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError

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

    def open_file(self, rel):
        """``rel``'s bytes as a SourceFile (the file itself: a target's ssh reads it directly)."""
        try:
            return SourceFile(open(self.path(rel), 'rb'))
        except (IOError, OSError) as exc:
            raise FedoraBuildError('src: cannot read %s: %s.' % (self.path(rel), exc.strerror or exc))

    def copy_files(self, entries, out):
        """Append the entries' bytes to the file object ``out``, one after the other."""
        for entry in entries:
            handle = self.open_file(entry.relpath)
            try:
                copy_exactly(handle, out, entry.size, '%s: %s' % (self.root, entry.relpath))
            finally:
                handle.close()

    def close(self):
        pass


class SourceFile(object):
    """One source file being read: ``read``, ``readinto`` and ``fileno`` give its bytes (a target's ssh or FTP
    upload reads it directly, nothing is copied at rest); ``close()`` answers whether the source failed.

    ``proc`` is the process whose stdout ``handle`` is (a relayed file: ssh to the node running cat); ``fail`` turns
    its stderr into the source's FedoraBuildError.
    """

    def __init__(self, handle, proc=None, errors=None, fail=None, timeout=60):
        self.handle = handle
        self.proc = proc
        self.errors = errors
        self.fail = fail
        self.timeout = timeout
        self.failure = None

    def read(self, size=-1):
        return self.handle.read(size)

    def readinto(self, buf):
        return self.handle.readinto(buf)

    def fileno(self):
        return self.handle.fileno()

    def close(self):
        """Stop reading; returns the source's FedoraBuildError when it failed (a relayed cat), else None."""
        if self.handle.closed:
            return self.failure
        # our end of the pipe goes first: a source with bytes left gets EPIPE and ends instead of waiting for us
        self.handle.close()
        if self.proc is None:
            return None
        try:
            self.proc.wait(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None
        if self.errors is not None:
            self.errors.seek(0)
            stderr = self.errors.read()
            self.errors.close()
            # a broken pipe is ours (we stopped reading: the target had failed), not the source's failure
            said = [line for line in stderr.splitlines() if line.strip() and b'Broken pipe' not in line]
            if self.proc.returncode != 0 and said:
                self.failure = self.fail(stderr)
        return self.failure


def copy_exactly(reader, out, size, shown):
    """Copy ``size`` bytes of ``reader`` to ``out``; a shorter source is refused (it changed while staging)."""
    left = size
    while left > 0:
        block = reader.read(min(BLOCK, left))
        if not block:
            raise FedoraBuildError('src: %s ended after %d of its %d bytes; it changed while staging.'
                                   % (shown, size - left, size))
        out.write(block)
        left -= len(block)


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


def receive_exactly(reader, fd, size):
    """Write exactly ``size`` bytes (fewer at EOF) of a stream to the file descriptor ``fd`` while hashing;
    returns (bytes, hexdigest)."""
    digest = hashlib.sha256()
    buf = bytearray(BLOCK)
    view = memoryview(buf)
    left = size
    while left > 0:
        count = reader.readinto(view[:min(left, BLOCK)])
        if not count:
            break
        digest.update(view[:count])
        done = 0
        while done < count:
            done += os.write(fd, view[done:count])
        left -= count
    os.fsync(fd)
    return size - left, digest.hexdigest()


def hash_fd(fd):
    """sha256 of what an open file descriptor reads from its start; returns (bytes, hexdigest)."""
    digest = hashlib.sha256()
    buf = bytearray(BLOCK)
    view = memoryview(buf)
    total = 0
    while True:
        count = os.preadv(fd, [buf], total)
        if not count:
            break
        digest.update(view[:count])
        total += count
    return total, digest.hexdigest()


def hash_file(path, dir_fd=None):
    """sha256 of a regular file, never through a symbolic link (OSError ELOOP then); returns (bytes, hexdigest)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | O_CLOEXEC, dir_fd=dir_fd)
    try:
        return hash_fd(fd)
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- no links followed
# Nothing staging writes for a request goes through a symbolic link it did not make: below the target's
# own directory (the operator's), every directory is opened with O_NOFOLLOW and used as a dir_fd, files
# are created with O_CREAT | O_EXCL | O_NOFOLLOW, and names change by rename within those directories.

O_CLOEXEC = getattr(os, 'O_CLOEXEC', 0)
DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | O_CLOEXEC
NEW_FILE_FLAGS = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | O_CLOEXEC


def is_link(name, dir_fd):
    try:
        return stat.S_ISLNK(os.lstat(name, dir_fd=dir_fd).st_mode)
    except OSError:
        return False


def link_refused(describe, shown):
    return FedoraBuildError('%s: %s is a symbolic link; staging never writes through a link it did not make.'
                            % (describe, shown))


def open_dir(name, dir_fd, describe, shown, create=False, mode=0o755):
    """fd of the directory ``name`` in the directory ``dir_fd``, made when ``create`` and missing (with ``mode``);
    a symbolic link there is refused (FedoraBuildError), other failures raise OSError."""
    made = False
    if create:
        try:
            os.mkdir(name, mode, dir_fd=dir_fd)
            made = True
        except FileExistsError:
            pass
    try:
        fd = os.open(name, DIR_FLAGS, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR) and is_link(name, dir_fd):
            raise link_refused(describe, shown)
        raise
    if made:
        os.fchmod(fd, mode)   # the documented mode whatever the umask
    return fd


def open_dirs(rel_dir, dir_fd, describe, shown_base, create=False):
    """fd of ``rel_dir`` (a checked relative path, '' for ``dir_fd`` itself, then a dup) below ``dir_fd``,
    component by component, never through a link."""
    fd = os.dup(dir_fd)
    shown = shown_base
    for part in [p for p in rel_dir.split('/') if p]:
        shown += '/' + part
        try:
            sub = open_dir(part, fd, describe, shown, create=create)
        finally:
            os.close(fd)
        fd = sub
    return fd


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


class Target(object):
    """The interface of a staging target, and the generic transfer: one file after the other.

    A target class (one per transport, registered in ``staging.TARGETS``) is built as
    ``cls(spec, source, connect_timeout, timeout)`` and provides ``kind``, ``path``, ``url_base``, ``describe``
    and the methods ``inspect(build_id, latest, entries) -> TargetState``, ``hash_final(build_id, rel) -> (size,
    hex)``, ``prepare(build_id)``, ``put(entry, data=None) -> bytes``, ``commit(build_id, replace)``,
    ``set_latest(name, build_id)``, ``clear_latest(name)`` and ``close()``; ``transfer`` may be overridden to batch.
    It reads the files through its source's ``open_file(rel)`` (a SourceFile) and ``copy_files(entries, out)``, which
    work alike for the tree where the module runs and for a node's tree streamed over SSH (the controller relays).
    """

    kind = None
    REQUIRED = ()       # target options its type requires (the module's required_if)
    verify = True
    partial = None

    def inspect(self, build_id, latest, entries):
        raise NotImplementedError

    def hash_final(self, build_id, rel):
        raise NotImplementedError

    def prepare(self, build_id):
        raise NotImplementedError

    def put(self, entry, data=None):
        raise NotImplementedError

    def commit(self, build_id, replace):
        raise NotImplementedError

    def set_latest(self, name, build_id):
        raise NotImplementedError

    def clear_latest(self, name):
        """Remove the pointer ``name`` (a pointer that did not exist before this build moved it)."""
        raise NotImplementedError

    def close(self):
        pass

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
        self.partial = {}            # relpath -> (size, sha256) of the regular files under .<build_id>.partial/
        #                              (non-temp names; sha256 None when not hashed, e.g. the size differs)
        self.latest = None           # current latest pointer value (build id) or None


def plan(entries, checksum, state, verify_existing=False):
    """Decide what to do: ('complete' | 'resume'), list of entries to send, list of entries skipped."""
    all_entries = list(entries) + [checksum_entry(checksum)]
    if state.final_checksum == checksum and all(state.final_sizes.get(e.relpath) == e.size for e in all_entries):
        return 'complete', [], all_entries
    send, skip = [], []
    for entry in all_entries:
        # a file left by an interrupted run counts only when its content is the one CHECKSUM lists,
        # never on its size alone
        if state.partial.get(entry.relpath) == (entry.size, entry.sha256):
            skip.append(entry)
        else:
            send.append(entry)
    return 'resume', send, skip
