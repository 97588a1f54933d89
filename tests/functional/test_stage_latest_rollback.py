# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 15: with several staging targets, a pointer that cannot move on a later target puts back the pointers the
second pass (docs/pipeline.md, "Staging never follows a link") had already moved on earlier targets.

The real pipeline (playbooks/build.yml) on this machine. Every target takes the build in the first pass; the fault
is in the pointer step only: the later target holds a directory where its ``latest`` pointer goes, so the rename
that moves the pointer fails there (an FTP server, after both local targets and another FTP server moved theirs; or
the last local directory, after the first one moved its own and before the FTP pass). Afterwards every pointer names
what it named before the run: the build staged earlier, or nothing at all.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from support.ansible_run import run_playbook
from support.faults import PLAYBOOK, by_name

LATEST = 'latest-boot-41-x86_64'


@pytest.fixture
def node(tmp_path):
    """This machine as the build node (one slot), its dirs under tmp_path."""
    host = {
        'ansible_connection': 'local',
        'ansible_python_interpreter': sys.executable,
        'fedora_build_capacity': 1,
        # the node directory a request's file:// repository may name: the test repositories lie under tmp_path
        'fedora_build_node_repo_dirs': [str(tmp_path)],
    }
    for name in ('work', 'cache', 'lock'):
        host['fedora_build_%s_dir' % name] = str(tmp_path / 'node' / name)
    return {'inventory': {'all': {'children': {'builders': {'hosts': {'localhost': host}}}}},
            'status': tmp_path / 'status-target'}


def boot(name, fedora_repo, staging, volid):
    return {'image_type': 'boot', 'release': '41', 'arch': 'x86_64', 'name': name, 'staging': staging,
            'builder': {'volid': volid},
            'repos': {'presets': [], 'extra': [{'name': 'fedora', 'baseurl': 'file://%s/' % fedora_repo}]}}


def pointer(target, ftp_roots):
    """The build a target's latest pointer names, or None (no pointer; a directory in its place is none)."""
    if target['type'] == 'local':
        link = Path(target['path']) / LATEST
        return os.readlink(link) if link.is_symlink() else None
    path = ftp_roots[target['port']] / target['path'].strip('/') / LATEST
    return path.read_text().strip() if path.is_file() else None


@pytest.mark.parametrize('fault, earlier_build', [
    ('ftp', True),
    ('local', False),
], ids=['ftp-pointer-fails-after-three-moved', 'local-pointer-fails-after-one-moved-from-none'])
def test_pointers_moved_before_a_failing_pointer_go_back(
        tmp_path, node, fedora_repo, builder_standins, ftp_server, fault, earlier_build):
    roots = {}

    def ftp_target(name):
        root = tmp_path / name
        (root / 'pub').mkdir(parents=True)
        srv = ftp_server(str(root))
        roots[srv.port] = root
        return srv, {'type': 'ftp', 'host': srv.host, 'port': srv.port, 'user': srv.user,
                     'password_env': 'FB_FTP_PASSWORD_%d' % srv.port, 'path': '/pub'}

    ok_srv, ftp_ok = ftp_target('ftp-ok')
    servers = [ok_srv]
    local_a = {'type': 'local', 'path': str(tmp_path / 'staging-a')}
    local_b = {'type': 'local', 'path': str(tmp_path / 'staging-b')}
    if fault == 'ftp':
        # the remote pass runs after the local one: A and B moved, then ftp-ok, then this one fails
        bad_srv, bad = ftp_target('ftp-blocked')
        servers.append(bad_srv)
        (roots[bad_srv.port] / 'pub' / LATEST).mkdir()
        shared = [local_a, ftp_ok, local_b]
        doomed_targets = shared + [bad]
    else:
        # the local pass: A moved (there was no pointer before), B fails, the FTP pass never runs
        bad = local_b
        (Path(local_b['path']) / LATEST).mkdir(parents=True)
        shared = [local_a, ftp_ok]
        doomed_targets = [local_a, ftp_ok, local_b]

    names = {}
    for target in doomed_targets:
        names[id(target)] = 'target-%d' % len(names)
    env = {'FB_FTP_PASSWORD_%d' % s.port: s.password for s in servers}
    service = {
        'fedora_build_staging_targets': dict((names[id(t)], t) for t in doomed_targets),
        'fedora_build_staging': [{'type': 'local', 'path': str(node['status'])}],
        'fedora_build_environment': builder_standins.environment,
        'fedora_build_preflight_require': ['root', 'tools'],
        'fedora_build_poll': 1,
    }

    def run(number, request):
        return run_playbook(PLAYBOOK, inventory=node['inventory'], workdir=tmp_path / ('run-%d' % number), env=env,
                            extra_vars=dict(service, fedora_build_requests=[request]))

    before = None
    if earlier_build:
        good = boot('good', fedora_repo, [names[id(t)] for t in shared], 'GOOD')
        run(0, good).assert_ok()
        before = by_name(node['status'] / 'status')['good']['build_id']
    assert [pointer(t, roots) for t in shared] == [before] * len(shared)

    doomed = boot('doomed', fedora_repo, [names[id(t)] for t in doomed_targets], 'DOOMED')
    result = run(1, doomed)
    assert result.rc == 2, result.describe()
    record = by_name(node['status'] / 'status')['doomed']
    assert record['state'] == 'failed' and record['phase'] == 'staging', record
    assert 'cannot' in record['reason'] and 'pointer' in record['reason'], record['reason']
    # the second pass did move pointers before the fault (so the rollback had something to undo) ...
    moved = [r for r in result.results if r.task.endswith('Point latest at the build in the controller\'s directories '
                                                          '(nothing is transferred again)')]
    assert moved and any(item.get('latest', {}).get('changed') for item in moved[0].result['results']), moved
    # ... and every one of them names what it named before the run
    assert [pointer(t, roots) for t in shared] == [before] * len(shared), record['build_id']
    assert pointer(bad, roots) is None
