# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""boot_iso, dvd_iso and live_image through ansible-playbook on localhost, with the builder stand-ins.

The stand-ins parse the real option sets, so every command line the modules
produce is checked against the real tools' parsers here; their ISO images
are real ISO 9660 files, read back with xorriso.
"""

from __future__ import annotations

import configparser
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import pytest

from support.ansible_run import run_playbook

pytestmark = pytest.mark.slow


def play(tasks, **kw):
    return [dict({'name': 'builders', 'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}, **kw)]


def task(name, module, args, env, **extra):
    data = {'name': name, 'ondemand.fedora_build.%s' % module: args, 'environment': env}
    data.update(extra)
    return data


def volume_id(iso):
    out = subprocess.run(['xorriso', '-indev', str(iso), '-pvd_info'], capture_output=True, text=True, check=True)
    for line in out.stdout.splitlines():
        if line.startswith('Volume Id'):
            return line.split(':', 1)[1].strip()
    raise AssertionError('no volume id in %s: %s' % (iso, out.stdout))


def sha256(path):
    return hashlib.sha256(open(path, 'rb').read()).hexdigest()


def by_kind(result):
    return {a['kind']: a for a in result['artifacts']}


def check_artifacts(result):
    for art in result['artifacts']:
        assert os.path.isfile(art['path']), art
        assert art['size'] == os.path.getsize(art['path'])
        assert art['sha256'] == sha256(art['path'])


def test_boot_iso_builds_is_idempotent_and_check_mode_shows_command(tmp_path, builder_standins, fedora_repo):
    dest = tmp_path / 'out' / 'boot'
    args = {'product': 'Fedora', 'version': '41', 'release': '41', 'variant': 'Everything',
            'sources': ['file://%s/' % fedora_repo],
            'repos': [{'name': 'siderepo', 'baseurl': 'file://%s/' % fedora_repo, 'priority': 1}],
            'volid': 'Fedora-41-side', 'installpkgs': ['kernel'], 'macboot': False,
            'dest': str(dest), 'work_root': str(tmp_path / 'work')}
    env = builder_standins.environment
    run = run_playbook(play([
        task('preview', 'boot_iso', dict(args, build_id='fixed-id'), env, check_mode=True),
        task('build', 'boot_iso', dict(args, build_id='fixed-id'), env),
        task('again', 'boot_iso', args, env),
    ]))
    run.assert_ok()
    preview, build, again = (run.result(n) for n in ('preview', 'build', 'again'))
    # Check mode: the exact command of the real run, and nothing written.
    assert preview['changed'] is True and preview['cmd'] == build['cmd']
    assert preview['cmd'][0] == str(builder_standins.tool('lorax'))
    assert '--nomacboot' in preview['cmd'] and preview['cmd'][-1] == str(tmp_path / 'work' / 'fixed-id' / 'out')
    # The build: real ISO 9660 with the requested volume id, lorax's tree layout, logs kept in dest.
    assert build['changed'] is True and build['tool_version'] == '42.4' and build['duration'] > 0
    arts = by_kind(build)
    assert set(arts) >= {'boot_iso', 'treeinfo'}
    check_artifacts(build)
    assert volume_id(arts['boot_iso']['path']) == 'Fedora-41-side'
    tree = configparser.ConfigParser()
    tree.read(arts['treeinfo']['path'])
    assert tree['general']['arch'] == 'x86_64' and tree['images-x86_64']['boot.iso'] == 'images/boot.iso'
    log = (dest / 'build-logs' / 'build.log').read_text()
    assert 'priority=1' in log and 'Building boot.iso' in log and '# finished with exit code 0' in log
    assert (dest / 'build-logs' / 'lorax.log').is_file()
    assert not (tmp_path / 'work' / 'fixed-id').exists()
    # Second run of the same request: nothing to do, same checksums.
    assert again['changed'] is False
    assert [a['sha256'] for a in again['artifacts']] == [a['sha256'] for a in build['artifacts']]


def test_boot_iso_failure_gives_sentence_log_tail_and_keeps_log(tmp_path, builder_standins):
    missing = tmp_path / 'no-such-repo'
    run = run_playbook(play([task('build', 'boot_iso', {
        'product': 'Fedora', 'version': '41', 'release': '41', 'sources': ['file://%s/' % missing],
        'dest': str(tmp_path / 'boot'), 'work_root': str(tmp_path / 'work'), 'build_id': 'broken'},
        builder_standins.environment, ignore_errors=True)]))
    res = run.result('build')
    assert run.status('build') == 'ignored' and res['rc'] == 1
    assert res['msg'].startswith('lorax failed with exit code 1 after ')
    assert res['msg'].endswith('the full log is kept at %s.' % (tmp_path / 'work' / 'broken' / 'logs' / 'build.log'))
    assert res['msg'].count('. ') == 0  # one sentence
    assert any("Failed to download metadata for repo 'lorax-repo-0'" in line for line in res['log_tail'])
    assert os.path.isfile(res['log_path']) and 'repomd.xml' in open(res['log_path']).read()
    assert not (tmp_path / 'boot').exists()


def test_timeout_stops_tool_and_its_children(tmp_path, builder_standins, fedora_repo):
    env = dict(builder_standins.environment, FB_STANDIN_SLEEP='120')
    run = run_playbook(play([task('build', 'boot_iso', {
        'product': 'Fedora', 'version': '41', 'release': '41', 'sources': ['file://%s/' % fedora_repo],
        'dest': str(tmp_path / 'boot'), 'work_root': str(tmp_path / 'work'), 'timeout': 3},
        env, ignore_errors=True)]))
    res = run.result('build')
    assert run.status('build') == 'ignored' and res['timed_out'] is True
    assert res['duration'] < 120, 'stopped, not run until the stand-in ended by itself'
    assert res['msg'].startswith('lorax did not finish within the timeout of 3 seconds and was stopped')
    log = open(res['log_path']).read()
    pid = int(log.split('Running helper process pid ')[1].split()[0])
    deadline = time.monotonic() + 60  # polling with a deadline: a loaded machine only takes longer
    while os.path.exists('/proc/%d' % pid) and open('/proc/%d/stat' % pid).read().split(')')[-1].split()[0] != 'Z':
        if time.monotonic() > deadline:
            pytest.fail('the stand-in helper %d survived the timeout' % pid)
        time.sleep(0.1)


def test_parallel_builds_use_separate_work_dirs(tmp_path, builder_standins, fedora_repo):
    env = dict(builder_standins.environment, FB_STANDIN_SLEEP='2')
    runs = {}

    def build(name):
        runs[name] = run_playbook(play([task('build', 'boot_iso', {
            'product': 'Fedora', 'version': '41', 'release': name, 'sources': ['file://%s/' % fedora_repo],
            'dest': str(tmp_path / name), 'work_root': str(tmp_path / 'work'), 'keep_work_dir': True}, env)]))

    threads = [threading.Thread(target=build, args=(n,)) for n in ('a', 'b')]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results = [runs[n].assert_ok().result('build') for n in ('a', 'b')]
    assert results[0]['work_dir'] != results[1]['work_dir']
    assert sorted(os.listdir(tmp_path / 'work')) == sorted(r['build_id'] for r in results)
    for name, res in zip(('a', 'b'), results):
        assert res['dest'] == str(tmp_path / name)
        assert oct(os.stat(res['work_dir']).st_mode & 0o777) == '0o700'
        check_artifacts(res)
    # Each build really ran its 2 s in the tool (both started together, so their tool runs overlapped).
    assert all(r['duration'] >= 2 for r in results)


def test_arch_mismatch_is_refused_before_running(tmp_path, builder_standins):
    run = run_playbook(play([task('build', 'boot_iso', {
        'product': 'Fedora', 'version': '41', 'release': '41', 'sources': ['http://mirror.invalid/os/'],
        'arch': 's390x', 'dest': str(tmp_path / 'boot'), 'work_root': str(tmp_path / 'work')},
        builder_standins.environment, ignore_errors=True)]))
    res = run.result('build')
    assert run.status('build') == 'ignored'
    assert res['msg'].startswith('arch: lorax cannot build s390x images on this ')
    assert not (tmp_path / 'work').exists()


def test_dvd_iso_kickstart_with_include_and_side_repo(tmp_path, builder_standins, rpm_factory):
    """The legacy pungi backend (pungi 4.1.7): dnf gathers the kickstart's %packages from its repo lines, the side
    repo's pinned build included."""
    from support.plugin_builders import make_repo
    arch = os.uname().machine
    repos = {}
    for name, version in (('fedora', '1.0'), ('side', '2.0')):
        rpms = rpm_factory.build('hello', version, '1.fc41', arches=(arch,), subpackages=(), debuginfo=False)
        repos[name] = tmp_path / 'repos' / name
        repos[name].mkdir(parents=True)
        shutil.copy2(rpms[0].path, str(repos[name]))
        make_repo(repos[name])
    ks_dir = tmp_path / 'ks'
    ks_dir.mkdir()
    (ks_dir / 'common.ks').write_text('repo --name=fedora --baseurl=file://%s/\n' % repos['fedora'])
    (ks_dir / 'dvd.ks').write_text('%include common.ks\n%packages\nhello\n%end\n')
    dest = tmp_path / 'dvd'
    run = run_playbook(play([task('dvd', 'dvd_iso', {
        'backend': 'pungi', 'kickstart': str(ks_dir / 'dvd.ks'), 'name': 'Fedora', 'version': '41',
        'flavor': 'Custom', 'bugurl': 'https://bugzilla.redhat.com', 'nosource': True,
        'side_repos': [{'name': 'siderepo', 'baseurl': 'file://%s/' % repos['side'], 'cost': 10}],
        'dest': str(dest), 'work_root': str(tmp_path / 'work')}, builder_standins.environment)]))
    res = run.assert_ok().result('dvd')
    arts = by_kind(res)
    assert set(arts) == {'treeinfo', 'boot_iso', 'dvd_iso', 'netinst_iso', 'checksum'}
    check_artifacts(res)
    # pungi names the image <name>-<flavor>-<ver>-<arch>.iso under 700 MiB (-DVD.iso above)
    assert arts['dvd_iso']['relpath'] == '41/Custom/x86_64/iso/Fedora-Custom-41-x86_64.iso'.replace('x86_64', arch)
    assert volume_id(arts['dvd_iso']['path']) == 'Fedora 41 %s' % arch
    checksum = open(arts['checksum']['path']).read()
    assert '%s *Fedora-Custom-41-%s.iso' % (arts['dvd_iso']['sha256'], arch) in checksum
    assert (dest / '41' / 'Custom' / arch / 'os' / 'Packages' / 'h' / ('hello-2.0-1.fc41.%s.rpm' % arch)).is_file()
    log = open(res['log_path']).read()
    assert 'Adding repo siderepo: file://%s/ (cost 10)' % repos['side'] in log and 'Adding repo fedora' in log
    assert (dest / 'logs' / ('%s.log' % arch)).is_file()


