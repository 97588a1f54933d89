# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action plugins of build_request and build_plan: on a local connection they return what the module returns,
in the controller's process; the result carries no Ansible trust (a request string in it is never a template);
on any other connection, or with become, the module runs."""

from __future__ import annotations

import json
import os
from types import SimpleNamespace
from unittest import mock

import pytest

from ansible._internal._datatag._tags import TrustedAsTemplate
from ansible.module_utils._internal._datatag import AnsibleTagHelper
from ansible.module_utils.testing import patch_module_args

from ansible_collections.ondemand.fedora_build.plugins.action import build_plan as plan_action
from ansible_collections.ondemand.fedora_build.plugins.action import build_request as request_action
from ansible_collections.ondemand.fedora_build.plugins.modules import build_plan as plan_module
from ansible_collections.ondemand.fedora_build.plugins.modules import build_request as request_module

KS_DIR = os.path.realpath(os.path.join(os.path.dirname(__file__), '..', '..', 'data', 'kickstarts'))
DEFAULTS = {'staging': [{'type': 'local', 'path': '/srv/staging'}], 'kickstart_dirs': [KS_DIR]}
LIVE = {'image_type': 'live', 'release': 41, 'kickstart': {'src': os.path.join(KS_DIR, 'live.ks')}}
BOOT = {'image_type': 'boot', 'release': 'rawhide', 'arch': 'aarch64'}
NODES = [{'name': 'node-x86a', 'arch': 'x86_64', 'capacity': 2}, {'name': 'node-arm', 'arch': 'aarch64'}]


def action(plugin, args, transport='local', become=False, check_mode=False):
    task = SimpleNamespace(args=args, check_mode=check_mode, diff=False, async_val=0, action=plugin.ActionModule.MODULE)
    connection = SimpleNamespace(transport=transport, _shell=SimpleNamespace(tmpdir=None))
    return plugin.ActionModule(task, connection, SimpleNamespace(become=become), None, None)


def module(main, capsys, args):
    with patch_module_args(args), pytest.raises(SystemExit):
        main()
    return json.loads(capsys.readouterr().out)


def same_answer(got, expected):
    """The action's result is the module's; AnsibleModule adds ``invocation`` (the arguments) where the module does
    not give its own (build_plan; an argument error): an action plugin's result has none."""
    if 'invocation' not in got:
        expected = dict(expected)
        expected.pop('invocation', None)
    assert got == expected
    return True


def req(n, arch='x86_64'):
    return {'request_id': 'rq-%012x' % n, 'image_type': 'boot', 'release': '41', 'arch': arch}


def tagged_trusted(value):
    """Every string in ``value`` trusted as a template (what an operator's extra var is)."""
    if isinstance(value, dict):
        return dict((k, tagged_trusted(v)) for k, v in value.items())
    if isinstance(value, list):
        return [tagged_trusted(v) for v in value]
    return TrustedAsTemplate().tag(value) if isinstance(value, str) else value


def strings(value):
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)
    elif isinstance(value, str):
        yield value


@pytest.mark.parametrize('args', [
    {'requests': [LIVE, BOOT], 'defaults': DEFAULTS},
    {'request': dict(LIVE, arch='i386', koji={'builds': ['foo;rm']}), 'defaults': DEFAULTS},
    {'request': LIVE, 'requests': [LIVE]},
    {'request': LIVE, 'image_type': 'cloud'},
    {},
], ids=['batch', 'problems', 'exclusive', 'choice', 'none'])
def test_build_request_answers_as_the_module(capsys, args):
    expected = module(request_module.main, capsys, args)
    got = action(request_action, args).run(task_vars={})
    assert same_answer(got, expected)


@pytest.mark.parametrize('args', [
    {'requests': [req(1), req(2), req(3, 'aarch64')], 'nodes': NODES, 'estimates': {'boot': 60}},
    {'requests': [req(1, 'ppc64le')], 'nodes': NODES},
    {'requests': [req(1)], 'nodes': [{'arch': 'x86_64'}]},
], ids=['plan', 'unserved', 'argument'])
def test_build_plan_answers_as_the_module(capsys, args):
    expected = module(plan_module.main, capsys, args)
    got = action(plan_action, args).run(task_vars={})
    assert same_answer(got, expected)
    if expected.get('failed') and 'unserved' in expected:
        assert got['unserved'] == ['ppc64le']


def test_results_carry_no_trust_even_from_trusted_arguments():
    """A module's result is read back from JSON and never trusted as a template (ansible-core 2.19); a result handed
    back in process would keep the tags of the values it copies, so a string copied from a trusted argument would be
    rendered as Jinja when a later task reads it. The plugins' results have no tag at all. Watched failing with
    neither JSON trip (the arguments as the task gives them, the result as run() returns it): the request's image_type,
    name, arch and release kept TrustedAsTemplate."""
    args = tagged_trusted({'requests': [dict(BOOT, name='boot')], 'defaults': DEFAULTS})
    assert TrustedAsTemplate.is_tagged_on(args['requests'][0]['name'])
    result = action(request_action, args).run(task_vars={})
    assert result.get('failed') is not True, result
    assert result['requests'][0]['name'] == 'boot'
    tagged = [s for s in strings(result) if AnsibleTagHelper.tags(s)]
    assert tagged == [], tagged
    plan = action(plan_action, tagged_trusted({'requests': [req(1, 'aarch64')], 'nodes': NODES})).run(task_vars={})
    assert plan['slots'][0]['queue'] == ['rq-000000000001']
    assert [s for s in strings(plan) if AnsibleTagHelper.tags(s)] == []


@pytest.mark.parametrize('plugin', [request_action, plan_action])
@pytest.mark.parametrize('transport,become', [('ssh', False), ('local', True)])
def test_elsewhere_the_module_runs(plugin, transport, become):
    act = action(plugin, {'requests': []}, transport=transport, become=become)
    with mock.patch.object(act, '_execute_module', return_value={'ran': 'module'}) as execute:
        assert act.run(task_vars={'x': 1}) == {'ran': 'module'}
    execute.assert_called_once_with(module_name=plugin.ActionModule.MODULE, module_args={'requests': []}, task_vars={'x': 1})


def test_check_mode_is_the_same_answer():
    args = {'requests': [BOOT], 'defaults': DEFAULTS}
    assert action(request_action, args, check_mode=True).run(task_vars={}) == action(request_action, args).run(task_vars={})
