#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dvd_iso
short_description: Build a Fedora install DVD and tree with pungi (legacy command or pungi-koji compose)
version_added: 0.1.0
description:
  - O(backend=pungi) runs the kickstart-driven C(pungi) command (as the 2012 image build service did; Fedora up to 31
    ships it), returning C(<name>[-<flavor>]-<version>-<arch>-DVD.iso), C(-netinst.iso), C(-CHECKSUM) and the tree's
    C(.treeinfo). Repositories come from the kickstart's C(repo) lines; O(side_repos) adds more through a wrapper
    kickstart that C(%include)s O(kickstart) by absolute path (pungi runs in the kickstart's directory).
  - O(backend=pungi-koji) (the default from Fedora 32, whose pungi package has no C(pungi) command) writes a local
    compose configuration (package set from O(repos), one variant with the packages and groups of O(packages),
    O(groups) and the kickstart's C(%packages), buildinstall with lorax, createiso) and runs C(pungi-koji) with
    C(--compose-dir); the artifacts are found in the compose layout C(compose/<variant>/<arch>/iso/*.iso),
    C(compose/<variant>/<arch>/os/.treeinfo) and C(compose/metadata/*.json).
  - Either way the tool runs in a private work dir with a timeout and the full output in a build log; the module
    returns the artifacts with size and sha256, the exact argv, the tool version and the duration.
  - Both need root when buildinstall (lorax) runs (run the task with C(become=true)) and cannot cross-build.
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
    details: A re-run with the same parameters and kickstart content finds the result in O(dest) and changes nothing.
options:
  backend:
    description:
      - The DVD builder. Unset, the default for the release in O(version) (C(pungi) up to Fedora 31, C(pungi-koji)
        after).
    type: str
    choices: [pungi, pungi-koji]
  kickstart:
    description:
      - Kickstart file on the node. pungi (C(-c), required) takes its C(repo) lines and C(%packages); pungi-koji
        takes its C(%packages) (packages, C(@groups), C(-excludes)) only.
    type: path
  name:
    description: Distribution name (pungi C(--name), pungi-koji C(release_name)); the ISO file names start with it.
    type: str
    default: Fedora
  version:
    description: Distribution version (pungi C(--ver), pungi-koji C(release_version)). Required.
    type: str
  repos:
    description:
      - pungi-koji only. The package set's repositories (C(pkgset_repos)), in order; pungi takes plain URLs there
        (no mirrorlists, metalinks, costs or excludes).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Repository name.
        type: str
        required: true
      baseurl:
        description: Repository URL (file, http, https or ftp).
        type: str
        required: true
  release_short:
    description: pungi-koji only. C(release_short) (the compose id starts with it). Default O(name) without
      characters other than letters, digits and C(-).
    type: str
  variant:
    description: pungi-koji only. UID and name of the compose's one variant (letters and digits).
    type: str
    default: Everything
  packages:
    description: pungi-koji only. Packages (names or globs) of the variant (C(additional_packages)), added to the
      kickstart's.
    type: list
    elements: str
    default: []
  groups:
    description: pungi-koji only. Comps groups of the variant (in the variants file); needs O(comps_file).
    type: list
    elements: str
    default: []
  exclude_packages:
    description: pungi-koji only. Packages kept out of the compose (C(filter_packages)), added to the kickstart's
      C(-name) lines.
    type: list
    elements: str
    default: []
  comps_file:
    description: pungi-koji only. Comps file on the node (C(comps_file)) that defines O(groups).
    type: path
  compose_type:
    description: pungi-koji only. C(--test), C(--production), C(--nightly), C(--ci) or C(--development).
    type: str
    default: test
    choices: [production, test, nightly, ci, development]
  label:
    description: pungi-koji only. Compose label (C(--label), such as C(RC-1.0)) of a production compose; a production
      compose without one runs with C(--no-label).
    type: str
  gather_method:
    description: pungi-koji only. C(gather_method), C(deps) (resolve dependencies) or C(nodeps).
    type: str
    default: deps
    choices: [deps, nodeps]
  buildinstall:
    description: pungi-koji only. Run the buildinstall phase (lorax; C(buildinstall_method = 'lorax')); false
      skips it and the DVD is not bootable.
    type: bool
    default: true
  rootfs_size:
    description: pungi-koji only. Size of the install image root filesystem in GiB (C(lorax_options) C(rootfs_size)).
    type: int
  flavor:
    description: pungi only. Flavor of the spin (C(--flavor)), alphanumeric; empty for none.
    type: str
    default: ''
  bugurl:
    description: Bug reporting URL (pungi C(--bugurl), pungi-koji C(lorax_options) C(bugurl)).
    type: str
  cachedir:
    description: pungi only. Package cache directory (C(--cachedir)). Defaults to C(cache/) in the private work dir.
    type: path
  nosource:
    description: pungi only. Do not gather source packages (C(--nosource)).
    type: bool
    default: false
  sourceisos:
    description: pungi only. Create the source ISOs (C(--sourceisos)).
    type: bool
    default: false
  nodebuginfo:
    description: pungi only. Do not gather debuginfo packages (C(--nodebuginfo)).
    type: bool
    default: false
  selfhosting:
    description: Follow build dependencies (pungi C(--selfhosting), pungi-koji C(gather_selfhosting)).
    type: bool
    default: false
  fulltree:
    description: Include all packages built from the same source RPMs (pungi C(--fulltree), pungi-koji C(gather_fulltree)).
    type: bool
    default: false
  nogreedy:
    description: pungi only. Do not pull all providers of a dependency (C(--nogreedy)).
    type: bool
    default: false
  greedy:
    description: Greedy method (pungi C(--greedy=), pungi-koji C(greedy_method)).
    type: str
    choices: [none, all, build]
  multilib:
    description: Multilib methods (pungi C(--multilib=), repeated; pungi-koji C(multilib)).
    type: list
    elements: str
    default: []
  lookaside_repos:
    description: pungi only. Kickstart repo names used for depsolving only (C(--lookaside-repo), repeated).
    type: list
    elements: str
    default: []
  nodeps:
    description: pungi only. Do not resolve dependencies (C(--nodeps)).
    type: bool
    default: false
  isfinal:
    description: pungi only. Mark a GA tree (C(--isfinal)).
    type: bool
    default: false
  nohash:
    description: pungi only. Do not hash the Packages tree (C(--nohash)).
    type: bool
    default: false
  full_archlist:
    description: pungi only. Use the full arch list on x86_64 (C(--full-archlist)).
    type: bool
    default: false
  no_dvd:
    description: Make only the netinstall image and the tree, no DVD (pungi C(--no-dvd), pungi-koji C(createiso_skip)).
    type: bool
    default: false
  nomacboot:
    description: No Mac boot support (pungi C(--nomacboot), pungi-koji C(lorax_options) C(nomacboot)).
    type: bool
    default: false
  installpkgs:
    description: pungi only. Package globs lorax installs in the runtime (C(--installpkgs), repeated).
    type: list
    elements: str
    default: []
  lorax_conf:
    description: lorax configuration file for buildinstall (pungi C(--lorax-conf), pungi-koji C(lorax_options) C(configuration_file)).
    type: path
  stages:
    description:
      - pungi only. C([all]) runs C(--all-stages); otherwise the listed stages run (C(-G) gather, C(-C) createrepo,
        C(-B) buildinstall, C(-I) createiso).
    type: list
    elements: str
    default: [all]
    choices: [all, gather, createrepo, buildinstall, createiso]
seealso:
  - module: ondemand.fedora_build.boot_iso
"""

EXAMPLES = r"""
- name: Build a Fedora 31 DVD from a kickstart with the legacy pungi command, with the side repo
  ondemand.fedora_build.dvd_iso:
    backend: pungi
    kickstart: /var/lib/fedora-build/ks/fedora-dvd.ks
    name: Fedora
    version: "31"
    flavor: Custom
    bugurl: https://bugzilla.redhat.com
    nosource: true
    side_repos:
      - name: siderepo
        baseurl: file:///var/lib/fedora-build/side/31/x86_64/
        cost: 10
    dest: /srv/images/dvd-31-x86_64
  become: true
  register: dvd

- name: Build a Fedora 42 DVD with a pungi-koji compose from local repositories
  ondemand.fedora_build.dvd_iso:
    backend: pungi-koji
    version: "42"
    kickstart: /var/lib/fedora-build/ks/fedora-dvd.ks
    repos:
      - name: koji-side
        baseurl: file:///var/lib/fedora-build/side/42/x86_64/
      - name: fedora
        baseurl: http://mirror.example.org/fedora/releases/42/Everything/x86_64/os/
    dest: /srv/images/dvd-42-x86_64
  become: true
"""

RETURN = r"""
cmd:
  description: The exact argv pungi or pungi-koji was (or in check mode would be) run with.
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
  description:
    - The build results in O(dest), found by the tool's output layout (pungi C(<ver>/<flavor>/<arch>/iso/) and
      C(os/); pungi-koji C(compose/<variant>/<arch>/iso/), C(os/) and C(compose/metadata/)).
  returned: success
  type: list
  elements: dict
  contains:
    kind:
      description:
        - C(dvd_iso), C(netinst_iso), C(checksum), C(treeinfo) or C(boot_iso) (pungi); C(dvd_iso) (the first ISO),
          C(iso), C(checksum), C(treeinfo), C(boot_iso), C(composeinfo), C(rpms_metadata), C(images_metadata)
          (pungi-koji).
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
  sample: pungi-koji
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ondemand.fedora_build.plugins.module_utils import backend_registry
from ansible_collections.ondemand.fedora_build.plugins.module_utils.builders import COMMON_ARGS, run_build
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError

# The dvd backends of the registry, each with its own options.
BACKENDS = backend_registry.for_module('dvd_iso')


def foreign_options(backend):
    """The options of the other dvd backends, which this one does not take."""
    own = BACKENDS[backend].argument_spec
    foreign = {}
    for other in BACKENDS.values():
        foreign.update((k, v) for k, v in other.argument_spec.items() if k not in own)
    return foreign


def check_backend_options(params, backend):
    """Refuse options of the other backend instead of silently ignoring them."""
    for name, spec in sorted(foreign_options(backend).items()):
        if params.get(name) != spec.get('default'):
            raise FedoraBuildError('%s: does not apply to backend %s.' % (name, backend))


def main():
    argument_spec = dict(backend=dict(type='str', choices=sorted(BACKENDS)))
    for backend in BACKENDS.values():
        argument_spec.update(backend.argument_spec)
    argument_spec.update(COMMON_ARGS)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True,
                           required_if=[('backend', 'pungi', ('kickstart', 'version')),
                                        ('backend', 'pungi-koji', ('version',))])
    backend = None
    try:
        # unset: the default dvd backend of the release being built (version)
        backend = module.params['backend'] or backend_registry.default_for('dvd', module.params.get('version')).name
        check_backend_options(module.params, backend)
        result = run_build(module, BACKENDS[backend].tool(), 'dvd_iso')
    except FedoraBuildError as exc:
        exc.fail(module, backend=backend)
    result['backend'] = backend
    module.exit_json(**result)


if __name__ == '__main__':
    main()
