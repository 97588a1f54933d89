#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: build_cleanup
short_description: Remove a build's work directory, with its mounts and processes
version_added: 0.1.0
description:
  - Runs on the build node, usually in the C(always) section of a build, also after a failed or cancelled one.
  - "In this order: with O(kill_processes), sends SIGTERM to every process whose working directory, executable,
    root or any open file is below O(path), and SIGKILL to those still there after O(kill_grace) seconds; with
    O(unmount), unmounts every mount point at or below O(path) (read from C(/proc/self/mountinfo)), deepest first,
    falling back to a lazy unmount, and detaches loop devices whose backing file lies below O(path); then removes
    O(path) and everything below it."
  - O(path) must lie strictly below O(work_root) and no part of it below O(work_root) may be a symlink; anything
    else is refused with one sentence. Symlinks inside the tree are removed, never followed.
  - The tree is never removed while something is still mounted below it.
  - A O(path) that does not exist is not an error (C(changed=false)).
author:
  - ondemand.fedora_build developers (@ondemand)
extends_documentation_fragment:
  - ondemand.fedora_build.attributes
  - ondemand.fedora_build.attributes.ACTIONGROUP
attributes:
  check_mode:
    support: full
    details: Reports what would be killed, unmounted, detached and removed; changes nothing.
  diff_mode:
    support: none
  idempotent:
    support: full
  platform:
    platforms: posix
options:
  path:
    description:
      - The build's work directory (or a file) to remove. Absolute.
    type: path
    required: true
  work_root:
    description:
      - The directory all work directories live in (C(fedora_build_work_dir)). O(path) must be strictly below it.
      - O(work_root) itself may be a symlink; it is resolved once.
    type: path
    required: true
  kill_processes:
    description:
      - Whether to stop the processes that use O(path) first (used when a build is cancelled).
    type: bool
    default: false
  kill_grace:
    description:
      - Seconds between SIGTERM and SIGKILL with O(kill_processes).
    type: float
    default: 10
  unmount:
    description:
      - Whether to unmount what is mounted below O(path) and detach loop devices backed by files below it.
      - With V(false), a mount below O(path) fails the module instead.
    type: bool
    default: true
  recreate:
    description:
      - After the removal, make O(path) anew (mode 0700) with these subdirectories (relative names, mode 0700), so
        a build slot starts empty in one round trip; O(work_root) is created (mode 0750) when it is missing.
      - Relative names only; absolute paths, empty, V(.) or V(..) parts and hidden names are refused.
      - With it the module always reports C(changed) (the directory is new), also when O(path) did not exist.
    type: list
    elements: str
notes:
  - Needs root for unmounting, detaching loop devices and signalling processes of other users.
  - Processes are found through C(/proc/<pid>/{cwd,exe,root,fd}) in the module's mount namespace.
seealso:
  - module: ondemand.fedora_build.node_lock
"""

EXAMPLES = r"""
- name: Remove the build's work directory, whatever happened
  ondemand.fedora_build.build_cleanup:
    path: "{{ fedora_build_work_dir }}/{{ build_id }}"
    work_root: "{{ fedora_build_work_dir }}"
  become: true

- name: Cancel - stop the builder, unmount and remove
  ondemand.fedora_build.build_cleanup:
    path: "{{ fedora_build_work_dir }}/{{ build_id }}"
    work_root: "{{ fedora_build_work_dir }}"
    kill_processes: true
    kill_grace: 30
  become: true

- name: Give a build slot an empty pipeline directory (whatever a killed run left is stopped and removed first)
  ondemand.fedora_build.build_cleanup:
    path: "{{ fedora_build_work_dir }}/slot-0"
    work_root: "{{ fedora_build_work_dir }}"
    kill_processes: true
    recreate: [inputs, kickstart, work, tree, tree/logs]
  become: true
"""

RETURN = r"""
path:
  description: The path given.
  returned: always
  type: str
  sample: /var/lib/fedora-build/work/live-41-x86_64-0123456789ab
removed:
  description: Whether the path was (or in check mode would be) removed; V(false) when it did not exist.
  returned: always
  type: bool
  sample: true
unmounted:
  description: Mount points unmounted (C(mount_point), C(fstype), C(lazy) when only a lazy unmount worked), in order.
  returned: always
  type: list
  elements: dict
  sample: [{mount_point: /var/lib/fedora-build/work/live-41-x86_64-0123456789ab/root/proc, fstype: proc, lazy: false}]
loop_devices:
  description: Loop devices detached (C(device), C(backing_file)).
  returned: always
  type: list
  elements: dict
  sample: [{device: /dev/loop3, backing_file: /var/lib/fedora-build/work/live-41-x86_64-0123456789ab/disk.img}]
killed:
  description:
    - Processes signalled (C(pid), C(name), C(cmdline), C(uses) - what tied them to the path, C(signal) - the last
      signal sent). In check mode, the processes that would be signalled, without C(signal).
  returned: always
  type: list
  elements: dict
  sample: [{pid: 4242, name: livemedia-creator, cmdline: [/usr/bin/python3, /usr/sbin/livemedia-creator], uses: cwd,
            signal: SIGTERM}]
created:
  description: With O(recreate), the directories made anew (O(path) first); empty in check mode.
  returned: always
  type: list
  elements: str
  sample: [/var/lib/fedora-build/work/slot-0, /var/lib/fedora-build/work/slot-0/tree]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils import cleanup


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', required=True),
            work_root=dict(type='path', required=True),
            kill_processes=dict(type='bool', default=False),
            kill_grace=dict(type='float', default=10),
            unmount=dict(type='bool', default=True),
            recreate=dict(type='list', elements='str'),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        result = cleanup.cleanup(params['path'], params['work_root'], kill=params['kill_processes'],
                                 unmount=params['unmount'], grace=params['kill_grace'], check_mode=module.check_mode,
                                 recreate=params['recreate'])
    except FedoraBuildError as err:
        err.fail(module, path=params['path'])
    except (IOError, OSError) as err:
        module.fail_json(msg='path: %s: %s.' % (err.filename or params['path'], err.strerror), path=params['path'])
    module.exit_json(**result)


if __name__ == '__main__':
    main()
