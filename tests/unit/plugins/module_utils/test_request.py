# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The build request model: every field, good and bad values, normalization, presets, identity."""

from __future__ import annotations

import copy
import json
import os

import pytest
import yaml

from ansible_collections.ondemand.fedora_build.plugins.module_utils import build_identity, request_args
from ansible_collections.ondemand.fedora_build.plugins.module_utils import request as rq
from ansible_collections.ondemand.fedora_build.plugins.module_utils.request import validate_request, validate_requests

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
STAGING = [{'type': 'local', 'path': '/srv/staging'}]
# the operator's directory of requested kickstarts (fedora_build_kickstart_dirs), with the files named below
KS_DIR = os.path.realpath(os.path.join(os.path.dirname(__file__), '..', '..', 'data', 'kickstarts'))
KS_A = os.path.join(KS_DIR, 'a.ks')
# and the names of its public keys on the nodes (fedora_build_koji_gpgkeys)
DEFAULTS = {'staging': STAGING, 'kickstart_dirs': [KS_DIR], 'koji_gpgkeys': ['fedora-41', 'team-key']}
# the operator allows request-defined destinations (never with a secret)
OPEN = dict(DEFAULTS, allow_request_destinations=True)
KS = {'src': os.path.join(KS_DIR, 'live.ks')}


def base(image_type='live', **fields):
    req = {'image_type': image_type, 'release': 41, 'arch': 'x86_64'}
    if image_type in ('dvd', 'live'):
        req['kickstart'] = dict(KS)
    req.update(fields)
    return req


def ok(req, defaults=None, **kwargs):
    defaults = DEFAULTS if defaults is None else defaults
    norm, problems = validate_request(req, defaults, **kwargs)
    assert problems == [], problems
    assert norm is not None
    return norm


def bad(req, defaults=None, **kwargs):
    defaults = DEFAULTS if defaults is None else defaults
    norm, problems = validate_request(req, defaults, **kwargs)
    assert norm is None
    assert problems
    for problem in problems:
        assert problem.startswith('request') or problem.startswith('defaults') or problem.startswith('image_type')
        assert problem.endswith('.') or problem.endswith(')'), problem
        assert '\n' not in problem and 'Traceback' not in problem
    return problems


def one_problem(req, field, needle=None, defaults=None, **kwargs):
    problems = bad(req, defaults, **kwargs)
    assert len(problems) == 1, problems
    assert problems[0].startswith(field + ': '), problems
    if needle:
        assert needle in problems[0], problems
    return problems[0]


# --- the whole shape -----------------------------------------------------------------------------------------

def test_minimal_live_request_is_normalized_fully():
    norm = ok({'image_type': 'live', 'release': '41', 'kickstart': 'https://example.org/live.ks'})
    assert norm == {
        'image_type': 'live', 'name': 'live', 'release': '41', 'arch': 'x86_64',
        'kickstart': {'src': 'https://example.org/live.ks', 'checksum': None, 'packages': [],
                      'exclude_packages': []},
        'koji': {'profile': None, 'hub_url': 'https://koji.fedoraproject.org/kojihub',
                 'topurl': 'https://kojipkgs.fedoraproject.org', 'builds': [], 'tasks': [], 'tag_latest': [],
                 'sigkeys': [''], 'gpgkeys': [], 'multilib': False,
                 'exclude': ['*-debuginfo', '*-debugsource', '*-debuginfo-*', '*-debugsource-*']},
        'repos': {'presets': ['release', 'updates'], 'mirror': 'https://dl.fedoraproject.org/pub/fedora/linux',
                  'source': 'baseurl', 'extra': [],
                  'resolved': [
                      {'name': 'fedora',
                       'baseurl': 'https://dl.fedoraproject.org/pub/fedora/linux/releases/41/Everything/x86_64/os/'},
                      {'name': 'updates',
                       'baseurl': 'https://dl.fedoraproject.org/pub/fedora/linux/updates/41/Everything/x86_64/'}]},
        'builder': {'backend': 'livemedia-creator', 'timeout': 14400},
        'staging': STAGING,
        'notify': {'email': [], 'webhook': None, 'on': ['submitted', 'succeeded', 'failed']},
        'force': False,
        'request_id': norm['request_id'],
    }
    assert norm['request_id'] == build_identity.request_id(norm)
    assert norm['request_id'].startswith('rq-') and len(norm['request_id']) == 15


@pytest.mark.parametrize('image_type', ['boot', 'dvd', 'live'])
def test_normalizing_is_idempotent(image_type):
    req = base(image_type, koji={'builds': ['bash-5.2.32-1.fc41', 42], 'tag_latest': [{'tag': 'f41', 'packages': ['glibc']}]},
               repos={'presets': ['updates', 'release'], 'extra': [{'name': 'mine', 'baseurl': 'https://r.example/x/'}]},
               notify={'email': 'me@example.org', 'on': ['failed']})
    first = ok(req)
    second = ok(copy.deepcopy(first), OPEN)
    assert second == first
    json.dumps(first)  # plain JSON data


def test_the_normalized_request_does_not_alias_the_defaults():
    defaults = {'staging': [{'type': 'local', 'path': '/srv/s'}], 'koji': {'sigkeys': ['e99d6ad1']},
                'kickstart_dirs': [KS_DIR]}
    norm = ok(base(), defaults)
    norm['staging'].append('x')
    norm['koji']['sigkeys'].append('x')
    assert defaults == {'staging': [{'type': 'local', 'path': '/srv/s'}], 'koji': {'sigkeys': ['e99d6ad1']},
                        'kickstart_dirs': [KS_DIR]}


# --- image_type, release, arch, name, force -----------------------------------------------------------------

def test_image_type_required_and_checked():
    one_problem({'release': 41}, 'request.image_type', 'missing')
    one_problem(base(image_type='cloud'), 'request.image_type', "'cloud' is not one of boot, dvd, live")


def test_image_type_forced_by_the_playbook():
    req = base('dvd')
    del req['image_type']
    assert ok(req, image_type='dvd')['image_type'] == 'dvd'
    one_problem(base('live'), 'request.image_type', 'this playbook, which builds image_type dvd', image_type='dvd')
    assert ok(base('dvd'), image_type='dvd')['image_type'] == 'dvd'
    problems = bad(base('dvd'), image_type='cloud')
    assert problems == ["image_type: 'cloud' is not one of boot, dvd, live."]


@pytest.mark.parametrize('value,expected', [(41, '41'), ('41', '41'), ('rawhide', 'rawhide'), ('Rawhide', 'rawhide')])
def test_release_good(value, expected):
    assert ok(base(release=value))['release'] == expected


@pytest.mark.parametrize('value', ['f41', 0, -1, True, 4.1, [41], {'x': 1}, '', 'x' * 100000])
def test_release_bad(value):
    # a wrong type: the validator's 'must be a Fedora release (...)'; a wrong string: check_release's 'is not a ...'
    text = one_problem(base(release=value), 'request.release', 'a Fedora release (a number such as 41')
    assert len(text) < 300


def test_release_missing():
    req = base()
    del req['release']
    one_problem(req, 'request.release', 'missing')


@pytest.mark.parametrize('arch', ['x86_64', 'aarch64', 'ppc64le', 's390x'])
def test_arch_good(arch):
    assert ok(base(arch=arch))['arch'] == arch


@pytest.mark.parametrize('arch', ['i686', 'amd64', '', None.__class__.__name__, 64])
def test_arch_bad(arch):
    one_problem(base(arch=arch), 'request.arch', 'is not one of x86_64, aarch64, ppc64le, s390x')


def test_arch_defaults_to_x86_64():
    req = base()
    del req['arch']
    assert ok(req)['arch'] == 'x86_64'


