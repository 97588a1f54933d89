# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWX/Tower assets (collection/awx/) and the repository as an AWX project.

- every survey spec passes the checks AWX's API applies (JobTemplateSurveySpec._validate_spec_data) and
  the launch-time checks on its defaults;
- every survey variable maps (module_utils/survey.py) onto a field of the request schema and of the role
  argument spec (roles/build/meta/argument_specs.yml, option build_request), and every choices list equals
  the argument spec's;
- survey answers run through the first play of playbooks/awx_build.yml give requests that build_request accepts;
- configure.yml uses only options awx.awx has, the credential type's injectors render as AWX renders them;
- the project layout AWX needs: collections/requirements.yml, inventory/hosts, playbooks/.
"""

from __future__ import annotations

import glob
import json
import os
import re
import subprocess
import sys

import pytest
import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ansible_collections.ondemand.fedora_build.plugins.module_utils import request as request_mod
from ansible_collections.ondemand.fedora_build.plugins.module_utils import survey
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from support.ansible_run import LOCALHOST, run_playbook

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AWX = os.path.join(ROOT, 'collection', 'awx')
SURVEYS = sorted(glob.glob(os.path.join(AWX, 'surveys', '*.json')))
BIN = os.path.dirname(sys.executable)
ARGSPEC = os.path.join(ROOT, 'roles', 'build', 'meta', 'argument_specs.yml')

# AWX: awx/api/views JobTemplateSurveySpec.ALLOWED_TYPES (question type -> type of its default)
ALLOWED_TYPES = {'text': str, 'textarea': str, 'password': str, 'multiplechoice': str, 'multiselect': str,
                 'integer': int, 'float': (float, int)}
# AWX: awx/main/utils/ansible.py, what the job template's playbook picker lists
PLAYBOOK_RE = re.compile(r'^\s*-?\s*(hosts|include|import_playbook):', re.M)
STAGING = [{'type': 'local', 'path': '/srv/fedora-build/staging'}]


def load(path):
    with open(path) as handle:
        return json.load(handle) if path.endswith('.json') else yaml.safe_load(handle)


def choices_of(item):
    value = item.get('choices', '')
    return [c for c in value.splitlines() if c.strip()] if isinstance(value, str) else list(value)


def awx_problems(spec):
    """What AWX would refuse: the API's survey_spec checks plus the launch-time checks of the defaults."""
    problems = []
    for field, kind in (('name', str), ('description', str), ('spec', list)):
        if not isinstance(spec.get(field), kind):
            problems.append('%s: missing or not a %s' % (field, kind.__name__))
    if problems:
        return problems
    if not spec['spec']:
        return ["'spec' doesn't contain any items"]
    seen = set()
    for idx, item in enumerate(spec['spec']):
        if not isinstance(item, dict):
            problems.append('question %d is not an object' % idx)
            continue
        for field in ('type', 'question_name', 'variable', 'required'):
            want = bool if field == 'required' else str
            if not isinstance(item.get(field), want):
                problems.append('question %d: %s missing or not a %s' % (idx, field, want.__name__))
        if problems:
            continue
        var, qtype = item['variable'], item['type']
        if var in seen:
            problems.append('question %d: variable %s duplicated' % (idx, var))
        seen.add(var)
        if '.' in var or not re.match(r'^[A-Za-z_][A-Za-z0-9_]*$', var):
            problems.append('question %d: variable %r is not a plain Ansible variable name' % (idx, var))
        if qtype not in ALLOWED_TYPES:
            problems.append('question %d: type %r is not an AWX question type' % (idx, qtype))
            continue
        default = item.get('default', '')
        if default != '' and not isinstance(default, ALLOWED_TYPES[qtype]):
            problems.append('question %d: default %r is not a %s' % (idx, default, qtype))
        for key in ('min', 'max'):
            if item.get(key) is not None and (not isinstance(item[key], int) or isinstance(item[key], bool)):
                problems.append('question %d: %s is not an integer' % (idx, key))
        if qtype in ('multiplechoice', 'multiselect'):
            if 'choices' not in item:
                problems.append('question %d: %s needs choices' % (idx, qtype))
                continue
            choices = choices_of(item)
            defaults = [d for d in default.splitlines() if d.strip()] if isinstance(default, str) else list(default)
            if qtype == 'multiplechoice' and len(defaults) > 1:
                problems.append('question %d: multiplechoice has more than one default' % idx)
            if any(d not in choices for d in defaults):
                problems.append('question %d: default %r is not one of the choices' % (idx, default))
            if len(set(choices)) != len(choices):
                problems.append('question %d: duplicate choices' % idx)
        if qtype in ('text', 'textarea', 'password') and isinstance(default, str) and default:
            # launch: a default outside min/max length is refused when the question is left as it is
            if item.get('min') is not None and len(default) < item['min']:
                problems.append('question %d: default shorter than min' % idx)
            if item.get('max') is not None and len(default) > item['max']:
                problems.append('question %d: default longer than max' % idx)
        if item['required'] and qtype in ('text', 'textarea') and item.get('min') == 0:
            problems.append('question %d: required but min 0 lets an empty answer through' % idx)
    return problems


