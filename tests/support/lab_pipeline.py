# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the lab's pipeline tests share: the lab inventory with per-node dirs, the service's settings for a run
of playbooks/build.yml, and reading what a run left in staging."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from support.ansible_run import REPO

PLAYBOOK = str(REPO / 'playbooks' / 'build.yml')


def lab_inventory(lab, path, extra_hosts=None, only=None, **node_vars):
    """The lab's inventory with per-node dirs in each node's tmpfs, plus unreachable extra hosts."""
    inv = yaml.safe_load(Path(lab.inventory).read_text())
    builders = inv['all']['children']['builders']
    if only:
        for group in builders['children'].values():
            group['hosts'] = {h: v for h, v in group['hosts'].items() if h in only}
    builders['vars'].update({'fedora_build_cache_dir': '{{ node_root }}/cache',
                             'fedora_build_lock_dir': '{{ node_root }}/lock',
                             # Debian has no python3-koji; the venv's Python has koji and reaches the
                             # system rpm bindings (a Fedora node gets python3-koji from build_node).
                             'ansible_python_interpreter': sys.executable})
    builders['vars'].update(node_vars)
    for group, hosts in (extra_hosts or {}).items():
        builders['children'].setdefault(group, {'hosts': {}})['hosts'].update(hosts)
    path.write_text(yaml.safe_dump(inv))
    return str(path)


def service(lab, tmp_path, builder_standins, **extra):
    data = {
        'fedora_build_staging': [{'type': 'local', 'path': str(tmp_path / 'staging')}],
        'fedora_build_environment': builder_standins.environment,
        'fedora_build_preflight_require': ['root', 'tools'],
        'fedora_build_min_free_gb': 0.01,
        'fedora_build_poll': 1,
        # the operator's directory of requested kickstarts: the tests write theirs under tmp_path
        'fedora_build_kickstart_dirs': [str(tmp_path)],
        # and of node repositories a request's file:// repository may name: the test repos lie under tmp_path
        'fedora_build_node_repo_dirs': [str(tmp_path)],
    }
    data.update(extra)
    return data


def records(status_dir):
    return {p.stem: json.loads(p.read_text()) for p in Path(status_dir).glob('rq-*.json')}


def check_local(staged):
    subprocess.run(['sha256sum', '--quiet', '-c', 'CHECKSUM'], cwd=staged, check=True)