def test_live_image_lmc_iso_and_disk(tmp_path, builder_standins, fedora_repo):
    ks = tmp_path / 'live.ks'
    ks.write_text('url --url=file://%s/\nnetwork --bootproto=dhcp --activate\n%%packages\n@core\nkernel\ndracut-live\n%%end\n'
                  % fedora_repo)
    env = builder_standins.environment
    base = {'backend': 'livemedia-creator', 'kickstart': str(ks), 'work_root': str(tmp_path / 'work')}
    run = run_playbook(play([
        task('iso', 'live_image', dict(base, project='Fedora-Live', releasever='41', volid='Fedora-Live-41',
                                       iso_name='Fedora-Live-41.iso', anaconda_timeout=30,
                                       dest=str(tmp_path / 'iso')), env),
        task('disk', 'live_image', dict(base, make='disk', image_name='fedora.img', dest=str(tmp_path / 'disk')), env),
    ]))
    run.assert_ok()
    iso, disk = run.result('iso'), run.result('disk')
    assert [a['relpath'] for a in iso['artifacts']] == ['Fedora-Live-41.iso']
    assert volume_id(iso['artifacts'][0]['path']) == 'Fedora-Live-41'
    assert [a['kind'] for a in disk['artifacts']] == ['disk_image']
    check_artifacts(iso)
    check_artifacts(disk)
    with open(disk['artifacts'][0]['path'], 'rb') as handle:
        handle.seek(510)
        assert handle.read(2) == b'\x55\xaa'
    assert (tmp_path / 'iso' / 'build-logs' / 'livemedia.log').is_file()


