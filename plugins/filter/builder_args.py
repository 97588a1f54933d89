# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter ``builder_args`` (logic in module_utils/builder_args.py)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.ondemand.fedora_build.plugins.module_utils import builder_args
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError

DOCUMENTATION = r"""
name: builder_args
author: ondemand.fedora_build developers (@ondemand)
version_added: 0.2.0
short_description: The builder module's arguments for a request
description:
  - Turns a normalized request and what the pipeline made for it (side repo, prepared kickstart) into the
    arguments of the request's builder module (M(ondemand.fedora_build.boot_iso),
    M(ondemand.fedora_build.dvd_iso) or M(ondemand.fedora_build.live_image)), as docs/pipeline.md describes.
  - The backend's defaults (product and version names) come first, then the request's C(builder) options, then
    the operator's O(operator) settings, then what the pipeline sets (repositories, kickstart, C(arch), C(dest), C(work_root), C(build_id), C(timeout)).
options:
  _input:
    description: A normalized request, as returned by M(ondemand.fedora_build.build_request).
    type: dict
    required: true
  pipe:
    description: The build's pipeline directory on the node; the result goes to C(<pipe>/tree/output).
    type: str
    required: true
  build_id:
    description: The build ID.
    type: str
    required: true
  side:
    description: The M(ondemand.fedora_build.koji_side_repo) result (C(repo_file), C(repo_path)); empty without Koji builds.
    type: dict
  kickstart:
    description: Path of the prepared kickstart on the node.
    type: str
  default_timeout:
    description: Seconds the builder may run when the request's C(builder.timeout) is unset (default 4 hours).
    type: int
  operator:
    description:
      - The operator's settings, C(builder_paths) (C(fedora_build_builder_paths), the builder options that name node
        files, applied after the request's options so a request never sets them) and C(kiwi_descriptions)
        (C(fedora_build_kiwi_descriptions), the node directory of each kiwi description name a request may pick in
        C(builder.description)).
    type: dict
"""

EXAMPLES = r"""
- name: Compute the builder arguments
  ansible.builtin.set_fact:
    build_args: "{{ build_request | ondemand.fedora_build.builder_args(pipe=build_pipe, build_id=build_id,
                    side=build_side, kickstart=build_ks.dest | default(none)) }}"
"""

RETURN = r"""
_value:
  description: The module arguments.
  type: dict
  sample: {product: Fedora, version: '41', release: '41', repo_files: [/var/lib/fedora-build/work/x/side.repo],
           arch: x86_64, dest: /var/lib/fedora-build/work/x/tree/output, work_root: /var/lib/fedora-build/work/x/work,
           build_id: boot-41-x86_64-3f2a9c1b7d0e, timeout: 14400}
"""


def _builder_args(request, pipe, build_id, side=None, kickstart=None, default_timeout=None, operator=None):
    if not isinstance(request, dict):
        raise AnsibleFilterError('builder_args: expected a request (a mapping), got %s.' % type(request).__name__)
    try:
        return builder_args.module_args(request, pipe, build_id, side=side, kickstart=kickstart,
                                        default_timeout=default_timeout, operator=operator)
    except FedoraBuildError as exc:
        raise AnsibleFilterError(exc.msg)


class FilterModule:
    """Builder arguments."""

    def filters(self):
        return {
            'builder_args': _builder_args,
        }
