#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: kickstart
short_description: Prepare the flattened, validated kickstart a Fedora image builder gets
version_added: "0.1.0"
description:
  - Reads a kickstart from a path on the node or from an C(http), C(https) or C(ftp) URL, follows its C(%include) and
    top-level C(%ksappend) lines, and flattens it with pykickstart's parser and version handler; the result is what
    C(ksflatten) writes (commands in pykickstart's order, comments dropped, C(%pre), C(%post) and C(%packages) kept).
  - Relative C(%include) names are looked up beside the including file (its directory, or its URL), then in each
    O(include_path) directory. An include loop is refused.
  - "Includes are confined: C(%include) and C(%ksappend) read only inside the kickstart's own source (for a path on the
    node, the directory of O(src); for a URL, the same scheme, host and port and a path under the directory of O(src))
    and the O(include_path) directories. An absolute node path, C(..) out of them, a symlink leading out, another host,
    or a node path named by a kickstart read over a URL is refused in one sentence naming the file, the line and the
    include, before it is opened or fetched."
  - Adds, replaces and removes C(repo) lines, overrides C(url), injects the side repo made by
    M(ondemand.fedora_build.koji_side_repo) and adds C(--excludepkgs) of its pinned package names to every other repo,
    and adds or excludes C(%packages) entries.
  - Validates the result with the handler of O(version) (what C(ksvalidator) checks); an error names the file, the line
    and the problem. Deprecated commands and options are returned in RV(kickstart_warnings).
  - The module runs on the node; O(src) and O(include_path) are paths on the node. A kickstart kept on the controller is
    given as O(content) (read there, for example with the C(file) lookup), copied to the node first, or served over HTTP.
  - Writes O(dest) atomically and only when its content changes; without O(dest) nothing is written and the result says
    what the kickstart would be (its RV(sha256) and RV(identity_sha256)).
  - RV(identity_sha256) does not depend on where the side repo lies on the node, so a build ID computed from it is the
    same in every build slot.
author:
  - ondemand.fedora_build developers (@ondemand)
requirements:
  - pykickstart (python3-kickstart) on the node
extends_documentation_fragment:
  - ondemand.fedora_build.attributes
  - ondemand.fedora_build.attributes.ACTIONGROUP
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: Shows the old and the new content of O(dest).
  idempotent:
    support: full
