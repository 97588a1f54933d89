# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for rpm_verify on synthetic RPMs laid out as rpm writes them (regions, digests, padding).

tests/functional/test_koji_side_repo_verify.py checks the same verdicts against real rpmbuild output and
``rpmkeys --checksig --nosignature``.
"""

from __future__ import annotations

import hashlib
import struct

import pytest

from ansible_collections.ondemand.fedora_build.plugins.module_utils.rpm_verify import VerifyError, rpm_digests, verify_rpm


def _header(entries, store, region):
    """An RPM header with a region tag first and its trailer at the end of the store."""
    count = len(entries) + 1
    trailer = struct.pack('>IIiI', region, 7, -count * 16, 16)
    store = store + trailer
    index = [(region, 7, len(store) - 16, 16)] + list(entries)
    raw_index = b''.join(struct.pack('>IIII', *entry) for entry in index)
    return b'\x8e\xad\xe8\x01\0\0\0\0' + struct.pack('>II', count, len(store)) + raw_index + store


def make_rpm(path, payload=b'payload' * 40, name='demo', arch='noarch', sig_extra=b''):
    strings = b'%s\0' % name.encode() + b'1.0\0' + b'1.fc41\0' + b'%s\0' % arch.encode() + b'demo-1.0-1.fc41.src.rpm\0'
    offsets = [0]
    for part in strings.split(b'\0')[:-1]:
        offsets.append(offsets[-1] + len(part) + 1)
    entries = [(tag, 6, offsets[i], 1) for i, tag in enumerate((1000, 1001, 1002, 1022, 1044))]
    digest_off = len(strings)
    strings += hashlib.sha256(payload).hexdigest().encode() + b'\0'
    entries.append((5092, 8, digest_off, 1))
    main = _header(entries, strings, 63)
    sha1 = hashlib.sha1(main).hexdigest().encode() + b'\0'
    sha256 = hashlib.sha256(main).hexdigest().encode() + b'\0'
    md5 = hashlib.md5(main + payload).digest()
    store = sha1 + sha256 + md5 + sig_extra
    sig_entries = [(269, 6, 0, 1), (273, 6, len(sha1), 1), (1004, 7, len(sha1) + len(sha256), 16)]
    if sig_extra:
        sig_entries.append((1008, 7, len(store) - len(sig_extra), len(sig_extra)))
    sig = _header(sig_entries, store, 62)
    pad = b'\0' * ((8 - (len(sig) - 16 - len(sig_entries) * 16 - 16) % 8) % 8)
    data = b'\xed\xab\xee\xdb' + b'\0' * 92 + sig + pad + main + payload
    with open(str(path), 'wb') as handle:
        handle.write(data)
    return {'sighash': hashlib.md5(sig + pad).hexdigest(), 'sigmd5': md5.hex(), 'file': hashlib.sha256(data).hexdigest()}


def test_a_well_formed_rpm_passes_every_check(tmp_path):
    want = make_rpm(tmp_path / 'a.rpm', sig_extra=b'\0' * 32)
    got = verify_rpm(str(tmp_path / 'a.rpm'), payloadhash=want['sigmd5'], sighash=want['sighash'],
                     file_sha256=want['file'], nvra='demo-1.0-1.fc41.noarch')
    assert got['sighash'] == want['sighash'] and got['file_sha256'] == want['file']
    assert got['payloaddigest'] == got['payload_sha256']


def flipped(tmp_path, position, **kwargs):
    want = make_rpm(tmp_path / 'a.rpm', **kwargs)
    data = bytearray((tmp_path / 'a.rpm').read_bytes())
    data[position(data)] ^= 0x01
    (tmp_path / 'a.rpm').write_bytes(bytes(data))
    return want


@pytest.mark.parametrize('where, message', [
    (lambda d: 96 + 16 + 16 * 4 + 3, 'header SHA1 digest'),              # inside the SHA1 string
    (lambda d: 96 + 16 + 16 * 4 + 41 + 3, 'header SHA256 digest'),       # inside the SHA256 string
    (lambda d: 96 + 16 + 16 * 4 + 41 + 65 + 3, 'header+payload MD5'),    # inside the MD5
    (lambda d: 96 + 16 + 16 + 7, 'signature header tag[1] is damaged'),  # type of the SHA1 entry
    (lambda d: 96 + 16 + 16 * 4 + 41 + 65 + 16 + 11, 'signature header region trailer is damaged'),
    (lambda d: len(d) - 3, 'payload SHA256 digest'),
])
def test_digest_level_damage_is_refused_without_koji_records(tmp_path, where, message):
    flipped(tmp_path, where)
    with pytest.raises(VerifyError) as err:
        verify_rpm(str(tmp_path / 'a.rpm'))
    assert message in str(err.value)


def test_reserved_space_is_only_seen_by_kojis_sighash(tmp_path):
    want = flipped(tmp_path, lambda d: 96 + 16 + 16 * 5 + 41 + 65 + 16 + 5, sig_extra=b'\0' * 32)
    verify_rpm(str(tmp_path / 'a.rpm'))   # rpm's digests do not cover it
    with pytest.raises(VerifyError) as err:
        verify_rpm(str(tmp_path / 'a.rpm'), sighash=want['sighash'])
    assert 'does not match the sighash' in str(err.value)
    with pytest.raises(VerifyError) as err:
        verify_rpm(str(tmp_path / 'a.rpm'), file_sha256=want['file'])
    assert 'getRPMChecksums' in str(err.value)


def test_name_and_koji_payloadhash_are_checked(tmp_path):
    make_rpm(tmp_path / 'a.rpm', name='other', arch='x86_64')
    assert rpm_digests(str(tmp_path / 'a.rpm'))['nvra'] == 'other-1.0-1.fc41.x86_64'
    with pytest.raises(VerifyError) as err:
        verify_rpm(str(tmp_path / 'a.rpm'), nvra='demo-1.0-1.fc41.x86_64')
    assert str(err.value) == 'the file holds other-1.0-1.fc41.x86_64, not demo-1.0-1.fc41.x86_64'
    with pytest.raises(VerifyError) as err:
        verify_rpm(str(tmp_path / 'a.rpm'), payloadhash='0' * 32)
    assert 'not the RPM Koji recorded' in str(err.value)
