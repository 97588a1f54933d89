# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter ``survey_request`` (logic in module_utils/survey.py)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils import survey

DOCUMENTATION = r"""
name: survey_request
author: ondemand.fedora_build developers (@ondemand)
version_added: 0.2.0
short_description: Turn flat AWX survey answers into one build request
description:
  - AWX surveys are flat, so each question of the job templates in C(collection/awx/surveys/) sets one C(fb_*) extra var.
    This filter turns those answers into the nested request that M(ondemand.fedora_build.build_request) validates
    (C(fb_koji_builds) becomes C(koji.builds), C(fb_kickstart_url) becomes C(kickstart.src), and so on).
  - C(fb_kickstart_user) and C(fb_kickstart_password) go into the kickstart URL as its percent-encoded C(user:password@)
    (a login without a URL, or with a path, or next to a login already in the URL is refused naming the variable).
  - Empty answers are left out, so the request's defaults apply. Lists (Koji builds, task IDs, email addresses) may be
    separated by commas, semicolons, spaces or newlines.
  - Used by C(playbooks/awx_build.yml); see C(docs/awx.md) for the full table of survey variables.
options:
  _input:
    description: The survey answers, a mapping of C(fb_*) variables to answers; other keys are ignored.
    type: dict
    required: true
  image_type:
    description: Forces the request's C(image_type) (the per-type job templates set it), winning over C(fb_image_type).
    type: str
    choices: [boot, dvd, live]
"""

EXAMPLES = r"""
- name: Map the survey onto a request
  ansible.builtin.set_fact:
    fedora_build_request: "{{ {'fb_release': '41', 'fb_arch': 'x86_64', 'fb_koji_builds': 'bash-5.2.26-3.fc41, dnf5-5.2.6-1.fc41'}
                              | ondemand.fedora_build.survey_request(image_type='boot') }}"
  # -> {image_type: boot, release: '41', arch: x86_64, koji: {builds: [bash-5.2.26-3.fc41, dnf5-5.2.6-1.fc41]}}
"""

RETURN = r"""
_value:
  description: The build request (not yet normalized or validated).
  type: dict
  sample: {image_type: boot, release: '41', arch: x86_64, koji: {builds: [bash-5.2.26-3.fc41]}}
"""


def _survey_request(answers, image_type=None):
    try:
        return survey.request_from_survey(answers, image_type=image_type)
    except FedoraBuildError as exc:
        raise AnsibleFilterError(exc.msg)


class FilterModule:
    """AWX survey mapping."""

    def filters(self):
        return {
            'survey_request': _survey_request,
        }