def test_arch_default_comes_from_the_service_defaults():
    req = base()
    del req['arch']
    staging = [{'type': 'local', 'path': '/srv/staging'}]
    norm, problems = validate_request(req, defaults={'arch': 'aarch64', 'staging': staging, 'kickstart_dirs': [KS_DIR]})
    assert problems == [] and norm['arch'] == 'aarch64'
    assert validate_request(base(arch='x86_64'), defaults={'arch': 'aarch64', 'staging': staging,
                                                           'kickstart_dirs': [KS_DIR]})[0]['arch'] == 'x86_64'
    assert "defaults.arch: 'sparc' is not one of x86_64, aarch64, ppc64le, s390x." in validate_request(
        req, defaults={'arch': 'sparc'})[1]


def test_name():
    assert ok(base('boot'))['name'] == 'boot'
    assert ok(base(name='xfce-spin'))['name'] == 'xfce-spin'
    one_problem(base(name='a b'), 'request.name', 'is not a valid name')
    one_problem(base(name='../x'), 'request.name', 'is not a valid name')
    one_problem(base(name='Ærø'), 'request.name', 'is not a valid name')
    one_problem(base(name=5), 'request.name', 'must be a string')
    one_problem(base(name='a' * 65), 'request.name', 'at most 64')


def test_force():
    assert ok(base())['force'] is False
    assert ok(base(force=True))['force'] is True
    one_problem(base(force='yes'), 'request.force', 'must be true or false')


def test_unknown_fields_are_named():
    text = one_problem(base(colour='red'), 'request.colour', 'unknown field; known fields are image_type, name,')
    assert 'request_id' not in text
    req = base()
    req.update({'bad key!': 1, 7: 2})
    problems = bad(req)
    assert problems == [
        "request['bad key!']: unknown field; known fields are " + ', '.join(rq.REQUEST_FIELDS) + '.',
        'request[7]: unknown field; known fields are ' + ', '.join(rq.REQUEST_FIELDS) + '.']


@pytest.mark.parametrize('value,got', [(None, 'null'), ([], 'a list'), ('boot', 'a string'), (5, 'a number')])
def test_request_not_a_mapping(value, got):
    norm, problems = validate_request(value)
    assert norm is None
    assert problems == ['request: must be a mapping with the fields %s (got %s).' % (', '.join(rq.REQUEST_FIELDS), got)]


def test_request_id_given_must_match():
    norm = ok(base())
    assert ok(dict(base(), request_id=norm['request_id']))['request_id'] == norm['request_id']
    one_problem(dict(base(), request_id='rq-000000000000'), 'request.request_id', 'leave it out')


# --- kickstart -----------------------------------------------------------------------------------------------

def test_kickstart_full():
    ks = {'src': 'https://pagure.io/fedora-kickstarts/raw/f41/f/fedora-live-xfce.ks',
          'checksum': 'A' * 64,
          'packages': ['vim-enhanced', '@development-tools', '@^workstation-product-environment', 'kernel*',
                       '@Development Tools'],
          'exclude_packages': ['nano', 'foo.i686']}
    norm = ok(base(kickstart=ks))['kickstart']
    assert norm['checksum'] == 'sha256:' + 'a' * 64
    assert norm['packages'] == ks['packages']
    assert ok(base(kickstart={'src': 'ftp://h.example/a.ks', 'checksum': 'sha256:' + 'b' * 64}))['kickstart']['checksum'] \
        == 'sha256:' + 'b' * 64
    assert ok(base('dvd', kickstart=KS_A))['kickstart']['src'] == KS_A


@pytest.mark.parametrize('ks,field,needle', [
    ({'src': 'relative.ks'}, 'src', 'is not an absolute path on the controller or an http, https or ftp URL'),
    ({'src': '/srv/../etc/shadow'}, 'src', 'must not contain ".."'),
    ({'src': 'file:///etc/x.ks'}, 'src', "scheme 'file' is not allowed"),
    ({'src': 'https:///x.ks'}, 'src', 'has no host'),
    ({'src': 42}, 'src', 'must be an absolute path on the controller or an http, https or ftp URL (got a number)'),
    ({}, 'src', 'missing'),
    ({'src': KS_A, 'checksum': 'md5:abc'}, 'checksum', 'is not a sha256 checksum'),
    # node directories for %include are the operator's setting, never a request's
    ({'src': KS_A, 'include_path': ['/etc']}, 'include_path',
     'unknown field; known fields are src, checksum, packages, exclude_packages.'),
    ({'src': KS_A, 'packages': ['ok', 'bad;rm -rf']}, 'packages[1]', 'is not a package name, glob'),
    ({'src': KS_A, 'exclude_packages': ['-nano']}, 'exclude_packages[0]', 'is not a package name'),
    ({'src': KS_A, 'packages': ['a\nb']}, 'packages[0]', 'control characters'),
    ({'src': KS_A, 'version': 'F41'}, 'version', 'unknown field; known fields are src, checksum, packages,'),
])
def test_kickstart_bad(ks, field, needle):
    one_problem(base(kickstart=ks), 'request.kickstart.' + field, needle)


def test_kickstart_required_or_refused_by_type():
    req = base('dvd')
    del req['kickstart']
    one_problem(req, 'request.kickstart', 'image_type dvd needs a kickstart')
    req = base('live')
    del req['kickstart']
    one_problem(req, 'request.kickstart', 'image_type live with backend livemedia-creator needs a kickstart')
    one_problem(base('boot', kickstart=KS), 'request.kickstart', 'boot (lorax) does not use a kickstart')
    one_problem(base('live', builder={'backend': 'kiwi', 'description': 'fedora'}), 'request.kickstart',
                'backend kiwi builds from builder.description')
    req = base('live', builder={'backend': 'kiwi', 'description': 'fedora'})
    del req['kickstart']
    assert ok(req)['kickstart'] is None
    assert ok(base('boot'))['kickstart'] is None


def test_kickstart_not_a_mapping():
    one_problem(base(kickstart=[KS_A]), 'request.kickstart', 'must be a mapping with the fields src,')


# --- koji ----------------------------------------------------------------------------------------------------

def test_koji_good_values():
    koji = {'builds': ['bash-5.2.32-1.fc41', 2601234, '2601235', 'bash-5.2.32-1.fc41'], 'tasks': [123, '456'],
            'tag_latest': [{'tag': 'f41-updates-candidate', 'packages': ['glibc', 'kernel']}],
            'sigkeys': ['E99D6AD1', ''],
            'gpgkeys': ['fedora-41', 'team-key'],
            'multilib': True, 'exclude': ['*-devel', 'kernel-debug*']}
    norm = ok(base(koji=koji))['koji']
    assert norm['builds'] == ['bash-5.2.32-1.fc41', 2601234, 2601235]
    assert norm['tasks'] == [123, 456]
    assert norm['tag_latest'] == koji['tag_latest']
    assert norm['sigkeys'] == ['e99d6ad1', '']
    assert norm['gpgkeys'] == koji['gpgkeys']
    assert norm['multilib'] is True and norm['exclude'] == ['*-devel', 'kernel-debug*']


