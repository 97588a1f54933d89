# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An image SBOM checked with the SPDX project's own library (spdx-tools)."""

from __future__ import annotations


def parse_valid_sbom(path):
    """The parsed SPDX document at ``path``, after asserting it is valid SPDX 2.3."""
    from spdx_tools.spdx.parser.parse_anything import parse_file  # pylint: disable=import-outside-toplevel
    from spdx_tools.spdx.validation.document_validator import (  # pylint: disable=import-outside-toplevel
        validate_full_spdx_document)
    document = parse_file(str(path))
    assert validate_full_spdx_document(document, 'SPDX-2.3') == []
    return document
