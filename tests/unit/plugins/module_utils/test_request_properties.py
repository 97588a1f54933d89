# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Property-style tests of the request validator (random, with fixed seeds; hypothesis is not installed).

1. Every text field of the model (request_model.text_fields: enumerated, not listed here) refuses a control,
   bidi or zero-width character anywhere in its value, up front, naming the field.
2. Every request the validator accepts is accepted by the modules that later use it, in-process: each
   consuming module's argument spec (ArgumentSpecValidator, as AnsibleModule runs it) with the arguments the
   role builds from the request, then the module's own check functions.
"""

from __future__ import annotations

import copy
import importlib
import os
import random
import shutil

import pytest

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.ondemand.fedora_build.plugins.module_utils import (
    builders, destinations, koji_client, notify, request_args, request_builder, request_model, staging)
from ansible_collections.ondemand.fedora_build.plugins.module_utils.request import validate_request
from ansible_collections.ondemand.fedora_build.plugins.module_utils.validate import check_params_text

MODULES = 'ansible_collections.ondemand.fedora_build.plugins.modules.'
STAGING = [{'type': 'local', 'path': '/srv/fb-staging'}]
KS_DIR = os.path.realpath(os.path.join(os.path.dirname(__file__), '..', '..', 'data', 'kickstarts'))
# the operator's public keys on the node (fedora_build_koji_gpgkeys), which koji.gpgkeys names
GPGKEYS = {'fedora-41': '/etc/pki/rpm-gpg/RPM-GPG-KEY-fedora-41'}
DEFAULTS = {'staging': STAGING, 'kickstart_dirs': [KS_DIR], 'koji_gpgkeys': sorted(GPGKEYS)}
# request-defined destinations allowed (they still get no secret); the rest goes through the operator's named ones
OPEN_DEFAULTS = dict(DEFAULTS, allow_request_destinations=True)
OPERATOR_HUB = {'hub_url': 'https://koji.example.org/kojihub', 'topurl': 'https://kojipkgs.example.org'}

# control, C1, bidi (U+202A-202E, U+2066-2069, U+200E/F, U+061C), zero-width (U+200B-200D, U+2060, U+FEFF)
BAD_CHARS = ([chr(c) for c in range(0x00, 0x20)] + ['\x7f', '\x85', '\x9b'] +
             [chr(c) for c in range(0x202a, 0x202f)] + [chr(c) for c in range(0x2066, 0x206a)] +
             ['\u200e', '\u200f', '\u061c', '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u2028', '\u2029'])

# --- a valid value for every text field (a field the model gains without one here fails the test) -------------
SAMPLES = {
    'image_type': 'live', 'name': 'nightly', 'release': '41', 'arch': 'x86_64',
    'kickstart.src': os.path.join(KS_DIR, 'live.ks'), 'kickstart.checksum': 'sha256:' + 'a' * 64,
    'kickstart.packages': 'vim-enhanced',
    'kickstart.exclude_packages': 'nano',
    'koji.builds': 'bash-5.2.32-1.fc41', 'koji.tag_latest.tag': 'f41-updates', 'koji.tag_latest.packages': 'kernel',
    'koji.sigkeys': 'e99d6ad1', 'koji.gpgkeys': 'fedora-41', 'koji.exclude': '*-devel',
    'koji.hub': 'team', 'koji.profile': 'fedora', 'koji.hub_url': 'https://koji.example.org/kojihub',
    'koji.topurl': 'https://kojipkgs.example.org', 'koji.ca_cert': '/etc/pki/koji-ca.pem', 'koji.auth': 'password',
    'koji.client_cert': '/etc/pki/koji.pem', 'koji.principal': 'builder@EXAMPLE.ORG',
    'koji.keytab': '/etc/krb5.keytab', 'koji.username': 'builder', 'koji.password': 'Sup3r-Secret',
    'koji.password_env': 'FB_KOJI_PASSWORD',
    'repos.presets': 'updates', 'repos.mirror': 'https://mirror.example.org/fedora/linux', 'repos.source': 'metalink',
    'repos.extra.name': 'team', 'repos.extra.baseurl': 'https://repo.example.org/team/',
    'repos.extra.metalink': 'https://mirrors.example.org/metalink?repo=x',
    'repos.extra.mirrorlist': 'https://mirrors.example.org/mirrorlist?repo=x',
    'staging.type': 'ssh', 'staging.path': '/data/fb', 'staging.host': 'stage.example.org', 'staging.user': 'fbuild',
    'staging.identity_file': '/srv/keys/id_ed25519', 'staging.known_hosts_file': '/srv/keys/known_hosts',
    'staging.password': 'Sup3r-Secret', 'staging.password_env': 'FB_FTP_PASSWORD',
    'notify.email': 'builder@example.org', 'notify.webhook': 'https://hooks.example.org/fb', 'notify.on': 'failed',
    'contents.absent': 'error',
    'builder.product': 'Fedora', 'builder.variant': 'Server', 'builder.bugurl': 'https://bugz.example.org/',
    'builder.volid': 'Fedora-41', 'builder.installpkgs': 'bash', 'builder.excludepkgs': 'nano',
    'builder.rootfs_type': 'erofs', 'builder.dnfplugins': 'versionlock', 'builder.dracut_args': '--xz',
    'builder.proxy': 'http://proxy.example.org:3128', 'builder.name': 'Fedora', 'builder.flavor': 'Server',
    'builder.greedy': 'all', 'builder.multilib': 'devel', 'builder.lookaside_repos': 'base',
    'builder.stages': 'gather', 'builder.backend': 'livemedia-creator',
    'builder.make': 'iso', 'builder.project': 'Fedora', 'builder.iso_name': 'live.iso', 'builder.image_name': 'live.img',
    'builder.fs_label': 'Fedora-Live', 'builder.extra_boot_args': 'quiet',
    'builder.anaconda_args': '--nomount', 'builder.description': 'fedora', 'builder.kiwi_file': 'Fedora.kiwi',
    'builder.profiles': 'Workstation', 'builder.image_type': 'iso', 'builder.add_packages': 'vim',
    'builder.delete_packages': 'nano', 'builder.release_short': 'Fedora', 'builder.exclude_packages': 'nano',
    'builder.compose_type': 'test', 'builder.gather_method': 'deps', 'builder.label': 'RC-1.0',
}
LIST_BASE = {  # a valid element of a list of mappings, the field under test goes into it
    'koji.tag_latest': {'tag': 'f41-updates', 'packages': ['kernel']},
    'repos.extra': {'name': 'team', 'baseurl': 'https://repo.example.org/team/'},
    'staging': {'type': 'ssh', 'host': 'stage.example.org', 'path': '/data/fb'},
}
STAGING_TYPE_OF = {'password': 'ftp', 'password_env': 'ftp'}


def image_type_for(path):
    """(image type, extra builder options) under which a builder option applies."""
    key = path.split('.', 1)[1]
    if key == 'backend':
        return 'live', {}
    for image_type in ('boot', 'dvd', 'live'):
        if key in request_model.BUILDER_OPTIONS[image_type]:
            if key in request_model.KIWI_ONLY:
                return 'live', {'backend': 'kiwi', 'description': 'fedora'}
            if image_type == 'dvd' and key in request_builder.only_for('dvd', 'pungi-koji'):
                return 'dvd', {'backend': 'pungi'}
            if image_type == 'dvd' and key == 'label':
                return 'dvd', {'compose_type': 'production'}
            if image_type == 'live' and key in ('image_name', 'qcow2'):  # lmc: only with make disk
                return 'live', {'make': 'disk'}
            return image_type, {}
    raise AssertionError(path)


def base_request(image_type='live'):
    req = {'image_type': image_type, 'release': 41, 'arch': 'x86_64'}
    if image_type in ('dvd', 'live'):
        req['kickstart'] = {'src': os.path.join(KS_DIR, 'live.ks')}
    return req


def request_with(path, value):
    """A valid request whose field ``path`` (dotted model path) holds ``value`` (wrapped in a list where the
    model says list)."""
    image_type, builder = image_type_for(path) if path.startswith('builder.') else (
        'live' if path != 'image_type' else None, {})
    req = base_request(image_type or 'live')
    if builder or path.startswith('builder.'):
        req['builder'] = dict(builder)
        if image_type == 'live' and 'kiwi' in builder.values():
            req.pop('kickstart')
    if path in ('koji.hub_url', 'koji.topurl'):
        req['koji'] = {'hub_url': SAMPLES['koji.hub_url'], 'topurl': SAMPLES['koji.topurl']}
    if path in ('koji.username', 'koji.password', 'koji.password_env'):
        req['koji'] = {'auth': 'password'}
    field = request_model.field(path)
    if field['type'] == 'list':
        value = [value]
    parts = path.split('.')
    node = req
    for index, part in enumerate(parts[:-1]):
        prefix = '.'.join(parts[:index + 1])
        if prefix in LIST_BASE:
            element = copy.deepcopy(LIST_BASE[prefix])
            if prefix == 'staging' and parts[-1] in STAGING_TYPE_OF:
                element['type'] = STAGING_TYPE_OF[parts[-1]]
            if prefix == 'repos.extra' and parts[-1] in ('metalink', 'mirrorlist'):
                element.pop('baseurl')
            node.setdefault(part, [element])
            node = element
        else:
            node = node.setdefault(part, {})
    node[parts[-1]] = value
    if path == 'image_type':
        req['image_type'] = value
    return req


def operator_side(path, req):
    """(request, defaults, where problems start): a field only the operator may set (a staging target's, a Koji
    login's) goes into the operator's named destination that the request names."""
    defaults = dict(OPEN_DEFAULTS)
    where = 'request.' + path.split('.')[0]
    key = path.split('.')[-1]
    if path.startswith('staging.'):
        defaults['staging_targets'] = {'t': req['staging'][0]}
        req['staging'] = ['t']
        where = 'defaults.staging_targets'
    elif path == 'koji.hub':
        defaults['koji_hubs'] = {'team': dict(OPERATOR_HUB)}
    elif path.startswith('koji.') and key in destinations.KOJI_SECRET_FIELDS:
        defaults['koji_hubs'] = {'team': dict(OPERATOR_HUB, **req['koji'])}
        req['koji'] = {'hub': 'team'}
        where = 'defaults.koji_hubs'
    return req, defaults, where


def test_every_text_field_of_the_model_has_a_sample():
    missing = [path for path in request_model.text_fields() if path not in SAMPLES]
    assert not missing, 'add a valid sample value for %s' % ', '.join(missing)
    assert len(request_model.text_fields()) > 60  # the builder options are in the model too


@pytest.mark.parametrize('path', request_model.text_fields())
def test_the_sample_of_every_text_field_is_accepted(path):
    req, defaults, _where = operator_side(path, request_with(path, SAMPLES[path]))
    norm, problems = validate_request(req, defaults)
    assert problems == [] and norm is not None


@pytest.mark.parametrize('path', request_model.text_fields())
def test_invisible_and_control_characters_anywhere_in_any_text_field_are_refused_up_front(path):
    rng = random.Random('text:' + path)
    sample = SAMPLES[path]
    for _unused in range(12):
        char = rng.choice(BAD_CHARS)
        at = rng.randint(0, len(sample))
        value = sample[:at] + char + sample[at:]
        req, defaults, where = operator_side(path, request_with(path, value))
        norm, problems = validate_request(req, defaults)
        assert norm is None, '%s accepted %r' % (path, value)
        assert any(problem.startswith(where) for problem in problems), (value, problems)
        assert all('\n' not in problem and char not in problem for problem in problems), problems


# --- 2. accepted by the validator -> accepted by the consuming modules --------------------------------------------

# (usual values, edge and bad values): each request takes an edge value for a field now and then
POOLS = {
    'name': (['nightly', 'a.b-c_d', 'x' * 64], ['a+b', 'x' * 65, '\u00fcn\u00efc', 'a\u200bb']),
    'builds': (['bash-5.2.32-1.fc41', 2601234, '2601234', 'kernel-6.11.4-301.fc41'],
               [2 ** 63 - 1, 2 ** 63, 2 ** 80, '9' * 19, '9' * 20, 'a-1-1\n', 0, -1, True]),
    'tasks': ([125765432, '125765432'], [2 ** 63 - 1, 2 ** 63, '9' * 19, 0, '1e3']),
    'sigkeys': (['', 'e99d6ad1', 'E99D6AD1'],
                ['e99d6ad1e99d', 'a' * 40, 'a' * 41, 'e99d6ad', 'e99d6ad1\n', ' e99d6ad1', 'e99d6ad1\u200e']),
    'tag': (['f41-updates', 'f41-build'], ['f41+x', 'bad tag', 'f41\n', 't' * 129]),
    'package': (['kernel', 'python3.12'], ['kernel+x', 'a' * 128, 'a' * 129, 'a' * 255, '-x']),
    'gpgkey': (['fedora-41'], ['relative', '/etc/pki/rpm-gpg/RPM-GPG-KEY-fedora-41', '/a/../b', 'a\u202eb']),
    'exclude': (['*-devel', '*-debuginfo'], ['a[b]', '-x', 'a b']),
    'staging': ([{'type': 'local', 'path': '/srv/fb-staging'}, {'type': 'local', 'path': '/var/tmp/fb/'},
                 {'type': 'ssh', 'host': 'stage.example.org', 'path': '/data/fb', 'user': 'fbuild'},
                 {'type': 'ftp', 'host': 'ftp.example.org', 'path': '/pub/fb', 'password': 'pw'}],
                [{'type': 'local', 'path': '/etc'}, {'type': 'local', 'path': '/usr/share/fb'},
                 {'type': 'ssh', 'host': 'stage.example.org', 'path': '/data/fb', 'user': 'f+b'},
                 {'type': 'ssh', 'host': 'stage.example.org', 'path': '/data/fb', 'user': 'f@b'},
                 {'type': 'ssh', 'host': '192.0.2.7', 'port': 2222, 'path': '/boot'},
                 {'type': 'ssh', 'host': 'stage.example.org', 'path': '/srv/fb', 'user': 'a' * 64},
                 {'type': 'ssh', 'host': 'Stage.Example.org.', 'path': '/srv/fb', 'port': 65535},
                 {'type': 'ftp', 'host': 'ftp.example.org', 'path': '/pub/fb', 'user': 'u+x@example.org', 'tls': True},
                 {'type': 'ftp', 'host': '2001:db8::1', 'path': '/'}]),
    'email': (['builder@example.org', 'a+b@example.org'], ['x@y', 'nobody', 'a@b.org\nBcc: c@d.org']),
    'webhook': (['https://hooks.example.org/fb'], ['http://192.0.2.1:8080/x', 'ftp://x/y', 'https://h/\u2066']),
    'builder': {
        'boot': ([{'product': 'Fedora Server'}, {'volid': 'F-41'}, {'installpkgs': ['@core', 'kernel*']}],
                 [{'rootfs_size': 2 ** 31}, {'source_date_epoch': 0}, {'proxy': 'proxy.example.org:3128'},
                  {'dracut_args': ['--xz', 'rd.x=1']}, {'add_template_vars': {'a': 'b', 'n': 1}},
                  {'bugurl': 'https://bugz.example.org/'}, {'timeout': 7 * 24 * 3600}, {'volid': 'F\u200b41'}]),
        'dvd': ([{'name': 'Fedora'}, {'flavor': 'Server'}, {'stages': ['gather', 'createiso']}],
                [{'multilib': ['devel']}, {'greedy': 'build'}, {'rootfs_size': 3}, {'lookaside_repos': ['a b']}]),
        'live': ([{'make': 'iso', 'iso_name': 'live.iso'}, {'fs_label': 'Fedora-Live'}],
                 [{'extra_boot_args': 'quiet splash'}, {'anaconda_args': ['--nomount']}, {'iso_name': 'a/b.iso'},
                  {'backend': 'kiwi', 'description': 'fedora', 'profiles': ['Live'], 'kiwi_file': 'Fedora.kiwi'}]),
    },
}


def pick(rng, pool):
    usual, edge = pool
    return rng.choice(edge if rng.random() < 0.2 else usual)


def random_request(rng):
    image_type = rng.choice(['boot', 'dvd', 'live'])
    req = base_request(image_type)
    if rng.random() < 0.5:
        req['name'] = pick(rng, POOLS['name'])
    koji = {}
    if rng.random() < 0.7:
        koji['builds'] = [pick(rng, POOLS['builds']) for _unused in range(rng.randint(0, 3))]
    if rng.random() < 0.4:
        koji['tasks'] = [pick(rng, POOLS['tasks']) for _unused in range(rng.randint(0, 2))]
    if rng.random() < 0.4:
        koji['sigkeys'] = [pick(rng, POOLS['sigkeys']) for _unused in range(rng.randint(1, 3))]
    if rng.random() < 0.3:
        koji['tag_latest'] = [{'tag': pick(rng, POOLS['tag']), 'packages': [pick(rng, POOLS['package'])]}]
    if rng.random() < 0.3:
        koji['gpgkeys'] = [pick(rng, POOLS['gpgkey'])]
    if rng.random() < 0.3:
        koji['exclude'] = [pick(rng, POOLS['exclude'])]
    if rng.random() < 0.3:
        koji.update(timeout=rng.choice([1, 60, 3600]), retries=rng.choice([0, 20]), parallel=rng.choice([1, 64]))
    if koji:
        req['koji'] = koji
    if rng.random() < 0.8:  # the operator's targets (validated as settings), named by the request
        req['staging'] = [copy.deepcopy(pick(rng, POOLS['staging'])) for _unused in range(rng.randint(1, 2))]
    if rng.random() < 0.5:
        req['notify'] = {'email': [pick(rng, POOLS['email'])], 'webhook': pick(rng, POOLS['webhook'])}
    if rng.random() < 0.6:
        builder = copy.deepcopy(pick(rng, POOLS['builder'][image_type]))
        if builder.get('backend') == 'kiwi':
            req.pop('kickstart', None)
        req['builder'] = builder
    if rng.random() < 0.3:
        req['repos'] = {'extra': [{'name': 'team', 'baseurl': 'https://repo.example.org/team/', 'priority': 50}]}
    return req


def accepted_by_spec(spec, params, what):
    result = ArgumentSpecValidator(spec).validate(params)
    assert not result.error_messages, '%s refuses %r: %s' % (what, params, result.error_messages)
    return result.validated_parameters


def koji_side_repo_accepts(norm, spec, defaults=None):
    """Arguments as roles/build/tasks/side_repo.yml builds them (request_args), then koji_side_repo's own checks."""
    params = request_args.side_repo_args(norm, '/srv/fb/pipe', '/srv/fb/cache', (defaults or {}).get('koji_hubs'), {},
                                         GPGKEYS)
    params = accepted_by_spec(spec, params, 'koji_side_repo')
    module = importlib.import_module(MODULES + 'koji_side_repo')
    module.precheck(params, spec)
    ids = [koji_client.parse_build_item(item, 'builds[%d]' % index) for index, item in enumerate(params['builds'])]
    ids += [koji_client.parse_task_item(item, 'tasks') for item in params['tasks']]
    koji_client.normalize_sigkeys(params['sigkeys'])
    try:
        from koji import xmlrpcplus  # what the koji client marshals calls with (i8 for big numbers)
    except ImportError:  # pragma: no cover - koji is in the test requirements
        return
    xmlrpcplus.dumps((ids,), methodname='getBuild')


def builder_accepts(norm, spec):
    """Arguments as roles/build/tasks/build_phase.yml builds them (the request's options plus what the pipeline
    sets), then the checks every builder module makes before it runs (builders.check_inputs)."""
    params = dict((key, value) for key, value in norm['builder'].items() if key != 'backend')
    params.update(dest='/srv/fb/pipe/out', work_root='/srv/fb/work', arch=norm['arch'])
    if norm['image_type'] == 'live' and norm['builder'].get('backend') == 'kiwi':
        params['release_version'] = norm['release']
    for key, option in spec.items():  # what else the pipeline sets (kickstart, version, ...)
        if option.get('required') and key not in params:
            params[key] = {'path': '/srv/fb/pipe/x', 'list': [], 'dict': {}}.get(option.get('type', 'str'), 'x')
    params = accepted_by_spec(spec, dict((k, v) for k, v in params.items() if k in spec), 'builder module')
    builders.check_inputs(params, spec)


def stage_accepts(norm, spec, defaults=None):
    """Each target as roles/build/tasks/stage.yml passes it (request_args), then the stage module's own target checks."""
    for entry in norm['staging']:
        target = request_args.stage_target(entry, (defaults or {}).get('staging_targets'), {})
        params = accepted_by_spec(spec, {'src': '/srv/fb/pipe/tree', 'build_id': 'b-1', 'target': dict(target)},
                                  'stage')
        made = staging.make_target(params['target'], staging.LocalSource('/srv/fb/pipe/tree'), 10, 10)
        ctl = getattr(getattr(made, 'conn', None), '_ctl_dir', None)
        if ctl:
            shutil.rmtree(ctl, ignore_errors=True)


def notify_accepts(norm, spec):
    """Arguments as roles/build/tasks/finish.yml passes them, then notify's own address and webhook checks."""
    params = {'event': 'succeeded', 'to': norm['notify']['email']}
    if norm['notify']['webhook']:
        params['webhook'] = {'url': norm['notify']['webhook']}
    params = accepted_by_spec(spec, params, 'notify')
    check_params_text(params, spec)
    notify.check_addresses(params['to'], 'to')
    if params.get('webhook'):
        notify.normalize_webhook(params['webhook'], environ={})


def test_every_request_the_validator_accepts_the_consuming_modules_accept(module_spec):
    specs = dict((name, module_spec(name)[1]) for name in
                 ('koji_side_repo', 'boot_iso', 'dvd_iso', 'live_image', 'stage', 'notify'))
    builder_module = {'boot': 'boot_iso', 'dvd': 'dvd_iso', 'live': 'live_image'}
    rng = random.Random(13)
    accepted = refused = 0
    for _unused in range(500):
        req = random_request(rng)
        defaults = dict(OPEN_DEFAULTS)
        if 'staging' in req:
            defaults['staging_targets'] = dict(('t%d' % index, target) for index, target in enumerate(req['staging']))
            req['staging'] = sorted(defaults['staging_targets'])
        norm, problems = validate_request(copy.deepcopy(req), defaults)
        if norm is None:
            refused += 1
            assert problems and all(problem.startswith(('request', 'defaults.staging_targets'))
                                    for problem in problems), problems
            continue
        accepted += 1
        try:
            koji_side_repo_accepts(norm, specs['koji_side_repo'], defaults)
            builder_accepts(norm, specs[builder_module[norm['image_type']]])
            stage_accepts(norm, specs['stage'], defaults)
            notify_accepts(norm, specs['notify'])
        except Exception as exc:  # pylint: disable=broad-except
            raise AssertionError('the validator accepted %r, a module refuses it: %s' % (req, getattr(exc, 'msg', exc)))
    # both sides of the line are exercised
    assert accepted > 100 and refused > 100, (accepted, refused)


@pytest.mark.parametrize('key', ['e99d6ad1', 'E99D6AD1', 'e99d6ad1e99d6ad1', 'a' * 40, ''])
def test_sigkeys_koji_side_repo_takes_are_taken(key):
    """The validator's sigkey pattern is koji_client's (8 to 40 hex digits), not a narrower one."""
    assert koji_client.normalize_sigkeys([key]) == [key.lower()]
    norm, problems = validate_request(request_with('koji.sigkeys', key), DEFAULTS)
    assert problems == [] and norm['koji']['sigkeys'] == [key.lower()]


@pytest.mark.parametrize('value', ['foo\n', 'foo\r\n', 'a-1-1\n'])
def test_module_side_names_are_matched_in_full(value):
    """validate.check_name/check_nvr (what modules call) refuse a trailing newline that `$` would let through."""
    from ansible_collections.ondemand.fedora_build.plugins.module_utils import validate
    from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
    with pytest.raises(FedoraBuildError):
        validate.check_name(value, 'name')
    with pytest.raises(FedoraBuildError):
        validate.check_nvr(value, 'nvr')
