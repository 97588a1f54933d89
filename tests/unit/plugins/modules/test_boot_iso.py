# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""boot_iso: exact lorax argv per option and the build flow (cases in test_boot_iso.yaml)."""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.ondemand.fedora_build.plugins.modules import boot_iso
from ansible_collections.ondemand.fedora_build.tests.unit.plugins.modules.builder_helper import load_cases, run_case


@pytest.mark.parametrize('case', load_cases(__file__))
def test_case(case, tmp_path, capsys, monkeypatch):
    run_case(boot_iso, 'lorax', case, tmp_path, capsys, monkeypatch)


BUILD = {
    'id': 'build',
    'input': {'product': 'Fedora', 'version': '41', 'release': '41', 'sources': ['http://m/os/']},
    'mocks': {'build': {
        'command': ['/usr/bin/lorax', '--product', 'Fedora', '--version', '41', '--release', '41', '--source',
                    'http://m/os/', '--buildarch', 'x86_64', '--logfile', '{work}/logs/lorax.log', '--tmp',
                    '{work}/tmp', '{work}/out'],
        'files': {'images/boot.iso': 'ISO', '.treeinfo': 'x'}}},
    'output': {'changed': True},
}


def test_second_run_is_idempotent_and_a_changed_request_is_refused(tmp_path, capsys, monkeypatch):
    first = run_case(boot_iso, 'lorax', BUILD, tmp_path, capsys, monkeypatch)
    manifest = json.loads((tmp_path / 'dest' / 'build-logs' / '.fedora_build.json').read_text())
    assert manifest['fingerprint'] == first['fingerprint'] and manifest['cmd'] == first['cmd']
    # Same request, another build_id: nothing runs (no build mock), nothing changes.
    again = dict(BUILD, mocks={}, output={'changed': False})
    again['input'] = dict(BUILD['input'], build_id='b2')
    second = run_case(boot_iso, 'lorax', again, tmp_path, capsys, monkeypatch)
    assert [a['sha256'] for a in second['artifacts']] == [a['sha256'] for a in first['artifacts']]
    assert second['artifacts'][0]['path'] == str(tmp_path / 'dest' / 'images' / 'boot.iso')
    # A different request for the same dest is refused instead of silently overwritten.
    other = dict(BUILD, mocks={}, output={'failed': True})
    other['input'] = dict(BUILD['input'], volid='Other')
    result = run_case(boot_iso, 'lorax', other, tmp_path, capsys, monkeypatch)
    assert 'does not hold this build' in result['msg']


def test_changed_input_file_means_rebuild(tmp_path, capsys, monkeypatch):
    repo = tmp_path / 'side.repo'
    repo.write_text('[side]\nbaseurl=file:///srv/a/\n')
    case = dict(BUILD, input=dict(BUILD['input'], repo_files=[str(repo)]))
    case['mocks'] = {'build': dict(BUILD['mocks']['build'])}
    case['mocks']['build']['command'] = (BUILD['mocks']['build']['command'][:9] + ['--repo', str(repo)]
                                         + BUILD['mocks']['build']['command'][9:])
    run_case(boot_iso, 'lorax', case, tmp_path, capsys, monkeypatch)
    repo.write_text('[side]\nbaseurl=file:///srv/b/\n')
    result = run_case(boot_iso, 'lorax', dict(case, mocks={}, output={'failed': True}), tmp_path, capsys, monkeypatch)
    assert 'does not hold this build' in result['msg']
    assert os.path.isfile(tmp_path / 'dest' / 'images' / 'boot.iso')