def test_awx_checks_catch_broken_specs():
    good = {'type': 'text', 'question_name': 'Q', 'variable': 'fb_x', 'required': False, 'default': ''}
    assert awx_problems({'name': 'n', 'description': 'd', 'spec': [good]}) == []
    broken = [
        {'name': 'n', 'spec': [good]},
        {'name': 'n', 'description': 'd', 'spec': []},
        {'name': 'n', 'description': 'd', 'spec': [good, good]},
        {'name': 'n', 'description': 'd', 'spec': [dict(good, type='select')]},
        {'name': 'n', 'description': 'd', 'spec': [dict(good, required='yes')]},
        {'name': 'n', 'description': 'd', 'spec': [dict(good, type='integer', default='3')]},
        {'name': 'n', 'description': 'd', 'spec': [dict(good, type='multiplechoice', choices='a\nb', default='c')]},
        {'name': 'n', 'description': 'd', 'spec': [dict(good, type='multiplechoice', default='a')]},
        {'name': 'n', 'description': 'd', 'spec': [dict(good, variable='fb.x')]},
        {'name': 'n', 'description': 'd', 'spec': [dict(good, default='toolong', max=3)]},
    ]
    for spec in broken:
        assert awx_problems(spec), spec


@pytest.mark.parametrize('path', SURVEYS, ids=os.path.basename)
def test_survey_is_a_valid_awx_survey_spec(path):
    assert awx_problems(load(path)) == []


def test_every_image_type_and_the_batch_have_a_survey():
    names = sorted(os.path.basename(p) for p in SURVEYS)
    assert names == ['build_batch.json', 'build_boot_iso.json', 'build_dvd.json', 'build_live.json']


# --- survey variables -> request fields -------------------------------------------------------------------

def schema_has(path):
    node = request_mod.schema()
    for part in path.split('.'):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def request_argspec():
    """The build_request option of roles/build/meta/argument_specs.yml (None when the file is not there)."""
    if not os.path.exists(ARGSPEC):
        return None
    for entry in (load(ARGSPEC).get('argument_specs') or {}).values():
        option = (entry.get('options') or {}).get('build_request')
        if option:
            return option
    raise AssertionError('%s has no option build_request' % ARGSPEC)


def argspec_option(path):
    option = request_argspec()
    for part in path.split('.'):
        subs = option.get('suboptions') or option.get('options') or {}
        assert part in subs, '%s: no suboption %r in the build_request argument spec' % (path, part)
        option = subs[part]
    return option


# The request schema's own choices (module_utils/request.py), for when the argument spec is not there.
SCHEMA_CHOICES = {
    'image_type': request_mod.IMAGE_TYPES,
    'arch': request_mod.ARCHES,
    'repos.presets': request_mod.PRESETS,
    'builder.backend': request_mod.LIVE_BACKENDS,
    'notify.on': request_mod.NOTIFY_EVENTS,
}


def questions():
    for path in SURVEYS:
        for item in load(path)['spec']:
            yield os.path.basename(path), item


@pytest.mark.parametrize('path', SURVEYS, ids=os.path.basename)
def test_survey_variables_are_mapped_onto_request_fields(path):
    for item in load(path)['spec']:
        var = item['variable']
        if var == survey.BATCH_VARIABLE:
            assert os.path.basename(path) == 'build_batch.json'
            continue
        assert var in survey.SURVEY_FIELDS, '%s: %s is not mapped in module_utils/survey.py' % (path, var)
        field = survey.SURVEY_FIELDS[var][0]
        assert schema_has(field), '%s: %s maps to %s, which the request schema does not have' % (path, var, field)


