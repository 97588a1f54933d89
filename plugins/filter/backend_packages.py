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
"""

EXAMPLES = r"""
- name: Install what lorax needs
  ansible.builtin.dnf:
    name: "{{ 'lorax' | ondemand.fedora_build.backend_packages(arch=ansible_facts['architecture']) }}"
"""

RETURN = r"""
_value:
  description: Package names, in the order the backend declares them.
  type: list
  elements: str
  sample: [lorax, lorax-templates-generic, hfsplus-tools]
"""


def _backend_packages(name, arch=None, arch_only=False):
    try:
        backend = backend_registry.get(name, 'backend')
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
