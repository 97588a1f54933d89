#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: live_image
short_description: Build a Fedora live ISO or disk image with livemedia-creator or kiwi
version_added: 0.1.0
description:
  - O(backend=livemedia-creator) runs C(livemedia-creator --no-virt) (anaconda on the node) from a kickstart,
    making a live ISO (O(make=iso)) or a disk image (O(make=disk)).
  - O(backend=kiwi) runs C(kiwi-ng system build) from a kiwi description, with the side repository added by
    C(--add-repo) carrying its priority.
  - Either way the tool runs in a private work dir, with a timeout and the full output in a build log, and the module
    returns the artifacts with size and sha256, the exact argv, the tool version and the duration.
  - Both tools need root (run the task with C(become=true)). livemedia-creator C(--no-virt) cannot cross-build;
    kiwi can (C(--target-arch); the node needs qemu-user-static binfmt support for a foreign O(arch)).
author:
  - ondemand.fedora_build developers (@ondemand)
extends_documentation_fragment:
  - ondemand.fedora_build.attributes
  - ondemand.fedora_build.attributes.ACTIONGROUP
  - ondemand.fedora_build.builder
  - ondemand.fedora_build.builder.SIDE_REPOS
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
  backend:
    description: The image builder.
    type: str
    default: livemedia-creator
    choices: [livemedia-creator, kiwi]
  kickstart:
    description: Kickstart file on the node (C(--ks)). Required for O(backend=livemedia-creator).
    type: path
  make:
    description: livemedia-creator only. C(iso) passes C(--make-iso), C(disk) passes C(--make-disk).
    type: str
    default: iso
    choices: [iso, disk]
  project:
    description: livemedia-creator only. C(--project), substituted for @PRODUCT@ in the boot menu.
    type: str
  releasever:
    description: livemedia-creator only. C(--releasever), substituted for @VERSION@ in the boot menu.
    type: str
  volid:
    description: livemedia-creator only. ISO volume id (C(--volid)), at most 32 characters.
    type: str
  iso_name:
    description:
      - livemedia-creator only, O(make=iso). Passes C(--iso-only --iso-name NAME) so the result is just this ISO
        (without it the result is the live tree with C(images/boot.iso)).
    type: str
  image_name:
    description:
      - livemedia-creator only, O(make=disk). Disk image file name (C(--image-name)). Defaults to C(disk.img)
        (C(disk.qcow2) with O(qcow2)).
    type: str
  qcow2:
    description: livemedia-creator only, O(make=disk). Make a qcow2 image (C(--qcow2)).
    type: bool
    default: false
  fs_label:
    description: livemedia-creator only. Filesystem label (C(--fs-label)).
    type: str
  lorax_templates:
    description: livemedia-creator only. Directory of lorax templates (C(--lorax-templates)).
    type: path
  extra_boot_args:
    description: livemedia-creator only. Extra kernel arguments in the boot menu (C(--extra-boot-args)).
    type: str
  macboot:
    description:
      - livemedia-creator only. C(true) passes C(--macboot), C(false) C(--nomacboot).
      - Unset passes C(--macboot) on x86_64 when C(mkfs.hfsplus) (hfsplus-tools) is on the node, else C(--nomacboot)
        (livemedia-creator turns macboot on by default and refuses it without C(mkfs.hfsplus)).
      - C(true) on another arch than x86_64, or without C(mkfs.hfsplus), is refused before anything runs.
    type: bool
  rootfs_type:
    description: livemedia-creator only. Type of the live root filesystem (C(--rootfs-type)).
    type: str
    choices: [squashfs, squashfs-ext4, erofs, erofs-ext4]
  dracut_args:
    description: livemedia-creator only. dracut arguments (C(--dracut-arg), repeated); replaces the defaults.
    type: list
    elements: str
    default: []
  anaconda_args:
    description: livemedia-creator only. Extra anaconda arguments (C(--anaconda-arg=), repeated).
    type: list
    elements: str
    default: []
  anaconda_timeout:
    description:
      - livemedia-creator only. Minutes after which livemedia-creator cancels anaconda (C(--timeout)).
      - The module's own O(timeout) (seconds) stops the whole tool in any case.
    type: int
  description:
    description: kiwi only. The description directory (C(--description)). Required for O(backend=kiwi).
    type: path
  kiwi_file:
    description: kiwi only. Name of the kiwi file in the description directory (C(--kiwi-file)).
    type: str
  profiles:
    description: kiwi only. Profiles to build (C(--profile), repeated), for example C(Workstation-Live).
    type: list
    elements: str
    default: []
  image_type:
    description: kiwi only. Image type from the description (C(--type)), for example C(iso) or C(oem).
    type: str
  add_repos:
    description:
      - kiwi only. Repositories added with C(--add-repo source,type,alias,priority,imageinclude,package_gpgcheck,{keys},,,repo_gpgcheck).
      - Give the side repository a O(add_repos[].priority) that beats the distribution repositories (for dnf, lower wins).
    type: list
    elements: dict
    default: []
    suboptions:
      source:
        description: Repository URL or path.
        type: str
        required: true
      type:
        description: Repository type.
        type: str
        default: rpm-md
        choices: [rpm-md, rpm-dir, yast2, apt-deb]
      alias:
        description: Repository alias.
        type: str
        required: true
      priority:
        description: Repository priority.
        type: int
      imageinclude:
        description: Keep the repository in the image.
        type: bool
      package_gpgcheck:
        description: Check package signatures.
        type: bool
      signing_keys:
        description: Signing key URLs (C(file:///...)).
        type: list
        elements: str
        default: []
      repo_gpgcheck:
        description: Check repository metadata signatures.
        type: bool
  ignore_repos:
    description: kiwi only. Ignore the description's repositories (C(--ignore-repos)).
    type: bool
    default: false
  clear_cache:
    description: kiwi only. Clear the repository cache first (C(--clear-cache)).
    type: bool
    default: false
  add_packages:
    description: kiwi only. Extra packages (C(--add-package), repeated).
    type: list
    elements: str
    default: []
  delete_packages:
    description: kiwi only. Packages to delete (C(--delete-package), repeated).
    type: list
    elements: str
    default: []
  signing_keys:
    description: kiwi only. Extra signing keys to trust (C(--signing-key), repeated).
    type: list
    elements: str
    default: []
  release_version:
    description: kiwi only. Overrides the description's release version (C(--set-release-version)).
    type: str
  shared_cache_dir:
    description: kiwi only. Shared cache directory (C(--shared-cache-dir)).
    type: path
seealso:
  - module: ondemand.fedora_build.boot_iso
  - module: ondemand.fedora_build.dvd_iso
"""

EXAMPLES = r"""
- name: Live ISO with livemedia-creator --no-virt and the side repo
  ondemand.fedora_build.live_image:
    backend: livemedia-creator
    kickstart: /var/lib/fedora-build/ks/fedora-live-workstation.ks
    side_repos:
      - name: siderepo
        baseurl: file:///var/lib/fedora-build/side/41/x86_64/
        cost: 10
    project: Fedora-Workstation-Live
    releasever: "41"
    volid: Fedora-WS-Live-41
    iso_name: Fedora-Workstation-Live-x86_64-41.iso
    anaconda_timeout: 120
    dest: /srv/images/live-41-x86_64
    timeout: 10800
  become: true

- name: Live ISO with kiwi, side repo with priority
  ondemand.fedora_build.live_image:
    backend: kiwi
    description: /var/lib/fedora-build/kiwi/fedora-kiwi-descriptions
    kiwi_file: Fedora.kiwi
    profiles: [Workstation-Live]
    image_type: iso
    add_repos:
      - source: file:///var/lib/fedora-build/side/41/x86_64/
        alias: siderepo
        priority: 1
    dest: /srv/images/kiwi-live-41-x86_64
  become: true
"""

RETURN = r"""
cmd:
  description: The exact argv the tool was (or in check mode would be) run with.
  returned: always
  type: list
  elements: str
  sample: [/usr/bin/kiwi-ng, --logfile, /var/lib/fedora-build/work/k1/logs/kiwi.log, --temp-dir,
           /var/lib/fedora-build/work/k1/tmp, --profile, Workstation-Live, --type, iso, system, build, --description,
           /srv/desc, --target-dir, /var/lib/fedora-build/work/k1/out, --add-repo, 'file:///srv/side/,rpm-md,siderepo,1']
command:
  description: RV(cmd) rendered as one shell-quoted string, for display only.
  returned: always
  type: str
tool:
  description: The tool that ran (C(livemedia-creator) or C(kiwi-ng)).
  returned: always
  type: str
tool_version:
  description: Version reported by the tool (C(-V) or C(--version)).
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
  description:
    - The build results in O(dest). livemedia-creator results are found by its output layout; kiwi results are read
      from its C(kiwi.result.json).
  returned: success
  type: list
  elements: dict
  contains:
    kind:
      description: C(live_iso) or C(disk_image) (livemedia-creator); kiwi's result key such as C(live_image),
        C(disk_image), C(image_packages), C(image_verified).
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
backend:
  description: The backend that ran.
  returned: always
  type: str
  sample: kiwi
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ondemand.fedora_build.plugins.module_utils import backend_registry
from ansible_collections.ondemand.fedora_build.plugins.module_utils.builders import COMMON_ARGS, run_build
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError

# The live backends of the registry, each with its own options.
BACKENDS = backend_registry.for_module('live_image')


def check_backend_options(params, backend, foreign):
    """Refuse options of the other backend instead of silently ignoring them."""
    for name in sorted(foreign):
        if params.get(name) != foreign[name].get('default'):
            raise FedoraBuildError('%s: does not apply to backend %s.' % (name, backend))


def foreign_options(backend):
    """The options of the other live backends, which this one does not take."""
    own = BACKENDS[backend].argument_spec
    foreign = {}
    for other in BACKENDS.values():
        foreign.update((k, v) for k, v in other.argument_spec.items() if k not in own)
    return foreign


def main():
    argument_spec = dict(backend=dict(type='str', default=backend_registry.default_for('live').name,
                                      choices=sorted(BACKENDS)))
    for backend in BACKENDS.values():
        argument_spec.update(backend.argument_spec)
    argument_spec.update(COMMON_ARGS)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True,
                           required_if=[('backend', 'livemedia-creator', ('kickstart',)),
                                        ('backend', 'kiwi', ('description',))])
    backend = module.params['backend']
    try:
        check_backend_options(module.params, backend, foreign_options(backend))
        result = run_build(module, BACKENDS[backend].tool(), 'live_image')
    except FedoraBuildError as exc:
        exc.fail(module, backend=backend)
    result['backend'] = backend
    module.exit_json(**result)


if __name__ == '__main__':
    main()
