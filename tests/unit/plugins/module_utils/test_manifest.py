# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""build_manifest: build.json and Fedora-style CHECKSUM on a real tree."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess

import pytest

from ansible_collections.ondemand.fedora_build.plugins.module_utils import manifest
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError

BUILD = {'build_id': 'live-41-x86_64-0123456789ab', 'argv': ['livemedia-creator', '--make-iso'],
         'result': {'state': 'succeeded'}, 'node': 'build-x86-01'}


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / 'live-41-x86_64-0123456789ab'
    (root / 'logs').mkdir(parents=True)
    (root / 'kickstart').mkdir()
    (root / 'Fedora-Workstation-Live-x86_64-41-1.4.iso').write_bytes(b'\0' * 100000 + b'iso')
    (root / 'logs' / 'build.log').write_text('built\n')
    (root / 'kickstart' / 'fedora-live.ks').write_text('lang en_US.UTF-8\n')
    (root / 'link-to-iso').symlink_to('Fedora-Workstation-Live-x86_64-41-1.4.iso')
    return root


def sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_checksum_is_fedora_format_and_sha256sum_checks_it(tree):
    res = manifest.write_manifest(str(tree), BUILD)
    assert res['changed'] is True
    text = (tree / 'CHECKSUM').read_text()
    iso = tree / 'Fedora-Workstation-Live-x86_64-41-1.4.iso'
    expected = ''
    for rel in ['Fedora-Workstation-Live-x86_64-41-1.4.iso', 'build.json', 'kickstart/fedora-live.ks', 'logs/build.log']:
        expected += '# %s: %d bytes\nSHA256 (%s) = %s\n' % (rel, (tree / rel).stat().st_size, rel, sha(tree / rel))
    assert text == expected
    assert '# Fedora-Workstation-Live-x86_64-41-1.4.iso: %d bytes\n' % iso.stat().st_size in text
    assert [f['relpath'] for f in res['files']] == ['Fedora-Workstation-Live-x86_64-41-1.4.iso', 'build.json',
                                                    'kickstart/fedora-live.ks', 'logs/build.log']
    assert json.loads((tree / 'build.json').read_text()) == BUILD
    assert oct((tree / 'CHECKSUM').stat().st_mode & 0o777) == '0o644'
    if shutil.which('sha256sum'):
        proc = subprocess.run(['sha256sum', '-c', 'CHECKSUM'], cwd=str(tree), capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert proc.stdout.count(': OK') == 4
    assert manifest.parse_checksum(text)['logs/build.log']['size'] == 6


def test_rerun_is_unchanged_and_a_change_is_picked_up(tree):
    manifest.write_manifest(str(tree), BUILD)
    again = manifest.write_manifest(str(tree), BUILD)
    assert again['changed'] is False and again['diff'] == []
    (tree / 'logs' / 'pipeline.log').write_text('staged\n')
    res = manifest.write_manifest(str(tree), BUILD)
    assert res['changed'] is True and [d['after_header'] for d in res['diff']] == [str(tree / 'CHECKSUM')]
    assert 'SHA256 (logs/pipeline.log) = ' in (tree / 'CHECKSUM').read_text()
    failed = dict(BUILD, result={'state': 'failed', 'reason': 'lorax exited 1'})
    res = manifest.write_manifest(str(tree), failed)
    assert [d['after_header'] for d in res['diff']] == [str(tree / 'build.json'), str(tree / 'CHECKSUM')]
    assert manifest.parse_checksum((tree / 'CHECKSUM').read_text())['build.json']['sha256'] == sha(tree / 'build.json')


def test_check_mode_writes_nothing_but_predicts_exactly(tree):
    res = manifest.write_manifest(str(tree), BUILD, check_mode=True)
    assert res['changed'] is True
    assert not (tree / 'build.json').exists() and not (tree / 'CHECKSUM').exists()
    real = manifest.write_manifest(str(tree), BUILD)
    assert res['files'] == real['files']
    assert res['diff'][1]['after'] == (tree / 'CHECKSUM').read_text()
    assert manifest.write_manifest(str(tree), BUILD, check_mode=True)['changed'] is False


def test_known_checksums_trusted_only_with_matching_size_and_mtime(tree):
    iso = tree / 'Fedora-Workstation-Live-x86_64-41-1.4.iso'
    st = iso.stat()
    fake = 'a' * 64   # a checksum the module could only have taken from the entry
    known = [{'relpath': iso.name, 'size': st.st_size, 'sha256': fake, 'mtime': st.st_mtime}]
    res = manifest.write_manifest(str(tree), BUILD, known)
    assert res['reused'] == [iso.name]
    assert 'SHA256 (%s) = %s' % (iso.name, fake) in (tree / 'CHECKSUM').read_text()
    # absolute path form works the same
    res = manifest.write_manifest(str(tree), BUILD, [{'path': str(iso), 'size': st.st_size, 'sha256': fake,
                                                      'mtime': st.st_mtime}])
    assert res['reused'] == [iso.name] and res['changed'] is False
    # no mtime: not trusted
    res = manifest.write_manifest(str(tree), BUILD, [{'relpath': iso.name, 'size': st.st_size, 'sha256': fake}])
    assert res['reused'] == [] and 'SHA256 (%s) = %s' % (iso.name, sha(iso)) in (tree / 'CHECKSUM').read_text()
    # a file rewritten after the builder hashed it (same size, new mtime): not trusted
    os.utime(str(iso), (st.st_atime, st.st_mtime + 5))
    res = manifest.write_manifest(str(tree), BUILD, known)
    assert res['reused'] == [] and [f['sha256'] for f in res['files'] if f['relpath'] == iso.name] == [sha(iso)]
    # size differs: not trusted
    known[0]['mtime'] = st.st_mtime + 5
    known[0]['size'] = st.st_size + 1
    assert manifest.write_manifest(str(tree), BUILD, known)['reused'] == []
    # entries for missing files are ignored
    assert manifest.write_manifest(str(tree), BUILD, [{'relpath': 'gone.iso', 'size': 1, 'sha256': fake,
                                                       'mtime': 1.0}])['changed'] is False


@pytest.mark.parametrize('known,needle', [
    ([{'relpath': 'x', 'size': 1, 'sha256': 'zz', 'mtime': 1}], "known_checksums[0].sha256: 'zz' is not 64 hex digits."),
    ([{'path': '/etc/passwd', 'size': 1, 'sha256': 'a' * 64}], 'known_checksums[0].path: /etc/passwd is not below'),
    ([{'relpath': '../x', 'size': 1, 'sha256': 'a' * 64}], "known_checksums[0].relpath: '../x' is not a path below"),
    ([{'relpath': 'x', 'size': 'big', 'sha256': 'a' * 64}], "known_checksums[0].size: 'big' is not a number of bytes."),
    ([{'size': 1, 'sha256': 'a' * 64}], 'known_checksums[0]: needs relpath or path.'),
    (['x'], 'known_checksums[0]: must be a dict'),
])
def test_bad_known_checksums(tree, known, needle):
    with pytest.raises(FedoraBuildError) as err:
        manifest.write_manifest(str(tree), BUILD, known)
    assert needle in err.value.msg
    assert not (tree / 'build.json').exists()


def test_bad_path_and_build(tmp_path):
    with pytest.raises(FedoraBuildError, match='path: .* is not a directory.'):
        manifest.write_manifest(str(tmp_path / 'missing'), BUILD)
    with pytest.raises(FedoraBuildError, match=r'build: cannot be written as JSON'):
        manifest.write_manifest(str(tmp_path), {'x': object()})
    (tmp_path / 'CHECKSUM').symlink_to('/etc/hostname')
    with pytest.raises(FedoraBuildError, match='is a symlink'):
        manifest.write_manifest(str(tmp_path), BUILD)
