# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whole-file verification of an RPM against itself and against what Koji recorded for it.

What ``rpmkeys --checksig --nosignature`` (rpm 4.18) checks, done in one pass over the file:

* the structure of both headers as rpm's ``hdrblobVerifyInfo``/``hdrblobVerifyRegion`` see it: every
  index entry has a known data type (the one rpm expects for the signature tags it verifies), an
  aligned offset inside the data store, and the region trailer
  (tag 62 in the signature header, 63 in the main header) points back at exactly the region's entries.
  A changed index entry or trailer is what rpm reports as "signature tag[N]: BAD" or "signature region
  trailer: BAD";
* the digests in the signature header: SHA256 (tag 273) and SHA1 (269) of the main header, MD5 (1004)
  of main header + payload, and the main header's payload SHA256 (``PAYLOADDIGEST``, 5092).

rpm does not cover every byte of the signature header at digest level: a changed signature packet or
reserved space passes ``rpm -K --nosignature``. Koji does: ``queryRPMSigs`` records ``sighash``, the
MD5 of the padded signature header of each signed copy (``koji.rip_rpm_sighdr``), so with it any
change in the signature header is refused, keys or not. ``getRPMChecksums`` adds the whole-file
checksum of a signed copy where the hub has one. Koji's ``payloadhash`` (the header's sigmd5) ties the
file to the RPM Koji recorded under that name; the header's own name, version, release and arch must
match the file name.

The koji library's ``RawHeader`` reads tag values but trusts the offsets it is given, so the parser
here is our own (stdlib only); tests compare its sighash with ``koji.rip_rpm_sighdr``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
import subprocess
import tempfile

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError

CHUNK = 256 * 1024
RPM_LEAD = 96
LEAD_MAGIC = b'\xed\xab\xee\xdb'
HEADER_MAGIC = b'\x8e\xad\xe8\x01'
REGION_SIGNATURES = 62
REGION_IMMUTABLE = 63
REGION_IMAGE = 61  # very old rpm wrote this trailer tag in signature headers; rpm still accepts it
BIN_TYPE = 7
SIGTAG_SHA1 = 269
SIGTAG_SHA256 = 273
SIGTAG_MD5 = 1004
TAG_NAME, TAG_VERSION, TAG_RELEASE, TAG_ARCH, TAG_SOURCERPM = 1000, 1001, 1002, 1022, 1044
TAG_PAYLOADDIGEST, TAG_PAYLOADDIGESTALGO = 5092, 5093
PGPHASHALGO_SHA256 = 8
_ALIGN = {3: 2, 4: 4, 5: 8}
# the data type rpm expects for the signature-header tags it verifies (rpmvs: a wrong type is "BAD")
SIG_TYPES = {267: 7, 268: 7, 269: 6, 270: 5, 271: 5, 273: 6, 1000: 4, 1002: 7, 1004: 7, 1005: 7, 1007: 4}


class VerifyError(Exception):
    """The bytes are not an intact RPM, or not the RPM Koji recorded."""


class Header(object):
    """One RPM header structure: its raw bytes, index and data store, checked like rpm checks them."""

    def __init__(self, raw, il, dl, region, what, types=None):
        self.raw = raw
        self.il = il
        self.dl = dl
        self.what = what
        self.index = {}
        store = 16 + il * 16
        self.store = raw[store:]
        for i in range(il):
            tag, typ, offset, count = struct.unpack('>IIII', raw[16 + i * 16:32 + i * 16])
            if not 1 <= typ <= 9 or offset >= dl or offset % _ALIGN.get(typ, 1) or typ != (types or {}).get(tag, typ):
                raise VerifyError('%s tag[%d] is damaged (tag %d type %d offset %d count %d)'
                                  % (what, i, tag, typ, offset, count))
            self.index.setdefault(tag, (typ, offset, count))
        if il and struct.unpack('>I', raw[16:20])[0] in (REGION_SIGNATURES, REGION_IMMUTABLE):
            self._check_region(region)

    def _check_region(self, region):
        tag, typ, offset, count = struct.unpack('>IIII', self.raw[16:32])
        if tag != region or typ != BIN_TYPE or count != 16 or offset + 16 > self.dl:
            raise VerifyError('%s region tag is damaged' % self.what)
        ttag, ttyp, toff, tcount = struct.unpack('>IIiI', self.store[offset:offset + 16])
        if region == REGION_SIGNATURES and ttag == REGION_IMAGE:
            ttag = REGION_SIGNATURES
        ril = -toff // 16 if toff < 0 else 0
        if ttag != region or ttyp != BIN_TYPE or tcount != 16 or toff >= 0 or toff % 16 or not 0 < ril <= self.il:
            raise VerifyError('%s region trailer is damaged' % self.what)

    def get(self, tag):
        """Value of a string, string-array (first element), binary or int32 tag; None when absent."""
        if tag not in self.index:
            return None
        typ, offset, count = self.index[tag]
        if typ in (6, 8, 9):
            end = self.store.find(b'\0', offset, self.dl)
            if end < 0:
                raise VerifyError('%s tag %d is not terminated' % (self.what, tag))
            return self.store[offset:end].decode('utf-8', 'replace')
        if typ == BIN_TYPE:
            return self.store[offset:offset + count] if offset + count <= self.dl else None
        if typ == 4:
            return struct.unpack('>I', self.store[offset:offset + 4])[0]
        return None


