# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""stage on the lab: SSH push from a build node to another node, and the controller pulling from a node.

Every node has a private tmpfs at node_root (the same path, other contents), so a
tree staged "to node-x86b's node_root" is only visible through node-x86b: that is
how the tests tell that the bytes went node to node, not through the controller.
"""

from __future__ import annotations

import os
import uuid

import pytest

from support.ansible_run import run_module
from support.stage_tree import make_tree, tree_digests

pytestmark = pytest.mark.lab

LATEST = 'latest-boot-41-x86_64'


def new_bid():
    return 'boot-41-x86_64-%s' % uuid.uuid4().hex[:12]


def ssh_target(lab, host, path, **extra):
    spec = {'type': 'ssh', 'host': lab.hosts[host]['address'], 'user': 'root', 'path': path,
            'identity_file': str(lab.ssh_key), 'known_hosts_file': str(lab.known_hosts)}
    spec.update(extra)
    return spec


def put_tree_on(lab, host, local_tree, name):
    """Copy a tree made on the shared filesystem into a node's private node_root; returns the node path."""
    dest = '%s/stage-src/%s' % (lab.hosts[host]['node_root'], name)
    lab.ssh(host, 'mkdir', '-p', os.path.dirname(dest))
    lab.ssh(host, 'cp', '-a', str(local_tree), dest)
    return dest


def remote_digests(lab, host, root):
    out = lab.ssh(host, 'sh', '-c', 'cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum', 'sh', root).stdout
    return {line.split(None, 1)[1].strip()[2:]: line.split()[0] for line in out.splitlines()}


def node_source(lab, host):
    """``src_host`` for a lab node, as the build role gives it (the controller reads the node's tree over SSH)."""
    return {'host': lab.hosts[host]['address'], 'user': 'root', 'identity_file': str(lab.ssh_key),
            'known_hosts_file': str(lab.known_hosts)}


def ftp_target(lab, ftp_server, root):
    """An FTP server on the controller's lab address serving ``root``, and a target for its /pub."""
    (root / 'pub').mkdir(parents=True)
    ftp = ftp_server(str(root), host=lab.controller_address)
    return ftp, {'type': 'ftp', 'host': lab.controller_address, 'port': ftp.port, 'user': ftp.user,
                 'password': ftp.password, 'path': '/pub'}


def stage_on(lab, host, check=False, **args):
    return run_module('ondemand.fedora_build.stage', args, inventory=lab.inventory, hosts=host, check=check)


def test_ssh_push_node_to_node_rerun_and_check_mode(lab, tmp_path):
    tree = tmp_path / 'tree'
    make_tree(tree)
    bid = new_bid()
    src = put_tree_on(lab, 'node-x86a', tree, bid)
    staging = '%s/staging-%s' % (lab.hosts['node-x86b']['node_root'], bid[-6:])
    args = dict(src=src, build_id=bid, latest=LATEST, target=ssh_target(lab, 'node-x86b', staging))

    run = stage_on(lab, 'node-x86a', check=True, **args)
    run.assert_ok()
    res = run.result('module', 'node-x86a')
    assert res['changed'] is True and len(res['would_transfer']) == len(tree_digests(tree))
    assert lab.ssh('node-x86b', 'test', '-e', staging, check=False).returncode == 1

    run = stage_on(lab, 'node-x86a', **args)
    run.assert_ok()
    res = run.result('module', 'node-x86a')
    assert res['changed'] is True
    assert res['target_url'] == 'sftp://root@%s%s/%s' % (lab.hosts['node-x86b']['address'], staging, bid)
    assert all(f['transferred'] for f in res['files'])
    assert remote_digests(lab, 'node-x86b', '%s/%s' % (staging, bid)) == tree_digests(tree)
    assert lab.ssh('node-x86b', 'readlink', '%s/%s' % (staging, LATEST)).stdout.strip() == bid
    assert sorted(lab.ssh('node-x86b', 'ls', '-A', staging).stdout.split()) == sorted([bid, LATEST])
    # node_root is private: the sending node does not see the staged tree
    assert lab.ssh('node-x86a', 'test', '-e', staging, check=False).returncode == 1

    run = stage_on(lab, 'node-x86a', **args)
    run.assert_ok()
    res = run.result('module', 'node-x86a')
    assert res['changed'] is False and res['already_staged'] is True and res['bytes_transferred'] == 0


