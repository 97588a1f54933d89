# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whole-file verification of side-repo RPMs, checked against the real rpm tool and Koji's records.

Files on the stand-in's file server are changed in place (Koji's database keeps what it recorded), as a
damaged mirror, a wrong upload or a man in the middle would serve them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
import subprocess

import koji
import pytest

from support.koji_side import direct, leftovers, nvras

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils.rpm_verify import VerifyError, rpm_digests, verify_rpm

HELLO = 'packages/hello/1.0/1.fc41/x86_64/hello-1.0-1.fc41.x86_64.rpm'


def signed_path(key, arch='x86_64'):
    return 'packages/hello/1.0/1.fc41/data/signed/%s/%s/hello-1.0-1.fc41.%s.rpm' % (key.sigkey, arch, arch)


def sig_entries(path):
    """{tag: absolute file offset of its data} of the signature header, and the store's end."""
    with open(path, 'rb') as handle:
        data = handle.read(96 + 16)
        il, dl = struct.unpack('>II', data[96 + 8:96 + 16])
        index = handle.read(il * 16)
    store = 96 + 16 + il * 16
    entries = {}
    for i in range(il):
        tag, _typ, offset, _count = struct.unpack('>IIII', index[i * 16:i * 16 + 16])
        entries[tag] = store + offset
    return entries, store + dl


def flip(path, position):
    with open(path, 'r+b') as handle:
        handle.seek(position)
        byte = handle.read(1)
        handle.seek(position)
        handle.write(bytes([byte[0] ^ 0x01]))


# where in a signature header to change one byte: what rpm -K --nosignature says, and what must refuse it
SIG_PLACES = {
    'rsa-signature': (lambda e, end: e[268] + 40, True),     # tag 268 RSAHEADER: rpm passes at digest level
    'header-sha256': (lambda e, end: e[273] + 3, False),     # the SHA256 hex string
    'header-sha1': (lambda e, end: e[269] + 3, False),
    'md5': (lambda e, end: e[1004] + 2, False),
    'reserved-space': (lambda e, end: e[1008] + 100, True),  # rpm passes at digest level
    'payload-size': (lambda e, end: e[1007] + 3, True),      # rpm passes at digest level
    'region-trailer': (lambda e, end: end - 6, False),
    'index-entry': (lambda e, end: 96 + 16 + 16 + 7, False),  # type field of the second entry
}


def rpm_digest_check(path):
    """True when rpm's own digest-level check (no keys) accepts the file."""
    return subprocess.run(['rpmkeys', '--checksig', '--nosignature', path], capture_output=True,
                          check=False).returncode == 0


@pytest.mark.parametrize('place', sorted(SIG_PLACES))
def test_our_digest_check_agrees_with_rpm_and_sighash_covers_the_rest(koji_world, tmp_path, place):
    """Same verdict as `rpmkeys --checksig --nosignature` (rpm 4.18 here) on every changed place; where rpm
    passes, Koji's sighash (MD5 of the padded signature header) refuses."""
    original = koji_world.hello1_rpms[0].signed[koji_world.key1.sigkey]
    path = str(tmp_path / 'x.rpm')
    shutil.copyfile(original, path)
    sighash = rpm_digests(original)['sighash']
    assert sighash == hashlib.md5(koji.rip_rpm_sighdr(original)).hexdigest()  # koji's own reader agrees
    assert rpm_digest_check(path)
    verify_rpm(path, sighash=sighash)
    where, rpm_passes = SIG_PLACES[place]
    flip(path, where(*sig_entries(path)))
    assert os.path.getsize(path) == os.path.getsize(original)
    assert rpm_digest_check(path) is rpm_passes
    if rpm_passes:
        verify_rpm(path)  # the digest level cannot see it, as rpm cannot
    else:
        with pytest.raises(VerifyError):
            verify_rpm(path)
    with pytest.raises(VerifyError):
        verify_rpm(path, sighash=sighash)


@pytest.mark.parametrize('place', ['rsa-signature', 'header-sha256', 'reserved-space'])
def test_changed_signature_header_same_size_is_refused_and_lands_nowhere(koji_world, tmp_path, place):
    """Without getRPMChecksums (a hub before koji 1.34), so the signature header's own checks must refuse."""
    w = koji_world
    w.hub.missing_methods.add('getRPMChecksums')
    served = os.path.join(w.hub.topdir, signed_path(w.key1))
    size = os.path.getsize(served)
    where, _rpm_passes = SIG_PLACES[place]
    flip(served, where(*sig_entries(served)))
    assert os.path.getsize(served) == size
    with pytest.raises(FedoraBuildError) as err:
        direct(w.hub, tmp_path, builds=['hello-1.0-1.fc41'], sigkeys=[w.key1.sigkey])
    assert err.value.msg.startswith('topurl: the downloaded file hello-1.0-1.fc41.x86_64.rpm (%s/%s) failed '
                                    'verification twice: ' % (w.hub.topurl, signed_path(w.key1)))
    assert not list((tmp_path / 'cache').rglob('hello-1.0-1.fc41.x86_64.rpm*'))
    assert not (tmp_path / 'repo' / 'Packages').exists()
    assert not leftovers(tmp_path)


