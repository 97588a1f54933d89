# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""boot_iso, dvd_iso and live_image over SSH on the lab's build nodes, with the builder stand-ins.

The nodes share the controller's filesystem except their node_root tmpfs, so
the stand-ins (and the repos made here in tmp_path) are visible to them; the
results land in each node's private node_root and are checked over ssh.
"""

from __future__ import annotations

import threading

import pytest

from support.ansible_run import run_playbook

pytestmark = pytest.mark.lab


def play(hosts, tasks):
    return [{'name': 'builders on the lab', 'hosts': hosts, 'gather_facts': False, 'tasks': tasks}]


def build_task(name, module, args, env, **extra):
    data = {'name': name, 'ondemand.fedora_build.%s' % module: args, 'environment': env}
    data.update(extra)
    return data


def remote_sha256(lab, host, path):
    return lab.ssh(host, 'sha256sum', path).stdout.split()[0]


def test_boot_iso_on_each_x86_node_lands_in_its_node_root(lab, tmp_path, builder_standins, fedora_repo):
    repo = fedora_repo  # the test distribution: the lorax stand-in installs the runtime from it with dnf
    args = {'product': 'Fedora', 'version': '41', 'release': '41', 'sources': ['file://%s/' % repo],
            'repos': [{'name': 'siderepo', 'baseurl': 'file://%s/' % repo, 'priority': 1}],
            'arch': '{{ build_arch }}', 'work_root': '{{ fedora_build_work_dir }}',
            'dest': '{{ node_root }}/images/boot'}
    run = run_playbook(play('builders_x86_64', [
        build_task('build', 'boot_iso', args, builder_standins.environment),
        build_task('again', 'boot_iso', args, builder_standins.environment),
    ]), lab.inventory, workdir=tmp_path / 'ansible')
    run.assert_ok()
    hosts = lab.groups['builders_x86_64']
    assert len(hosts) >= 2
    for host in hosts:
        res = run.result('build', host)
        assert res['changed'] is True and res['node_arch'] == 'x86_64'
        assert res['dest'] == '%s/images/boot' % lab.hosts[host]['node_root']
        assert res['cmd'][0] == str(builder_standins.tool('lorax'))
        boot = [a for a in res['artifacts'] if a['kind'] == 'boot_iso'][0]
        assert remote_sha256(lab, host, boot['path']) == boot['sha256']
        assert 'priority=1' in lab.ssh(host, 'cat', res['log_path']).stdout
        assert run.result('again', host)['changed'] is False


def test_declared_aarch64_node_refuses_lorax_but_kiwi_cross_builds(lab, tmp_path, builder_standins, kiwi_description):
    common = {'arch': '{{ build_arch }}', 'work_root': '{{ fedora_build_work_dir }}'}
    run = run_playbook(play('node-arm', [
        build_task('lorax', 'boot_iso', dict(
            common, product='Fedora', version='41', release='41', sources=['http://mirror.invalid/os/'],
            dest='{{ node_root }}/images/arm-boot'), builder_standins.environment, ignore_errors=True),
        build_task('kiwi', 'live_image', dict(
            common, backend='kiwi', description=str(kiwi_description), profiles=['Minimal-Live'], image_type='iso',
            dest='{{ node_root }}/images/arm-kiwi'), builder_standins.environment),
    ]), lab.inventory, workdir=tmp_path / 'ansible')
    assert run.status('lorax', 'node-arm') == 'ignored'
    assert run.result('lorax', 'node-arm')['msg'] == (
        'arch: lorax cannot build aarch64 images on this x86_64 node (it does not cross-build); '
        'run the task on a aarch64 build node.')
    kiwi = run.result('kiwi', 'node-arm')
    assert run.status('kiwi', 'node-arm') == 'changed', kiwi
    assert kiwi['cmd'][kiwi['cmd'].index('--target-arch') + 1] == 'aarch64'
    image = [a for a in kiwi['artifacts'] if a['kind'] == 'live_image'][0]
    assert image['name'] == 'Fedora-Test-Live.aarch64-41.0.0.iso'
    assert remote_sha256(lab, 'node-arm', image['path']) == image['sha256']


def test_parallel_builds_on_one_node_and_failure_keeps_log(lab, tmp_path, builder_standins, fedora_repo):
    live = 'url --url=file://%s/\nnetwork --bootproto=dhcp --activate\n%%packages\n@core\nkernel\ndracut-live\n%%end\n'
    ks = tmp_path / 'live.ks'
    ks.write_text(live % fedora_repo)
    bad_ks = tmp_path / 'bad.ks'
    bad_ks.write_text(live % (tmp_path / 'missing'))
    env = dict(builder_standins.environment, FB_STANDIN_SLEEP='2')
    runs = {}

    def build(name, kickstart, **extra):
        runs[name] = run_playbook(play('node-x86a', [build_task(name, 'live_image', dict(
            {'kickstart': str(kickstart), 'iso_name': '%s.iso' % name, 'work_root': '{{ fedora_build_work_dir }}',
             'dest': '{{ node_root }}/images/%s' % name}, **extra), env, ignore_errors=True)]),
            lab.inventory, workdir=tmp_path / ('ansible-' + name))

    threads = [threading.Thread(target=build, args=('one', ks)), threading.Thread(target=build, args=('two', ks)),
               threading.Thread(target=build, args=('bad', bad_ks))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    one, two = runs['one'].result('one', 'node-x86a'), runs['two'].result('two', 'node-x86a')
    assert runs['one'].status('one', 'node-x86a') == 'changed', one
    assert runs['two'].status('two', 'node-x86a') == 'changed', two
    assert one['build_id'] != two['build_id']
    for res in (one, two):
        iso = res['artifacts'][0]
        assert remote_sha256(lab, 'node-x86a', iso['path']) == iso['sha256']
    bad = runs['bad'].result('bad', 'node-x86a')
    assert runs['bad'].status('bad', 'node-x86a') == 'ignored'
    assert bad['msg'].startswith('livemedia-creator failed with exit code 1 after ')
    assert any('repomd.xml' in line for line in bad['log_tail'])
    assert bad['log_path'].startswith(lab.hosts['node-x86a']['work_dir'] + '/')
    assert 'Image creation failed: dnf failed' in lab.ssh('node-x86a', 'cat', bad['log_path']).stdout
