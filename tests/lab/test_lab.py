# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The SSH lab itself: tests/lab/lab.sh through the ``lab`` fixture and ansible."""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import pytest

from support.ansible_run import run_module
from support.plugin_lab import IN_USE, LAB_SH, Lab, start_lab

pytestmark = pytest.mark.lab


def _lab_processes(state):
    """Live processes whose command line mentions the lab's state dir (sshd, ssh mux)."""
    found = []
    for entry in Path('/proc').iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / 'cmdline').read_bytes().replace(b'\0', b' ').decode(errors='replace')
        except OSError:
            continue
        if str(state) in cmdline:
            found.append('%s %s' % (entry.name, cmdline.strip()))
    return found


def _netns_names():
    out = subprocess.run(['ip', 'netns', 'list'], capture_output=True, text=True, check=True).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def _links():
    out = subprocess.run(['ip', '-br', 'link'], capture_output=True, text=True, check=True).stdout
    return [line.split()[0].split('@')[0] for line in out.splitlines() if line.strip()]


def test_three_nodes_answer_ansible_ping(lab):
    run = run_module('ansible.builtin.ping', inventory=lab.inventory, hosts='builders')
    run.assert_ok()
    results = run.module_results()
    assert sorted(results) == ['node-arm', 'node-x86a', 'node-x86b']
    assert all(res['ping'] == 'pong' for res in results.values())


def test_nodes_have_distinct_hostnames_and_addresses(lab):
    run = run_module('ansible.builtin.command', {'argv': ['hostname']}, inventory=lab.inventory, hosts='builders')
    run.assert_ok()
    names = {host: res['stdout'] for host, res in run.module_results().items()}
    assert names == {'node-x86a': 'node-x86a', 'node-x86b': 'node-x86b', 'node-arm': 'node-arm'}
    addresses = [h['address'] for h in lab.hosts.values()]
    assert len(set(addresses)) == 3
    assert all(a.startswith('10.77.%d.' % lab.lab_id) for a in addresses)


def test_arch_groups_and_host_vars(lab):
    run = run_module('ansible.builtin.debug', {'msg': '{{ group_names }} {{ build_arch }} {{ fedora_build_work_dir }}'},
                     inventory=lab.inventory, hosts='builders')
    run.assert_ok()
    msgs = {host: res['msg'] for host, res in run.module_results().items()}
    assert msgs['node-x86a'].startswith("['builders', 'builders_x86_64'] x86_64 ")
    assert msgs['node-x86b'].startswith("['builders', 'builders_x86_64'] x86_64 ")
    assert msgs['node-arm'].startswith("['builders', 'builders_aarch64'] aarch64 ")
    assert lab.groups == {'builders_x86_64': ['node-x86a', 'node-x86b'], 'builders_aarch64': ['node-arm']}
    for host in lab.hosts.values():
        assert host['work_dir'] == host['node_root'] + '/work'
        assert msgs['node-arm'].endswith(' ' + lab.hosts['node-arm']['work_dir'])


def test_private_work_areas(lab):
    root = lab.hosts['node-x86a']['node_root']
    marker = '%s/marker-%s' % (root, uuid.uuid4().hex)
    lab.ssh('node-x86a', 'sh', '-c', 'echo node-x86a > %s' % marker)
    assert lab.ssh('node-x86a', 'cat', marker).stdout == 'node-x86a\n'
    for other in ('node-x86b', 'node-arm'):
        assert lab.ssh(other, 'test', '-e', marker, check=False).returncode == 1
    assert not os.path.exists(marker), 'the controller must not see a node work area'
    # the work area is a tmpfs of its own on every node, and the work dir exists on it
    fstype = lab.ssh('node-arm', 'stat', '-f', '-c', '%T', root).stdout.strip()
    assert fstype == 'tmpfs'
    assert lab.ssh('node-x86b', 'test', '-d', lab.hosts['node-x86b']['work_dir'], check=False).returncode == 0


def test_wrong_or_unknown_host_key_is_refused(lab, tmp_path):
    node = lab.hosts['node-x86a']
    subprocess.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', str(tmp_path / 'other')], check=True)
    wrong = tmp_path / 'known_hosts_wrong'
    wrong.write_text('%s %s\n' % (node['address'], ' '.join((tmp_path / 'other.pub').read_text().split()[:2])))
    empty = tmp_path / 'known_hosts_empty'
    empty.write_text('')

    proc = lab.ssh('node-x86a', 'true', check=False, known_hosts=wrong)
    assert proc.returncode == 255
    assert 'REMOTE HOST IDENTIFICATION HAS CHANGED' in proc.stderr or 'Host key verification failed' in proc.stderr
    proc = lab.ssh('node-x86a', 'true', check=False, known_hosts=empty)
    assert proc.returncode == 255 and 'Host key verification failed' in proc.stderr
    assert lab.ssh('node-x86a', 'true', check=False).returncode == 0

    # and through ansible with the inventory's own options, only the known_hosts swapped
    args = '-o StrictHostKeyChecking=yes -o UserKnownHostsFile=%s -o IdentitiesOnly=yes' % wrong
    run = run_module('ansible.builtin.ping', inventory=lab.inventory, hosts='node-x86a',
                     extra_vars={'ansible_ssh_common_args': args, 'ansible_control_path_dir': str(tmp_path / 'cp')})
    assert run.rc != 0
    assert run.status('module', 'node-x86a') == 'unreachable', run.describe()
    assert 'Host key verification failed' in run.result('module', 'node-x86a')['msg']


