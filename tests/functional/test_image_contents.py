# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The package set read from real images (module_utils/image_contents.py), and the pinned builds checked in it.

Everything is real: RPMs made with rpmbuild and rpmsign, installed into a root with rpm, packed with
mksquashfs into a squashfs inside an ISO 9660 made with xorriso, an install tree made with createrepo_c.
The squashfs is read straight from the ISO (its extent), and only the RPM database is extracted.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from ansible_collections.ondemand.fedora_build.plugins.module_utils import image_contents as ic

pytestmark = pytest.mark.slow


def run(argv):
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture(scope='module')
def image_tools():
    missing = [t for t in ('mksquashfs', 'unsquashfs', 'xorriso', 'rpm', 'createrepo_c') if not shutil.which(t)]
    if missing:
        pytest.fail('image tools missing: %s (tests/install-deps.sh installs them)' % ', '.join(missing))


def header(path, tag):
    return subprocess.run(['rpm', '-qp', '--nosignature', '--qf', '%%{%s}' % tag, path], capture_output=True,
                          text=True, check=True).stdout


def pinned_entry(rpm, key=None):
    """A koji-manifest.json package entry for a built RPM, as the side repo writes it."""
    path = rpm.signed.get(key.sigkey) if key else rpm.path
    import hashlib
    return dict(nvra=rpm.nvra, name=rpm.name, epoch=rpm.epoch, version=rpm.version, release=rpm.release,
                arch=rpm.arch, sigkey=key.sigkey if key else '', payloadhash=header(path, 'SIGMD5'),
                sha256=hashlib.sha256(open(path, 'rb').read()).hexdigest())


@pytest.fixture(scope='module')
def builds(rpm_factory, gpg_key, gpg_key2):
    pin = rpm_factory.build('fbc-pin', '1.0', '1.fc41', subpackages=(), debuginfo=False, sign_with=(gpg_key,))[0]
    newer = rpm_factory.build('fbc-pin', '2.0', '1.fc41', subpackages=(), debuginfo=False, sign_with=(gpg_key2,))[0]
    other = rpm_factory.build('fbc-other', '1.0', '1.fc41', subpackages=(), debuginfo=False)[0]
    return dict(pin=pin, newer=newer, other=other, key=gpg_key, key2=gpg_key2)


def live_iso(tmp, rpms):
    """A root with ``rpms`` installed by rpm, packed as LiveOS/squashfs.img inside an ISO."""
    root = tmp / 'root'
    # Fedora's database location (Debian's rpm keeps its own in ~/.rpmdb)
    fedora_db = ['--root', str(root), '--define', '_dbpath /usr/lib/sysimage/rpm']
    subprocess.run(['rpm'] + fedora_db + ['--initdb'], check=True)
    subprocess.run(['rpm'] + fedora_db + ['-i', '--nodeps', '--nosignature', '--noscripts'] + rpms, check=True,
                   capture_output=True)
    tree = tmp / 'iso'
    (tree / 'LiveOS').mkdir(parents=True)
    (tree / 'EFI').mkdir()
    (tree / 'EFI' / 'padding').write_bytes(os.urandom(70000))  # the squashfs must not start at the ISO's first file
    subprocess.run(['mksquashfs', str(root), str(tree / 'LiveOS' / 'squashfs.img'), '-quiet', '-noappend'], check=True)
    iso = tmp / 'live.iso'
    subprocess.run(['xorriso', '-as', 'mkisofs', '-quiet', '-V', 'Fedora-Live', '-o', str(iso), str(tree)], check=True,
                   capture_output=True)
    shutil.rmtree(str(tree))
    return iso


def read_live_iso(iso, tmp):
    offset, size = ic.iso_extent(run, str(iso), '/LiveOS/squashfs.img')
    assert offset > 0 and size > 0
    dbpath = ic.extract_rpmdb(run, str(iso), str(tmp / 'db'), offset=offset)
    assert dbpath, os.listdir(str(tmp / 'db'))
    return ic.rpmdb_packages(run, dbpath)


