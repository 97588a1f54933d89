#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: content_check
short_description: Check the pinned Koji builds inside a built image and write its SBOM
version_added: 0.1.0
description:
  - Runs on the build node after the builder module, before staging, on the image where the builder left it; the
    image is read in place, never copied whole and never mounted.
  - Reads the image's package set from the artifact itself, from the source the backend declares in the registry
    (docs/builders.md), V(package-log) for lorax (C(/root/lorax-packages.log) in C(images/install.img)), V(rpmdb)
    for livemedia-creator (the RPM database in C(LiveOS/squashfs.img) of the live ISO, read at its offset inside the
    ISO, or in the ext4 C(LiveOS/rootfs.img) inside it; a disk image's ext4 root filesystem), V(kiwi) (kiwi's
    C(<image>.packages)) and V(repodata) for pungi (the install tree's repodata, each pinned file in C(Packages/)
    hashed).
  - Compares it with the side repo's C(koji-manifest.json), each pinned package the image holds must be exactly the
    pinned NEVRA (with the pinned header digest and signing key where the source has them).
  - Writes C(contents.json) and an SPDX 2.3 C(sbom.spdx.json) into O(dest), each to a temporary name, read back and
    renamed (docs/pipeline.md).
  - Fails, after writing both files, when a pinned build is shadowed by another build of the same package (one
    sentence naming the package, the pinned NEVRA and the one found), and when one is absent under O(absent=error).
author:
  - ondemand.fedora_build developers (@ondemand)
extends_documentation_fragment:
  - ondemand.fedora_build.attributes
  - ondemand.fedora_build.attributes.ACTIONGROUP
attributes:
  check_mode:
    support: full
    details: Reads the image and returns the record; writes neither file.
  diff_mode:
    support: none
  idempotent:
    support: partial
    details: The record is the same for the same image; the SBOM gets a new document namespace and time on every run.
  platform:
    platforms: posix
options:
  backend:
    description:
      - The builder backend that made the image (the request's C(builder.backend), a name of the backend registry); its
        declaration says where the package set is read.
    type: str
    required: true
  artifacts:
    description:
      - The builder module's RV(ondemand.fedora_build.live_image#module:artifacts), each with C(kind), C(name),
        C(path) (absolute, on the node) and C(sha256).
    type: list
    elements: dict
    required: true
  manifest:
    description:
      - The side repo's C(koji-manifest.json); without it nothing is pinned (C(0 of 0)) and only the SBOM says what
        the image holds.
    type: path
  dest:
    description:
      - The directory that gets C(contents.json) and C(sbom.spdx.json) (the build tree that is staged).
    type: path
    required: true
  work_dir:
    description:
      - A directory for what must be extracted (the RPM database, an ext4 C(rootfs.img)); removed afterwards.
    type: path
    required: true
  absent:
    description:
      - What a pinned package the image does not hold is, V(report) (listed as C(absent)) or V(error) (fails the
        check).
    type: str
    default: report
    choices: [report, error]
  build_id:
    description:
      - The build ID, the SBOM document's name.
    type: str
  tool_version:
    description:
      - The collection version, named in the SBOM's creator.
    type: str
    default: ''
requirements:
  - On the node, C(unsquashfs), C(xorriso), C(debugfs), C(rpm) (and C(zstd) for zstd-compressed repodata).
seealso:
  - module: ondemand.fedora_build.build_manifest
  - module: ondemand.fedora_build.koji_side_repo
"""

EXAMPLES = r"""
- name: Check the pinned builds in the image
  ondemand.fedora_build.content_check:
    backend: livemedia-creator
    artifacts: "{{ build_result.artifacts }}"
    manifest: "{{ side.repo_path }}/koji-manifest.json"
    dest: "{{ pipe }}/tree"
    work_dir: "{{ pipe }}"
    absent: report
    build_id: "{{ build_id }}"
  register: contents
"""

RETURN = r"""
contents:
  description: The summary the build record keeps.
  returned: success and failure
  type: dict
  contains:
    verified:
      description: Pinned builds found exactly in the image.
      type: int
      returned: always
    total:
      description: Pinned builds.
      type: int
      returned: always
    counts:
      description: Pinned builds per status, C(installed), C(shadowed), C(absent).
      type: dict
      returned: always
    source:
      description: Where the package set was read (V(rpmdb), V(package-log), V(kiwi), V(repodata)).
      type: str
      returned: always
    packages:
      description: Packages found in the image.
      type: int
      returned: always
    summary:
      description: C(N of M pinned builds verified in the image).
      type: str
      returned: always
    absent:
      description: The O(absent) policy applied.
      type: str
      returned: always
  sample: {verified: 1, total: 1, counts: {installed: 1, shadowed: 0, absent: 0}, source: rpmdb, packages: 412,
           summary: 1 of 1 pinned builds verified in the image, absent: report}
pinned:
  description: One entry per pinned package, as in C(contents.json).
  returned: success and failure
  type: list
  elements: dict
  sample: [{nevra: bash-5.2.32-1.fc41.x86_64, name: bash, arch: x86_64, sigkey: a15b79cc, status: installed,
            found: [bash-5.2.32-1.fc41.x86_64]}]
source:
  description: The content source of the backend.
  returned: success and failure
  type: str
  sample: rpmdb
path:
  description: Path of C(contents.json).
  returned: success and failure
  type: str
  sample: /var/lib/fedora-build/work/rq-0123456789ab/tree/contents.json
sbom:
  description: Path of C(sbom.spdx.json).
  returned: success and failure
  type: str
  sample: /var/lib/fedora-build/work/rq-0123456789ab/tree/sbom.spdx.json
sbom_packages:
  description: RPM packages the SBOM lists.
  returned: success and failure
  type: int
  sample: 412
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ondemand.fedora_build.plugins.module_utils import backend_registry, content_check
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError


def main():
    module = AnsibleModule(argument_spec=content_check.ARGUMENT_SPEC, supports_check_mode=True)

    def run(argv):
        return module.run_command(argv, environ_update=dict(LC_ALL='C'))

    try:
        result = content_check.run_module(module, run, backend_registry.get)
    except FedoraBuildError as exc:
        exc.fail(module)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
