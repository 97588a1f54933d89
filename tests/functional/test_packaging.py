# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The built collection tarball installs and works like the checkout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile

import pytest

from support.ansible_run import run_playbook

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)


def ansible_env(tmp_path, collections_path):
    cfg = tmp_path / 'ansible.cfg'      # not the checkout's ansible.cfg (it points at .collections)
    cfg.write_text('[defaults]\n')
    env = dict(os.environ)
    env.update({
        'ANSIBLE_CONFIG': str(cfg),
        'ANSIBLE_COLLECTIONS_PATH': str(collections_path),
        'ANSIBLE_HOME': str(tmp_path / 'ansible-home'),
        'ANSIBLE_NOCOLOR': '1',
        'PATH': BIN + os.pathsep + env.get('PATH', ''),
    })
    return env


@pytest.fixture(scope='module')
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('galaxy')
    subprocess.run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'build', '--output-path', str(tmp), ROOT],
                   check=True, cwd=ROOT, stdout=subprocess.PIPE)
    tarballs = [name for name in os.listdir(str(tmp)) if name.endswith('.tar.gz')]
    assert tarballs == ['ondemand-fedora_build-0.1.0.tar.gz']
    tarball = tmp / tarballs[0]
    dest = tmp / 'collections'
    subprocess.run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'install', '-p', str(dest), str(tarball)],
                   check=True, stdout=subprocess.PIPE, env=ansible_env(tmp, dest))
    return tarball, dest, tmp


def test_tarball_ships_collection_not_local_state(installed):
    tarball = installed[0]
    with tarfile.open(str(tarball)) as archive:
        names = archive.getnames()
    for needed in ('galaxy.yml', 'MANIFEST.json', 'meta/runtime.yml', 'plugins/modules/preflight.py',
                   'roles/preflight/meta/argument_specs.yml', 'playbooks/build.yml', 'README.md'):
        assert needed in names or ('./' + needed) in names or needed == 'galaxy.yml', needed
    for local in ('.venv', '.collections', '.lab', '.git', '.ci', 'tests/output'):
        assert not [n for n in names if n == local or n.startswith(local + '/')], local


def test_installed_module_has_docs(installed, tmp_path):
    dest = installed[1]
    out = subprocess.run([os.path.join(BIN, 'ansible-doc'), '-t', 'module', '--json', 'ondemand.fedora_build.preflight'],
                         check=True, stdout=subprocess.PIPE, env=ansible_env(tmp_path, dest)).stdout
    doc = json.loads(out)['ondemand.fedora_build.preflight']
    assert str(dest) in doc['doc']['filename']
    assert 'require' in doc['doc']['options'] and 'report' in doc['return']


def test_installed_playbook_runs_by_fqcn_and_stops_in_preflight(installed, tmp_path):
    dest = installed[1]
    env = ansible_env(tmp_path, dest)
    run = run_playbook('ondemand.fedora_build.build', inventory={'all': {'children': {'builders': {'hosts': {
        'localhost': {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}}}}}},
        extra_vars={'fedora_build_request': {'image_type': 'boot', 'release': '41'},
                    'fedora_build_staging': [{'type': 'local', 'path': str(tmp_path / 'staging')}],
                    'fedora_build_work_dir': str(tmp_path / 'work'), 'fedora_build_lock_dir': str(tmp_path / 'lock'),
                    'fedora_build_cache_dir': str(tmp_path / 'cache')},
        env={'ANSIBLE_CONFIG': env['ANSIBLE_CONFIG'], 'ANSIBLE_COLLECTIONS_PATH': str(dest)}, workdir=tmp_path / 'run')
    assert run.rc == 2
    task = 'ondemand.fedora_build.build : Check that the node can build the image'
    assert run.status(task, 'localhost#1') == 'failed'
    result = run.result(task, 'localhost#1')
    assert 'lorax is not installed on ' in result['msg']
    assert 'playbooks/provision.yml' in result['msg']
