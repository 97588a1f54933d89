#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: node_lock
short_description: Take or release a build slot on a build node
version_added: 0.1.0
description:
  - Runs on a build node. A node runs at most O(slots) builds at once, whichever ansible-playbook run or
    AWX job asks for them; slot V(n) is the file C(<lock_dir>/slot-<n>.lock) and whoever holds an exclusive
    C(flock) on it owns the slot.
  - The lock must outlive this module (the build runs in later tasks), so O(state=acquired) starts a small
    detached holder process (its own session, no inherited output) that takes the C(flock), writes the owner
    record C(<lock_dir>/slot-<n>.json) (owner, token, pid, acquired time, lease expiry) and keeps the lock
    until it is released or until O(lease) seconds have passed, so a controller that dies never locks a node for good.
  - When the holder is killed or the node reboots, the kernel drops the C(flock) and the slot is free again.
  - O(state=released) stops the holder of O(token), or every holder of O(owner) when no token is given (used
    to cancel a request). Releasing a lock that is already gone is not an error (C(changed=false)).
  - Slots are numbered from 0.
author:
  - ondemand.fedora_build developers (@ondemand)
extends_documentation_fragment:
  - ondemand.fedora_build.attributes
  - ondemand.fedora_build.attributes.ACTIONGROUP
attributes:
  check_mode:
    support: full
    details: With O(state=acquired), reports in RV(free) whether a slot is free now and takes nothing; with
      O(state=released), reports what would be released.
  diff_mode:
    support: none
  idempotent:
    support: partial
    details: Releasing is idempotent. Acquiring with the O(token) of a lock that is still held returns that
      lock unchanged; acquiring without a token always takes a new slot.
  platform:
    platforms: posix
options:
  state:
    description:
      - V(acquired) takes a free slot, waiting up to O(wait) seconds; V(released) gives it back.
    type: str
    choices: [acquired, released]
    default: acquired
  lock_dir:
    description:
      - Directory of the slot lock files and owner records; created (mode 0755) when missing.
      - Every run that shares the node must use the same directory.
    type: path
    default: /var/lib/fedora-build/lock
  slots:
    description:
      - The node's capacity, the number of builds it runs at once (C(fedora_build_capacity)).
      - With O(state=released), owner records of slots beyond this number are searched too.
    type: int
    default: 1
  owner:
    description:
      - Who takes the slot, for example the request ID; written to the owner record and shown to waiters.
      - Defaults to the module's pid and the node name.
      - With O(state=released) and no O(token), every lock held by this owner is released.
    type: str
  wait:
    description:
      - Seconds to wait for a free slot, polling; V(0) fails at once when every slot is taken.
    type: float
    default: 0
  lease:
    description:
      - Seconds after which the holder gives the slot up by itself, even if nobody releases it.
    type: float
    default: 86400
  token:
    description:
      - With O(state=released), the RV(token) returned by the acquire.
      - With O(state=acquired), a token of your own (8 to 128 letters, digits, C(.), C(_), C(-)); when a
        holder with this token is still alive, its lock is returned unchanged.
    type: str
notes:
  - The holder runs the node's Python (the module's interpreter) with the holder program as C(-c) argument;
    its command line carries the token, which is how O(state=released) checks a pid before signalling it.
  - Run with the same privileges each time (usually C(become)), so every run can open the same lock files.
  - The holder runs in its own session. A node whose systemd-logind kills a user's processes when the SSH session
    ends (C(KillUserProcesses=yes); Fedora's default is V(no)) would drop the lock early; keep that setting off on
    build nodes.
seealso:
  - module: ondemand.fedora_build.build_cleanup
"""

EXAMPLES = r"""
- name: Take a build slot on the node, waiting up to an hour
  ondemand.fedora_build.node_lock:
    owner: "{{ request_id }}"
    slots: "{{ fedora_build_capacity | default(1) }}"
    wait: 3600
  register: node_slot

- name: Give the slot back (in an always section)
  ondemand.fedora_build.node_lock:
    state: released
    token: "{{ node_slot.token }}"
  when: node_slot.token is defined

- name: Cancel - release whatever the request holds
  ondemand.fedora_build.node_lock:
    state: released
    owner: rq-0123456789ab
"""

RETURN = r"""
slot:
  description: The slot taken (or released); in check mode the slot that is free; null when none.
  returned: always
  type: int
  sample: 0
lock_file:
  description: The slot's lock file.
  returned: always
  type: str
  sample: /var/lib/fedora-build/lock/slot-0.lock
token:
  description: The lock's token; pass it to O(state=released).
  returned: always
  type: str
  sample: 3f1c0f8e2b7d4a55a1f04c9e6c3b2d10
holder_pid:
  description: Pid of the holder process that keeps the lock.
  returned: always
  type: int
  sample: 41235
waited:
  description: Seconds spent waiting for a free slot.
  returned: always
  type: float
  sample: 12.5
owner:
  description: Owner written to the owner record.
  returned: when a lock was acquired
  type: str
  sample: rq-0123456789ab
acquired:
  description: When the holder took the lock (UTC, ISO-8601).
  returned: when a lock was acquired
  type: str
  sample: "2026-11-26T14:05:00Z"
lease_expires:
  description: When the holder gives the slot up by itself (UTC, ISO-8601).
  returned: when a lock was acquired
  type: str
  sample: "2026-11-27T14:05:00Z"
free:
  description: Whether a slot was free (check mode) or taken (always V(true) when a lock is returned).
  returned: with O(state=acquired)
  type: bool
  sample: true
holders:
  description:
    - The current holders of the slots, each with C(slot), C(owner), C(token), C(pid), C(acquired), C(lease_expires).
    - Returned in check mode and when no slot freed up within O(wait).
  returned: in check mode with O(state=acquired), and on a wait timeout
  type: list
  elements: dict
  sample: [{slot: 0, owner: rq-0123456789ab, token: 3f1c, pid: 41235, acquired: "2026-11-26T14:05:00Z",
            lease_expires: "2026-11-27T14:05:00Z"}]
released:
  description: The locks released (C(slot), C(owner), C(token), C(holder_pid), C(lock_file)); empty when none was held.
  returned: with O(state=released)
  type: list
  elements: dict
  sample: [{slot: 0, owner: rq-0123456789ab, token: 3f1c, holder_pid: 41235, lock_file: /var/lib/fedora-build/lock/slot-0.lock}]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils import node_lock


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type='str', choices=['acquired', 'released'], default='acquired'),
            lock_dir=dict(type='path', default=node_lock.DEFAULT_LOCK_DIR),
            slots=dict(type='int', default=1),
            owner=dict(type='str'),
            wait=dict(type='float', default=0),
            lease=dict(type='float', default=86400),
            token=dict(type='str', no_log=False),
        ),
        supports_check_mode=True,
    )
    try:
        if isinstance(module.params['slots'], bool):
            raise FedoraBuildError('slots: %r is a boolean, not a number of slots.' % module.params['slots'])
        result = node_lock.run(dict(module.params), check_mode=module.check_mode)
    except FedoraBuildError as err:
        err.fail(module)
    except OSError as err:
        module.fail_json(msg='lock_dir: %s: %s.' % (err.filename or module.params['lock_dir'], err.strerror))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
