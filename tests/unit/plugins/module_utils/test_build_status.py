# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""build_status: the status record's life cycle, locking and the reader."""

from __future__ import annotations

import json
import multiprocessing
import os

import pytest

from ansible_collections.ondemand.fedora_build.plugins.module_utils import build_status as bs
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError

RQ = 'rq-0123456789ab'
DOC_KEYS = ['request_id', 'build_id', 'state', 'phase', 'reason', 'image_type', 'release', 'arch', 'name', 'node',
            'submitted', 'updated', 'started', 'finished', 'staging', 'artifacts', 'history']


def update(status_dir, now, **kw):
    return bs.update_status(str(status_dir), kw.pop('request_id', RQ), now=now, **kw)


def on_disk(status_dir, rq=RQ):
    return json.loads((status_dir / ('%s.json' % rq)).read_text())


def test_life_of_a_request(tmp_path):
    sd = tmp_path / 'status'
    res = update(sd, 'T1', state='queued', fields={'image_type': 'live', 'release': '41', 'arch': 'x86_64',
                                                   'name': 'workstation'})
    assert res['changed'] is True
    rec = on_disk(sd)
    assert list(rec) == DOC_KEYS
    assert rec['state'] == 'queued' and rec['phase'] == 'queued' and rec['reason'] is None
    assert rec['submitted'] == rec['updated'] == 'T1' and rec['started'] is None and rec['finished'] is None
    assert rec['staging'] == [] and rec['artifacts'] == [] and rec['history'] == [{'time': 'T1', 'state': 'queued', 'phase': 'queued'}]
    assert oct(sd.stat().st_mode & 0o777) == '0o755' and oct((sd / (RQ + '.json')).stat().st_mode & 0o777) == '0o644'

    update(sd, 'T2', state='running', phase='lock', fields={'node': 'build-x86-01'})
    update(sd, 'T3', phase='build', fields={'build_id': 'live-41-x86_64-aaaaaaaaaaaa'})
    rec = on_disk(sd)
    assert rec['state'] == 'running' and rec['phase'] == 'build' and rec['started'] == 'T2' and rec['node'] == 'build-x86-01'
    # the same update again: nothing changes, not even "updated"
    res = update(sd, 'T4', phase='build', fields={'build_id': 'live-41-x86_64-aaaaaaaaaaaa'})
    assert res['changed'] is False and on_disk(sd)['updated'] == 'T3'
    # a field-only change moves "updated" but adds no history
    update(sd, 'T5', fields={'staging': ['file:///srv/staging/live-41-x86_64-aaaaaaaaaaaa']})
    assert on_disk(sd)['updated'] == 'T5' and len(on_disk(sd)['history']) == 3

    res = update(sd, 'T6', state='succeeded', fields={'artifacts': [{'name': 'x.iso', 'size': 3, 'sha256': 'a' * 64}]})
    rec = on_disk(sd)
    assert rec == res['record']
    assert rec['phase'] == 'done' and rec['finished'] == 'T6' and rec['started'] == 'T2' and rec['submitted'] == 'T1'
    assert [(h['time'], h['state'], h['phase']) for h in rec['history']] == [
        ('T1', 'queued', 'queued'), ('T2', 'running', 'lock'), ('T3', 'running', 'build'), ('T6', 'succeeded', 'done')]


def test_failure_keeps_its_phase_and_a_new_submission_resets(tmp_path):
    update(tmp_path, 'T1', state='queued')
    update(tmp_path, 'T2', state='running', phase='staging')
    update(tmp_path, 'T3', state='failed', reason='sftp://stage.example.org: permission denied.')
    rec = on_disk(tmp_path)
    assert rec['state'] == 'failed' and rec['phase'] == 'staging' and rec['reason'].startswith('sftp://')
    assert rec['finished'] == 'T3'
    update(tmp_path, 'T4', state='queued')
    rec = on_disk(tmp_path)
    assert rec['phase'] == 'queued' and rec['submitted'] == 'T4' and rec['started'] is None
    assert rec['finished'] is None and rec['reason'] is None and len(rec['history']) == 4


def test_first_write_may_skip_queued_and_default_state_is_queued(tmp_path):
    rec = update(tmp_path, 'T1', phase='lock')['record']
    assert rec['state'] == 'queued' and rec['phase'] == 'lock'
    rec = update(tmp_path, 'T1', state='running', request_id='rq-bbbbbbbbbbbb')['record']
    assert rec['submitted'] == rec['started'] == 'T1'


