# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Emails and status records carry the content check: "N of M pinned builds verified in the image"."""

from __future__ import annotations

import pytest

from ansible_collections.ondemand.fedora_build.plugins.module_utils import build_status
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils.notify_text import make_body, normalize_build

BUILD = dict(request_id='rq-0123456789ab', build_id='live-41-x86_64-0123456789ab', image_type='live', release='41',
             arch='x86_64', state='succeeded',
             contents=dict(verified=3, total=4, counts=dict(installed=3, shadowed=0, absent=1), source='rpmdb',
                           packages=412, summary='3 of 4 pinned builds verified in the image', absent='report'))


def test_the_success_email_says_how_many_pinned_builds_the_image_holds():
    body = make_body('succeeded', normalize_build(BUILD))
    assert '  Contents:     3 of 4 pinned builds verified in the image\n' in body


def test_the_failure_email_of_a_shadowed_build_says_it_too():
    build = dict(BUILD, state='failed', phase='contents', reason='fbc-pin: the image holds fbc-pin-2.0-1.fc41.noarch '
                 'instead of the pinned fbc-pin-1.0-1.fc41.noarch (another version).',
                 contents=dict(BUILD['contents'], verified=0, total=1))
    body = make_body('failed', normalize_build(build))
    assert '0 of 1 pinned builds verified in the image' in body and 'instead of the pinned fbc-pin-1.0' in body


def test_no_line_before_the_check_and_a_bad_summary_is_refused():
    assert 'Contents:' not in make_body('submitted', normalize_build(dict(BUILD, contents=None)))
    with pytest.raises(FedoraBuildError, match=r'^build.contents.verified: '):
        normalize_build(dict(BUILD, contents=dict(verified='3\nBcc: x@example.org', total=4)))
    with pytest.raises(FedoraBuildError, match=r'^build.contents: must be the content check summary'):
        normalize_build(dict(BUILD, contents=['3 of 4']))


def test_contents_is_a_phase_between_the_build_and_the_checksum(tmp_path):
    phases = build_status.PHASES
    assert phases.index('build') < phases.index('contents') < phases.index('checksum')
    record = build_status.apply_update(None, 'rq-0123456789ab', state='running', phase='contents',
                                       fields=dict(contents=BUILD['contents']), now='2026-12-03T06:00:00Z')
    assert record['phase'] == 'contents' and record['contents']['verified'] == 3