options:
  src:
    description:
      - The kickstart to start from, a path on the node or an C(http://), C(https://) or C(ftp://) URL.
      - Every other URL scheme is refused.
      - Exactly one of O(src) and O(content) is required.
      - A URL may carry credentials (C(https://user:password@host/...)); they are sent as HTTP Basic authentication
        (FTP login for C(ftp://)) to that URL's own host only, and never appear in results, messages, warnings or the
        echoed module arguments (the password is masked like a C(no_log) value). Labels in results and messages show
        URLs without their user information.
    type: str
  url_username:
    description:
      - The user name for O(src), a URL given without user information (as the playbooks pass it, so that the
        normalized request in every controller task result holds no credential). Sent as O(src)'s user information
        would be, with the same care.
      - Plain text, not percent-encoded. Only with an C(http://), C(https://) or C(ftp://) O(src).
    type: str
  url_password:
    description:
      - The password for O(src), as O(url_username). A C(no_log) option.
    type: str
  content:
    description:
      - The kickstart's text itself, instead of O(src); for example a kickstart kept on the controller, read there.
      - It has no directory of its own, so its relative C(%include) and C(%ksappend) names are looked up in
        O(include_path) only.
      - Not logged (a kickstart may hold a root password); the size limit O(max_size) and O(checksum) apply to its UTF-8
        bytes as to a file's.
    type: str
    version_added: 0.4.0
  content_label:
    description:
      - How messages and RV(sources) name O(content), for example the controller path it was read from.
    type: str
    default: content
    version_added: 0.4.0
  checksum:
    description:
      - Expected checksum of O(src) (or O(content)) as C(sha256:<64 hex digits>); the run fails when it differs.
    type: str
  include_path:
    description:
      - Directories on the node searched, in order, for relative C(%include) and C(%ksappend) names that are not found
        beside the including file, for example a checkout of Fedora's spin-kickstarts.
      - With the directory of O(src) (or its URL), the only places includes may read from. Set by the operator; the
        C(build) role fills it from C(fedora_build_kickstart_include_path), never from a request.
    type: list
    elements: path
    default: []
  node_repo_dirs:
    description:
      - Directories on the node that the kickstart's own installation sources may name. With it, a C(repo --baseurl),
        C(url), C(liveimg), C(ostreesetup) or C(ostreecontainer) source that is a C(file://) URL or an absolute path
        must lie inside one of them (judged on the decoded path, no C(..)), and C(harddrive) is refused, each in one
        sentence before anything is built. The repositories this module adds (O(repos), O(side_repo)) are the
        caller's and are not held to it.
      - Unset (the default), a kickstart may name any node path. Set by the operator; the C(build) role fills it from
        C(fedora_build_node_repo_dirs) (empty by default), never from a request.
    type: list
    elements: path
    version_added: 0.4.0
  version:
    description:
      - Kickstart syntax version used to parse and validate, such as C(F41), C(DEVEL) or C(RHEL9), or a Fedora release
        number such as C(41), or C(rawhide) (= C(DEVEL)).
      - A release newer than the installed pykickstart knows is validated with C(DEVEL) and reported in RV(kickstart_warnings).
      - When omitted, the C(#version=) line of O(src) is used, else C(DEVEL).
    type: str
  repos:
    description:
      - Repos to add. A repo with the same name as one in the kickstart replaces it.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Repo name (letters, digits, C(.), C(_), C(+), C(-)).
        type: str
        required: true
      baseurl:
        description:
          - Repo URL (C(http), C(https), C(ftp), C(file) or C(nfs)).
          - Exactly one of O(repos[].baseurl), O(repos[].metalink) and O(repos[].mirrorlist) is required.
        type: str
      metalink:
        description: C(--metalink) URL (C(http) or C(https)), e.g. Fedora's C(https://mirrors.fedoraproject.org/metalink?repo=fedora-41&arch=x86_64).
        type: str
        version_added: 0.2.0
      mirrorlist:
        description: C(--mirrorlist) URL (C(http) or C(https)).
        type: str
        version_added: 0.2.0
      cost:
        description: C(--cost) of the repo; lower wins between identical packages.
        type: int
      includepkgs:
        description: C(--includepkgs) names or globs.
        type: list
        elements: str
        default: []
      excludepkgs:
        description: C(--excludepkgs) names or globs.
        type: list
        elements: str
        default: []
  remove_repos:
    description:
      - Names of repos to drop from the kickstart; a name that is not there is reported in RV(kickstart_warnings).
    type: list
    elements: str
    default: []
  url:
    description:
      - Replaces the installation source (the C(url) command; C(--mirrorlist) and C(--metalink) are dropped).
    type: str
  side_repo:
    description:
      - The side repo produced by M(ondemand.fedora_build.koji_side_repo), so that its pinned builds win.
      - It is added as a C(repo) line (replacing one of the same name), and C(--excludepkgs=<packages>) is added to every
        other repo line, because the kickstart C(repo) command has C(--cost) but no priority. The C(url) installation
        source cannot carry excludes; when it is set, a warning says so.
      - From a registered M(ondemand.fedora_build.koji_side_repo) result C(side), pass C(baseurl) as
        C(file://{{ side.repo_path }}) and C(packages) as C({{ side.exclude_packages }}) (names) or
        C({{ side.packages }}) (its package dicts; their C(name) is used). The pinned packages are not added to
        C(%packages); use O(packages) for that.
    type: dict
    suboptions:
      name:
        description: Repo name.
        type: str
        required: true
      baseurl:
        description: Repo URL on the node, normally C(file:///...).
        type: str
        required: true
      cost:
        description: C(--cost) of the side repo.
        type: int
      packages:
        description:
          - Names of the pinned packages, excluded from every other repo (not NVRs).
          - An item may also be a mapping with a C(name) key, as in koji_side_repo's RV(ondemand.fedora_build.koji_side_repo#module:packages).
        type: list
        elements: raw
        default: []
  packages:
    description:
      - Entries to add to C(%packages) (names, globs, C(@group) or C(@^environment)). An entry that the kickstart excludes
        is no longer excluded.
    type: list
    elements: str
    default: []
  exclude_packages:
    description:
      - Entries to exclude in C(%packages) (written with a leading C(-)); an entry the kickstart adds is removed.
    type: list
    elements: str
    default: []
  dest:
    description:
      - Where to write the final kickstart on the node. Its directory must exist.
      - Without it nothing is written (the result is not changed); it still holds RV(sha256) and RV(identity_sha256).
    type: path
  strict:
    description:
      - When V(true), pykickstart parse warnings (for example a second C(part /)) fail the run, as C(ksvalidator) does.
      - When V(false), they are returned in RV(kickstart_warnings) with file and line. Deprecation warnings never fail.
    type: bool
    default: false
  timeout:
    description: Seconds to wait for each remote read.
    type: int
    default: 30
  max_size:
    description: Largest accepted size in bytes of each file read (O(src), includes, appends).
    type: int
    default: 1048576
  validate_certs:
    description: Verify TLS certificates of C(https) sources.
    type: bool
    default: true
notes:
  - The flattened output equals C(ksflatten -v <version> -c <src>) for kickstarts without C(%ksappend); with C(%ksappend)
    it equals C(ksflatten) of the preprocessed file (the text C(ksvalidator) and anaconda parse), since C(ksflatten)
    alone drops C(%ksappend) lines.
  - C(%ksappend) is processed in O(src) only, as anaconda does.
seealso:
  - module: ondemand.fedora_build.koji_side_repo
"""

EXAMPLES = r"""
- name: Copy a controller-side kickstart tree to the node
  ansible.builtin.copy:
    src: kickstarts/
    dest: /var/lib/fedora-build/job42/ks/
    mode: "0644"

- name: Prepare the workstation spin with the side repo winning over Fedora's repos
  ondemand.fedora_build.kickstart:
    src: /var/lib/fedora-build/job42/ks/fedora-live-workstation.ks
    include_path:
      - /usr/share/spin-kickstarts
    version: "41"
    side_repo:
      name: koji-side
      baseurl: "file://{{ side.repo_path }}"
      cost: 10
      packages: "{{ side.exclude_packages }}"
    remove_repos:
      - updates-testing
    packages:
      - vim-enhanced
    exclude_packages:
      - gnome-tour
    dest: /var/lib/fedora-build/job42/final.ks

- name: The build ID's kickstart part of a controller's kickstart, without writing anything on the node
  ondemand.fedora_build.kickstart:
    content: "{{ lookup('ansible.builtin.file', '/srv/kickstarts/live.ks', rstrip=false) }}"
    content_label: /srv/kickstarts/live.ks
    include_path:
      - /usr/share/spin-kickstarts
    side_repo:
      name: koji-side
      baseurl: "file://{{ side.repo_path }}"
      packages: "{{ side.exclude_packages }}"
  check_mode: true
  register: ks

- name: Start from a published kickstart, checked against its checksum
  ondemand.fedora_build.kickstart:
    src: https://pagure.io/fedora-kickstarts/raw/f41/f/fedora-live-base.ks
    checksum: "sha256:0000000000000000000000000000000000000000000000000000000000000000"
    include_path:
      - /srv/spin-kickstarts
    url: http://mirror.example.org/fedora/releases/41/Everything/x86_64/os/
    dest: /var/lib/fedora-build/job43/final.ks
"""

RETURN = r"""
dest:
  description: Path of the written kickstart (null without O(dest)).
  returned: success
  type: str
  sample: /var/lib/fedora-build/job42/final.ks
sha256:
  description: sha256 of the final kickstart text.
  returned: success
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
identity_sha256:
  description:
    - sha256 of the final kickstart text with the side repo's C(--baseurl) written as C(file:///fedora-build/side-repo),
      so that it does not depend on where the side repo lies on the node (the build slot's directory); the same as
      RV(sha256) without O(side_repo). Everything else of the text, the side repo's name, cost and excludes included,
      is in it; what the side repo holds is not (a build ID covers the pinned packages themselves).
  returned: success
  type: str
  sample: 2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae
  version_added: 0.4.0
version:
  description: The pykickstart handler used, C(DEVEL) resolved to its Fedora release.
  returned: success
  type: str
  sample: F41
sources:
  description: Every file read, O(src) first, then appends and includes in reading order.
  returned: success
  type: list
  elements: str
  sample: [/ks/fedora-live-workstation.ks, /ks/fedora-live-base.ks, /ks/fedora-repo.ks]
repos:
  description: The repo lines of the final kickstart.
  returned: success
  type: list
  elements: dict
  sample:
    - {name: fedora, baseurl: null, mirrorlist: "https://mirrors.fedoraproject.org/mirrorlist?repo=fedora-41&arch=x86_64",
       metalink: null, cost: null, includepkgs: [], excludepkgs: [bash]}
    - {name: side, baseurl: "file:///var/lib/fedora-build/job42/side", mirrorlist: null, metalink: null, cost: 10,
       includepkgs: [], excludepkgs: []}
packages_added:
  description: Entries of O(packages) that the kickstart did not already install.
  returned: success
  type: list
  elements: str
  sample: [vim-enhanced]
kickstart_warnings:
  description:
    - Also shown as Ansible warnings (Ansible reserves the C(warnings) result key, so the list is returned under this name).
    - Deprecated commands or options for the version, parse warnings (unless O(strict)), and notes about the
      requested changes, each naming the file and line where known.
  returned: always
  type: list
  elements: str
  sample: ["/ks/spin.ks line 12: Ignoring deprecated command on line 12: The module command has been deprecated ..."]
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils import kickstart as ks
from ansible_collections.ondemand.fedora_build.plugins.module_utils.kickstart_fetch import url_secrets, with_credentials


def argument_spec():
    """The module's argument spec (matches DOCUMENTATION)."""
    return dict(
        src=dict(type='str'),
        content=dict(type='str', no_log=True),
        content_label=dict(type='str', default='content'),
        checksum=dict(type='str'),
        include_path=dict(type='list', elements='path', default=[]),
        node_repo_dirs=dict(type='list', elements='path'),
        version=dict(type='str'),
        repos=dict(type='list', elements='dict', default=[], options=dict(
            name=dict(type='str', required=True),
            baseurl=dict(type='str'),
            metalink=dict(type='str'),
            mirrorlist=dict(type='str'),
            cost=dict(type='int'),
            includepkgs=dict(type='list', elements='str', default=[]),
            excludepkgs=dict(type='list', elements='str', default=[]),
        )),
        remove_repos=dict(type='list', elements='str', default=[]),
        url=dict(type='str'),
        side_repo=dict(type='dict', options=dict(
            name=dict(type='str', required=True),
            baseurl=dict(type='str', required=True),
            cost=dict(type='int'),
            packages=dict(type='list', elements='raw', default=[]),
        )),
        packages=dict(type='list', elements='str', default=[]),
        exclude_packages=dict(type='list', elements='str', default=[]),
        dest=dict(type='path'),
        strict=dict(type='bool', default=False),
        timeout=dict(type='int', default=30),
        max_size=dict(type='int', default=1048576),
        validate_certs=dict(type='bool', default=True),
        url_username=dict(type='str'),
        url_password=dict(type='str', no_log=True),
    )


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True,
                           mutually_exclusive=[('src', 'content')], required_one_of=[('src', 'content')])
    # The user information of a src URL (user:password@) is a secret: Ansible masks it in every result,
    # message and the echoed module arguments.
    # url_username/url_password: the same credentials given apart from the URL (as the playbooks pass them).
    params = dict(module.params)
    try:
        params['src'] = with_credentials(params['src'], params.pop('url_username'), params.pop('url_password'))
    except FedoraBuildError as exc:
        exc.fail(module)
    module.no_log_values.update(url_secrets(params['src'] or ''))
    if not ks.HAS_PYKICKSTART:
        module.fail_json(msg=missing_required_lib('pykickstart'), exception=str(ks.PYKICKSTART_IMPORT_ERROR))
    try:
        result, diff = ks.run(params, check_mode=module.check_mode)
    except FedoraBuildError as exc:
        exc.fail(module)
    # Ansible reserves the 'warnings' key (shown, then removed from the result): warn through
    # module.warn so users see them, and return the same list as kickstart_warnings for playbooks.
    notes = result.pop('warnings')
    for note in notes:
        module.warn(note)
    result['kickstart_warnings'] = notes
    if module._diff and result['changed'] and diff:
        result['diff'] = diff
    module.exit_json(**result)


if __name__ == '__main__':
    main()