def test_live_image_kiwi_validates_description_and_adds_side_repo(tmp_path, builder_standins, kiwi_description):
    from support.plugin_builders import make_repo
    side = make_repo(tmp_path / 'repos' / 'side')
    env = builder_standins.environment
    base = {'backend': 'kiwi', 'description': str(kiwi_description), 'profiles': ['Workstation-Live'],
            'image_type': 'iso', 'work_root': str(tmp_path / 'work'),
            'add_repos': [{'source': 'file://%s/' % side, 'alias': 'siderepo', 'priority': 1}]}
    broken = tmp_path / 'broken-desc'
    broken.mkdir()
    (broken / 'config.kiwi').write_text(kiwi_description.joinpath('config.kiwi').read_text().replace(
        '<packages type="bootstrap">', '<bogus/><packages type="bootstrap">'))
    run = run_playbook(play([
        task('kiwi', 'live_image', dict(base, dest=str(tmp_path / 'kiwi')), env),
        task('broken', 'live_image', dict(base, description=str(broken), dest=str(tmp_path / 'broken')), env,
             ignore_errors=True),
    ]))
    res = run.result('kiwi')
    assert run.status('kiwi') == 'changed', res
    assert res['tool_version'] == '11.1.6'
    arts = by_kind(res)
    assert arts['live_image']['name'] == 'Fedora-Test-Live.x86_64-41.0.0.iso'
    assert volume_id(arts['live_image']['path']) == 'Fedora-Test-Live'
    assert 'gnome-shell|' in open(arts['image_packages']['path']).read()  # profile package list, from kiwi
    check_artifacts(res)
    log = open(res['log_path']).read()
    assert 'Setting up repository file://%s/ (alias siderepo, priority 1' % side in log
    result_json = json.loads((tmp_path / 'kiwi' / 'kiwi.result.json').read_text())
    assert 'live_image' in result_json
    assert (tmp_path / 'kiwi' / 'build').is_dir() and not (tmp_path / 'kiwi' / 'build' / 'image-root').exists()
    bad = run.result('broken')
    assert run.status('broken') == 'ignored' and bad['msg'].startswith('kiwi-ng failed with exit code 1')
    assert any('KiwiDescriptionInvalid' in line or 'Schema' in line for line in bad['log_tail']), bad['log_tail']


