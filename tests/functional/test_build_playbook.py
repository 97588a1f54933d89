# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The main job (playbooks/build.yml) on the embedded default inventory."""

from __future__ import annotations

import platform

from support.ansible_run import REPO, run_playbook

PREFLIGHT = 'ondemand.fedora_build.preflight : Check that the node can build the image'


def test_default_build_stops_in_preflight_with_provisioning_hint(tmp_path):
    run = run_playbook(str(REPO / 'playbooks' / 'build.yml'), inventory=str(REPO / 'inventory' / 'local.yml'),
                       workdir=tmp_path)
    assert run.rc == 2
    assert run.status('Join builders_<arch> (inventory build_arch wins over the detected arch)', 'localhost') == 'ok'
    assert run.status(PREFLIGHT, 'localhost') == 'failed'
    msg = run.result(PREFLIGHT, 'localhost')['msg']
    assert 'lorax is not installed on ' in msg
    assert '`ansible-playbook playbooks/provision.yml`' in msg
    report = run.result(PREFLIGHT, 'localhost')['report']
    assert report['arch']['target'] == platform.machine() and report['release']['target'] == '41'


def test_request_for_an_arch_without_nodes_names_the_arches_that_exist(tmp_path):
    other = 'aarch64' if platform.machine() != 'aarch64' else 'x86_64'
    run = run_playbook(str(REPO / 'playbooks' / 'build.yml'), inventory=str(REPO / 'inventory' / 'local.yml'),
                       extra_vars={'fedora_build_request': {'arch': other}}, workdir=tmp_path)
    assert run.rc == 2
    msg = run.result('Check that a node serves the requested arch', 'localhost')['msg']
    assert msg == 'arch: no build node serves %s; the inventory has %s.' % (other, platform.machine())