def test_live_iso_with_the_pinned_build_is_verified(builds, image_tools, tmp_path):
    pin, key = builds['pin'], builds['key']
    iso = live_iso(tmp_path, [pin.signed[key.sigkey], builds['other'].path])
    found = read_live_iso(iso, tmp_path)
    assert [p['nevra'] for p in found] == ['fbc-other-1.0-1.fc41.noarch', 'fbc-pin-1.0-1.fc41.noarch']
    assert found[1]['sigkey'] == key.sigkey and found[0]['sigkey'] == ''
    record = ic.compare([pinned_entry(pin, key)], found, 'rpmdb')
    assert record['pinned'] == [dict(nevra='fbc-pin-1.0-1.fc41.noarch', name='fbc-pin', arch='noarch', sigkey=key.sigkey,
                                     found=['fbc-pin-1.0-1.fc41.noarch'], status='installed')]
    assert record['summary'] == '1 of 1 pinned builds verified in the image' and ic.failures(record) == []
    # only the database came out of the image, not the image's files
    assert not (tmp_path / 'db' / 'usr' / 'share').exists()


def test_a_newer_distro_build_shadows_the_pinned_one(builds, image_tools, tmp_path):
    pin, key = builds['pin'], builds['key']
    iso = live_iso(tmp_path, [builds['newer'].signed[builds['key2'].sigkey]])
    record = ic.compare([pinned_entry(pin, key)], read_live_iso(iso, tmp_path), 'rpmdb')
    entry = record['pinned'][0]
    assert entry['status'] == 'shadowed' and entry['instead'] == [
        dict(nevra='fbc-pin-2.0-1.fc41.noarch', sigkey=builds['key2'].sigkey)]
    assert ic.failures(record) == ['fbc-pin: the image holds fbc-pin-2.0-1.fc41.noarch instead of the pinned '
                                   'fbc-pin-1.0-1.fc41.noarch (another version).']
    assert record['summary'] == '0 of 1 pinned builds verified in the image'


def test_the_same_nevra_from_another_key_or_unsigned_is_not_the_pinned_build(builds, image_tools, tmp_path):
    pin, key = builds['pin'], builds['key']
    iso = live_iso(tmp_path, [pin.path])  # the unsigned copy of the very same build
    record = ic.compare([pinned_entry(pin, key)], read_live_iso(iso, tmp_path), 'rpmdb')
    assert record['pinned'][0]['status'] == 'shadowed'
    assert record['pinned'][0]['reason'] == 'signed with key none, pinned %s' % key.sigkey


def test_the_same_nevra_with_other_content_is_caught_by_the_header_digest(builds, image_tools, tmp_path, rpm_factory):
    pin, key = builds['pin'], builds['key']
    twin = rpm_factory.build('fbc-pin', '1.0', '1.fc41', subpackages=(), debuginfo=False, sign_with=(key,),
                             payload='rebuilt')[0]
    assert twin.nvra == pin.nvra and header(twin.path, 'SIGMD5') != header(pin.path, 'SIGMD5')
    iso = live_iso(tmp_path, [twin.signed[key.sigkey]])
    record = ic.compare([pinned_entry(pin, key)], read_live_iso(iso, tmp_path), 'rpmdb')
    assert record['pinned'][0]['status'] == 'shadowed'
    assert record['pinned'][0]['reason'].startswith('the same NEVRA with other content (header sigmd5 ')


def test_absent_is_reported_and_an_error_only_when_asked(builds, image_tools, tmp_path):
    iso = live_iso(tmp_path, [builds['other'].path])
    record = ic.compare([pinned_entry(builds['pin'], builds['key'])], read_live_iso(iso, tmp_path), 'rpmdb')
    assert record['pinned'][0]['status'] == 'absent' and record['counts'] == dict(installed=0, shadowed=0, absent=1)
    assert ic.failures(record) == []
    assert ic.failures(record, absent_is_error=True) == [
        'fbc-pin: the pinned fbc-pin-1.0-1.fc41.noarch is not in the image (the kickstart does not install it).']


