# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Secrets are bound to operator-defined destinations (docs/security.md, "Trust model").

A request names the operator's staging targets, Koji hubs and webhooks; it can neither choose where a
secret comes from (an environment variable, a file) nor send one to a host or URL it wrote.
"""

from __future__ import annotations

import json

import pytest

from ansible_collections.ondemand.fedora_build.plugins.module_utils import destinations, request_args, request_model
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils.request import validate_request

SECRET_ENV = 'AWS_SECRET_ACCESS_KEY'
OPERATOR = {
    'staging': [{'type': 'local', 'path': '/srv/staging'}],
    'staging_targets': {
        'team-ftp': {'type': 'ftp', 'host': 'ftp.example.org', 'user': 'fb', 'password_env': 'FB_FTP_PASSWORD',
                     'path': '/pub'},
        'team-ssh': {'type': 'ssh', 'host': 'stage.example.org', 'path': '/data', 'identity_file': '/etc/fb/id'},
    },
    'koji_hubs': {'team': {'hub_url': 'https://koji.example.org/kojihub', 'topurl': 'https://koji.example.org/files',
                           'auth': 'password', 'username': 'fb', 'password_env': 'FB_KOJI_PASSWORD'}},
    'webhooks': {'team-hook': {'url': 'https://hooks.example.org/fb', 'token_env': 'FB_HOOK_TOKEN'}},
}
OPEN = dict(OPERATOR, allow_request_destinations=True)


def request(**fields):
    return dict({'image_type': 'boot', 'release': 41, 'arch': 'x86_64'}, **fields)


def problems_of(req, defaults=None):
    norm, problems = validate_request(req, OPERATOR if defaults is None else defaults)
    assert (norm is None) == bool(problems)
    return problems


def only(problems):
    assert len(problems) == 1, problems
    return problems[0]


# --- a request cannot name the source of a secret -----------------------------------------------------------------

@pytest.mark.parametrize('defaults', [OPERATOR, OPEN])
@pytest.mark.parametrize('field,target', [
    ('password_env', {'type': 'ftp', 'host': 'evil.example', 'path': '/x', 'password_env': SECRET_ENV}),
    ('password', {'type': 'ftp', 'host': 'evil.example', 'path': '/x', 'password': 'x'}),
    ('identity_file', {'type': 'ssh', 'host': 'evil.example', 'path': '/x', 'identity_file': '/root/.ssh/id_rsa'}),
    ('known_hosts_file', {'type': 'ssh', 'host': 'evil.example', 'path': '/x', 'known_hosts_file': '/etc/shadow'}),
])
def test_a_request_naming_a_staging_secret_source_is_refused(defaults, field, target):
    problems = problems_of(request(staging=[target]), defaults)
    assert problems[0].startswith('request.staging[0].%s: a request cannot give credentials or their source' % field)
    # (an ssh target is also refused for its type)
    assert len(problems) == (2 if target['type'] == 'ssh' else 1), problems
    assert SECRET_ENV not in ' '.join(problems)


@pytest.mark.parametrize('defaults', [OPERATOR, OPEN])
@pytest.mark.parametrize('field,value', [
    ('password_env', SECRET_ENV), ('password', 'x'), ('client_cert', '/etc/pki/fb/client.pem'),
    ('keytab', '/etc/krb5.keytab'), ('principal', 'host/node@EXAMPLE.ORG'), ('auth', 'kerberos'),
    ('username', 'admin'), ('ca_cert', '/etc/shadow'), ('validate_certs', False),
])
def test_a_request_naming_a_koji_secret_source_is_refused(defaults, field, value):
    problem = only(problems_of(request(koji={'hub': 'team', field: value}), defaults))
    assert problem.startswith('request.koji.%s: a request cannot give credentials or their source' % field), problem


# --- names: known ones resolve, unknown ones are refused up front ---------------------------------------------------

def test_named_destinations_resolve_to_the_operator_definitions():
    norm, problems = validate_request(request(staging=['team-ftp', 'team-ssh'], koji={'hub': 'team', 'builds': ['a-1-1']},
                                              notify={'webhook': 'team-hook'}), OPERATOR)
    assert problems == []
    # a named destination travels by its name and connection: its login and the login's source stay with the operator
    assert norm['staging'][0] == {'target': 'team-ftp', 'type': 'ftp', 'host': 'ftp.example.org', 'port': 21,
                                  'user': 'fb', 'path': '/pub', 'tls': False}
    assert norm['staging'][1]['target'] == 'team-ssh' and 'identity_file' not in norm['staging'][1]
    assert norm['koji']['hub'] == 'team' and norm['koji']['hub_url'] == 'https://koji.example.org/kojihub'
    assert not set(norm['koji']) & set(destinations.KOJI_LOGIN_FIELDS)
    for name in ('FB_FTP_PASSWORD', 'FB_KOJI_PASSWORD', '/etc/fb/id'):
        assert name not in json.dumps(norm)
    # a webhook stays a name: its URL and token are read by the notify step from the operator's settings
    assert norm['notify']['webhook'] == 'team-hook'


@pytest.mark.parametrize('req,field,known', [
    (request(staging=['nope']), 'request.staging[0]', 'team-ftp, team-ssh'),
    (request(koji={'hub': 'nope'}), 'request.koji.hub', 'team'),
    (request(notify={'webhook': 'nope'}), 'request.notify.webhook', 'team-hook'),
])
def test_an_unknown_name_is_refused_with_the_known_names(req, field, known):
    problem = only(problems_of(req))
    assert problem.startswith("%s: 'nope' is not a " % field) and problem.endswith('known names: %s.' % known), problem


def test_no_destinations_defined_says_so():
    problem = only(problems_of(request(notify={'webhook': 'hook'}), {'staging': OPERATOR['staging']}))
    assert problem == ("request.notify.webhook: 'hook' is not a webhook the operator defined in fedora_build_webhooks; "
                       "known names: none are defined.")


# --- request-defined destinations: off by default; when allowed, no secret -------------------------------------------

@pytest.mark.parametrize('req,field', [
    (request(staging=[{'type': 'local', 'path': '/tmp/mine'}]), 'request.staging[0]'),
    (request(staging=[{'type': 'ftp', 'host': 'evil.example', 'path': '/x'}]), 'request.staging[0]'),
    (request(koji={'hub_url': 'https://evil.example/kojihub', 'topurl': 'https://evil.example/files'}), 'request.koji'),
    (request(notify={'webhook': 'https://evil.example/hook'}), 'request.notify.webhook'),
])
def test_request_defined_destinations_are_off_by_default(req, field):
    problem = only(problems_of(req))
    assert problem.startswith('%s: a request cannot define its own ' % field), problem
    assert 'fedora_build_allow_request_destinations is off' in problem
    assert problems_of(req, OPEN) == []


def test_a_request_defined_koji_hub_gets_none_of_the_operator_login():
    """Today's leak: the request's hub_url kept the login of fedora_build_koji (its password_env)."""
    defaults = dict(OPEN, koji={'hub_url': 'https://koji.example.org/kojihub', 'topurl': 'https://koji.example.org/f',
                                'auth': 'password', 'username': 'fb', 'password_env': 'FB_KOJI_PASSWORD',
                                'ca_cert': '/etc/pki/koji.pem', 'sigkeys': ['a15b79cc']})
    norm, problems = validate_request(request(koji={'hub_url': 'https://evil.example/kojihub',
                                                    'topurl': 'https://evil.example/files'}), defaults)
    assert problems == []
    assert not set(norm['koji']) & set(destinations.KOJI_SECRET_FIELDS), norm['koji']
    assert norm['koji']['sigkeys'] == ['a15b79cc']  # what is not a login still applies
    # the operator's default connection keeps its login
    norm, problems = validate_request(request(koji={'builds': ['a-1-1']}), defaults)
    assert problems == [] and norm['koji']['password_env'] == 'FB_KOJI_PASSWORD'
    # a profile (the node's koji configuration, the operator's) does not take the default login either
    norm, problems = validate_request(request(koji={'profile': 'fedora'}), defaults)
    assert problems == [] and 'password_env' not in norm['koji'] and 'auth' not in norm['koji']


def test_a_request_defined_ssh_target_is_refused_even_when_allowed():
    problem = only(problems_of(request(staging=[{'type': 'ssh', 'host': 'evil.example', 'path': '/x'}]), OPEN))
    assert problem.startswith("request.staging[0].type: a request-defined ssh target would log in with the build node's")


def test_request_defined_staging_targets_carry_no_secret_field():
    norm, problems = validate_request(request(staging=[{'type': 'ftp', 'host': 'mine.example', 'path': '/in'},
                                                       {'type': 'local', 'path': '/tmp/mine'}]), OPEN)
    assert problems == []
    for target in norm['staging']:
        assert not any(target.get(key) for key in destinations.STAGING_SECRET_FIELDS), target


def test_operator_defaults_with_password_env_keep_working():
    defaults = {'staging': [{'type': 'ftp', 'host': 'ftp.example.org', 'path': '/pub', 'password_env': 'FB_FTP'}, 'team-ssh'],
                'staging_targets': OPERATOR['staging_targets'],
                'koji': {'hub': 'team', 'sigkeys': ['a15b79cc']}, 'koji_hubs': OPERATOR['koji_hubs']}
    norm, problems = validate_request(request(), defaults)
    assert problems == []
    assert norm['staging'][0]['password_env'] == 'FB_FTP' and norm['staging'][1]['host'] == 'stage.example.org'
    assert norm['koji']['hub'] == 'team' and norm['koji']['sigkeys'] == ['a15b79cc']


@pytest.mark.parametrize('settings,needle', [
    ({'staging_targets': {'bad name': {'type': 'local', 'path': '/s'}}}, 'defaults.staging_targets: '),
    ({'staging_targets': ['x']}, 'defaults.staging_targets.x: must be a mapping'),
    ({'koji_hubs': {'k': {'hub_url': 'https://k.example/kojihub'}}}, 'defaults.koji_hubs.k: give profile, or hub_url and topurl.'),
    ({'koji_hubs': {'k': {'profile': 'k', 'builds': ['a-1-1']}}}, 'defaults.koji_hubs.k.builds: unknown field'),
    ({'webhooks': 'x'}, 'defaults.webhooks: must be a mapping'),
    ({'allow_request_destinations': 'yes'}, 'defaults.allow_request_destinations: must be true or false'),
])
def test_bad_operator_settings_are_named(settings, needle):
    problems = problems_of(request(), dict({'staging': OPERATOR['staging']}, **settings))
    assert any(p.startswith(needle) for p in problems), problems


# --- the notify step's webhook arguments ------------------------------------------------------------------------------

def test_webhook_args():
    hooks = OPERATOR['webhooks']
    # the token is read from the controller's environment here; the variable's name goes no further (job events)
    assert destinations.webhook_args('team-hook', hooks, environ={'FB_HOOK_TOKEN': 't0k'}) == {
        'url': 'https://hooks.example.org/fb', 'token': 't0k'}
    assert destinations.webhook_args('team-hook', hooks, environ={}) == {'url': 'https://hooks.example.org/fb'}
    assert destinations.webhook_args('https://mine.example/hook', hooks, allow=True) == {'url': 'https://mine.example/hook'}
    assert destinations.webhook_args(None, hooks) is None
    for ref, allow, needle in (('nope', True, "'nope' is not a webhook the operator defined"),
                               ('https://mine.example/hook', False, 'cannot define its own webhook')):
        with pytest.raises(FedoraBuildError) as err:
            destinations.webhook_args(ref, hooks, allow)
        assert err.value.msg.startswith('notify.webhook: ') and needle in err.value.msg
    with pytest.raises(FedoraBuildError) as err:
        destinations.webhook_args('h', {'h': {'url': 'https://x.example/', 'token_env': 'A;id'}})
    assert err.value.msg.startswith('fedora_build_webhooks.h.token_env: ')
    json.dumps(destinations.webhook_args('team-hook', hooks))


def test_strip_secrets():
    assert destinations.strip_secrets('webhook', {'url': 'u', 'token': 't', 'token_env': 'E', 'ca_file': '/f'}) == {'url': 'u'}
    assert destinations.strip_secrets('staging', OPERATOR['staging_targets']['team-ftp']) == {
        'type': 'ftp', 'host': 'ftp.example.org', 'user': 'fb', 'path': '/pub'}


# --- the step that uses a named destination reads its login by name (request_args, the role's filters) -------------

def test_the_stage_and_side_repo_steps_read_the_login_by_name():
    norm, problems = validate_request(request(staging=['team-ftp', 'team-ssh'], koji={'hub': 'team', 'builds': ['a-1-1']}),
                                      OPERATOR)
    assert problems == []
    environ = {'FB_FTP_PASSWORD': 'ftp-pw', 'FB_KOJI_PASSWORD': 'koji-pw'}
    ftp = request_args.stage_target(norm['staging'][0], OPERATOR['staging_targets'], environ)
    assert ftp == {'type': 'ftp', 'host': 'ftp.example.org', 'port': 21, 'user': 'fb', 'path': '/pub', 'tls': False,
                   'password': 'ftp-pw'}
    assert request_args.stage_target(norm['staging'][1], OPERATOR['staging_targets'], environ)['identity_file'] == '/etc/fb/id'
    args = request_args.side_repo_args(norm, '/w/x', '/c', OPERATOR['koji_hubs'], environ)
    assert (args['auth'], args['username'], args['password']) == ('password', 'fb', 'koji-pw')
    assert 'password_env' not in args and 'hub' not in args
    # a name the operator's settings no longer hold is a one-sentence error, not a login from elsewhere
    with pytest.raises(FedoraBuildError) as info:
        request_args.stage_target(norm['staging'][0], {}, environ)
    assert info.value.msg == ("staging.target: 'team-ftp' is not a staging target the operator defined in "
                              'fedora_build_staging_targets (known names: none are defined).')


def test_records_of_a_request_show_destination_names_not_environment_variables():
    """build.json, status records and emails record request_model.strip_secrets(request); the CLI hide_secrets."""
    defaults = dict(OPERATOR, staging=[{'type': 'ftp', 'host': 'ftp.example.org', 'path': '/pub',
                                        'password_env': 'FB_DEFAULT_FTP'}, 'team-ftp'],
                    koji={'profile': 'fedora', 'auth': 'ssl', 'client_cert': '/etc/fb/cert.pem'})
    for req in (request(), request(staging=['team-ssh'], koji={'hub': 'team', 'builds': ['a-1-1']})):
        norm, problems = validate_request(req, defaults)
        assert problems == []
        for record in (request_model.strip_secrets(norm), request_model.hide_secrets(norm, mask='(redacted)')):
            text = json.dumps(record)
            for name in ('FB_DEFAULT_FTP', 'FB_FTP_PASSWORD', 'FB_KOJI_PASSWORD', '/etc/fb/id', '/etc/fb/cert.pem'):
                assert name not in text, (name, record)
    assert request_model.strip_secrets(norm)['staging'] == [{'target': 'team-ssh', 'type': 'ssh',
                                                             'host': 'stage.example.org', 'port': 22, 'user': None,
                                                             'path': '/data'}]
