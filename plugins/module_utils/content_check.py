# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The content check of one build: read the package set out of the builder's artifact, check the pinned Koji
builds in it, and write ``contents.json`` and ``sbom.spdx.json`` (docs/pipeline.md, "Content verification").

Where the package set comes from is the backend's declaration (``Backend.contents``, docs/builders.md):

``package-log``  lorax: the installer runtime has no RPM database (lorax removes it); lorax writes
                 ``/root/lorax-packages.log`` into it instead. Read from ``images/install.img`` of the tree
                 (or inside ``images/boot.iso``), a squashfs read with ``unsquashfs -cat``; where the runtime
                 is an ext4 ``LiveOS/rootfs.img`` inside the squashfs (``rootfs_type: squashfs-ext4``),
                 that file is extracted (sparse) to the work dir and read with ``debugfs``.
``rpmdb``        livemedia-creator: the live root's RPM database. A live ISO's ``LiveOS/squashfs.img`` is read
                 straight from the ISO by its offset; only the database directory is extracted. Where the
                 squashfs holds an ext4 ``LiveOS/rootfs.img``, that one file is extracted (sparse: the used
                 blocks only; debugfs cannot read inside a squashfs) and the database copied out of it with
                 ``debugfs rdump``. A disk image's ext4 root filesystem is read in place with debugfs
                 (``image?offset=N`` for a partition).
``kiwi``         kiwi: its own ``<image>.packages`` list (the ``image_packages`` entry of kiwi.result.json).
``repodata``     pungi, pungi-koji: the install tree's repodata, each pinned package's file in ``Packages/``
                 hashed (sha256) and compared with the repodata and the pin.

Nothing is mounted. Commands run through ``run(argv) -> (rc, stdout, stderr)``.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import tempfile

from ansible_collections.ondemand.fedora_build.plugins.module_utils import image_contents as ic
from ansible_collections.ondemand.fedora_build.plugins.module_utils import sbom
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils.fileutil import (
    remove_quietly, sha256_file, temp_path_for)

SOURCES = ('package-log', 'rpmdb', 'kiwi', 'repodata')
ABSENT_POLICIES = ('report', 'error')
CONTENTS_JSON = 'contents.json'
SBOM_JSON = 'sbom.spdx.json'
PACKAGE_LOG = 'root/lorax-packages.log'
ROOTFS_IN_SQUASHFS = 'LiveOS/rootfs.img'
# The artifact each source describes (the SBOM's image), best first.
IMAGE_KINDS = {
    'package-log': ('boot_iso', 'install_img'),
    'rpmdb': ('live_iso', 'disk_image'),
    'kiwi': (),  # the first *_image entry of kiwi.result.json
    'repodata': ('dvd_iso', 'boot_iso', 'netinst_iso', 'treeinfo'),
}


def load_manifest(path):
    """The pinned packages of the side repo's ``koji-manifest.json`` ([] without a side repo)."""
    if not path:
        return []
    try:
        with open(path, 'r') as handle:
            data = json.load(handle)
    except (IOError, OSError, ValueError) as exc:
        raise FedoraBuildError('manifest: cannot read %s (%s).' % (path, exc))
    packages = data.get('packages') if isinstance(data, dict) else None
    if not isinstance(packages, list):
        raise FedoraBuildError('manifest: %s has no packages list (not a koji-manifest.json).' % path)
    return [p for p in packages if isinstance(p, dict) and p.get('arch') != 'src']


def _by_kind(artifacts, kinds):
    for kind in kinds:
        for art in artifacts:
            if art.get('kind') == kind and art.get('path'):
                return art
    return None


def image_artifact(source, artifacts):
    """The artifact the check describes (the SBOM's image)."""
    if source == 'kiwi':
        images = [a for a in artifacts if str(a.get('kind', '')).endswith('_image') and a.get('kind') != 'image_packages']
        return images[0] if images else None
    return _by_kind(artifacts, IMAGE_KINDS[source])


# --- reading one source ---------------------------------------------------------------------------------------

def _debugfs(run, image, request, what):
    """Run one debugfs request read-only on ``image`` (``path?offset=N`` for a partition)."""
    rc, out, err = run(['debugfs', '-R', request, image])
    if rc != 0:
        lines = (err or '').strip().splitlines()
        raise FedoraBuildError('%s: debugfs failed with exit code %s%s.' % (what, rc, (' (%s)' % lines[-1][:300]) if lines else ''))
    return out, err or ''


