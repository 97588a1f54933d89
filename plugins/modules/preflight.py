#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: preflight
short_description: Check that a build node can run an image build
version_added: 0.1.0
description:
  - Runs on a build node and returns a structured report before any build starts, instead of failing
    forty minutes into one.
  - Reports whether each builder tool is installed and its version, whether the module runs as root,
    free space in the work and cache directories against a required minimum, the SELinux mode, loop
    device availability, and the node's architecture and OS release against the target.
  - Every check is always made and reported in RV(report). The module fails only for the checks named
    in O(require), with one sentence per problem.
  - Never changes the node.
author:
  - ondemand.fedora_build developers (@ondemand)
extends_documentation_fragment:
  - ondemand.fedora_build.attributes
  - ondemand.fedora_build.attributes.ACTIONGROUP
attributes:
  check_mode:
    support: full
    details: The module only reads the node, so check mode runs every probe.
  diff_mode:
    support: none
  idempotent:
    support: full
  platform:
    platforms: posix
options:
  image_type:
    description:
      - The kind of image the node will build; selects the tools to probe when O(tools) is not given.
      - V(boot) needs lorax, V(dvd) pungi, V(live) livemedia-creator, V(live-kiwi) kiwi-ng; all need
        createrepo_c and rpm.
      - When neither O(image_type) nor O(tools) is given, every builder tool is probed.
    type: str
    choices: [boot, dvd, live, live-kiwi]
  backend:
    description:
      - The builder backend the node will run (the request's C(builder.backend)); selects the tools to probe from the
        backend's declaration in the registry (docs/extending.md) and wins over O(image_type).
      - A backend that is not tied to the node's release (V(kiwi)) skips the release check.
    type: str
    choices: [lorax, pungi, pungi-koji, livemedia-creator, kiwi]
    version_added: 0.1.0
  tools:
    description:
      - Names of the commands to probe on E(PATH), overriding the list derived from O(backend) or O(image_type).
    type: list
    elements: str
  target_release:
    description:
      - Fedora release the image is for, a number such as V(41) or V(rawhide).
      - lorax and pungi must run on the release they build, so the node's C(/etc/os-release) is compared with it.
      - When omitted, the release check is skipped.
    type: str
  target_arch:
    description:
      - Architecture the image is for. Defaults to the node's own architecture.
    type: str
  work_dir:
    description:
      - Directory the build will work in; free space is measured on its filesystem (or its nearest
        existing parent, when it does not exist yet).
    type: path
    default: /var/lib/fedora-build/work
  cache_dir:
    description:
      - Directory for the download and repository cache; free space is measured like O(work_dir).
    type: path
    default: /var/cache/fedora-build
  min_free_gb:
    description:
      - Free space in GiB required in O(work_dir).
    type: float
    default: 20
  min_cache_free_gb:
    description:
      - Free space in GiB required in O(cache_dir).
    type: float
    default: 5
  require:
    description:
      - The checks whose problems fail the module. Other problems are only reported.
      - Items are check names (V(root), V(free_space), V(selinux), V(loop_devices), V(release), V(arch)),
        V(tools) for every probed tool, or the name of one probed tool.
    type: list
    elements: str
    default: [tools, free_space]
notes:
  - "Builders need root; run the module with C(become: true) where O(require) contains V(root)."
  - The collection never changes the SELinux mode; it reports it so that you can decide.
seealso:
  - module: ondemand.fedora_build.boot_iso
  - module: ondemand.fedora_build.dvd_iso
  - module: ondemand.fedora_build.live_image
"""

EXAMPLES = r"""
- name: Check a node before a boot.iso build of Fedora 41
  ondemand.fedora_build.preflight:
    image_type: boot
    target_release: "41"
    target_arch: x86_64
    require: [root, tools, free_space, release, arch]
  become: true

- name: Only report, never fail
  ondemand.fedora_build.preflight:
    require: []
  register: doctor

- name: Show what is missing
  ansible.builtin.debug:
    var: doctor.problems
"""

RETURN = r"""
ok:
  description: Whether none of the required checks found a problem.
  returned: success
  type: bool
  sample: true
problems:
  description: One sentence per problem found, whether required or not.
  returned: always
  type: list
  elements: str
  sample: ["lorax is not installed on node1; provision the node with `ansible-playbook playbooks/provision.yml` (role ondemand.fedora_build.build_node)."]
report:
  description: Everything the probes found.
  returned: always
  type: dict
  contains:
    node:
      description: Hostname, architecture, OS id, version and name, Python version of the node.
      type: dict
      returned: always
      sample: {hostname: node1, arch: x86_64, os_id: fedora, os_version_id: "41", os_name: Fedora Linux 41, python: 3.13.0}
    user:
      description: The uid the module runs as, and whether it is root.
      type: dict
      returned: always
      sample: {uid: 0, is_root: true}
    tools:
      description: For each probed tool, whether it is present, its path and its version.
      type: dict
      returned: always
      sample: {lorax: {present: true, path: /usr/sbin/lorax, version: "41.3"}}
    space:
      description: Free and required bytes for the work and cache directories.
      type: dict
      returned: always
      sample: {work_dir: {path: /var/lib/fedora-build/work, measured_at: /var/lib, free_bytes: 53687091200,
               required_bytes: 21474836480, ok: true}}
    selinux:
      description: The SELinux mode, V(enforcing), V(permissive) or V(disabled).
      type: dict
      returned: always
      sample: {mode: permissive}
    loop:
      description: Loop device availability.
      type: dict
      returned: always
      sample: {control: /dev/loop-control, control_present: true, free_device: /dev/loop0, available: true}
    release:
      description: Target release, the node's OS id and version, and whether they match (null when no target was given).
      type: dict
      returned: always
      sample: {target: "41", node: "41", node_os: fedora, match: true}
    arch:
      description: Target and node architecture and whether they match.
      type: dict
      returned: always
      sample: {target: x86_64, node: x86_64, match: true}
    problems:
      description: Same as RV(problems).
      type: list
      returned: always
      sample: []
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils import backend_registry, preflight
from ansible_collections.ondemand.fedora_build.plugins.module_utils.fileutil import read_text
from ansible_collections.ondemand.fedora_build.plugins.module_utils.validate import check_arch, check_name, check_release


def validate_params(params):
    """Check the parameters that the argument spec cannot, raising FedoraBuildError."""
    if params['target_release'] is not None:
        params['target_release'] = check_release(params['target_release'], 'target_release')
    if params['target_arch'] is not None:
        check_arch(params['target_arch'], 'target_arch')
    for field in ('min_free_gb', 'min_cache_free_gb'):
        if params[field] < 0:
            raise FedoraBuildError('%s: %s is negative; give the free space required in GiB.' % (field, params[field]))
    for field in ('work_dir', 'cache_dir'):
        if params[field] and not os.path.isabs(params[field]):
            raise FedoraBuildError('%s: %r is not an absolute path on the node.' % (field, params[field]))
    for index, tool in enumerate(params['tools'] or []):
        # a tool is a command name looked up on PATH, never a path or anything a shell would read
        check_name(tool, 'tools[%d]' % index)
    probed = preflight.tools_for(params['image_type'], params['tools'], params['backend'], params.get('target_release'))
    known = set(preflight.CHECKS) | set(probed)
    for item in params['require']:
        if item not in known:
            raise FedoraBuildError('require: %r is neither a check (%s) nor one of the probed tools (%s).'
                                   % (item, ', '.join(preflight.CHECKS), ', '.join(probed)))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            image_type=dict(type='str', choices=list(preflight.IMAGE_TYPES)),
            backend=dict(type='str', choices=backend_registry.names()),
            tools=dict(type='list', elements='str'),
            target_release=dict(type='str'),
            target_arch=dict(type='str'),
            work_dir=dict(type='path', default='/var/lib/fedora-build/work'),
            cache_dir=dict(type='path', default='/var/cache/fedora-build'),
            min_free_gb=dict(type='float', default=20),
            min_cache_free_gb=dict(type='float', default=5),
            require=dict(type='list', elements='str', default=['tools', 'free_space']),
        ),
        supports_check_mode=True,
    )
    params = dict(module.params)
    try:
        validate_params(params)
    except FedoraBuildError as err:
        err.fail(module, problems=[], report={})

    def which(name):
        return module.get_bin_path(name, opt_dirs=['/usr/sbin', '/sbin'])

    def run(argv):
        return module.run_command(argv, environ_update={'LC_ALL': 'C'})

    report, problems = preflight.build_report(params, which, run, os.geteuid(), read_text('/etc/os-release') or '')
    failing = preflight.failing_problems(problems, params['require'])
    result = dict(changed=False, ok=not failing, problems=report['problems'], report=report)
    if failing:
        module.fail_json(msg=' '.join(failing), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