def test_every_mapping_is_asked_somewhere():
    asked = {item['variable'] for _name, item in questions()}
    # fb_image_type is set by the per-type job templates (extra_vars), not asked
    assert set(survey.SURVEY_FIELDS) - asked == {'fb_image_type'}
    templates = load(os.path.join(AWX, 'configure.yml'))[0]['vars']['fedora_build_awx_templates']
    assert {t['extra_vars'].get('fb_image_type') for t in templates if t['survey']} == {'boot', 'dvd', 'live', None}


def test_survey_types_match_the_role_argument_spec():
    if request_argspec() is None:
        pytest.skip('roles/build/meta/argument_specs.yml is not there (the schema test above still ran)')
    want = {'str': ('str', 'path', 'raw'), 'list': ('list',), 'intlist': ('list',), 'taglist': ('list',),
            'bool': ('bool',), 'url_user': ('str', 'raw'), 'url_password': ('str', 'raw')}
    for var, (field, kind) in survey.SURVEY_FIELDS.items():
        option = argspec_option(field)
        assert option.get('type', 'str') in want[kind], '%s -> %s: argument spec type %s, survey reads %s' % (
            var, field, option.get('type', 'str'), kind)


def test_choices_equal_the_role_argument_spec():
    checked = 0
    for name, item in questions():
        if item['type'] not in ('multiplechoice', 'multiselect'):
            continue
        field, kind = survey.SURVEY_FIELDS[item['variable']]
        if field == 'builder.backend':  # the live survey offers the live backends only, a subset of every backend
            assert sorted(choices_of(item)) == sorted(SCHEMA_CHOICES[field]), (name, item['variable'])
            if request_argspec() is not None:
                assert set(SCHEMA_CHOICES[field]) < set(argspec_option(field).get('choices')), field
            checked += 1
            continue
        if kind == 'bool':
            assert sorted(choices_of(item)) == ['no', 'yes'], (name, item['variable'])
            expected = None
        elif request_argspec() is not None:
            expected = argspec_option(field).get('choices')
        else:
            expected = SCHEMA_CHOICES.get(field)
        if kind != 'bool':
            assert expected, '%s: %s (%s) offers choices but the request field has none' % (name, item['variable'], field)
            assert sorted(choices_of(item)) == sorted(expected), (name, item['variable'])
            if request_argspec() is not None:
                assert sorted(expected) == sorted(SCHEMA_CHOICES[field]), 'argument spec and request.py differ on ' + field
        checked += 1
    assert checked >= 9   # arch x3, presets x3, notify.on x3, backend, force x3


def test_text_limits_fit_the_request_fields():
    spec = {item['variable']: item for _name, item in questions()}
    assert spec['fb_name']['max'] <= 64             # request.name: at most 64 characters
    assert spec['fb_release']['max'] <= 16
    for var in ('fb_release', 'fb_arch'):
        assert spec[var]['required'] is True


def test_per_type_questions():
    by_file = {}
    for name, item in questions():
        by_file.setdefault(name, {})[item['variable']] = item
    assert 'fb_kickstart_url' not in by_file['build_boot_iso.json']      # lorax takes no kickstart
    assert by_file['build_dvd.json']['fb_kickstart_url']['required'] is True
    assert by_file['build_live.json']['fb_kickstart_url']['required'] is False   # kiwi needs none
    assert 'fb_live_backend' in by_file['build_live.json'] and 'fb_kiwi_description' in by_file['build_live.json']
    assert list(by_file['build_batch.json']) == ['fb_requests', 'fb_kickstart_user', 'fb_kickstart_password']
    for name in ('build_dvd.json', 'build_live.json', 'build_batch.json'):  # AWX keeps a "password" answer encrypted
        assert by_file[name]['fb_kickstart_password']['type'] == 'password'
        assert by_file[name]['fb_kickstart_user']['type'] == 'text'
    assert 'fb_kickstart_password' not in by_file['build_boot_iso.json']
    assert not any('fb_image_type' in qs for qs in by_file.values())


# --- the mapping itself ---------------------------------------------------------------------------------