@pytest.mark.parametrize('tool,argv', [
    ('lorax', ['-p', 'F', '-v', '1', '-r', '1', '-s', 'http://x/', '--title', 'x', 'out']),
    ('pungi', ['-c', 'x.ks', '--destination', 'x']),
    ('livemedia-creator', ['--make-iso', '--no-virt', '--title', 'x']),
    ('kiwi-ng', ['system', 'build', '--description', '.', '--target-dir', 'x', '--add-repos', 'y']),
])
def test_standins_reject_options_the_real_tools_lack(builder_standins, tool, argv, tmp_path):
    proc = subprocess.run([str(builder_standins.tool(tool))] + argv, cwd=str(tmp_path), capture_output=True,
                          text=True, env=dict(os.environ, PATH=builder_standins.path), check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr


@pytest.mark.parametrize('tool,argv,rc,needle', [
    ('lorax', ['-p', 'F', '-v', '1', '-r', '1', '-s', 'http://x/', 'out'], 2, 'no root privileges'),
    ('pungi', ['-c', 'x.ks', '--all-stages'], 1, 'You must run pungi as root'),
    ('livemedia-creator', ['--make-iso', '--no-virt', '--ks', 'x.ks', '--logfile', 'l/x.log'], 1,
     'You need to run this as root'),
])
def test_standins_need_root_like_the_real_tools(builder_standins, tool, argv, rc, needle, tmp_path):
    # (kiwi-ng's root check is kiwi's own Privileges.check_for_root_permissions, untouched by the stand-in.)
    os.chmod(tmp_path, 0o777)
    # nobody must be able to read the stand-in: the checkout (or pytest's temp root) may sit in a 0700
    # directory, so run a copy from a fresh directory under /tmp that anyone can traverse.
    public = tempfile.mkdtemp(prefix='fb-standins-', dir='/tmp')
    try:
        os.chmod(public, 0o755)
        copy = os.path.join(public, 'bin')
        shutil.copytree(os.path.dirname(str(builder_standins.tool(tool))), copy)
        path = os.pathsep.join([copy] + builder_standins.path.split(os.pathsep)[1:])
        proc = subprocess.run(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups',
                               os.path.join(copy, tool)] + argv, cwd=str(tmp_path), capture_output=True,
                              text=True, env=dict(os.environ, PATH=path, HOME=str(tmp_path)), check=False)
    finally:
        shutil.rmtree(public)
    assert proc.returncode == rc, proc.stdout + proc.stderr
    assert needle in proc.stdout + proc.stderr