@pytest.mark.parametrize('koji,field,needle', [
    ({'builds': ['foo;rm']}, 'builds[0]', "'foo;rm' is not an NVR (name-version-release) or a numeric build ID."),
    ({'builds': ['bash']}, 'builds[0]', 'is not an NVR'),
    ({'builds': [0]}, 'builds[0]', 'is not a valid build ID (a positive number)'),
    ({'builds': [True]}, 'builds[0]', 'must be an NVR (name-version-release) or a numeric build ID (got a boolean)'),
    ({'builds': [None]}, 'builds[0]', 'must be an NVR (name-version-release) or a numeric build ID (got null)'),
    ({'builds': ['x' * 10000]}, 'builds[0]', 'is not an NVR'),
    ({'builds': 'bash-1-1'}, 'builds', 'must be a list'),
    ({'tasks': [0]}, 'tasks[0]', 'is not a Koji task ID'),
    ({'tasks': ['12a']}, 'tasks[0]', 'must be a Koji task ID (a positive number) (got a string)'),
    ({'tag_latest': [{'tag': 'f41'}]}, 'tag_latest[0].packages', 'missing; give the package names'),
    ({'tag_latest': [{'tag': 'f41', 'packages': []}]}, 'tag_latest[0].packages', 'is empty; give the package names'),
    ({'tag_latest': [{'packages': ['a']}]}, 'tag_latest[0].tag', 'missing'),
    ({'tag_latest': [{'tag': 'f 41', 'packages': ['a']}]}, 'tag_latest[0].tag', 'is not a valid name'),
    ({'tag_latest': [{'tag': 'f41', 'packages': ['a/b']}]}, 'tag_latest[0].packages[0]', 'is not a package name'),
    ({'tag_latest': ['f41']}, 'tag_latest[0]', 'must be a mapping with the fields tag, packages'),
    ({'sigkeys': ['xyz']}, 'sigkeys[0]', 'is not a Koji signing key ID (8 to 40 hex digits)'),
    ({'sigkeys': ['e99d6ad']}, 'sigkeys[0]', 'is not a Koji signing key ID'),
    ({'sigkeys': ['e' * 41]}, 'sigkeys[0]', 'is not a Koji signing key ID'),
    ({'sigkeys': ['e99d6ad1\n']}, 'sigkeys[0]', 'is not a Koji signing key ID'),
    ({'builds': [2 ** 63]}, 'builds[0]', 'is too large for a Koji build ID (at most 2**63-1)'),
    ({'builds': ['9' * 5000]}, 'builds[0]', 'is not an NVR'),
    ({'tasks': [2 ** 63]}, 'tasks[0]', 'is too large for a Koji task ID (at most 2**63-1)'),
    ({'sigkeys': []}, 'sigkeys', 'is empty'),
    # public keys are node files: the operator names them (fedora_build_koji_gpgkeys), a request picks a name
    ({'gpgkeys': ['/etc/shadow']}, 'gpgkeys[0]', "looks like a path; give the name of one of the operator's public keys"),
    ({'gpgkeys': ['https://x/key']}, 'gpgkeys[0]', 'looks like a path'),
    ({'gpgkeys': ['key.asc']}, 'gpgkeys[0]', "'key.asc' is not one of the operator's public keys (known: fedora-41, "
                                             'team-key).'),
    ({'multilib': 'yes'}, 'multilib', 'must be true or false'),
    ({'exclude': ['a b']}, 'exclude[0]', 'is not a package name glob'),
    ({'hub_url': 'koji.example'}, 'hub_url', "scheme '(none)' is not allowed"),
    ({'hub_url': 'https://koji.example/kojihub'}, 'topurl', 'without a profile give both hub_url and topurl'),
    ({'profile': 'my profile'}, 'profile', 'is not a valid name'),
    ({'auth': 'magic'}, 'auth', 'a request cannot give credentials or their source'),
    ({'password': 12}, 'password', 'a request cannot give credentials or their source'),
    ({'nvrs': []}, 'nvrs', 'unknown field; known fields are hub, profile, hub_url, topurl,'),
    ({'hub': 'nope'}, 'hub', "'nope' is not a Koji hub the operator defined in fedora_build_koji_hubs"),
])
def test_koji_bad(koji, field, needle):
    one_problem(base(koji=koji), 'request.koji.' + field, needle, defaults=OPEN)


def test_koji_hub_or_its_connection_not_both():
    """The validator's mutually_exclusive (RAW koji): an operator hub brings its own connection."""
    hubs = {'team': {'hub_url': 'https://koji.example/kojihub', 'topurl': 'https://koji.example/files'}}
    problems = bad(base(koji={'hub': 'team', 'profile': 'stg', 'topurl': 'https://k/'}), dict(OPEN, koji_hubs=hubs))
    assert problems == ['request.koji: give hub or profile, not both.', 'request.koji: give hub or topurl, not both.']


def test_default_staging_one_password():
    defaults = {'staging': [{'type': 'ftp', 'host': 'h', 'path': '/pub', 'password': 'pw', 'password_env': 'PW'}],
                'kickstart_dirs': [KS_DIR]}
    assert bad(base(), defaults) == ['defaults.staging[0]: give password or password_env, not both.']


def test_koji_multilib_only_for_x86_64():
    one_problem(base(arch='aarch64', koji={'multilib': True}), 'request.koji.multilib', 'only applies to arch x86_64')


def test_koji_empty_means_no_side_repo():
    for koji in (None, {}, {'builds': []}):
        norm = ok(base(koji=koji))['koji']
        assert (norm['builds'], norm['tasks'], norm['tag_latest']) == ([], [], [])


def test_koji_service_defaults_lie_under_the_request():
    defaults = dict(DEFAULTS, koji={'profile': 'stg', 'sigkeys': ['a15b79cc'], 'validate_certs': False,
                                    'ca_cert': '/etc/pki/koji-ca.pem'})
    norm = ok(base(koji={'builds': ['bash-1-1.fc41']}), defaults)['koji']
    assert norm['profile'] == 'stg' and norm['hub_url'] is None and norm['topurl'] is None
    assert norm['sigkeys'] == ['a15b79cc'] and norm['validate_certs'] is False
    assert norm['ca_cert'] == '/etc/pki/koji-ca.pem'
    assert 'auth' not in norm and 'password' not in norm
    # the request's own connection replaces the whole connection of the defaults
    norm = ok(base(koji={'hub_url': 'https://h.example/kojihub', 'topurl': 'https://h.example/kojifiles',
                         'sigkeys': ['']}), dict(defaults, allow_request_destinations=True))['koji']
    assert norm['profile'] is None and norm['hub_url'] == 'https://h.example/kojihub'
    assert norm['sigkeys'] == ['']
    # bad defaults are named as such
    problems = bad(base(), dict(DEFAULTS, koji={'sigkeys': ['nope'], 'colour': 1}))
    assert problems == ['defaults.koji.colour: unknown field; known fields are %s.' % ', '.join(rq.KOJI_FIELDS),
                        "defaults.koji.sigkeys[0]: 'nope' is not a Koji signing key ID (8 to 40 hex digits) or \"\" "
                        "(unsigned copies allowed)."]


def test_koji_default_exclude_matches_koji_client():
    from ansible_collections.ondemand.fedora_build.plugins.module_utils.koji_client import DEFAULT_EXCLUDE
    assert rq.KOJI_DEFAULT_EXCLUDE == DEFAULT_EXCLUDE


# --- repos ---------------------------------------------------------------------------------------------------

def resolved(req, defaults=None):
    return ok(req, defaults)['repos']['resolved']


def test_presets_baseurl_primary_and_secondary():
    req = base(repos={'presets': ['release', 'updates', 'updates-testing']})
    assert resolved(req) == [
        {'name': 'fedora', 'baseurl': 'https://dl.fedoraproject.org/pub/fedora/linux/releases/41/Everything/x86_64/os/'},
        {'name': 'updates', 'baseurl': 'https://dl.fedoraproject.org/pub/fedora/linux/updates/41/Everything/x86_64/'},
        {'name': 'updates-testing',
         'baseurl': 'https://dl.fedoraproject.org/pub/fedora/linux/updates/testing/41/Everything/x86_64/'}]
    assert resolved(dict(req, arch='s390x'))[0] == {
        'name': 'fedora', 'baseurl': 'https://dl.fedoraproject.org/pub/fedora-secondary/releases/41/Everything/s390x/os/'}
    assert resolved(dict(req, arch='ppc64le'))[2]['baseurl'] == \
        'https://dl.fedoraproject.org/pub/fedora-secondary/updates/testing/41/Everything/ppc64le/'
    assert resolved(dict(req, arch='aarch64'))[1]['baseurl'] == \
        'https://dl.fedoraproject.org/pub/fedora/linux/updates/41/Everything/aarch64/'