def test_request_from_survey():
    answers = {'fb_release': '41', 'fb_arch': 'aarch64', 'fb_name': '', 'fb_koji_builds': 'bash-5.2.32-1.fc41,\n 2412345',
               'fb_koji_tasks': '123 456', 'fb_koji_tag_latest': 'f41-updates-candidate/kernel f41-updates-candidate/dracut',
               'fb_repo_presets': ['release', 'updates-testing'], 'fb_email': 'qa@example.org; rel@example.org',
               'fb_webhook': '', 'fb_notify_on': [], 'fb_force': 'yes', 'fb_image_type': 'dvd', 'other': 'x'}
    assert survey.request_from_survey(answers, image_type='boot') == {
        'image_type': 'boot', 'release': '41', 'arch': 'aarch64', 'force': True,
        'koji': {'builds': ['bash-5.2.32-1.fc41', '2412345'], 'tasks': [123, 456],
                 'tag_latest': [{'tag': 'f41-updates-candidate', 'packages': ['kernel', 'dracut']}]},
        'repos': {'presets': ['release', 'updates-testing']},
        'notify': {'email': ['qa@example.org', 'rel@example.org']}}
    assert survey.request_from_survey({'fb_force': 'no', 'fb_release': 41}) == {'force': False, 'release': '41'}


def test_request_from_survey_puts_the_kickstart_login_into_the_url():
    """The survey asks the login apart (a password question, encrypted by AWX); the request carries it as the
    URL's user:password@, percent-encoded, which the kickstart step decodes into its no_log options."""
    answers = {'fb_kickstart_url': 'https://ks.example.org/live.ks', 'fb_kickstart_user': 'qa team',
               'fb_kickstart_password': 'p@ss:w/rd %'}
    assert survey.request_from_survey(answers) == {
        'kickstart': {'src': 'https://qa%20team:p%40ss%3Aw%2Frd%20%25@ks.example.org/live.ks'}}
    assert survey.request_from_survey(dict(answers, fb_kickstart_password='')) == {
        'kickstart': {'src': 'https://qa%20team@ks.example.org/live.ks'}}
    assert survey.request_from_survey(dict(answers, fb_kickstart_user='', fb_kickstart_password='')) == {
        'kickstart': {'src': 'https://ks.example.org/live.ks'}}


@pytest.mark.parametrize('answers, message', [
    ({'fb_kickstart_password': 'x'}, 'fb_kickstart_password: a password needs the login name too (fb_kickstart_user).'),
    ({'fb_kickstart_user': 'a'}, 'fb_kickstart_user: a login needs the URL it is for (fb_kickstart_url).'),
    ({'fb_kickstart_user': 'a', 'fb_kickstart_url': '/srv/ks/a.ks'},
     'fb_kickstart_user: a login goes with an http, https or ftp URL in fb_kickstart_url, not with a path.'),
    ({'fb_kickstart_user': 'a', 'fb_kickstart_url': 'https://b:c@ks.example.org/a.ks'},
     'fb_kickstart_url: the URL holds a login, which the job'),
    ({'fb_kickstart_url': 'https://b:c@ks.example.org/a.ks'}, 'fb_kickstart_url: the URL holds a login, which the job'),
    ({'fb_kickstart_url': 'ftp://b@ks.example.org/a.ks'}, 'fb_kickstart_url: the URL holds a login, which the job'),
    ({'fb_kickstart_user': 'a', 'fb_kickstart_password': ['x'], 'fb_kickstart_url': 'https://h/a.ks'},
     'fb_kickstart_password: expected text, got list.'),
    ({'fb_koji_tasks': '12 abc'}, "fb_koji_tasks: 'abc' is not a Koji task ID"),
    ({'fb_force': 'maybe'}, "fb_force: 'maybe' is not yes or no."),
    ({'fb_koji_tag_latest': 'kernel'}, "fb_koji_tag_latest: 'kernel' is not TAG/PACKAGE"),
    ({'fb_release': ['41']}, 'fb_release: expected text, got list.'),
])
def test_request_from_survey_refuses_bad_answers(answers, message):
    with pytest.raises(FedoraBuildError) as err:
        survey.request_from_survey(answers)
    assert err.value.msg.startswith(message)


def survey_play():
    """The survey -> request play of playbooks/awx_build.yml (its first play), to run without the build."""
    play = load(os.path.join(ROOT, 'playbooks', 'awx_build.yml'))[0]
    assert play['hosts'] == 'localhost' and 'tasks' in play
    return play


