# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The status record of a request, ``<status_dir>/<request_id>.json`` (docs/pipeline.md, "Status record").

Written by the ``build_status`` module on the controller at each change (its
action plugin calls :func:`run` in the controller's own process) and read by the CLI through :func:`read_status`. Two playbook runs may update the
same record at once, so every update is a read-modify-write under an
exclusive ``flock`` on the sidecar ``<status_dir>/.<request_id>.lock``,
written to a temporary name and renamed.

Timestamps are UTC ISO-8601 (``2026-11-26T14:05:00Z``):

- ``submitted``: when the record is created, and again when a finished request
  is queued anew (``started``, ``finished`` and ``reason`` are then cleared);
- ``updated``: every write that changes the record;
- ``started``: when the state becomes ``running`` (from any other state);
- ``finished``: when the state becomes ``succeeded``, ``failed`` or ``cancelled``.

A history entry ``{time, state, phase}`` is appended when the record is
created and whenever the state or the phase changes. ``succeeded`` without a
phase moves the phase to ``done``; ``failed`` and ``cancelled`` keep the phase
they stopped in. ``reason`` is cleared when the state changes and no reason
is given.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import time

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils.fileutil import atomic_write, read_text
from ansible_collections.ondemand.fedora_build.plugins.module_utils.validate import check_name

REQUEST_ID_RE = re.compile(r'^rq-[0-9a-f]{12}$')
STATES = ('queued', 'running', 'succeeded', 'failed', 'cancelled')
TERMINAL = ('succeeded', 'failed', 'cancelled')
PHASES = ('queued', 'lock', 'preflight', 'side_repo', 'kickstart', 'build', 'contents', 'checksum', 'staging', 'notify',
          'done')
# Key order of docs/pipeline.md; fields beyond these follow in sorted order.
KEYS = ('request_id', 'build_id', 'state', 'phase', 'reason', 'image_type', 'release', 'arch', 'name', 'node',
        'submitted', 'updated', 'started', 'finished', 'staging', 'artifacts', 'history')
MANAGED = ('request_id', 'state', 'phase', 'reason', 'submitted', 'updated', 'started', 'finished', 'history')
LIST_FIELDS = ('staging', 'artifacts')
FIELD_RE = re.compile(r'^[a-z][a-z0-9_]{0,63}$')
# The module's options, shared with the action plugin that runs it in the controller's process.
ARGUMENT_SPEC = dict(
    status_dir=dict(type='path', required=True),
    request_id=dict(type='str', required=True),
    state=dict(type='str', choices=list(STATES)),
    phase=dict(type='str', choices=list(PHASES)),
    reason=dict(type='str'),
    fields=dict(type='dict', default={}),
)


def utc_now():
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())


def record_path(status_dir, request_id):
    return os.path.join(status_dir, '%s.json' % request_id)


def check_request_id(request_id):
    if not isinstance(request_id, str) or not REQUEST_ID_RE.match(request_id):
        raise FedoraBuildError('request_id: %r is not a request ID (rq- followed by 12 lowercase hex digits).' % (request_id,))
    return request_id


def check_fields(fields):
    if fields is None:
        return {}
    if not isinstance(fields, dict):
        raise FedoraBuildError('fields: must be a dict of record fields (build_id, node, staging, artifacts, ...).')
    for key, value in fields.items():
        if key in MANAGED:
            raise FedoraBuildError('fields.%s: is kept by the module; set it with the %s option or let the module keep it.'
                                   % (key, key if key in ('state', 'phase', 'reason') else 'state'))
        if not isinstance(key, str) or not FIELD_RE.match(key):
            raise FedoraBuildError('fields: %r is not a field name (lowercase letters, digits, "_").' % (key,))
        if key in LIST_FIELDS and value is not None and not isinstance(value, list):
            raise FedoraBuildError('fields.%s: must be a list.' % key)
        if key == 'build_id' and value is not None:
            check_name(value, 'fields.build_id')  # the CLI finds staged builds by it
    try:
        json.dumps(fields)
    except (TypeError, ValueError) as err:
        raise FedoraBuildError('fields: cannot be written as JSON (%s).' % err)
    return fields


def new_record(request_id):
    record = dict((key, None) for key in KEYS)
    record.update(request_id=request_id, staging=[], artifacts=[], history=[])
    return record


def ordered(record):
    out = dict((key, record.get(key)) for key in KEYS)
    for key in sorted(k for k in record if k not in KEYS):
        out[key] = record[key]
    return out


def render(record):
    return json.dumps(ordered(record), indent=2, ensure_ascii=False) + '\n'


