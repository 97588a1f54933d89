# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The content check phase (module_utils/content_check.py, the content_check module) on real small images.

Every artifact is made here the way the real tools leave it: RPMs built with rpmbuild and signed with rpmsign,
installed with ``rpm --root`` into a root with Fedora's database location, packed with mksquashfs (a live ISO's
``LiveOS/squashfs.img``, with or without an ext4 ``LiveOS/rootfs.img`` made by ``mkfs.ext4 -d``), an ISO made
with xorriso, a partitioned disk image whose ext4 root is written at the partition's offset, lorax's installer
runtime with its package log, kiwi's ``.packages`` list and a pungi install tree made with createrepo_c. For each
source: the pinned build installed, shadowed by a newer build, absent, and absent under ``absent: error``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import subprocess
import time
from types import SimpleNamespace

import pytest

from ansible_collections.ondemand.fedora_build.plugins.module_utils import backend_registry, content_check as cc
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError

from support.ansible_run import run_module, run_playbook
from support.skips import tool_missing
from support.spdx import parse_valid_sbom

pytestmark = pytest.mark.slow

TOOLS = ('mksquashfs', 'unsquashfs', 'xorriso', 'rpm', 'createrepo_c', 'debugfs', 'mkfs.ext4')
TIMINGS = {}


def run(argv):
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture(scope='module')
def image_tools():
    missing = [t for t in TOOLS if not shutil.which(t)]
    if missing:
        tool_missing('image tools missing: %s (tests/install-deps.sh installs them)' % ', '.join(missing))


@pytest.fixture(scope='module')
def builds(rpm_factory, gpg_key, gpg_key2):
    pin = rpm_factory.build('fbc-pin', '1.0', '1.fc41', subpackages=(), debuginfo=False, sign_with=(gpg_key,))[0]
    newer = rpm_factory.build('fbc-pin', '2.0', '1.fc41', subpackages=(), debuginfo=False, sign_with=(gpg_key2,))[0]
    other = rpm_factory.build('fbc-other', '1.0', '1.fc41', subpackages=(), debuginfo=False)[0]
    return dict(pin=pin, newer=newer, other=other, key=gpg_key, key2=gpg_key2)


def header(path, tag):
    return subprocess.run(['rpm', '-qp', '--nosignature', '--qf', '%%{%s}' % tag, path], capture_output=True,
                          text=True, check=True).stdout


def sha256(path):
    with open(path, 'rb') as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def write_manifest(tmp, builds):
    """koji-manifest.json as the side repo writes it, pinning fbc-pin-1.0-1.fc41 signed with the first key."""
    pin, key = builds['pin'], builds['key']
    path = pin.signed[key.sigkey]
    entry = dict(nvra=pin.nvra, name=pin.name, epoch=pin.epoch, version=pin.version, release=pin.release,
                 arch=pin.arch, nvr='fbc-pin-1.0-1.fc41', sigkey=key.sigkey, payloadhash=header(path, 'SIGMD5'),
                 sha256=sha256(path), url='https://kojipkgs.example/fbc-pin/1.0/1.fc41/noarch/' + pin.filename)
    manifest = tmp / 'koji-manifest.json'
    manifest.write_text(json.dumps(dict(format=1, builds=[], packages=[entry])))
    return str(manifest)


def artifact(path, kind):
    return dict(kind=kind, name=os.path.basename(str(path)), path=str(path), sha256=sha256(str(path)),
                size=os.path.getsize(str(path)))


# --- making the images ------------------------------------------------------------------------------------------

def installed_root(tmp, rpms):
    """A root with ``rpms`` installed by rpm into Fedora's database location (Debian's rpm defaults elsewhere)."""
    root = tmp / 'root'
    fedora_db = ['--root', str(root), '--define', '_dbpath /usr/lib/sysimage/rpm']
    subprocess.run(['rpm'] + fedora_db + ['--initdb'], check=True)
    subprocess.run(['rpm'] + fedora_db + ['-i', '--nodeps', '--nosignature', '--noscripts'] + rpms, check=True,
                   capture_output=True)
    (root / 'etc').mkdir(exist_ok=True)
    return root