def test_ssh_out_of_space_then_resume(lab, tmp_path):
    """node-x86b's tmpfs nearly full: the image does not fit, a clear error; after making room the re-run resumes."""
    tree = tmp_path / 'tree'
    make_tree(tree, {'build.json': b'{}\n', 'images/a.iso': 12 * 1024 * 1024, 'images/boot.iso': 48 * 1024 * 1024,
                     'logs/build.log': b'ok\n'})
    bid = new_bid()
    src = put_tree_on(lab, 'node-x86a', tree, bid)
    root_b = lab.hosts['node-x86b']['node_root']
    staging = '%s/staging-%s' % (root_b, bid[-6:])
    filler = '%s/filler-%s' % (root_b, bid[-6:])
    free = int(lab.ssh('node-x86b', 'df', '--output=avail', '-B1', root_b).stdout.split()[-1])
    lab.ssh('node-x86b', 'fallocate', '-l', str(free - 32 * 1024 * 1024), filler)  # a.iso fits, boot.iso not
    args = dict(src=src, build_id=bid, latest=LATEST, target=ssh_target(lab, 'node-x86b', staging))
    try:
        run = stage_on(lab, 'node-x86a', **args)
        assert run.rc != 0
        res = run.result('module', 'node-x86a')
        assert res['msg'] == 'SSH target sftp://root@%s%s: cannot write images/boot.iso: out of space.' % (
            lab.hosts['node-x86b']['address'], staging), res['msg']
        partial = '%s/.%s.partial' % (staging, bid)
        assert sorted(remote_digests(lab, 'node-x86b', partial)) == ['images/a.iso']  # verified; no temp file left
        assert lab.ssh('node-x86b', 'test', '-e', '%s/%s' % (staging, bid), check=False).returncode == 1
    finally:
        lab.ssh('node-x86b', 'rm', '-f', filler)
    run = stage_on(lab, 'node-x86a', **args)
    run.assert_ok()
    res = run.result('module', 'node-x86a')
    assert res['skipped_files'] == ['images/a.iso']
    sent = sorted(f['relpath'] for f in res['files'] if f['transferred'])
    assert sent == ['CHECKSUM', 'build.json', 'images/boot.iso', 'logs/build.log']
    assert remote_digests(lab, 'node-x86b', '%s/%s' % (staging, bid)) == tree_digests(tree)
    lab.ssh('node-x86b', 'rm', '-rf', staging)


def test_ssh_host_key_mismatch_and_unreachable_host(lab, tmp_path):
    tree = tmp_path / 'tree'
    make_tree(tree, {'a.txt': b'a\n'})
    bid = new_bid()
    src = put_tree_on(lab, 'node-x86a', tree, bid)
    addr_b = lab.hosts['node-x86b']['address']
    # a known_hosts that names node-x86b's address with node-arm's key
    lines = lab.known_hosts.read_text().splitlines()
    key_arm = [ln for ln in lines if ln.split(None, 1)[0].split(',')[0] == lab.hosts['node-arm']['address']][0]
    wrong = tmp_path / 'known_hosts'
    wrong.write_text('%s %s\n' % (addr_b, key_arm.split(None, 1)[1]))
    staging = '/srv/never-%s' % bid[-6:]
    target = ssh_target(lab, 'node-x86b', staging, known_hosts_file=str(wrong))
    run = stage_on(lab, 'node-x86a', src=src, build_id=bid, target=target)
    res = run.result('module', 'node-x86a')
    assert run.rc != 0
    assert res['msg'] == ('SSH target sftp://root@%s%s: cannot inspect %s: host key verification failed '
                          '(the host key is not the one in %s).' % (addr_b, staging, staging, wrong))

    nowhere = lab.hosts['node-x86b']['address'].rsplit('.', 1)[0] + '.250'
    target = ssh_target(lab, 'node-x86b', staging)
    target['host'] = nowhere
    run = stage_on(lab, 'node-x86a', src=src, build_id=bid, connect_timeout=3, target=target)
    res = run.result('module', 'node-x86a')
    assert run.rc != 0
    assert res['msg'].startswith('SSH target sftp://root@%s%s: cannot inspect %s: ssh: connect to host %s port 22: '
                                 % (nowhere, staging, staging, nowhere)), res['msg']