def test_recorded_key_without_written_copy_falls_back_in_sigkeys_order(koji_world, tmp_path):
    """queryRPMSigs lists key1 for hello's RPMs, but key1's signed copy of the x86_64 RPM was never written
    (404): that RPM comes from the next key in sigkeys that has a copy; the others keep key1."""
    w = koji_world
    os.unlink(os.path.join(w.hub.topdir, signed_path(w.key1)))
    res = direct(w.hub, tmp_path, builds=['hello-1.0-1.fc41'], sigkeys=[w.key1.sigkey, w.key2.sigkey, ''])
    by = {p['nvra']: p for p in res['packages']}
    assert by['hello-1.0-1.fc41.x86_64']['sigkey'] == w.key2.sigkey
    assert by['hello-1.0-1.fc41.x86_64']['url'].endswith(signed_path(w.key2))
    assert by['hello-libs-1.0-1.fc41.x86_64']['sigkey'] == w.key1.sigkey
    assert sorted(p.parent.name for p in (tmp_path / 'cache').rglob('hello-1.0-1.fc41.x86_64.rpm')) == [w.key2.sigkey]
    assert not [d for d in (tmp_path / 'cache').rglob('*') if d.is_dir() and not any(d.iterdir())]
    repo_file = tmp_path / 'repo' / 'Packages' / 'hello-1.0-1.fc41.x86_64.rpm'
    assert repo_file.read_bytes() == open(w.hello1_rpms[0].signed[w.key2.sigkey], 'rb').read()
    # '' is a place in the order too: without key2, the unsigned copy
    res = direct(w.hub, tmp_path, dest=tmp_path / 'r2', builds=['hello-1.0-1.fc41'], sigkeys=[w.key1.sigkey, ''])
    assert {p['nvra']: p['sigkey'] for p in res['packages']}['hello-1.0-1.fc41.x86_64'] == ''
    # again: the same answer, nothing downloaded, nothing changed
    again = direct(w.hub, tmp_path, builds=['hello-1.0-1.fc41'], sigkeys=[w.key1.sigkey, w.key2.sigkey, ''])
    assert again['changed'] is False and again['bytes_downloaded'] == 0 and again['cache_hits'] == 2
    # no acceptable copy left: the 404 is the answer
    with pytest.raises(FedoraBuildError) as err:
        direct(w.hub, tmp_path, builds=['hello-1.0-1.fc41'], sigkeys=[w.key1.sigkey])
    assert err.value.msg == 'topurl: %s/%s could not be downloaded (HTTP 404 Not Found).' % (w.hub.topurl, signed_path(w.key1))


def test_getrpmchecksums_mismatch_is_refused_and_old_hubs_still_work(koji_world, tmp_path):
    w = koji_world
    rid = [k for k, v in w.hub.rpms.items() if (v['name'], v['version'], v['arch']) == ('hello', '1.0', 'x86_64')][0]
    real = w.hub.rpm_checksums[(rid, w.key1.sigkey)]['sha256']
    assert real == hashlib.sha256(open(w.hello1_rpms[0].signed[w.key1.sigkey], 'rb').read()).hexdigest()
    w.hub.rpm_checksums[(rid, w.key1.sigkey)]['sha256'] = '0' * 64
    with pytest.raises(FedoraBuildError) as err:
        direct(w.hub, tmp_path, builds=['hello-1.0-1.fc41'], sigkeys=[w.key1.sigkey])
    assert 'hello-1.0-1.fc41.x86_64.rpm' in err.value.msg
    assert err.value.msg.endswith('file SHA256 %s does not match the checksum %s Koji recorded (getRPMChecksums).'
                                  % (real, '0' * 64))
    assert not list((tmp_path / 'cache').rglob('hello-1.0-1.fc41.x86_64.rpm'))
    # a hub before koji 1.34 has no getRPMChecksums: the other checks still apply, nothing fails
    w.hub.missing_methods.add('getRPMChecksums')
    res = direct(w.hub, tmp_path, builds=['hello-1.0-1.fc41'], sigkeys=[w.key1.sigkey])
    assert 'hello-1.0-1.fc41.x86_64' in nvras(res)


