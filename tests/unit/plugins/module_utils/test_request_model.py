# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The request model: generated artifacts are current, secrets are stripped by their mark, shape checks speak
in field paths, bad values are shown without walking them, files stay small."""

from __future__ import annotations

import importlib.util
import json
import os

import pytest

from ansible_collections.ondemand.fedora_build.plugins.module_utils import backend_registry, request_model
from ansible_collections.ondemand.fedora_build.plugins.module_utils.request import validate_request
from ansible_collections.ondemand.fedora_build.plugins.module_utils.request_checks import show
from ansible_collections.ondemand.fedora_build.plugins.module_utils.request_shape import check_shape

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
SECRET = 'Sup3r-Secret-Value'


def generator():
    spec = importlib.util.spec_from_file_location('gen_request_artifacts',
                                                  os.path.join(REPO, 'tools', 'gen_request_artifacts.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_argument_spec_and_doc_tables_are_current(capsys):
    """roles/build/meta/argument_specs.yml and the tables of docs/request.md are what the model makes;
    after editing the model run: python3 tools/gen_request_artifacts.py"""
    assert generator().main(['--check']) == 0, capsys.readouterr().out


def test_a_stale_file_is_noticed(tmp_path):
    gen = generator()
    with open(gen.ARGSPEC) as handle:
        text = handle.read()
    model = gen.load_model()
    assert gen.render_argspec(text, model) == text
    stale = text.replace('Kind of target.', 'Kind of target, edited by hand.')
    assert gen.render_argspec(stale, model) != stale
    with open(gen.DOC) as handle:
        doc = handle.read()
    assert gen.render_doc(doc.replace('| `force` |', '| `forced` |'), model) == doc


def test_secret_fields_are_marked_in_the_model():
    # a credential, or where one lives (an environment variable's name, a key or certificate file)
    assert sorted(request_model.secret_fields()) == [
        'koji.client_cert', 'koji.keytab', 'koji.password', 'koji.password_env', 'staging.identity_file',
        'staging.known_hosts_file', 'staging.password', 'staging.password_env']
    for path in request_model.secret_fields():
        # an environment variable's name is not itself the credential: no_log there would mask the name in all output
        assert request_model.field(path).get('no_log', True) is not False or path.endswith('_env')


def normalized_with_secrets():
    """A request over the operator's default Koji login and FTP target (unnamed mappings), which carry secrets.

    (A request naming the operator's hub or target carries none: test_destinations.py.)"""
    request = {'image_type': 'boot', 'release': 41, 'koji': {'builds': ['bash-5.2.32-1.fc41']}}
    defaults = {'koji': {'hub_url': 'https://koji.example.org/kojihub', 'topurl': 'https://koji.example.org/kojifiles',
                         'auth': 'password', 'username': 'carol', 'password': SECRET, 'keytab': '/etc/krb5.keytab'},
                'staging': [{'type': 'ftp', 'host': 'ftp.example.org', 'path': '/pub', 'password': SECRET},
                            {'type': 'local', 'path': '/srv/fb-staging'}]}
    norm, problems = validate_request(request, defaults)
    assert problems == []
    return norm


def test_strip_secrets_removes_every_marked_field_and_nothing_else():
    norm = normalized_with_secrets()
    public = request_model.strip_secrets(norm)
    assert SECRET not in json.dumps(public) and 'krb5.keytab' not in json.dumps(public)
    assert 'password' not in public['koji'] and 'keytab' not in public['koji']
    assert 'password' not in public['staging'][0]
    assert public['koji']['username'] == 'carol' and public['staging'][0]['host'] == 'ftp.example.org'
    assert public['request_id'] == norm['request_id'] and public['repos'] == norm['repos']
    assert SECRET in json.dumps(norm)  # a copy: the request itself keeps them (the staging step needs them)


def test_the_request_public_filter_is_strip_secrets():
    from ansible_collections.ondemand.fedora_build.plugins.filter.request_public import FilterModule
    norm = normalized_with_secrets()
    assert FilterModule().filters()['request_public'](norm) == request_model.strip_secrets(norm)


def test_build_json_strips_the_request_with_the_filter():
    with open(os.path.join(REPO, 'roles', 'build', 'tasks', 'record.yml')) as handle:
        text = handle.read()
    assert 'build_request | ondemand.fedora_build.request_public' in text
    assert "'password'" not in text and "'keytab'" not in text  # no list of names


def test_hide_secrets_keeps_the_keys():
    hidden = request_model.hide_secrets(normalized_with_secrets())
    assert hidden['koji']['password'] == 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'
    assert hidden['staging'][0]['password'] == 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'
    assert SECRET not in json.dumps(hidden)


# --- kickstart.src: user information in a URL is a credential -------------------------------------------------

KS_URL = 'https://carol:%s@ks.example.org/spins/live.ks' % SECRET


def normalized_with_ks_credentials(src=KS_URL):
    norm, problems = validate_request({'image_type': 'live', 'release': 41, 'kickstart': {'src': src}},
                                      {'staging': [{'type': 'local', 'path': '/srv/fb-staging'}]})
    assert problems == []
    return norm


def test_kickstart_src_is_marked_as_a_url_with_a_credential():
    assert request_model.userinfo_fields() == ['kickstart.src']


def test_records_keep_the_kickstart_url_without_its_user_information():
    """build.json (request_public = strip_secrets), emails (read build.json) and echoed arguments (hide_secrets)."""
    from ansible_collections.ondemand.fedora_build.plugins.filter.request_public import FilterModule
    norm = normalized_with_ks_credentials()
    # the normalized request holds no credential either: the kickstart step takes it from the request as given
    # (build_request_given) into the kickstart module's no_log url_username/url_password
    assert norm['kickstart']['src'] == 'https://ks.example.org/spins/live.ks'
    for public in (request_model.strip_secrets(norm), FilterModule().filters()['request_public'](norm),
                   request_model.hide_secrets(norm), request_model.hide_secrets([norm])[0]):
        assert SECRET not in json.dumps(public) and 'carol' not in json.dumps(public)
        assert public['kickstart']['src'] == 'https://ks.example.org/spins/live.ks'
    # the raw request's short form (kickstart: URL) in echoed module arguments
    raw = request_model.hide_secrets({'image_type': 'live', 'kickstart': KS_URL})
    assert raw['kickstart'] == 'https://ks.example.org/spins/live.ks'


@pytest.mark.parametrize('url,public', [
    ('ftp://anon@ks.example.org:2121/a.ks', 'ftp://ks.example.org:2121/a.ks'),
    ('https://u:p@ss@ks.example.org/a.ks', 'https://ks.example.org/a.ks'),
    ('https://ks.example.org/a@b.ks?x=c@d', 'https://ks.example.org/a@b.ks?x=c@d'),
    ('/srv/kickstarts/a@b.ks', '/srv/kickstarts/a@b.ks'),
])
def test_drop_userinfo(url, public):
    assert request_model.drop_userinfo(url) == public


# --- shape checks: ArgumentSpecValidator's errors as field-path sentences ----------------------------------------

@pytest.mark.parametrize('change,expected', [
    (lambda r: r.update(colour='red'), 'request.colour: unknown field; known fields are image_type, name'),
    (lambda r: r.update(force='yes'), 'request.force: must be true or false (got a string).'),
    (lambda r: r.update(arch='m68k'), "request.arch: 'm68k' is not one of x86_64, aarch64, ppc64le, s390x."),
    (lambda r: r.pop('release'), 'request.release: missing.'),
    (lambda r: r['koji'].update(tasks=['1']), 'request.koji.tasks[0]: must be a whole number (got a string).'),
    (lambda r: r['notify'].update(on=['never']), "request.notify.on[0]: 'never' is not one of submitted, succeeded"),
    (lambda r: r['repos']['extra'].append({'name': 'x', 'baseurl': 'https://a/', 'metalink': 'https://b/'}),
     'request.repos.extra[1]: give only one of baseurl, metalink, mirrorlist.'),
    (lambda r: r['repos']['extra'].append({'name': 'x'}),
     'request.repos.extra[1]: give one of baseurl, metalink, mirrorlist.'),
    (lambda r: r['staging'].append({'type': 'ssh', 'path': '/x'}),
     'request.staging[1].host: missing; needed when type is ssh.'),
    (lambda r: r['staging'][0].update(port=True), 'request.staging[0].port: must be a whole number (got a boolean).'),
])
def test_shape_problems_start_with_the_field_path(change, expected):
    norm, problems = validate_request({'image_type': 'boot', 'release': 41, 'repos': {
        'extra': [{'name': 'team', 'baseurl': 'https://repo.example.org/'}]}}, {'staging': [
            {'type': 'local', 'path': '/srv/fb-staging'}]})
    assert problems == [] and check_shape(norm) == []
    change(norm)
    problems = check_shape(norm)
    assert len(problems) == 1 and problems[0].startswith(expected), problems


def test_every_normalized_request_fits_the_model():
    for name in ('request-boot.yml', 'request-dvd.yml', 'request-live.yml'):
        import yaml
        with open(os.path.join(REPO, 'docs', 'examples', name)) as handle:
            data = yaml.safe_load(handle)
        request = data.get('fedora_build_request', data)
        with open(os.path.join(REPO, 'docs', 'examples', 'service-destinations.yml')) as handle:
            settings = yaml.safe_load(handle)  # the operator's named destinations the examples name
        defaults = dict((key[len('fedora_build_'):], value) for key, value in settings.items())
        defaults['staging'] = [{'type': 'local', 'path': '/srv/fb-staging'}]
        norm, problems = validate_request(request, defaults)
        assert problems == [], problems
        assert check_shape(norm) == []


# --- show(): bounded -------------------------------------------------------------------------------------------

class Counting(list):
    """A list that counts how many of its items are looked at."""
    seen = 0

    def __iter__(self):
        for item in list.__iter__(self):
            Counting.seen += 1
            yield item


def test_show_looks_at_a_few_items_only():
    Counting.seen = 0
    huge = Counting(range(10 ** 6))
    text = show(huge)
    assert Counting.seen <= 10 and len(text) < 100 and text.endswith('(1000000 long)')
    nested = [[[[[[Counting(['deep'] * 1000)] * 1000]]]]]
    Counting.seen = 0
    assert len(show(nested)) < 100 and Counting.seen == 0  # below the depth limit: not looked into
    assert len(show({'k%d' % n: 'v' * 10 ** 6 for n in range(1000)})) < 100
    assert show(10 ** 5000) == '<a 16610-bit number>'


def test_a_huge_bad_value_in_a_request_is_reported_briefly():
    norm, problems = validate_request({'image_type': 'boot', 'release': 41, 'name': ['x' * 10 ** 6] * 10 ** 5,
                                       'koji': {'builds': [{'a': 'b' * 10 ** 6}]}}, {'staging': [
                                           {'type': 'local', 'path': '/srv/fb-staging'}]})
    assert norm is None and all(len(problem) < 300 for problem in problems), problems


# --- layout ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('name', ['request.py', 'request_model.py', 'request_checks.py', 'request_repos.py',
                                  'request_targets.py',
                                  'request_builder.py', 'request_shape.py'])
