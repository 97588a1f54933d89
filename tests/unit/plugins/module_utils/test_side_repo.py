# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for side_repo: RPM digest parsing, verification, cache addresses, .repo text, settings."""

from __future__ import annotations

import hashlib
import json
import os
import struct

import pytest

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils.rpm_verify import VerifyError, rpm_digests, verify_rpm
from ansible_collections.ondemand.fedora_build.plugins.module_utils.side_repo import MANIFEST, SideRepo, cache_relpath


def _header(entries, store):
    index = b''.join(struct.pack('>IIII', tag, typ, off, cnt) for tag, typ, off, cnt in entries)
    return b'\x8e\xad\xe8\x01\0\0\0\0' + struct.pack('>II', len(entries), len(store)) + index + store


def make_rpm(path, payload=b'payload-bytes' * 50, name=b'demo'):
    """Write a structurally valid RPM file (lead, signature header with MD5, main header, payload)."""
    main = _header([(1000, 6, 0, 1)], name + b'\0')
    md5 = hashlib.md5(main + payload).digest()
    sha256hdr = hashlib.sha256(main).hexdigest().encode() + b'\0'
    sig_store = md5 + sha256hdr
    sig = _header([(1004, 7, 0, 16), (273, 6, 16, 1)], sig_store)
    pad = b'\0' * ((8 - len(sig_store) % 8) % 8)
    lead = b'\xed\xab\xee\xdb' + b'\0' * 92
    with open(str(path), 'wb') as handle:
        handle.write(lead + sig + pad + main + payload)
    return md5.hex(), hashlib.sha256(main).hexdigest()


def test_digests_of_a_valid_rpm(tmp_path):
    sigmd5, hdr_sha = make_rpm(tmp_path / 'a.rpm')
    got = rpm_digests(str(tmp_path / 'a.rpm'))
    assert got['sigmd5'] == sigmd5 == got['computed_md5']
    assert got['sha256header'] == hdr_sha == got['header_sha256']
    verify_rpm(str(tmp_path / 'a.rpm'), payloadhash=sigmd5, expected_size=os.path.getsize(str(tmp_path / 'a.rpm')))
    verify_rpm(str(tmp_path / 'a.rpm'), payloadhash='sha256::' + hdr_sha)


def test_tampered_payload_same_size_is_caught(tmp_path):
    sigmd5 = make_rpm(tmp_path / 'a.rpm')[0]
    data = bytearray((tmp_path / 'a.rpm').read_bytes())
    data[-3] ^= 0x01
    (tmp_path / 'a.rpm').write_bytes(bytes(data))
    with pytest.raises(VerifyError) as err:
        verify_rpm(str(tmp_path / 'a.rpm'), payloadhash=sigmd5, expected_size=len(data))
    assert 'tampered' in str(err.value)


def test_other_build_is_caught_by_payloadhash(tmp_path):
    make_rpm(tmp_path / 'a.rpm')
    with pytest.raises(VerifyError) as err:
        verify_rpm(str(tmp_path / 'a.rpm'), payloadhash='0' * 32)
    assert 'does not match Koji payloadhash' in str(err.value)
    with pytest.raises(VerifyError):
        verify_rpm(str(tmp_path / 'a.rpm'), payloadhash='sha256::' + '0' * 64)


def test_size_mismatch(tmp_path):
    make_rpm(tmp_path / 'a.rpm')
    with pytest.raises(VerifyError) as err:
        verify_rpm(str(tmp_path / 'a.rpm'), expected_size=1)
    assert 'does not match the 1 bytes Koji recorded' in str(err.value)


@pytest.mark.parametrize('cut', [10, 100, 120, 200])
def test_truncated_or_garbage_files(tmp_path, cut):
    make_rpm(tmp_path / 'a.rpm')
    data = (tmp_path / 'a.rpm').read_bytes()
    (tmp_path / 'b.rpm').write_bytes(data[:cut])
    with pytest.raises(VerifyError):
        verify_rpm(str(tmp_path / 'b.rpm'))
    (tmp_path / 'c.rpm').write_bytes(b'<html>404</html>' * 20)
    with pytest.raises(VerifyError):
        verify_rpm(str(tmp_path / 'c.rpm'))