def answers_for(survey_file, **overrides):
    """What AWX sends when the survey is left at its defaults, plus overrides."""
    answers = {}
    for item in load(os.path.join(AWX, 'surveys', survey_file))['spec']:
        default = item.get('default', '')
        if item['type'] == 'multiselect':
            default = [d for d in default.splitlines() if d]
        answers[item['variable']] = default
    answers.update(overrides)
    return answers


SURVEY_CASES = {
    'boot-defaults': ('boot', answers_for('build_boot_iso.json', fb_image_type='boot')),
    'boot-everything': ('boot', answers_for(
        'build_boot_iso.json', fb_image_type='boot', fb_arch='aarch64', fb_name='qa-kernel-test',
        fb_koji_builds='kernel-6.11.4-301.fc41 2412345', fb_koji_tasks='123456789',
        fb_koji_tag_latest='f41-updates-candidate/dracut', fb_repo_presets=['release', 'updates-testing'],
        fb_email='qa@example.org, spins@example.org', fb_webhook='team-hook',
        fb_notify_on=['failed'], fb_force='yes')),
    'dvd': ('dvd', answers_for('build_dvd.json', fb_image_type='dvd', fb_release='rawhide', fb_arch='ppc64le',
                               fb_kickstart_url='https://pagure.example.org/fedora-kickstarts/raw/main/fedora-dvd.ks')),
    'live-lmc': ('live', answers_for('build_live.json', fb_image_type='live', fb_kickstart_url='ftp://ftp.example.org/ks/live.ks')),
    'live-kiwi': ('live', answers_for('build_live.json', fb_image_type='live', fb_live_backend='kiwi',
                                      fb_kiwi_description='fedora')),
}


@pytest.fixture(scope='module')
def mapped(tmp_path_factory):
    """Every SURVEY_CASES answer set through the real survey play of playbooks/awx_build.yml (one run per case)."""
    out = {}
    for case, (image_type, answers) in SURVEY_CASES.items():
        tmp = tmp_path_factory.mktemp('survey-' + case)
        playbook = tmp / 'map.yml'
        playbook.write_text(yaml.safe_dump([
            survey_play(),
            {'name': 'Validate', 'hosts': 'localhost', 'gather_facts': False, 'tasks': [
                {'name': 'build_request', 'ondemand.fedora_build.build_request': {
                    'requests': "{{ fedora_build_requests | default([fedora_build_request]) }}",
                    'image_type': image_type, 'defaults': {'staging': STAGING, 'webhooks': ['team-hook']}},
                 'register': 'valid', 'ignore_errors': True},
                {'name': 'Save', 'ansible.builtin.copy': {
                    'content': "{{ {'request': fedora_build_request | default(None), 'valid': valid} | to_json }}",
                    'dest': str(tmp / 'out.json'), 'mode': '0600'}}]}]))
        run = run_playbook(str(playbook), LOCALHOST, extra_vars=answers, workdir=tmp / 'run')
        run.assert_ok()
        out[case] = json.loads((tmp / 'out.json').read_text())
    return out


@pytest.mark.parametrize('case', sorted(SURVEY_CASES))
def test_survey_answers_become_a_request_that_build_request_accepts(mapped, case):
    image_type, answers = SURVEY_CASES[case]
    result = mapped[case]
    assert result['request'] == survey.request_from_survey(answers)
    assert result['valid'].get('failed') is not True, result['valid'].get('msg')
    assert result['valid'].get('problems', []) == []
    normalized = result['valid']['requests'][0]
    assert normalized['image_type'] == image_type
    assert normalized['release'] == answers['fb_release']
    assert normalized['arch'] == answers['fb_arch']
    if answers.get('fb_koji_builds'):
        assert normalized['koji']['builds'] == ['kernel-6.11.4-301.fc41', 2412345]
    if answers.get('fb_kickstart_url'):
        assert normalized['kickstart']['src'] == answers['fb_kickstart_url']
    assert normalized['force'] is (answers['fb_force'] == 'yes')


