# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The build service end to end on the lab: playbooks/build.yml over SSH.

Three real sshd nodes (node-x86a, node-x86b in builders_x86_64, node-arm in
builders_aarch64), the Koji hub stand-in and an FTP server on the lab
bridge, the SMTP sink, staging to a controller directory, to node-arm's
private tmpfs over SSH and to FTP. Builder tools are the stand-ins (shared
filesystem); node-arm is an x86_64 machine declared aarch64, so its build
uses kiwi, the backend that cross-builds.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime

import pytest

from support.ansible_run import run_playbook
from support.lab_pipeline import PLAYBOOK, check_local, lab_inventory, records, service
from support.plugin_koji import KojiWorld

pytestmark = pytest.mark.lab


@pytest.fixture
def world(lab, koji_hub_factory, rpm_factory, gpg_key, gpg_key2):
    return KojiWorld(koji_hub_factory(host=lab.controller_address), rpm_factory, gpg_key, gpg_key2)


def when(text):
    return datetime.fromisoformat(text.replace('Z', '+00:00'))


def test_batch_over_two_arches_three_nodes_and_three_staging_targets(
        lab, tmp_path, world, fedora_repo, builder_standins, kiwi_description, ftp_server, smtp_sink,
        controller_only_key):
    ftp_root = tmp_path / 'ftp'
    ftp_root.mkdir()
    ftp = ftp_server(str(ftp_root), host=lab.controller_address)
    arm = lab.hosts['node-arm']
    ssh_path = '%s/staging-ssh' % arm['node_root']
    # the operator's named staging targets and Koji hub; the requests name them
    staging_targets = {
        'controller': {'type': 'local', 'path': str(tmp_path / 'staging')},
        # a key node-arm's sshd takes only from the controller: the build role relays SSH staging (no login on nodes)
        'arm-ssh': {'type': 'ssh', 'host': arm['address'], 'user': 'root', 'path': ssh_path,
                    'identity_file': str(controller_only_key), 'known_hosts_file': str(lab.known_hosts)},
        'lab-ftp': {'type': 'ftp', 'host': lab.controller_address, 'port': ftp.port, 'user': ftp.user,
                    'password_env': 'FEDORA_BUILD_FTP_PASSWORD', 'path': '/pub'},
    }
    targets = ['controller', 'arm-ssh', 'lab-ftp']
    (ftp_root / 'pub').mkdir()
    repos = {'presets': [], 'extra': [{'name': 'fedora', 'baseurl': 'file://%s/' % fedora_repo}]}
    koji_hubs = {'lab': {'hub_url': world.hub.url, 'topurl': world.hub.topurl}}
    koji = {'hub': 'lab', 'sigkeys': [world.key1.sigkey, '']}
    notify = {'email': ['qa@example.org'], 'on': ['failed', 'succeeded']}
    requests = [
        {'image_type': 'boot', 'release': '41', 'arch': 'x86_64', 'name': 'boot-hello2', 'repos': repos,
         'koji': dict(koji, builds=['hello-2.0-1.fc41']), 'staging': targets, 'notify': notify},
        {'image_type': 'boot', 'release': '41', 'arch': 'x86_64', 'name': 'boot-plain', 'repos': repos,
         'staging': targets},
        {'image_type': 'boot', 'release': '41', 'arch': 'x86_64', 'name': 'boot-broken', 'notify': notify,
         'repos': {'presets': [], 'extra': [{'name': 'fedora', 'baseurl': 'file://%s/' % (tmp_path / 'nonexistent')}]}},
        {'image_type': 'live', 'release': '41', 'arch': 'aarch64', 'name': 'live-arm', 'repos': repos,
         'koji': dict(koji, builds=['hello-1.0-1.fc41']), 'staging': targets,
         'builder': {'backend': 'kiwi', 'description': 'lab-minimal', 'profiles': ['Minimal-Live'],
                     'image_type': 'iso'}},
    ]
    smtp = {'host': smtp_sink.host, 'port': smtp_sink.port, 'security': 'none', 'sender': 'builds@example.org'}
    inventory = lab_inventory(lab, tmp_path / 'inventory.yml')
    extra = dict(service(lab, tmp_path, builder_standins, fedora_build_smtp=smtp,
                         fedora_build_kiwi_descriptions={'lab-minimal': str(kiwi_description)},
                         fedora_build_staging_targets=staging_targets, fedora_build_koji_hubs=koji_hubs),
                 fedora_build_requests=requests)
    env = {'FEDORA_BUILD_FTP_PASSWORD': ftp.password}

    run = run_playbook(PLAYBOOK, inventory=inventory, extra_vars=extra, env=env, workdir=tmp_path / 'run1')
    assert run.rc == 2
    status = records(tmp_path / 'staging' / 'status')
    by_name = {r['name']: r for r in status.values()}
    assert sorted(by_name) == ['boot-broken', 'boot-hello2', 'boot-plain', 'live-arm']
    for name in ('boot-hello2', 'boot-plain', 'live-arm'):
        assert by_name[name]['state'] == 'succeeded', by_name[name]
    broken = by_name['boot-broken']
    assert broken['state'] == 'failed' and "Failed to download metadata for repo 'fedora'" in broken['reason']

    # Spread: the three x86 builds over both x86 nodes, the arm build on node-arm.
    x86_nodes = {by_name[n]['node'] for n in ('boot-hello2', 'boot-plain', 'boot-broken')}
    assert x86_nodes == {'node-x86a', 'node-x86b'}
    assert by_name['live-arm']['node'] == 'node-arm'

    # Every target holds every successful build, verified against its CHECKSUM.
    for name in ('boot-hello2', 'boot-plain', 'live-arm'):
        build_id = by_name[name]['build_id']
        check_local(tmp_path / 'staging' / build_id)
        check_local(ftp_root / 'pub' / build_id)
        lab.ssh('node-arm', 'sh', '-c', 'cd %s/%s && sha256sum --quiet -c CHECKSUM' % (ssh_path, build_id))
        assert len(by_name[name]['staging']) == 3
    # The failed build's logs went to its own targets (the default: the controller directory).
    failed_dir = tmp_path / 'staging' / broken['build_id']
    assert (failed_dir / 'logs' / 'lorax' / 'build.log').is_file()
    assert json.loads((failed_dir / 'build.json').read_text())['result']['state'] == 'failed'
    # The side repo's pinned build went into the manifest; latest pointers on local and SSH targets.
    hello2 = json.loads((tmp_path / 'staging' / by_name['boot-hello2']['build_id'] / 'koji-manifest.json').read_text())
    assert 'hello-2.0-1.fc41' in json.dumps(hello2)
    link = tmp_path / 'staging' / 'latest-live-41-aarch64'
    assert link.resolve().name == by_name['live-arm']['build_id']
    assert lab.ssh('node-arm', 'readlink', '%s/latest-live-41-aarch64' % ssh_path).stdout.strip() == \
        by_name['live-arm']['build_id']
    assert (ftp_root / 'pub' / 'latest-live-41-aarch64').read_text().strip() == by_name['live-arm']['build_id']
    # No node keeps a work dir or a slot.
    for host in lab.hosts:
        assert lab.ssh(host, 'sh', '-c', 'ls %s/work | grep -c slot- || true' % lab.hosts[host]['node_root']
                       ).stdout.strip() == '0'
    # Mails: success for hello2, failure with the reason for broken; the FTP password is nowhere.
    smtp_sink.wait_for(2)
    mails = {m['subject']: m for m in (e['message'] for e in smtp_sink.envelopes)}
    assert any(s.startswith('[fedora-build] succeeded: boot 41 x86_64') for s in mails), list(mails)
    failure = [m for s, m in mails.items() if s.startswith('[fedora-build] FAILED: boot 41 x86_64')]
    assert failure and "Failed to download metadata" in failure[0].get_content()
    assert ftp.password not in (tmp_path / 'run1' / 'results.json').read_text()
    # every FTP upload came from the controller (relayed), none from a node
    assert ftp.uploaders and set(ftp.uploaders) == {lab.controller_address}, ftp.uploaders

    # The same batch again rebuilds nothing that succeeded.
    again = run_playbook(PLAYBOOK, inventory=inventory, extra_vars=extra, env=env, workdir=tmp_path / 'run2')
    assert again.rc == 2  # boot-broken still fails
    status2 = {r['name']: r for r in records(tmp_path / 'staging' / 'status').values()}
    for name in ('boot-hello2', 'boot-plain', 'live-arm'):
        assert status2[name]['reused'] is True and status2[name]['build_id'] == by_name[name]['build_id']