def apply_update(old, request_id, state=None, phase=None, reason=None, fields=None, now=None):
    """Return the updated record (a new dict) from the old one (or None)."""
    now = now or utc_now()
    created = old is None
    record = new_record(request_id) if created else dict(old)
    record['history'] = list(record.get('history') or [])
    before_state, before_phase = record.get('state'), record.get('phase')
    record.update(fields or {})

    new_state = state or before_state or 'queued'
    new_phase = phase
    if new_phase is None:
        if new_state == 'succeeded' and new_state != before_state:
            new_phase = 'done'
        elif new_state == 'queued' and (created or before_state in TERMINAL):
            new_phase = 'queued'
        else:
            new_phase = before_phase or 'queued'
    state_changed = new_state != before_state
    if created:
        record['submitted'] = now
    elif state_changed and new_state == 'queued' and before_state in TERMINAL:
        record.update(submitted=now, started=None, finished=None)
    if state_changed and new_state == 'running':
        record.update(started=now, finished=None)
    if state_changed and new_state in TERMINAL:
        record['finished'] = now
    if reason is not None:
        record['reason'] = reason
    elif state_changed:
        record['reason'] = None
    record['state'], record['phase'] = new_state, new_phase
    if created or state_changed or new_phase != before_phase:
        record['history'].append(dict(time=now, state=new_state, phase=new_phase))
    if created or _content(record) != _content(old):
        record['updated'] = now
    return record


def _content(record):
    return None if record is None else json.dumps(dict((k, v) for k, v in record.items() if k != 'updated'), sort_keys=True)


def _load(path):
    text = read_text(path)
    if text is None:
        return None
    try:
        record = json.loads(text)
    except ValueError:
        raise FedoraBuildError('status_dir: the status record %s is not valid JSON; remove or repair it.' % path)
    if not isinstance(record, dict):
        raise FedoraBuildError('status_dir: the status record %s is not a JSON object; remove or repair it.' % path)
    return record


def _validate(state, phase, reason):
    if state is not None and state not in STATES:
        raise FedoraBuildError('state: %r is not one of %s.' % (state, ', '.join(STATES)))
    if phase is not None and phase not in PHASES:
        raise FedoraBuildError('phase: %r is not one of %s.' % (phase, ', '.join(PHASES)))
    if reason is not None and not isinstance(reason, str):
        raise FedoraBuildError('reason: must be a string.')


def _ensure_dir(status_dir):
    try:
        os.makedirs(status_dir, 0o755)
    except OSError as err:
        if err.errno != errno.EEXIST:
            raise FedoraBuildError('status_dir: cannot create %s: %s.' % (status_dir, err.strerror))
    if not os.path.isdir(status_dir):
        raise FedoraBuildError('status_dir: %s is not a directory.' % status_dir)


def update_status(status_dir, request_id, state=None, phase=None, reason=None, fields=None, check_mode=False, now=None):
    """Create or update a status record; return dict(changed, record, path, before, after)."""
    if not status_dir or not os.path.isabs(status_dir):
        raise FedoraBuildError('status_dir: %r is not an absolute path.' % (status_dir,))
    check_request_id(request_id)
    _validate(state, phase, reason)
    fields = check_fields(fields)
    path = record_path(status_dir, request_id)
    if check_mode:
        old = _load(path) if os.path.isdir(status_dir) else None
        return _outcome(path, old, apply_update(old, request_id, state, phase, reason, fields, now))
    _ensure_dir(status_dir)
    lock = os.path.join(status_dir, '.%s.lock' % request_id)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        old = _load(path)
        record = apply_update(old, request_id, state, phase, reason, fields, now)
        result = _outcome(path, old, record)
        if result['changed']:
            atomic_write(path, result['after'], mode=0o644)
        return result
    finally:
        os.close(fd)


def _outcome(path, old, record):
    before = render(old) if old is not None else ''
    after = render(record)
    return dict(changed=before != after, record=ordered(record), path=path, before=before, after=after)


def read_status(status_dir):
    """Every status record in status_dir, oldest update first (unreadable files are skipped)."""
    records = []
    try:
        names = os.listdir(status_dir)
    except OSError:
        return records
    for name in names:
        if not name.endswith('.json') or not REQUEST_ID_RE.match(name[:-5]):
            continue
        text = read_text(os.path.join(status_dir, name))
        try:
            record = json.loads(text) if text else None
        except ValueError:
            continue
        if isinstance(record, dict) and record.get('request_id') == name[:-5]:
            records.append(record)
    return sorted(records, key=lambda r: (str(r.get('updated') or ''), r['request_id']))


def run(params, check_mode=False, diff=False):
    """One build_status task: update the record; returns the module result (raises FedoraBuildError, OSError)."""
    result = update_status(params['status_dir'], params['request_id'], state=params['state'], phase=params['phase'],
                           reason=params['reason'], fields=params['fields'], check_mode=check_mode)
    before, after = result.pop('before'), result.pop('after')
    if diff and result['changed']:
        result['diff'] = dict(before=before, after=after, before_header=result['path'], after_header=result['path'])
    return result
