# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter ``webhook_destination`` (logic in module_utils/destinations.py)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.ondemand.fedora_build.plugins.module_utils import destinations
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError

DOCUMENTATION = r"""
name: webhook_destination
author: ondemand.fedora_build developers (@ondemand)
version_added: 0.3.0
short_description: The notify module's webhook argument for a request's notify.webhook
description:
  - A request names a webhook the operator defined in C(fedora_build_webhooks); this filter returns that definition
    (C(url), C(ca_file), C(timeout), C(validate_certs)) as the C(webhook) argument of
    M(ondemand.fedora_build.notify), with the token its C(token_env) names read from the controller's environment
    (C(token), a C(no_log) option); the variable's name is not passed on, so no job event shows it.
  - A URL (accepted by M(ondemand.fedora_build.build_request) only when C(fedora_build_allow_request_destinations) is true)
    gives C({url}) and nothing else, so no token is ever sent to a URL a request wrote.
  - Null or empty gives null (no webhook).
options:
  _input:
    description: The C(notify.webhook) of a normalized request, a webhook name or a URL.
    type: str
    required: true
  webhooks:
    description: The operator's C(fedora_build_webhooks), a mapping of webhook names to their definitions.
    type: dict
    default: {}
  allow:
    description: The operator's C(fedora_build_allow_request_destinations).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Tell the requester
  ondemand.fedora_build.notify:
    event: succeeded
    to: "{{ build_request.notify.email }}"
    webhook: >-
      {{ build_request.notify.webhook | ondemand.fedora_build.webhook_destination(
           fedora_build_webhooks | default({}), fedora_build_allow_request_destinations | default(false)) or omit }}
    build: "{{ status_record }}"
  delegate_to: localhost
"""

RETURN = r"""
_value:
  description: The webhook argument of M(ondemand.fedora_build.notify), or null.
  type: dict
  sample: {url: https://hooks.example.org/fedora-build, token: VALUE_SPECIFIED_IN_NO_LOG_PARAMETER}
"""


def _webhook_destination(ref, webhooks=None, allow=False):
    try:
        return destinations.webhook_args(ref, webhooks or {}, bool(allow))
    except FedoraBuildError as exc:
        raise AnsibleFilterError(exc.msg)


class FilterModule:
    """Operator-defined destinations."""

    def filters(self):
        return {
            'webhook_destination': _webhook_destination,
        }
