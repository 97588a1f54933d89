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

Trust rules: the final ``<build_id>`` directory is only ever created by a
rename *after* verification, so a re-run trusts a final directory whose
``CHECKSUM`` equals ours byte for byte with every size matching, without
hashing multi-GB images again (``verify_existing`` forces a full re-hash).
A file in the partial directory (left by an interrupted run) counts only
when its sha256 is the one CHECKSUM lists, hashed on the target (read back
over FTP): never on its size alone. Nothing is written through a symbolic
link staging did not make (see common.open_dir and the SSH scripts).

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
* same machine: a copy that hashes while it writes (a reflink where the
  filesystem has them, then hashed once); never a hard link, so staged files
  get their own mode (0644) whatever the build tree's;
* FTP: STOR in blocks, then a streamed read-back (RETR) hashed block by block.
"""

from __future__ import annotations

import os
import socket
import time

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils.staging.common import (
    CHECKSUM_NAME, CIPHERS, LocalSource, check_abs_path, checksum_entry, parse_checksum, plan)
from ansible_collections.ondemand.fedora_build.plugins.module_utils.staging.ftp import FtpTarget
from ansible_collections.ondemand.fedora_build.plugins.module_utils.staging.local import LocalTarget
from ansible_collections.ondemand.fedora_build.plugins.module_utils.staging.pull import SshSource
from ansible_collections.ondemand.fedora_build.plugins.module_utils.staging.ssh import SshConnection, SshTarget
from ansible_collections.ondemand.fedora_build.plugins.module_utils.validate import check_name

# --------------------------------------------------------------------------- the registry

# One line per target type. A target class implements the interface of common.Target (it reads either source: the
# tree where the module runs, common.LocalSource, or a node's tree over SSH, pull.SshSource); its class attribute
# REQUIRED says what the module's argument spec needs.
# A new transport = one file with its class, one line here (docs/extending.md).
TARGETS = {
    'local': LocalTarget,
    'ssh': SshTarget,
    'ftp': FtpTarget,
}
TARGET_TYPES = list(TARGETS)


def target_required_if():
    """The ``required_if`` rules of the module's ``target`` option, from the registry."""
    return [('type', kind, tuple(cls.REQUIRED)) for kind, cls in TARGETS.items() if cls.REQUIRED]


def make_target(spec, source, connect_timeout, timeout):
    if not isinstance(spec, dict):
        raise FedoraBuildError('target: must be a dict with a type (%s).' % ', '.join(TARGET_TYPES))
    cls = TARGETS.get(spec.get('type'))
    if cls is None:
        raise FedoraBuildError('target.type: %r is not one of %s.' % (spec.get('type'), ', '.join(TARGET_TYPES)))
    return cls(spec, source, connect_timeout, timeout)


def restore_latest(target, build_id, latest, previous, check_mode, started):
    """Undo this build's move of the pointer ``latest``: back to ``previous`` ('' removes it).

    Only while the pointer still names ``build_id``: a pointer another build moved since is left alone.
    Nothing is transferred; the source is not read.
    """
    if not latest:
        raise FedoraBuildError('restore_latest: needs latest, the pointer to put back.')
    if previous:
        check_name(previous, 'restore_latest')
    state = target.inspect(build_id, latest, [])
    result = {'changed': False, 'build_id': build_id, 'target_url': target.url_base.rstrip('/') + '/' + build_id,
              'path': target.path.rstrip('/') + '/' + build_id, 'target_type': target.kind, 'bytes_transferred': 0,
              'bytes_to_transfer': 0, 'skipped_files': [], 'would_transfer': [], 'files': [], 'already_staged': False,
              'diff': {},
              'latest': {'name': latest, 'build_id': state.latest, 'previous': state.latest, 'changed': False}}
    if state.latest == build_id and previous != build_id:
        result['changed'] = True
        result['latest'].update(build_id=previous or None, changed=True)
        result['diff'] = {'before_header': latest, 'after_header': latest, 'before': build_id + '\n',
                          'after': previous + '\n' if previous else ''}
        if not check_mode:
            if previous:
                target.set_latest(latest, previous)
            else:
                target.clear_latest(latest)
    result['seconds'] = round(time.monotonic() - started, 3)
    return result


