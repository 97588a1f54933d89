# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What is inside an image: the package set read from the artifact itself, and the pinned builds checked in it.

The image is read in place, never copied whole:

- an ISO 9660 file's extent (start and size) comes from ``xorriso -find ... -exec report_lba``; ISO files
  are contiguous, so a squashfs inside an ISO is read by ``unsquashfs -o <offset>`` straight from the ISO;
- only the RPM database is extracted from a squashfs (``unsquashfs ... usr/lib/sysimage/rpm var/lib/rpm``),
  a few MiB, and read with the node's ``rpm --dbpath``;
- an install tree's package set is its repodata (``repodata/repomd.xml`` -> primary), with each file's
  sha256;
- kiwi writes the image's package list itself (``<image>.packages``: ``name|epoch|version|release|arch|...``).

``compare()`` then decides, for every pinned package of the side repo's ``koji-manifest.json``, whether
the image holds exactly it (``installed``), another build of it (``shadowed``: what was found instead is
named) or none (``absent``). Commands run through a ``run(argv) -> (rc, stdout, stderr)`` callable, so
the module passes ``module.run_command`` and tests pass a real subprocess runner.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import re
import xml.etree.ElementTree as ET

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError

ISO_BLOCK = 2048
# Where Fedora keeps the RPM database: /usr/lib/sysimage/rpm since F36 (/var/lib/rpm links there), before that
# /var/lib/rpm.
RPMDB_DIRS = ('usr/lib/sysimage/rpm', 'var/lib/rpm')
RPMDB_FILES = ('rpmdb.sqlite', 'Packages', 'Packages.db')
FIELDS = ('name', 'epoch', 'version', 'release', 'arch', 'sigmd5', 'sigkey', 'license')
QUERY_FORMAT = '\\t'.join(('%{NAME}', '%{EPOCHNUM}', '%{VERSION}', '%{RELEASE}', '%{ARCH}', '%{SIGMD5}',
                           '%{RSAHEADER:pgpsig}|%{SIGPGP:pgpsig}|%{DSAHEADER:pgpsig}|%{SIGGPG:pgpsig}',
                           '%{LICENSE}')) + '\\n'
KEY_ID_RE = re.compile(r'Key ID ([0-9a-fA-F]{8,16})')
REPO_NS = {'repo': 'http://linux.duke.edu/metadata/repo', 'common': 'http://linux.duke.edu/metadata/common'}
STATUSES = ('installed', 'shadowed', 'absent')


def nevra(pkg):
    """name-[epoch:]version-release.arch, epoch shown only when it is not 0."""
    epoch = str(pkg.get('epoch') or 0)
    evr = '%s-%s' % (pkg['version'], pkg['release'])
    if epoch != '0':
        evr = '%s:%s' % (epoch, evr)
    return '%s-%s.%s' % (pkg['name'], evr, pkg['arch'])


def short_key(text):
    """The 8-hex key ID Koji names a signature by, from rpm's pgpsig text or a key ID; '' when unsigned."""
    if not text:
        return ''
    match = KEY_ID_RE.search(text)
    key = match.group(1) if match else (text if re.match(r'^[0-9a-fA-F]{8,16}$', text) else '')
    return key[-8:].lower()


def _check(run, argv, what):
    rc, out, err = run(argv)
    if rc != 0:
        lines = (err or out or '').strip().splitlines()
        last = (' (%s)' % lines[-1][:300]) if lines else ''
        raise FedoraBuildError('%s: %s failed with exit code %s%s.' % (what, argv[0], rc, last))
    return out


run_checked = _check  # for content_check.py


# --- ISO 9660 ---------------------------------------------------------------------------------------------

