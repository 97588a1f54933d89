# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter ``backend_packages`` (the declarations are in module_utils/backend_registry.py)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.ondemand.fedora_build.plugins.module_utils import backend_registry
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError

DOCUMENTATION = r"""
name: backend_packages
author: ondemand.fedora_build developers (@ondemand)
version_added: 0.2.0
short_description: The dnf packages a builder backend needs on a node
description:
  - Returns the packages that the backend registry declares for a builder backend (lorax, pungi,
    livemedia-creator, kiwi), with the extra packages of the node's architecture (for example
    C(hfsplus-tools) on x86_64, which lorax and livemedia-creator need for the Mac boot image).
  - The M(ondemand.fedora_build.preflight) module probes the same backends' tools; docs/extending.md says how a
    backend is declared.
options:
  _input:
    description: A backend name.
    type: str
    required: true
  arch:
    description: The node's architecture (Fedora naming, as C(ansible_facts.architecture) gives it).
    type: str
  arch_only:
    description: Only the extra packages of O(arch), not the backend's common ones.
    type: bool
    default: false
  release:
    description:
      - The node's Fedora release. When the backend's tool does not exist there (the registry's release range),
        the packages of the default backend of its image type for that release instead; for example C(pungi) on a
        Fedora 32 or later node gives pungi-koji's packages, as Fedora's pungi package no longer has the C(pungi)
        command. Unset or empty, the backend's own packages.
    type: raw
"""

EXAMPLES = r"""
- name: Install what lorax needs
  ansible.builtin.dnf:
    name: "{{ 'lorax' | ondemand.fedora_build.backend_packages(arch=ansible_facts['architecture']) }}"

- name: Install what the dvd backend of this Fedora node's release needs (pungi up to 31, pungi-koji after)
  ansible.builtin.dnf:
    name: "{{ 'pungi' | ondemand.fedora_build.backend_packages(release=ansible_facts['distribution_major_version']) }}"
"""

RETURN = r"""
_value:
  description: Package names, in the order the backend declares them.
  type: list
  elements: str
  sample: [lorax, lorax-templates-generic, hfsplus-tools]
"""


def _backend_packages(name, arch=None, arch_only=False, release=None):
    try:
        backend = backend_registry.get(name, 'backend')
        if release not in (None, '') and not backend.covers(release):
            backend = backend_registry.default_for(backend.image_type, release)
        if arch_only:
            return list(backend.arch_packages.get(arch, ()))
        return backend.packages_for(arch)
    except FedoraBuildError as exc:
        raise AnsibleFilterError(exc.msg)


class FilterModule:
    """Backend registry."""

    def filters(self):
        return {
            'backend_packages': _backend_packages,
        }