def test_two_playbook_runs_at_once_take_turns_on_one_node(lab, tmp_path, fedora_repo, builder_standins):
    repos = {'presets': [], 'extra': [{'name': 'fedora', 'baseurl': 'file://%s/' % fedora_repo}]}
    inventory = lab_inventory(lab, tmp_path / 'inventory.yml', only=['node-x86a'])
    env = dict(builder_standins.environment, FB_STANDIN_SLEEP='4')
    results = {}

    def one(name):
        extra = dict(service(lab, tmp_path, builder_standins, fedora_build_environment=env),
                     fedora_build_request={'image_type': 'boot', 'release': '41', 'arch': 'x86_64', 'name': name,
                                           'repos': repos})
        results[name] = run_playbook(PLAYBOOK, inventory=inventory, extra_vars=extra, workdir=tmp_path / name)

    threads = [threading.Thread(target=one, args=(n,)) for n in ('first', 'second')]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for run in results.values():
        run.assert_ok()
    status = {r['name']: r for r in records(tmp_path / 'staging' / 'status').values()}
    assert {r['node'] for r in status.values()} == {'node-x86a'}
    windows = sorted((when(r['started']), when(r['finished'])) for r in status.values())
    # capacity 1: the later build starts building only after the earlier one is finished
    builds = []
    for r in status.values():
        start = [h for h in r['history'] if h['phase'] == 'build'][0]['time']
        builds.append((when(start), when(r['finished'])))
    builds.sort()
    assert builds[0][1] <= builds[1][0], builds
    assert windows[0][0] <= windows[1][0]


