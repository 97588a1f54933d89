# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The build_plan module's parameters and result shape, run in-process."""

from __future__ import annotations

import json

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.ondemand.fedora_build.plugins.modules import build_plan


def run(capsys, args):
    with patch_module_args(args), pytest.raises(SystemExit):
        build_plan.main()
    return json.loads(capsys.readouterr().out)


def req(n, arch='x86_64', image_type='boot'):
    return {'request_id': 'rq-%012x' % n, 'image_type': image_type, 'release': '41', 'arch': arch}


NODES = [{'name': 'node-x86a', 'arch': 'x86_64', 'capacity': 2}, {'name': 'node-x86b', 'arch': 'x86_64'},
         {'name': 'node-arm', 'arch': 'aarch64'}]


def test_plan_shape_in_check_mode(capsys):
    result = run(capsys, {'requests': [req(1), req(2), req(3), req(4, 'aarch64')], 'nodes': NODES,
                          '_ansible_check_mode': True})
    assert result['changed'] is False and 'failed' not in result
    assert [s['host'] for s in result['slots']] == ['node-arm#1', 'node-x86a#1', 'node-x86a#2', 'node-x86b#1']
    assert result['slots'][0] == {'host': 'node-arm#1', 'node': 'node-arm', 'slot': 1, 'arch': 'aarch64',
                                  'queue': ['rq-000000000004'], 'estimate': 1200.0}
    assert result['assignments']['rq-000000000003']['slot_host'] == 'node-x86a#2'
    assert result['makespan_estimate'] == 1200.0 and result['unserved'] == []
    assert result['nodes'] == ['node-arm', 'node-x86a', 'node-x86b']


def test_estimates_and_separator(capsys):
    result = run(capsys, {'requests': [req(1, image_type='live'), req(2)], 'nodes': NODES[2:] + [
        {'name': 'node-arm2', 'arch': 'aarch64', 'weight': '0.5'}], 'estimates': {'live': 100, 'boot': 50},
        'slot_separator': '@'})
    # x86_64 requests, aarch64 nodes only
    assert result['failed'] is True
    assert result['unserved'] == ['x86_64']
    assert result['msg'] == ('requests[0].arch: no build node serves x86_64; the inventory has aarch64. '
                             'requests[1].arch: no build node serves x86_64; the inventory has aarch64.')
    result = run(capsys, {'requests': [req(1, 'aarch64', 'live'), req(2, 'aarch64')], 'nodes': NODES[2:] + [
        {'name': 'node-arm2', 'arch': 'aarch64', 'weight': '0.5'}], 'estimates': {'live': 100, 'boot': 50},
        'slot_separator': '@'})
    # live (100 s) first on the full-speed node; boot takes 50 s there (finish 150) or 100 s on the half-speed one
    assert {s['host']: s['queue'] for s in result['slots']} == {'node-arm@1': ['rq-000000000001'],
                                                                'node-arm2@1': ['rq-000000000002']}
    assert result['makespan_estimate'] == 100.0


def test_argument_errors_are_reported(capsys):
    result = run(capsys, {'requests': [req(1)], 'nodes': [{'arch': 'x86_64'}]})
    assert result['failed'] is True and 'missing required arguments: name' in result['msg']
    result = run(capsys, {'requests': [req(1)], 'nodes': [{'name': 'n', 'arch': 'x86_64', 'capacity': 'many'}]})
    assert result['failed'] is True and 'capacity' in result['msg']
