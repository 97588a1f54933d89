# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The preflight module's parameter handling and result shape, run in-process."""

from __future__ import annotations

import json

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.ondemand.fedora_build.plugins.modules import preflight


def run(capsys, args):
    with patch_module_args(args), pytest.raises(SystemExit):
        preflight.main()
    return json.loads(capsys.readouterr().out)


def test_report_only(capsys, tmp_path):
    result = run(capsys, {'tools': ['rpm', 'no-such-tool-xyz'], 'require': [], 'work_dir': str(tmp_path),
                          'cache_dir': str(tmp_path), 'min_free_gb': 0, 'min_cache_free_gb': 0})
    assert result['changed'] is False and result['ok'] is True
    assert result['report']['tools']['rpm']['present'] is True
    assert result['problems'] == [p for p in result['problems'] if p.startswith('no-such-tool-xyz is not installed')]
    assert len(result['problems']) == 1


def test_required_tool_missing_fails_with_sentence(capsys, tmp_path):
    result = run(capsys, {'tools': ['rpm', 'no-such-tool-xyz'], 'require': ['no-such-tool-xyz'],
                          'work_dir': str(tmp_path), 'cache_dir': str(tmp_path)})
    assert result['failed'] is True and result['ok'] is False
    assert result['msg'].startswith('no-such-tool-xyz is not installed on ')
    assert 'playbooks/provision.yml' in result['msg']


def test_free_space_requirement(capsys, tmp_path):
    result = run(capsys, {'tools': [], 'require': ['free_space'], 'work_dir': str(tmp_path / 'w'),
                          'cache_dir': str(tmp_path), 'min_free_gb': 10 ** 9})
    assert result['failed'] is True
    assert result['msg'].startswith('work dir %s has ' % (tmp_path / 'w'))


@pytest.mark.parametrize('args,needle', [
    ({'target_release': 'f41'}, "target_release: 'f41' is not a Fedora release"),
    ({'target_arch': 'amd64'}, "target_arch: 'amd64' is not a supported architecture"),
    ({'require': ['bogus']}, "require: 'bogus' is neither a check"),
    ({'min_free_gb': -1}, 'min_free_gb: -1.0 is negative'),
    ({'image_type': 'cloud'}, 'value of image_type must be one of'),
])
def test_bad_input_one_sentence(capsys, args, needle):
    result = run(capsys, args)
    assert result['failed'] is True
    assert needle in result['msg']
    assert 'Traceback' not in json.dumps(result)