def iso_of(tmp, tree, name):
    (tree / 'EFI').mkdir(exist_ok=True)
    (tree / 'EFI' / 'padding').write_bytes(os.urandom(70000))  # the squashfs must not be the ISO's first file
    iso = tmp / name
    subprocess.run(['xorriso', '-as', 'mkisofs', '-quiet', '-V', 'Fedora-Live', '-o', str(iso), str(tree)], check=True,
                   capture_output=True)
    shutil.rmtree(str(tree))
    return iso


def ext4_of(root, path, size='64M'):
    subprocess.run(['mkfs.ext4', '-q', '-F', '-d', str(root), str(path), size], check=True, capture_output=True)


def live_iso(tmp, rpms, names, ext4=False):
    """livemedia-creator's live ISO: LiveOS/squashfs.img holds the root (or LiveOS/rootfs.img, ext4, holding it)."""
    root = installed_root(tmp, rpms)
    tree = tmp / 'iso'
    (tree / 'LiveOS').mkdir(parents=True)
    squashed = root
    if ext4:
        squashed = tmp / 'squash'
        (squashed / 'LiveOS').mkdir(parents=True)
        ext4_of(root, squashed / 'LiveOS' / 'rootfs.img')
    subprocess.run(['mksquashfs', str(squashed), str(tree / 'LiveOS' / 'squashfs.img'), '-quiet', '-noappend'],
                   check=True)
    (tree / 'images').mkdir()
    return [artifact(iso_of(tmp, tree, 'boot.iso'), 'live_iso')]


def live_iso_ext4(tmp, rpms, names):
    return live_iso(tmp, rpms, names, ext4=True)


def disk_image(tmp, rpms, names):
    """livemedia-creator --make-disk: an MBR-partitioned disk whose second partition is the ext4 root."""
    root = installed_root(tmp, rpms)
    disk = tmp / 'disk.img'
    with open(str(disk), 'wb') as handle:
        handle.truncate(80 * 1024 * 1024)
        handle.seek(446)
        handle.write(struct.pack('<B3sB3sII', 0x80, b'\0\0\0', 0x83, b'\0\0\0', 2048, 8192))     # /boot, empty
        handle.write(struct.pack('<B3sB3sII', 0, b'\0\0\0', 0x83, b'\0\0\0', 10240, 120000))     # /
        handle.seek(510)
        handle.write(b'\x55\xaa')
    subprocess.run(['mkfs.ext4', '-q', '-F', '-E', 'offset=%d' % (10240 * 512), '-d', str(root), str(disk), '58M'],
                   check=True, capture_output=True)
    return [artifact(disk, 'disk_image')]


def lorax_tree(tmp, rpms, names, ext4=False):
    """lorax's output: images/install.img (the runtime squashfs holding root/lorax-packages.log) and boot.iso."""
    runtime = tmp / 'runtime'
    (runtime / 'root').mkdir(parents=True)
    (runtime / 'root' / 'lorax-packages.log').write_text(''.join('%s\n' % n for n in ['anaconda-41.35-1.fc41.x86_64'] + names))
    out = tmp / 'out'
    (out / 'images').mkdir(parents=True)
    squashed = runtime
    if ext4:
        squashed = tmp / 'squash'
        (squashed / 'LiveOS').mkdir(parents=True)
        ext4_of(runtime, squashed / 'LiveOS' / 'rootfs.img', '8M')
    subprocess.run(['mksquashfs', str(squashed), str(out / 'images' / 'install.img'), '-quiet', '-noappend'], check=True)
    iso_tree = tmp / 'iso'
    (iso_tree / 'images').mkdir(parents=True)
    shutil.copy(str(out / 'images' / 'install.img'), str(iso_tree / 'images' / 'install.img'))
    iso = iso_of(tmp, iso_tree, 'boot.iso')
    shutil.move(str(iso), str(out / 'images' / 'boot.iso'))
    return [artifact(out / 'images' / 'boot.iso', 'boot_iso'), artifact(out / 'images' / 'install.img', 'install_img')]