def test_intact_rpm_of_another_build_under_the_right_name_is_refused(koji_world, rpm_factory, tmp_path):
    """Same file name (same NVRA), every digest inside consistent, Koji's size made to match: not the RPM
    Koji recorded for that name, which only Koji's payloadhash (and, signed, its sighash) can tell."""
    w = koji_world
    other = [r for r in rpm_factory.build('hello', '1.0', '1.fc41', arches=('x86_64',), payload='rebuilt',
                                          sign_with=[w.key1]) if r.name == 'hello'][0]
    served = os.path.join(w.hub.topdir, HELLO)
    assert other.filename == os.path.basename(served)
    assert rpm_digest_check(other.path) and rpm_digests(other.path)['sigmd5'] != rpm_digests(served)['sigmd5']
    shutil.copyfile(other.path, served)
    shutil.copyfile(other.signed[w.key1.sigkey], os.path.join(w.hub.topdir, signed_path(w.key1)))
    rid = [k for k, v in w.hub.rpms.items() if (v['name'], v['version'], v['arch']) == ('hello', '1.0', 'x86_64')][0]
    w.hub.rpms[rid]['size'] = os.path.getsize(served)
    for sigkeys, url in (([''], HELLO), ([w.key1.sigkey], signed_path(w.key1))):
        with pytest.raises(FedoraBuildError) as err:
            direct(w.hub, tmp_path, builds=['hello-1.0-1.fc41'], sigkeys=sigkeys, exclude=['*-libs', '*-debuginfo'])
        assert err.value.msg.startswith('topurl: the downloaded file hello-1.0-1.fc41.x86_64.rpm (%s/%s) failed '
                                        'verification twice: header sigmd5 ' % (w.hub.topurl, url)), err.value.msg
        assert err.value.msg.endswith('(not the RPM Koji recorded).')
        assert not list((tmp_path / 'cache').rglob('hello-1.0-1.fc41.x86_64.rpm'))
        assert not (tmp_path / 'repo' / 'Packages').exists()


def test_rpm_whose_header_names_another_package_is_refused(koji_world, tmp_path):
    """A scratch build's output has no payloadhash in Koji: the header's own NVRA must match the file name."""
    w = koji_world
    child = w.scratch_task + 1
    pi = koji.PathInfo(topdir=w.hub.topdir)
    served = os.path.join(pi.work(), pi.taskrelpath(child), 'scratchpkg-0.1-1.fc41.x86_64.rpm')
    libs = os.path.join(pi.work(), pi.taskrelpath(child), 'scratchpkg-libs-0.1-1.fc41.x86_64.rpm')
    shutil.copyfile(libs, served)
    w.hub.task_files[child]['scratchpkg-0.1-1.fc41.x86_64.rpm'] = os.path.getsize(served)  # size made to match
    with pytest.raises(FedoraBuildError) as err:
        direct(w.hub, tmp_path, tasks=[w.scratch_task])
    assert err.value.msg.endswith('failed verification twice: the file holds scratchpkg-libs-0.1-1.fc41.x86_64, '
                                  'not scratchpkg-0.1-1.fc41.x86_64.')


def test_damaged_or_truncated_cache_entry_is_fetched_again(koji_world, tmp_path):
    w = koji_world
    first = direct(w.hub, tmp_path, builds=['hello-1.0-1.fc41'])
    assert first['bytes_downloaded'] > 0
    cached = list((tmp_path / 'cache').rglob('hello-1.0-1.fc41.x86_64.rpm'))
    assert len(cached) == 1
    good = open(os.path.join(w.hub.topdir, HELLO), 'rb').read()
    repo_file = tmp_path / 'repo' / 'Packages' / 'hello-1.0-1.fc41.x86_64.rpm'

    def gets():
        return len([r for r in w.hub.file_requests if r == ('GET', HELLO)])
    for damage in ('flip', 'truncate'):
        data = bytearray(cached[0].read_bytes())
        if damage == 'flip':
            data[len(data) // 2] ^= 0x01   # same size: only the content tells
        else:
            del data[len(data) // 2:]
        with open(str(cached[0]), 'r+b') as handle:  # in place: the repo's hard link sees it too
            handle.write(bytes(data))
            handle.truncate()
        before = gets()
        res = direct(w.hub, tmp_path, builds=['hello-1.0-1.fc41'])
        assert gets() == before + 1, damage               # fetched again
        assert res['changed'] is True
        assert cached[0].read_bytes() == good and repo_file.read_bytes() == good, damage   # never served
        by = {p['nvra']: p for p in res['packages']}
        assert by['hello-1.0-1.fc41.x86_64']['sha256'] == hashlib.sha256(good).hexdigest()
    assert not leftovers(tmp_path)
