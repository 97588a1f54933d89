#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: boot_iso
short_description: Build a Fedora boot ISO (installer tree with images/boot.iso) with lorax
version_added: 0.1.0
description:
  - Runs C(lorax) on the build node in a private work dir, with a timeout and the full output in a build log,
    and returns the artifacts (C(images/boot.iso), C(.treeinfo) ...) with size and sha256, the exact argv,
    the lorax version and the duration.
  - A side repository is passed as a dnf C(.repo) file (O(repos) writes one, O(repo_files) passes existing ones),
    so C(priority=) and C(excludepkgs=) take effect; O(sources) are plain C(--source) URLs.
  - lorax needs root (run the task with C(become=true)) and cannot cross-build; O(arch) must be the node's.
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
    details: A re-run with the same parameters and input files finds the result in O(dest) and changes nothing.
options:
  product:
    description: Product name (C(--product)).
    type: str
    required: true
  version:
    description: Version identifier (C(--version)), for example C(41).
    type: str
    required: true
  release:
    description: Release information (C(--release)), for example C(41).
    type: str
    required: true
  variant:
    description: Variant name (C(--variant)), for example C(Everything).
    type: str
  bugurl:
    description: Bug reporting URL (C(--bugurl)).
    type: str
  isfinal:
    description: Mark a final release (C(--isfinal)), which turns the pre-release warning off.
    type: bool
    default: false
  sources:
    description: Repository URLs (C(--source), repeated). http, https, ftp and file URLs.
    type: list
    elements: str
    default: []
  repo_files:
    description: Existing dnf C(.repo) files on the node (C(--repo), repeated).
    type: list
    elements: path
    default: []
  repos:
    description:
      - Repositories written into one generated C(.repo) file in the work dir and passed with C(--repo).
      - Use this for the side repository with a C(priority) so its packages win over the distribution's.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Repository id.
        type: str
        required: true
      baseurl:
        description: Repository URL.
        type: str
        required: true
      priority:
        description: dnf priority (lower wins; the dnf default is 99).
        type: int
      cost:
        description: dnf cost.
        type: int
      gpgcheck:
        description: Check package signatures.
        type: bool
        default: false
      gpgkey:
        description: URL of the signing key.
        type: str
      excludepkgs:
        description: Packages to exclude from this repository.
        type: list
        elements: str
        default: []
      module_hotfixes:
        description: Set C(module_hotfixes=1).
        type: bool
        default: false
  mirrorlists:
    description: Mirrorlist URLs (C(--mirrorlist), repeated).
    type: list
    elements: str
    default: []
  enablerepos:
    description: Repository ids to enable (C(--enablerepo), repeated).
    type: list
    elements: str
    default: []
  disablerepos:
    description: Repository ids to disable (C(--disablerepo), repeated).
    type: list
    elements: str
    default: []
  installpkgs:
    description: Package globs to install (C(--installpkgs), repeated).
    type: list
    elements: str
    default: []
  excludepkgs:
    description: Package globs to remove (C(--excludepkgs), repeated).
    type: list
    elements: str
    default: []
  volid:
    description: ISO volume id (C(--volid)), at most 32 characters.
    type: str
  macboot:
    description: C(true) passes C(--macboot), C(false) passes C(--nomacboot); unset passes neither.
    type: bool
  noupgrade:
    description: Pass C(--noupgrade).
    type: bool
    default: false
  config:
    description: lorax configuration file (C(--config)).
    type: path
  proxy:
    description: Repository proxy C(url:port) (C(--proxy)).
    type: str
  cachedir:
    description: Persistent dnf cache directory (C(--cachedir)); by default lorax uses a temporary one.
    type: path
  add_templates:
    description: Extra runtime templates (C(--add-template), repeated).
    type: list
    elements: path
    default: []
  add_template_vars:
    description: Variables for the runtime templates (C(--add-template-var key=value), sorted by key).
    type: dict
    default: {}
  add_arch_templates:
    description: Extra arch templates (C(--add-arch-template), repeated).
    type: list
    elements: path
    default: []
  add_arch_template_vars:
    description: Variables for the arch templates (C(--add-arch-template-var key=value), sorted by key).
    type: dict
    default: {}
  noverify:
    description: Do not verify the install root (C(--noverify)).
    type: bool
    default: false
  sharedir:
    description: Template directory (C(--sharedir)).
    type: path
  rootfs_size:
    description: Size of the root filesystem in GiB (C(--rootfs-size)).
    type: int
  rootfs_type:
    description: Type of the install image root filesystem (C(--rootfs-type)).
    type: str
    choices: [squashfs, squashfs-ext4, erofs, erofs-ext4]
  noverifyssl:
    description: Do not verify TLS certificates (C(--noverifyssl)).
    type: bool
    default: false
  dnfplugins:
    description: dnf plugins to enable (C(--dnfplugin), repeated).
    type: list
    elements: str
    default: []
  skip_branding:
    description: Disable automatic branding package selection (C(--skip-branding)).
    type: bool
    default: false
  dracut_conf:
    description: dracut.conf file used instead of the default arguments (C(--dracut-conf)).
    type: path
  dracut_args:
    description: dracut arguments (C(--dracut-arg), repeated); replaces the defaults.
    type: list
    elements: str
    default: []
  source_date_epoch:
    description: Sets C(SOURCE_DATE_EPOCH) for lorax, for reproducible timestamps.
    type: int
