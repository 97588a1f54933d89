# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The image SBOM (module_utils/sbom.py) is valid SPDX 2.3, checked with the SPDX project's own library."""

from __future__ import annotations

import json

from ansible_collections.ondemand.fedora_build.plugins.module_utils import sbom


PACKAGES = [
    dict(name='bash', epoch=0, version='5.2.32', release='1.fc41', arch='x86_64', license='GPL-3.0-or-later'),
    dict(name='fbc-pin', epoch=1, version='1.0', release='1.fc41', arch='noarch', license='MIT'),
    dict(name='libfoo', epoch=0, version='2', release='3.fc41', arch='x86_64', license='GPLv2+ and BSD'),
]
PINNED = [dict(name='fbc-pin', epoch=1, version='1.0', release='1.fc41', arch='noarch', nvr='fbc-pin-1.0-1.fc41',
               sigkey='0badc0de', sha256='a' * 64, url='https://kojipkgs.fedoraproject.org/packages/fbc-pin/1.0/1.fc41/noarch/x.rpm')]


def build_doc():
    return sbom.document('Fedora-Live-41.iso', 'b' * 64, PACKAGES, PINNED, build_id='live-41-x86_64-0123456789ab',
                         tool_version='0.1.0')


def test_the_sbom_is_valid_spdx_2_3(tmp_path):
    from spdx_tools.spdx.parser.parse_anything import parse_file
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document
    path = tmp_path / 'sbom.spdx.json'
    path.write_text(json.dumps(build_doc(), indent=2))
    document = parse_file(str(path))
    assert validate_full_spdx_document(document, 'SPDX-2.3') == []
    assert document.creation_info.spdx_version == 'SPDX-2.3'
    assert len(document.packages) == 4  # the image and three RPMs


def test_every_rpm_has_a_purl_and_the_image_contains_it():
    doc = build_doc()
    image, rpms = doc['packages'][0], doc['packages'][1:]
    assert doc['documentDescribes'] == [image['SPDXID']]
    assert image['checksums'] == [{'algorithm': 'SHA256', 'checksumValue': 'b' * 64}]
    assert [r['externalRefs'][0]['referenceLocator'] for r in rpms] == [
        'pkg:rpm/fedora/bash@5.2.32-1.fc41?arch=x86_64',
        'pkg:rpm/fedora/fbc-pin@1.0-1.fc41?arch=noarch&epoch=1',
        'pkg:rpm/fedora/libfoo@2-3.fc41?arch=x86_64']
    contained = [r['relatedSpdxElement'] for r in doc['relationships'] if r['relationshipType'] == 'CONTAINS']
    assert contained == [r['SPDXID'] for r in rpms]


def test_pinned_builds_carry_their_file_checksum_and_source():
    pinned = build_doc()['packages'][2]
    assert pinned['versionInfo'] == '1:1.0-1.fc41'
    assert pinned['checksums'] == [{'algorithm': 'SHA256', 'checksumValue': 'a' * 64}]
    assert pinned['downloadLocation'] == PINNED[0]['url']
    assert pinned['comment'] == 'Pinned Koji build fbc-pin-1.0-1.fc41, signed with key 0badc0de'


def test_a_license_tag_that_is_not_an_spdx_expression_becomes_a_comment():
    libfoo = build_doc()['packages'][3]
    assert libfoo['licenseDeclared'] == 'NOASSERTION'
    assert libfoo['licenseComments'] == 'RPM License tag: GPLv2+ and BSD'
    assert build_doc()['packages'][1]['licenseDeclared'] == 'GPL-3.0-or-later'


def test_a_koji_reached_by_ip_address_keeps_the_sbom_valid(tmp_path):
    """SPDX's download-location pattern wants a DNS name: a hub at an IP address (the lab's) goes to sourceInfo."""
    from spdx_tools.spdx.parser.parse_anything import parse_file
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document
    url = 'http://10.77.1.1:44417/kojifiles/packages/fbc-pin/1.0/1.fc41/data/signed/0badc0de/noarch/x.rpm'
    doc = sbom.document('boot.iso', 'b' * 64, PACKAGES, [dict(PINNED[0], url=url)])
    pinned = doc['packages'][2]
    assert pinned['downloadLocation'] == 'NOASSERTION' and pinned['sourceInfo'] == 'downloaded from ' + url
    path = tmp_path / 'sbom.spdx.json'
    path.write_text(json.dumps(doc))
    assert validate_full_spdx_document(parse_file(str(path)), 'SPDX-2.3') == []