def test_the_batch_survey_puts_the_kickstart_login_into_every_kickstart_url():
    """The batch template asks the login apart too: it goes into each http, https or ftp kickstart URL of the batch,
    in whichever shape the request gives the kickstart (a URL, or a mapping with src); other requests are left as
    they are, and the answer itself is not changed."""
    batch = [{'image_type': 'live', 'kickstart': 'https://ks.example.org/live.ks'},
             {'image_type': 'dvd', 'kickstart': {'src': 'ftp://ks.example.org/dvd.ks', 'sha256': 'a' * 64}},
             {'image_type': 'dvd', 'kickstart': '/srv/ks/dvd.ks'}, {'image_type': 'boot'}]
    got = survey.requests_from_batch(batch, user='qa team', password='p@ss:w/rd %')
    assert got[0]['kickstart'] == 'https://qa%20team:p%40ss%3Aw%2Frd%20%25@ks.example.org/live.ks'
    assert got[1]['kickstart'] == {'src': 'ftp://qa%20team:p%40ss%3Aw%2Frd%20%25@ks.example.org/dvd.ks', 'sha256': 'a' * 64}
    assert got[2:] == batch[2:] and batch[0]['kickstart'] == 'https://ks.example.org/live.ks'
    assert survey.requests_from_batch(batch, user='qa', password='')[0]['kickstart'] == 'https://qa@ks.example.org/live.ks'
    assert survey.requests_from_batch(batch, user='', password='') == batch


@pytest.mark.parametrize('batch, login, message', [
    ([{'kickstart': 'https://b:c@ks.example.org/a.ks'}], {}, 'fb_requests[0].kickstart: the URL holds a login, which '),
    ([{}, {'kickstart': {'src': 'ftp://b@ks.example.org/a.ks'}}], {'user': 'a'},
     'fb_requests[1].kickstart.src: the URL holds a login, which '),
    ([{'kickstart': '/srv/ks/a.ks'}], {'user': 'a'},
     'fb_kickstart_user: a login needs a request with an http, https or ftp kickstart URL in fb_requests.'),
    ([{'kickstart': 'https://h/a.ks'}], {'password': 'x'},
     'fb_kickstart_password: a password needs the login name too (fb_kickstart_user).'),
    ([{'kickstart': 'https://h/a.ks'}], {'user': ['a']}, 'fb_kickstart_user: expected text, got list.'),
])
def test_a_login_typed_into_a_survey_url_is_refused(batch, login, message):
    """A login typed into a URL answer is in the job's extra vars for anyone who may see the job: refused, naming
    the request, before anything uses it; the login questions are the way."""
    with pytest.raises(FedoraBuildError) as err:
        survey.requests_from_batch(batch, **login)
    assert err.value.msg.startswith(message), err.value.msg
    assert '\n' not in err.value.msg


def test_bad_survey_answers_fail_validation_naming_the_field():
    answers = answers_for('build_dvd.json', fb_image_type='dvd', fb_release='41x', fb_kickstart_url='gopher://x/ks')
    normalized, problems = request_mod.validate_request(survey.request_from_survey(answers), defaults={'staging': STAGING})
    assert normalized is None
    text = '\n'.join(problems)
    assert 'request.release' in text and 'request.kickstart.src' in text


def test_batch_answer_becomes_fedora_build_requests(tmp_path):
    batch = ('- {image_type: boot, release: "41", arch: x86_64}\n'
             '- image_type: live\n  release: "41"\n  kickstart: https://example.org/live.ks\n')
    playbook = tmp_path / 'batch.yml'
    playbook.write_text(yaml.safe_dump([
        survey_play(),
        {'name': 'Validate', 'hosts': 'localhost', 'gather_facts': False, 'tasks': [
            {'name': 'build_request', 'ondemand.fedora_build.build_request': {
                'requests': '{{ fedora_build_requests }}', 'defaults': {'staging': STAGING}}, 'register': 'valid'},
            {'name': 'Check', 'ansible.builtin.assert': {'that': [
                'valid.requests | length == 2', "fedora_build_request is not defined",
                "valid.requests[1].kickstart.src == 'https://example.org/live.ks'"]}}]}]))
    run = run_playbook(str(playbook), LOCALHOST, extra_vars={'fb_requests': batch}, workdir=tmp_path / 'run')
    run.assert_ok()

    broken = run_playbook(str(playbook), LOCALHOST, extra_vars={'fb_requests': '- image_type: [boot'},
                          workdir=tmp_path / 'run2')
    assert broken.rc != 0
    assert 'fb_requests: not valid YAML at line' in broken.stdout + broken.stderr


def test_awx_build_playbook_is_survey_then_build():
    plays = load(os.path.join(ROOT, 'playbooks', 'awx_build.yml'))
    assert [p.get('ansible.builtin.import_playbook') for p in plays] == [None, 'build.yml']
    assert plays[0]['hosts'] == 'localhost'    # the facts build.yml's localhost play reads


