# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The local staging target: a directory on the host the module runs on.

The target's own directory (``path``) is the operator's and may be reached through a link. Below it, nothing
is written through a symbolic link: ``<build_id>``, ``.<build_id>.partial`` and every directory inside are
opened with O_NOFOLLOW and used as directory file descriptors, files are created with O_EXCL | O_NOFOLLOW
under a temporary name and renamed within their directory, and a link planted at any of those names is
refused in one sentence. Staged files are always new inodes with mode 0644 (directories 0755): never a hard
link to the build tree, which would keep the tree's modes and change with it (a reflink, where the
filesystem has them, is a copy).
"""

from __future__ import annotations

import errno
import fcntl
import os
import secrets
import shutil
import stat

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils.fileutil import check_tree_path
from ansible_collections.ondemand.fedora_build.plugins.module_utils.staging.common import (
    CHECKSUM_NAME, DIR_FLAGS, NEW_FILE_FLAGS, O_CLOEXEC, LocalSource, Target, TargetState, check_abs_path,
    copy_hashing, hash_fd, hash_file, is_link, mismatch, open_dir, open_dirs, tmp_name)
from ansible_collections.ondemand.fedora_build.plugins.module_utils.staging import pull

FICLONE = 0x40049409   # linux/fs.h: share the extents of another file (btrfs, xfs), a copy that costs no space
FILE_MODE = 0o644


def _why(exc):
    return 'out of space' if exc.errno in (errno.ENOSPC, errno.EDQUOT) else (exc.strerror or str(exc))


class LocalTarget(pull.PullMixin, Target):
    """A directory on the machine the module runs on."""

    kind = 'local'

    def __init__(self, spec, source, connect_timeout=30, timeout=300):
        self.path = check_tree_path(check_abs_path(spec.get('path'), 'target.path'), 'target.path')
        self.source = source
        self.url_base = 'file://' + self.path
        self.describe = 'local target %s' % self.path
        self.root_fd = None
        self.partial_fd = None
        self.partial_name = None

    # -- directories, never through a link
    def _root(self, create=False):
        if self.root_fd is None:
            try:
                if create:
                    os.makedirs(self.path, 0o755, exist_ok=True)
                self.root_fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY | O_CLOEXEC)
            except FileNotFoundError:
                if create:
                    raise
            except OSError as exc:
                raise FedoraBuildError('%s: cannot open %s: %s.' % (self.describe, self.path, exc.strerror or exc))
        return self.root_fd

    def _existing_dir(self, name):
        """fd of the directory ``name`` in the target, or None when it is missing, a link or not a directory."""
        root = self._root()
        if root is None:
            return None
        try:
            return os.open(name, DIR_FLAGS, dir_fd=root)
        except OSError:
            return None

    def _files(self, fd, wanted=None):
        """relpath -> size of the regular files below the directory fd (links are not files, nor followed);
        with ``wanted`` (relpath -> (size, sha256)), relpath -> (size, sha256 or None), hashing only the files
        whose size is the wanted one."""
        out = {}
        for dirpath, _dirs, filenames, dir_fd in os.fwalk('.', dir_fd=fd):
            for name in filenames:
                rel = os.path.normpath(os.path.join(dirpath, name)).replace(os.sep, '/')
                try:
                    st = os.lstat(name, dir_fd=dir_fd)
                    if not stat.S_ISREG(st.st_mode) or (name.startswith('.') and name.endswith('.tmp')):
                        continue
                    if wanted is None:
                        out[rel] = st.st_size
                    elif wanted.get(rel, (None,))[0] == st.st_size:
                        out[rel] = hash_file(name, dir_fd=dir_fd)
                    else:
                        out[rel] = (st.st_size, None)
                except OSError:
                    continue
        return out

    def inspect(self, build_id, latest, entries=()):
        state = TargetState()
        final = self._existing_dir(build_id)
        if final is not None:
            try:
                fd = os.open(CHECKSUM_NAME, os.O_RDONLY | os.O_NOFOLLOW | O_CLOEXEC, dir_fd=final)
                with os.fdopen(fd, 'rb') as handle:
                    state.final_checksum = handle.read()
            except OSError:
                state.final_checksum = None
            state.final_sizes = self._files(final)
            os.close(final)
        partial = self._existing_dir('.%s.partial' % build_id)
        if partial is not None:
            state.partial = self._files(partial, dict((e.relpath, (e.size, e.sha256)) for e in entries))
            os.close(partial)
        if latest and self._root() is not None:
            try:
                state.latest = os.readlink(latest, dir_fd=self._root())
            except OSError:
                state.latest = None
        return state

    def hash_final(self, build_id, rel):
        head, name = rel.rsplit('/', 1) if '/' in rel else ('', rel)
        final = open_dir(build_id, self._root(), self.describe, build_id)
        try:
            parent = open_dirs(head, final, self.describe, build_id)
        finally:
            os.close(final)
        try:
            return hash_file(name, dir_fd=parent)
        except OSError:
            return -1, ''
        finally:
            os.close(parent)

    # -- writing
    def prepare(self, build_id):
        self.partial_name = '.%s.partial' % build_id
        self.partial = os.path.join(self.path, self.partial_name)
        try:
            self.partial_fd = open_dir(self.partial_name, self._root(create=True), self.describe, self.partial_name,
                                       create=True)
            # temp files of an interrupted run
            for _path, _dirs, files, dir_fd in os.fwalk('.', dir_fd=self.partial_fd):
                for name in files:
                    if name.startswith('.') and name.endswith('.tmp'):
                        os.unlink(name, dir_fd=dir_fd)
        except OSError as exc:
            raise FedoraBuildError('%s: cannot create %s: %s.' % (self.describe, self.partial, exc.strerror or exc))

    def new_file(self, rel):
        """(parent dir fd, temp name, its fd) for a new temporary file beside ``rel`` in the partial directory."""
        head, _name = rel.rsplit('/', 1) if '/' in rel else ('', rel)
        try:
            parent = open_dirs(head, self.partial_fd, self.describe, self.partial_name, create=True)
        except OSError as exc:
            raise FedoraBuildError('%s: cannot create %s: %s.' % (self.describe, os.path.join(self.partial, head),
                                                                  exc.strerror or exc))
        tmp = tmp_name(rel).rsplit('/', 1)[-1]
        try:
            fd = os.open(tmp, NEW_FILE_FLAGS, FILE_MODE, dir_fd=parent)
        except OSError as exc:
            os.close(parent)
            raise FedoraBuildError('%s: cannot write %s: %s.' % (self.describe, rel, _why(exc)))
        return parent, tmp, fd

    def finish_file(self, entry, parent, tmp, fd):
        """Give the verified temp file the staging mode and its name (replacing a file, never following a link)."""
        os.fchmod(fd, FILE_MODE)
        name = entry.relpath.rsplit('/', 1)[-1]
        os.rename(tmp, name, src_dir_fd=parent, dst_dir_fd=parent)

    def put(self, entry, data=None):
        """Copy one file into the partial dir (temp name, verify, rename); returns bytes moved."""
        parent, tmp, fd = self.new_file(entry.relpath)
        done = False
        try:
            if data is not None:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                os.fsync(fd)
                size, digest = hash_fd(fd)
            elif isinstance(self.source, LocalSource):
                size, digest = self._put_local(self.source.path(entry.relpath), fd)
            else:
                size, digest = self._put_pulled(entry, parent, tmp, fd)
            if size != entry.size or (self.verify and digest != entry.sha256):
                raise mismatch(self.describe, entry, size, digest)
            self.finish_file(entry, parent, tmp, fd)
            done = True
        except OSError as exc:
            raise FedoraBuildError('%s: cannot write %s: %s.' % (self.describe, entry.relpath, _why(exc)))
        finally:
            os.close(fd)
            if not done:
                try:
                    os.unlink(tmp, dir_fd=parent)
                except OSError:
                    pass
            os.close(parent)
        return size

    def transfer(self, build_id, files, checksum, replace, pointer):
        if isinstance(self.source, pull.SshSource):
            return self.transfer_pulled(build_id, files, checksum, replace, pointer)
        return super(LocalTarget, self).transfer(build_id, files, checksum, replace, pointer)

    def _put_local(self, src, fd):
        """A new inode: a reflink where the filesystem shares extents (then hashed once), else a copy that
        hashes while it writes."""
        try:
            reader = open(src, 'rb', buffering=0)
        except (IOError, OSError) as exc:
            raise FedoraBuildError('src: cannot read %s: %s.' % (src, exc.strerror or exc))
        with reader:
            try:
                fcntl.ioctl(fd, FICLONE, reader.fileno())
            except OSError:
                pass  # no reflinks here (ext4, tmpfs, another filesystem): copy
            else:
                os.fsync(fd)
                return hash_fd(fd)
            with open(fd, 'wb', buffering=0, closefd=False) as writer:
                result = copy_hashing(reader, writer)
            os.fsync(fd)
        return result

    def commit(self, build_id, replace):
        root = self._root()
        old = None
        try:
            # the name still holds the directory this run filled (not something put there since)
            if not os.path.samestat(os.lstat(self.partial_name, dir_fd=root), os.fstat(self.partial_fd)):
                raise FedoraBuildError('%s: %s was replaced while staging; nothing was renamed.'
                                       % (self.describe, self.partial))
            if replace:
                old = '.%s.old.%s' % (build_id, secrets.token_hex(4))
                try:
                    os.rename(build_id, old, src_dir_fd=root, dst_dir_fd=root)
                except FileNotFoundError:
                    old = None
            os.rename(self.partial_name, build_id, src_dir_fd=root, dst_dir_fd=root)
        except OSError as exc:
            raise FedoraBuildError('%s: cannot rename %s to %s: %s.'
                                   % (self.describe, self.partial, os.path.join(self.path, build_id),
                                      exc.strerror or exc))
        if old:
            if is_link(old, root):
                os.unlink(old, dir_fd=root)   # a link planted at <build_id>: removed, never followed
            else:
                shutil.rmtree(os.path.join(self.path, old), ignore_errors=True)

    def set_latest(self, name, build_id):
        root = self._root(create=True)
        tmp = '.%s.%s.tmp' % (name, secrets.token_hex(4))
        try:
            os.symlink(build_id, tmp, dir_fd=root)
            os.rename(tmp, name, src_dir_fd=root, dst_dir_fd=root)
        except OSError as exc:
            try:
                os.unlink(tmp, dir_fd=root)
            except OSError:
                pass
            raise FedoraBuildError('%s: cannot update the pointer %s: %s.' % (self.describe, name, exc.strerror or exc))

    def clear_latest(self, name):
        root = self._root()
        if root is None or not is_link(name, root):
            return      # gone already, or not a pointer staging made: left alone
        try:
            os.unlink(name, dir_fd=root)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise FedoraBuildError('%s: cannot remove the pointer %s: %s.' % (self.describe, name, exc.strerror or exc))

    def close(self):
        for fd in (self.partial_fd, self.root_fd):
            if fd is not None:
                os.close(fd)
        self.partial_fd = self.root_fd = None
