#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: build_plan
short_description: Spread a batch of build requests over the build slots of the nodes of each architecture
version_added: "0.1.0"
description:
  - Plans a batch on the controller (run it on C(localhost)); it reads and changes nothing.
  - Each node of O(nodes) builds for one architecture and runs O(nodes[].capacity) builds at once. Every unit of capacity
    is a build slot, named C(<node><slot_separator><n>) (C(build-x86-01#1), C(build-x86-01#2), ...). The playbook
    turns each slot that got work into an in-memory inventory host (see C(playbooks/tasks/add_slot_hosts.yml)), so
    Ansible's forks run the slots in parallel while each slot works through its queue in order.
  - A request goes to a slot of a node of its own C(arch). Requests are placed longest estimated build first, each on the
    slot where it would finish earliest (longest-processing-time-first); ties go to the slot whose node has the least
    work so far, then the lower slot number, then the node name. So a batch spreads over all nodes of an arch before any
    node gets work on its second slot, and the same input always gives the same plan.
  - A request whose arch no node serves fails the run; the message names every such request and the arches the
    inventory has, and all other input problems at once, each naming the field.
author:
  - ondemand.fedora_build developers (@ondemand)
extends_documentation_fragment:
  - ondemand.fedora_build.attributes
  - ondemand.fedora_build.attributes.ACTIONGROUP
attributes:
  check_mode:
    support: full
    details: The module changes nothing; check mode returns the same plan.
  diff_mode:
    support: none
  idempotent:
    support: full
options:
  requests:
    description:
      - The normalized requests of the batch, as M(ondemand.fedora_build.build_request) returns them.
      - Each needs C(request_id) (unique in the batch), C(image_type) and C(arch); C(release) and the other keys are
        carried along but not used, except C(builder.timeout) (seconds), which caps the request's estimate.
    type: list
    elements: dict
    required: true
  nodes:
    description:
      - The build nodes, each listed once.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The node's inventory hostname. It must not contain O(slot_separator).
        type: str
        required: true
      arch:
        description: The architecture the node builds for (its C(builders_<arch>) group).
        type: str
        required: true
      capacity:
        description:
          - Builds the node runs at once (the node's C(fedora_build_capacity)).
          - V(0) takes the node out of the plan (drained).
        type: int
        default: 1
      weight:
        description:
          - Relative speed of the node; a build's estimate is divided by it (V(2) = twice as fast as V(1)).
        type: float
        default: 1.0
  estimates:
    description:
      - Estimated seconds of one build per image type, used to balance the slots; only ratios matter.
      - "Merged over the defaults V({boot: 1200, dvd: 3600, live: 2400}). A request whose image type has no estimate is
        an error."
    type: dict
    default: {}
  slot_separator:
    description:
      - Text between the node name and the slot number in slot host names.
      - "No letters, digits, or any of C(. - _ : , [ ]), which occur in host names and host patterns."
    type: str
    default: "#"
notes:
  - The plan is static. A slot whose node turns out unreachable fails only the builds of its queue; the playbook reports
    them.
seealso:
  - module: ondemand.fedora_build.build_request
"""

EXAMPLES = r"""
- name: List the build nodes of the builders_<arch> groups
  ansible.builtin.set_fact:
    fedora_build_nodes: >-
      {{ fedora_build_nodes | default([]) + [{
           'name': item.1,
           'arch': item.0.key | regex_replace('^builders_', ''),
           'capacity': hostvars[item.1].fedora_build_capacity | default(1) | int}] }}
  loop: "{{ groups | dict2items | selectattr('key', 'match', '^builders_.') | subelements('value') }}"
  loop_control:
    label: "{{ item.1 }}"

- name: Plan the batch
  ondemand.fedora_build.build_plan:
    requests: "{{ fedora_build_validated.requests }}"
    nodes: "{{ fedora_build_nodes }}"
    estimates:
      live: 3000
  register: fedora_build_plan

- name: One in-memory host per build slot
  ansible.builtin.include_tasks: tasks/add_slot_hosts.yml
"""

RETURN = r"""
slots:
  description:
    - The slots that got work, sorted by node name and slot number. Slots without work are left out.
  returned: success
  type: list
  elements: dict
  contains:
    host:
      description: Slot host name, C(<node><slot_separator><slot>).
      type: str
      sample: "node-x86a#1"
    node:
      description: The node the slot runs on.
      type: str
      sample: node-x86a
    slot:
      description: Slot number on the node, from 1.
      type: int
      sample: 1
    arch:
      description: The node's architecture.
      type: str
      sample: x86_64
    queue:
      description: request_ids the slot builds, in this order.
      type: list
      elements: str
      sample: [rq-0a1b2c3d4e5f, rq-5f4e3d2c1b0a]
    estimate:
      description: Estimated seconds until the slot's queue is done.
      type: float
      sample: 3600.0
  sample:
    - {host: "node-x86a#1", node: node-x86a, slot: 1, arch: x86_64, queue: [rq-0a1b2c3d4e5f], estimate: 3600.0}
    - {host: "node-arm#1", node: node-arm, slot: 1, arch: aarch64, queue: [rq-5f4e3d2c1b0a], estimate: 2400.0}
assignments:
  description:
    - Where each request runs, keyed by request_id.
    - C(node), C(slot), C(slot_host) (the slot's host name), C(arch), C(position) (1 = first in the slot's queue),
      C(estimate), C(start_estimate) and C(finish_estimate) (seconds from the start of the batch).
  returned: success
  type: dict
  sample:
    rq-0a1b2c3d4e5f: {node: node-x86a, slot: 1, slot_host: "node-x86a#1", arch: x86_64, position: 1,
                      estimate: 3600.0, start_estimate: 0.0, finish_estimate: 3600.0}
makespan_estimate:
  description: Estimated seconds until the whole batch is done (the busiest slot), if the estimates hold.
  returned: success
  type: float
  sample: 3600.0
nodes:
  description: Names of the nodes that got work, sorted.
  returned: success
  type: list
  elements: str
  sample: [node-arm, node-x86a]
unserved:
  description:
    - Arches of requests that no node (with capacity) serves. Always empty on success; on failure it lists them.
  returned: always
  type: list
  elements: str
  sample: []
errors:
  description: On failure, each problem as one sentence (the message joins them).
  returned: failure
  type: list
  elements: str
  sample: ["requests[2].arch: no build node serves ppc64le; the inventory has aarch64, x86_64."]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ondemand.fedora_build.plugins.module_utils.build_plan import ARGUMENT_SPEC, run


def argument_spec():
    """The module's argument spec (matches DOCUMENTATION)."""
    return ARGUMENT_SPEC


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    result = run(module.params)
    if result.pop('failed', False):
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
