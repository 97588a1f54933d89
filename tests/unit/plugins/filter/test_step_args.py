# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The side_repo_args and stage_target filters: a normalized request -> koji_side_repo's and stage's arguments
(what side_repo.yml and stage.yml did with Jinja lists of keys and renames)."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.ondemand.fedora_build.plugins.filter.side_repo_args import _side_repo_args
from ansible_collections.ondemand.fedora_build.plugins.filter.stage_target import _stage_target
from ansible_collections.ondemand.fedora_build.plugins.module_utils.request import validate_request

RESOLVED = [{'name': 'fedora', 'baseurl': 'http://m/releases/41/x86_64/os/'}]


def koji_request(arch='x86_64', **koji):
    return {'image_type': 'boot', 'release': '41', 'arch': arch, 'repos': {'resolved': RESOLVED}, 'koji': koji}


def test_side_repo_args_renames_profile_adds_the_pipeline_paths_and_drops_what_the_module_lacks():
    args = _side_repo_args(koji_request(profile='fedora', builds=['bash-5.2-1.fc41'], multilib=True, hub_url=None,
                                        sigkeys=[''], exclude=['*-debuginfo'], timeout=30, tasks=[], tag_latest=[]),
                           '/w/rq-1', '/var/cache/fb')
    assert args == {'koji_profile': 'fedora', 'builds': ['bash-5.2-1.fc41'], 'sigkeys': [''], 'exclude': ['*-debuginfo'],
                    'timeout': 30, 'tasks': [], 'tag_latest': [], 'arches': ['x86_64', 'i686'],
                    'dest': '/w/rq-1/side-repo', 'cache_dir': '/var/cache/fb/koji', 'base_repos': RESOLVED}


def test_side_repo_args_multilib_only_on_x86_64_and_password_from_the_environment(monkeypatch):
    monkeypatch.setenv('FB_TEST_KOJI_PW', 'pw-from-env')
    args = _side_repo_args(koji_request('aarch64', hub_url='https://k/kojihub', topurl='https://k/files', multilib=True,
                                        auth='password', username='fb', password_env='FB_TEST_KOJI_PW'), '/w', '/c')
    assert args['arches'] == ['aarch64']
    assert args['password'] == 'pw-from-env' and 'password_env' not in args


def test_a_normalized_request_through_both_filters():
    settings = {'staging_targets': {'ftp': {'type': 'ftp', 'host': 'f.example.org', 'path': '/p',
                                            'password': 'ftp-pw'}},
                'koji_hubs': {'team': {'profile': 'team', 'auth': 'kerberos', 'principal': 'fb@EXAMPLE.ORG',
                                       'keytab': '/etc/fb.keytab'}}}
    norm, problems = validate_request({'image_type': 'boot', 'release': 41, 'staging': ['ftp'],
                                       'koji': {'hub': 'team', 'builds': ['a-1-1']}}, settings)
    assert problems == []
    args = _side_repo_args(norm, '/w', '/c', settings['koji_hubs'])
    assert (args['koji_profile'], args['auth'], args['principal'], args['keytab']) == (
        'team', 'kerberos', 'fb@EXAMPLE.ORG', '/etc/fb.keytab')
    assert _stage_target(norm['staging'][0], settings['staging_targets']) == {
        'type': 'ftp', 'host': 'f.example.org', 'port': 21, 'user': 'anonymous', 'path': '/p', 'tls': False,
        'password': 'ftp-pw'}
    with pytest.raises(AnsibleFilterError, match=r"^koji.hub: 'team' is not a Koji hub the operator defined"):
        _side_repo_args(norm, '/w', '/c', {})