def ext4_rpmdb(run, image, dest, offset=0):
    """Copy the RPM database directory out of the ext4 filesystem ``image`` (at ``offset``) into ``dest``."""
    spec = '%s?offset=%d' % (image, offset) if offset else image
    for rel in ic.RPMDB_DIRS:
        parent = os.path.join(dest, os.path.dirname(rel))
        if not os.path.isdir(parent):
            os.makedirs(parent)
        if '"' in parent:
            raise FedoraBuildError('work_dir: %s holds a double quote, which debugfs cannot be given.' % parent)
        dummy, err = _debugfs(run, spec, 'rdump "/%s" "%s"' % (rel, parent), 'image %s' % os.path.basename(image))
        found = ic.find_rpmdb(dest)
        if found:
            return found
        if 'Filesystem not open' in err or 'Bad magic number' in err:
            raise FedoraBuildError('image %s: no ext4 filesystem at offset %d (debugfs cannot open it).'
                                   % (os.path.basename(image), offset))
    return None


def ext4_cat(run, image, path, offset=0):
    """One file of the ext4 filesystem ``image``, or None when it has no such file."""
    spec = '%s?offset=%d' % (image, offset) if offset else image
    out, err = _debugfs(run, spec, 'cat "/%s"' % path, 'image %s' % os.path.basename(image))
    if 'Filesystem not open' in err:
        raise FedoraBuildError('image %s: no ext4 filesystem at offset %d (debugfs cannot open it).'
                               % (os.path.basename(image), offset))
    if 'File not found' in err or 'not found by ext2_lookup' in err:
        return None
    return out


def partitions(image):
    """Byte offsets of the partitions of a disk image (its GPT, else its MBR), [0] for a bare filesystem.

    Read with the standard library: a disk image is not attached to a loop device for this.
    """
    with open(image, 'rb') as handle:
        mbr = handle.read(512)
        if len(mbr) < 512 or mbr[510:512] != b'\x55\xaa':
            return [0]
        entries = [struct.unpack('<B3sB3sII', mbr[446 + 16 * i:462 + 16 * i]) for i in range(4)]
        if any(e[2] == 0xee for e in entries):  # protective MBR: the GPT header is at LBA 1
            header = handle.read(512)
            if header[:8] != b'EFI PART':
                return [0]
            first, count, size = struct.unpack('<QII', header[72:88])
            handle.seek(first * 512)
            table = handle.read(min(count, 256) * size)
            offsets = []
            for index in range(min(count, 256)):
                entry = table[index * size:(index + 1) * size]
                if len(entry) >= 48 and entry[:16] != b'\0' * 16:
                    offsets.append(struct.unpack('<Q', entry[32:40])[0] * 512)
            return offsets or [0]
        offsets = [e[4] * 512 for e in entries if e[2] not in (0, 0x05, 0x0f, 0x85) and e[4]]
        return offsets or [0]


def _extract_rootfs(run, image, offset, work):
    """Extract ``LiveOS/rootfs.img`` of the squashfs ``image`` (at ``offset``) into ``work`` (sparse)."""
    dest = os.path.join(work, 'rootfs')
    argv = ['unsquashfs', '-no-progress', '-no-xattrs', '-d', dest] + (['-o', str(offset)] if offset else [])
    ic.run_checked(run, argv + [image, ROOTFS_IN_SQUASHFS], 'image %s' % os.path.basename(image))
    return os.path.join(dest, ROOTFS_IN_SQUASHFS)


def _squashfs_in(run, art, inner):
    """(file, offset) of a squashfs: the artifact itself when it is one, else ``inner`` inside the ISO artifact."""
    path = art['path']
    offset = 0
    if art.get('kind') not in ('install_img',):
        extent = ic.iso_extent(run, path, inner)
        if extent is None:
            raise FedoraBuildError('image %s: the ISO holds no %s.' % (os.path.basename(path), inner))
        offset = extent[0]
    # a file that is no squashfs (or an erofs runtime) is said so here, not taken for an empty image
    ic.run_checked(run, ['unsquashfs', '-s'] + (['-o', str(offset)] if offset else []) + [path],
                   'image %s%s' % (os.path.basename(path), (' (%s inside it)' % inner) if offset else ''))
    return path, offset


def read_package_log(run, artifacts, work):
    """lorax: the installer runtime's package log."""
    art = _by_kind(artifacts, ('install_img', 'boot_iso'))
    if art is None:
        raise FedoraBuildError('artifacts: lorax left neither images/install.img nor images/boot.iso to read.')
    image, offset = _squashfs_in(run, art, '/images/install.img')
    text = ic.squashfs_cat(run, image, PACKAGE_LOG, offset=offset)
    if text is None and ic.squashfs_has(run, image, ROOTFS_IN_SQUASHFS, offset=offset):
        text = ext4_cat(run, _extract_rootfs(run, image, offset, work), PACKAGE_LOG)
    if text is None:
        raise FedoraBuildError('image %s: the installer runtime holds no /%s (lorax writes it).'
                               % (os.path.basename(image), PACKAGE_LOG))
    return ic.package_log_packages(text)