def iso_extent(run, iso, path):
    """(offset, size) in bytes of ``path`` inside ``iso``, or None when the ISO has no such file."""
    rc, out, err = run(['xorriso', '-indev', iso, '-find', path, '-exec', 'report_lba', '--'])
    if rc != 0:
        if "Cannot find path '%s'" % path in (err or ''):
            return None
        lines = (err or out or '').strip().splitlines()
        raise FedoraBuildError('image %s: xorriso failed with exit code %s%s.' % (
            os.path.basename(iso), rc, (' (%s)' % lines[-1][:300]) if lines else ''))
    for line in out.splitlines():
        # File data lba:  0 ,      35 ,      16 ,      32768 , '/LiveOS/squashfs.img'
        if line.startswith('File data lba:'):
            parts = [p.strip() for p in line.split(':', 1)[1].split(',', 4)]
            if len(parts) >= 5 and parts[4].strip("'") == path:
                return int(parts[1]) * ISO_BLOCK, int(parts[3])
    return None


# --- squashfs and the RPM database -------------------------------------------------------------------------

def find_rpmdb(root):
    """The RPM database directory under an extracted ``root``, or None."""
    for rel in RPMDB_DIRS:
        path = os.path.join(root, rel)
        if os.path.isdir(path) and not os.path.islink(path) and any(
                os.path.isfile(os.path.join(path, name)) for name in RPMDB_FILES):
            return path
    return None


def extract_rpmdb(run, image, dest, offset=0):
    """Extract only the RPM database of the squashfs ``image`` (at ``offset`` inside its file) into ``dest``."""
    argv = ['unsquashfs', '-no-progress', '-no-xattrs', '-d', dest]
    if offset:
        argv += ['-o', str(offset)]
    _check(run, argv + [image] + list(RPMDB_DIRS), 'image %s' % os.path.basename(image))
    return find_rpmdb(dest)


def squashfs_cat(run, image, path, offset=0):
    """The content of one file of the squashfs ``image`` (``unsquashfs -cat``), or None when it has no such file."""
    argv = ['unsquashfs', '-cat'] + (['-o', str(offset)] if offset else []) + [image, path]
    rc, out, dummy = run(argv)
    return out if rc == 0 else None


def squashfs_has(run, image, path, offset=0):
    """Whether the squashfs ``image`` holds ``path`` (a file name relative to its root)."""
    argv = ['unsquashfs', '-lc', '-no-progress'] + (['-o', str(offset)] if offset else []) + [image, path]
    rc, out, dummy = run(argv)
    return rc == 0 and any(line.strip().endswith('/' + path) for line in out.splitlines())


def parse_rpm_query(text):
    """Packages from ``rpm -qa --qf QUERY_FORMAT`` output."""
    packages = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = line.split('\t')
        if len(parts) != len(FIELDS):
            raise FedoraBuildError('rpm printed a line the query format does not explain: %r.' % line[:200])
        pkg = dict(zip(FIELDS, parts))
        pkg['epoch'] = int(pkg['epoch'] or 0)
        pkg['sigmd5'] = '' if pkg['sigmd5'] == '(none)' else pkg['sigmd5'].lower()
        pkg['sigkey'] = next((short_key(s) for s in pkg['sigkey'].split('|') if short_key(s)), '')
        if pkg['name'] == 'gpg-pubkey':  # imported keys, not packages
            continue
        pkg['nevra'] = nevra(pkg)
        packages.append(pkg)
    return sorted(packages, key=lambda p: p['nevra'])


def rpmdb_packages(run, dbpath):
    """Every package of the RPM database in ``dbpath`` (read with the node's rpm)."""
    out = _check(run, ['rpm', '--dbpath', os.path.abspath(dbpath), '-qa', '--qf', QUERY_FORMAT], 'rpmdb %s' % dbpath)
    return parse_rpm_query(out)