def lorax_boot_iso_only(tmp, rpms, names):
    """The runtime read inside boot.iso when the tree's install.img is not among the artifacts."""
    return [a for a in lorax_tree(tmp, rpms, names) if a['kind'] == 'boot_iso']


def lorax_ext4(tmp, rpms, names):
    return lorax_tree(tmp, rpms, names, ext4=True)


def kiwi_result(tmp, rpms, names):
    disk = tmp / 'Fedora.x86_64-41.raw'
    disk.write_bytes(os.urandom(4096))
    lst = tmp / 'Fedora.x86_64-41.packages'
    lines = ['bash|(none)|5.2.32|1.fc41|x86_64|(none)|GPL-3.0-or-later']
    for name in names:
        base, arch = name.rsplit('.', 1)
        pname, version, release = base.rsplit('-', 2)
        lines.append('%s|(none)|%s|%s|%s|(none)|MIT' % (pname, version, release, arch))
    lst.write_text('\n'.join(lines) + '\n')
    return [artifact(disk, 'disk_image'), artifact(lst, 'image_packages')]


def pungi_tree(tmp, rpms, names):
    """pungi's compose: <version>/<flavor>/<arch>/os/ with Packages/ and repodata, and the DVD beside it."""
    base = tmp / 'compose' / '41' / 'Everything' / 'x86_64'
    tree = base / 'os'
    (tree / 'Packages').mkdir(parents=True)
    for rpm in rpms:
        shutil.copy(rpm, str(tree / 'Packages' / os.path.basename(rpm)))
    subprocess.run(['createrepo_c', '--quiet', str(tree)], check=True)
    (tree / '.treeinfo').write_text('[general]\nfamily = Fedora\n')
    (base / 'iso').mkdir()
    dvd = base / 'iso' / 'Fedora-41-x86_64-DVD.iso'
    dvd.write_bytes(os.urandom(4096))
    return [artifact(dvd, 'dvd_iso'), artifact(tree / '.treeinfo', 'treeinfo')]


# backend, maker, the source it reads, whether it sees signatures
SOURCES = {
    'live-iso-squashfs': ('livemedia-creator', live_iso, 'rpmdb'),
    'live-iso-rootfs-ext4': ('livemedia-creator', live_iso_ext4, 'rpmdb'),
    'disk-image-ext4': ('livemedia-creator', disk_image, 'rpmdb'),
    'lorax-install-img': ('lorax', lorax_tree, 'package-log'),
    'lorax-boot-iso': ('lorax', lorax_boot_iso_only, 'package-log'),
    'lorax-rootfs-ext4': ('lorax', lorax_ext4, 'package-log'),
    'kiwi-packages': ('kiwi', kiwi_result, 'kiwi'),
    'pungi-repodata': ('pungi', pungi_tree, 'repodata'),
}


def make(kind, tmp, builds, which):
    rpms = {'pinned': [builds['pin'].signed[builds['key'].sigkey], builds['other'].path],
            'newer': [builds['newer'].signed[builds['key2'].sigkey], builds['other'].path],
            'without': [builds['other'].path]}[which]
    names = {'pinned': [builds['pin'].nvra, builds['other'].nvra], 'newer': [builds['newer'].nvra, builds['other'].nvra],
             'without': [builds['other'].nvra]}[which]
    started = time.monotonic()
    arts = SOURCES[kind][1](tmp, rpms, names)
    return arts, started


def check_module(tmp, backend, artifacts, manifest, absent='report', check_mode=False):
    """content_check.run_module as the module runs it (the module object only carries the params)."""
    dest = tmp / 'tree'
    dest.mkdir(exist_ok=True)
    params = dict(backend=backend, artifacts=artifacts, manifest=manifest, dest=str(dest), work_dir=str(tmp),
                  absent=absent, build_id='live-41-x86_64-0123456789ab', tool_version='0.1.0')
    started = time.monotonic()
    try:
        return cc.run_module(SimpleNamespace(params=params, check_mode=check_mode), run, backend_registry.get), dest
    finally:
        TIMINGS.setdefault(backend, []).append(time.monotonic() - started)