def test_lmc_standin_refuses_macboot_without_mkfs_hfsplus(builder_standins, tmp_path):
    """livemedia-creator turns --macboot on by default and refuses it without mkfs.hfsplus, as the real one does."""
    if shutil.which('mkfs.hfsplus', path=builder_standins.path):
        pytest.skip('this machine has mkfs.hfsplus')
    (tmp_path / 'x.ks').write_text('%packages\n%end\n')
    argv = [str(builder_standins.tool('livemedia-creator')), '--make-iso', '--no-virt', '--ks', 'x.ks',
            '--logfile', str(tmp_path / 'l' / 'x.log'), '--resultdir', str(tmp_path / 'out')]
    env = dict(os.environ, PATH=builder_standins.path)
    proc = subprocess.run(argv, cwd=str(tmp_path), capture_output=True, text=True, env=env, check=False)
    assert proc.returncode == 1 and 'mkfs.hfsplus is missing. Install hfsplus-tools, or pass --nomacboot' in proc.stdout + proc.stderr


def test_kiwi_test_description_passes_real_image_info(kiwi_description, tmp_path):
    """The description the kiwi tests build is valid for the real kiwi-ng, and a broken one is not."""
    kiwi = os.path.join(os.path.dirname(sys.executable), 'kiwi-ng')
    ok = subprocess.run([kiwi, '--profile', 'Workstation-Live', 'image', 'info', '--description', str(kiwi_description)],
                        capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert '"image": "Fedora-Test-Live"' in ok.stdout
    broken = tmp_path / 'broken'
    broken.mkdir()
    (broken / 'config.kiwi').write_text(kiwi_description.joinpath('config.kiwi').read_text().replace(
        '<users>', '<bogus/><users>'))
    bad = subprocess.run([kiwi, '--profile', 'Workstation-Live', 'image', 'info', '--description', str(broken)],
                         capture_output=True, text=True, check=False)
    assert bad.returncode == 1 and 'KiwiDescriptionInvalid' in bad.stdout + bad.stderr