def test_inventory_keeps_host_key_checking_on(lab):
    text = lab.inventory.read_text()
    assert 'StrictHostKeyChecking=yes' in text and 'StrictHostKeyChecking=no' not in text
    assert 'UserKnownHostsFile=%s' % lab.known_hosts in text
    keys = lab.known_hosts.read_text().splitlines()
    assert len(keys) == 3 and all(' ssh-ed25519 ' in k for k in keys)
    assert len({k.split()[2] for k in keys}) == 3, 'every node has its own host key'


def test_second_lab_coexists_and_down_leaves_nothing(lab):
    other = start_lab()
    try:
        assert other.lab_id != lab.lab_id
        assert other.controller_address != lab.controller_address
        for current in (lab, other):
            run = run_module('ansible.builtin.ping', inventory=current.inventory, hosts='builders')
            run.assert_ok()
        assert _lab_processes(other.state), 'sshd and the ControlPersist masters should be running'
        # the same id again: refused with the in-use status, and the running lab is untouched
        proc = subprocess.run([str(LAB_SH), 'up'], env=other.env, capture_output=True, text=True, check=False)
        assert proc.returncode == IN_USE, proc.stdout + proc.stderr
        assert other.ssh('node-arm', 'true', check=False).returncode == 0
    finally:
        other.down()
    prefix = 'fblab%d-' % other.lab_id
    assert not [ns for ns in _netns_names() if ns.startswith(prefix)]
    links = _links()
    assert 'fblab%dbr' % other.lab_id not in links
    assert not [name for name in links if name.startswith('fb%dh' % other.lab_id) or name.startswith('fb%dn' % other.lab_id)]
    assert not _lab_processes(other.state), 'sshd, session or ssh mux processes left behind'
    assert other.status().returncode != 0
    other.down()  # idempotent
    # the session lab is unaffected
    assert lab.ssh('node-x86a', 'true', check=False).returncode == 0


def test_failed_up_cleans_up_after_itself(lab):
    probe = start_lab()  # find a free id, then give it back
    probe.down()
    broken = Lab(probe.lab_id)
    env = dict(broken.env, SSHD='/usr/bin/false')
    proc = subprocess.run([str(LAB_SH), 'up'], env=env, capture_output=True, text=True, check=False)
    assert proc.returncode not in (0, IN_USE), proc.stdout + proc.stderr
    assert 'up failed' in proc.stderr
    assert not [ns for ns in _netns_names() if ns.startswith('fblab%d-' % broken.lab_id)]
    assert 'fblab%dbr' % broken.lab_id not in _links()


def test_nodes_reach_a_server_on_the_controller_address(lab, file_server, tmp_path):
    (tmp_path / 'www').mkdir()
    (tmp_path / 'www' / 'payload.txt').write_text('from the controller\n')
    srv = file_server(tmp_path / 'www', host=lab.controller_address)
    run = run_module('ansible.builtin.get_url', {'url': srv.url_for('payload.txt'), 'dest': '{{ fedora_build_work_dir }}/payload.txt'},
                     inventory=lab.inventory, hosts='builders')
    run.assert_ok()
    assert all(res['changed'] and res['dest'].endswith('/work/payload.txt') for res in run.module_results().values())
    assert lab.ssh('node-arm', 'cat', lab.hosts['node-arm']['work_dir'] + '/payload.txt').stdout == 'from the controller\n'
    assert len([r for r in srv.requests if r[1] == '/payload.txt']) == 3


NODE_CLIENTS = r'''
import ftplib, io, smtplib, socket, sys
ftp_host, ftp_port, user, password, smtp_port = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
with ftplib.FTP() as ftp:
    ftp.connect(ftp_host, ftp_port, timeout=10)
    ftp.login(user, password)
    ftp.storbinary('STOR from-node.txt', io.BytesIO(socket.gethostname().encode() + b'\n'))
with smtplib.SMTP(ftp_host, smtp_port, timeout=10) as smtp:
    smtp.sendmail('node@lab.test', ['ops@lab.test'], 'Subject: staged\r\n\r\nfrom the node\r\n')
'''


def test_nodes_reach_ftp_and_smtp_on_the_controller_address(lab, ftp_server, smtp_sink_factory, tmp_path):
    ftp = ftp_server(tmp_path, host=lab.controller_address)
    sink = smtp_sink_factory(host=lab.controller_address)
    lab.ssh('node-x86b', '/usr/bin/python3', '-c', NODE_CLIENTS, ftp.host, ftp.port, ftp.user, ftp.password, sink.port)
    assert (tmp_path / 'from-node.txt').read_text() == 'node-x86b\n'
    msg = sink.wait_for(1)[0]
    assert msg['Subject'] == 'staged' and msg.get_content() == 'from the node\n'