def test_cache_address_is_content_based():
    signed = {'nvra': 'a-1-1.x86_64', 'payloadhash': 'ab' * 16, 'sigkey': 'deadbeef', 'task_id': None}
    unsigned = dict(signed, sigkey='')
    scratch = {'nvra': 'a-1-1.x86_64', 'payloadhash': None, 'sigkey': '', 'task_id': 77}
    assert cache_relpath(signed) == os.path.join('ident', 'ab', 'ab' * 16, 'deadbeef', 'a-1-1.x86_64.rpm')
    assert cache_relpath(unsigned) == os.path.join('ident', 'ab', 'ab' * 16, 'unsigned', 'a-1-1.x86_64.rpm')
    assert cache_relpath(scratch) == os.path.join('tasks', '77', 'a-1-1.x86_64.rpm')
    assert '::' not in cache_relpath(dict(signed, payloadhash='sha256::' + 'c' * 64))


@pytest.mark.parametrize('kwargs, start', [
    (dict(dest='relative/path'), 'dest: '),
    (dict(cache_dir='cache'), 'cache_dir: '),
    (dict(repo_name='bad name'), 'repo_name: '),
    (dict(priority=99), 'priority: '),
    (dict(priority=0), 'priority: '),
    (dict(parallel=0), 'parallel: '),
    (dict(retries=-1), 'retries: '),
    (dict(repo_file='x.repo'), 'repo_file: '),
    (dict(gpgkeys=['key.asc']), 'gpgkeys: '),
    (dict(base_repos=[{'baseurl': 'http://x'}]), 'base_repos: '),
    (dict(base_repos=[{'name': 'f', 'baseurl': 'http://x', 'metalink': 'http://y'}]), 'base_repos: '),
    (dict(base_repos=[{'name': 'f', 'baseurl': 'http://x\nexclude=*'}]), 'base_repos: '),
])
def test_settings_are_validated(kwargs, start):
    args = dict(dest='/srv/side', cache_dir='/var/cache/side')
    args.update(kwargs)
    with pytest.raises(FedoraBuildError) as err:
        SideRepo(**args)
    assert err.value.msg.startswith(start) and err.value.msg.endswith('.')


def _pkgs():
    return [{'nvra': 'hello-1-1.x86_64', 'name': 'hello', 'sigkey': 'deadbeef'},
            {'nvra': 'hello-libs-1-1.x86_64', 'name': 'hello-libs', 'sigkey': 'deadbeef'}]


def test_repo_file_has_priority_gpg_and_base_excludes():
    repo = SideRepo('/srv/side', '/var/cache/side', priority=5, gpgkeys=['/etc/pki/k1', '/etc/pki/k2'],
                    base_repos=[{'name': 'fedora', 'metalink': 'https://m.example/metalink?repo=fedora-41'}])
    text = repo.repo_file_text(_pkgs())
    side, base = text.split('\n\n')
    assert '[koji-side]\n' in side and 'baseurl=file:///srv/side\n' in side and 'priority=5\n' in side
    assert 'gpgcheck=1\ngpgkey=file:///etc/pki/k1 file:///etc/pki/k2' in side
    assert base.startswith('[fedora]\n') and 'metalink=https://m.example/metalink?repo=fedora-41\n' in base
    assert base.endswith('excludepkgs=hello hello-libs\n') and 'priority=99\n' in base


def test_repo_file_without_keys_or_with_unsigned_has_no_gpgcheck():
    repo = SideRepo('/srv/side', '/var/cache/side', gpgkeys=['/etc/pki/k1'], repo_baseurl='http://h/side')
    pkgs = _pkgs()
    pkgs[1]['sigkey'] = ''
    text = repo.repo_file_text(pkgs)
    assert 'gpgcheck=0\n' in text and 'baseurl=http://h/side\n' in text


def test_repo_state_matches_needs_manifest_files_and_repodata(tmp_path):
    dest = tmp_path / 'side'
    (dest / 'Packages').mkdir(parents=True)
    (dest / 'Packages' / 'a-1-1.noarch.rpm').write_bytes(b'x' * 5)
    text = json.dumps({'packages': [{'filename': 'Packages/a-1-1.noarch.rpm', 'size': 5,
                                     'sha256': hashlib.sha256(b'x' * 5).hexdigest()}]})
    (dest / MANIFEST).write_text(text)
    repo = SideRepo(str(dest), str(tmp_path / 'cache'))
    assert not repo.repo_state_matches(text)           # no repodata yet
    (dest / 'repodata').mkdir()
    (dest / 'repodata' / 'repomd.xml').write_text('<repomd/>')
    assert repo.repo_state_matches(text)
    (dest / 'Packages' / 'stray-1-1.noarch.rpm').write_bytes(b'y')
    assert not repo.repo_state_matches(text)           # a file that is not in the manifest
    os.unlink(str(dest / 'Packages' / 'stray-1-1.noarch.rpm'))
    (dest / 'Packages' / 'a-1-1.noarch.rpm').write_bytes(b'y' * 5)
    assert not repo.repo_state_matches(text)           # same size, other bytes (a damaged file is never served)
    (dest / 'Packages' / 'a-1-1.noarch.rpm').write_bytes(b'x' * 6)
    assert not repo.repo_state_matches(text)           # wrong size
    assert not repo.repo_state_matches(text.replace('5', '7'))


