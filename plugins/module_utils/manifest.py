# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A build's ``build.json`` and Fedora-style ``CHECKSUM`` (see docs/pipeline.md, staging layout).

``CHECKSUM`` is written the way pungi writes Fedora's (pungi/phases/image_checksum.py,
``dump_checksums``): for each file, sorted by relative path, the two lines::

    # <relpath>: <size> bytes
    SHA256 (<relpath>) = <hex>

``sha256sum -c CHECKSUM`` run in the build directory checks every file. It covers
every regular file below the directory (in subdirectories too, by relative path)
except ``CHECKSUM`` itself; symlinks and special files are not listed. ``build.json``
is written first, so ``CHECKSUM`` covers it.

Hashing multi-GB images twice is avoided with ``known_checksums``: the sha256 a
builder module computed is reused when the file's size and mtime are still the
ones the builder saw *before* it hashed (then the file cannot have changed since
without its mtime changing). An entry without ``mtime``, or whose size or mtime
differ, is not trusted and the file is hashed again.
"""

from __future__ import annotations

import json
import os
import re
import stat

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils.validate import check_name
from ansible_collections.ondemand.fedora_build.plugins.module_utils.fileutil import (
    atomic_write, read_text, sha256_bytes, sha256_file)

CHECKSUM_NAME = 'CHECKSUM'
BUILD_JSON_NAME = 'build.json'
SHA256_RE = re.compile(r'^[0-9a-f]{64}$')
MTIME_SLACK = 1e-6  # a float mtime survives JSON, but allow for a last-digit rounding
RESULT_STATES = ('succeeded', 'failed', 'cancelled')


def render_build_json(build):
    """The exact text of build.json for a build dict (stable: sorted keys, 2-space indent)."""
    try:
        return json.dumps(build, indent=2, sort_keys=True, ensure_ascii=False) + '\n'
    except (TypeError, ValueError) as err:
        raise FedoraBuildError('build: cannot be written as JSON (%s).' % err)


def render_checksum(files):
    """CHECKSUM text for [{relpath, size, sha256}], in pungi's format and order."""
    lines = []
    for item in sorted(files, key=lambda f: f['relpath']):
        lines.append('# %s: %d bytes\n' % (item['relpath'], item['size']))
        lines.append('SHA256 (%s) = %s\n' % (item['relpath'], item['sha256']))
    return ''.join(lines)


def parse_checksum(text):
    """Inverse of render_checksum: {relpath: {size, sha256}} (sizes from the comment lines)."""
    found = {}
    sizes = {}
    for line in text.splitlines():
        match = re.match(r'^# (.+): (\d+) bytes$', line)
        if match:
            sizes[match.group(1)] = int(match.group(2))
            continue
        match = re.match(r'^SHA256 \((.+)\) = ([0-9a-f]{64})$', line)
        if match:
            found[match.group(1)] = dict(sha256=match.group(2), size=sizes.get(match.group(1)))
    return found