def test_presets_rawhide():
    norm = ok(base(release='rawhide'))
    assert norm['repos']['presets'] == ['rawhide']
    assert norm['repos']['resolved'] == [
        {'name': 'rawhide', 'baseurl': 'https://dl.fedoraproject.org/pub/fedora/linux/development/rawhide/Everything/x86_64/os/'}]
    one_problem(base(release='rawhide', repos={'presets': ['release', 'rawhide']}), 'request.repos.presets',
                'release do not apply to release rawhide')
    one_problem(base(release=41, repos={'presets': ['rawhide']}), 'request.repos.presets',
                'rawhide only applies to release rawhide, not to release 41')


def test_presets_metalink():
    req = base(repos={'source': 'metalink', 'presets': ['updates-testing', 'release', 'updates']})
    assert resolved(req) == [
        {'name': 'fedora', 'metalink': 'https://mirrors.fedoraproject.org/metalink?repo=fedora-41&arch=x86_64'},
        {'name': 'updates', 'metalink': 'https://mirrors.fedoraproject.org/metalink?repo=updates-released-f41&arch=x86_64'},
        {'name': 'updates-testing',
         'metalink': 'https://mirrors.fedoraproject.org/metalink?repo=updates-testing-f41&arch=x86_64'}]
    assert resolved(base(release='rawhide', arch='aarch64', repos={'source': 'metalink'})) == [
        {'name': 'rawhide', 'metalink': 'https://mirrors.fedoraproject.org/metalink?repo=rawhide&arch=aarch64'}]


def test_mirror_and_extra_repos():
    req = base(repos={'mirror': 'http://mirror.lab:8080/fedora/', 'presets': ['release'], 'extra': [
        {'name': 'mine', 'baseurl': 'file:///srv/repo/'},
        {'name': 'ml', 'metalink': 'https://m.example/metalink?repo=x', 'priority': 5},
        {'name': 'mlist', 'mirrorlist': 'https://m.example/list', 'cost': 10}]})
    # a file:// repository is a node directory: the operator lists where (fedora_build_node_repo_dirs)
    norm = ok(req, dict(DEFAULTS, node_repo_dirs=['/srv/repo']))['repos']
    assert norm['mirror'] == 'http://mirror.lab:8080/fedora'
    assert norm['resolved'] == [
        {'name': 'fedora', 'baseurl': 'http://mirror.lab:8080/fedora/releases/41/Everything/x86_64/os/'},
        {'name': 'mine', 'baseurl': 'file:///srv/repo/'},
        {'name': 'ml', 'metalink': 'https://m.example/metalink?repo=x'},
        {'name': 'mlist', 'mirrorlist': 'https://m.example/list'}]
    assert norm['extra'][1] == {'name': 'ml', 'metalink': 'https://m.example/metalink?repo=x', 'cost': None,
                                'priority': 5}
    # no presets, only an extra repo (a lab mirror) is fine; none at all is fine for dvd/live
    assert resolved(base(repos={'presets': [], 'extra': [{'name': 'lab', 'baseurl': 'http://10.0.0.1/r/'}]})) == [
        {'name': 'lab', 'baseurl': 'http://10.0.0.1/r/'}]
    assert resolved(base(repos={'presets': []})) == []


@pytest.mark.parametrize('repos,field,needle', [
    ({'presets': ['beta']}, 'presets[0]', "'beta' is not one of release, updates, updates-testing, rawhide"),
    ({'presets': 'release'}, 'presets', 'must be a list'),
    ({'mirror': 'rsync://dl.example/fedora'}, 'mirror', "scheme 'rsync' is not allowed"),
    ({'source': 'mirrorlist'}, 'source', 'is not one of baseurl, metalink'),
    ({'extra': [{'name': 'x'}]}, 'extra[0]', 'give one of baseurl, metalink, mirrorlist.'),
    ({'extra': [{'name': 'x', 'baseurl': 'http://a/', 'metalink': 'http://b/'}]}, 'extra[0]',
     'give only one of baseurl, metalink, mirrorlist.'),
    ({'extra': [{'baseurl': 'http://a/'}]}, 'extra[0].name', 'missing'),
    ({'extra': [{'name': 'fedora', 'baseurl': 'http://a/'}]}, 'extra[0].name', 'is used twice'),
    ({'extra': [{'name': 'x', 'metalink': 'file:///x'}]}, 'extra[0].metalink', "scheme 'file' is not allowed"),
    ({'extra': [{'name': 'x', 'baseurl': 'http://a/', 'priority': 0}]}, 'extra[0].priority', 'out of range (1 to 99)'),
    ({'extra': [{'name': 'x', 'baseurl': 'http://a/', 'cost': 'low'}]}, 'extra[0].cost', 'must be a whole number'),
    ({'extra': [{'name': 'x', 'baseurl': 'http://a/', 'gpgkey': 'k'}]}, 'extra[0].gpgkey', 'unknown field'),
    ({'resolved': [{'name': 'x', 'baseurl': 'http://a/'}]}, 'resolved', 'is computed from presets'),
    ({'updates': True}, 'updates', 'unknown field; known fields are presets, mirror, source, extra.'),
])
def test_repos_bad(repos, field, needle):
    one_problem(base(repos=repos), 'request.repos.' + field, needle)


def test_boot_needs_a_repo():
    one_problem(base('boot', repos={'presets': []}), 'request.repos', 'image_type boot needs at least one repository')


# --- builder -------------------------------------------------------------------------------------------------

def test_builder_options_per_type():
    norm = ok(base('boot', builder={'product': 'Fedora-Lab', 'isfinal': True, 'rootfs_size': 3, 'volid': 41,
                                    'add_template_vars': {'a': 'b', 'n': 1}, 'installpkgs': ['a', 'a'],
                                    'timeout': 600}))
    assert norm['builder'] == {'product': 'Fedora-Lab', 'isfinal': True, 'rootfs_size': 3, 'volid': '41',
                               'add_template_vars': {'a': 'b', 'n': 1}, 'installpkgs': ['a', 'a'], 'timeout': 600}
    assert ok(base('boot'))['builder'] == {'product': 'Fedora', 'timeout': 14400}
    assert ok(base('dvd', builder={'backend': 'pungi', 'stages': ['gather', 'createiso'], 'greedy': 'all'}))[
        'builder'] == {'backend': 'pungi', 'stages': ['gather', 'createiso'], 'greedy': 'all', 'timeout': 14400}
    # dvd without a backend: the legacy pungi command up to Fedora 31, pungi-koji after
    assert ok(base('dvd', builder={'variant': 'Server'}))['builder'] == {
        'backend': 'pungi-koji', 'variant': 'Server', 'timeout': 14400}
    assert ok(dict(base('dvd', builder={'flavor': 'Server'}), release=31))['builder'] == {
        'backend': 'pungi', 'flavor': 'Server', 'timeout': 14400}
    assert bad(base('dvd', builder={'flavor': 'Server'})) == [
        'request.builder.flavor: only applies to backend pungi, not to pungi-koji.']
    assert bad(base('dvd', repos={'presets': ['release'], 'source': 'metalink'})) == [
        "request.repos.source: backend pungi-koji takes its package set from repository URLs (pungi's pkgset_repos), "
        'not from metalinks or mirrorlists; use source: baseurl.']
    assert bad(base('dvd', builder={'backend': 'pungi', 'compose_type': 'test'})) == [
        'request.builder.compose_type: only applies to backend pungi-koji, not to pungi.']
    assert ok(base('live', builder={'make': 'disk', 'qcow2': True}), dict(DEFAULTS, timeout=99))['builder'] == {
        'backend': 'livemedia-creator', 'make': 'disk', 'qcow2': True, 'timeout': 99}
    req = base('live', builder={'backend': 'kiwi', 'description': 'fedora', 'profiles': ['Workstation-Live']})
    del req['kickstart']
    assert ok(req)['builder']['profiles'] == ['Workstation-Live']


