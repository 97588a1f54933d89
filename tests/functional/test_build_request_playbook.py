# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""build_request through the real ansible-playbook on localhost, with the documented example files."""

from __future__ import annotations

import json

import yaml

from support.ansible_run import REPO, run_playbook

# the operator's named destinations of the documented example (the example requests name them)
_OPERATOR = yaml.safe_load((REPO / 'docs' / 'examples' / 'service-destinations.yml').read_text())
DEFAULTS = {'staging': [{'type': 'local', 'path': '/srv/fedora-build/staging'}],
            'staging_targets': _OPERATOR['fedora_build_staging_targets'],
            'koji_hubs': _OPERATOR['fedora_build_koji_hubs'],
            'webhooks': sorted(_OPERATOR['fedora_build_webhooks'])}


def play(task_args, check=False, extra_vars=None, args=()):
    task = {'name': 'validate', 'ondemand.fedora_build.build_request': task_args, 'register': 'fb_valid'}
    show = {'name': 'show', 'ansible.builtin.debug': {'msg': '{{ fb_valid.request_ids }}'}}
    plays = [{'name': 'validate requests', 'hosts': 'localhost', 'gather_facts': False, 'tasks': [task, show]}]
    return run_playbook(plays, extra_vars=extra_vars, check=check, args=args)


def test_batch_example_file_through_extra_vars():
    run = play({'requests': '{{ fedora_build_requests }}', 'defaults': DEFAULTS},
               args=['-e', '@' + str(REPO / 'docs' / 'examples' / 'requests-batch.yml')])
    run.assert_ok()
    result = run.result('validate')
    assert result['changed'] is False and result['count'] == len(result['requests']) >= 3
    assert run.result('show')['msg'] == result['request_ids']
    assert all(r['request_id'] in result['request_ids'] for r in result['requests'])


def test_single_example_files_and_forced_type_in_check_mode():
    for image_type in ('boot', 'dvd', 'live'):
        run = play({'request': '{{ fedora_build_request }}', 'image_type': image_type, 'defaults': DEFAULTS}, check=True,
                   args=['-e', '@' + str(REPO / 'docs' / 'examples' / ('request-%s.yml' % image_type))])
        run.assert_ok()
        normalized = run.result('validate')['requests'][0]
        assert normalized['image_type'] == image_type
        assert normalized['repos']['resolved'], normalized


def test_plain_on_key_in_a_yaml_file(tmp_path):
    """YAML 1.1 reads `on:` as true, and JSON makes that "true" on its way to the module."""
    path = tmp_path / 'req.yml'
    path.write_text('fedora_build_request:\n  image_type: boot\n  release: 41\n  notify:\n'
                    '    email: [a@example.org]\n    on: [failed]\n')
    run = play({'request': '{{ fedora_build_request }}', 'defaults': DEFAULTS}, args=['-e', '@%s' % path])
    run.assert_ok()
    assert run.result('validate')['requests'][0]['notify']['on'] == ['failed']


def test_every_problem_reported_and_the_play_fails():
    requests = [{'image_type': 'live', 'release': 41, 'kickstart': {'src': 'https://ks.example.org/live.ks'}},
                {'image_type': 'live', 'release': 41, 'kickstart': {'src': 'https://ks.example.org/live.ks'},
                 'koji': {'builds': ['foo;rm']}, 'notify': {'email': ['nobody']},
                 'staging': [{'type': 'ftp', 'host': 'ftp.example.org', 'path': 'rel', 'password': 'Sup3r-Secret'}]}]
    run = play({'requests': '{{ reqs }}', 'defaults': DEFAULTS}, extra_vars={'reqs': requests})
    assert run.rc == 2, run.describe()
    result = run.result('validate')
    assert run.status('validate') == 'failed'
    assert result['problems'] == [
        "requests[1].koji.builds[0]: 'foo;rm' is not an NVR (name-version-release) or a numeric build ID.",
        'requests[1].staging[0].password: a request cannot give credentials or their source; the operator defines '
        'a staging target with its login in fedora_build_staging_targets, and the request names it.',
        "requests[1].staging[0].path: 'rel' is not an absolute path on the ftp server (it must start with \"/\").",
        "requests[1].notify.email[0]: 'nobody' is not an email address."]
    assert result['msg'].startswith('The build request has 4 problems: requests[1].koji.builds[0]: ')
    assert 'Traceback' not in run.stdout + run.stderr
    assert 'Sup3r-Secret' not in run.stdout + run.stderr


def test_normalized_requests_pass_the_build_role_argument_spec():
    """What build_request returns is what roles/build/meta/argument_specs.yml accepts (Ansible's own validation)."""
    spec = "{{ (lookup('ansible.builtin.file', '%s') | from_yaml).argument_specs.main.options }}" % (
        REPO / 'roles' / 'build' / 'meta' / 'argument_specs.yml')
    tasks = [
        {'name': 'validate', 'ondemand.fedora_build.build_request': {'requests': '{{ fedora_build_requests }}',
                                                                     'defaults': DEFAULTS},
         'register': 'fb_valid'},
        {'name': 'role spec', 'ansible.builtin.validate_argument_spec': {
            'argument_spec': spec, 'provided_arguments': {'build_request': '{{ item }}'}},
         'loop': '{{ fb_valid.requests }}'},
        {'name': 'role spec refuses a raw request', 'ansible.builtin.validate_argument_spec': {
            'argument_spec': spec, 'provided_arguments': {'build_request': {'image_type': 'cloud', 'release': 41}}},
         'ignore_errors': True, 'register': 'fb_raw'},
    ]
    for name in ('requests-batch.yml', 'request-live.yml'):
        extra = ['-e', '@' + str(REPO / 'docs' / 'examples' / name)]
        if name == 'request-live.yml':
            extra += ['-e', '{"fedora_build_requests": ["{{ fedora_build_request }}"]}']
        run = run_playbook([{'name': 'spec', 'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}], args=extra)
        run.assert_ok()
        assert run.status('role spec') in ('ok', 'changed'), run.describe()
        raw = run.result('role spec refuses a raw request')
        assert run.status('role spec refuses a raw request') == 'ignored', raw
        assert 'image_type' in json.dumps(raw['argument_errors'])
