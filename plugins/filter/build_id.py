# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter ``build_id`` (logic in module_utils/build_identity.py)."""

from __future__ import annotations

from ansible_collections.ondemand.fedora_build.plugins.module_utils import build_identity

DOCUMENTATION = r"""
name: build_id
author: ondemand.fedora_build developers (@ondemand)
version_added: 0.2.0
short_description: Build ID of a normalized request and its resolved inputs
description:
  - Returns C(<image_type>-<release>-<arch>-<12 hex>), a digest over the normalized request (without C(force),
    C(notify) and C(staging)) and the resolved inputs. The same inputs always give the same ID, which is how
    a finished build in staging is found again.
options:
  _input:
    description: A normalized request, as returned by M(ondemand.fedora_build.build_request).
    type: dict
    required: true
  packages:
    description: The side repo packages (each with C(nvra) and C(sha256)), as M(ondemand.fedora_build.koji_side_repo) returns them.
    type: list
    elements: dict
  kickstart_sha256:
    description: sha256 of the prepared kickstart.
    type: str
  tool:
    description: Builder tool name.
    type: str
  tool_version:
    description: Builder tool version.
    type: str
"""

EXAMPLES = r"""
- name: Name the build
  ansible.builtin.set_fact:
    build_id: "{{ request | ondemand.fedora_build.build_id(packages=side.packages, kickstart_sha256=ks.sha256,
                  tool='lorax', tool_version='41.3') }}"
"""

RETURN = r"""
_value:
  description: The build ID.
  type: str
  sample: boot-41-x86_64-3f2a9c1b7d0e
"""


def _build_id(request, packages=None, kickstart_sha256=None, tool=None, tool_version=None):
    return build_identity.build_id(request, packages, kickstart_sha256, tool, tool_version)


class FilterModule:
    """Build identity."""

    def filters(self):
        return {
            'build_id': _build_id,
        }
