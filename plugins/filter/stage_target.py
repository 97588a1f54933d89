# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter ``stage_target`` (logic in module_utils/request_args.py)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.ondemand.fedora_build.plugins.module_utils import request_args
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError

DOCUMENTATION = r"""
name: stage_target
author: ondemand.fedora_build developers (@ondemand)
version_added: 0.3.0
short_description: The stage module's target for one staging entry of a request
description:
  - Turns one entry of a normalized request's C(staging) into the C(target) argument of
    M(ondemand.fedora_build.stage).
  - When the entry is a staging target the operator defined (its C(target) names it), the login (C(password),
    C(password_env), C(identity_file), C(known_hosts_file)) comes from O(staging_targets); a password named by
    C(password_env) is read from the controller's environment. Neither the name nor the variable's name is in the result.
options:
  _input:
    description: One entry of a normalized request's C(staging).
    type: dict
    required: true
  staging_targets:
    description: The operator's staging targets (C(fedora_build_staging_targets)).
    type: dict
"""

EXAMPLES = r"""
- name: Stage to every target
  ondemand.fedora_build.stage:
    src: /var/lib/fedora-build/work/x/tree
    build_id: boot-41-x86_64-3f2a9c1b7d0e
    target: "{{ item | ondemand.fedora_build.stage_target(fedora_build_staging_targets | default({})) }}"
  loop: "{{ build_request.staging }}"
"""

RETURN = r"""
_value:
  description: The stage module's C(target).
  type: dict
  sample: {type: ftp, host: ftp.example.org, port: 21, user: builds, password: VALUE_SPECIFIED_IN_NO_LOG_PARAMETER,
           path: /pub/builds, tls: true}
"""


def _stage_target(entry, staging_targets=None):
    try:
        return request_args.stage_target(entry, staging_targets)
    except FedoraBuildError as exc:
        raise AnsibleFilterError(exc.msg)


class FilterModule:
    """Arguments of the staging step."""

    def filters(self):
        return {
            'stage_target': _stage_target,
        }
