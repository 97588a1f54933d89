# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The preflight module and the main job over SSH on the lab's build nodes."""

from __future__ import annotations

import re

import pytest

from support.ansible_run import REPO, run_playbook

pytestmark = pytest.mark.lab

PREFLIGHT_PLAY = [{
    'name': 'Preflight on every node',
    'hosts': 'builders',
    'gather_facts': False,
    'tasks': [{
        'name': 'preflight',
        'ondemand.fedora_build.preflight': {
            'tools': ['rpm', 'xorriso', 'lorax'],
            'target_arch': '{{ build_arch }}',
            'work_dir': '{{ fedora_build_work_dir }}/builds',
            'cache_dir': '{{ node_root }}/cache',
            'min_free_gb': '{{ min_free_gb }}',
            'min_cache_free_gb': 0,
            'require': '{{ require }}',
        },
    }],
}]


def test_report_comes_from_each_node(lab, tmp_path):
    run = run_playbook(PREFLIGHT_PLAY, lab.inventory, extra_vars={'min_free_gb': 0.5, 'require': []}, workdir=tmp_path)
    run.assert_ok()
    reports = {host: run.result('preflight', host)['report'] for host in lab.hosts}
    assert {host: r['node']['hostname'] for host, r in reports.items()} == {h: h for h in lab.hosts}
    for host, report in reports.items():
        assert report['user']['is_root'] is True
        assert report['tools']['rpm']['present'] and report['tools']['rpm']['version']
        assert report['tools']['lorax']['present'] is False
        # measured on the node's private 1 GiB tmpfs, not on the controller's disk
        work = report['space']['work_dir']
        assert work['measured_at'] == lab.hosts[host]['work_dir'] and work['free_bytes'] <= 1024 ** 3
        assert work['ok'] is True
    # node-arm is declared aarch64 in the inventory, but the lab runs on x86_64 hardware
    assert reports['node-arm']['arch'] == {'target': 'aarch64', 'node': 'x86_64', 'match': False}
    assert reports['node-x86a']['arch']['match'] is True


def test_required_problems_fail_with_one_sentence_each(lab, tmp_path):
    run = run_playbook(PREFLIGHT_PLAY, lab.inventory, limit='node-arm', workdir=tmp_path,
                       extra_vars={'min_free_gb': 2, 'require': ['lorax', 'free_space', 'arch']})
    assert run.rc == 2
    assert run.status('preflight', 'node-arm') == 'failed'
    msg = run.result('preflight', 'node-arm')['msg']
    # other tests may use some of the node's 1 GiB, hence the pattern for the free amount
    expected = (re.escape('lorax is not installed on node-arm; provision the node with `ansible-playbook '
                          'playbooks/provision.yml` (role ondemand.fedora_build.build_node). work dir %s/builds has '
                          % lab.hosts['node-arm']['work_dir'])
                + r'(0\.\d|1\.0)'
                + re.escape(' GiB free, but 2.0 GiB are required. node-arm is x86_64, but the target arch is aarch64; '
                            'build on a node of the builders_aarch64 group.'))
    assert re.fullmatch(expected, msg), msg


def test_build_request_is_dispatched_to_a_node_of_its_arch(lab, tmp_path):
    node_root = lab.hosts['node-arm']['node_root']
    run = run_playbook(str(REPO / 'playbooks' / 'build.yml'), lab.inventory, workdir=tmp_path / 'run',
                       extra_vars={'fedora_build_request': {'image_type': 'boot', 'arch': 'aarch64', 'release': '41'},
                                   'fedora_build_staging': [{'type': 'local', 'path': str(tmp_path / 'staging')}],
                                   'fedora_build_cache_dir': node_root + '/cache',
                                   'fedora_build_lock_dir': node_root + '/lock'})
    assert run.rc == 2
    task = 'ondemand.fedora_build.build : Check that the node can build the image'
    ran_on = sorted({r.host for r in run.results if r.task == task})
    assert ran_on == ['node-arm#1']
    msg = run.result(task, 'node-arm#1')['msg']
    assert 'lorax is not installed on node-arm' in msg
    assert 'node-arm is x86_64, but the target arch is aarch64' in msg