def package_log_packages(text):
    """lorax's ``/root/lorax-packages.log`` in the installer runtime (lorax removes the runtime's RPM database):
    one ``name-version-release.arch`` per line, no epoch, no digests."""
    packages = []
    for line in (text or '').splitlines():
        match = re.match(r'^(.+)-([^-]+)-([^-]+)\.([^.]+)$', line.strip())
        if not match:
            continue
        pkg = dict(name=match.group(1), epoch=0, version=match.group(2), release=match.group(3), arch=match.group(4),
                   sigmd5='', sigkey='', license='')
        pkg['nevra'] = nevra(pkg)
        packages.append(pkg)
    return sorted(packages, key=lambda p: p['nevra'])


# --- install trees (repodata) and kiwi's package list ---------------------------------------------------------

def _read_metadata(run, path):
    """The XML of a repodata file, whatever createrepo_c compressed it with (zstd by default since 1.0)."""
    if path.endswith('.zst'):
        return io.BytesIO(_check_bytes(run, ['zstd', '-q', '-d', '-c', path], 'repodata %s' % os.path.basename(path)))
    opener = {'.gz': gzip.open, '.xz': lzma.open, '.bz2': bz2.open}.get(os.path.splitext(path)[1], open)
    with opener(path, 'rb') as handle:
        return io.BytesIO(handle.read())


def _check_bytes(run, argv, what):
    out = _check(run, argv, what)
    return out if isinstance(out, bytes) else out.encode('utf-8')


def repodata_packages(tree, run=None):
    """Every package an install tree's repodata lists, with the file's sha256 where the repodata has it.

    run: the command runner, needed only for zstd-compressed metadata.
    """
    repomd = os.path.join(tree, 'repodata', 'repomd.xml')
    try:
        root = ET.parse(repomd).getroot()
    except (IOError, OSError, ET.ParseError) as exc:
        raise FedoraBuildError('tree %s: cannot read repodata/repomd.xml (%s).' % (tree, exc))
    href = None
    for data in root.findall('repo:data', REPO_NS):
        if data.get('type') == 'primary':
            href = data.find('repo:location', REPO_NS).get('href')
    if not href:
        raise FedoraBuildError('tree %s: repodata/repomd.xml names no primary metadata.' % tree)
    path = os.path.normpath(os.path.join(tree, href))
    if not path.startswith(os.path.normpath(tree) + os.sep):
        raise FedoraBuildError('tree %s: repomd.xml points outside the tree (%s).' % (tree, href))
    try:
        primary = ET.parse(_read_metadata(run, path)).getroot()
    except (IOError, OSError, ET.ParseError) as exc:
        raise FedoraBuildError('tree %s: cannot read %s (%s).' % (tree, href, exc))
    packages = []
    for item in primary.findall('common:package', REPO_NS):
        if item.get('type') != 'rpm':
            continue
        version = item.find('common:version', REPO_NS)
        checksum = item.find('common:checksum', REPO_NS)
        pkg = dict(name=item.findtext('common:name', namespaces=REPO_NS), arch=item.findtext('common:arch', namespaces=REPO_NS),
                   epoch=int(version.get('epoch') or 0), version=version.get('ver'), release=version.get('rel'),
                   sha256=checksum.text if checksum is not None and checksum.get('type') == 'sha256' else None,
                   location=item.find('common:location', REPO_NS).get('href'), sigmd5='', sigkey='',
                   license=item.findtext('common:format/{http://linux.duke.edu/metadata/rpm}license',
                                         namespaces=REPO_NS) or '')
        if pkg['arch'] == 'src':
            continue
        pkg['nevra'] = nevra(pkg)
        packages.append(pkg)
    return sorted(packages, key=lambda p: p['nevra'])


def kiwi_packages(path):
    """kiwi's ``<image>.packages`` list: ``name|epoch|version|release|arch|disturl|license`` per line."""
    packages = []
    with open(path, 'r') as handle:
        for line in handle:
            parts = line.rstrip('\n').split('|')
            if len(parts) < 5 or not parts[0] or parts[0] == 'gpg-pubkey':
                continue
            pkg = dict(name=parts[0], epoch=int(parts[1]) if parts[1] not in ('', '(none)') else 0,
                       version=parts[2], release=parts[3], arch=parts[4], sigmd5='', sigkey='',
                       license=parts[6] if len(parts) > 6 else '')
            pkg['nevra'] = nevra(pkg)
            packages.append(pkg)
    return sorted(packages, key=lambda p: p['nevra'])


