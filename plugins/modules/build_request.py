#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: build_request
short_description: Validate and normalize Fedora image build requests
version_added: 0.1.0
description:
  - Checks one build request (O(request)) or a batch (O(requests)) before anything runs on a build node, and reports
    every problem of every request at once, each as one sentence that starts with the field path, for example
    C(requests[1].koji.builds[0]).
  - A valid request is normalized, see docs/request.md; defaults are filled in, the repository presets are expanded to
    URLs in C(repos.resolved), the service defaults from O(defaults) are applied, and C(request_id) is added.
  - The field-by-field reference is C(docs/request.md) in the collection.
  - "Runs on the controller (use it in a play with C(hosts: localhost) or with C(delegate_to: localhost)); it reads no
    file and changes nothing."
author:
  - ondemand.fedora_build developers (@ondemand)
extends_documentation_fragment:
  - ondemand.fedora_build.attributes
  - ondemand.fedora_build.attributes.ACTIONGROUP
attributes:
  check_mode:
    support: full
    details: Check mode validates exactly like a normal run.
  diff_mode:
    support: none
  idempotent:
    support: full
    details: Never changes anything; normalizing a normalized request gives it back unchanged.
options:
  requests:
    description:
      - A batch of build requests, each a mapping with the fields described in docs/request.md
        (C(image_type), C(release), C(arch), C(name), C(kickstart), C(koji), C(repos), C(builder), C(staging),
        C(notify), C(force)).
      - An element that is not a mapping is reported as a problem of that element.
      - Two requests of the batch that are the same build (same C(request_id)) are a problem.
    type: list
    elements: raw
  request:
    description:
      - One build request, a mapping as in O(requests). Problems are named C(request.<field>).
    type: raw
  defaults:
    description:
      - Service-level defaults applied to every request.
      - C(koji) (a mapping of C(koji) fields, for example the hub or C(sigkeys)) lies under each request's C(koji);
        a request that names C(profile) or C(hub_url) replaces the whole connection (C(profile), C(hub_url), C(topurl)).
      - C(staging) (a list of staging targets) is used by a request without C(staging).
      - C(timeout) (seconds) is the builder timeout of a request without C(builder.timeout).
      - C(kiwi_descriptions) (the names of the operator's kiwi descriptions, a list, or the mapping of names to node
        directories) are the values C(builder.description) may take; without it any name is accepted here and the
        build role resolves it against C(fedora_build_kiwi_descriptions).
      - C(kickstart_dirs) (absolute directories on the controller, C(fedora_build_kickstart_dirs)) are where a
        request's kickstart path may lie; the real path (symlinks resolved) must be a regular file inside one of
        them, and the normalized request holds it. Without it a kickstart path is refused (URLs are not affected).
      - C(node_repo_dirs) (absolute directories on the build nodes, C(fedora_build_node_repo_dirs)) are where a
        request's C(file://) repository (C(repos.mirror), C(repos.extra[].baseurl)) may lie; without it every
        C(file://) repository of a request is refused.
      - C(koji_gpgkeys) (the names of the operator's public key files, C(fedora_build_koji_gpgkeys), a list, or the
        mapping of names to node paths) are the values C(koji.gpgkeys) may take; a path or another name is refused.
      - The role passes C(fedora_build_koji), C(fedora_build_staging), C(fedora_build_timeout),
        C(fedora_build_kiwi_descriptions), C(fedora_build_kickstart_dirs), C(fedora_build_node_repo_dirs) and
        C(fedora_build_koji_gpgkeys) here.
    type: dict
    default: {}
  image_type:
    description:
      - Forces the image type, for the per-type playbooks. A request without C(image_type) gets this one; a request
        with another one is a problem.
    type: str
    choices: [boot, dvd, live]
notes:
  - Passwords (C(staging[].password) of FTP targets, C(koji.password)) are never part of a problem text, and are hidden
    in the echoed module arguments (C(invocation)). They are part of the returned requests, because the staging step
    needs them, so a registered result holds them (AWX keeps task results in its job events); prefer
    C(password_env) for FTP staging.
"""

EXAMPLES = r"""
- name: Validate a batch (every problem of every request is reported at once)
  ondemand.fedora_build.build_request:
    requests: "{{ fedora_build_requests }}"
    defaults:
      koji: "{{ fedora_build_koji | default({}) }}"
      staging: "{{ fedora_build_staging | default(none) }}"
  register: fb_valid

- name: One live image request, from the per-type playbook
  ondemand.fedora_build.build_request:
    image_type: live
    request:
      release: 41
      arch: x86_64
      kickstart:
        src: https://pagure.io/fedora-kickstarts/raw/f41/f/fedora-live-xfce.ks
      koji:
        builds: [bash-5.2.32-1.fc41]
      notify:
        email: [builder@example.org]
    defaults:
      staging: [{type: local, path: /srv/fedora-build/staging}]
  register: fb_live

- name: Show the request IDs
  ansible.builtin.debug:
    msg: "{{ fb_valid.request_ids }}"
"""

RETURN = r"""
requests:
  description:
    - The normalized requests, in the given order (one element also for O(request)); see docs/request.md for the shape.
  returned: success
  type: list
  elements: dict
  sample:
    - image_type: boot
      name: boot
      release: "41"
      arch: x86_64
      kickstart: null
      koji: {profile: null, hub_url: https://koji.fedoraproject.org/kojihub, topurl: https://kojipkgs.fedoraproject.org,
             builds: [], tasks: [], tag_latest: [], sigkeys: [""], gpgkeys: [], multilib: false,
             exclude: ["*-debuginfo", "*-debugsource", "*-debuginfo-*", "*-debugsource-*"]}
      repos:
        presets: [release, updates]
        mirror: https://dl.fedoraproject.org/pub/fedora/linux
        source: baseurl
        extra: []
        resolved:
          - {name: fedora, baseurl: "https://dl.fedoraproject.org/pub/fedora/linux/releases/41/Everything/x86_64/os/"}
          - {name: updates, baseurl: "https://dl.fedoraproject.org/pub/fedora/linux/updates/41/Everything/x86_64/"}
      builder: {timeout: 14400, product: Fedora}
      staging: [{type: local, path: /srv/fedora-build/staging}]
      notify: {email: [], webhook: null, "on": [submitted, succeeded, failed]}
      force: false
      request_id: rq-4f0c2a9d1b7e
count:
  description: Number of requests.
  returned: success
  type: int
  sample: 1
request_ids:
  description: The C(request_id) of each request, in order.
  returned: success
  type: list
  elements: str
  sample: [rq-4f0c2a9d1b7e]
problems:
  description: One sentence per problem, each starting with the field path; empty on success.
  returned: always
  type: list
  elements: str
  sample: ["requests[1].koji.builds[0]: 'foo;rm' is not an NVR (name-version-release) or a numeric build ID."]
"""

from ansible.module_utils.basic import AnsibleModule

# failure_message and redact stay importable from here (tests, older callers)
from ansible_collections.ondemand.fedora_build.plugins.module_utils.build_request import (  # noqa: F401  pylint: disable=unused-import
    ARGUMENT_SPEC, MUTUALLY_EXCLUSIVE, REQUIRED_ONE_OF, failure_message, redact, run)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, mutually_exclusive=MUTUALLY_EXCLUSIVE,
                           required_one_of=REQUIRED_ONE_OF, supports_check_mode=True)
    result = run(module.params)
    if result.get('failed'):
        result.pop('failed')
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
