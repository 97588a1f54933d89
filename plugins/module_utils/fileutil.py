# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""File helpers shared by the modules: atomic writes and checksums.

Every file a user may take for a result is written to a temporary name in
the same directory and renamed into place, so a crash never leaves a
half-written file under its final name.
"""

from __future__ import annotations

import hashlib
import os
import tempfile

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError

CHUNK = 1024 * 1024

# Directories no build tree may be (work roots, destinations, staging paths)
# and trees nothing of ours ever lives under. Modules that replace or remove
# directory trees check their paths against these first: a wrong variable
# must never remove /etc.
SYSTEM_DIRS = frozenset((
    '/', '/bin', '/boot', '/dev', '/etc', '/home', '/lib', '/lib32', '/lib64', '/libx32', '/media', '/mnt',
    '/opt', '/proc', '/root', '/run', '/sbin', '/srv', '/sys', '/tmp', '/usr', '/var', '/var/lib', '/var/cache',
    '/var/log', '/var/spool', '/var/tmp', '/var/www', '/var/lib/fedora-build',
))
SYSTEM_TREES = ('/bin', '/boot', '/dev', '/etc', '/lib', '/lib32', '/lib64', '/libx32', '/proc', '/sbin', '/sys', '/usr')


def check_tree_path(path, field, resolve=True):
    """Refuse a system directory (or anything under /etc, /usr, ...) as a place for build trees.

    ``resolve`` also checks where symlinks lead (paths on this host); a remote
    path (an SSH staging target) is checked as written.
    """
    if not path or not os.path.isabs(path):
        raise FedoraBuildError('%s: %r is not an absolute path.' % (field, path))
    candidates = {os.path.normpath(path)}
    if resolve:
        candidates.add(os.path.realpath(path))
    for candidate in candidates:
        if candidate in SYSTEM_DIRS or any(candidate.startswith(tree + '/') for tree in SYSTEM_TREES):
            raise FedoraBuildError('%s: %s is a system directory; build trees are never created, replaced or '
                                   'removed there.' % (field, path))
    return path


def sha256_file(path, chunk=CHUNK):
    """Return the hex sha256 of a file, read in chunks (images can be GBs)."""
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        while True:
            block = handle.read(chunk)
            if not block:
                break
            digest.update(block)
    return digest.hexdigest()


def sha256_bytes(data):
    """Return the hex sha256 of bytes or text (text is UTF-8 encoded)."""
    if not isinstance(data, bytes):
        data = data.encode('utf-8')
    return hashlib.sha256(data).hexdigest()


def temp_path_for(path):
    """Return a unique temporary name beside path (same filesystem, so rename is atomic)."""
    directory, name = os.path.split(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix='.%s.' % name, suffix='.part', dir=directory)
    os.close(fd)
    return tmp


def atomic_write(path, data, mode=0o644):
    """Write bytes or text to path atomically with the given mode."""
    if not isinstance(data, bytes):
        data = data.encode('utf-8')
    tmp = temp_path_for(path)
    try:
        with open(tmp, 'wb') as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.rename(tmp, path)
    except BaseException:
        remove_quietly(tmp)
        raise


def read_text(path):
    """Return the text content of path, or None when it does not exist."""
    try:
        with open(path, 'rb') as handle:
            return handle.read().decode('utf-8')
    except (IOError, OSError):
        return None


def remove_quietly(path):
    """Remove a file if it exists; never raise."""
    try:
        os.unlink(path)
    except OSError:
        pass
