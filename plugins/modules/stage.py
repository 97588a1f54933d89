#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: stage
short_description: Stage a finished build tree to a local directory, an SSH host or an FTP server, verified and atomic
version_added: 0.1.0
description:
  - Copies the staging tree of one build (O(src), with a Fedora-style C(CHECKSUM) listing every file) to
    C(<path>/.<build_id>.partial/) on the target, checks every file against C(CHECKSUM) (sha256 and size) as it arrives,
    and only then renames the directory to C(<path>/<build_id>). Each file also travels under a temporary name
    C(.<name>.<random>.tmp) and gets its real name only after its check, so nothing half-written ever carries a final name.
  - A re-run skips what is already there. A file under its real name in the partial directory (left by an interrupted
    run) counts only when its sha256 is the one C(CHECKSUM) lists, never on its size alone; the target hashes it
    (C(ftp) reads it back), and a file with other content is sent again. A final C(<build_id>) directory whose C(CHECKSUM) equals the
    source's byte for byte, with every listed file at its listed size, is taken as staged without hashing the images
    again (use O(verify_existing) to hash it all). An existing C(<build_id>) with other content (for example a failed
    build's logs) is replaced by the new tree in two renames; the old tree is removed afterwards.
  - Bytes are streamed, never held in memory or base64-encoded. C(ssh) and C(ftp) targets are written from the host the
    module runs on. With O(src_host) (what the build role does, the module running on the controller) the files are
    relayed, each coming from the build node as the standard output of C(ssh node cat -- FILE) and going on to the
    target as it arrives, never stored on the controller (small files are gathered in a temporary file first, one
    C(cat) for all), so the target's login stays on the controller and never reaches a build node.
    C(ssh) targets are written over one multiplexed ssh connection, with strict host key checking. A file of 8 MiB or
    more is ssh's standard input directly; smaller files (and C(CHECKSUM)) go together in one call that also renames
    the directory and the pointer. On the staging host a small C(python3) receiver writes the bytes to the temporary
    name while hashing them (1 MiB blocks, the CPU's SHA instructions through OpenSSL), so the staging host checks exactly
    what it wrote; without C(python3) it falls back to C(tee TMP | sha256sum) plus C(stat) per file.
    C(ftp) targets are uploaded with C(STOR) in 1 MiB blocks and read back with C(RETR), hashed
    block by block. C(local) targets are directories on the host the module runs on, normally
    the controller (C(delegate_to=localhost)); with O(src_host) the files are pulled from the build node with
    C(ssh node cat -- FILE), ssh writing the temporary file itself while the module hashes it behind ssh from the
    page cache (small files together in one C(cat), split by their sizes); without it O(src) is local and is
    copied while hashing (a reflink where the filesystem shares extents, then hashed once). Never a hard link, so staged
    files are their own inodes with mode C(0644), directories C(0755), whatever the build tree's modes and the umask.
  - Nothing is written through a symbolic link staging did not make. Below O(target.path) (the operator's directory),
    C(<build_id>), C(.<build_id>.partial) and every directory in it are opened without following links (C(O_NOFOLLOW)
    and directory file descriptors locally and in the C(python3) receivers; C([ -L ]) checks and one C(mkdir) per
    directory in the C(sh) fallback); a link at any of those names fails the staging with one sentence.
  - The O(latest) pointer is a symlink replaced by a rename (local, ssh) or a small file holding the build ID, replaced
    by C(RNFR)/C(RNTO) (ftp).
  - Errors are one sentence naming the target (never the password), for example an FTP server refusing writes, out of
    space (C(552)), an unreachable host or a host key mismatch.
author:
  - ondemand.fedora_build developers (@ondemand)
requirements:
  - C(ssh) on the host the module runs on for C(ssh) targets and for O(src_host).
  - C(sh), C(stat), C(find), C(mv -T) (GNU coreutils/findutils) and preferably C(python3) (else C(tee) and
    C(sha256sum)) on an SSH staging host.
extends_documentation_fragment:
  - ondemand.fedora_build.attributes
  - ondemand.fedora_build.attributes.ACTIONGROUP
attributes:
  check_mode:
    support: full
    details: Inspects the target and reports what would be transferred (RV(would_transfer), RV(bytes_to_transfer)); writes nothing.
  diff_mode:
    support: full
    details: Shows the change of the O(latest) pointer.
  idempotent:
    support: full
options:
  src:
    description:
      - Directory holding the complete staging tree of one build, with its C(CHECKSUM) (lines C(SHA256 (relpath) = hex),
        optional comments C(# relpath) followed by a colon and C(N bytes); relative paths may include subdirectories).
      - Only the files listed in C(CHECKSUM), and C(CHECKSUM) itself, are staged.
      - A path on the host the module runs on, or on O(src_host) when that is given.
      - Required, except to check a staged build in place (check mode with O(verify_existing), without O(latest),
        O(restore_latest) and O(src_host)); the staged C(<build_id>) is then checked against its own C(CHECKSUM), every
        file hashed. The answer is RV(already_staged), with RV(would_transfer) naming the files missing or differing
        (C(CHECKSUM) when it is missing or unreadable as one); it is not a failure. A target that cannot be read fails.
    type: path
  build_id:
    description: The build ID (see docs/pipeline.md); the name of the staged directory.
    type: str
    required: true
  target:
    description: Where to stage.
    type: dict
    required: true
    suboptions:
      type:
        description:
          - C(local) a directory on the host the module runs on; C(ssh) a directory on a host reached over SSH; C(ftp) a
            directory on an FTP server. C(ssh) and C(ftp) are written from the host the module runs on (with O(src_host),
            the controller, relaying the node's files).
        type: str
        required: true
        choices: [local, ssh, ftp]
      path:
        description: Staging directory (absolute for C(local) and C(ssh); for C(ftp) a path on the server, default C(/)).
        type: str
        required: true
      host:
        description: Host name or address (C(ssh), C(ftp)).
        type: str
      port:
        description: TCP port (default 22 for C(ssh), 21 for C(ftp)).
        type: int
      user:
        description: Login name (default C(root) for C(ssh), C(anonymous) for C(ftp)).
        type: str
      identity_file:
        description: SSH private key (C(ssh)).
        type: path
      known_hosts_file:
        description: known_hosts file with the staging host's key (C(ssh)). Host key checking is always strict.
        type: path
      ssh_args:
        description:
          - Extra ssh command-line arguments (C(ssh)), e.g. C([-o, ProxyJump=bastion]). Options that would weaken host key
            checking or run local commands (C(StrictHostKeyChecking), C(UserKnownHostsFile), C(ProxyCommand),
            C(LocalCommand), ...) are refused.
        type: list
        elements: str
      password:
        description: FTP password (C(ftp)). Never logged or returned.
        type: str
      password_env:
        description: Name of an environment variable on the host the module runs on holding the FTP password, used when O(target.password) is not given.
        type: str
      tls:
        description: Use explicit FTPS (C(AUTH TLS), protected data channel) (C(ftp)).
        type: bool
        default: false
      ca_cert:
        description: CA bundle to verify the FTPS server certificate.
        type: path
      validate_certs:
        description: Verify the FTPS server certificate.
        type: bool
        default: true
  latest:
    description:
      - Name of the pointer to update to this build, e.g. C(latest-boot-41-x86_64). Omit to leave pointers alone.
      - Never updated when O(failed=true).
    type: str
  restore_latest:
    description:
      - Undo this build's move of the pointer O(latest), for example when a later staging target failed after this one's
        pointer had moved. While O(latest) still names O(build_id), it is pointed back at this build ID, or removed when
        this is the empty string (the pointer did not exist before). A pointer another build has moved since is left
        alone.
      - Nothing is transferred and O(src) is not read. Needs O(latest).
    type: str
    version_added: 0.2.0
  failed:
    description:
      - The tree is a failed build's (logs, C(build.json), C(CHECKSUM), no images); it is staged but O(latest) is not
        touched.
      - It never replaces a built tree of the same O(build_id) (one whose C(CHECKSUM) names files under C(output/), as
        after a failed C(force) rebuild). That tree is kept, nothing is transferred and RV(kept_staged) is true.
    type: bool
    default: false
  src_host:
    description:
      - When the module runs on the controller and O(src) is on a build node, the node's SSH connection, usually taken
        from its inventory variables. A C(local) target pulls from it; C(ssh) and C(ftp) targets get the files relayed
        (streamed from the node through the controller). Omit when O(src) is on the host the module runs on.
    type: dict
    suboptions:
      host:
        description: Node address.
        type: str
        required: true
      port:
        description: SSH port.
        type: int
        default: 22
      user:
        description: SSH user.
        type: str
        default: root
      identity_file:
        description: SSH private key.
        type: path
      known_hosts_file:
        description: known_hosts file with the node's key. Host key checking is always strict.
        type: path
      ssh_args:
        description:
          - Extra ssh arguments, with the same restrictions as O(target.ssh_args). C(-J) and C(ProxyJump) reach a node
            behind a jump host.
        type: list
        elements: str
      proxy_command:
        description:
          - ssh's C(ProxyCommand) for a node Ansible reaches through one (from the node's C(ansible_ssh_common_args), see
            the P(ondemand.fedora_build.ssh_source#filter) filter). A command run on the host the module runs on; only
            for the operator's inventory, never from a request (the build role takes O(src_host) from the node's host
            variables only).
        type: str
  connect_timeout:
    description: Seconds to wait for an SSH or FTP connection.
    type: int
    default: 30
  timeout:
    description: Seconds of silence after which an FTP transfer or a short remote command is given up.
    type: int
    default: 300
  verify:
    description:
      - Check every transferred file's sha256 against C(CHECKSUM). With V(false) only sizes are checked (FTP then skips the
        read-back).
    type: bool
    default: true
  verify_existing:
    description: Hash every file of an already staged C(<build_id>) again instead of trusting its C(CHECKSUM) and sizes; restage on any difference.
    type: bool
    default: false
notes:
  - FTP verification reads each file back after storing it. Server-side hash commands (C(HASH), C(XSHA256)) are not used -
    they are a draft extension few servers implement alike, and reading back checks what the server really stored.
  - The SSH staging host hashes the bytes while it writes them and checks the size; a short write (e.g. a full disk) is
    reported as out of space or a size mismatch, never as a staged file. Files are C(fsync)ed before they get their name.
  - SSH connections prefer AES-GCM (hardware-accelerated on x86_64 and most aarch64) over OpenSSH's first choice
    chacha20-poly1305; the list holds only OpenSSH default ciphers, in another order. C(-c) or C(Ciphers) in
    O(target.ssh_args) / O(src_host.ssh_args) replace it.
  - Throughput, measured by C(bench/staging_bench.py) for a 2 GiB file on the lab, is on par with plain C(scp) and
    C(rsync) of the same file, verification included.
  - Files under O(src) that C(CHECKSUM) does not list are not staged.
  - The C(build) role checks a staged build before it reuses it with O(src) omitted (check mode, O(verify_existing)).
seealso:
  - name: Staging layout
    description: docs/pipeline.md in this collection.
    link: https://github.com/ondemand/fedora_build/blob/main/docs/pipeline.md
"""

EXAMPLES = r"""
- name: Relay a node's build tree to the staging host over SSH (the key stays on the controller)
  ondemand.fedora_build.stage:
    src: /var/tmp/fedora-build/work/live-41-x86_64-0123456789ab/stage
    build_id: live-41-x86_64-0123456789ab
    latest: latest-live-41-x86_64
    src_host:
      host: builder1.example.org
      user: builder
      known_hosts_file: /etc/fedora-build/known_hosts
    target:
      type: ssh
      host: staging.example.org
      user: stage
      path: /srv/staging
      identity_file: /etc/fedora-build/stage_ed25519
      known_hosts_file: /etc/fedora-build/known_hosts
  delegate_to: localhost

- name: Put latest back where it was (a later target failed after this one's pointer moved)
  ondemand.fedora_build.stage:
    src: /var/tmp/fedora-build/work/slot-0/tree
    build_id: boot-41-x86_64-0123456789ab
    latest: latest-boot-41-x86_64
    restore_latest: boot-41-x86_64-ba9876543210
    target:
      type: ssh
      host: staging.example.org
      user: stage
      path: /srv/staging

- name: Is a staged build still intact? (every file hashed against its CHECKSUM; nothing written)
  ondemand.fedora_build.stage:
    build_id: boot-41-x86_64-0123456789ab
    target:
      type: local
      path: /srv/staging
    verify_existing: true
  check_mode: true
  register: staged
  # staged.already_staged: intact; else staged.would_transfer names the files missing or differing

- name: Upload to FTP, password from the environment of the node
  ondemand.fedora_build.stage:
    src: /var/tmp/fedora-build/work/boot-41-x86_64-0123456789ab/stage
    build_id: boot-41-x86_64-0123456789ab
    latest: latest-boot-41-x86_64
    target:
      type: ftp
      host: ftp.example.org
      user: stage
      password_env: FEDORA_BUILD_FTP_PASSWORD
      path: /pub/staging
      tls: true

- name: Pull into a directory on the controller
  ondemand.fedora_build.stage:
    src: "{{ build_stage_dir }}"
    build_id: "{{ build_id }}"
    latest: "latest-{{ image_type }}-{{ release }}-{{ arch }}"
    target:
      type: local
      path: /srv/staging
    src_host:
      host: "{{ ansible_host | default(inventory_hostname) }}"
      port: "{{ ansible_port | default(22) }}"
      user: "{{ ansible_user | default('root') }}"
      identity_file: "{{ ansible_ssh_private_key_file | default(omit) }}"
      known_hosts_file: /etc/fedora-build/known_hosts
  delegate_to: localhost

- name: Stage a failed build's logs (no latest update)
  ondemand.fedora_build.stage:
    src: /var/tmp/fedora-build/work/dvd-41-x86_64-0123456789ab/stage
    build_id: dvd-41-x86_64-0123456789ab
    failed: true
    target: {type: local, path: /srv/staging}
"""

RETURN = r"""
build_id:
  description: The staged build ID.
  returned: always
  type: str
  sample: live-41-x86_64-0123456789ab
target_url:
  description: URL of the staged build directory (C(file://), C(sftp://user@host/...), C(ftp://user@host/...); no password).
  returned: always
  type: str
  sample: sftp://stage@staging.example.org/srv/staging/live-41-x86_64-0123456789ab
target_type:
  description: O(target.type).
  returned: always
  type: str
  sample: ssh
path:
  description: Path of the staged build directory on the target.
  returned: always
  type: str
  sample: /srv/staging/live-41-x86_64-0123456789ab
files:
  description: Every staged file (the files C(CHECKSUM) lists, then C(CHECKSUM)).
  returned: always
  type: list
  elements: dict
  contains:
    relpath:
      description: Path relative to the build directory.
      type: str
    size:
      description: Size in bytes.
      type: int
    sha256:
      description: sha256 from C(CHECKSUM).
      type: str
    transferred:
      description: Whether this run sent the file (false when skipped, or in check mode).
      type: bool
  sample: [{relpath: images/boot.iso, size: 912261120, sha256: 3b1f..., transferred: true}]
bytes_transferred:
  description: Bytes sent in this run.
  returned: always
  type: int
  sample: 912270000
bytes_to_transfer:
  description: Bytes this run sends (or, in check mode, would send).
  returned: always
  type: int
  sample: 912270000
would_transfer:
  description:
    - In check mode, the files that would be sent; empty otherwise.
    - Without O(src), the files of the staged build that are missing or differ from its C(CHECKSUM).
  returned: always
  type: list
  elements: str
skipped_files:
  description:
    - Files not sent because the target already had them verified.
    - Not called C(skipped), a key Ansible reserves for skipped tasks.
  returned: always
  type: list
  elements: str
already_staged:
  description: The complete build was already on the target.
  returned: always
  type: bool
kept_staged:
  description: With O(failed=true), a built tree of this build ID was on the target and was kept (nothing transferred).
  returned: when O(failed=true) found a built tree
  type: bool
  sample: true
latest:
  description: The pointer handled, or null when O(latest) was omitted or O(failed=true).
  returned: always
  type: dict
  contains:
    name:
      description: Pointer name.
      type: str
    build_id:
      description: The build it points to now.
      type: str
    previous:
      description: The build it pointed to before (null when it did not exist).
      type: str
    changed:
      description: Whether the pointer changed.
      type: bool
seconds:
  description: Wall-clock time of the module's work.
  returned: always
  type: float
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils.staging import TARGET_TYPES, stage, target_required_if
from ansible_collections.ondemand.fedora_build.plugins.module_utils.validate import check_params_text


def argument_spec():
    ssh_args = dict(type='list', elements='str')
    return dict(
        src=dict(type='path'),
        build_id=dict(type='str', required=True),
        target=dict(type='dict', required=True, options=dict(
            type=dict(type='str', required=True, choices=list(TARGET_TYPES)),
            path=dict(type='str', required=True),
            host=dict(type='str'),
            port=dict(type='int'),
            user=dict(type='str'),
            identity_file=dict(type='path'),
            known_hosts_file=dict(type='path'),
            ssh_args=ssh_args,
            password=dict(type='str', no_log=True),
            password_env=dict(type='str', no_log=False),
            tls=dict(type='bool', default=False),
            ca_cert=dict(type='path'),
            validate_certs=dict(type='bool', default=True),
        ), required_if=target_required_if()),
        latest=dict(type='str'),
        restore_latest=dict(type='str'),
        failed=dict(type='bool', default=False),
        src_host=dict(type='dict', options=dict(
            host=dict(type='str', required=True),
            port=dict(type='int', default=22),
            user=dict(type='str', default='root'),
            identity_file=dict(type='path'),
            known_hosts_file=dict(type='path'),
            ssh_args=dict(type='list', elements='str'),
            proxy_command=dict(type='str'),
        )),
        connect_timeout=dict(type='int', default=30),
        timeout=dict(type='int', default=300),
        verify=dict(type='bool', default=True),
        verify_existing=dict(type='bool', default=False),
    )


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = dict(module.params)
    try:
        # text and numbers are checked before any connection (a password is never echoed)
        check_params_text(params, module.argument_spec)
        for field in ('connect_timeout', 'timeout'):
            if params[field] is not None and params[field] <= 0:
                raise FedoraBuildError('%s: %r is not a positive number of seconds.' % (field, params[field]))
        result = stage(params, check_mode=module.check_mode)
    except FedoraBuildError as exc:
        exc.fail(module)
    if not module._diff or not result.get('diff'):
        result.pop('diff', None)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