def test_install_tree_repodata_checks_the_file_itself(builds, image_tools, tmp_path):
    pin, key = builds['pin'], builds['key']
    tree = tmp_path / 'tree'
    (tree / 'Packages' / 'f').mkdir(parents=True)
    shutil.copy(pin.signed[key.sigkey], str(tree / 'Packages' / 'f' / pin.filename))
    subprocess.run(['createrepo_c', '--quiet', str(tree)], check=True)
    found = ic.repodata_packages(str(tree), run)
    assert [p['nevra'] for p in found] == [pin.nvra] and found[0]['location'] == 'Packages/f/' + pin.filename
    assert ic.compare([pinned_entry(pin, key)], found, 'repodata')['pinned'][0]['status'] == 'installed'
    # the unsigned file of the same NEVRA is another file: its sha256 differs
    shutil.copy(pin.path, str(tree / 'Packages' / 'f' / pin.filename))
    subprocess.run(['createrepo_c', '--quiet', str(tree)], check=True)
    entry = ic.compare([pinned_entry(pin, key)], ic.repodata_packages(str(tree), run), 'repodata')['pinned'][0]
    assert entry['status'] == 'shadowed' and entry['reason'].startswith('the same NEVRA with another file (sha256 ')


def test_kiwi_package_list(tmp_path):
    lst = tmp_path / 'Fedora.x86_64-41.packages'
    lst.write_text('bash|(none)|5.2.32|1.fc41|x86_64|(none)|GPL-3.0-or-later\n'
                   'fbc-pin|1|1.0|1.fc41|noarch|(none)|MIT\ngpg-pubkey|(none)|abcd|1|(none)|(none)|pubkey\n')
    found = ic.kiwi_packages(str(lst))
    assert [p['nevra'] for p in found] == ['bash-5.2.32-1.fc41.x86_64', 'fbc-pin-1:1.0-1.fc41.noarch']
    pin = dict(name='fbc-pin', epoch=1, version='1.0', release='1.fc41', arch='noarch', sigkey='0badc0de')
    assert ic.compare([pin], found, 'kiwi')['pinned'][0]['status'] == 'installed'  # kiwi's list has no keys


def test_a_missing_file_in_the_iso_is_none_and_tools_fail_in_one_sentence(image_tools, tmp_path):
    (tmp_path / 't').mkdir()
    (tmp_path / 't' / 'x').write_text('x')
    iso = tmp_path / 'x.iso'
    subprocess.run(['xorriso', '-as', 'mkisofs', '-quiet', '-o', str(iso), str(tmp_path / 't')], check=True,
                   capture_output=True)
    assert ic.iso_extent(run, str(iso), '/LiveOS/squashfs.img') is None
    with pytest.raises(ic.FedoraBuildError, match=r'^image x.iso: unsquashfs failed with exit code'):
        ic.extract_rpmdb(run, str(iso), str(tmp_path / 'db'), offset=2048)


def test_boot_iso_runtime_package_log_read_from_install_img_inside_the_iso(builds, image_tools, tmp_path):
    """lorax removes the installer runtime's RPM database and writes /root/lorax-packages.log instead."""
    pin, key = builds['pin'], builds['key']
    runtime = tmp_path / 'runtime'
    (runtime / 'root').mkdir(parents=True)
    (runtime / 'root' / 'lorax-packages.log').write_text('anaconda-41.35-1.fc41.x86_64\n%s\n' % pin.nvra)
    tree = tmp_path / 'boot'
    (tree / 'images').mkdir(parents=True)
    subprocess.run(['mksquashfs', str(runtime), str(tree / 'images' / 'install.img'), '-quiet', '-noappend'], check=True)
    iso = tmp_path / 'boot.iso'
    subprocess.run(['xorriso', '-as', 'mkisofs', '-quiet', '-o', str(iso), str(tree)], check=True, capture_output=True)
    offset, dummy = ic.iso_extent(run, str(iso), '/images/install.img')
    found = ic.package_log_packages(ic.squashfs_cat(run, str(iso), 'root/lorax-packages.log', offset=offset))
    assert [p['nevra'] for p in found] == ['anaconda-41.35-1.fc41.x86_64', pin.nvra]
    assert ic.compare([pinned_entry(pin, key)], found, 'package-log')['pinned'][0]['status'] == 'installed'
    assert ic.squashfs_cat(run, str(iso), 'root/nothing.log', offset=offset) is None
