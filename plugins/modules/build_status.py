#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: build_status
short_description: Create or update a build request's status record
version_added: 0.1.0
description:
  - Runs on the controller (C(delegate_to) localhost) and keeps C(<status_dir>/<request_id>.json), the status
    record of docs/pipeline.md, with the keys C(request_id), C(build_id), C(state), C(phase), C(reason),
    C(image_type), C(release), C(arch), C(name), C(node), C(submitted), C(updated), C(started), C(finished),
    C(staging), C(artifacts), C(history), in that order, followed by any other O(fields) in sorted order.
  - Each update is a read-modify-write under an exclusive C(flock) on the sidecar C(<status_dir>/.<request_id>.lock),
    so two playbook runs can update the same record at once; the record is written to a temporary name and
    renamed, mode 0644. O(status_dir) is created (mode 0755) when missing.
  - "Timestamps are UTC ISO-8601: C(submitted) when the record is created (and when a finished request is queued
    again, which clears C(started), C(finished) and C(reason)); C(updated) at every change; C(started) when the
    state becomes V(running); C(finished) when it becomes V(succeeded), V(failed) or V(cancelled)."
  - A C(history) entry C({time, state, phase}) is appended when the record is created and whenever the state or
    the phase changes.
  - V(succeeded) without O(phase) sets the phase to V(done); V(failed) and V(cancelled) keep the phase they
    stopped in. C(reason) is cleared when the state changes without a O(reason).
author:
  - ondemand.fedora_build developers (@ondemand)
extends_documentation_fragment:
  - ondemand.fedora_build.attributes
  - ondemand.fedora_build.attributes.ACTIONGROUP
attributes:
  check_mode:
    support: full
    details: Returns the record as it would be; writes nothing.
  diff_mode:
    support: full
    details: Shows the record's JSON before and after.
  idempotent:
    support: full
    details: The same update twice changes nothing the second time (C(updated) only moves when something else does).
  platform:
    platforms: posix
options:
  status_dir:
    description:
      - Directory of the status records (C(fedora_build_status_dir); by default C(status/) under the first local
        staging target). Must be absolute.
    type: path
    required: true
  request_id:
    description:
      - The request's ID, C(rq-) and 12 lowercase hex digits, as ondemand.fedora_build.build_request computes it.
        Anything else is refused, since it names a file.
    type: str
    required: true
  state:
    description:
      - The request's state. When omitted, the record keeps its state (V(queued) for a new record).
    type: str
    choices: [queued, running, succeeded, failed, cancelled]
  phase:
    description:
      - The pipeline step the request is in. When omitted, see the rules above.
    type: str
    choices: [queued, lock, preflight, side_repo, kickstart, build, contents, checksum, staging, notify, done]
  reason:
    description:
      - Why the request failed or was cancelled, one sentence.
    type: str
  fields:
    description:
      - Other record fields to set, merged into the record, for example C(build_id), C(node), C(staging) (list of
        URLs), C(artifacts) (list of C({name, size, sha256})), C(image_type), C(release), C(arch), C(name).
      - The keys the module keeps (C(request_id), C(state), C(phase), C(reason), the timestamps, C(history)) are refused.
    type: dict
    default: {}
seealso:
  - module: ondemand.fedora_build.build_manifest
"""

EXAMPLES = r"""
- name: Queue a request
  ondemand.fedora_build.build_status:
    status_dir: "{{ fedora_build_status_dir }}"
    request_id: "{{ request.request_id }}"
    state: queued
    fields:
      image_type: "{{ request.image_type }}"
      release: "{{ request.release }}"
      arch: "{{ request.arch }}"
      name: "{{ request.name }}"
  delegate_to: localhost

- name: Record the phase the build is in
  ondemand.fedora_build.build_status:
    status_dir: "{{ fedora_build_status_dir }}"
    request_id: "{{ request.request_id }}"
    state: running
    phase: build
    fields:
      node: "{{ inventory_hostname }}"
      build_id: "{{ build_id }}"
  delegate_to: localhost

- name: Record a failure
  ondemand.fedora_build.build_status:
    status_dir: "{{ fedora_build_status_dir }}"
    request_id: "{{ request.request_id }}"
    state: failed
    reason: "{{ ansible_failed_result.msg }}"
  delegate_to: localhost
"""

RETURN = r"""
record:
  description: The status record as written (or as it would be, in check mode).
  returned: success
  type: dict
  sample:
    request_id: rq-0123456789ab
    build_id: live-41-x86_64-0123456789ab
    state: running
    phase: build
    reason: null
    image_type: live
    release: "41"
    arch: x86_64
    name: workstation
    node: build-x86-01
    submitted: "2026-11-26T14:05:00Z"
    updated: "2026-11-26T14:07:12Z"
    started: "2026-11-26T14:06:01Z"
    finished: null
    staging: []
    artifacts: []
    history: [{time: "2026-11-26T14:05:00Z", state: queued, phase: queued}]
path:
  description: Path of the status record.
  returned: success
  type: str
  sample: /srv/staging/status/rq-0123456789ab.json
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils import build_status


def main():
    module = AnsibleModule(argument_spec=build_status.ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    try:
        result = build_status.run(params, check_mode=module.check_mode, diff=module._diff)
    except FedoraBuildError as err:
        err.fail(module)
    except (IOError, OSError) as err:
        module.fail_json(msg='status_dir: %s: %s.' % (err.filename or params['status_dir'], err.strerror))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
