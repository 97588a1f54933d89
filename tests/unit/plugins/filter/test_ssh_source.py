# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.ondemand.fedora_build.plugins.filter.ssh_source import ssh_source


def test_local_connection_has_no_source():
    assert ssh_source({'ansible_connection': 'local'}, 'localhost') is None


def test_lab_style_inventory():
    src = ssh_source({
        'ansible_host': '10.77.3.11', 'ansible_user': 'root', 'ansible_ssh_private_key_file': '/lab/id_ed25519',
        'ansible_ssh_common_args': '-o StrictHostKeyChecking=yes -o UserKnownHostsFile=/lab/known_hosts -o IdentitiesOnly=yes',
    }, 'node-x86a')
    assert src == {'host': '10.77.3.11', 'user': 'root', 'identity_file': '/lab/id_ed25519',
                   'known_hosts_file': '/lab/known_hosts', 'ssh_args': ['-o', 'IdentitiesOnly=yes']}


def test_name_port_and_glued_options():
    src = ssh_source({'ansible_port': '2222', 'ansible_ssh_extra_args': "-oUserKnownHostsFile='/a/kh /b/kh' -i/k -J bastion"},
                     'build-01')
    assert src == {'host': 'build-01', 'port': 2222, 'identity_file': '/k', 'known_hosts_file': '/a/kh',  # ssh reads several files; stage takes one
                   'ssh_args': ['-J', 'bastion']}
