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


def test_a_node_behind_a_jump_host_is_pulled_the_way_ansible_reaches_it(tmp_path):
    """ProxyCommand / ProxyJump / -J, ports and users from the node's ssh args: the pull's ssh gets them all."""
    from ansible_collections.ondemand.fedora_build.plugins.module_utils.staging.ssh import SshConnection

    known = tmp_path / 'known_hosts'
    known.write_text('10.77.3.12 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDummy\n')
    hostvars = {
        'ansible_host': '10.77.3.12', 'ansible_user': 'builder', 'ansible_port': 2200,
        'ansible_ssh_private_key_file': '/lab/id_ed25519',
        'ansible_ssh_common_args': ('-o ControlMaster=auto -o ControlPersist=60s -o StrictHostKeyChecking=yes '
                                    '-o UserKnownHostsFile=%s -o ProxyCommand="ssh -W %%h:%%p -q root@10.77.3.11"'
                                    % known),
        'ansible_ssh_extra_args': '-o ServerAliveInterval=5 -l ignored -p 1',
    }
    src = ssh_source(hostvars, 'node-x86b')
    assert src == {'host': '10.77.3.12', 'port': 2200, 'user': 'builder', 'identity_file': '/lab/id_ed25519',
                   'known_hosts_file': str(known), 'proxy_command': 'ssh -W %h:%p -q root@10.77.3.11',
                   'ssh_args': ['-o', 'ServerAliveInterval=5']}
    src['identity_file'] = str(known)   # any existing file: the argv is what is checked
    argv = SshConnection(src, 'src_host', 10, 'node').base_argv()
    assert argv[argv.index('-p') + 1] == '2200' and argv[argv.index('-l') + 1] == 'builder'
    assert 'ProxyCommand=ssh -W %h:%p -q root@10.77.3.11' in argv
    assert 'UserKnownHostsFile=%s' % known in argv and 'StrictHostKeyChecking=yes' in argv
    assert argv[-2:] == ['-o', 'ServerAliveInterval=5']

    jump = ssh_source({'ansible_host': '10.77.3.12', 'ansible_ssh_common_args': '-J root@10.77.3.11:2222 -o ProxyJump=x'},
                      'n')
    assert jump == {'host': '10.77.3.12', 'ssh_args': ['-J', 'root@10.77.3.11:2222', '-o', 'ProxyJump=x']}
    assert SshConnection(jump, 'src_host', 10, 'node').base_argv()[-4:] == jump['ssh_args']


def test_proxy_command_is_one_line():
    from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
    from ansible_collections.ondemand.fedora_build.plugins.module_utils.staging.ssh import SshConnection
    import pytest

    with pytest.raises(FedoraBuildError, match=r'^src_host.proxy_command: must be one line of text\.$'):
        SshConnection({'host': 'n', 'proxy_command': 'ssh -W %h:%p j\nrm -rf /'}, 'src_host', 10, 'node')