@pytest.mark.parametrize('image_type,builder,field,needle', [
    ('boot', {'dest': '/tmp/x'}, 'dest', 'unknown field; known fields are product,'),
    ('boot', {'sources': ['http://x/']}, 'sources', 'unknown field'),
    ('boot', {'version': '41'}, 'version', 'unknown field'),
    ('dvd', {'kickstart': KS_A}, 'kickstart', 'unknown field'),
    ('live', {'side_repos': []}, 'side_repos', 'unknown field'),
    ('live', {'force': True}, 'force', 'unknown field'),
    ('boot', {'isfinal': 'yes'}, 'isfinal', 'must be true or false'),
    ('boot', {'rootfs_size': 0}, 'rootfs_size', 'out of range'),
    ('boot', {'rootfs_type': 'ext4'}, 'rootfs_type', 'is not one of squashfs'),
    ('boot', {'installpkgs': 'vim'}, 'installpkgs', 'must be a list'),
    ('boot', {'installpkgs': [['vim']]}, 'installpkgs[0]', 'must be a string'),
    # options that name node files are the operator's (fedora_build_builder_paths), whatever the value
    ('boot', {'config': '/etc/lorax/lorax.conf'}, 'config', "names a file on the build node, which is the operator's"),
    ('boot', {'add_templates': ['/w/rq-1/ks/live.ks']}, 'add_templates', "which is the operator's to choose"),
    ('dvd', {'lorax_conf': '/srv/lorax.conf'}, 'lorax_conf', "which is the operator's to choose"),
    ('live', {'lorax_templates': '/srv/t'}, 'lorax_templates', "which is the operator's to choose"),
    ('boot', {'add_template_vars': ['a']}, 'add_template_vars', 'must be a mapping'),
    ('boot', {'add_template_vars': {'a b': 'x'}}, 'add_template_vars', 'is not a variable name'),
    ('boot', {'timeout': 0}, 'timeout', 'out of range (1 to 604800)'),
    ('boot', {'timeout': 'long'}, 'timeout', 'must be a whole number'),
    ('dvd', {'backend': 'pungi', 'stages': ['all', 'burn']}, 'stages[1]', "'burn' is not one of all, gather"),
    ('live', {'backend': 'livecd-creator'}, 'backend', 'is not one of livemedia-creator, kiwi'),
    ('live', {'profiles': ['x']}, 'profiles', 'only applies to backend kiwi, not to livemedia-creator'),
    ('boot', {'volid': 'a\x00b'}, 'volid', 'control characters'),
])
def test_builder_bad(image_type, builder, field, needle):
    one_problem(base(image_type, builder=builder), 'request.builder.' + field, needle)


def test_builder_kiwi_needs_description_and_refuses_lmc_options():
    req = base('live', builder={'backend': 'kiwi', 'make': 'iso'})
    del req['kickstart']
    problems = bad(req)
    assert problems == [
        "request.builder.description: missing; backend kiwi needs the name of one of the operator's kiwi "
        'descriptions (fedora_build_kiwi_descriptions).',
        'request.builder.make: only applies to backend livemedia-creator, not to kiwi.']


def test_builder_not_a_mapping():
    one_problem(base(builder=['timeout']), 'request.builder', 'must be a mapping')


@pytest.mark.parametrize('image_type,module_name', [('boot', 'boot_iso'), ('dvd', 'dvd_iso'), ('live', 'live_image')])
def test_builder_allowlist_matches_the_module_argument_spec(image_type, module_name, module_spec):
    dummy, spec = module_spec(module_name)
    for key, mine in rq.BUILDER_OPTIONS[image_type].items():
        assert key in spec, '%s is not an option of %s' % (key, module_name)
        theirs = spec[key]
        if key == 'description':  # kiwi: the request names the operator's description; builder_args resolves it
            assert (mine['type'], theirs['type']) == ('str', 'path')
            continue
        assert mine['type'] == theirs.get('type', 'str'), key
        assert mine.get('elements') == theirs.get('elements'), key
        if theirs.get('choices') or mine.get('choices'):
            assert sorted(mine['choices']) == sorted(theirs['choices']), key
        if theirs.get('required'):  # only what normalization always fills may be required by the module
            assert key in ok(base(image_type))['builder'], '%s is required by %s but may be left out' % (key, module_name)
    pipeline_sets = {'dest', 'work_root', 'build_id', 'arch', 'sources', 'repos', 'repo_files', 'kickstart',
                     'side_repos', 'add_repos', 'force', 'keep_work_dir'}
    assert not pipeline_sets & set(rq.BUILDER_OPTIONS[image_type])
    if image_type == 'live':
        from ansible_collections.ondemand.fedora_build.plugins.module_utils import kiwi, lmc
        assert set(rq.LMC_ONLY) <= set(lmc.OPTIONS) and set(rq.KIWI_ONLY) <= set(kiwi.OPTIONS)
        assert set(rq.BUILDER_OPTIONS['live']) == set(rq.LMC_ONLY) | set(rq.KIWI_ONLY) | {'backend', 'timeout'}


# --- staging -------------------------------------------------------------------------------------------------

def test_staging_targets_normalized():
    staging = [{'type': 'local', 'path': '/srv/staging/'},
               {'type': 'ssh', 'host': 'Stage.Example.org', 'user': 'fb', 'path': '/data/fb',
                'identity_file': '/home/fb/.ssh/id_ed25519'},
               {'type': 'ftp', 'host': '192.0.2.7', 'port': '2121', 'password_env': 'FB_FTP_PASSWORD', 'path': '/pub/fb',
                'tls': True},
               {'type': 'ftp', 'host': '2001:db8::1', 'user': 'up', 'password': 'p@ss', 'path': '/in'}]
    # the operator's targets (with their credentials), named by the request
    operator = dict(DEFAULTS, staging_targets=dict(('t%d' % i, target) for i, target in enumerate(staging)))
    norm = ok(base(staging=['t0', 't1', 't2', 't3']), operator)['staging']
    # named targets keep their name and connection; the login stays in the operator's settings (request_args)
    assert norm == [
        {'target': 't0', 'type': 'local', 'path': '/srv/staging'},
        {'target': 't1', 'type': 'ssh', 'host': 'stage.example.org', 'port': 22, 'user': 'fb', 'path': '/data/fb'},
        {'target': 't2', 'type': 'ftp', 'host': '192.0.2.7', 'port': 2121, 'user': 'anonymous', 'path': '/pub/fb',
         'tls': True},
        {'target': 't3', 'type': 'ftp', 'host': '2001:db8::1', 'port': 21, 'user': 'up', 'path': '/in', 'tls': False}]
    environ = {'FB_FTP_PASSWORD': 'from-env'}
    assert [request_args.stage_target(item, operator['staging_targets'], environ) for item in norm] == [
        {'type': 'local', 'path': '/srv/staging'},
        {'type': 'ssh', 'host': 'stage.example.org', 'port': 22, 'user': 'fb', 'path': '/data/fb',
         'identity_file': '/home/fb/.ssh/id_ed25519'},
        {'type': 'ftp', 'host': '192.0.2.7', 'port': 2121, 'user': 'anonymous', 'password': 'from-env',
         'path': '/pub/fb', 'tls': True},
        {'type': 'ftp', 'host': '2001:db8::1', 'port': 21, 'user': 'up', 'password': 'p@ss', 'path': '/in', 'tls': False}]