# ------------------------------------------------------------------ resolved (from the controller)
def _resolved(**package):
    pkg = {'nvra': 'hello-1.0-1.fc41.x86_64', 'name': 'hello', 'epoch': None, 'version': '1.0', 'release': '1.fc41',
           'arch': 'x86_64', 'nvr': 'hello-1.0-1.fc41', 'build_id': 7, 'task_id': None, 'payloadhash': 'ab' * 16,
           'sigkey': 'deadbeef', 'url': 'https://kojipkgs.example.org/packages/hello/1.0/1.fc41/x86_64/h.rpm',
           'size_expected': None, 'sighash': 'cd' * 16, 'file_sha256': None,
           'candidates': [{'sigkey': 'deadbeef', 'url': 'https://kojipkgs.example.org/s/h.rpm', 'size_expected': None,
                           'sighash': 'cd' * 16, 'file_sha256': None}]}
    pkg.update(package)
    return {'hub_url': 'https://koji.example.org/kojihub/', 'topurl': 'https://kojipkgs.example.org',
            'builds': [{'nvr': 'hello-1.0-1.fc41', 'build_id': 7, 'task_id': None, 'volume': 'DEFAULT',
                        'source': 'build hello-1.0-1.fc41', 'packages': ['hello-1.0-1.fc41.x86_64']}],
            'packages': [pkg]}


def test_check_resolved_keeps_what_the_fetch_needs():
    from ansible_collections.ondemand.fedora_build.plugins.module_utils.side_repo_args import check_resolved
    data = _resolved(extra='dropped')
    out = check_resolved(data)
    assert out['hub_url'] == 'https://koji.example.org/kojihub'
    assert 'extra' not in out['packages'][0] and out['packages'][0]['candidates'] == data['packages'][0]['candidates']


@pytest.mark.parametrize('resolved, start', [
    ('text', 'resolved: expected a mapping'),
    (dict(_resolved(), hub_url='file:///etc'), 'resolved: hub_url is not an http(s) URL'),
    (dict(_resolved(), packages=[]), 'resolved: packages must be a non-empty list'),
    (dict(_resolved(), builds={}), 'resolved: builds must be a list'),
    (_resolved(nvra='../../etc/x'), "resolved: packages[0].nvra '../../etc/x' is not a package file name"),
    (_resolved(nvra='.hidden'), "resolved: packages[0].nvra '.hidden' is not a package file name"),
    (_resolved(name=None), 'resolved: packages[0].name is missing'),
    (_resolved(payloadhash='x;y'), "resolved: packages[0].payloadhash 'x;y' is not a hex digest"),
    (_resolved(payloadhash=None), 'resolved: packages[0] has neither a payloadhash nor a task_id'),
    (_resolved(candidates='x'), 'resolved: packages[0].candidates must be a list'),
    (_resolved(candidates=[{'url': 'ftp://x/y'}]), 'resolved: packages[0].candidates[0].url is not an http(s) URL'),
    (_resolved(sigkey='../k'), "resolved: packages[0] sigkey '../k' is not a Koji signing key id"),
    (_resolved(size_expected=True), 'resolved: packages[0] size_expected True is not a size'),
    (dict(_resolved(), ca_pem='not a certificate'), 'resolved: ca_pem is not the text of a PEM CA bundle'),
])
def test_a_malformed_resolved_is_one_sentence(resolved, start):
    from ansible_collections.ondemand.fedora_build.plugins.module_utils.side_repo_args import check_resolved
    with pytest.raises(FedoraBuildError) as info:
        check_resolved(resolved)
    assert info.value.msg.startswith(start) and info.value.msg.endswith('.') and '\n' not in info.value.msg