def validate_sbom(path, packages):
    document = parse_valid_sbom(path)
    names = sorted(p.name for p in document.packages[1:])
    assert names == sorted(packages)
    return json.loads(path.read_text())


def leftovers(tmp):
    """What the check left in its work dir (nothing: the extraction is removed)."""
    return [p for p in os.listdir(str(tmp)) if p.startswith('contents-')]


# --- the four outcomes for every source ------------------------------------------------------------------------

@pytest.mark.parametrize('kind', sorted(SOURCES))
def test_the_pinned_build_in_the_image_is_verified(kind, builds, image_tools, tmp_path):
    backend, dummy, source = SOURCES[kind]
    arts, dummy = make(kind, tmp_path, builds, 'pinned')
    result, dest = check_module(tmp_path, backend, arts, write_manifest(tmp_path, builds))
    assert result['source'] == source
    assert result['contents']['summary'] == '1 of 1 pinned builds verified in the image'
    assert result['contents']['counts'] == dict(installed=1, shadowed=0, absent=0)
    record = json.loads((dest / 'contents.json').read_text())
    assert record['pinned'] == [dict(nevra='fbc-pin-1.0-1.fc41.noarch', name='fbc-pin', arch='noarch',
                                     sigkey=builds['key'].sigkey, found=['fbc-pin-1.0-1.fc41.noarch'], status='installed')]
    assert record['source'] == source and record['verified'] == 1 and record['total'] == 1
    image = [a for a in arts if a['kind'] != 'image_packages' and a['kind'] != 'install_img'][0]
    assert record['image']['sha256'] == image['sha256']
    expected = ['fbc-other', 'fbc-pin'] + (['anaconda'] if source == 'package-log' else []) + (
        ['bash'] if source == 'kiwi' else [])
    doc = validate_sbom(dest / 'sbom.spdx.json', expected)
    assert doc['packages'][0]['checksums'] == [{'algorithm': 'SHA256', 'checksumValue': image['sha256']}]
    pinned = [p for p in doc['packages'] if p['name'] == 'fbc-pin'][0]
    assert pinned['externalRefs'][0]['referenceLocator'] == 'pkg:rpm/fedora/fbc-pin@1.0-1.fc41?arch=noarch'
    assert pinned['checksums'][0]['checksumValue'] == sha256(builds['pin'].signed[builds['key'].sigkey])
    assert not [p for p in os.listdir(str(dest)) if p.endswith('.part')] and leftovers(tmp_path) == []


@pytest.mark.parametrize('kind', sorted(SOURCES))
def test_a_newer_build_of_the_pinned_package_fails_the_check(kind, builds, image_tools, tmp_path):
    backend = SOURCES[kind][0]
    arts, dummy = make(kind, tmp_path, builds, 'newer')
    with pytest.raises(FedoraBuildError) as caught:
        check_module(tmp_path, backend, arts, write_manifest(tmp_path, builds))
    assert caught.value.msg == ('fbc-pin: the image holds fbc-pin-2.0-1.fc41.noarch instead of the pinned '
                                'fbc-pin-1.0-1.fc41.noarch (another version).')
    assert caught.value.result['contents']['summary'] == '0 of 1 pinned builds verified in the image'
    # the record and the SBOM are written before the check fails: the failed build's tree says why
    record = json.loads((tmp_path / 'tree' / 'contents.json').read_text())
    assert record['pinned'][0]['status'] == 'shadowed'
    assert record['pinned'][0]['instead'][0]['nevra'] == 'fbc-pin-2.0-1.fc41.noarch'
    assert (tmp_path / 'tree' / 'sbom.spdx.json').is_file() and leftovers(tmp_path) == []


