# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A request's file:// repository is a directory on the build node: only the operator's fedora_build_node_repo_dirs
(defaults.node_repo_dirs) may be named, in every request field that takes a file:// URL (issue 13)."""

from __future__ import annotations

import pytest

from ansible_collections.ondemand.fedora_build.plugins.module_utils import request_model
from ansible_collections.ondemand.fedora_build.plugins.module_utils.request import validate_request, validate_requests

STAGING = [{'type': 'local', 'path': '/srv/staging'}]
DIRS = ['/srv/node-repos', '/var/lib/fedora-build/mirror']
NONE_SET = ("a file:// repository is a directory on the build node; only the operator's fedora_build_node_repo_dirs "
            'may be named (none are set).')


def request(field, url):
    """A boot request (no kickstart) whose ``field`` (mirror or an extra repo's baseurl) is ``url``."""
    req = {'image_type': 'boot', 'release': 41, 'arch': 'x86_64'}
    if field == 'repos.mirror':
        req['repos'] = {'mirror': url}
    else:
        req['repos'] = {'presets': [], 'extra': [{'name': 'r', 'baseurl': url}]}
    return req


def validate(field, url, dirs=None):
    defaults = {'staging': STAGING}
    if dirs is not None:
        defaults['node_repo_dirs'] = dirs
    return validate_request(request(field, url), defaults)


# every request field that accepts a file:// URL (the model's own descriptions say which)
FIELDS = ('repos.mirror', 'repos.extra[0].baseurl')


def test_the_fields_are_every_request_field_that_takes_file():
    """The model names file as a scheme in exactly these request fields (a new one must be confined here too)."""
    found = []

    def walk(model, path):
        for key, field in model.items():
            where = '%s.%s' % (path, key) if path else key
            if 'C(file)' in field.get('description', '') and not field[request_model.META].get('computed'):
                found.append(where)
            if isinstance(field, dict) and field.get('options'):
                walk(field['options'], where + ('[0]' if field.get('type') == 'list' else ''))
    walk(request_model.MODEL, '')
    assert sorted(found) == sorted(FIELDS), found


@pytest.mark.parametrize('field', FIELDS)
def test_file_url_refused_without_the_setting(field):
    norm, problems = validate(field, 'file:///srv/node-repos/fedora')
    assert norm is None
    assert problems == ['request.%s: %s' % (field, NONE_SET)]


@pytest.mark.parametrize('url', [
    'file:///etc/yum.repos.d',
    'file:///srv/node-repos-evil/x',          # a sibling that shares the prefix
    'file:///srv/node-repos/../../etc',        # ".." out
    'file:///srv/node-repos/a/..',             # ".." at all
    'file:///srv/node-repos/%2e%2e/secret',    # percent-encoded ".."
    'file:///srv/node-repos/%2E%2E/secret',
    'file:///srv/node-repos/%252e%252e/x',     # escaped twice: a "%" left after decoding
    'file:///%73rv/node-repos-evil',           # escapes are decoded before the check: /srv/node-repos-evil
    'file://otherhost/srv/node-repos/x',       # a host
    'file:///srv/node-repos/x?a=b',            # a query
    'file:///srv/node-repos/x%0a',             # a newline once decoded
    'file:/srv',
    'FILE:///etc',
])
@pytest.mark.parametrize('field', FIELDS)
def test_file_url_refused_outside_the_dirs(field, url):
    norm, problems = validate(field, url, DIRS)
    assert norm is None
    assert len(problems) == 1, problems
    assert problems[0].startswith('request.%s: a file:// repository is a directory on the build node; only the '
                                  "operator's fedora_build_node_repo_dirs may be named (/srv/node-repos, "
                                  '/var/lib/fedora-build/mirror), and ' % field), problems


@pytest.mark.parametrize('url', [
    'file:///srv/node-repos',
    'file:///srv/node-repos/',
    'file:///srv/node-repos/fedora/41/',
    'file:///srv/node-repos/./fedora',
    'file:///srv/node-repos//fedora',
    'file://localhost/srv/node-repos/fedora',
    'file:///srv/node%2Drepos/fedora',     # an escape that decodes to a path inside
    'file:///var/lib/fedora-build/mirror/x',
    'FILE:///srv/node-repos/fedora',
])
@pytest.mark.parametrize('field', FIELDS)
def test_file_url_accepted_inside_the_dirs(field, url):
    norm, problems = validate(field, url, DIRS)
    assert problems == []
    if field == 'repos.mirror':
        assert norm['repos']['mirror'] == url.rstrip('/')
    else:
        assert norm['repos']['resolved'] == [{'name': 'r', 'baseurl': url}]


@pytest.mark.parametrize('field', FIELDS)
def test_other_schemes_need_no_setting(field):
    norm, problems = validate(field, 'https://mirror.example.org/fedora')
    assert problems == [] and norm is not None


def test_every_file_repo_of_a_request_is_said_and_a_batch_says_each_request():
    reqs = [request('repos.mirror', 'file:///srv/x'),
            dict(request('repos.extra[0].baseurl', 'https://ok.example/r'),
                 repos={'mirror': 'file:///srv/y', 'extra': [{'name': 'a', 'baseurl': 'file:///srv/z'}]})]
    norm, problems = validate_requests(reqs, {'staging': STAGING})
    assert norm == [None, None]
    assert problems == ['requests[0].repos.mirror: ' + NONE_SET, 'requests[1].repos.mirror: ' + NONE_SET,
                        'requests[1].repos.extra[0].baseurl: ' + NONE_SET]


@pytest.mark.parametrize('value, needle', [
    ('srv/repos', 'is not an absolute directory on the build node'),
    ('/srv/repos/../../etc', 'must not contain ".."'),
    ('/', 'is a system directory'),
    ('/srv', 'is a system directory'),
    ('/etc/yum.repos.d', 'is a system directory'),
    ('/usr/share', 'is a system directory'),
])
def test_the_setting_itself_is_checked(value, needle):
    norm, problems = validate_request(request('repos.mirror', 'https://m.example/f'),
                                      {'staging': STAGING, 'node_repo_dirs': [value]})
    assert norm is None
    assert len(problems) == 1 and problems[0].startswith('defaults.node_repo_dirs[0]: ') and needle in problems[0], problems


def test_the_setting_is_normalized_and_does_not_change_the_request_id():
    url = 'file:///srv/node-repos/fedora'
    first, problems = validate('repos.mirror', url, ['/srv/node-repos/'])
    assert problems == []
    second, problems = validate('repos.mirror', url, ['/srv/./node-repos', '/srv/other'])
    assert problems == []
    assert first['request_id'] == second['request_id']
