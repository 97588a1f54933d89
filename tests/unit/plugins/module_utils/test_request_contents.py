# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The request's content check option, ``contents: {absent: report|error}`` (request_model.py)."""

from __future__ import annotations

from ansible_collections.ondemand.fedora_build.plugins.module_utils import request_model
from ansible_collections.ondemand.fedora_build.plugins.module_utils.request import validate_request

DEFAULTS = {'staging': [{'type': 'local', 'path': '/srv/staging'}]}
BASE = {'image_type': 'boot', 'release': 41, 'arch': 'x86_64'}


def norm(**fields):
    out, problems = validate_request(dict(BASE, **fields), DEFAULTS)
    assert problems == []
    return out


def test_the_default_is_left_out_so_request_ids_stay_as_they_were():
    plain = norm()
    assert 'contents' not in plain
    assert norm(contents={'absent': 'report'}) == plain
    assert norm(contents={}) == plain


def test_absent_error_is_kept_and_is_another_request():
    strict = norm(contents={'absent': 'error'})
    assert strict['contents'] == {'absent': 'error'}
    assert strict['request_id'] != norm()['request_id']


def test_a_bad_option_is_one_sentence_per_problem():
    out, problems = validate_request(dict(BASE, contents={'absent': 'maybe', 'shadowed': 'ok'}), DEFAULTS)
    assert out is None
    assert sorted(problems) == ["request.contents.absent: 'maybe' is not one of report, error.",
                                'request.contents.shadowed: unknown field; known fields are absent.']
    out, problems = validate_request(dict(BASE, contents='error'), DEFAULTS)
    assert problems == ["request.contents: must be a mapping with the fields absent (got a string)."]


def test_the_model_declares_it_with_the_checks_policies():
    from ansible_collections.ondemand.fedora_build.plugins.module_utils import content_check
    assert request_model.field('contents.absent')['choices'] == list(content_check.ABSENT_POLICIES)