seealso:
  - module: ondemand.fedora_build.dvd_iso
  - module: ondemand.fedora_build.live_image
"""

EXAMPLES = r"""
- name: Build a Fedora 41 boot.iso with the side repo preferred over Fedora
  ondemand.fedora_build.boot_iso:
    product: Fedora
    version: "41"
    release: "41"
    variant: Everything
    sources:
      - https://dl.fedoraproject.org/pub/fedora/linux/releases/41/Everything/x86_64/os/
    repos:
      - name: siderepo
        baseurl: file:///var/lib/fedora-build/side/41/x86_64/
        priority: 1
    volid: Fedora-41-side
    dest: /srv/images/boot-41-x86_64
    timeout: 7200
  become: true
  register: boot

- name: Show the boot.iso checksum
  ansible.builtin.debug:
    msg: "{{ (boot.artifacts | selectattr('kind', 'equalto', 'boot_iso') | first).sha256 }}"
"""

RETURN = r"""
cmd:
  description: The exact argv lorax was (or in check mode would be) run with.
  returned: always
  type: list
  elements: str
  sample: [/usr/sbin/lorax, --product, Fedora, --version, '41', --release, '41', --source, https://..., --buildarch,
           x86_64, --logfile, /var/lib/fedora-build/work/b1/logs/lorax.log, --tmp, /var/lib/fedora-build/work/b1/tmp,
           /var/lib/fedora-build/work/b1/out]
command:
  description: RV(cmd) rendered as one shell-quoted string, for display only.
  returned: always
  type: str
tool:
  description: The tool that ran.
  returned: always
  type: str
  sample: lorax
tool_version:
  description: Version reported by C(lorax -V) (None when it could not be read).
  returned: when the tool was found
  type: str
  sample: "42.4"
duration:
  description: Seconds the tool ran.
  returned: when the tool ran, or from the manifest when nothing changed
  type: float
  sample: 812.4
rc:
  description: Exit code of the tool.
  returned: when the tool ran
  type: int
artifacts:
  description: The build results in O(dest), found by lorax's output layout.
  returned: success
  type: list
  elements: dict
  contains:
    kind:
      description: C(boot_iso), C(treeinfo), C(install_img) or C(discinfo).
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
  sample: [{kind: boot_iso, name: boot.iso, relpath: images/boot.iso, path: /srv/images/boot-41/images/boot.iso,
            size: 912261120, sha256: 0f3c...}]
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
from ansible_collections.ondemand.fedora_build.plugins.module_utils.lorax import ARGUMENT_SPEC, Lorax


def main():
    argument_spec = dict(ARGUMENT_SPEC)
    argument_spec.update(COMMON_ARGS)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    run_module(module, Lorax(), 'boot_iso')


if __name__ == '__main__':
    main()