def test_controller_pulls_from_a_node_into_a_local_dir(lab, tmp_path):
    tree = tmp_path / 'tree'
    make_tree(tree, {'images/boot.iso': 20 * 1024 * 1024 + 3, 'logs/build.log': b'ok\n', 'build.json': b'{}\n'})
    bid = new_bid()
    src = put_tree_on(lab, 'node-x86a', tree, bid)
    staging = tmp_path / 'staging'
    src_host = node_source(lab, 'node-x86a')
    args = dict(src=src, build_id=bid, latest=LATEST, target={'type': 'local', 'path': str(staging)}, src_host=src_host)
    run = run_module('ondemand.fedora_build.stage', args)   # on the controller, as the role's delegate_to: localhost
    run.assert_ok()
    res = run.result('module')
    assert res['changed'] is True and res['target_url'] == 'file://%s/%s' % (staging, bid)
    assert tree_digests(staging / bid) == tree_digests(tree)
    assert os.readlink(staging / LATEST) == bid
    # the source really was the node's private copy: it is not on the controller's filesystem
    assert not os.path.exists(src)
    run = run_module('ondemand.fedora_build.stage', args)
    run.assert_ok()
    assert run.result('module')['changed'] is False


@pytest.mark.parametrize('fault, reason', [
    ('tampered', 'arrived with sha256 '),                       # same size, one byte changed on the node
    ('grown', ' bytes instead of %d; the copy was discarded' % (20 * 1024 * 1024)),  # 200 MiB longer than CHECKSUM
    ('missing', 'cannot read '),                                # gone from the node
])
def test_a_pulled_file_that_is_not_what_checksum_says_is_discarded(lab, tmp_path, fault, reason):
    """ssh writes the pulled file itself and the controller hashes behind it: a mismatch still fails the staging,
    leaves no temp file and no final directory, and a longer file stops the transfer instead of filling the disk."""
    tree = tmp_path / 'tree'
    make_tree(tree, {'images/boot.iso': 20 * 1024 * 1024, 'build.json': b'{}\n'})
    bid = new_bid()
    src = put_tree_on(lab, 'node-x86a', tree, bid)
    iso = src + '/images/boot.iso'
    if fault == 'tampered':
        lab.ssh('node-x86a', 'sh', '-c', 'printf X | dd of="$1" bs=1 seek=12345 conv=notrunc status=none', 'sh', iso)
    elif fault == 'grown':
        lab.ssh('node-x86a', 'sh', '-c', 'head -c 200M /dev/zero >> "$1"', 'sh', iso)
    else:
        lab.ssh('node-x86a', 'rm', '--', iso)
    staging = tmp_path / 'staging'
    src_host = node_source(lab, 'node-x86a')
    run = run_module('ondemand.fedora_build.stage', dict(src=src, build_id=bid, latest=LATEST, src_host=src_host,
                                                         target={'type': 'local', 'path': str(staging)}))
    assert run.rc != 0 and run.status('module') == 'failed', run.describe()
    msg = run.result('module')['msg']
    assert reason in msg, msg
    if fault == 'grown':   # stopped soon after the expected size, not after the 200 MiB
        assert int(msg.split(' arrived with ')[1].split()[0]) < 100 * 1024 * 1024, msg
    assert not (staging / bid).exists() and not (staging / LATEST).exists()
    leftovers = [str(p) for p in staging.rglob('*') if p.is_file()]
    assert not [p for p in leftovers if p.endswith('.tmp') or 'boot.iso' in p], leftovers