def test_extra_fields_are_kept_in_sorted_order_after_the_documented_keys(tmp_path):
    rec = update(tmp_path, 'T1', fields={'zeta': 1, 'alpha': {'x': 1}})['record']
    assert list(rec) == DOC_KEYS + ['alpha', 'zeta']
    assert list(on_disk(tmp_path)) == DOC_KEYS + ['alpha', 'zeta']


def test_check_mode_returns_the_would_be_record_and_writes_nothing(tmp_path):
    sd = tmp_path / 'status'
    res = update(sd, 'T1', state='queued', check_mode=True)
    assert res['changed'] is True and res['record']['state'] == 'queued' and res['before'] == ''
    assert not sd.exists()
    update(sd, 'T1', state='queued')
    res = update(sd, 'T2', state='running', phase='lock', check_mode=True)
    assert res['changed'] is True and res['record']['started'] == 'T2'
    assert on_disk(sd)['state'] == 'queued'
    assert json.loads(res['before'])['state'] == 'queued' and json.loads(res['after'])['state'] == 'running'


@pytest.mark.parametrize('rq', ['rq-0123', '../etc/passwd', 'rq-0123456789AB', 'rq-0123456789ab/x', 'rq-0123456789abc'])
def test_request_id_must_be_safe(tmp_path, rq):
    with pytest.raises(FedoraBuildError) as err:
        update(tmp_path, 'T1', request_id=rq)
    assert err.value.msg == 'request_id: %r is not a request ID (rq- followed by 12 lowercase hex digits).' % rq
    assert os.listdir(str(tmp_path)) == []


@pytest.mark.parametrize('kw,needle', [
    ({'state': 'done'}, "state: 'done' is not one of queued, running"),
    ({'phase': 'bake'}, "phase: 'bake' is not one of queued, lock"),
    ({'fields': {'state': 'running'}}, 'fields.state: is kept by the module; set it with the state option'),
    ({'fields': {'history': []}}, 'fields.history: is kept by the module'),
    ({'fields': {'Bad-Key': 1}}, "fields: 'Bad-Key' is not a field name"),
    ({'fields': {'staging': 'file:///x'}}, 'fields.staging: must be a list.'),
])
def test_bad_input(tmp_path, kw, needle):
    with pytest.raises(FedoraBuildError) as err:
        update(tmp_path, 'T1', **kw)
    assert needle in err.value.msg


def test_corrupt_record_is_reported(tmp_path):
    (tmp_path / (RQ + '.json')).write_text('{not json')
    with pytest.raises(FedoraBuildError, match='is not valid JSON; remove or repair it.'):
        update(tmp_path, 'T1', state='running')


def _hammer(args):
    status_dir, i = args
    bs.update_status(status_dir, RQ, fields={'w%02d' % i: i})
    return i


def test_concurrent_updates_lose_nothing(tmp_path):
    update(tmp_path, 'T0', state='queued')
    with multiprocessing.get_context('fork').Pool(8) as pool:
        assert sorted(pool.map(_hammer, [(str(tmp_path), i) for i in range(40)])) == list(range(40))
    rec = on_disk(tmp_path)
    assert all(rec['w%02d' % i] == i for i in range(40)), 'an update was lost: read-modify-write is not locked'
    assert sorted(os.listdir(str(tmp_path))) == ['.%s.lock' % RQ, RQ + '.json']


def test_read_status_sorted_by_updated_and_skips_junk(tmp_path):
    update(tmp_path, '2026-11-26T14:00:03Z', request_id='rq-aaaaaaaaaaaa')
    update(tmp_path, '2026-11-26T14:00:01Z', request_id='rq-bbbbbbbbbbbb')
    update(tmp_path, '2026-11-26T14:00:02Z', request_id='rq-cccccccccccc')
    (tmp_path / 'rq-dddddddddddd.json').write_text('{broken')
    (tmp_path / 'notes.json').write_text('{}')
    assert [r['request_id'] for r in bs.read_status(str(tmp_path))] == ['rq-bbbbbbbbbbbb', 'rq-cccccccccccc', 'rq-aaaaaaaaaaaa']
    assert bs.read_status(str(tmp_path / 'missing')) == []


def test_real_timestamps_are_utc_iso8601(tmp_path):
    rec = bs.update_status(str(tmp_path), RQ, state='running')['record']
    assert len(rec['submitted']) == 20 and rec['submitted'].endswith('Z') and rec['submitted'][10] == 'T'
