# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 15, part 3: with several staging targets where one fails, ``latest`` moves on none of them, whichever
target fails (first, middle, last; a local one or an FTP one) and whichever of two builds runs first.

The real pipeline (playbooks/build.yml) on this machine, two runs in a row: a build staged to three targets (two
local directories, one FTP server) and a build of the same image type, release and arch staged to those three
plus a broken one. The pointers must name the build that staged everywhere, on every target, in both orders.
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
    dirs = {name: tmp_path / 'node' / name for name in ('work', 'cache', 'lock')}
    host = {
        'ansible_connection': 'local',
        'ansible_python_interpreter': sys.executable,
        'fedora_build_capacity': 1,
        'fedora_build_work_dir': str(dirs['work']),
        'fedora_build_cache_dir': str(dirs['cache']),
        'fedora_build_lock_dir': str(dirs['lock']),
        # the node directory a request's file:// repository may name: the test repositories lie under tmp_path
        'fedora_build_node_repo_dirs': [str(tmp_path)],
    }
    return dict(dirs, inventory={'all': {'children': {'builders': {'hosts': {'localhost': host}}}}},
                status=tmp_path / 'status-target')


def boot(name, fedora_repo, staging, volid):
    return {'image_type': 'boot', 'release': '41', 'arch': 'x86_64', 'name': name, 'staging': staging,
            'builder': {'volid': volid},
            'repos': {'presets': [], 'extra': [{'name': 'fedora', 'baseurl': 'file://%s/' % fedora_repo}]}}


def latest_of(target, ftp_roots):
    """The build a target's latest pointer names, or None."""
    if target['type'] == 'local':
        link = Path(target['path']) / LATEST
        return os.readlink(link) if link.is_symlink() else None
    path = ftp_roots[target['port']] / target['path'].strip('/') / LATEST
    return path.read_text().strip() if path.is_file() else None


@pytest.mark.parametrize('failing, order', [
    ('first', 'good-then-failing'),
    ('middle', 'good-then-failing'),
    ('last', 'good-then-failing'),
    ('middle', 'failing-then-good'),
], ids=['first-fails', 'middle-fails', 'last-fails', 'middle-fails-before'])
def test_latest_moves_on_no_target_when_one_target_fails(
        tmp_path, node, fedora_repo, builder_standins, ftp_server, failing, order):
    roots = {}

    def ftp_target(name, writable=True):
        root = tmp_path / name
        (root / 'pub').mkdir(parents=True)
        srv = ftp_server(str(root), writable=writable)
        roots[srv.port] = root
        return srv, {'type': 'ftp', 'host': srv.host, 'port': srv.port, 'user': srv.user,
                     'password_env': 'FB_FTP_PASSWORD_%d' % srv.port, 'path': '/pub'}

    good_ftp, ftp_ok = ftp_target('ftp-ok')
    shared = [{'type': 'local', 'path': str(tmp_path / 'staging-a')}, ftp_ok,
              {'type': 'local', 'path': str(tmp_path / 'staging-b')}]
    servers = [good_ftp]
    if failing == 'middle':          # an FTP server refusing writes, between the others
        bad_srv, bad = ftp_target('ftp-readonly', writable=False)
        servers.append(bad_srv)
        failing_targets = shared[:2] + [bad] + shared[2:]
    else:                            # a local directory that cannot be made (its parent is a file)
        (tmp_path / 'a-file').write_text('not a directory\n')
        bad = {'type': 'local', 'path': str(tmp_path / 'a-file' / 'staging')}
        failing_targets = [bad] + shared if failing == 'first' else shared + [bad]

    # the operator's named staging targets (docs/security.md, "Trust model"); the requests name them
    names = {}
    for target in failing_targets + shared:
        names.setdefault(id(target), 'target-%d' % len(names))
    operator_targets = dict((names[id(t)], t) for t in failing_targets + shared)
    good = boot('good', fedora_repo, [names[id(t)] for t in shared], 'GOOD')
    doomed = boot('doomed', fedora_repo, [names[id(t)] for t in failing_targets], 'DOOMED')
    env = {'FB_FTP_PASSWORD_%d' % s.port: s.password for s in servers}
    service = {
        'fedora_build_staging_targets': operator_targets,
        'fedora_build_staging': [{'type': 'local', 'path': str(node['status'])}],
        'fedora_build_environment': builder_standins.environment,
        'fedora_build_preflight_require': ['root', 'tools'],
        'fedora_build_poll': 1,
    }
    runs = [good, doomed] if order == 'good-then-failing' else [doomed, good]
    good_id = None
    for number, request in enumerate(runs):
        run = run_playbook(PLAYBOOK, inventory=node['inventory'], workdir=tmp_path / ('run-%d' % number), env=env,
                           extra_vars=dict(service, fedora_build_requests=[request]))
        assert run.rc == (0 if request is good else 2), run.describe()
        status = by_name(node['status'] / 'status')
        if request is good:
            assert status['good']['state'] == 'succeeded', status['good']
            good_id = status['good']['build_id']
        else:
            assert status['doomed']['state'] == 'failed' and status['doomed']['phase'] == 'staging', status['doomed']
            assert status['doomed']['build_id'] != good_id
        # after every run: the pointers name the build that staged everywhere (none yet: no pointer at all)
        pointers = [(t['type'], t.get('port') or t['path'], latest_of(t, roots)) for t in shared]
        assert pointers == [(t['type'], t.get('port') or t['path'], good_id) for t in shared], (request['name'], pointers)
        assert latest_of(bad, roots) is None