def verify_staged(target, build_id, started):
    """The staged ``<build_id>`` on the target checked in place against its own CHECKSUM, every file hashed.

    The answer, never a failure: ``already_staged`` when every listed file is there with its size and sha256;
    otherwise ``would_transfer`` names what is missing or differs (CHECKSUM itself when it is missing or unreadable as
    a CHECKSUM). A target that cannot be read (a connection, a permission, a link) fails as staging would.
    """
    state = target.inspect(build_id, None, [])
    entries = []
    bad = []
    if state.final_checksum is None:
        bad.append(CHECKSUM_NAME)
    else:
        try:
            entries = parse_checksum(state.final_checksum, '%s/CHECKSUM' % build_id)
        except FedoraBuildError:
            bad.append(CHECKSUM_NAME)
    if entries and any(e.relpath not in state.final_sizes for e in entries):
        # a target that lists only what it is asked about (ftp) is asked again, about these files
        state = target.inspect(build_id, None, entries + [checksum_entry(state.final_checksum)])
    for entry in entries:
        size = state.final_sizes.get(entry.relpath)
        if size is None or (entry.size is not None and size != entry.size):
            bad.append(entry.relpath)
            continue
        size, digest = target.hash_final(build_id, entry.relpath)
        if size != (entry.size if entry.size is not None else size) or digest != entry.sha256:
            bad.append(entry.relpath)
    return {
        'changed': False, 'build_id': build_id, 'target_url': target.url_base.rstrip('/') + '/' + build_id,
        'path': target.path.rstrip('/') + '/' + build_id, 'target_type': target.kind, 'bytes_transferred': 0,
        'bytes_to_transfer': sum(e.size or 0 for e in entries if e.relpath in bad), 'skipped_files': [],
        'would_transfer': bad, 'already_staged': not bad, 'latest': None, 'diff': {},
        'files': [e.as_dict(False) for e in entries], 'seconds': round(time.monotonic() - started, 3),
    }


def holds_images(checksum):
    """Whether a staged CHECKSUM (bytes or None) is a built tree's: it names files under ``output/`` (a failed
    build's tree holds logs, its kickstart and build.json only)."""
    if not checksum:
        return False
    try:
        entries = parse_checksum(checksum, 'CHECKSUM')
    except FedoraBuildError:
        return False
    return any(entry.relpath.startswith('output/') for entry in entries)


def stage(params, check_mode=False):
    """Stage one build tree; returns the result dict (changed, files, bytes_transferred, ...).

    Without ``src`` (check mode with ``verify_existing`` only): check the staged build in place (verify_staged).
    """
    build_id = check_name(params.get('build_id'), 'build_id')
    if params.get('src') is None:
        if not (check_mode and params.get('verify_existing')) or params.get('src_host') or params.get('latest') \
                or params.get('restore_latest') is not None:
            raise FedoraBuildError('src: required, except to check a staged build in place (check mode with '
                                   'verify_existing, without latest, restore_latest and src_host).')
        started = time.monotonic()
        target = make_target(params.get('target'), None, int(params.get('connect_timeout') or 30),
                             int(params.get('timeout') or 300))
        try:
            return verify_staged(target, build_id, started)
        finally:
            target.close()
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
        if params.get('restore_latest') is not None:
            return restore_latest(target, build_id, latest, params['restore_latest'], check_mode, started)
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
        state = target.inspect(build_id, latest, entries + [checksum_entry(checksum)])
        if failed and holds_images(state.final_checksum):
            # a failed rebuild (force) of a build ID whose good build is staged: its logs never replace the images
            return {'changed': False, 'build_id': build_id, 'kept_staged': True,
                    'target_url': target.url_base.rstrip('/') + '/' + build_id,
                    'path': target.path.rstrip('/') + '/' + build_id, 'target_type': target.kind,
                    'bytes_transferred': 0, 'skipped_files': [], 'would_transfer': [], 'bytes_to_transfer': 0,
                    'already_staged': False, 'latest': None, 'diff': {}, 'files': [],
                    'seconds': round(time.monotonic() - started, 3)}
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


__all__ = ['CIPHERS', 'TARGETS', 'TARGET_TYPES', 'FedoraBuildError', 'LocalSource', 'SshConnection', 'SshSource',
           'SshTarget', 'FtpTarget', 'LocalTarget', 'make_target', 'restore_latest', 'stage', 'target_required_if']