@pytest.mark.parametrize('kind', sorted(SOURCES))
def test_an_absent_pinned_build_is_reported(kind, builds, image_tools, tmp_path):
    backend = SOURCES[kind][0]
    arts, dummy = make(kind, tmp_path, builds, 'without')
    result, dest = check_module(tmp_path, backend, arts, write_manifest(tmp_path, builds))
    assert result['contents']['counts'] == dict(installed=0, shadowed=0, absent=1)
    assert result['msg'].startswith('0 of 1 pinned builds verified in the image (')
    record = json.loads((dest / 'contents.json').read_text())
    assert record['pinned'][0]['status'] == 'absent' and record['pinned'][0]['found'] == []


@pytest.mark.parametrize('kind', sorted(SOURCES))
def test_an_absent_pinned_build_is_an_error_when_the_request_says_so(kind, builds, image_tools, tmp_path):
    backend = SOURCES[kind][0]
    arts, dummy = make(kind, tmp_path, builds, 'without')
    with pytest.raises(FedoraBuildError) as caught:
        check_module(tmp_path, backend, arts, write_manifest(tmp_path, builds), absent='error')
    assert caught.value.msg == ('fbc-pin: the pinned fbc-pin-1.0-1.fc41.noarch is not in the image (the kickstart '
                                'does not install it).')
    assert caught.value.result['contents']['absent'] == 'error'


# --- beyond the four outcomes -----------------------------------------------------------------------------------

def test_the_same_nevra_unsigned_is_not_the_pinned_build_in_a_live_root(builds, image_tools, tmp_path):
    arts = live_iso(tmp_path, [builds['pin'].path], [])
    with pytest.raises(FedoraBuildError, match=r'^fbc-pin: the image holds fbc-pin-1.0-1.fc41.noarch instead of the '
                                               r'pinned fbc-pin-1.0-1.fc41.noarch \(signed with key none, pinned '):
        check_module(tmp_path, 'livemedia-creator', arts, write_manifest(tmp_path, builds))


def test_a_build_without_koji_pins_gets_an_sbom_and_an_empty_pinned_list(builds, image_tools, tmp_path):
    arts = live_iso(tmp_path, [builds['other'].path], [])
    result, dest = check_module(tmp_path, 'livemedia-creator', arts, None)
    assert result['contents']['summary'] == '0 of 0 pinned builds verified in the image'
    record = json.loads((dest / 'contents.json').read_text())
    assert record['pinned'] == [] and record['image_packages'] == [dict(nevra='fbc-other-1.0-1.fc41.noarch', sigkey=None)]
    validate_sbom(dest / 'sbom.spdx.json', ['fbc-other'])


def test_check_mode_reads_the_image_and_writes_nothing(builds, image_tools, tmp_path):
    arts = live_iso(tmp_path, [builds['pin'].signed[builds['key'].sigkey]], [])
    result, dest = check_module(tmp_path, 'livemedia-creator', arts, write_manifest(tmp_path, builds), check_mode=True)
    assert result['changed'] is False and result['contents']['verified'] == 1
    assert os.listdir(str(dest)) == []


def test_a_pungi_package_file_that_is_not_what_the_repodata_says_fails(builds, image_tools, tmp_path):
    arts = pungi_tree(tmp_path, [builds['pin'].signed[builds['key'].sigkey]], [])
    tree = tmp_path / 'compose' / '41' / 'Everything' / 'x86_64' / 'os'
    shutil.copy(builds['pin'].path, str(tree / 'Packages' / builds['pin'].filename))  # swapped after createrepo_c
    with pytest.raises(FedoraBuildError, match=r'^tree .*: Packages/fbc-pin-1.0-1.fc41.noarch.rpm does not match its '
                                               r'repodata \(sha256 '):
        check_module(tmp_path, 'pungi', arts, write_manifest(tmp_path, builds))


