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
options:
  _input:
    description: The answer text (YAML), or an already parsed list.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Read the batch
  ansible.builtin.set_fact:
    fedora_build_requests: "{{ fb_requests | ondemand.fedora_build.survey_batch }}"
"""

RETURN = r"""
_value:
  description: The build requests (not yet normalized or validated).
  type: list
  elements: dict
  sample: [{image_type: boot, release: '41', arch: x86_64}, {image_type: live, release: '41', arch: aarch64}]
"""


def _survey_batch(answer):
    data = answer
    if isinstance(answer, str):
        try:
            data = yaml.safe_load(answer)
        except yaml.YAMLError as exc:
            mark = getattr(exc, 'problem_mark', None)
            where = ' at line %d' % (mark.line + 1) if mark is not None else ''
            raise AnsibleFilterError('%s: not valid YAML%s (%s).'
                                     % (survey.BATCH_VARIABLE, where, getattr(exc, 'problem', None) or exc))
    try:
        return survey.requests_from_batch(data)
    except FedoraBuildError as exc:
        raise AnsibleFilterError(exc.msg)


class FilterModule:
    """AWX batch survey."""

    def filters(self):
        return {
            'survey_batch': _survey_batch,
        }