def test_an_unreachable_node_fails_only_its_builds(lab, tmp_path, fedora_repo, builder_standins):
    repos = {'presets': [], 'extra': [{'name': 'fedora', 'baseurl': 'file://%s/' % fedora_repo}]}
    dead = {'ansible_host': '%s.250' % lab.controller_address.rsplit('.', 1)[0], 'ansible_ssh_timeout': 3,
            'node_root': '/nonexistent'}
    inventory = lab_inventory(lab, tmp_path / 'inventory.yml', extra_hosts={
        'builders_x86_64': {'node-x86-dead': dict(dead, build_arch='x86_64')},
        'builders_ppc64le': {'node-ppc-dead': dict(dead, build_arch='ppc64le')},
    })
    requests = [{'image_type': 'boot', 'release': '41', 'arch': 'x86_64', 'name': 'x86-%d' % i, 'repos': repos}
                for i in range(3)]
    requests.append({'image_type': 'boot', 'release': '41', 'arch': 'ppc64le', 'name': 'ppc', 'repos': repos})
    extra = dict(service(lab, tmp_path, builder_standins), fedora_build_requests=requests)
    run = run_playbook(PLAYBOOK, inventory=inventory, extra_vars=extra, workdir=tmp_path / 'run')
    assert run.rc in (2, 4)
    status = {r['name']: r for r in records(tmp_path / 'staging' / 'status').values()}
    for i in range(3):
        assert status['x86-%d' % i]['state'] == 'succeeded' and status['x86-%d' % i]['node'] in ('node-x86a', 'node-x86b')
    assert status['ppc']['state'] == 'failed'
    assert status['ppc']['reason'] == 'no reachable build node serves ppc64le (node-ppc-dead did not answer)'
    msg = run.result('Fail the run when a build failed', 'localhost')['msg']
    assert msg.startswith('1 of 4 builds failed: %s' % status['ppc']['request_id'])
