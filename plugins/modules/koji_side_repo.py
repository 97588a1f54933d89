#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: koji_side_repo
short_description: Build a verified side repository from Koji builds, scratch tasks or tag heads
version_added: 0.1.0
description:
  - Resolves Koji builds (NVR or build ID), scratch-build task IDs and the latest build of packages in a tag with batched
    (multicall) API calls; every build must be C(COMPLETE), every task C(CLOSED).
  - Picks the signed copy of each RPM by the order of O(sigkeys) (build volumes are honoured), downloads in parallel with
    retries and backoff to temporary names, and verifies the whole file before it enters the cache or the repository.
    What C(rpmkeys --checksig --nosignature) checks (header structure, the signature header's SHA256, SHA1 and MD5
    digests, the payload digest), the header's NVRA against the file name, and Koji's records (size, payloadhash, the
    C(sighash) of the whole signature header of a signed copy, and the file's SHA256 from C(getRPMChecksums) where the
    hub has it); with O(gpgkeys) also the GPG signature via C(rpmkeys --checksig). Nothing unverified enters the
    repository.
  - Keeps a content-addressed cache, so a second run with the same inputs downloads nothing and reports no change.
  - Creates repodata with createrepo_c, writes C(koji-manifest.json) and a C(.repo) file whose side-repo stanza has a
    better priority than the distribution repos, plus C(excludepkgs=) lines on the O(base_repos) so that pinned builds win
    even against newer distribution builds (kickstart C(repo) only has C(--cost); use RV(exclude_packages) there).
author:
  - ondemand.fedora_build developers (@ondemand)
requirements:
  - koji (Python library) on the node, unless O(resolved) is given; on the controller for a login (O(auth) other than V(none))
  - rpm's C(rpmkeys) on the node when O(gpgkeys) is used
  - createrepo_c Python bindings or the C(createrepo_c) command on the node
extends_documentation_fragment:
  - ondemand.fedora_build.attributes
  - ondemand.fedora_build.attributes.ACTIONGROUP
attributes:
  check_mode:
    support: full
    details: Resolves everything on the hub and reports what would be downloaded (RV(would_download)) without downloading.
  diff_mode:
    support: full
    details: Shows the change to the C(.repo) file.
  idempotent:
    support: full