def _read_header(handle, region, what, budget, types=None):
    intro = handle.read(16)
    if len(intro) != 16 or intro[:4] != HEADER_MAGIC:
        raise VerifyError('the %s is missing (not an RPM file)' % what)
    il, dl = struct.unpack('>II', intro[8:16])
    if il > 100000 or dl > budget:
        raise VerifyError('the %s has an implausible size' % what)
    rest = handle.read(il * 16 + dl)
    if len(rest) != il * 16 + dl:
        raise VerifyError('the %s is truncated' % what)
    return Header(intro + rest, il, dl, region, what, types)


def rpm_digests(path):
    """Read an RPM once; return its headers' recorded digests and the digests of the bytes present.

    Keys: ``sigmd5`` (recorded, = Koji's payloadhash), ``computed_md5``, ``sha1header`` /
    ``sha256header`` (recorded), ``header_sha1`` / ``header_sha256`` (computed), ``payloaddigest``
    (recorded) / ``payload_sha256`` (computed), ``sighash`` (MD5 of the padded signature header, as
    Koji's ``queryRPMSigs``), ``file_sha256``, ``nvra`` (from the main header).
    """
    size = os.path.getsize(path)
    whole = hashlib.sha256()
    with open(path, 'rb') as handle:
        lead = handle.read(RPM_LEAD)
        if len(lead) != RPM_LEAD or lead[:4] != LEAD_MAGIC:
            raise VerifyError('not an RPM file (bad lead)')
        sig = _read_header(handle, REGION_SIGNATURES, 'signature header', size, SIG_TYPES)
        pad = handle.read((8 - sig.dl % 8) % 8)
        main = _read_header(handle, REGION_IMMUTABLE, 'main header', size)
        whole.update(lead + sig.raw + pad + main.raw)
        md5 = hashlib.md5(main.raw)  # nosec - rpm's own digest, compared, never trusted alone
        payload = hashlib.sha256()
        while True:
            block = handle.read(CHUNK)
            if not block:
                break
            md5.update(block)
            payload.update(block)
            whole.update(block)
    sigmd5 = sig.get(SIGTAG_MD5)
    arch = main.get(TAG_ARCH) if main.get(TAG_SOURCERPM) is not None else 'src'
    algo = main.get(TAG_PAYLOADDIGESTALGO)
    return {
        'sigmd5': sigmd5.hex() if isinstance(sigmd5, bytes) and len(sigmd5) == 16 else None,
        'computed_md5': md5.hexdigest(),
        'sha1header': sig.get(SIGTAG_SHA1),
        'header_sha1': hashlib.sha1(main.raw).hexdigest(),  # nosec - rpm's header SHA1, compared
        'sha256header': sig.get(SIGTAG_SHA256),
        'header_sha256': hashlib.sha256(main.raw).hexdigest(),
        'payloaddigest': main.get(TAG_PAYLOADDIGEST) if algo in (None, PGPHASHALGO_SHA256) else None,
        'payload_sha256': payload.hexdigest(),
        'sighash': hashlib.md5(sig.raw + pad).hexdigest(),  # nosec - Koji's sighash is an MD5
        'file_sha256': whole.hexdigest(),
        'nvra': '%s-%s-%s.%s' % (main.get(TAG_NAME), main.get(TAG_VERSION), main.get(TAG_RELEASE), arch),
    }