def test_ssh_push_without_python3_on_the_staging_host(lab, tmp_path, monkeypatch):
    """The tee | sha256sum receiver (hosts without python3), driven in-process from the controller."""
    from ansible_collections.ondemand.fedora_build.plugins.module_utils import staging

    inspect = staging.SshTarget.inspect

    def without_python(self, build_id, latest, entries=()):
        state = inspect(self, build_id, latest, entries)
        assert self.has_python is True   # the lab nodes have python3; pretend they do not
        self.has_python = False
        return state
    monkeypatch.setattr(staging.SshTarget, 'inspect', without_python)
    tree = tmp_path / 'tree'
    make_tree(tree, {'images/boot.iso': 9 * 1024 * 1024, 'logs/build.log': b'ok\n', 'build.json': b'{}\n'})
    bid = new_bid()
    staging_dir = '%s/staging-%s' % (lab.hosts['node-x86b']['node_root'], bid[-6:])
    target = ssh_target(lab, 'node-x86b', staging_dir)
    res = staging.stage({'src': str(tree), 'build_id': bid, 'latest': LATEST, 'target': target})
    assert res['changed'] is True and all(f['transferred'] for f in res['files'])
    assert remote_digests(lab, 'node-x86b', '%s/%s' % (staging_dir, bid)) == tree_digests(tree)
    assert lab.ssh('node-x86b', 'readlink', '%s/%s' % (staging_dir, LATEST)).stdout.strip() == bid

    # a damaged source file (same size, other bytes) is caught by the receiver's sha256sum
    bid2 = new_bid()
    (tree / 'logs/build.log').write_bytes(b'OK\n')
    with pytest.raises(staging.FedoraBuildError, match=r'logs/build\.log arrived with sha256 [0-9a-f]{64} instead of'):
        staging.stage({'src': str(tree), 'build_id': bid2, 'target': target})
    assert lab.ssh('node-x86b', 'test', '-e', '%s/%s' % (staging_dir, bid2), check=False).returncode == 1


def test_controller_pulls_from_a_node_behind_a_jump_host(lab, tmp_path):
    """A node Ansible reaches through another node (ProxyCommand in ansible_ssh_common_args) stages the same way:
    the ssh_source filter hands the node's connection variables to the pull, ProxyCommand included."""
    from ansible_collections.ondemand.fedora_build.plugins.filter.ssh_source import ssh_source

    tree = tmp_path / 'tree'
    make_tree(tree, {'images/boot.iso': 9 * 1024 * 1024, 'logs/build.log': b'ok\n'})
    bid = new_bid()
    src = put_tree_on(lab, 'node-x86b', tree, bid)
    used = tmp_path / 'jump-used'
    jump = ' '.join(['ssh', '-F', '/dev/null', '-i', str(lab.ssh_key), '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes',
                     '-o', 'StrictHostKeyChecking=yes', '-o', 'UserKnownHostsFile=%s' % lab.known_hosts,
                     '-W', '%h:%p', 'root@%s' % lab.hosts['node-x86a']['address']])
    hostvars = {'ansible_host': lab.hosts['node-x86b']['address'], 'ansible_user': 'root',
                'ansible_ssh_private_key_file': str(lab.ssh_key),
                'ansible_ssh_common_args': '-o StrictHostKeyChecking=yes -o UserKnownHostsFile=%s '
                                           '-o ProxyCommand="sh -c \'touch %s; exec %s\'"' % (lab.known_hosts, used, jump)}
    src_host = ssh_source(hostvars, 'node-x86b')
    assert 'proxy_command' in src_host
    staging = tmp_path / 'staging'
    run = run_module('ondemand.fedora_build.stage', dict(src=src, build_id=bid, latest=LATEST, src_host=src_host,
                                                         target={'type': 'local', 'path': str(staging)}))
    run.assert_ok()
    assert used.exists(), 'the pull did not go through the jump host'
    assert tree_digests(staging / bid) == tree_digests(tree)
    assert os.readlink(staging / LATEST) == bid


