# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/survey.py: flat AWX survey answers -> request."""

from __future__ import annotations

import pytest

from ansible_collections.ondemand.fedora_build.plugins.module_utils import survey
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError


def test_empty_answers_are_left_out():
    assert survey.request_from_survey({'fb_name': '', 'fb_email': '  ', 'fb_repo_presets': [], 'fb_force': '',
                                       'fb_koji_tasks': None}) == {}


def test_forced_image_type_wins():
    assert survey.request_from_survey({'fb_image_type': 'dvd'}, image_type='live') == {'image_type': 'live'}


def test_lists_split_on_commas_semicolons_spaces_and_newlines():
    got = survey.request_from_survey({'fb_koji_builds': 'a-1-1,b-2-2;\n c-3-3\t4711', 'fb_koji_tasks': [12, '13 14']})
    assert got == {'koji': {'builds': ['a-1-1', 'b-2-2', 'c-3-3', '4711'], 'tasks': [12, 13, 14]}}


def test_tag_latest_groups_packages_by_tag_without_duplicates():
    got = survey.request_from_survey({'fb_koji_tag_latest': 'f41/kernel f42/x f41/dracut f41/kernel'})
    assert got == {'koji': {'tag_latest': [{'tag': 'f41', 'packages': ['kernel', 'dracut']},
                                           {'tag': 'f42', 'packages': ['x']}]}}


@pytest.mark.parametrize('value, expected', [('yes', True), ('No', False), (True, True), ('1', True), ('off', False)])
def test_bool_answers(value, expected):
    assert survey.request_from_survey({'fb_force': value}) == {'force': expected}


@pytest.mark.parametrize('answers, message', [
    ('not a dict', 'survey answers: expected a mapping'),
    ({'fb_koji_tasks': '-3'}, "fb_koji_tasks: '-3' is not a Koji task ID"),
    ({'fb_koji_tag_latest': 'a/b/c'}, "fb_koji_tag_latest: 'a/b/c' is not TAG/PACKAGE"),
    ({'fb_koji_builds': [['nested']]}, "fb_koji_builds: ['nested'] is not a word"),
    ({'fb_email': {'a': 1}}, 'fb_email: expected text'),
    ({'fb_arch': True}, 'fb_arch: expected text, got bool.'),
])
def test_bad_answers_name_the_variable(answers, message):
    with pytest.raises(FedoraBuildError) as err:
        survey.request_from_survey(answers)
    assert err.value.msg.startswith(message)


def test_batch_accepts_a_list_or_the_request_file_shape():
    batch = [{'image_type': 'boot'}]
    assert survey.requests_from_batch(batch) == batch
    assert survey.requests_from_batch({'fedora_build_requests': batch}) == batch


@pytest.mark.parametrize('data, message', [
    ([], 'fb_requests: expected a YAML list of build requests'),
    ({'image_type': 'boot'}, 'fb_requests: expected a YAML list'),
    ([{'image_type': 'boot'}, 'boot'], 'fb_requests[1]: expected a mapping'),
])
def test_batch_shape_errors(data, message):
    with pytest.raises(FedoraBuildError) as err:
        survey.requests_from_batch(data)
    assert err.value.msg.startswith(message)
