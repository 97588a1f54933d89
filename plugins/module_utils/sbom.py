# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An SPDX 2.3 (JSON) software bill of materials of one image, from the package set read out of it.

The image is the described package (with its sha256); every RPM found inside it is a package with a
``pkg:rpm`` purl, contained in the image. The pinned side-repo builds carry the RPM file's sha256 and
the Koji build they came from. Pure: the caller gives the package list (``image_contents``) and writes
the document.
"""

from __future__ import annotations

import re
import time
import uuid

SPDX_VERSION = 'SPDX-2.3'
NAMESPACE_BASE = 'https://spdx.org/spdxdocs/ondemand.fedora_build'
NOASSERTION = 'NOASSERTION'
_ID_SAFE = re.compile(r'[^A-Za-z0-9.-]')
# an SPDX license expression: identifiers, WITH/AND/OR and parentheses (Fedora's License tags are SPDX
# since F40; older free-text tags are kept as a comment instead)
# SPDX 2.3's download location: a URL whose host is a DNS name (the spec's pattern, as spdx-tools checks it). A Koji
# reached by an IP address or a bare host name does not match: its URL goes to sourceInfo, the location stays
# NOASSERTION, so the document stays valid.
_DOWNLOAD_URL = re.compile(r"^(https?|ftp)://([\w\-.!~*'()%;:&=+$,]+@)?[a-z0-9]+([\-.][a-z0-9]+){0,100}\.[a-z]{2,5}"
                           r"(:[0-9]{1,5})?(/.*)?$", re.IGNORECASE)
_LICENSE_EXPR = re.compile(r'^[A-Za-z0-9.+-]+(?:\s+(?:AND|OR|WITH)\s+[A-Za-z0-9.+-]+|\s*[()]\s*)*$')


def spdx_id(*parts):
    """An SPDX element ID made of letters, digits, '.' and '-'."""
    return 'SPDXRef-' + '-'.join(_ID_SAFE.sub('-', str(p)) for p in parts)


def purl(pkg, distro='fedora'):
    """pkg:rpm/<distro>/<name>@<version>-<release>?arch=<arch>[&epoch=<epoch>] (the purl spec's rpm type)."""
    qualifiers = 'arch=%s' % pkg['arch']
    if pkg.get('epoch'):
        qualifiers += '&epoch=%s' % pkg['epoch']
    return 'pkg:rpm/%s/%s@%s-%s?%s' % (distro, pkg['name'], pkg['version'], pkg['release'], qualifiers)


def _license(text):
    text = (text or '').strip()
    if text and _LICENSE_EXPR.match(text) and text.count('(') == text.count(')'):
        return text
    return NOASSERTION


def document(image_name, image_sha256, packages, pinned=(), build_id=None, tool_version='', created=None):
    """The SPDX document (a dict ready for json.dumps).

    packages: the image's packages (``image_contents`` dicts: name, epoch, version, release, arch, license);
    pinned: the side repo manifest's packages (sha256 and Koji NVR are added to the matching package).
    """
    pinned_by_nevra = dict(((p['name'], p['arch'], int(p.get('epoch') or 0), p['version'], p['release']), p)
                           for p in pinned)
    image_id = spdx_id('Image', image_name)
    doc = {
        'spdxVersion': SPDX_VERSION,
        'dataLicense': 'CC0-1.0',
        'SPDXID': 'SPDXRef-DOCUMENT',
        'name': build_id or image_name,
        'documentNamespace': '%s/%s-%s' % (NAMESPACE_BASE, _ID_SAFE.sub('-', build_id or image_name), uuid.uuid4()),
        'creationInfo': {
            'created': created or time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
            'creators': ['Tool: ondemand.fedora_build%s' % ('-' + tool_version if tool_version else '')],
        },
        'documentDescribes': [image_id],
        'packages': [{
            'SPDXID': image_id,
            'name': image_name,
            'downloadLocation': NOASSERTION,
            'filesAnalyzed': False,
            'checksums': [{'algorithm': 'SHA256', 'checksumValue': image_sha256}],
            'primaryPackagePurpose': 'OPERATING-SYSTEM',
            'licenseConcluded': NOASSERTION,
            'licenseDeclared': NOASSERTION,
            'copyrightText': NOASSERTION,
        }],
        'relationships': [{'spdxElementId': 'SPDXRef-DOCUMENT', 'relationshipType': 'DESCRIBES',
                           'relatedSpdxElement': image_id}],
    }
    seen = set()
    for pkg in packages:
        element = spdx_id('RPM', pkg['name'], pkg['arch'], pkg['version'], pkg['release'])
        if element in seen:
            continue
        seen.add(element)
        version = '%s-%s' % (pkg['version'], pkg['release'])
        entry = {
            'SPDXID': element,
            'name': pkg['name'],
            'versionInfo': ('%s:%s' % (pkg['epoch'], version)) if pkg.get('epoch') else version,
            'downloadLocation': NOASSERTION,
            'filesAnalyzed': False,
            'licenseConcluded': NOASSERTION,
            'licenseDeclared': _license(pkg.get('license')),
            'copyrightText': NOASSERTION,
            'primaryPackagePurpose': 'LIBRARY' if pkg['name'].startswith('lib') else 'APPLICATION',
            'externalRefs': [{'referenceCategory': 'PACKAGE-MANAGER', 'referenceType': 'purl',
                              'referenceLocator': purl(pkg)}],
        }
        if entry['licenseDeclared'] == NOASSERTION and pkg.get('license'):
            entry['licenseComments'] = 'RPM License tag: %s' % pkg['license']
        pin = pinned_by_nevra.get((pkg['name'], pkg['arch'], int(pkg.get('epoch') or 0), pkg['version'], pkg['release']))
        if pin:
            if pin.get('sha256'):
                entry['checksums'] = [{'algorithm': 'SHA256', 'checksumValue': pin['sha256']}]
            if pin.get('url') and _DOWNLOAD_URL.match(pin['url']):
                entry['downloadLocation'] = pin['url']
            elif pin.get('url'):
                entry['sourceInfo'] = 'downloaded from %s' % pin['url']
            entry['comment'] = 'Pinned Koji build %s%s' % (pin.get('nvr') or '', (', signed with key %s' % pin['sigkey'])
                                                           if pin.get('sigkey') else ', unsigned')
        doc['packages'].append(entry)
        doc['relationships'].append({'spdxElementId': image_id, 'relationshipType': 'CONTAINS',
                                     'relatedSpdxElement': element})
    return doc