# --- configure.yml and the credential type ------------------------------------------------------------

@pytest.fixture(scope='module')
def awx_collections():
    """awx.awx, extracted from the `ansible` package on PyPI by tests/awx-collection.sh."""
    proc = subprocess.run([os.path.join(ROOT, 'tests', 'awx-collection.sh')], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, check=False)
    assert proc.returncode == 0, 'tests/awx-collection.sh failed: ' + proc.stderr
    return proc.stdout.strip().splitlines()[-1]


def ansible_env(collections):
    env = dict(os.environ)
    env['ANSIBLE_COLLECTIONS_PATH'] = os.pathsep.join([collections, os.path.join(ROOT, '.collections')])
    env['ANSIBLE_CONFIG'] = os.path.join(ROOT, 'ansible.cfg')
    return env


def test_configure_playbook_passes_syntax_check(awx_collections):
    proc = subprocess.run([os.path.join(BIN, 'ansible-playbook'), '--syntax-check', 'collection/awx/configure.yml'],
                          cwd=ROOT, env=ansible_env(awx_collections), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, check=False)
    assert proc.returncode == 0, proc.stdout


def test_configure_uses_only_options_awx_awx_has(awx_collections):
    tasks = load(os.path.join(AWX, 'configure.yml'))[0]['tasks']
    used = {}
    for task in tasks:
        for key, args in task.items():
            if key.startswith('awx.awx.'):
                used.setdefault(key, set()).update(args)
    assert set(used) >= {'awx.awx.organization', 'awx.awx.project', 'awx.awx.inventory', 'awx.awx.inventory_source',
                         'awx.awx.credential_type', 'awx.awx.credential', 'awx.awx.job_template'}
    proc = subprocess.run([os.path.join(BIN, 'ansible-doc'), '--json', '-t', 'module'] + sorted(used),
                          env=ansible_env(awx_collections), stdout=subprocess.PIPE, universal_newlines=True, check=True)
    docs = json.loads(proc.stdout)
    for module, options in used.items():
        known = set(docs[module]['doc']['options'])
        assert options <= known, '%s: unknown options %s' % (module, sorted(options - known))
    cred_kinds = docs['awx.awx.credential_type']['doc']['options']['kind']['choices']
    assert load(os.path.join(AWX, 'credential_types', 'fedora_build.yml'))['kind'] in cred_kinds


def test_configure_references_existing_files():
    play = load(os.path.join(AWX, 'configure.yml'))[0]
    templates = play['vars']['fedora_build_awx_templates']
    referenced = {t['survey'] for t in templates if t['survey']}
    assert {os.path.join(AWX, s) for s in referenced} == set(SURVEYS)
    for template in templates:
        path = os.path.join(ROOT, template['playbook'])
        with open(path) as handle:
            assert PLAYBOOK_RE.search(handle.read()), '%s would not be listed by AWX' % template['playbook']
        assert not re.search(r'(^|/)(roles|tasks|group_vars|host_vars)/|(^|/)\.', template['playbook'])


CREDENTIAL = load(os.path.join(AWX, 'credential_types', 'fedora_build.yml'))


def render_injectors(inputs):
    """Render the injectors like AWX (sandboxed Jinja; tower.filename.<name> is the temp file's path)."""
    env = ImmutableSandboxedEnvironment()
    fields = {f['id']: f for f in CREDENTIAL['inputs']['fields']}
    namespace = {key: inputs.get(key, fields[key].get('default', '')) for key in fields}
    files = {}
    for label, template in CREDENTIAL['injectors'].get('file', {}).items():
        name = label.split('.', 1)[1]
        files[name] = ('/tmp/awx_1_abc/tmp_%s' % name, env.from_string(template).render(**namespace))
    namespace['tower'] = {'filename': {name: path for name, (path, _content) in files.items()}}
    environ = {key: env.from_string(template).render(**namespace) for key, template in CREDENTIAL['injectors']['env'].items()}
    return environ, files


