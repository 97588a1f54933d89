#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dvd_iso
short_description: Build a Fedora install DVD and tree from a kickstart with pungi
version_added: 0.1.0
description:
  - Runs the kickstart-driven C(pungi) command (as the 2012 image build service did) on the build node in a private
    work dir, with a timeout and the full output in a build log, and returns the artifacts
    (C(<name>-<version>-<arch>-DVD.iso), C(-netinst.iso), C(-CHECKSUM), the tree's C(.treeinfo)) with size and
    sha256, the exact argv, the pungi version and the duration.
  - Repositories come from the kickstart's C(repo) lines. O(side_repos) adds more; the module writes a wrapper
    kickstart with those C(repo) lines and an C(%include) of O(kickstart) by absolute path; pungi runs in the
    kickstart's directory so the kickstart's own relative C(%include)s keep working.
  - pungi needs root when the buildinstall stage runs (run the task with C(become=true)) and cannot cross-build.
  - A pungi-koji (compose config) backend may be added later; this module's options are those of the legacy C(pungi) CLI.
author:
  - ondemand.fedora_build developers (@ondemand)
extends_documentation_fragment:
  - ondemand.fedora_build.attributes
  - ondemand.fedora_build.attributes.ACTIONGROUP
  - ondemand.fedora_build.builder
attributes:
  check_mode:
    support: full
    details: Returns the exact command it would run (set O(build_id) to get the same work dir paths in both runs).
  diff_mode:
    support: none
  idempotent:
    support: full
    details: A re-run with the same parameters and kickstart content finds the result in O(dest) and changes nothing.
options:
  kickstart:
    description: Kickstart file on the node (C(-c)); its C(repo) lines and C(%packages) define the DVD.
    type: path
    required: true
  side_repos:
    description: Extra repositories added as kickstart C(repo) lines in a generated wrapper kickstart.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Repository name.
        type: str
        required: true
      baseurl:
        description: Repository URL.
        type: str
        required: true
      cost:
        description: Kickstart C(--cost) (lower is preferred).
        type: int
      install:
        description: Kickstart C(--install).
        type: bool
        default: false
      excludepkgs:
        description: Kickstart C(--excludepkgs).
        type: list
        elements: str
        default: []
  name:
    description: Distribution name (C(--name)); the ISO file names start with it.
    type: str
    default: Fedora
  version:
    description: Distribution version (C(--ver)).
    type: str
    required: true
  flavor:
    description: Flavor of the spin (C(--flavor)), alphanumeric; empty for none.
    type: str
    default: ''
  bugurl:
    description: Bug reporting URL (C(--bugurl)).
    type: str
  cachedir:
    description: Package cache directory (C(--cachedir)). Defaults to C(cache/) in the private work dir.
    type: path
  nosource:
    description: Do not gather source packages (C(--nosource)).
    type: bool
    default: false
  sourceisos:
    description: Create the source ISOs (C(--sourceisos)).
    type: bool
    default: false
  nodebuginfo:
    description: Do not gather debuginfo packages (C(--nodebuginfo)).
    type: bool
    default: false
  selfhosting:
    description: Follow build dependencies (C(--selfhosting)).
    type: bool
    default: false
  fulltree:
    description: Include all packages built from the same source RPMs (C(--fulltree)).
    type: bool
    default: false
  nogreedy:
    description: Do not pull all providers of a dependency (C(--nogreedy)).
    type: bool
    default: false
  greedy:
    description: Greedy method (C(--greedy=)).
    type: str
    choices: [none, all, build]
  multilib:
    description: Multilib methods (C(--multilib=), repeated).
    type: list
    elements: str
    default: []
  lookaside_repos:
    description: Kickstart repo names used for depsolving only (C(--lookaside-repo), repeated).
    type: list
    elements: str
    default: []
  nodeps:
    description: Do not resolve dependencies (C(--nodeps)).
    type: bool
    default: false
  isfinal:
    description: Mark a GA tree (C(--isfinal)).
    type: bool
    default: false
  nohash:
    description: Do not hash the Packages tree (C(--nohash)).
    type: bool
    default: false
  full_archlist:
    description: Use the full arch list on x86_64 (C(--full-archlist)).
    type: bool
    default: false
  no_dvd:
    description: Make only the netinstall image and the tree, no DVD (C(--no-dvd)).
    type: bool
    default: false
  nomacboot:
    description: No Mac boot support (C(--nomacboot)).
    type: bool
    default: false
  installpkgs:
    description: Package globs lorax installs in the runtime (C(--installpkgs), repeated).
    type: list
    elements: str
    default: []
  rootfs_size:
    description: Size of the install image root filesystem in GiB (C(--rootfs-size=)).
    type: int
  lorax_conf:
    description: lorax configuration file for the buildinstall stage (C(--lorax-conf)).
    type: path
  stages:
    description:
      - C([all]) runs C(--all-stages); otherwise the listed stages run (C(-G) gather, C(-C) createrepo,
        C(-B) buildinstall, C(-I) createiso).
    type: list
    elements: str
    default: [all]
    choices: [all, gather, createrepo, buildinstall, createiso]
seealso:
  - module: ondemand.fedora_build.boot_iso
"""

EXAMPLES = r"""
- name: Build a Fedora 41 DVD from a kickstart, with the side repo
  ondemand.fedora_build.dvd_iso:
    kickstart: /var/lib/fedora-build/ks/fedora-dvd.ks
    name: Fedora
    version: "41"
    flavor: Custom
    bugurl: https://bugzilla.redhat.com
    nosource: true
    side_repos:
      - name: siderepo
        baseurl: file:///var/lib/fedora-build/side/41/x86_64/
        cost: 10
    dest: /srv/images/dvd-41-x86_64
  become: true
  register: dvd
"""

RETURN = r"""
cmd:
  description: The exact argv pungi was (or in check mode would be) run with.
  returned: always
  type: list
  elements: str
  sample: [/usr/bin/pungi, --name, Fedora, --ver, '41', --flavor, Custom, --destdir, /var/lib/fedora-build/work/d1/out,
           --cachedir, /var/lib/fedora-build/work/d1/cache, --workdirbase, /var/lib/fedora-build/work/d1/tmp/work,
           --bugurl, https://bugzilla.redhat.com, --nosource, --all-stages, -c, /var/lib/fedora-build/work/d1/inputs/dvd.ks]
command:
  description: RV(cmd) rendered as one shell-quoted string, for display only.
  returned: always
  type: str
tool:
  description: The tool that ran.
  returned: always
  type: str
  sample: pungi
tool_version:
  description: Version reported by C(pungi --version).
  returned: when the tool was found
  type: str
duration:
  description: Seconds the tool ran.
  returned: when the tool ran, or from the manifest when nothing changed
  type: float
rc:
  description: Exit code of the tool.
  returned: when the tool ran
  type: int
artifacts:
  description: The build results in O(dest), found by pungi's output layout (C(<ver>/<flavor>/<arch>/iso/) and C(os/)).
  returned: success
  type: list
  elements: dict
  contains:
    kind:
      description: C(dvd_iso), C(netinst_iso), C(checksum), C(treeinfo) or C(boot_iso).
      type: str
    name:
      description: File name.
      type: str
    relpath:
      description: Path relative to O(dest).
      type: str
    path:
      description: Absolute path on the node.
      type: str
    size:
      description: Size in bytes.
      type: int
    sha256:
      description: SHA-256 of the file.
      type: str
    mtime:
      description: Modification time (seconds since the epoch) when the file was hashed.
      type: float
log_path:
  description: The full build log (in the work dir on failure, in O(dest)/build-logs on success).
  returned: always
  type: str
log_tail:
  description: The last lines of the build log.
  returned: failure
  type: list
  elements: str
timed_out:
  description: Whether the timeout stopped the tool.
  returned: failure of the tool
  type: bool
work_dir:
  description: The private work dir (None once removed after success).
  returned: always
  type: str
build_id:
  description: Name of the work dir.
  returned: always
  type: str
dest:
  description: Absolute result directory.
  returned: always
  type: str
arch:
  description: Target architecture.
  returned: always
  type: str
node_arch:
  description: The node's architecture.
  returned: always
  type: str
fingerprint:
  description: SHA-256 over the parameters and input files, recorded in O(dest)/build-logs/.fedora_build.json.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ondemand.fedora_build.plugins.module_utils.builders import COMMON_ARGS, run_module
from ansible_collections.ondemand.fedora_build.plugins.module_utils.pungi import ARGUMENT_SPEC, Pungi


def main():
    argument_spec = dict(ARGUMENT_SPEC)
    argument_spec.update(COMMON_ARGS)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    run_module(module, Pungi(), 'dvd_iso')


if __name__ == '__main__':
    main()
