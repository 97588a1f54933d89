# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The build_request module: parameters, result shape and the failure message, run in-process."""

from __future__ import annotations

import json
import os

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.ondemand.fedora_build.plugins.modules import build_request

KS_DIR = os.path.realpath(os.path.join(os.path.dirname(__file__), '..', '..', 'data', 'kickstarts'))
DEFAULTS = {'staging': [{'type': 'local', 'path': '/srv/staging'}], 'kickstart_dirs': [KS_DIR]}
LIVE = {'image_type': 'live', 'release': 41, 'kickstart': {'src': os.path.join(KS_DIR, 'live.ks')}}
BOOT = {'image_type': 'boot', 'release': 'rawhide', 'arch': 'aarch64'}


def run(capsys, args):
    with patch_module_args(args), pytest.raises(SystemExit):
        build_request.main()
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize('check_mode', [False, True])
def test_batch(capsys, check_mode):
    args = {'requests': [LIVE, BOOT], 'defaults': DEFAULTS}
    if check_mode:
        args['_ansible_check_mode'] = True
    result = run(capsys, args)
    assert result.get('failed') is not True, result
    assert result['changed'] is False
    assert result['count'] == 2 and result['problems'] == []
    assert [r['image_type'] for r in result['requests']] == ['live', 'boot']
    assert result['request_ids'] == [r['request_id'] for r in result['requests']]
    assert result['requests'][1]['repos']['resolved'] == [
        {'name': 'rawhide',
         'baseurl': 'https://dl.fedoraproject.org/pub/fedora/linux/development/rawhide/Everything/aarch64/os/'}]


def test_single_request_and_forced_type(capsys):
    result = run(capsys, {'request': {'release': 41, 'kickstart': os.path.join(KS_DIR, 'dvd.ks')}, 'image_type': 'dvd',
                          'defaults': DEFAULTS})
    assert result['count'] == 1 and result['requests'][0]['image_type'] == 'dvd'
    assert result['requests'][0]['name'] == 'dvd'
    result = run(capsys, {'request': LIVE, 'image_type': 'dvd', 'defaults': DEFAULTS})
    assert result['failed'] is True
    assert result['msg'] == ("The build request has a problem: request.image_type: 'live' does not match this "
                             "playbook, which builds image_type dvd.")
    assert result['problems'] == [result['msg'][len('The build request has a problem: '):]]


def test_every_problem_in_the_message(capsys):
    bad = dict(LIVE, koji={'builds': ['foo;rm']}, arch='i386')
    result = run(capsys, {'requests': [LIVE, bad, 'oops'], 'defaults': DEFAULTS})
    assert result['failed'] is True
    assert result['problems'] == [
        "requests[1].arch: 'i386' is not one of x86_64, aarch64, ppc64le, s390x.",
        "requests[1].koji.builds[0]: 'foo;rm' is not an NVR (name-version-release) or a numeric build ID.",
        'requests[2]: must be a mapping with the fields image_type, name, release, arch, kickstart, koji, repos, '
        'builder, staging, notify, force, contents (got a string).']
    assert result['msg'] == 'The build request has 3 problems: %s.' % '; '.join(p.rstrip('.') for p in result['problems'])
    assert 'requests' not in result and 'Traceback' not in json.dumps(result)


def test_password_is_not_in_problems(capsys):
    target = {'type': 'ftp', 'host': 'ftp example', 'path': '/in', 'password': 'Sup3r-Secret', 'password_env': 'PW'}
    # a request cannot carry a password at all
    result = run(capsys, {'request': dict(LIVE, staging=[target]), 'defaults': dict(DEFAULTS, allow_request_destinations=True)})
    assert result['failed'] is True and len(result['problems']) == 2  # the password, and the bad host
    assert result['problems'][0].startswith('request.staging[0].password: a request cannot give credentials')
    assert 'Sup3r-Secret' not in json.dumps(result)
    assert result['invocation']['module_args']['request']['staging'][0]['password'] == 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'
    # the operator's target: bad ones are reported without the password
    result = run(capsys, {'request': dict(LIVE, staging=['ftp']), 'defaults': dict(DEFAULTS, staging_targets={'ftp': target})})
    assert result['failed'] is True and len(result['problems']) == 3  # host, password+password_env, unknown name
    assert 'Sup3r-Secret' not in json.dumps(result)
    # a valid one is returned (the staging step needs it) but not echoed in the invocation
    target.update(host='ftp.example.org', password_env=None)
    result = run(capsys, {'request': dict(LIVE, staging=['ftp']), 'defaults': dict(DEFAULTS, staging_targets={'ftp': target})})
    # a named target travels by its name: the staging step reads its login from the operator's settings
    assert result['requests'][0]['staging'][0]['target'] == 'ftp'
    assert 'password' not in result['requests'][0]['staging'][0]
    assert 'Sup3r-Secret' not in json.dumps(result)


@pytest.mark.parametrize('args,needle', [
    ({}, 'one of the following is required: requests, request'),
    ({'request': LIVE, 'requests': [LIVE]}, 'parameters are mutually exclusive: requests|request'),
    ({'request': LIVE, 'image_type': 'cloud'}, 'value of image_type must be one of: boot, dvd, live'),
    ({'requests': []}, 'The build request has a problem: requests: is empty; give at least one build request.'),
    ({'request': 'boot'}, 'The build request has a problem: request: must be a mapping'),
])
def test_bad_parameters(capsys, args, needle):
    result = run(capsys, dict({'defaults': DEFAULTS}, **args) if args else args)
    assert result['failed'] is True
    assert needle in result['msg'], result['msg']


def test_failure_message_forms():
    assert build_request.failure_message(['a: b.']) == 'The build request has a problem: a: b.'
    assert build_request.failure_message(['a: b.', 'c: d (e).']) == 'The build request has 2 problems: a: b; c: d (e).'