options:
  hub_url:
    description: URL of the Koji hub XML-RPC endpoint, e.g. C(https://koji.fedoraproject.org/kojihub). Overrides the profile's.
    type: str
  topurl:
    description: Top URL of Koji's file tree, e.g. C(https://kojipkgs.fedoraproject.org). Overrides the profile's.
    type: str
  koji_profile:
    description: Name of a koji client profile (as in C(koji -p NAME)) read from C(/etc/koji.conf), C(/etc/koji.conf.d/) and C(~/.koji/).
    type: str
  ca_cert:
    description:
      - CA bundle (PEM) used to verify the TLS certificates of the hub and the file server, for a hub whose certificate
        is not signed by a CA in the node's trust store (a private Koji). Like the koji CLI's C(serverca).
      - Taken from the profile's C(serverca) when O(koji_profile) is used and this is not set.
      - With a login (O(auth) other than V(none)) a path on the controller; its text goes to the node for the
        downloads (a CA certificate is no secret, see O(resolved)).
    type: path
  validate_certs:
    description:
      - Verify TLS certificates of the hub and the file server.
      - V(false) turns verification off completely (even with O(ca_cert)). Meant for tests only; never use it against
        a production hub.
    type: bool
    default: true
  auth:
    description:
      - How to log in to the hub. Reading builds needs no login, so the default is anonymous.
      - V(ssl) logs in with O(client_cert) (the hub takes the user name from the certificate's subject CN);
        V(kerberos) uses a GSSAPI ticket (needs the requests-gssapi Python library on the node; O(principal) and
        O(keytab) optional); V(password) uses O(username) and O(password), which only hubs configured for it accept
        (Fedora's hub does not).
      - After the run the module logs out again.
      - With a login the hub is asked from the controller and the login stays there (O(resolved)).
    type: str
    choices: [none, ssl, kerberos, password]
    default: none
  client_cert:
    description:
      - Client certificate for O(auth=ssl), one PEM file with the certificate and its private key (as the koji CLI's C(--cert)).
      - A path on the controller (the action plugin logs in there, see O(resolved)).
    type: path
  principal:
    description: Kerberos principal for O(auth=kerberos), e.g. C(builder@FEDORAPROJECT.ORG); the default credential cache otherwise.
    type: str
  keytab:
    description:
      - Kerberos keytab for O(auth=kerberos) with O(principal). A path on the controller (see O(resolved)).
      - The file may also hold the keytab's base64 text (what the AWX credential type writes, AWX stores text only); it is
        then decoded into a private scratch directory for the login and removed after it.
    type: path
  username:
    description: User name for O(auth=password).
    type: str
  password:
    description: Password for O(auth=password). Never shown in results or logs (C(no_log)).
    type: str
  builds:
    description:
      - Builds to include, each an NVR (C(name-version-release)) or a numeric build ID.
      - A build ID must fit the XML-RPC C(i8) the koji client sends (at most 9223372036854775807).
    type: list
    elements: raw
    default: []
  tasks:
    description:
      - Scratch-build task IDs (a C(build) task or one C(buildArch) subtask); their RPM output is used.
      - A task ID must fit the XML-RPC C(i8) the koji client sends (at most 9223372036854775807).
    type: list
    elements: int
    default: []
  tag_latest:
    description: Take the latest build of each listed package tagged in a Koji tag.
    type: list
    elements: dict
    default: []
    suboptions:
      tag:
        description: Koji tag name.
        type: str
        required: true
      packages:
        description: Package (build) names.
        type: list
        elements: str
        required: true
  arches:
    description:
      - Target architectures; C(noarch) is always added. Add C(i686) to an C(x86_64) list for multilib.
      - Defaults to the node's architecture.
    type: list
    elements: str
  exclude:
    description: Glob patterns on package names to leave out. The default drops debuginfo and debugsource packages.
    type: list
    elements: str
    default: ['*-debuginfo', '*-debugsource', '*-debuginfo-*', '*-debugsource-*']
  sigkeys:
    description:
      - Signing key IDs in order of preference (8 hex digits, as Koji names them). For each RPM the first key with a signed
        copy wins.
      - An empty string allows the unsigned copy at that place in the order; without it, an RPM without an acceptable
        signature is an error listing the builds.
      - When Koji records a signature for a key but its signed copy was never written (the file server answers 404),
        that RPM comes from the next key in this list with a signature, or from the unsigned copy where V("") comes
        next; the C(sigkey) of each entry of RV(packages) says which copy was used.
    type: list
    elements: str
    default: ['']
  gpgkeys:
    description:
      - ASCII-armoured public key files on the node. When given, every RPM must carry a valid signature by one of them
        (C(rpmkeys --checksig) in a private rpmdb), and the C(.repo) file enables C(gpgcheck) with these keys.
    type: list
    elements: path
    default: []
  dest:
    description: Directory of the side repository (C(Packages/), C(repodata/), C(koji-manifest.json)).
    type: path
    required: true
  cache_dir:
    description: Content-addressed download cache, shared between runs and repositories.
    type: path
    default: ~/.cache/ondemand-fedora_build/koji
  repo_name:
    description: Repository ID of the side repository in the C(.repo) file.
    type: str
    default: koji-side
  repo_file:
    description: Path of the C(.repo) file to write. Defaults to O(dest)/O(repo_name).repo.
    type: path
  repo_baseurl:
    description: C(baseurl) written for the side repository, when it is consumed from elsewhere than this node. Defaults to C(file://)O(dest).
    type: str
  priority:
    description: dnf priority of the side repository; lower wins, distribution repos default to 99.
    type: int
    default: 10
  base_repos:
    description:
      - Base (distribution) repositories to write into the same C(.repo) file with C(excludepkgs=) of every package the
        side repository carries, so the pinned builds win even where priorities are ignored.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Repository ID.
        type: str
        required: true
      description:
        description: Human-readable name.
        type: str
      baseurl:
        description: Base URL (exactly one of O(base_repos[].baseurl), O(base_repos[].metalink), O(base_repos[].mirrorlist)).
        type: str
      metalink:
        description: Metalink URL.
        type: str
      mirrorlist:
        description: Mirror list URL.
        type: str
      gpgkey:
        description: C(gpgkey) URL; enables C(gpgcheck).
        type: str
      gpgcheck:
        description: Enable C(gpgcheck) without a key URL.
        type: bool
        default: false
      priority:
        description: dnf priority of this base repository.
        type: int
        default: 99
  parallel:
    description: Number of parallel downloads.
    type: int
    default: 8
  retries:
    description: Retries per file (and per hub call) on transient errors, with exponential backoff.
    type: int
    default: 4
  backoff:
    description: First backoff delay in seconds; doubles with each retry.
    type: float
    default: 0.5
  timeout:
    description: Network timeout in seconds for hub calls and downloads.
    type: int
    default: 60
  createrepo:
    description: Which createrepo_c to use; C(auto) prefers the Python bindings and falls back to the command.
    type: str
    choices: [auto, bindings, cli]
    default: auto
  resolved:
    description:
      - Set by the action plugin on the controller; a node never needs the Koji login.
      - With a login (O(auth) other than V(none)) the action plugin logs in, resolves O(builds), O(tasks) and
        O(tag_latest) against the hub in the controller's process and logs out again, then runs the module on the
        node with this option (the hub and top URLs, the resolved builds, each package's acceptable copies with
        their Koji digests and URLs, and the text of the controller's O(ca_cert) as C(ca_pem)) and without O(auth),
        O(client_cert), O(principal), O(keytab), O(username), O(password), O(koji_profile), O(hub_url), O(topurl)
        and O(ca_cert). The node makes no hub call and needs no koji library;
        it downloads from the file server anonymously and verifies as without it.
      - Not meant to be set in a task; a malformed value fails with one sentence.
    type: dict
notes:
  - Run this module where the koji library is installed; on a Fedora node that is C(python3-koji). With a login the
    controller needs it too, and the node only for anonymous reads.
  - A login never reaches the node (see O(resolved)). With a login O(client_cert), O(keytab), O(ca_cert) and
    O(koji_profile) are read on the controller; the CA bundle's text goes to the node for the downloads. Anonymous
    reads (O(auth=none)) run entirely on the node, the paths and O(koji_profile) naming files there.
  - Koji stores the size of the unsigned copy only, so signed copies are checked by digest and signature, not size.
  - A cache entry is used only while its SHA256 is the one recorded after verification; a damaged or truncated entry
    is fetched again.
seealso:
  - name: koji download-build
    description: The koji CLI command this module replaces for image builds.
    link: https://docs.pagure.org/koji/
"""

EXAMPLES = r"""
- name: Side repo with a pinned build, a scratch build and the tag head of two packages
  ondemand.fedora_build.koji_side_repo:
    hub_url: https://koji.fedoraproject.org/kojihub
    topurl: https://kojipkgs.fedoraproject.org
    builds:
      - bash-5.2.26-3.fc40
      - 2412345
    tasks: [123456789]
    tag_latest:
      - tag: f41-updates-candidate
        packages: [systemd, dracut]
    arches: [x86_64]
    sigkeys: [e99d6ad1, ""]
    dest: /var/tmp/build/side-repo
    base_repos:
      - name: fedora
        metalink: https://mirrors.fedoraproject.org/metalink?repo=fedora-41&arch=x86_64
  register: side

- name: Signed copies only, verified against the Fedora key
  ondemand.fedora_build.koji_side_repo:
    koji_profile: koji
    builds: [kernel-6.11.4-301.fc41]
    sigkeys: [e99d6ad1]
    gpgkeys: [/etc/pki/rpm-gpg/RPM-GPG-KEY-fedora-41-x86_64]
    dest: /var/tmp/build/side-repo
"""

RETURN = r"""
repo_path:
  description: Directory of the side repository.
  returned: always
  type: str
  sample: /var/tmp/build/side-repo
repo_file:
  description: Path of the written C(.repo) file.
  returned: always
  type: str
  sample: /var/tmp/build/side-repo/koji-side.repo
packages:
  description: Every RPM in the side repository.
  returned: always
  type: list
  elements: dict
  sample:
    - nvra: bash-5.2.26-3.fc40.x86_64
      name: bash
      epoch: null
      version: 5.2.26
      release: 3.fc40
      arch: x86_64
      nvr: bash-5.2.26-3.fc40
      build_id: 2412345
      task_id: null
      sigkey: e99d6ad1
      sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
      size: 1843214
      url: https://kojipkgs.fedoraproject.org/packages/bash/5.2.26/3.fc40/data/signed/e99d6ad1/x86_64/bash-5.2.26-3.fc40.x86_64.rpm
      cached: false
builds:
  description: The resolved builds and tasks with the RPMs taken from each.
  returned: always
  type: list
  elements: dict
  sample:
    - nvr: bash-5.2.26-3.fc40
      build_id: 2412345
      task_id: 1234
      volume: DEFAULT
      source: build bash-5.2.26-3.fc40
      packages: [bash-5.2.26-3.fc40.x86_64]
bytes_downloaded:
  description: Bytes fetched from the file server in this run (0 when everything came from the cache).
  returned: always
  type: int
  sample: 1843214
cache_hits:
  description: Number of RPMs taken from the cache.
  returned: always
  type: int
  sample: 0
exclude_packages:
  description: Package names the side repository carries; exclude them from base repos (e.g. kickstart C(repo --excludepkgs=)).
  returned: always
  type: list
  elements: str
  sample: [bash]
would_download:
  description: URLs that would be downloaded (check mode only).
  returned: check mode
  type: list
  elements: str
  sample: [https://kojipkgs.fedoraproject.org/packages/bash/5.2.26/3.fc40/x86_64/bash-5.2.26-3.fc40.x86_64.rpm]
"""

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.ondemand.fedora_build.plugins.module_utils.builders import node_arch
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils import koji_client
from ansible_collections.ondemand.fedora_build.plugins.module_utils.side_repo import (
    SideRepo, assemble_side_repo, resolve_with_login)
from ansible_collections.ondemand.fedora_build.plugins.module_utils.side_repo_args import (
    argument_spec, check_resolved, given_base_repos, precheck)


def run(module):
    params = module.params
    precheck(params, module.argument_spec)
    if params['resolved'] is not None:
        # resolved on the controller (the action plugin): no hub contact, no login, no koji library here
        resolved = check_resolved(params['resolved'])
        if not resolved['ca_pem']:
            return assemble_side_repo(resolved, _repo(params), check_mode=module.check_mode)
        # the controller's CA bundle (ca_cert there), for the downloads over https
        handle, ca_file = tempfile.mkstemp(prefix='koji-ca.', suffix='.pem')
        try:
            with os.fdopen(handle, 'w') as out:
                out.write(resolved['ca_pem'])
            return assemble_side_repo(resolved, _repo(params, ca_file), check_mode=module.check_mode)
        finally:
            os.remove(ca_file)
    if not koji_client.HAS_KOJI:
        module.fail_json(msg=missing_required_lib('koji'), exception=str(koji_client.KOJI_IMPORT_ERROR))
    resolved = resolve_with_login(params, params['arches'] or [node_arch()])
    return assemble_side_repo(resolved, _repo(params), check_mode=module.check_mode)


def _repo(params, ca_cert=None):
    base_repos = given_base_repos(params)
    return SideRepo(params['dest'], params['cache_dir'], repo_name=params['repo_name'], repo_file=params['repo_file'],
                    repo_baseurl=params['repo_baseurl'], priority=params['priority'], base_repos=base_repos,
                    gpgkeys=params['gpgkeys'], parallel=params['parallel'], retries=params['retries'],
                    backoff=params['backoff'], timeout=params['timeout'], ca_cert=ca_cert or params['ca_cert'],
                    validate_certs=params['validate_certs'], createrepo=params['createrepo'])


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    try:
        result = run(module)
    except FedoraBuildError as exc:
        exc.fail(module)
    if not module._diff:
        result.pop('diff', None)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
