# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter ``request_public`` (logic in module_utils/request_model.py: strip_secrets)."""

from __future__ import annotations

from ansible_collections.ondemand.fedora_build.plugins.module_utils import request_model

DOCUMENTATION = r"""
name: request_public
author: ondemand.fedora_build developers (@ondemand)
version_added: 0.3.0
short_description: A build request without the fields that hold secrets, for records
description:
  - Returns a copy of a normalized build request without every field the request model marks secret (for example
    C(koji.password), C(koji.keytab) and C(staging[].password)), at any depth.
  - Everything that records a request (C(build.json), status records, emails) goes through this filter, so what is
    stripped follows the mark in C(plugins/module_utils/request_model.py), not a list of names in a task file.
options:
  _input:
    description: A normalized build request (an element of the C(requests) list M(ondemand.fedora_build.build_request) returns).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: The request as build.json records it
  ansible.builtin.set_fact:
    fb_recorded: "{{ build_request | ondemand.fedora_build.request_public }}"
"""

RETURN = r"""
_value:
  description: The request without its secret fields.
  type: dict
"""


class FilterModule:
    """Request records."""

    def filters(self):
        return {
            'request_public': request_model.strip_secrets,
        }