def test_request_files_are_small(name):
    with open(os.path.join(REPO, 'plugins', 'module_utils', name)) as handle:
        code = [line for line in handle if line.strip() and not line.strip().startswith('#')]
    assert len(code) <= 600, '%s has %d lines of code' % (name, len(code))


# --- AWX surveys -----------------------------------------------------------------------------------------------

def survey_questions():
    import glob
    for path in sorted(glob.glob(os.path.join(REPO, 'collection', 'awx', 'surveys', '*.json'))):
        with open(path) as handle:
            for question in json.load(handle)['spec']:
                yield os.path.basename(path), question


@pytest.mark.parametrize('survey_name,question', list(survey_questions()),
                         ids=lambda value: value if isinstance(value, str) else value['variable'])
def test_every_survey_question_maps_to_a_model_field_with_its_choices_and_limits(survey_name, question):
    from ansible_collections.ondemand.fedora_build.plugins.module_utils import survey
    variable = question['variable']
    if variable == survey.BATCH_VARIABLE:
        assert survey_name == 'build_batch.json'
        return
    assert variable in survey.SURVEY_FIELDS, '%s: %s is not mapped in module_utils/survey.py' % (survey_name, variable)
    path, kind = survey.SURVEY_FIELDS[variable]
    field = request_model.field(path)  # KeyError: the question fills a field the model does not have
    meta = field[request_model.META]
    assert not meta.get('secret') and not meta.get('computed'), path
    if question['type'] in ('multiplechoice', 'multiselect'):
        choices = question['choices'].split('\n')
        if kind == 'bool':
            assert field['type'] == 'bool' and sorted(choices) == ['no', 'yes']
        elif path == 'builder.backend':  # a survey of one image type: that type's backends (the registry's)
            image_type = survey_name[len('build_'):-len('.json')]
            assert choices == list(backend_registry.names(image_type)), path
            assert set(choices) <= set(field['choices']), path
        else:
            assert choices == list(field['choices']), path
            assert (question['type'] == 'multiselect') == (field['type'] == 'list'), path
    elif kind in ('url_user', 'url_password'):
        # the login of a URL field whose user:password@ the model strips from everything it records
        assert path in request_model.userinfo_fields(), path
        assert question['type'] == ('password' if kind == 'url_password' else 'text'), variable
    elif kind == 'str':
        assert field['type'] in ('str', 'path'), path
        assert question['max'] <= meta.get('max_len', request_model.MAX_TEXT), path
        assert (question['min'] >= 1) <= (field.get('required', False) or path == 'kickstart.src'), path
    else:
        assert field['type'] == 'list', path
