# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Request -> builder module arguments (module_utils/builder_args.py, the build role's builder_args filter)."""

from __future__ import annotations

import pytest

from ansible_collections.ondemand.fedora_build.plugins.module_utils import backend_registry, builder_args, request_builder
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError

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
    got = args(request('dvd', backend='pungi', kickstart='/etc/shadow', name='Spin'), kickstart='/w/rq-1/ks/dvd.ks')
    assert got == dict(FIXED, name='Spin', version='41', arch='x86_64', timeout=14400, kickstart='/w/rq-1/ks/dvd.ks',
                       backend='pungi')


def test_dvd_backend_follows_the_release_and_pungi_koji_gets_the_side_repo_first_then_the_release_repos():
    baseurls = {'resolved': RESOLVED[:1]}
    got = args(dict(request('dvd', name='Spin'), repos=baseurls), kickstart='/w/rq-1/ks/dvd.ks',
               side={'repo_path': '/w/rq-1/side/repo'})
    assert got == dict(FIXED, name='Spin', version='41', arch='x86_64', timeout=14400, kickstart='/w/rq-1/ks/dvd.ks',
                       backend='pungi-koji', repos=[{'name': 'koji-side', 'baseurl': 'file:///w/rq-1/side/repo'},
                                                    {'name': 'fedora', 'baseurl': 'http://m/releases/41/x86_64/os/'}])
    old = dict(request('dvd'), release='31')
    assert args(old, kickstart='/w/rq-1/ks/dvd.ks')['backend'] == 'pungi'
    rawhide = dict(request('dvd'), release='rawhide', repos=baseurls)
    assert args(rawhide, kickstart='/w/rq-1/ks/dvd.ks')['backend'] == 'pungi-koji'
    # metalinks and mirrorlists cannot go into pungi's pkgset_repos: refused, not silently left out
    err = pytest.raises(FedoraBuildError, args, request('dvd'))
    assert err.value.msg.startswith('repos.source: backend pungi-koji takes its package set from repository URLs')


def test_kiwi_gets_the_side_repo_first_and_preferred_then_the_distribution():
    got = args(request('live', backend='kiwi', description='fedora', profiles=['Live']),
               side={'repo_path': '/w/rq-1/side/repo'}, default_timeout=7200,
               operator={'kiwi_descriptions': {'fedora': '/srv/kiwi/fedora'}})
    assert got == dict(FIXED, arch='x86_64', timeout=7200, backend='kiwi', profiles=['Live'],
                       description='/srv/kiwi/fedora', add_repos=[
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


# --- builder options that name node files are the operator's --------------------------------------------------

def test_a_request_never_sets_a_node_file_option_the_operator_does():
    """lorax runs add_templates as root: a request naming its own kickstart there must not reach the module."""
    req = request('boot', add_templates=['/w/rq-1/ks/live.ks'], config='/etc/shadow', volid='QA')
    got = args(req)
    assert not {'add_templates', 'config'} & set(got) and got['volid'] == 'QA'
    got = args(req, operator={'builder_paths': {'add_templates': ['/srv/lorax/site.tmpl'],
                                                'boot': {'config': '/etc/lorax/site.conf'},
                                                'dvd': {'lorax_conf': '/srv/pungi-lorax.conf'}}})
    assert got['add_templates'] == ['/srv/lorax/site.tmpl'] and got['config'] == '/etc/lorax/site.conf'
    assert 'lorax_conf' not in got  # pungi's option, not lorax's
    dvd = args(request('dvd', backend='pungi', lorax_conf='/w/rq-1/x'), kickstart='/w/rq-1/ks/dvd.ks',
               operator={'builder_paths': {'lorax_conf': '/srv/pungi-lorax.conf', 'config': '/etc/lorax/x.conf'}})
    assert dvd['lorax_conf'] == '/srv/pungi-lorax.conf' and 'config' not in dvd


def test_the_image_types_own_value_wins_and_unknown_operator_options_are_one_sentence():
    got = args(request('boot'), operator={'builder_paths': {'sharedir': '/a', 'boot': {'sharedir': '/b'}}})
    assert got['sharedir'] == '/b'
    err = pytest.raises(FedoraBuildError, args, request('boot'), operator={'builder_paths': {'volid': 'X'}})
    assert err.value.msg.startswith('fedora_build_builder_paths.volid: is not a builder option that names a node file')
    err = pytest.raises(FedoraBuildError, args, request('boot'), operator={'builder_paths': {'boot': {'lorax_conf': '/x'}}})
    assert err.value.msg.startswith('fedora_build_builder_paths.boot.lorax_conf: is not a builder option of boot')


def test_kiwi_description_is_the_operators_directory_by_name():
    operator = {'kiwi_descriptions': {'fedora': '/srv/kiwi/fedora', 'lab': '/srv/kiwi/lab'}}
    assert args(request('live', backend='kiwi', description='lab'), operator=operator)['description'] == '/srv/kiwi/lab'
    err = pytest.raises(FedoraBuildError, args, request('live', backend='kiwi', description='/etc'), operator=operator)
    assert err.value.msg == ("builder.description: '/etc' is not one of the operator's kiwi descriptions "
                             '(known: fedora, lab).')
    err = pytest.raises(FedoraBuildError, args, request('live', backend='kiwi', description='fedora'))
    assert err.value.msg.endswith('(known: none; the operator sets fedora_build_kiwi_descriptions).')


def test_every_request_builder_option_is_a_backend_option_and_none_names_a_node_file():
    """The request's builder options are the registry's request_options minus the operator's node-file options."""
    path_typed = set()
    for backend in backend_registry.BACKENDS:
        path_typed |= set(k for k, v in backend.argument_spec.items() if 'path' in (v.get('type'), v.get('elements')))
    operator = set(k for keys in request_builder.OPERATOR_OPTIONS.values() for k in keys)
    for image_type, options in request_builder.BUILDER_OPTIONS.items():
        offered = set()
        for backend in backend_registry.BACKENDS:
            if backend.image_type == image_type:
                offered |= set(builder_args.request_options(backend))
        for key, spec in options.items():
            if key in builder_args.NOT_MODULE_OPTIONS:
                continue
            assert key in offered, "%s builder.%s is in no backend's request options" % (image_type, key)
            assert 'path' not in (spec['type'], spec.get('elements')), '%s builder.%s is a path' % (image_type, key)
            assert key not in path_typed or key == 'description', '%s builder.%s names a node file' % (image_type, key)
            assert key not in operator, '%s builder.%s is the operator\'s' % (image_type, key)
    # every path-typed option a backend would offer a request is the operator's, kiwi's description (a name),
    # or a cache directory (the module's default; nothing sets it)
    for backend in backend_registry.BACKENDS:
        for key in builder_args.request_options(backend):
            spec = backend.argument_spec[key]
            if 'path' in (spec.get('type'), spec.get('elements')):
                assert key in operator | {'description', 'cachedir', 'shared_cache_dir'}, (backend.name, key)