def read_rpmdb(run, artifacts, work):
    """livemedia-creator: the RPM database of the live root or of the disk image's root filesystem."""
    art = _by_kind(artifacts, ('live_iso', 'disk_image'))
    if art is None:
        raise FedoraBuildError('artifacts: livemedia-creator left no live ISO or disk image to read.')
    name = os.path.basename(art['path'])
    dbdir = os.path.join(work, 'db')
    if art['kind'] == 'disk_image':
        for offset in partitions(art['path']):
            try:
                found = ext4_rpmdb(run, art['path'], dbdir, offset)
            except FedoraBuildError:
                continue
            if found:
                return ic.rpmdb_packages(run, found)
        raise FedoraBuildError('image %s: no ext4 root filesystem with an RPM database was found (debugfs reads ext4 '
                               'only).' % name)
    image, offset = _squashfs_in(run, art, '/LiveOS/squashfs.img')
    if ic.squashfs_has(run, image, ROOTFS_IN_SQUASHFS, offset=offset):
        found = ext4_rpmdb(run, _extract_rootfs(run, image, offset, work), dbdir)
    else:
        found = ic.extract_rpmdb(run, image, dbdir, offset=offset)
    if not found:
        raise FedoraBuildError('image %s: the live root holds no RPM database (/usr/lib/sysimage/rpm or /var/lib/rpm).'
                               % name)
    return ic.rpmdb_packages(run, found)


def read_kiwi(run, artifacts, work):  # pylint: disable=unused-argument
    """kiwi: its ``<image>.packages`` list."""
    art = _by_kind(artifacts, ('image_packages',))
    if art is None:
        lists = [a for a in artifacts if str(a.get('name', '')).endswith('.packages') and a.get('path')]
        art = lists[0] if lists else None
    if art is None:
        raise FedoraBuildError('artifacts: kiwi left no <image>.packages list (image_packages in kiwi.result.json).')
    return ic.kiwi_packages(art['path'])


def install_tree(artifacts):
    """The install tree (the directory holding repodata/ and Packages/) of a pungi result."""
    art = _by_kind(artifacts, ('treeinfo',))
    if art is not None:
        return os.path.dirname(art['path'])
    art = _by_kind(artifacts, ('dvd_iso', 'boot_iso'))
    if art is not None:  # <version>/<flavor>/<arch>/iso/x.iso -> <version>/<flavor>/<arch>/os
        tree = os.path.join(os.path.dirname(os.path.dirname(art['path'])), 'os')
        if os.path.isfile(os.path.join(tree, 'repodata', 'repomd.xml')):
            return tree
    return None


def read_repodata(run, artifacts, work, pinned=()):  # pylint: disable=unused-argument
    """pungi: the install tree's repodata; each pinned name's file in Packages/ hashed."""
    tree = install_tree(artifacts)
    if tree is None:
        raise FedoraBuildError('artifacts: pungi left no install tree (os/ with repodata/) to read.')
    packages = ic.repodata_packages(tree, run)
    names = set(p['name'] for p in pinned)
    real = os.path.realpath(tree) + os.sep
    for pkg in packages:
        if pkg['name'] not in names:
            continue
        path = os.path.realpath(os.path.join(tree, pkg['location']))
        if not path.startswith(real) or not os.path.isfile(path):
            raise FedoraBuildError('tree %s: the repodata lists %s, which is not in the tree.' % (tree, pkg['location']))
        actual = sha256_file(path)
        if pkg.get('sha256') and actual != pkg['sha256']:
            raise FedoraBuildError('tree %s: %s does not match its repodata (sha256 %s, the repodata says %s).'
                                   % (tree, pkg['location'], actual, pkg['sha256']))
        pkg['sha256'] = actual
    return packages


READERS = {'package-log': read_package_log, 'rpmdb': read_rpmdb, 'kiwi': read_kiwi, 'repodata': read_repodata}


def read_packages(run, source, artifacts, work, pinned=()):
    """The image's package set from ``source`` (one of SOURCES)."""
    if source not in READERS:
        raise FedoraBuildError('backend: content source %r is not one of %s.' % (source, ', '.join(SOURCES)))
    if source == 'repodata':
        return read_repodata(run, artifacts, work, pinned)
    return READERS[source](run, artifacts, work)


# --- writing --------------------------------------------------------------------------------------------------

