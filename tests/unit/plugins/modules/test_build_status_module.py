# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The build_status module run in-process: check and diff mode, errors."""

from __future__ import annotations

import json

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.ondemand.fedora_build.plugins.modules import build_status


def run(capsys, args):
    with patch_module_args(args), pytest.raises(SystemExit):
        build_status.main()
    return json.loads(capsys.readouterr().out)


def test_check_diff_write_idempotent(capsys, tmp_path):
    args = {'status_dir': str(tmp_path / 'status'), 'request_id': 'rq-0123456789ab', 'state': 'running',
            'phase': 'build', 'fields': {'node': 'n1'}, '_ansible_check_mode': True, '_ansible_diff': True}
    res = run(capsys, args)
    assert res['changed'] is True and res['diff']['before'] == '' and not (tmp_path / 'status').exists()
    assert json.loads(res['diff']['after'])['node'] == 'n1' and res['record']['phase'] == 'build'
    args.pop('_ansible_check_mode')
    res = run(capsys, args)
    assert res['changed'] is True and res['path'] == str(tmp_path / 'status' / 'rq-0123456789ab.json')
    assert json.loads((tmp_path / 'status' / 'rq-0123456789ab.json').read_text()) == res['record']
    res = run(capsys, args)
    assert res['changed'] is False and 'diff' not in res


def test_refuses_unsafe_request_id(capsys, tmp_path):
    res = run(capsys, {'status_dir': str(tmp_path), 'request_id': '../../etc/x'})
    assert res['failed'] is True
    assert res['msg'] == "request_id: '../../etc/x' is not a request ID (rq- followed by 12 lowercase hex digits)."