@pytest.mark.parametrize('target,field,needle', [
    ({'type': 'local', 'path': 'staging'}, '[0].path', 'is not an absolute path on the controller'),
    ({'type': 'local', 'path': '/srv/../etc'}, '[0].path', 'must not contain ".."'),
    ({'type': 'local', 'path': '/'}, '[0].path', 'must not be "/"'),
    ({'type': 'local'}, '[0].path', 'missing'),
    ({'type': 's3', 'path': '/x'}, '[0].type', "'s3' is not one of local, ssh, ftp"),
    ({'type': ['ssh'], 'path': '/x'}, '[0].type', "['ssh'] is not one of local, ssh, ftp"),
    ({'type': 'local', 'path': '/x', 7: 'y'}, '[0][7]', 'unknown field; known fields are type, path.'),
    ({'path': '/x'}, '[0].type', 'missing'),
    ({'type': 'local', 'path': '/x', 'host': 'h'}, '[0].host', 'unknown field; known fields are type, path.'),
    ({'type': 'ssh', 'path': '/x'}, '[0].host', 'missing'),
    ({'type': 'ssh', 'host': 'bad_host!', 'path': '/x'}, '[0].host', 'is not a host name or IP address'),
    ({'type': 'ssh', 'host': '999.1.1.1', 'path': '/x'}, '[0].host', 'is not a host name or IP address'),
    ({'type': 'ssh', 'host': '-oProxyCommand=x', 'path': '/x'}, '[0].host', 'is not a host name'),
    ({'type': 'ssh', 'host': 'h', 'port': 0, 'path': '/x'}, '[0].port', 'out of range (1 to 65535)'),
    ({'type': 'ssh', 'host': 'h', 'user': '-l root', 'path': '/x'}, '[0].user', 'is not a user name'),
    ({'type': 'ssh', 'host': 'h', 'path': '/x', 'identity_file': '~/.ssh/id'}, '[0].identity_file', 'absolute path'),
    ({'type': 'ssh', 'host': 'h', 'path': '/x', 'password': 'x'}, '[0].password', 'unknown field'),
    ({'type': 'ftp', 'host': 'h', 'path': '/x', 'tls': 'yes'}, '[0].tls', 'must be true or false'),
    ({'type': 'ftp', 'host': 'h', 'path': '/x', 'password_env': 'A-B'}, '[0].password_env', 'environment variable'),
    ('/srv/staging', '[0]', 'must be a mapping with type (local, ssh or ftp) and path (got a string)'),
])
def test_staging_bad(target, field, needle):
    # the checks of a target the operator defines
    one_problem(base(), 'defaults.staging_targets.t' + field[3:], needle, defaults=dict(DEFAULTS, staging_targets={'t': target}))
    # the same checks for a target a request defines (where the operator allows it)
    if not isinstance(target, dict) or not any(key in target for key in ('identity_file', 'password_env')) \
            and target.get('type') != 'ssh' and 'host' not in field:
        one_problem(base(staging=[target]), 'request.staging' + field, needle if isinstance(target, dict) else
                    "'/srv/staging' is not a staging target name", defaults=OPEN)


def test_staging_password_never_shown():
    secret = 'hunter2-SECRET'
    operator = dict(DEFAULTS, staging_targets={'t': {'type': 'ftp', 'host': 'h', 'path': '/x', 'password': secret,
                                                     'password_env': 'FTP_PW'}})
    problems = bad(base(), operator)
    assert problems == ['defaults.staging_targets.t: give password or password_env, not both.']
    for value in (secret + '\n', [secret]):
        operator['staging_targets']['t'] = {'type': 'ftp', 'host': 'h', 'path': '/x', 'password': value}
        problems = bad(base(), operator)
        assert len(problems) == 1 and problems[0].startswith('defaults.staging_targets.t.password: ')
        assert secret not in problems[0]
        # a request cannot carry one at all, and its value is never shown
        problems = bad(base(staging=[operator['staging_targets']['t']]), OPEN)
        assert len(problems) == 1 and problems[0].startswith('request.staging[0].password: a request cannot give ')
        assert secret not in problems[0]


def test_staging_defaults():
    req = base()
    dirs = {'kickstart_dirs': [KS_DIR]}
    assert ok(req, dict(dirs, staging=[{'type': 'local', 'path': '/a'}]))['staging'] == [{'type': 'local', 'path': '/a'}]
    assert ok(dict(req, staging=[{'type': 'local', 'path': '/b'}]), dict(dirs, staging=[{'type': 'local', 'path': '/a'}],
                                                                         allow_request_destinations=True)
              )['staging'] == [{'type': 'local', 'path': '/b'}]
    one_problem(req, 'request.staging', 'missing; give at least one staging target', defaults=dirs)
    one_problem(dict(req, staging=[]), 'request.staging', 'is empty')
    problems = bad(req, dict(dirs, staging=[{'type': 'local', 'path': 'rel'}]))
    assert problems == ["defaults.staging[0].path: 'rel' is not an absolute path on the controller (it must start with \"/\")."]


# --- notify --------------------------------------------------------------------------------------------------

def test_notify():
    norm = ok(base(notify={'email': ['a@example.org', 'root@localhost', 'a@example.org'],
                           'webhook': 'https://hooks.example/fb', 'on': ['failed', 'submitted']}), OPEN)['notify']
    assert norm == {'email': ['a@example.org', 'root@localhost'], 'webhook': 'https://hooks.example/fb',
                    'on': ['submitted', 'failed']}
    assert ok(base(notify={'email': 'b@example.org'}))['notify']['email'] == ['b@example.org']
    # a plain `on:` key in YAML 1.1 is the boolean true
    data = yaml.safe_load('notify: {on: [succeeded]}')
    assert ok(base(**data))['notify']['on'] == ['succeeded']
    assert ok(base(notify=json.loads(json.dumps(data['notify']))))['notify']['on'] == ['succeeded']  # {"true": [...]}
    one_problem(base(notify={'true': ['failed'], 'on': ['failed']}), 'request.notify.true', 'unknown field')


@pytest.mark.parametrize('notify,field,needle', [
    ({'email': ['not-an-address']}, 'email[0]', 'is not an email address'),
    ({'email': ['a@b.org\nBcc: x@y.org']}, 'email[0]', 'control characters'),
    ({'email': 5}, 'email', 'must be a list'),
    ({'webhook': 'javascript:alert(1)'}, 'webhook', 'is neither the name of a webhook the operator defined'),
    ({'webhook': 'ftp://hooks.example/x'}, 'webhook', "scheme 'ftp' is not allowed"),
    ({'on': ['started']}, 'on[0]', "'started' is not one of submitted, succeeded, failed"),
    ({'on': 'failed'}, 'on', 'must be a list'),
    ({'sms': ['1']}, 'sms', 'unknown field; known fields are email, webhook, on.'),
])
def test_notify_bad(notify, field, needle):
    one_problem(base(notify=notify), 'request.notify.' + field, needle, defaults=OPEN)


# --- many problems at once, batches, odd input ---------------------------------------------------------------

def test_a_rule_broken_by_a_mapping_still_reports_its_fields():
    """The validator's rule (one URL per extra repository) and the semantic checks of the same entry, at once."""
    problems = bad(base(repos={'extra': [{'name': 'a b', 'baseurl': 'rsync://x/', 'metalink': 'gopher://y/'}]}))
    assert problems == [
        'request.repos.extra[0]: give only one of baseurl, metalink, mirrorlist.',
        'request.repos.extra[0].name: \'a b\' is not a valid name (letters, digits, ".", "_", "+", "-"; must start '
        'with a letter or digit).',
        "request.repos.extra[0].baseurl: scheme 'rsync' is not allowed (use http, https, ftp, file).",
        "request.repos.extra[0].metalink: scheme 'gopher' is not allowed (use http, https)."]


@pytest.mark.parametrize('field', ['colour', 'name', 'koji', 'staging', 'notify'])
def test_deeply_nested_junk_is_a_problem_not_a_traceback(field):
    """The shape validator deep-copies what it checks; a value nested deeper than the recursion limit must still
    become one sentence."""
    deep = []
    for _level in range(5000):
        deep = [deep]
    problems = bad(dict(base(), **{field: deep}), OPEN)
    assert len(problems) == 1 and problems[0].startswith('request.%s' % field), problems
    problems = bad(base(koji={'builds': [deep]}), OPEN)
    assert problems == ['request.koji.builds[0]: must be an NVR (name-version-release) or a numeric build ID '
                        '(got a list).']


