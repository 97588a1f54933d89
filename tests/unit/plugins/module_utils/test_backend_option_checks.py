# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One validator decides: a request's builder options are checked up front with the backend's own checks.

Each backend declares the checks of the options a request may set (``Backend.option_checks``, in its own
module_utils file); the request validator and the backend's ``Tool.validate`` run the same functions, so the
sentences are the same (the request's starts with ``request.builder.<option>``).

1. Each value a backend refused only in its module (after the slot, side repo and kickstart phases ran) is refused
   by ``validate_request`` with one sentence naming the field, the module's sentence behind the field path.
2. Property (random, fixed seeds; hypothesis is not installed): for every backend, builder options generated from
   its request options (``request_builder.backend_options``: type, choices) with usual and edge values; whatever
   ``validate_request`` accepts, the builder module accepts too: the arguments ``builder_args.module_args`` derives
   (what the ``builder_args`` filter gives the module), its argument spec, its backend-option check, the backend's
   ``Tool.validate`` and ``builders.check_inputs``. Node facts (the kickstart, the kiwi description and its
   kiwi_file, mkfs.hfsplus) are made present: they are not the request's.
"""

from __future__ import annotations

import copy
import os
import random

import pytest

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.ondemand.fedora_build.plugins.module_utils import (
    backend_registry, builder_args, builders, lmc, request_builder)
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils.request import validate_request

KS_DIR = os.path.realpath(os.path.join(os.path.dirname(__file__), '..', '..', 'data', 'kickstarts'))
DEFAULTS = {'staging': [{'type': 'local', 'path': '/srv/fb-staging'}], 'kiwi_descriptions': ['fedora'],
            'kickstart_dirs': [KS_DIR]}
KICKSTART = 'lang en_US.UTF-8\n%packages\n@core\nbash\n-nano\n%end\n'


def request(backend, builder, release=None, arch='x86_64'):
    """A valid request of ``backend`` (a registry name) with these builder options."""
    found = backend_registry.get(backend)
    req = {'image_type': found.image_type, 'release': release or (30 if backend == 'pungi' else 41), 'arch': arch,
           'builder': dict(builder)}
    if len(backend_registry.names(found.image_type)) > 1:
        req['builder']['backend'] = backend
    if found.needs_kickstart:
        req['kickstart'] = {'src': os.path.join(KS_DIR, 'x.ks')}
    if backend == 'kiwi':
        req['builder'].setdefault('description', 'fedora')
    if backend == 'pungi-koji':  # pkgset_repos takes repository URLs, not metalinks
        req['repos'] = {'source': 'baseurl'}
    return req


def module_message(backend, builder, arch='x86_64', hfsplus=True, monkeypatch=None):
    """What the backend's own option checks say about ``builder`` (the module side, bare option names)."""
    found = backend_registry.get(backend)
    options = dict((key, spec.get('default')) for key, spec in found.argument_spec.items())
    options.update(builder, arch=arch)
    with pytest.raises(FedoraBuildError) as err:
        found.check_options(options)
    return err.value.msg


# --- 1. each value the modules refused after the early phases is refused up front ---------------------------------

UP_FRONT = [
    ('pungi-koji', {'variant': '9bad'}, 'x86_64', 'variant'),
    ('pungi-koji', {'variant': 'Server Edition'}, 'x86_64', 'variant'),
    ('pungi-koji', {'release_short': '9F'}, 'x86_64', 'release_short'),
    ('pungi-koji', {'release_short': 'Fedora_Lab'}, 'x86_64', 'release_short'),
    ('pungi-koji', {'name': '9 Lab'}, 'x86_64', 'name'),  # its release short name '9Lab'
    ('pungi-koji', {'label': 'RC-1.0'}, 'x86_64', 'label'),  # compose_type test (the default)
    ('pungi-koji', {'label': 'RC-1.0', 'compose_type': 'nightly'}, 'x86_64', 'label'),
    ('pungi-koji', {'label': 'Final-1.0', 'compose_type': 'production'}, 'x86_64', 'label'),
    ('pungi', {'flavor': 'My-Spin'}, 'x86_64', 'flavor'),
    ('pungi', {'name': 'Fedora Lab'}, 'x86_64', 'name'),
    ('pungi', {'greedy': 'all', 'nogreedy': True}, 'x86_64', 'greedy'),
    ('pungi', {'stages': []}, 'x86_64', 'stages'),
    ('pungi', {'stages': ['all', 'gather']}, 'x86_64', 'stages'),
    ('livemedia-creator', {'image_name': 'disk.img'}, 'x86_64', 'image_name'),  # make iso (the default)
    ('livemedia-creator', {'qcow2': True}, 'x86_64', 'qcow2'),
    ('livemedia-creator', {'make': 'disk', 'iso_name': 'live.iso'}, 'x86_64', 'iso_name'),
    ('livemedia-creator', {'iso_name': 'live.img'}, 'x86_64', 'iso_name'),
    ('livemedia-creator', {'make': 'disk', 'image_name': 'disk.vmdk'}, 'x86_64', 'image_name'),
    ('livemedia-creator', {'volid': 'Fedora-Workstation-Live-x86_64-41-1'}, 'x86_64', 'volid'),
    ('livemedia-creator', {'macboot': True}, 'aarch64', 'macboot'),
    ('lorax', {'volid': 'Fedora-41-x86_64-with-a-very-long-name'}, 'x86_64', 'volid'),
]


@pytest.mark.parametrize('backend, builder, arch, field', UP_FRONT,
                         ids=['%s-%s' % (case[0], '-'.join(sorted(case[1]))) for case in UP_FRONT])
def test_a_value_the_backend_refuses_is_refused_up_front_in_the_modules_sentence(backend, builder, arch, field):
    norm, problems = validate_request(request(backend, builder, arch=arch), DEFAULTS)
    assert norm is None and len(problems) == 1, problems
    said = module_message(backend, builder, arch)
    assert said.startswith(field + ': ')
    assert problems == ['request.builder.' + said]


@pytest.mark.parametrize('backend, builder', [
    ('pungi-koji', {'variant': 'Server', 'release_short': 'Fedora-Lab', 'name': 'Fedora Lab'}),
    ('pungi-koji', {'name': 'Fedora Lab'}),  # release short name FedoraLab
    ('pungi-koji', {'name': '9 Lab', 'release_short': 'Lab'}),
    ('pungi-koji', {'label': 'RC-1.0', 'compose_type': 'production'}),
    ('pungi', {'flavor': 'Server', 'greedy': 'all', 'stages': ['gather', 'createiso']}),
    ('livemedia-creator', {'make': 'disk', 'image_name': 'disk.qcow2', 'qcow2': True}),
    ('livemedia-creator', {'iso_name': 'live.iso', 'volid': 'Fedora-WS-Live-41', 'macboot': True}),
    ('lorax', {'volid': 'Fedora-41'}),
])
def test_what_the_backend_takes_is_taken(backend, builder):
    norm, problems = validate_request(request(backend, builder), DEFAULTS)
    assert problems == [] and norm is not None


def test_the_backend_follows_the_request_release_when_none_is_named():
    """No builder.backend: the dvd default for the release decides whose checks run (pungi up to 31)."""
    builder = {'flavor': 'My-Spin'}
    req = request('pungi', builder, release=30)
    del req['builder']['backend']
    assert validate_request(req, DEFAULTS)[1] == ['request.builder.' + module_message('pungi', builder)]
    req = request('pungi-koji', {'variant': '9bad'})
    del req['builder']['backend']
    assert validate_request(req, DEFAULTS)[1] == [
        'request.builder.' + module_message('pungi-koji', {'variant': '9bad'})]


def test_a_bad_value_is_said_once():
    """A value the generic check refuses (type, characters) is not checked again by the backend."""
    _norm, problems = validate_request(request('pungi-koji', {'variant': 'a\u200bb', 'label': 7}), DEFAULTS)
    assert len(problems) == 2 and [p.split(':')[0] for p in problems] == ['request.builder.variant',
                                                                          'request.builder.label'], problems


def test_every_backend_checks_only_options_a_request_may_set():
    """A check of a pipeline or operator option would never run up front (and the request could not change it)."""
    for backend in backend_registry.BACKENDS:
        keys = [key for key, _check in backend.option_checks]
        assert backend.option_checks, backend.name
        assert set(keys) <= set(request_builder.BACKEND_OPTIONS[backend.name]), backend.name


# --- 2. accepted by the validator -> accepted by the builder module -----------------------------------------------

STR_POOL = (['Fedora', 'Server', 'Everything', 'Fedora Lab', 'Fedora-Lab', 'live.iso', 'disk.img', 'disk.qcow2',
             'RC-1.0', 'Snapshot-1.0', 'iso', 'Live', 'F41', 'Fedora.kiwi', 'https://bugz.example.org/'],
            ['9bad', 'a.b', 'My-Spin', 'x' * 33, 'live.img', 'a,b', 'a/b', 'Final-1.0', 'Fedora_Lab', '-x', 'a b c',
             "it's", 'proxy.example.org:3128', 'http://proxy.example.org:3128'])
LIST_POOL = ([[], ['all'], ['gather', 'createiso'], ['devel'], ['bash'], ['Workstation']],
             [['all', 'gather'], ['a b'], ['a,b'], ['-x'], ['x' * 40], ['--xz']])
INT_POOL = ([1, 3, 60], [0, -1, 2 ** 31, 2 ** 31 + 1])


def value_for(rng, spec):
    edge = rng.random() < 0.3
    kind = spec['type']
    if spec.get('choices'):
        choices = list(spec['choices'])
        if kind == 'list':
            return rng.sample(choices, rng.randint(0, min(3, len(choices))))
        return rng.choice(choices)
    if kind == 'bool':
        return rng.choice([True, False])
    if kind == 'int':
        return rng.choice(INT_POOL[edge])
    if kind == 'list':
        return list(rng.choice(LIST_POOL[edge]))
    if kind == 'dict':
        return rng.choice([{}, {'a': 'b'}, {'n': 1}])
    return rng.choice(STR_POOL[edge])


def random_builder(rng, backend):
    options = request_builder.backend_options(backend)
    keys = sorted(key for key in options if key != 'description')
    builder = {}
    for key in rng.sample(keys, rng.randint(1, min(4, len(keys)))):
        builder[key] = value_for(rng, options[key])
    return builder


def module_params(norm, spec, tmp_path, given=None):
    """The builder module's parameters for ``norm`` (what the ``builder_args`` filter derives, through the module's
    argument spec), plus ``given`` options as if a playbook passed them to the module itself."""
    kickstart = tmp_path / 'x.ks'
    kickstart.write_text(KICKSTART)
    description = tmp_path / 'kiwi'
    description.mkdir(exist_ok=True)
    comps = tmp_path / 'comps.xml'  # the operator's comps file: the kickstart's @core needs one for pungi-koji
    comps.write_text('<comps/>')
    side_repo = tmp_path / 'side.repo'  # the koji_side_repo result on the node
    side_repo.write_text('[koji-side]\nbaseurl=file:///srv/fb/side\n')
    args = builder_args.module_args(norm, str(tmp_path / 'pipe'), 'b-1', kickstart=str(kickstart),
                                    side={'repo_path': '/srv/fb/side', 'repo_file': str(side_repo)},
                                    operator={'kiwi_descriptions': {'fedora': str(description)},
                                              'builder_paths': {'dvd': {'comps_file': str(comps)}}})
    args.update(given or {})
    if args.get('kiwi_file') and '/' not in args['kiwi_file']:
        (description / args['kiwi_file']).write_text('<image/>')  # the operator's description has it
    result = ArgumentSpecValidator(spec).validate(args)
    assert not result.error_messages, result.error_messages
    return result.validated_parameters


def module_accepts(norm, module, spec, tmp_path, given=None):
    """The builder module's checks before it runs, on the arguments the build role gives it."""
    backend = backend_registry.resolve(norm['image_type'], norm['builder'].get('backend'), norm['release'])
    params = module_params(norm, spec, tmp_path, given)
    if hasattr(module, 'check_backend_options'):
        if module.check_backend_options.__code__.co_argcount == 3:
            module.check_backend_options(params, backend.name, module.foreign_options(backend.name))
        else:
            module.check_backend_options(params, backend.name)
    backend.tool().validate(params, params['arch'])
    builders.check_inputs(params, spec)


@pytest.mark.parametrize('backend, builder, arch, field', UP_FRONT,
                         ids=['%s-%s' % (case[0], '-'.join(sorted(case[1]))) for case in UP_FRONT])
def test_the_module_refuses_it_in_the_same_sentence(backend, builder, arch, field, module_spec, monkeypatch, tmp_path):
    """The module side runs the same checks (Tool.validate): given to the module directly, the value is refused
    with the sentence the validator says behind request.builder."""
    found = backend_registry.get(backend)
    module, spec = module_spec(found.module)
    monkeypatch.setattr(lmc, 'have_mkfs_hfsplus', lambda: True)
    norm, problems = validate_request(request(backend, {}, arch=arch), DEFAULTS)
    assert problems == []
    with pytest.raises(FedoraBuildError) as err:
        module_accepts(norm, module, spec, tmp_path, builder)
    assert 'request.builder.' + err.value.msg == validate_request(request(backend, builder, arch=arch), DEFAULTS)[1][0]


@pytest.mark.parametrize('backend', backend_registry.names())
def test_every_builder_option_the_validator_accepts_the_module_accepts(backend, module_spec, monkeypatch, tmp_path):
    found = backend_registry.get(backend)
    module, spec = module_spec(found.module)
    monkeypatch.setattr(lmc, 'have_mkfs_hfsplus', lambda: True)  # a node fact, not the request's
    rng = random.Random('options:' + backend)
    accepted = refused = 0
    for _unused in range(400):
        builder = random_builder(rng, found)
        req = request(backend, builder, arch=rng.choice(['x86_64', 'x86_64', 'aarch64']))
        norm, problems = validate_request(copy.deepcopy(req), DEFAULTS)
        if norm is None:
            refused += 1
            assert problems and all(p.startswith('request.') and '\n' not in p for p in problems), problems
            continue
        accepted += 1
        try:
            module_accepts(norm, module, spec, tmp_path)
        except FedoraBuildError as exc:
            raise AssertionError('the validator accepted builder %r (arch %s), the %s module refuses it: %s'
                                 % (req['builder'], req['arch'], found.module, exc.msg))
    assert accepted > 40 and refused > 40, (accepted, refused)


# --- known gaps outside the builder options (the repos part of the validator, another change's) ------------------

def test_a_repository_url_pungi_koji_cannot_write_is_refused_up_front():
    req = request('pungi-koji', {})
    req['repos']['extra'] = [{'name': 'team', 'baseurl': "https://repo.example.org/team's/"}]
    assert validate_request(req, DEFAULTS)[0] is None


def test_a_metalink_only_repository_for_pungi_koji_is_refused_up_front():
    req = request('pungi-koji', {})
    req['repos']['extra'] = [{'name': 'team', 'metalink': 'https://mirrors.example.org/metalink?repo=x'}]
    assert validate_request(req, DEFAULTS)[0] is None


def test_the_default_backend_s_package_set_is_checked_up_front():
    """dvd for a release from 32 on is pungi-koji by default: its package set (pipeline_args) is checked up front
    for the resolved backend, not only when builder.backend names it (a metalink preset passed before)."""
    req = request('pungi-koji', {})
    req['builder'].pop('backend', None)
    req['repos'] = {'presets': ['release'], 'source': 'metalink'}
    norm, problems = validate_request(req, DEFAULTS)
    assert norm is None
    assert problems == ["request.repos.source: backend pungi-koji takes its package set from repository URLs "
                        "(pungi's pkgset_repos), not from metalinks or mirrorlists; use source: baseurl."]


def test_a_package_set_with_no_repository_is_refused_up_front():
    req = request('pungi-koji', {})
    req['repos'] = {'presets': []}
    req.pop('koji', None)
    norm, problems = validate_request(req, DEFAULTS)
    assert norm is None
    assert problems == ['request.repos: backend pungi-koji needs at least one repository with a baseurl (its package '
                        'set comes from pkgset_repos).']
    req['koji'] = {'builds': ['bash-5.2.26-3.fc41']}  # the Koji side repo is a repository of the package set
    assert validate_request(req, DEFAULTS)[1] == []
