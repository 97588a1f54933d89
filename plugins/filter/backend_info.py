# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter ``backend_info`` (the declarations are in module_utils/backend_registry.py)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.ondemand.fedora_build.plugins.module_utils import backend_registry
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError

DOCUMENTATION = r"""
name: backend_info
author: ondemand.fedora_build developers (@ondemand)
version_added: 0.2.0
short_description: The builder backend a request runs with, as the registry declares it
description:
  - Resolves a normalized request's C(image_type) and C(builder.backend) (the image type's default backend for the
    request's C(release) when unset) and returns the backend's declaration from the registry (docs/extending.md).
options:
  _input:
    description: A normalized request, as returned by M(ondemand.fedora_build.build_request).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Which tool builds this request
  ansible.builtin.set_fact:
    build_tool: "{{ (build_request | ondemand.fedora_build.backend_info).executable }}"
"""

RETURN = r"""
_value:
  description:
    - The declaration, with C(name), C(image_type), C(module), C(executable), C(version_args), C(tools),
      C(packages), C(arch_packages), C(needs_kickstart), C(cross_builds), C(same_release), C(needs_loop),
      C(estimate), C(options), C(layout), C(default) and C(releases).
  type: dict
  sample: {name: lorax, image_type: boot, module: boot_iso, executable: lorax, estimate: 1200}
"""


def _backend_info(request):
    if not isinstance(request, dict):
        raise AnsibleFilterError('backend_info: expected a request (a mapping), got %s.' % type(request).__name__)
    builder = request.get('builder') or {}
    try:
        return backend_registry.resolve(request.get('image_type'), builder.get('backend'), request.get('release')).facts()
    except FedoraBuildError as exc:
        raise AnsibleFilterError(exc.msg)


class FilterModule:
    """Backend registry."""

    def filters(self):
        return {
            'backend_info': _backend_info,
        }