def scan(root):
    """Relative paths of every regular file below root (not following symlinks), minus CHECKSUM."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for name in filenames:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root)
            if rel == CHECKSUM_NAME:
                continue
            if _is_own_temp(rel):
                continue
            if '\n' in rel or '\\' in rel:
                raise FedoraBuildError('path: the file name %r cannot be listed in CHECKSUM (newline or backslash); '
                                       'rename it.' % rel)
            if stat.S_ISREG(os.lstat(full).st_mode):
                found.append(rel)
    return sorted(found)


def _is_own_temp(rel):
    # fileutil.temp_path_for names: .<name>.<random>.part, only ours beside build.json / CHECKSUM
    return os.sep not in rel and re.match(r'^\.(CHECKSUM|build\.json)\..+\.part$', rel) is not None


def check_known(known, root):
    """Validate known_checksums; return {relpath: entry}."""
    out = {}
    for index, entry in enumerate(known or []):
        field = 'known_checksums[%d]' % index
        if not isinstance(entry, dict):
            raise FedoraBuildError('%s: must be a dict with relpath or path, size, sha256 and mtime.' % field)
        rel = entry.get('relpath')
        if rel is None and entry.get('path') is not None:
            full = os.path.normpath(os.path.join(root, str(entry['path'])))
            if not full.startswith(root.rstrip('/') + '/'):
                raise FedoraBuildError('%s.path: %s is not below %s.' % (field, entry['path'], root))
            rel = os.path.relpath(full, root)
        if not rel:
            raise FedoraBuildError('%s: needs relpath or path.' % field)
        rel = os.path.normpath(str(rel))
        if os.path.isabs(rel) or rel == '..' or rel.startswith('../'):
            raise FedoraBuildError('%s.relpath: %r is not a path below %s.' % (field, entry.get('relpath'), root))
        sha = str(entry.get('sha256', '')).lower()
        if not SHA256_RE.match(sha):
            raise FedoraBuildError('%s.sha256: %r is not 64 hex digits.' % (field, entry.get('sha256')))
        try:
            size = int(entry.get('size'))
        except (TypeError, ValueError):
            raise FedoraBuildError('%s.size: %r is not a number of bytes.' % (field, entry.get('size')))
        mtime = entry.get('mtime')
        if mtime is not None:
            try:
                mtime = float(mtime)
            except (TypeError, ValueError):
                raise FedoraBuildError('%s.mtime: %r is not a timestamp in seconds.' % (field, mtime))
        out[rel] = dict(size=size, sha256=sha, mtime=mtime)
    return out


def hash_files(root, rels, known, extra=None):
    """[{relpath, size, sha256}] for rels, reusing trusted known entries; extra = {relpath: bytes} not on disk yet."""
    files = []
    reused = []
    for rel in rels:
        if extra and rel in extra:
            data = extra[rel]
            files.append(dict(relpath=rel, size=len(data), sha256=sha256_bytes(data)))
            continue
        full = os.path.join(root, rel)
        before = os.lstat(full)
        entry = known.get(rel)
        if (entry and entry['mtime'] is not None and entry['size'] == before.st_size
                and abs(entry['mtime'] - before.st_mtime) <= MTIME_SLACK):
            files.append(dict(relpath=rel, size=before.st_size, sha256=entry['sha256']))
            reused.append(rel)
            continue
        digest = sha256_file(full)
        after = os.lstat(full)
        if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
            raise FedoraBuildError('path: %s changed while it was being hashed; is a build still writing to it?' % full)
        files.append(dict(relpath=rel, size=before.st_size, sha256=digest))
    return files, reused


def write_manifest(path, build, known_checksums=None, check_mode=False):
    """Write build.json then CHECKSUM under path; return the module result (with before/after for diff)."""
    root = os.path.abspath(path)
    if not os.path.isdir(root) or os.path.islink(root):
        raise FedoraBuildError('path: %s is not a directory.' % path)
    if not isinstance(build, dict):
        raise FedoraBuildError('build: must be a dict (request, resolved builds, argv, tool versions, timings, node, result).')
    if build.get('build_id') is not None:
        check_name(build['build_id'], 'build.build_id')  # names the staged directory
    state = (build.get('result') or {}).get('state') if isinstance(build.get('result'), dict) else None
    if state is not None and state not in RESULT_STATES:
        raise FedoraBuildError('build.result.state: %r is not one of %s.' % (state, ', '.join(RESULT_STATES)))
    known = check_known(known_checksums, root)
    build_json_path = os.path.join(root, BUILD_JSON_NAME)
    checksum_path = os.path.join(root, CHECKSUM_NAME)
    if os.path.islink(build_json_path) or os.path.islink(checksum_path):
        raise FedoraBuildError('path: %s or %s is a symlink; refusing to write through it.' % (BUILD_JSON_NAME, CHECKSUM_NAME))

    new_build = render_build_json(build)
    old_build = read_text(build_json_path)
    build_changed = old_build != new_build
    if build_changed and not check_mode:
        atomic_write(build_json_path, new_build, mode=0o644)

    rels = scan(root)
    extra = None
    if check_mode and build_changed:
        extra = {BUILD_JSON_NAME: new_build.encode('utf-8')}
        if BUILD_JSON_NAME not in rels:
            rels = sorted(rels + [BUILD_JSON_NAME])
    files, reused = hash_files(root, rels, known, extra)
    new_sum = render_checksum(files)
    old_sum = read_text(checksum_path)
    sum_changed = old_sum != new_sum
    if sum_changed and not check_mode:
        atomic_write(checksum_path, new_sum, mode=0o644)

    diff = []
    if build_changed:
        diff.append(dict(before=old_build or '', after=new_build,
                         before_header=build_json_path if old_build is not None else '/dev/null', after_header=build_json_path))
    if sum_changed:
        diff.append(dict(before=old_sum or '', after=new_sum,
                         before_header=checksum_path if old_sum is not None else '/dev/null', after_header=checksum_path))
    return dict(changed=build_changed or sum_changed, checksum_file=checksum_path, build_json=build_json_path,
                files=files, reused=reused, diff=diff)
