# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""fedora-build against the SSH lab through ansible-runner: a batch over two x86_64 nodes
(submit --wait, status, list, logs), and cancel in the middle of lorax on a node, which must
leave that node clean (no tool running, no slot dir) and unlocked."""

from __future__ import annotations

import json

import pytest
import yaml

from support.cli_helpers import REPO, cli, wait_for

pytestmark = pytest.mark.lab


def setup(lab, tmp_path, builder_standins, repo, sleep=None, names=('a',)):
    """repo: the test distribution (the lorax stand-in installs the runtime from it); the nodes share this filesystem."""
    env = dict(builder_standins.environment)
    if sleep:
        env['FB_STANDIN_SLEEP'] = str(sleep)
    service = tmp_path / 'service.yml'
    roots = set(h['node_root'] for h in lab.hosts.values())
    assert len(roots) == 1
    root = roots.pop()
    service.write_text(yaml.safe_dump({
        'fedora_build_environment': env, 'fedora_build_preflight_require': ['tools'], 'fedora_build_poll': 1,
        # in each node's private node_root (a tmpfs mounted at the same path on every node, where the
        # lab's work dir is too): the slot hosts of build.yml carry fedora_build_* only, not node_root
        'fedora_build_lock_dir': '%s/lock' % root, 'fedora_build_cache_dir': '%s/cache' % root,
        # the operator's staging target: a request cannot define one by default
        'fedora_build_staging': [{'type': 'local', 'path': str(tmp_path / 'staging')}],
        # the node directory a request's file:// repository may name: the test repository lies under tmp_path
        'fedora_build_node_repo_dirs': [str(tmp_path)]}))
    staging = tmp_path / 'staging'
    request = tmp_path / 'batch.yml'
    request.write_text(yaml.safe_dump({'fedora_build_requests': [{
        'image_type': 'boot', 'release': 41, 'arch': 'x86_64', 'name': name,
        'repos': {'presets': [], 'extra': [{'name': 'local', 'baseurl': 'file://%s' % repo}]}} for name in names]}))
    return {'service': service, 'request': request, 'staging': staging, 'status': staging / 'status',
            'env': {'FEDORA_BUILD_STATUS_DIR': str(staging / 'status'), 'FEDORA_BUILD_PROJECT': str(REPO),
                    'FEDORA_BUILD_CANCEL_GRACE': '5'}}


def lorax_on(lab, node):
    """The lorax stand-ins running on ``node``: the lab shares one pid namespace, so only those in
    the node's mount namespace count ("[s]" keeps pgrep from matching this very command)."""
    script = ('me=$(readlink /proc/self/ns/mnt); for p in $(pgrep -f "[s]tandins/lorax"); do '
              '[ "$(readlink /proc/$p/ns/mnt)" = "$me" ] && echo "$p $(readlink /proc/$p/cwd)"; done; true')
    return lab.ssh(node, 'sh', '-c', script, check=False).stdout


def test_batch_over_the_lab(lab, tmp_path, builder_standins, fedora_repo):
    run = setup(lab, tmp_path, builder_standins, fedora_repo, names=('first', 'second'))
    proc = cli('submit', run['request'], '--wait', '-i', lab.inventory, '-e', '@%s' % run['service'],
               env=run['env'], timeout=1200)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    ids = [line.split()[0] for line in proc.stdout.splitlines()[:2]]
    views = [json.loads(cli('--json', 'status', rid, env=run['env']).stdout) for rid in ids]
    assert all(v['state'] == 'succeeded' for v in views), views
    assert all(v['node'] in lab.groups['builders_x86_64'] for v in views)
    listed = json.loads(cli('--json', 'list', env=run['env']).stdout)
    assert sorted(v['request_id'] for v in listed) == sorted(ids)
    for view in views:
        logs = json.loads(cli('--json', 'logs', view['request_id'], env=run['env']).stdout)
        assert logs['source'] == 'staged' and logs['dir'] == str(run['staging'] / view['build_id'] / 'logs')


def test_cancel_mid_build_leaves_the_node_clean_and_unlocked(lab, tmp_path, builder_standins, fedora_repo):
    run = setup(lab, tmp_path, builder_standins, fedora_repo, sleep=600, names=('long',))
    proc = cli('--json', 'submit', run['request'], '-i', lab.inventory, '-e', '@%s' % run['service'], env=run['env'])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rid = json.loads(proc.stdout)['requests'][0]['request_id']
    record = run['status'] / ('%s.json' % rid)

    def building():
        return record.is_file() and json.loads(record.read_text())['phase'] == 'build'
    wait_for(building, 600, 'the build phase')
    node = json.loads(record.read_text())['node']
    root = lab.hosts[node]['node_root']

    def lorax_running():
        return lorax_on(lab, node).strip()
    wait_for(lorax_running, 120, 'lorax on %s' % node)

    # the node directories are service settings of this run (-e), not inventory variables: cancel gets them too
    proc = cli('cancel', rid, '-e', '@%s' % run['service'], env=run['env'], timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(record.read_text())['state'] == 'cancelled'
    # the node: no stand-in tool left, no slot dir, no lock holder
    left = lorax_on(lab, node)
    assert left.strip() == '', left
    slots = lab.ssh(node, 'sh', '-c', 'ls -d %s/work/slot-* 2>/dev/null; true' % root).stdout.split()
    assert slots == []
    holders = lab.ssh(node, 'sh', '-c', 'cd %s && python3 -c "%s"' % (
        REPO, 'import sys; sys.path.insert(0, \'.collections\'); from ansible_collections.ondemand.fedora_build.plugins.'
              'module_utils import node_lock; print(len(node_lock.holders(\'%s/lock\', 1)))' % root)).stdout.strip()
    assert holders == '0'