# --- the check ---------------------------------------------------------------------------------------------

def _same_build(pinned, found, source):
    """Whether ``found`` is exactly the pinned package: NEVRA, and where the source has them, the header's
    sigmd5 (Koji's payloadhash), the signing key and the file's sha256."""
    epoch = int(pinned.get('epoch') or 0) if source != 'package-log' else 0  # lorax's log has no epochs
    if (found['epoch'], found['version'], found['release'], found['arch']) != (
            epoch, pinned['version'], pinned['release'], pinned['arch']):
        return False, 'another version'
    if found.get('sigmd5') and pinned.get('payloadhash') and found['sigmd5'] != pinned['payloadhash'].lower():
        return False, 'the same NEVRA with other content (header sigmd5 %s, pinned %s)' % (
            found['sigmd5'], pinned['payloadhash'].lower())
    if source == 'rpmdb' and short_key(pinned.get('sigkey')) != found.get('sigkey', ''):
        return False, 'signed with key %s, pinned %s' % (found.get('sigkey') or 'none',
                                                         short_key(pinned.get('sigkey')) or 'none (unsigned)')
    if found.get('sha256') and pinned.get('sha256') and found['sha256'] != pinned['sha256']:
        return False, 'the same NEVRA with another file (sha256 %s, pinned %s)' % (found['sha256'], pinned['sha256'])
    return True, None


def compare(pinned, found, source):
    """Check every pinned package (koji-manifest.json ``packages``) against the image's package set.

    source: where ``found`` came from (rpmdb, repodata, kiwi, package-log): what can be checked beyond the NEVRA
    depends on it. Returns the ``contents.json`` record (docs/pipeline.md).
    """
    by_name = {}
    for pkg in found:
        by_name.setdefault(pkg['name'], []).append(pkg)
    results = []
    for pin in sorted(pinned, key=lambda p: (p['name'], p['arch'])):
        candidates = [p for p in by_name.get(pin['name'], []) if p['arch'] in (pin['arch'], 'noarch')
                      or pin['arch'] == 'noarch']
        entry = dict(nevra=pin.get('nevra') or nevra(pin), name=pin['name'], arch=pin['arch'],
                     sigkey=short_key(pin.get('sigkey')), found=[p['nevra'] for p in candidates])
        if not candidates:
            entry.update(status='absent')
        else:
            checks = [(p, _same_build(pin, p, source)) for p in candidates]
            exact = [p for p, (ok, dummy) in checks if ok]
            if exact:
                entry.update(status='installed', found=[p['nevra'] for p in exact])
            else:
                entry.update(status='shadowed', reason=checks[0][1][1],
                             instead=[dict(nevra=p['nevra'], sigkey=p.get('sigkey') or None) for p in candidates])
        results.append(entry)
    counts = dict((s, sum(1 for r in results if r['status'] == s)) for s in STATUSES)
    return dict(format=1, source=source, pinned=results, counts=counts, verified=counts['installed'],
                total=len(results), packages=len(found),
                summary='%d of %d pinned builds verified in the image' % (counts['installed'], len(results)))


def failures(record, absent_is_error=False):
    """The sentences that fail the build: every shadowed pinned package (and absent ones when asked)."""
    sentences = []
    for entry in record['pinned']:
        if entry['status'] == 'shadowed':
            sentences.append('%s: the image holds %s instead of the pinned %s (%s).' % (
                entry['name'], ', '.join(i['nevra'] for i in entry['instead']), entry['nevra'], entry['reason']))
        elif entry['status'] == 'absent' and absent_is_error:
            sentences.append('%s: the pinned %s is not in the image (the kickstart does not install it).' % (
                entry['name'], entry['nevra']))
    return sentences
