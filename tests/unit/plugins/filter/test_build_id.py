# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The build_id filter: same inputs give the same ID; changing any input that decides the build changes it."""

from __future__ import annotations

import copy
import hashlib

import pytest

from ansible_collections.ondemand.fedora_build.plugins.filter.build_id import FilterModule

build_id = FilterModule().filters()['build_id']

KS = hashlib.sha256(b'lang en_US.UTF-8\n%packages\n@core\n%end\n').hexdigest()
REQUEST = {
    'request_id': 'rq-0123456789ab', 'image_type': 'live', 'release': '41', 'arch': 'x86_64', 'name': 'kde',
    'kickstart': {'src': '/srv/ks/fedora-live-kde.ks', 'include_path': [], 'packages': [], 'exclude_packages': []},
    'koji': {'builds': ['hello-2.0-1.fc41'], 'sigkeys': ['a15b79cc']},
    'repos': {'presets': ['fedora'], 'resolved': [{'name': 'fedora', 'baseurl': 'https://dl.example.org/41/'}]},
    'builder': {'timeout': 14400},
    'force': False, 'notify': {'email': ['qa@example.org']},
    'staging': [{'type': 'local', 'path': '/srv/staging'}],
}
PACKAGES = [{'nvra': 'hello-2.0-1.fc41.x86_64', 'sha256': 'aa' * 32, 'name': 'hello'},
            {'nvra': 'hello-libs-2.0-1.fc41.x86_64', 'sha256': 'bb' * 32, 'name': 'hello-libs'}]
INPUTS = {'packages': PACKAGES, 'kickstart_sha256': KS, 'tool': 'livemedia-creator', 'tool_version': '41.3'}


def ident(request=None, **over):
    kwargs = dict(copy.deepcopy(INPUTS), **over)
    return build_id(copy.deepcopy(request or REQUEST), **kwargs)


def test_same_inputs_same_id():
    first = ident()
    assert first == ident() and first.startswith('live-41-x86_64-') and len(first.rsplit('-', 1)[1]) == 12
    # the package list's order does not matter
    assert ident(packages=list(reversed(PACKAGES))) == first


def test_a_changed_kickstart_content_gives_a_new_id():
    # same kickstart name (request.kickstart.src unchanged), other content: another sha256
    other = hashlib.sha256(b'lang de_DE.UTF-8\n%packages\n@core\n%end\n').hexdigest()
    assert ident(kickstart_sha256=other) != ident()
    assert ident(kickstart_sha256='') != ident()


@pytest.mark.parametrize('change', [
    {'packages': [dict(PACKAGES[0], sha256='cc' * 32), PACKAGES[1]]},            # same NVRA, another file
    {'packages': [dict(PACKAGES[0], nvra='hello-2.0-2.fc41.x86_64'), PACKAGES[1]]},
    {'packages': PACKAGES[:1]},
    {'packages': []},
    {'tool': 'kiwi-ng'},
    {'tool_version': '41.4'},
    {'tool_version': None},
], ids=['package-sha256', 'package-nvra', 'package-dropped', 'no-packages', 'tool', 'tool-version', 'no-tool-version'])
def test_each_resolved_input_changes_the_id(change):
    assert ident(**change) != ident()


@pytest.mark.parametrize('path,value', [
    (('image_type',), 'dvd'), (('release',), '42'), (('arch',), 'aarch64'), (('name',), 'kde2'),
    (('kickstart', 'src'), '/srv/ks/other.ks'), (('kickstart', 'packages'), ['vim']),
    (('koji', 'builds'), ['hello-2.0-2.fc41']), (('koji', 'sigkeys'), []),
    (('repos', 'resolved'), [{'name': 'fedora', 'baseurl': 'https://other.example.org/41/'}]),
    (('builder', 'timeout'), 600),
])
def test_each_request_field_that_decides_the_build_changes_the_id(path, value):
    request = copy.deepcopy(REQUEST)
    target = request
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert ident(request) != ident()


@pytest.mark.parametrize('key,value', [
    ('force', True), ('notify', {'email': ['other@example.org']}),
    ('staging', [{'type': 'local', 'path': '/elsewhere'}]), ('request_id', 'rq-ba9876543210'),
])
def test_fields_that_do_not_decide_the_build_keep_the_id(key, value):
    assert ident(dict(REQUEST, **{key: value})) == ident()