def test_every_problem_at_once():
    req = {'image_type': 'dvd', 'release': 'f41', 'arch': 'i386', 'colour': 1,
           'kickstart': {'src': 'x.ks'}, 'koji': {'builds': ['foo;rm', 7], 'tasks': [-1]},
           'repos': {'presets': ['nope']}, 'builder': {'dest': '/x', 'nosource': 'y'},
           'staging': [{'type': 'ftp', 'host': 'h h', 'path': '/x', 'password': 'pw'}],
           'notify': {'email': ['x']}, 'force': 1}
    problems = bad(req)
    fields = [p.split(': ', 1)[0] for p in problems]
    assert fields == ['request.colour', 'request.release', 'request.arch', 'request.builder.dest',
                      'request.builder.nosource', 'request.kickstart.src', 'request.koji.builds[0]',
                      'request.koji.tasks[0]', 'request.repos.presets[0]', 'request.staging[0].password',
                      'request.staging[0].host',
                      'request.notify.email[0]', 'request.force']


def test_batch_problems_name_the_request_and_duplicates():
    good = base()
    reqs = [good, base(koji={'builds': ['foo;rm']}), dict(good, force=True, notify={'email': ['x@example.org']}), None]
    norm, problems = validate_requests(reqs, DEFAULTS)
    assert problems == [
        "requests[1].koji.builds[0]: 'foo;rm' is not an NVR (name-version-release) or a numeric build ID.",
        'requests[2]: is the same build as requests[0] (request_id %s); give it once.' % norm[0]['request_id'],
        'requests[3]: must be a mapping with the fields %s (got null).' % ', '.join(rq.REQUEST_FIELDS)]
    assert norm[1] is None and norm[3] is None


@pytest.mark.parametrize('value,needle', [(None, 'must be a list of build requests (got null)'),
                                          ({'image_type': 'boot'}, 'must be a list of build requests (got a mapping)'),
                                          ([], 'is empty')])
def test_batch_not_a_list(value, needle):
    norm, problems = validate_requests(value, DEFAULTS)
    assert norm == [] and len(problems) == 1 and problems[0].startswith('requests: ') and needle in problems[0]


def test_batch_ok_and_forced_type():
    norm, problems = validate_requests([base('boot'), {'release': 'rawhide', 'arch': 'aarch64'}], DEFAULTS,
                                       image_type='boot')
    assert problems == []
    assert [n['image_type'] for n in norm] == ['boot', 'boot']
    assert norm[1]['repos']['resolved'][0]['baseurl'].endswith('/development/rawhide/Everything/aarch64/os/')


@pytest.mark.parametrize('odd', [
    'x' * 1000000, 'ünïcödé', '\x00', 10 ** 40, -5, 1.5, float('nan'), b'bytes', object(), [[[]]], {'a': {'b': {}}},
    {1, 2}, ('t',),
])
def test_odd_values_anywhere_are_problems_not_exceptions(odd):
    paths = [('image_type',), ('release',), ('arch',), ('name',), ('force',), ('kickstart',), ('kickstart', 'src'),
             ('kickstart', 'checksum'), ('kickstart', 'packages'), ('koji',), ('koji', 'builds'), ('koji', 'tasks'),
             ('koji', 'tag_latest'), ('koji', 'sigkeys'), ('koji', 'hub_url'), ('repos',), ('repos', 'presets'),
             ('repos', 'mirror'), ('repos', 'extra'), ('builder',), ('builder', 'timeout'), ('builder', 'make'),
             ('builder', 'dracut_args'), ('staging',), ('notify',), ('notify', 'email'), ('notify', 'webhook'),
             ('notify', 'on')]
    for path in paths:
        req = base(koji={}, repos={}, builder={}, notify={})
        target = req
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = odd
        norm, problems = validate_request(req, DEFAULTS)
        if problems:
            assert norm is None
            for problem in problems:
                assert len(problem) < 1200, problem
                assert problem.startswith('request'), problem
        for seq in ([odd], [req]):
            validate_requests(seq, DEFAULTS)
        validate_request(base(), {'koji': odd, 'staging': odd, 'timeout': odd})
        validate_request(base(), odd)


def test_huge_strings_are_cut_short_in_problems():
    problems = bad(base(kickstart={'src': 'http://' + 'a' * 100000 + '.example/x.ks'}))
    assert problems == ['request.kickstart.src: is 100020 characters long; at most 4096 are allowed.']
    problems = bad(base(koji={'builds': ['x;' * 50000]}))
    assert len(problems[0]) < 200 and '(100000 long)' in problems[0]


# --- identity ------------------------------------------------------------------------------------------------

def test_request_id_stable_and_independent_of_force_staging_notify_and_key_order():
    first = ok(base(koji={'builds': ['bash-1-1.fc41']}))
    reordered = dict(reversed(list(base(koji={'builds': ['bash-1-1.fc41']}).items())))
    assert ok(reordered)['request_id'] == first['request_id']
    other = ok(base(koji={'builds': ['bash-1-1.fc41']}, force=True, notify={'email': ['a@example.org'], 'on': ['failed']},
                    staging=[{'type': 'ftp', 'host': 'h', 'path': '/s'}]), OPEN)
    assert other['request_id'] == first['request_id']
    assert ok(base(koji={'builds': ['bash-1-1.fc41']}, notify={'on': ['failed', 'submitted']}))['request_id'] \
        == ok(base(koji={'builds': ['bash-1-1.fc41']}, notify={'on': ['submitted', 'failed']}))['request_id']
    # presets in any order, same request
    assert ok(base(repos={'presets': ['updates', 'release']}))['request_id'] == ok(base())['request_id']
    # what gets built changes the ID
    for change in ({'koji': {'builds': ['bash-1-2.fc41']}}, {'release': 40}, {'arch': 'aarch64'},
                   {'repos': {'presets': ['release']}}, {'builder': {'timeout': 5}}):
        assert ok(base(**dict({'koji': {'builds': ['bash-1-1.fc41']}}, **change)))['request_id'] != first['request_id']
    # a known value, so an accidental change of the hashing shows up here
    assert first['request_id'] == build_identity.request_id(dict(first, force=True, staging=[], notify={}))


# --- the role argument spec and the docs cannot drift ---------------------------------------------------------

def _spec_tree(options):
    out = {}
    for name, spec in options.items():
        out[name] = _spec_tree(spec['options']) if spec.get('options') else None
    return out


def _schema_tree(schema):
    return dict((k, _schema_tree(v) if isinstance(v, dict) else None) for k, v in schema.items())


def test_role_argument_spec_lists_the_same_fields_as_the_request_schema():
    path = os.path.join(REPO, 'roles', 'build', 'meta', 'argument_specs.yml')
    with open(path) as handle:
        spec = yaml.safe_load(handle)['argument_specs']['main']['options']
    request_spec = spec['build_request']
    assert request_spec['type'] == 'dict' and request_spec['required'] is True
    tree = _spec_tree(request_spec['options'])
    assert tree.pop('submitted') is None  # the only field the playbook (not the request model) adds
    assert tree == _schema_tree(rq.schema())
    # types of the builder options follow BUILDER_OPTIONS
    builder = request_spec['options']['builder']['options']
    for options in rq.BUILDER_OPTIONS.values():
        for key, mine in options.items():
            assert builder[key]['type'] == mine['type'], key
            assert builder[key].get('elements') == mine.get('elements'), key
            if key == 'backend':  # the union of dvd's and live's backends
                assert set(mine['choices']) <= set(builder[key]['choices']), key
            else:
                assert builder[key].get('choices') == mine.get('choices'), key
    for name in ('fedora_build_staging', 'fedora_build_status_dir', 'fedora_build_smtp', 'fedora_build_koji',
                 'fedora_build_environment', 'fedora_build_work_dir', 'fedora_build_cache_dir', 'fedora_build_lock_dir',
                 'fedora_build_capacity', 'fedora_build_timeout'):
        assert name in spec, name