def verify_rpm(path, payloadhash=None, expected_size=None, sighash=None, file_sha256=None, nvra=None):
    """Raise VerifyError unless path is an intact RPM matching every record given; return its digests.

    ``payloadhash``: Koji's for the RPM (sigmd5, or ``sha256::<header sha256>``); ``expected_size``:
    Koji's size (unsigned copies and task output); ``sighash``: Koji's MD5 of the signature header of
    the signed copy; ``file_sha256``: ``getRPMChecksums``' sha256 of the signed copy; ``nvra``: the
    name the file was asked for.
    """
    size = os.path.getsize(path)
    if expected_size is not None and size != int(expected_size):
        raise VerifyError('size %d does not match the %d bytes Koji recorded' % (size, int(expected_size)))
    got = rpm_digests(path)
    checks = (
        ('header SHA256 digest', got['sha256header'], got['header_sha256']),
        ('header SHA1 digest', got['sha1header'], got['header_sha1']),
        ('payload SHA256 digest', got['payloaddigest'], got['payload_sha256']),
        ('header+payload MD5', got['sigmd5'], got['computed_md5']),
    )
    for label, recorded, computed in checks:
        if recorded is not None and recorded != computed:
            raise VerifyError('%s %s does not match the recorded %s (file damaged or tampered)' % (label, computed, recorded))
    if not (got['sha256header'] or got['sha1header'] or got['sigmd5']):
        raise VerifyError('the signature header holds no digest to check the file against')
    if nvra and got['nvra'] != nvra:
        raise VerifyError('the file holds %s, not %s' % (got['nvra'], nvra))
    if payloadhash:
        if '::' in payloadhash:
            label, value = payloadhash.split('::', 1)
            if label != 'sha256' or got['header_sha256'] != value:
                raise VerifyError('header digest does not match Koji payloadhash %s (not the RPM Koji recorded)' % payloadhash)
        elif got['sigmd5'] != payloadhash:
            raise VerifyError('header sigmd5 %s does not match Koji payloadhash %s (not the RPM Koji recorded)'
                              % (got['sigmd5'], payloadhash))
    if sighash and got['sighash'] != sighash:
        raise VerifyError('signature header MD5 %s does not match the sighash %s Koji recorded for this key '
                          '(signature header changed)' % (got['sighash'], sighash))
    if file_sha256 and got['file_sha256'] != file_sha256:
        raise VerifyError('file SHA256 %s does not match the checksum %s Koji recorded (getRPMChecksums)'
                          % (got['file_sha256'], file_sha256))
    return got


class GpgVerifier(object):
    """rpmkeys --checksig against a private rpmdb holding only the given keys."""

    def __init__(self, gpgkeys, rpmkeys='rpmkeys'):
        self.gpgkeys = list(gpgkeys)
        self.rpmkeys = rpmkeys
        self.dbpath = None
        if not self.gpgkeys:
            return
        for key in self.gpgkeys:
            if not os.path.isfile(key):
                raise FedoraBuildError('gpgkeys: key file %s does not exist on the node.' % key)
        self.dbpath = tempfile.mkdtemp(prefix='koji-side-rpmdb-')
        for key in self.gpgkeys:
            proc = self._run(['--import', key])
            if proc.returncode != 0:
                self.close()
                raise FedoraBuildError('gpgkeys: rpmkeys could not import %s: %s.' % (key, last_line(proc)))

    def _run(self, args):
        argv = [self.rpmkeys, '--dbpath', self.dbpath, '--define', '_pkgverify_level signature'] + args
        try:
            return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
        except OSError as exc:
            raise FedoraBuildError('gpgkeys: cannot run %s to check signatures: %s.' % (self.rpmkeys, exc.strerror))

    def check(self, path):
        if not self.dbpath:
            return
        proc = self._run(['--checksig', path])
        if proc.returncode != 0:
            raise VerifyError('signature check failed: %s' % last_line(proc))

    def close(self):
        if self.dbpath:
            shutil.rmtree(self.dbpath, ignore_errors=True)
            self.dbpath = None


def gpg_fingerprint(gpgkeys):
    """SHA256 over the key files' contents (None without keys): which keys a cache entry was checked with."""
    if not gpgkeys:
        return None
    digest = hashlib.sha256()
    for key in gpgkeys:
        try:
            with open(key, 'rb') as handle:
                digest.update(handle.read())
        except OSError:
            raise FedoraBuildError('gpgkeys: key file %s cannot be read on the node.' % key)
    return digest.hexdigest()


def last_line(proc):
    lines = [x.strip() for x in (proc.stdout or '').splitlines() if x.strip()]
    return lines[-1] if lines else 'exit code %d' % proc.returncode
