# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter ``survey_batch`` (logic in module_utils/survey.py)."""

from __future__ import annotations

import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils import survey

DOCUMENTATION = r"""
name: survey_batch
author: ondemand.fedora_build developers (@ondemand)
version_added: 0.2.0
short_description: Read the batch survey's YAML answer as a list of build requests
description:
  - The batch job template asks one C(textarea) question, C(fb_requests), holding a YAML list of build requests (or a
    mapping with C(fedora_build_requests), the same file the command line takes with C(-e @batch.yml)).
  - Returns the list for C(fedora_build_requests); a YAML error or a wrong shape fails with one sentence naming C(fb_requests).
  - The answer is a requester's text, so aliases that expand to more than 100000 values or 262144 characters are
    refused (a billion laughs answer would exhaust the controller's memory once serialized).
  - A login typed into a kickstart URL of the answer is refused naming the request (the job's extra vars show it to
    anyone who may see the job); the batch survey asks it apart, O(user) and O(password), and this filter puts it
    into every http, https or ftp kickstart URL of the batch as the percent-encoded C(user:password@).
options:
  _input:
    description: The answer text (YAML), or an already parsed list.
    type: raw
    required: true
  user:
    description: The kickstart login name (the batch survey's C(fb_kickstart_user)); empty for none.
    type: str
    version_added: 0.4.0
  password:
    description: The kickstart password (the batch survey's C(fb_kickstart_password), a password question); needs O(user).
    type: str
    version_added: 0.4.0
"""

EXAMPLES = r"""
- name: Read the batch
  ansible.builtin.set_fact:
    fedora_build_requests: "{{ fb_requests | ondemand.fedora_build.survey_batch }}"

- name: Read the batch with the survey's kickstart login (put into each kickstart URL; no_log)
  ansible.builtin.set_fact:
    fedora_build_requests: >-
      {{ fb_requests | ondemand.fedora_build.survey_batch(user=fb_kickstart_user, password=fb_kickstart_password) }}
  no_log: true
"""

RETURN = r"""
_value:
  description: The build requests (not yet normalized or validated).
  type: list
  elements: dict
  sample: [{image_type: boot, release: '41', arch: x86_64}, {image_type: live, release: '41', arch: aarch64}]
"""


# what one answer may expand to through aliases (the survey allows 65536 characters of text)
MAX_NODES = 100000
MAX_CHARS = 4 * 65536


class _BoundedLoader(yaml.SafeLoader):  # pylint: disable=too-many-ancestors
    """SafeLoader that counts the nodes and scalar characters of the document as expanded through aliases."""

    def construct_document(self, node):
        nodes, chars, stack = 0, 0, [node]
        while stack:
            item = stack.pop()
            nodes += 1
            if isinstance(item, yaml.ScalarNode):
                chars += len(item.value)
            elif isinstance(item, yaml.SequenceNode):
                stack.extend(item.value)
            elif isinstance(item, yaml.MappingNode):
                stack.extend(part for pair in item.value for part in pair)
            if nodes > MAX_NODES or chars > MAX_CHARS:
                raise AnsibleFilterError('%s: aliases expand to more than %d values or %d characters; refused.'
                                         % (survey.BATCH_VARIABLE, MAX_NODES, MAX_CHARS))
        return super().construct_document(node)


def _load(text):
    loader = _BoundedLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _survey_batch(answer, user=None, password=None):
    data = answer
    if isinstance(answer, str):
        try:
            data = _load(answer)
        except yaml.YAMLError as exc:
            mark = getattr(exc, 'problem_mark', None)
            where = ' at line %d' % (mark.line + 1) if mark is not None else ''
            raise AnsibleFilterError('%s: not valid YAML%s (%s).'
                                     % (survey.BATCH_VARIABLE, where, getattr(exc, 'problem', None) or exc))
    try:
        return survey.requests_from_batch(data, user=user, password=password)
    except FedoraBuildError as exc:
        raise AnsibleFilterError(exc.msg)


class FilterModule:
    """AWX batch survey."""

    def filters(self):
        return {
            'survey_batch': _survey_batch,
        }
