# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A build tree on its node, read over SSH by the controller: pulled into a local target, relayed (streamed) to an SSH
or FTP target."""

from __future__ import annotations

import errno
import os
import subprocess
import tempfile
from shlex import quote as _quote

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils.staging.common import (
    CHECKSUM_NAME, O_CLOEXEC, SourceFile, checksum_entry, copy_exactly, follow_hashing, mismatch, receive_exactly)
from ansible_collections.ondemand.fedora_build.plugins.module_utils.staging.ssh import BATCH_LIMIT, SshConnection


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

    def open_file(self, rel):
        """``rel``'s bytes streamed from the node (ssh running cat) as a SourceFile: a relayed target reads the
        pipe directly, so nothing is stored on the way."""
        errors = tempfile.TemporaryFile()
        try:
            proc = self.open_stream(rel, stderr=errors)
        except OSError as exc:
            errors.close()
            raise FedoraBuildError('%s: cannot run ssh: %s.' % (self.conn.describe, exc.strerror or exc))
        return SourceFile(proc.stdout, proc, errors, lambda stderr: self.conn.error(stderr, 'cannot read %s' % self.path(rel)),
                          timeout=self.timeout)

    def copy_files(self, entries, out):
        """Append the entries' bytes to ``out``, one after the other, all in one ssh call."""
        if not entries:
            return   # (only CHECKSUM to send: no call to the node)
        errors = tempfile.TemporaryFile()
        proc = self.open_stream(*[e.relpath for e in entries], stderr=errors)
        stream = SourceFile(proc.stdout, proc, errors, lambda stderr: self.conn.error(
            stderr, 'cannot read the files of %s' % self.root), timeout=self.timeout)
        try:
            for entry in entries:
                copy_exactly(stream, out, entry.size, '%s: %s' % (self.description, entry.relpath))
        finally:
            # also after a short read: the node's own reason (a file gone) wins over "ended after N bytes"
            failure = stream.close()
            if failure is not None:
                raise failure

    def close(self):
        self.conn.close()


class PullMixin(object):
    """The local target's transfer when its source is an SshSource."""

    def transfer_pulled(self, build_id, files, checksum, replace, pointer):
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
        current = None
        try:
            for entry in entries:
                current = self.new_file(entry.relpath)    # (parent fd, temp name, fd): never through a link
                parent, tmp, fd = current
                try:
                    size, digest = receive_exactly(proc.stdout, fd, entry.size)
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
                self.finish_file(entry, parent, tmp, fd)
                os.close(fd)
                os.close(parent)
                current = None
            extra = proc.stdout.read(1)
            stderr = proc.stderr.read()
            proc.wait()
            if proc.returncode != 0:
                raise self.source.conn.error(stderr, 'cannot read the files of %s' % self.source.root)
            if extra:
                raise FedoraBuildError('%s: the source files under %s are longer than CHECKSUM says; they changed '
                                       'while staging.' % (self.describe, self.source.description))
        finally:
            if current is not None:
                parent, tmp, fd = current
                os.close(fd)
                try:
                    os.unlink(tmp, dir_fd=parent)
                except OSError:
                    pass
                os.close(parent)
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
            proc.stderr.close()
        return sum(e.size for e in entries)

    def _put_pulled(self, entry, parent, tmp, fd):
        """ssh writes the temp file (``fd``) itself; this process hashes behind it (follow_hashing) through a
        second descriptor of the same file."""
        reader_fd = os.open(tmp, os.O_RDONLY | os.O_NOFOLLOW | O_CLOEXEC, dir_fd=parent)
        with open(reader_fd, 'rb', buffering=0) as reader, tempfile.TemporaryFile() as errors:
            if not os.path.samestat(os.fstat(reader_fd), os.fstat(fd)):
                raise FedoraBuildError('%s: %s was replaced while staging.' % (self.describe, entry.relpath))
            proc = self.source.open_stream(entry.relpath, stdout=fd, stderr=errors)
            try:
                result = follow_hashing(reader, proc, limit=entry.size)
                proc.wait()
                os.fsync(fd)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            errors.seek(0)
            stderr = errors.read()
        if proc.returncode != 0 and result[0] <= entry.size:
            raise self.source.conn.error(stderr, 'cannot read %s' % self.source.path(entry.relpath))
        return result
