# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Request -> builder module arguments (module_utils/builder_args.py, the build role's builder_args filter)."""

from __future__ import annotations

import pytest

from ansible_collections.ondemand.fedora_build.plugins.module_utils import backend_registry, builder_args
from ansible_collections.ondemand.fedora_build.plugins.filter.builder_args import _builder_args

RESOLVED = [
    {'name': 'fedora', 'baseurl': 'http://m/releases/41/x86_64/os/'},
    {'name': 'updates', 'metalink': 'https://mirrors/metalink?repo=updates-released-f41&arch=x86_64'},
    {'name': 'extra', 'mirrorlist': 'https://mirrors/mirrorlist?x=1'},
]
PIPE = '/w/rq-1'
FIXED = dict(dest='/w/rq-1/tree/output', work_root='/w/rq-1/work', build_id='boot-41-x86_64-0123456789ab')


def request(image_type, **builder):
    return {'image_type': image_type, 'release': '41', 'arch': 'x86_64', 'repos': {'resolved': RESOLVED},
            'builder': builder}


def args(req, **kw):
    return builder_args.module_args(req, PIPE, FIXED['build_id'], **kw)


def test_lorax_without_side_repo_gets_the_distribution_repos_and_mirrors():
    assert args(request('boot')) == dict(
        FIXED, product='Fedora', version='41', release='41', arch='x86_64', timeout=14400,
        repos=[{'name': 'fedora', 'baseurl': 'http://m/releases/41/x86_64/os/'}],
        mirrorlists=['https://mirrors/metalink?repo=updates-released-f41&arch=x86_64', 'https://mirrors/mirrorlist?x=1'])


def test_lorax_with_side_repo_gets_its_repo_file_and_the_request_overrides_defaults_only():
    req = request('boot', product='Rawhide-QA', timeout=60, backend='lorax', volid='QA')
    got = args(req, side={'repo_file': '/w/rq-1/side/side.repo', 'repo_path': '/w/rq-1/side/repo'})
    assert got == dict(FIXED, product='Rawhide-QA', version='41', release='41', arch='x86_64', timeout=60,
                       volid='QA', repo_files=['/w/rq-1/side/side.repo'])


def test_pungi_and_lmc_get_the_prepared_kickstart_which_a_request_cannot_replace():
    got = args(request('dvd', kickstart='/etc/shadow', name='Spin'), kickstart='/w/rq-1/ks/dvd.ks')
    assert got == dict(FIXED, name='Spin', version='41', arch='x86_64', timeout=14400, kickstart='/w/rq-1/ks/dvd.ks')
    got = args(request('live'), kickstart='/w/rq-1/ks/live.ks')
    assert got == dict(FIXED, project='Fedora', releasever='41', arch='x86_64', timeout=14400,
                       backend='livemedia-creator', kickstart='/w/rq-1/ks/live.ks')


def test_kiwi_gets_the_side_repo_first_and_preferred_then_the_distribution():
    got = args(request('live', backend='kiwi', profiles=['Live']), side={'repo_path': '/w/rq-1/side/repo'},
               default_timeout=7200)
    assert got == dict(FIXED, arch='x86_64', timeout=7200, backend='kiwi', profiles=['Live'], add_repos=[
        {'source': 'file:///w/rq-1/side/repo', 'alias': 'koji-side', 'priority': 1},
        {'source': 'http://m/releases/41/x86_64/os/', 'alias': 'fedora', 'priority': 99}])


def test_pipeline_fields_always_win():
    got = args(request('boot', dest='/etc', work_root='/', build_id='x', arch='aarch64'))
    assert {k: got[k] for k in ('dest', 'work_root', 'build_id', 'arch')} == dict(FIXED, arch='x86_64')


def test_request_options_leave_out_what_the_pipeline_sets():
    lorax = builder_args.request_options(backend_registry.get('lorax'))
    assert 'volid' in lorax and not {'repo_files', 'repos', 'mirrorlists', 'dest', 'timeout'} & set(lorax)
    lmc = builder_args.request_options(backend_registry.get('livemedia-creator'))
    assert 'make' in lmc and not {'kickstart', 'side_repos'} & set(lmc)
    assert 'add_repos' not in builder_args.request_options(backend_registry.get('kiwi'))


def test_filter_names_an_unknown_backend():
    from ansible.errors import AnsibleFilterError
    with pytest.raises(AnsibleFilterError, match="builder.backend: 'nope' is not a known backend"):
        _builder_args(request('live', backend='nope'), PIPE, 'x')
