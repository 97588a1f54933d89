# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The build_manifest module's parameters, check/diff mode and result shape, run in-process."""

from __future__ import annotations

import json

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.ondemand.fedora_build.plugins.modules import build_manifest


def run(capsys, args):
    with patch_module_args(args), pytest.raises(SystemExit):
        build_manifest.main()
    return json.loads(capsys.readouterr().out)


def test_check_diff_then_write_then_idempotent(capsys, tmp_path):
    (tmp_path / 'boot.iso').write_bytes(b'iso')
    args = {'path': str(tmp_path), 'build': {'result': {'state': 'succeeded'}},
            '_ansible_check_mode': True, '_ansible_diff': True}
    res = run(capsys, args)
    assert res['changed'] is True and not (tmp_path / 'CHECKSUM').exists()
    assert [d['after_header'] for d in res['diff']] == [str(tmp_path / 'build.json'), str(tmp_path / 'CHECKSUM')]
    args.pop('_ansible_check_mode')
    res = run(capsys, args)
    assert res['changed'] is True and res['checksum_file'] == str(tmp_path / 'CHECKSUM')
    assert res['build_json'] == str(tmp_path / 'build.json')
    assert [f['relpath'] for f in res['files']] == ['boot.iso', 'build.json']
    assert (tmp_path / 'CHECKSUM').read_text() == res['diff'][1]['after']
    res = run(capsys, args)
    assert res['changed'] is False and 'diff' not in res


def test_errors_are_one_sentence(capsys, tmp_path):
    res = run(capsys, {'path': str(tmp_path / 'nope'), 'build': {}})
    assert res['failed'] is True and res['msg'] == 'path: %s is not a directory.' % (tmp_path / 'nope')
    res = run(capsys, {'path': str(tmp_path), 'build': {}, 'known_checksums': [{'relpath': 'a', 'size': 1, 'sha256': 'x'}]})
    assert res['msg'] == "known_checksums[0].sha256: 'x' is not 64 hex digits."