def test_the_controller_relays_a_node_tree_to_an_ssh_host(lab, tmp_path, controller_only_key):
    """The build role's SSH staging: stage runs on the controller with src_host, the node's files stream through it
    to the staging host, so the target's key is the controller's (a key accepted only from the controller works)."""
    tree = tmp_path / 'tree'
    make_tree(tree, {'images/boot.iso': 20 * 1024 * 1024 + 5, 'logs/build.log': b'ok\n', 'build.json': b'{}\n'})
    bid = new_bid()
    src = put_tree_on(lab, 'node-x86a', tree, bid)
    staging = '%s/staging-%s' % (lab.hosts['node-x86b']['node_root'], bid[-6:])
    target = ssh_target(lab, 'node-x86b', staging, identity_file=str(controller_only_key))
    src_host = node_source(lab, 'node-x86a')
    args = dict(src=src, build_id=bid, latest=LATEST, target=target, src_host=src_host)

    # the control: pushed from the node, the same key is refused (the key really is the controller's only)
    push = stage_on(lab, 'node-x86a', **dict((k, v) for k, v in args.items() if k != 'src_host'))
    assert push.status('module', 'node-x86a') == 'failed', push.describe()
    assert 'Permission denied' in push.result('module', 'node-x86a')['msg'], push.result('module', 'node-x86a')['msg']

    check = run_module('ondemand.fedora_build.stage', args, check=True)
    check.assert_ok()
    assert sorted(check.result('module')['would_transfer']) == sorted(tree_digests(tree))
    run = run_module('ondemand.fedora_build.stage', args)   # on the controller, as the role's delegate_to: localhost
    run.assert_ok()
    res = run.result('module')
    assert res['changed'] is True and res['bytes_transferred'] == sum((tree / f).stat().st_size for f in tree_digests(tree))
    assert remote_digests(lab, 'node-x86b', '%s/%s' % (staging, bid)) == tree_digests(tree)
    assert lab.ssh('node-x86b', 'readlink', '%s/%s' % (staging, LATEST)).stdout.strip() == bid
    # nothing of the tree is on the controller's filesystem: the source was the node's private copy
    assert not os.path.exists(src)
    again = run_module('ondemand.fedora_build.stage', args)
    again.assert_ok()
    assert again.result('module')['changed'] is False and again.result('module')['already_staged'] is True


@pytest.mark.parametrize('kind', ['ssh', 'ftp'])
def test_a_relayed_file_that_breaks_on_the_node_fails_the_staging(lab, tmp_path, ftp_server, controller_only_key, kind):
    """A file the node cannot send (gone after CHECKSUM was written) fails the relay with the node's reason; the target
    keeps no final directory and no latest pointer."""
    tree = tmp_path / 'tree'
    make_tree(tree, {'images/boot.iso': 9 * 1024 * 1024, 'build.json': b'{}\n'})
    bid = new_bid()
    src = put_tree_on(lab, 'node-x86a', tree, bid)
    lab.ssh('node-x86a', 'rm', '--', src + '/images/boot.iso')
    if kind == 'ssh':
        staging = '%s/staging-%s' % (lab.hosts['node-x86b']['node_root'], bid[-6:])
        target = ssh_target(lab, 'node-x86b', staging, identity_file=str(controller_only_key))
    else:
        root = tmp_path / 'ftp'
        _ftp, target = ftp_target(lab, ftp_server, root)
    src_host = node_source(lab, 'node-x86a')
    run = run_module('ondemand.fedora_build.stage', dict(src=src, build_id=bid, latest=LATEST, target=target,
                                                         src_host=src_host))
    assert run.status('module') == 'failed', run.describe()
    msg = run.result('module')['msg']
    assert msg.startswith('source node root@%s' % lab.hosts['node-x86a']['address']) and 'cannot read ' in msg \
        and 'No such file or directory' in msg, msg
    if kind == 'ssh':
        listing = lab.ssh('node-x86b', 'sh', '-c', 'ls -A "$1" 2>/dev/null || true', 'sh', staging).stdout.split()
        assert bid not in listing and LATEST not in listing, listing
    else:
        assert sorted(p.name for p in (root / 'pub').iterdir() if not p.name.startswith('.')) == []


def test_the_controller_relays_a_node_tree_to_an_ftp_server(lab, tmp_path, ftp_server):
    """FTP staging from the controller with src_host: the server sees every upload come from the controller's address,
    and the node never gets the password (it is only in the controller's module arguments)."""
    root = tmp_path / 'ftp'
    ftp, target = ftp_target(lab, ftp_server, root)
    tree = tmp_path / 'tree'
    make_tree(tree, {'images/boot.iso': 9 * 1024 * 1024 + 1, 'logs/build.log': b'ok\n', 'build.json': b'{}\n'})
    bid = new_bid()
    src = put_tree_on(lab, 'node-x86a', tree, bid)
    src_host = node_source(lab, 'node-x86a')
    run = run_module('ondemand.fedora_build.stage', dict(src=src, build_id=bid, latest=LATEST, target=target,
                                                         src_host=src_host))
    run.assert_ok()
    assert tree_digests(root / 'pub' / bid) == tree_digests(tree)
    assert (root / 'pub' / LATEST).read_text().strip() == bid
    assert ftp.uploaders and set(ftp.uploaders) == {lab.controller_address}, ftp.uploaders
