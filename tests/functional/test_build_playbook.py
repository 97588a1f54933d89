# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The main job (playbooks/build.yml) on the embedded default inventory."""

from __future__ import annotations

import json
import platform

from support.ansible_run import REPO, run_playbook

PREFLIGHT = 'ondemand.fedora_build.build : Check that the node can build the image'
NODE = 'localhost#1'  # the in-memory host of the only node's first slot


def service(tmp_path):
    """Keep the run's staging and node dirs out of the checkout and /var/lib."""
    return {'fedora_build_staging': [{'type': 'local', 'path': str(tmp_path / 'staging')}],
            'fedora_build_work_dir': str(tmp_path / 'work'), 'fedora_build_cache_dir': str(tmp_path / 'cache'),
            'fedora_build_lock_dir': str(tmp_path / 'lock')}


def test_default_build_stops_in_preflight_with_provisioning_hint(tmp_path):
    run = run_playbook(str(REPO / 'playbooks' / 'build.yml'), inventory=str(REPO / 'inventory' / 'local.yml'),
                       extra_vars=service(tmp_path), workdir=tmp_path / 'run')
    assert run.rc == 2
    assert run.status('Join builders_<arch> (inventory build_arch wins over the detected arch)', 'localhost') == 'ok'
    assert run.status(PREFLIGHT, NODE) == 'failed'
    msg = run.result(PREFLIGHT, NODE)['msg']
    assert 'lorax is not installed on ' in msg
    assert '`ansible-playbook playbooks/provision.yml`' in msg
    report = run.result(PREFLIGHT, NODE)['report']
    assert report['arch']['target'] == platform.machine() and report['release']['target'] == '41'
    # The failure is the build's, recorded and reported; the run ends with the reason.
    record, = [json.loads(p.read_text()) for p in (tmp_path / 'staging' / 'status').glob('rq-*.json')]
    assert record['state'] == 'failed' and record['phase'] == 'preflight' and 'lorax is not installed' in record['reason']
    final = run.result('Fail the run when a build failed', 'localhost')['msg']
    assert final.startswith('1 of 1 builds failed: %s' % record['request_id']) and 'lorax is not installed' in final
    assert not list((tmp_path / 'work').glob('slot-*'))


def test_request_for_an_arch_without_nodes_names_the_arches_that_exist(tmp_path):
    other = 'aarch64' if platform.machine() != 'aarch64' else 'x86_64'
    run = run_playbook(str(REPO / 'playbooks' / 'build.yml'), inventory=str(REPO / 'inventory' / 'local.yml'),
                       extra_vars=dict(service(tmp_path), fedora_build_request={
                           'image_type': 'boot', 'release': '41', 'arch': other}), workdir=tmp_path / 'run')
    assert run.rc == 2
    msg = run.result('Plan the builds over the reachable nodes', 'localhost')['msg']
    assert msg == 'requests[0].arch: no build node serves %s; the inventory has %s.' % (other, platform.machine())
    assert not (tmp_path / 'staging').exists()