def write_json_verified(path, data):
    """Write ``data`` as JSON to a temporary name beside ``path``, read it back, compare, rename."""
    text = json.dumps(data, indent=2, sort_keys=True) + '\n'
    tmp = temp_path_for(path)
    try:
        with open(tmp, 'w') as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        with open(tmp, 'r') as handle:
            if json.load(handle) != json.loads(text):
                raise FedoraBuildError('dest: %s did not read back as written.' % tmp)
        os.chmod(tmp, 0o644)
        os.rename(tmp, path)
    except BaseException:
        remove_quietly(tmp)
        raise


def summary(record):
    """What the build record, the status record and emails keep of contents.json."""
    return dict(verified=record['verified'], total=record['total'], counts=dict(record['counts']),
                source=record['source'], packages=record['packages'], summary=record['summary'],
                absent=record.get('absent_policy', 'report'))


def check(run, source, artifacts, pinned, dest, work_root, absent='report', build_id=None, tool_version='',
          check_mode=False):
    """Read, compare, write. Returns (record, sbom document, failure sentences)."""
    if absent not in ABSENT_POLICIES:
        raise FedoraBuildError('absent: %r is not one of %s.' % (absent, ', '.join(ABSENT_POLICIES)))
    image = image_artifact(source, artifacts)
    if image is None:
        raise FedoraBuildError('artifacts: none of them is an image the %s source describes.' % source)
    if not os.path.isdir(work_root):
        raise FedoraBuildError('work_dir: %s is not a directory.' % work_root)
    work = tempfile.mkdtemp(prefix='contents-', dir=work_root)
    try:
        found = read_packages(run, source, artifacts, work, pinned)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    record = ic.compare(pinned, found, source)
    image_sha = image.get('sha256') or sha256_file(image['path'])  # the builder hashed it already
    record.update(image=dict(name=image.get('name') or os.path.basename(image['path']), kind=image.get('kind'),
                             sha256=image_sha),
                  absent_policy=absent, build_id=build_id)
    record['image_packages'] = [dict(nevra=p['nevra'], sigkey=p.get('sigkey') or None) for p in found]
    doc = sbom.document(record['image']['name'], image_sha, found, pinned, build_id=build_id,
                        tool_version=tool_version)
    sentences = ic.failures(record, absent_is_error=(absent == 'error'))
    if not check_mode:
        if not os.path.isdir(dest):
            raise FedoraBuildError('dest: %s is not a directory.' % dest)
        write_json_verified(os.path.join(dest, CONTENTS_JSON), record)
        write_json_verified(os.path.join(dest, SBOM_JSON), doc)
    return record, doc, sentences


# --- the module -------------------------------------------------------------------------------------------------

ARGUMENT_SPEC = dict(
    backend=dict(type='str', required=True),
    artifacts=dict(type='list', elements='dict', required=True),
    manifest=dict(type='path'),
    dest=dict(type='path', required=True),
    work_dir=dict(type='path', required=True),
    absent=dict(type='str', default='report', choices=list(ABSENT_POLICIES)),
    build_id=dict(type='str'),
    tool_version=dict(type='str', default=''),
)


def run_module(module, run, backend_get):
    """The module's work: ``run`` runs a command, ``backend_get`` is ``backend_registry.get``.

    Returns the module result; raises FedoraBuildError (with the record in its result) for a shadowed pinned build
    (and an absent one under ``absent: error``).
    """
    params = module.params
    backend = backend_get(params['backend'], field='backend')
    if backend.contents not in SOURCES:
        raise FedoraBuildError('backend: %s declares no content source (Backend.contents, one of %s).'
                               % (backend.name, ', '.join(SOURCES)))
    for index, art in enumerate(params['artifacts']):
        if art.get('path') is not None and not os.path.isabs(str(art['path'])):
            raise FedoraBuildError('artifacts[%d].path: %r is not an absolute path on the node.' % (index, art['path']))
    pinned = load_manifest(params['manifest'])
    if module.check_mode and not params['artifacts']:  # the builder ran in check mode: there is no image yet
        return dict(changed=True, source=backend.contents, contents=None, pinned=[],
                    msg='check mode: would read the image (%s) and check %d pinned packages.'
                        % (backend.contents, len(pinned)))
    record, doc, sentences = check(run, backend.contents, params['artifacts'], pinned, params['dest'],
                                   params['work_dir'], absent=params['absent'], build_id=params['build_id'],
                                   tool_version=params['tool_version'], check_mode=module.check_mode)
    result = dict(changed=not module.check_mode, source=backend.contents, contents=summary(record),
                  pinned=record['pinned'], path=os.path.join(params['dest'], CONTENTS_JSON),
                  sbom=os.path.join(params['dest'], SBOM_JSON), sbom_packages=len(doc['packages']) - 1)
    if sentences:
        raise FedoraBuildError(' '.join(sentences), **result)
    result['msg'] = '%s (%s).' % (record['summary'], backend.contents)
    return result
