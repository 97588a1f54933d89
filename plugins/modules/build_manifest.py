#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: build_manifest
short_description: Write a build's build.json and Fedora-style CHECKSUM
version_added: 0.1.0
description:
  - Runs on the build node on a build's staging tree (the directory that becomes C(<staging>/<build_id>/)).
  - Writes C(build.json) first, from O(build) (request, resolved builds, exact argv, tool versions, timings,
    node, result), then C(CHECKSUM) covering every regular file below O(path), C(build.json) included.
  - 'C(CHECKSUM) has the format of Fedora''s own, as pungi writes it: for each file, sorted by relative path,
    the line C(# <relpath>: <size> bytes) then the line SHA256 (<relpath>) = <hex>. Files in subdirectories are listed by
    their relative path (C(logs/build.log)); C(CHECKSUM) itself, symlinks and special files are not listed.
    C(sha256sum -c CHECKSUM) in O(path) checks the whole tree.'
  - Both files are written to a temporary name and renamed, mode 0644, and only when their content changes.
author:
  - ondemand.fedora_build developers (@ondemand)
extends_documentation_fragment:
  - ondemand.fedora_build.attributes
  - ondemand.fedora_build.attributes.ACTIONGROUP
attributes:
  check_mode:
    support: full
    details: Computes both files (hashing what is on disk) and reports whether they would change; writes nothing.
  diff_mode:
    support: full
    details: Shows the changes to C(build.json) and C(CHECKSUM).
  idempotent:
    support: full
  platform:
    platforms: posix
options:
  path:
    description:
      - The build's staging tree directory; must exist.
    type: path
    required: true
  build:
    description:
      - The content of C(build.json), written as JSON with sorted keys and 2-space indent.
    type: dict
    required: true
  known_checksums:
    description:
      - Checksums the builder modules already computed (their C(artifacts)), so multi-GB images are not hashed twice.
      - Each entry has C(relpath) (relative to O(path)) or C(path) (absolute, below O(path)), C(size), C(sha256)
        and C(mtime), the file's modification time in seconds as read B(before) it was hashed.
      - An entry is trusted only when the file's size and mtime are still exactly those; an entry without
        C(mtime), or for a file that changed, is ignored and the file is hashed. RV(reused) lists the trusted ones.
      - Entries for files that do not exist are ignored.
    type: list
    elements: dict
    default: []
notes:
  - A file that changes while it is hashed fails the module (a build is still writing to the tree).
seealso:
  - module: ondemand.fedora_build.build_status
"""

EXAMPLES = r"""
- name: Write build.json and CHECKSUM into the staging tree
  ondemand.fedora_build.build_manifest:
    path: "{{ work_dir }}/stage/{{ build_id }}"
    build:
      build_id: "{{ build_id }}"
      request: "{{ request }}"
      resolved_builds: "{{ side_repo.builds | default([]) }}"
      argv: "{{ image.argv }}"
      tool_versions: "{{ image.tool_versions | default({}) }}"
      timings: {started: "{{ started }}", finished: "{{ now(utc=true).isoformat() }}"}
      node: "{{ inventory_hostname }}"
      result: {state: succeeded}
    known_checksums: "{{ image.artifacts }}"
  register: manifest
"""

RETURN = r"""
checksum_file:
  description: Path of the C(CHECKSUM) file.
  returned: success
  type: str
  sample: /var/lib/fedora-build/work/live-41-x86_64-0123456789ab/stage/CHECKSUM
build_json:
  description: Path of C(build.json).
  returned: success
  type: str
  sample: /var/lib/fedora-build/work/live-41-x86_64-0123456789ab/stage/build.json
files:
  description: Every file listed in C(CHECKSUM), sorted by relative path.
  returned: success
  type: list
  elements: dict
  contains:
    relpath:
      description: Path relative to O(path).
      type: str
      returned: success
    size:
      description: Size in bytes.
      type: int
      returned: success
    sha256:
      description: Hex sha256.
      type: str
      returned: success
  sample: [{relpath: Fedora-Live-41-x86_64.iso, size: 2398523392, sha256: 3f5a0e2e0e2d7a6f0e3b8c1d4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b}]
reused:
  description: Relative paths whose sha256 came from O(known_checksums) instead of being hashed.
  returned: success
  type: list
  elements: str
  sample: [Fedora-Live-41-x86_64.iso]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils import manifest


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', required=True),
            build=dict(type='dict', required=True),
            known_checksums=dict(type='list', elements='dict', default=[]),
        ),
        supports_check_mode=True,
    )
    try:
        result = manifest.write_manifest(module.params['path'], module.params['build'],
                                         module.params['known_checksums'], check_mode=module.check_mode)
    except FedoraBuildError as err:
        err.fail(module)
    except (IOError, OSError) as err:
        module.fail_json(msg='path: %s: %s.' % (err.filename or module.params['path'], err.strerror))
    diff = result.pop('diff')
    if module._diff and diff:
        result['diff'] = diff
    module.exit_json(**result)


if __name__ == '__main__':
    main()
