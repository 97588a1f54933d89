# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/provision.yml over SSH against the lab's build nodes (group builders, children builders_<arch>).

Each lab node has a private tmpfs at ``node_root`` (same path on every node, its own contents), so the
role's directories and Koji profile go there; what one node got is checked on that node over SSH.
"""

from __future__ import annotations

import pytest

from support.ansible_run import REPO, run_playbook

pytestmark = pytest.mark.lab

PLAYBOOK = str(REPO / 'playbooks' / 'provision.yml')
BASE = '{{ node_root }}/build-node-test'
NODE_VARS = {
    'build_node_work_dir': BASE + '/work',
    'build_node_cache_dir': BASE + '/cache',
    'build_node_lock_dir': BASE + '/lock',
    'build_node_koji_config_dir': BASE + '/koji.conf.d',
    'build_node_koji_profile': 'lab',
    'build_node_koji_server': 'http://{{ lab_controller_address }}:8080/kojihub',
    'build_node_koji_topurl': 'http://{{ lab_controller_address }}:8080/kojifiles',
    'build_node_dir_group': 'nogroup',
}


def _on_node(lab, host, *argv):
    return lab.ssh(host, *argv).stdout


def _wipe(lab, hosts):
    for host in hosts:
        lab.ssh(host, 'rm', '-rf', lab.hosts[host]['node_root'] + '/build-node-test')


def test_provision_reaches_every_node_once_and_is_idempotent(lab, tmp_path):
    _wipe(lab, lab.hosts)
    try:
        first = run_playbook(PLAYBOOK, lab.inventory, extra_vars=NODE_VARS, workdir=tmp_path / 'first', timeout=600)
        first.assert_ok()
        assert sorted(first.stats) == sorted(lab.hosts)
        assert all(s['changed'] > 0 and s['failures'] == 0 for s in first.stats.values()), first.stats

        second = run_playbook(PLAYBOOK, lab.inventory, extra_vars=NODE_VARS, workdir=tmp_path / 'second', timeout=600)
        second.assert_ok()
        changed = sorted((r.host, r.task) for r in second.results if r.status == 'changed')
        assert all(s['changed'] == 0 for s in second.stats.values()), changed

        for host, info in lab.hosts.items():
            base = info['node_root'] + '/build-node-test'
            listing = _on_node(lab, host, 'stat', '-c', '%n %a %U %G', base + '/work', base + '/cache', base + '/lock')
            assert listing.split('\n')[:3] == [
                '%s/work 750 root nogroup' % base, '%s/cache 755 root nogroup' % base, '%s/lock 770 root nogroup' % base,
            ], (host, listing)
            profile = _on_node(lab, host, 'cat', base + '/koji.conf.d/lab.conf')
            assert '[lab]' in profile
            assert 'server = http://%s:8080/kojihub' % lab.controller_address in profile
            # the node said it skipped packages (Debian) rather than failing or installing anything
            skip = second.result('ondemand.fedora_build.build_node : Say that package installation is skipped on this OS',
                                 host)
            assert 'Skipping package installation' in skip['msg']
    finally:
        _wipe(lab, lab.hosts)


def test_limit_to_one_arch_group_provisions_only_its_nodes(lab, tmp_path):
    arm = sorted(h for h, info in lab.hosts.items() if info['arch'] == 'aarch64')
    others = sorted(h for h in lab.hosts if h not in arm)
    assert arm and others
    _wipe(lab, lab.hosts)
    try:
        run = run_playbook(PLAYBOOK, lab.inventory, extra_vars=NODE_VARS, limit='builders_aarch64',
                           workdir=tmp_path / 'arm', timeout=600)
        run.assert_ok()
        assert sorted(run.stats) == arm
        for host in arm:
            assert lab.ssh(host, 'test', '-d', lab.hosts[host]['node_root'] + '/build-node-test/work',
                           check=False).returncode == 0
        for host in others:
            assert lab.ssh(host, 'test', '-e', lab.hosts[host]['node_root'] + '/build-node-test',
                           check=False).returncode != 0
    finally:
        _wipe(lab, lab.hosts)