def test_an_image_without_a_package_set_fails_in_one_sentence(builds, image_tools, tmp_path):
    tree = tmp_path / 't'
    (tree / 'LiveOS').mkdir(parents=True)
    (tree / 'LiveOS' / 'squashfs.img').write_bytes(b'placeholder')
    arts = [artifact(iso_of(tmp_path, tree, 'boot.iso'), 'live_iso')]
    with pytest.raises(FedoraBuildError, match=r"^image boot.iso \(/LiveOS/squashfs.img inside it\): unsquashfs "
                                               r"failed with exit code 1 \(FATAL ERROR: Can't find a valid SQUASHFS "):
        check_module(tmp_path, 'livemedia-creator', arts, None)
    assert leftovers(tmp_path) == []


def test_debugfs_is_given_quoted_paths_a_work_dir_with_a_space_works(builds, image_tools, tmp_path):
    arts = disk_image(tmp_path, [builds['pin'].signed[builds['key'].sigkey]], [])
    work = tmp_path / 'slot 0'
    (work / 'tree').mkdir(parents=True)
    record, dummy, failed = cc.check(run, 'rpmdb', arts, [], str(work / 'tree'), str(work))
    assert failed == [] and [p['nevra'] for p in record['image_packages']] == ['fbc-pin-1.0-1.fc41.noarch']


def test_every_backend_declares_its_content_source():
    declared = dict((b.name, b.contents) for b in backend_registry.BACKENDS)
    assert all(source in cc.SOURCES for source in declared.values()), declared
    assert dict((k, declared[k]) for k in ('lorax', 'pungi', 'livemedia-creator', 'kiwi')) == {
        'lorax': 'package-log', 'pungi': 'repodata', 'livemedia-creator': 'rpmdb', 'kiwi': 'kiwi'}
    assert backend_registry.get('kiwi').facts()['contents'] == 'kiwi'


def test_the_module_runs_through_ansible(builds, image_tools, tmp_path):
    arts = live_iso(tmp_path, [builds['pin'].signed[builds['key'].sigkey], builds['other'].path], [])
    (tmp_path / 'tree').mkdir()
    args = dict(backend='livemedia-creator', artifacts=arts, manifest=write_manifest(tmp_path, builds),
                dest=str(tmp_path / 'tree'), work_dir=str(tmp_path), build_id='live-41-x86_64-0123456789ab')
    checked = run_module('ondemand.fedora_build.content_check', args, check=True)
    checked.assert_ok()
    assert checked.result('module', 'localhost')['changed'] is False
    assert not (tmp_path / 'tree' / 'contents.json').exists()
    done = run_module('ondemand.fedora_build.content_check', args)
    done.assert_ok()
    result = done.result('module', 'localhost')
    assert result['changed'] is True and result['msg'] == '1 of 1 pinned builds verified in the image (rpmdb).'
    assert result['contents']['verified'] == 1 and result['sbom_packages'] == 2
    assert json.loads((tmp_path / 'tree' / 'contents.json').read_text())['pinned'][0]['status'] == 'installed'
    # a shadowed pin fails the task with the one sentence, and the result still carries the record
    newer = tmp_path / 'newer'
    newer.mkdir()
    shadowed = dict(args, artifacts=live_iso(newer, [builds['newer'].signed[builds['key2'].sigkey]], []))
    failed = run_module('ondemand.fedora_build.content_check', shadowed)
    res = failed.result('module', 'localhost')
    assert failed.status('module') == 'failed'
    assert res['msg'] == ('fbc-pin: the image holds fbc-pin-2.0-1.fc41.noarch instead of the pinned '
                          'fbc-pin-1.0-1.fc41.noarch (another version).')
    assert res['contents']['counts']['shadowed'] == 1


# --- the role's contents phase ----------------------------------------------------------------------------------