def test_credential_type_is_consistent():
    fields = {f['id']: f for f in CREDENTIAL['inputs']['fields']}
    for field in fields.values():
        assert set(field) <= {'id', 'label', 'type', 'secret', 'multiline', 'format', 'choices', 'default', 'help_text'}
        assert field.get('type', 'string') in ('string', 'boolean')
    for needed in ('koji_client_cert', 'koji_keytab_base64', 'ftp_password', 'smtp_password', 'webhook_token'):
        assert fields[needed].get('secret') is True, needed
    assert set(CREDENTIAL['inputs'].get('required', [])) <= set(fields)
    env_names = list(CREDENTIAL['injectors']['env'])
    assert all(re.match(r'^FEDORA_BUILD_[A-Z0-9_]+$', name) for name in env_names)
    assert set(CREDENTIAL['injectors']) <= {'env', 'file', 'extra_vars'}
    refs = set()
    for template in list(CREDENTIAL['injectors']['env'].values()) + list(CREDENTIAL['injectors']['file'].values()):
        refs.update(re.findall(r'\b([a-z][a-z0-9_]+)\b', template.replace('tower.filename.', 'tower.filename.X')))
    files = {label.split('.', 1)[1] for label in CREDENTIAL['injectors']['file']}
    for ref in refs - {'if', 'else', 'tower', 'filename'}:
        assert ref in fields or ref in files, 'injector refers to %r, which is no input' % ref


def test_credential_injectors_render_like_awx():
    environ, files = render_injectors({'koji_auth': 'ssl', 'koji_client_cert': '-----BEGIN CERTIFICATE-----\n...',
                                       'ftp_username': 'stager', 'ftp_password': 's3cret', 'smtp_password': 'mail'})
    assert environ['FEDORA_BUILD_KOJI_AUTH'] == 'ssl'
    assert environ['FEDORA_BUILD_KOJI_CLIENT_CERT'] == files['koji_client_cert'][0]
    assert files['koji_client_cert'][1].startswith('-----BEGIN CERTIFICATE-----')
    assert environ['FEDORA_BUILD_KOJI_CA_CERT'] == ''          # not given: no path to an empty file
    assert environ['FEDORA_BUILD_KOJI_KEYTAB_BASE64'] == ''
    assert environ['FEDORA_BUILD_FTP_PASSWORD'] == 's3cret' and environ['FEDORA_BUILD_SMTP_PASSWORD'] == 'mail'
    empty = render_injectors({})[0]
    assert empty['FEDORA_BUILD_KOJI_AUTH'] == 'none'
    assert all(value == '' for key, value in empty.items() if key != 'FEDORA_BUILD_KOJI_AUTH')


def test_docs_list_every_credential_variable():
    with open(os.path.join(ROOT, 'docs', 'awx.md')) as handle:
        text = handle.read()
    for name in CREDENTIAL['injectors']['env']:
        assert name in text, name
    for var in survey.SURVEY_FIELDS:
        assert var in text, var


# --- the repository as an AWX project -------------------------------------------------------------------

def test_project_sync_installs_the_collection_from_collections_requirements(tmp_path):
    reqs = load(os.path.join(ROOT, 'collections', 'requirements.yml'))
    assert {'name': '.', 'type': 'dir'} in reqs['collections']
    cfg = tmp_path / 'ansible.cfg'     # not the checkout's, whose collections_path finds .collections/ (AWX has none)
    cfg.write_text('[defaults]\n')
    env = dict(os.environ, ANSIBLE_HOME=str(tmp_path / 'home'), ANSIBLE_CONFIG=str(cfg),
               ANSIBLE_COLLECTIONS_PATH=str(tmp_path / 'req'))
    # AWX runs this with chdir: <project root> (awx/playbooks/project_update.yml)
    proc = subprocess.run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'install', '-r', 'collections/requirements.yml',
                           '-p', str(tmp_path / 'req')], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    assert proc.returncode == 0, proc.stdout
    installed = tmp_path / 'req' / 'ansible_collections' / 'ondemand' / 'fedora_build'
    assert (installed / 'plugins' / 'filter' / 'survey_request.py').exists()
    assert (installed / 'playbooks' / 'awx_build.yml').exists()


def test_inventory_hosts_is_discoverable_and_grouped_by_arch():
    # AWX lists inventory files named `hosts` or `inventory` (awx could_be_inventory)
    assert os.path.basename(os.path.join(ROOT, 'inventory', 'hosts')) in ('hosts', 'inventory')
    proc = subprocess.run([os.path.join(BIN, 'ansible-inventory'), '-i', 'inventory/hosts', '--list'], cwd=ROOT,
                          stdout=subprocess.PIPE, universal_newlines=True, check=True)
    data = json.loads(proc.stdout)
    children = data['builders']['children']
    assert children and all(child.startswith('builders_') for child in children)