EXAMPLES = ['request-boot.yml', 'request-dvd.yml', 'request-live.yml', 'requests-batch.yml']


def operator_example():
    """defaults with the operator's named destinations of docs/examples/service-destinations.yml."""
    with open(os.path.join(REPO, 'docs', 'examples', 'service-destinations.yml')) as handle:
        data = yaml.safe_load(handle)
    return dict(DEFAULTS, staging_targets=data['fedora_build_staging_targets'], koji_hubs=data['fedora_build_koji_hubs'],
                webhooks=data['fedora_build_webhooks'],
                allow_request_destinations=data['fedora_build_allow_request_destinations'])


@pytest.mark.parametrize('name', EXAMPLES)
def test_documented_examples_validate(name):
    with open(os.path.join(REPO, 'docs', 'examples', name)) as handle:
        data = yaml.safe_load(handle)
    defaults = operator_example()
    if name.startswith('requests-'):
        assert list(data) == ['fedora_build_requests']
        norm, problems = validate_requests(data['fedora_build_requests'], defaults)
        assert problems == [] and len(norm) >= 3
        assert set(n['image_type'] for n in norm) == {'boot', 'dvd', 'live'}
    else:
        assert list(data) == ['fedora_build_request']
        norm, problems = validate_request(data['fedora_build_request'], defaults)
        assert problems == []
        assert name == 'request-%s.yml' % norm['image_type']


def test_requests_of_a_batch_do_not_share_lists():
    norm, problems = validate_requests([base(), base('boot')], {'staging': [{'type': 'local', 'path': '/s'}],
                                                                'koji': {'gpgkeys': ['k']}, 'koji_gpgkeys': ['k'],
                                                                'kickstart_dirs': [KS_DIR]})
    assert problems == []
    norm[0]['staging'][0]['path'] = '/changed'
    norm[0]['koji']['gpgkeys'].append('x')
    assert norm[1]['staging'] == [{'type': 'local', 'path': '/s'}] and norm[1]['koji']['gpgkeys'] == ['k']


def test_bad_defaults_fail_every_request_of_the_batch():
    norm, problems = validate_requests([base(), base('boot')], {'staging': 'somewhere', 'timeout': -1, 'x': 1,
                                                                'kickstart_dirs': [KS_DIR]})
    assert problems == [
        'defaults.x: unknown field; known fields are %s.' % ', '.join(rq.DEFAULTS_FIELDS),
        'defaults.staging: must be a list of staging targets (got a string).',
        'defaults.timeout: -1 is out of range (1 to 604800).']
    assert norm == [None, None]


def test_koji_password_env_and_transfer_settings():
    hub = {'hub_url': 'https://koji.example.org/kojihub', 'topurl': 'https://koji.example.org/files',
           'auth': 'password', 'username': 'carol', 'password_env': 'FB_KOJI_PW'}
    koji = {'hub': 'team', 'timeout': 5, 'retries': 0, 'parallel': 2, 'builds': ['hello-1.0-1.fc41']}
    norm, problems = validate_request(base(koji=koji), defaults=dict(DEFAULTS, koji_hubs={'team': hub}))
    assert problems == []
    assert {k: norm['koji'][k] for k in ('hub', 'hub_url', 'timeout', 'retries', 'parallel')} == {
        'hub': 'team', 'hub_url': hub['hub_url'], 'timeout': 5, 'retries': 0, 'parallel': 2}
    # the login travels by the hub's name: the side repo step reads it (and the variable) from the operator's hub
    assert 'password' not in norm['koji'] and 'password_env' not in norm['koji']
    args = request_args.side_repo_args(norm, '/w', '/c', {'team': hub}, {'FB_KOJI_PW': 'pw'})
    assert (args['username'], args['password']) == ('carol', 'pw')


@pytest.mark.parametrize('field,value,needle', [
    ('password_env', 'A B', 'is not an environment variable name'),
    ('timeout', 0, 'out of range'),
    ('retries', 21, 'out of range'),
    ('parallel', True, 'whole number'),
])
def test_koji_password_env_and_transfer_settings_bad(field, value, needle):
    hub = {'hub_url': 'https://koji.example.org/kojihub', 'topurl': 'https://koji.example.org/files', field: value}
    _norm, problems = validate_request(base(koji={'builds': ['hello-1.0-1.fc41']}),
                                       defaults={'staging': [{'type': 'local', 'path': '/srv/s'}],
                                                 'koji_hubs': {'team': hub}, 'kickstart_dirs': [KS_DIR]})
    assert len(problems) == 1 and problems[0].startswith('defaults.koji_hubs.team.%s: ' % field), problems
    assert needle in problems[0], problems


def test_koji_password_and_password_env_exclude_each_other():
    hub = {'hub_url': 'https://k.example/kojihub', 'topurl': 'https://k.example/files', 'password': 'x',
           'password_env': 'P'}
    _norm, problems = validate_request(base(koji={'builds': ['hello-1.0-1.fc41']}),
                                       defaults={'staging': [{'type': 'local', 'path': '/srv/s'}],
                                                 'koji_hubs': {'team': hub}, 'kickstart_dirs': [KS_DIR]})
    assert problems == ['defaults.koji_hubs.team: give password or password_env, not both.']


# --- kiwi description: a name of the operator's, never a node directory -----------------------------------

def test_kiwi_description_is_a_name_checked_against_the_operators_names():
    req = base('live', builder={'backend': 'kiwi', 'description': 'fedora'})
    del req['kickstart']
    assert ok(req, dict(DEFAULTS, kiwi_descriptions={'fedora': '/srv/kiwi/fedora'}))['builder']['description'] == 'fedora'
    assert ok(req, dict(DEFAULTS, kiwi_descriptions=['fedora', 'lab']))['builder']['description'] == 'fedora'
    one_problem(req, 'request.builder.description', "'fedora' is not one of the operator's kiwi descriptions (known: lab).",
                dict(DEFAULTS, kiwi_descriptions=['lab']))
    for value in ('/srv/kiwi', '../kiwi', 'kiwi/fedora'):
        req['builder']['description'] = value
        one_problem(req, 'request.builder.description', 'looks like a path')


def test_request_id_holds_no_login_and_no_secret():
    """Who logs in to Koji, and the password of a kickstart URL, do not change what is built: neither enters
    the request ID (a hash of a password must not name every record)."""
    koji = {'hub_url': 'https://h.example/kojihub', 'topurl': 'https://h.example/kojifiles'}
    logins = [dict(koji, auth='password', username='alice', password='one'),
              dict(koji, auth='password', username='bob', password_env='FB_KOJI_PW'), dict(koji)]
    ids = set()
    for login in logins:
        norm = ok(base(koji={'builds': ['bash-1-1.fc41']}), dict(DEFAULTS, koji=login))
        assert norm['koji'].get('username') == login.get('username')  # the login is there, for the side repo
        ids.add(norm['request_id'])
    assert len(ids) == 1
    with_creds = ok(base(kickstart={'src': 'https://u:secret@ks.example/live.ks'}), OPEN)
    without = ok(base(kickstart={'src': 'https://ks.example/live.ks'}), OPEN)
    assert with_creds['request_id'] == without['request_id']
    # while the hub itself is part of what is built
    other_hub = dict(koji, hub_url='https://other.example/kojihub')
    assert ok(base(koji={'builds': ['bash-1-1.fc41']}), dict(DEFAULTS, koji=other_hub))['request_id'] not in ids