def role_phase_play(tmp, arts, manifest, absent='report'):
    """roles/build/tasks/contents.yml and record.yml as main.yml runs them, with the facts the earlier phases set."""
    pipe = tmp / 'slot-0'
    (pipe / 'tree').mkdir(parents=True)
    request = {'request_id': 'rq-0123456789ab', 'image_type': 'live', 'release': '41', 'arch': 'x86_64',
               'builder': {'backend': 'livemedia-creator'}}
    if absent != 'report':
        request['contents'] = {'absent': absent}
    facts = dict(build_backend={'name': 'livemedia-creator'}, build_result={'artifacts': arts},
                 build_side={'repo_path': str(os.path.dirname(manifest))}, build_pipe=str(pipe),
                 build_request=request, build_id='live-41-x86_64-0123456789ab', build_node='localhost',
                 build_status_dir=str(tmp / 'status'), build_times={}, build_tool='livemedia-creator',
                 build_record_state='succeeded')
    tasks = [
        {'name': 'facts', 'ansible.builtin.set_fact': facts},
        {'name': 'phase', 'block': [{'name': 'contents', 'ansible.builtin.include_role': {
            'name': 'ondemand.fedora_build.build', 'tasks_from': 'contents'}}],
         'rescue': [{'name': 'failed', 'ansible.builtin.set_fact': {'phase_failed': '{{ ansible_failed_result.msg }}'}}]},
        {'name': 'record', 'ansible.builtin.include_role': {'name': 'ondemand.fedora_build.build', 'tasks_from': 'record'}},
        {'name': 'show', 'ansible.builtin.debug': {'msg': {'record': '{{ build_record }}',
                                                           'failed': "{{ phase_failed | default('') }}"}}},
    ]
    run = run_playbook([{'name': 'contents phase', 'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}])
    run.assert_ok()
    status = json.loads((tmp / 'status' / 'rq-0123456789ab.json').read_text())
    return run.result('show')['msg'], status, pipe / 'tree'


def test_the_role_phase_records_the_summary_in_build_json_and_the_status_record(builds, image_tools, tmp_path):
    arts = live_iso(tmp_path, [builds['pin'].signed[builds['key'].sigkey], builds['other'].path], [])
    shown, status, tree = role_phase_play(tmp_path, arts, write_manifest(tmp_path, builds))
    assert shown['failed'] == ''
    assert shown['record']['contents']['summary'] == '1 of 1 pinned builds verified in the image'
    assert status['phase'] == 'contents' and status['contents'] == shown['record']['contents']
    assert (tree / 'contents.json').is_file() and (tree / 'sbom.spdx.json').is_file()


def test_the_role_phase_fails_a_shadowed_pin_and_still_records_what_it_found(builds, image_tools, tmp_path):
    arts = live_iso(tmp_path, [builds['newer'].signed[builds['key2'].sigkey]], [])
    shown, status, tree = role_phase_play(tmp_path, arts, write_manifest(tmp_path, builds))
    assert shown['failed'] == ('fbc-pin: the image holds fbc-pin-2.0-1.fc41.noarch instead of the pinned '
                               'fbc-pin-1.0-1.fc41.noarch (another version).')
    assert shown['record']['contents']['counts'] == {'installed': 0, 'shadowed': 1, 'absent': 0}
    assert status['contents']['summary'] == '0 of 1 pinned builds verified in the image'
    assert json.loads((tree / 'contents.json').read_text())['pinned'][0]['status'] == 'shadowed'


def test_the_role_phase_takes_absent_error_from_the_request(builds, image_tools, tmp_path):
    arts = live_iso(tmp_path, [builds['other'].path], [])
    shown, status, dummy = role_phase_play(tmp_path, arts, write_manifest(tmp_path, builds), absent='error')
    assert shown['failed'].startswith('fbc-pin: the pinned fbc-pin-1.0-1.fc41.noarch is not in the image')
    assert status['contents']['absent'] == 'error'


def test_zz_report_timings():
    """Seconds per check (reading the image, comparing, writing both files) on these small images."""
    for backend, values in sorted(TIMINGS.items()):
        mean = sum(values) / len(values)
        print('content check %s: %d runs, max %.2f s, mean %.2f s' % (backend, len(values), max(values), mean))
