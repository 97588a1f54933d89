# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The stage action plugin: the check of a staged build in place on a local target (verify_staged.yml) answers in the
controller's process as the module does; everything else runs the module."""

from __future__ import annotations

import hashlib
import json
from types import SimpleNamespace
from unittest import mock

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.ondemand.fedora_build.plugins.action import stage as stage_action
from ansible_collections.ondemand.fedora_build.plugins.modules import stage as stage_module

BUILD = 'boot-41-x86_64-0123456789ab'


def action(args, check_mode=True, transport='local', become=False, diff=False):
    task = SimpleNamespace(args=args, check_mode=check_mode, diff=diff, async_val=0, action='ondemand.fedora_build.stage')
    connection = SimpleNamespace(transport=transport, has_native_async=False, _shell=SimpleNamespace(tmpdir=None))
    return stage_action.ActionModule(task, connection, SimpleNamespace(become=become), None, None)


def module(capsys, args):
    with patch_module_args(dict(args, _ansible_check_mode=True)), pytest.raises(SystemExit):
        stage_module.main()
    out = json.loads(capsys.readouterr().out)
    out.pop('invocation', None)
    return out


@pytest.fixture
def staged(tmp_path):
    tree = tmp_path / 'staging' / BUILD
    (tree / 'output').mkdir(parents=True)
    (tree / 'output' / 'boot.iso').write_bytes(b'iso' * 1000)
    digest = hashlib.sha256((tree / 'output' / 'boot.iso').read_bytes()).hexdigest()
    (tree / 'CHECKSUM').write_text('SHA256 (output/boot.iso) = %s\n' % digest)
    return tmp_path / 'staging'


def verify_args(staging):
    return {'build_id': BUILD, 'target': {'type': 'local', 'path': str(staging)}, 'verify_existing': True}


# what AnsibleModule.exit_json adds about a result's existing ``path`` (add_path_info); nothing reads it
PATH_INFO = ('uid', 'gid', 'owner', 'group', 'mode', 'state', 'size', 'secontext')


def comparable(result):
    return dict(((k, v) for k, v in result.items() if k not in PATH_INFO), seconds=None)


def test_an_intact_and_a_damaged_build_are_answered_as_the_module_answers(capsys, staged):
    got = action(verify_args(staged)).run(task_vars={})
    assert got['already_staged'] is True and got['would_transfer'] == []
    assert comparable(got) == comparable(module(capsys, verify_args(staged)))
    (staged / BUILD / 'output' / 'boot.iso').write_bytes(b'damaged')
    got = action(verify_args(staged)).run(task_vars={})
    assert got['already_staged'] is False and got['would_transfer'] == ['output/boot.iso']
    assert comparable(got) == comparable(module(capsys, verify_args(staged)))


@pytest.mark.parametrize('change', [{'build_id': '../escape'}, {'timeout': 0}, {'target': {'type': 'local', 'path': '/srv', 'name': 'x'}},
                                    {'target': {'type': 'local'}}], ids=['build_id', 'timeout', 'unsupported', 'missing'])
def test_a_bad_argument_fails_with_the_modules_sentence(capsys, staged, change):
    """AnsibleModule's own sentences too ("Unsupported parameters for (stage) module: target.name. ...");
    reuse.yml's test_a_failing_check_of_the_staged_build_fails_the_build_and_is_no_rebuild reads them."""
    args = dict(verify_args(staged), **change)
    got = action(args).run(task_vars={})
    assert got['failed'] is True
    # run in process here, AnsibleModule names itself after the file that started Python
    assert got['msg'] == module(capsys, args)['msg'].replace('(basic.py)', '(stage)')


@pytest.mark.parametrize('change', [
    {'check_mode': False}, {'transport': 'ssh'}, {'become': True}, {'diff': True},
    {'args': {'src': '/srv/tree'}}, {'args': {'latest': 'latest'}}, {'args': {'verify_existing': False}},
    {'args': {'target': {'type': 'ssh', 'path': '/srv', 'host': 'stage.example.org'}}},
    {'args': {'target': {'type': 'local', 'path': '/srv', 'password': 'x'}}},
], ids=lambda c: ','.join(c) if 'args' not in c else ','.join(c['args']))
def test_anything_else_runs_the_module(staged, change):
    change = dict(change)
    args = dict(verify_args(staged), **change.pop('args', {}))
    act = action(args, **change)
    with mock.patch.object(act, '_execute_module', return_value={'ran': 'module'}) as execute, \
            mock.patch.object(act, '_remove_tmp_path'):
        assert act.run(task_vars={'x': 1}) == {'ran': 'module'}
    execute.assert_called_once_with(task_vars={'x': 1}, wrap_async=0)
