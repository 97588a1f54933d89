# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The local staging target: a directory on the host the module runs on."""

from __future__ import annotations

import errno
import os
import secrets
import shutil

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils.fileutil import check_tree_path
from ansible_collections.ondemand.fedora_build.plugins.module_utils.staging.common import (
    CHECKSUM_NAME, LocalSource, Target, TargetState, check_abs_path, copy_hashing, hash_file, mismatch, tmp_name)
from ansible_collections.ondemand.fedora_build.plugins.module_utils.staging import pull

class LocalTarget(pull.PullMixin, Target):
    """A directory on the machine the module runs on."""

    kind = 'local'
    PULLS = True

    def __init__(self, spec, source, connect_timeout=30, timeout=300):
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

    def inspect(self, build_id, latest, entries=()):
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
        if isinstance(self.source, pull.SshSource):
            return self.transfer_pulled(build_id, files, checksum, replace, pointer)
        return super(LocalTarget, self).transfer(build_id, files, checksum, replace, pointer)

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

