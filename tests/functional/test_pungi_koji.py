# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""dvd_iso with backend pungi-koji (a local compose) through ansible-playbook, and the pungi-koji stand-in.

Real: ansible-playbook, rpmbuild-made RPMs in createrepo_c repositories, dnf resolving the compose's packages
from exactly the configured repositories, createrepo_c, xorriso. Stand-ins: pungi-koji (pungi 4.6.0) and lorax.
"""

from __future__ import annotations

import gzip
import json
import os
import platform
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from support.ansible_run import REPO, run_playbook
from support.skips import tool_missing

pytestmark = pytest.mark.slow
ARCH = platform.machine()
COMMON = '{http://linux.duke.edu/metadata/common}'


def play(tasks):
    return [{'name': 'pungi-koji', 'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}]


def repo_of(path, rpms):
    """A createrepo_c repository of the given RPM files."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    for rpm in rpms:
        shutil.copy2(rpm.path, path / rpm.filename)
    subprocess.run(['createrepo_c', '--quiet', str(path)], check=True)
    return path


def primary_packages(repo):
    """{name: 'version-release'} of a repository's primary metadata."""
    repomd = ET.parse(str(repo / 'repodata' / 'repomd.xml')).getroot()
    ns = '{http://linux.duke.edu/metadata/repo}'
    href = [d.find(ns + 'location').get('href') for d in repomd.findall(ns + 'data') if d.get('type') == 'primary'][0]
    path = repo / href
    if path.suffix == '.zst':  # createrepo_c's default compression on current Fedora and Debian
        root = ET.fromstring(subprocess.run(['zstd', '-dc', str(path)], capture_output=True, check=True).stdout)
    else:
        with gzip.open(str(path)) as handle:
            root = ET.parse(handle).getroot()
    found = {}
    for pkg in root.findall(COMMON + 'package'):
        ver = pkg.find(COMMON + 'version')
        found[pkg.findtext(COMMON + 'name')] = '%s-%s' % (ver.get('ver'), ver.get('rel'))
    return found


def iso_files(iso):
    out = subprocess.run(['xorriso', '-indev', str(iso), '-find', '/', '-type', 'f'], capture_output=True,
                         text=True, check=True).stdout
    return sorted(line.strip().strip("'") for line in out.splitlines() if line.startswith("'/"))


def release_repo(dest, distro, rpms=()):
    """The test distribution's repository (support.distro: what lorax's runtime and the kickstarts install, with
    comps) without its hello builds, plus ``rpms``: the release repo of these tests, whose hello is older than
    the pinned build."""
    dest = Path(distro.copy(dest))
    repomd = ET.parse(str(dest / 'repodata' / 'repomd.xml')).getroot()
    ns = '{http://linux.duke.edu/metadata/repo}'
    groups = [d.find(ns + 'location').get('href') for d in repomd.findall(ns + 'data') if d.get('type') == 'group']
    comps = dest.parent / (dest.name + '-comps.xml')
    shutil.copy2(str(dest / groups[0]), str(comps))
    for path in list(dest.rglob('hello*.rpm')):
        path.unlink()
    for rpm in rpms:
        shutil.copy2(rpm.path, str(dest / rpm.filename))
    shutil.rmtree(str(dest / 'repodata'))
    subprocess.run(['createrepo_c', '--quiet', '-g', str(comps), str(dest)], check=True)
    return dest


@pytest.fixture
def dvd_repos(tmp_path, rpm_factory, distro):
    """The release repo (the test distribution with hello 1.0 and fbbase 1.0) and a side repo with the pinned
    build hello-2.0-1.fc41."""
    for tool in ('dnf', 'createrepo_c', 'xorriso', 'zstd'):
        if not shutil.which(tool):
            tool_missing('%s is missing (tests/install-deps.sh installs it)' % tool)
    hello1 = rpm_factory.build('hello', '1.0', '1.fc41', arches=(ARCH,), subpackages=('libs',), debuginfo=False)
    hello2 = rpm_factory.build('hello', '2.0', '1.fc41', arches=(ARCH,), subpackages=('libs',), debuginfo=False)
    base = rpm_factory.build('fbbase', '1.0', '1.fc41', arches=('noarch',), subpackages=(), debuginfo=False)
    fedora = release_repo(tmp_path / 'repos' / 'fedora', distro, hello1 + base)
    side = repo_of(tmp_path / 'repos' / 'side', hello2)
    return {'fedora': fedora, 'side': side}


def test_dvd_iso_pungi_koji_builds_a_compose_with_the_pinned_build(tmp_path, builder_standins, dvd_repos):
    ks = tmp_path / 'dvd.ks'
    ks.write_text('%packages\nhello\nfbbase\n-hello-libs\n%end\n')
    dest = tmp_path / 'dvd'
    args = {'backend': 'pungi-koji', 'kickstart': str(ks), 'version': '41', 'rootfs_size': 3,
            'bugurl': 'https://bugz.example.org/',
            'repos': [{'name': 'koji-side', 'baseurl': 'file://%s' % dvd_repos['side']},
                      {'name': 'fedora', 'baseurl': 'file://%s/' % dvd_repos['fedora']}],
            'dest': str(dest), 'work_root': str(tmp_path / 'work'), 'build_id': 'dvd1'}
    run = run_playbook(play([
        {'name': 'check', 'ondemand.fedora_build.dvd_iso': args, 'environment': builder_standins.environment,
         'check_mode': True},
        {'name': 'dvd', 'ondemand.fedora_build.dvd_iso': args, 'environment': builder_standins.environment},
        {'name': 'again', 'ondemand.fedora_build.dvd_iso': dict(args, build_id='dvd2'),
         'environment': builder_standins.environment},
    ]), workdir=tmp_path / 'run')
    run.assert_ok()
    check = run.result('check')
    assert check['cmd'][1:] == ['--config', str(tmp_path / 'work' / 'dvd1' / 'inputs' / 'pungi.conf'),
                                '--compose-dir', str(tmp_path / 'work' / 'dvd1' / 'out'), '--test',
                                '--no-latest-link']
    res = run.result('dvd')
    assert res['changed'] and res['backend'] == 'pungi-koji' and res['tool_version'] == '4.6.0'
    arts = {}
    for art in res['artifacts']:
        arts.setdefault(art['kind'], art)
        assert os.path.getsize(art['path']) == art['size']
    assert set(arts) == {'treeinfo', 'boot_iso', 'composeinfo', 'rpms_metadata', 'images_metadata', 'dvd_iso',
                         'checksum'}
    base = 'compose/Everything/%s' % ARCH
    assert re.match(r'^%s/iso/Fedora-41-\d{8}\.t\.0-Everything-%s-dvd1\.iso$' % (base, ARCH), arts['dvd_iso']['relpath'])
    assert arts['treeinfo']['relpath'] == base + '/os/.treeinfo'
    assert (dest / 'STATUS').read_text().strip() == 'FINISHED'
    assert not (dest / 'work').exists()  # pungi's work dir is not a result
    # the repodata of the tree: the pinned build from the side repo, not the release repo's 1.0; no excluded package
    os_tree = dest / base / 'os'
    assert primary_packages(os_tree) == {'hello': '2.0-1.fc41', 'fbbase': '1.0-1.fc41'}
    assert (os_tree / 'Packages' / 'h' / ('hello-2.0-1.fc41.%s.rpm' % ARCH)).is_file()
    # the DVD is a real ISO 9660 with the tree, its repodata and the pinned RPM
    files = iso_files(arts['dvd_iso']['path'])
    assert '/Packages/h/hello-2.0-1.fc41.%s.rpm' % ARCH in files and '/repodata/repomd.xml' in files
    assert '/images/boot.iso' in files and '/.treeinfo' in files
    # the configuration pungi-koji got: pungi's keys, the repos in order, lorax options
    conf = (dest / 'logs' / 'global' / 'config-copy' / 'pungi.conf').read_text()
    assert "pkgset_source = 'repos'" in conf and "buildinstall_method = 'lorax'" in conf
    assert "pkgset_repos = {'%s': ['file://%s', 'file://%s/']}" % (ARCH, dvd_repos['side'], dvd_repos['fedora']) in conf
    assert "filter_packages = [('^Everything$', {'*': ['hello-libs']})]" in conf
    log = (dest / 'logs' / 'global' / 'pungi.global.log').read_text()
    assert '--rootfs-size=3' in log and '--bugurl=https://bugz.example.org/' in log
    assert '"sha256"' in (dest / 'compose' / 'metadata' / 'images.json').read_text()
    rpms = (dest / 'compose' / 'metadata' / 'rpms.json').read_text()
    assert 'hello-0:2.0-1.fc41.%s' % ARCH in rpms and 'hello-0:1.0' not in rpms
    assert run.result('again')['changed'] is False  # same request: the compose in dest is this build


def config(tmp_path, **changes):
    """A minimal valid compose configuration (keys of pungi's checks.py), changed by ``changes``."""
    variants = tmp_path / 'variants.xml'
    variants.write_text('<variants><variant id="Everything" name="Everything" type="variant"><arches>'
                        '<arch>%s</arch></arches></variant></variants>\n' % ARCH)
    items = {'release_name': "'Fedora'", 'release_short': "'Fedora'", 'release_version': "'41'",
             'variants_file': repr(str(variants)), 'pkgset_source': "'repos'",
             'pkgset_repos': repr({ARCH: ['file://%s' % tmp_path]}), 'gather_method': "'deps'",
             'additional_packages': repr([('^Everything$', {'*': ['bash']})])}
    for key, value in changes.items():
        if value is None:
            items.pop(key, None)
        else:
            items[key] = value
    path = tmp_path / 'pungi.conf'
    path.write_text(''.join('%s = %s\n' % item for item in items.items()))
    return path


def standin(builder_standins, tmp_path, *argv):
    return subprocess.run([str(builder_standins.tool('pungi-koji'))] + list(argv), capture_output=True, text=True,
                          env=dict(os.environ, PATH=builder_standins.path), cwd=str(tmp_path), check=False)


@pytest.mark.parametrize('changes,needle', [
    ({'release_short': None}, "'release_short' is a required property"),
    ({'gather_method': None}, "'gather_method' is a required property"),
    ({'pkgset_repos': None}, 'pkgset_repos is required by pkgset_source = "repos"'),
    ({'pkgset_koji_tag': "'f41'"}, 'pkgset_koji_tag conflicts with pkgset_source = "repos"'),
    ({'buildinstall_method': "'buildinstall'"}, "is not one of ['lorax']"),
    ({'pkgset_repos': repr({ARCH: ['https://dl.fedoraproject.org/pub/fedora/linux/releases/41/Everything/x86_64/os/']})},
     'is not a local URL; the stand-in does not use the network'),
    ({'pkgset_repos': repr({ARCH: ['https://mirrors.fedoraproject.org/metalink?repo=fedora-41&arch=x86_64']})},
     'is not a local URL'),
])
def test_pungi_koji_standin_refuses_what_pungi_refuses_and_any_network_repo(builder_standins, tmp_path, changes,
                                                                            needle):
    path = config(tmp_path, **changes)
    proc = standin(builder_standins, tmp_path, '--config', str(path), '--compose-dir', str(tmp_path / 'c'), '--test')
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert needle in proc.stderr, proc.stderr


def test_pungi_koji_standin_cli_refusals(builder_standins, tmp_path):
    path = config(tmp_path)
    proc = standin(builder_standins, tmp_path, '--config', str(path), '--compose-dir', str(tmp_path / 'c'))
    assert proc.returncode == 2 and 'must specify label for a production compose' in proc.stderr
    proc = standin(builder_standins, tmp_path, '--config', str(path), '--target-dir', str(tmp_path / 'nope'),
                   '--test')
    assert proc.returncode == 2 and 'The target directory does not exist' in proc.stderr
    proc = standin(builder_standins, tmp_path, '--config', str(path), '--compose-dir', str(tmp_path / 'c'),
                   '--label', 'Nightly-1', '--production')
    assert proc.returncode == 2 and 'Invalid compose label' in proc.stderr
    proc = standin(builder_standins, tmp_path, '--config', str(path), '--compose-dir', str(tmp_path / 'c'),
                   '--just-phase', 'burn')
    assert proc.returncode == 2 and 'invalid choice' in proc.stderr
    path.write_text(path.read_text() + 'import os\n')
    proc = standin(builder_standins, tmp_path, '--config', str(path), '--compose-dir', str(tmp_path / 'c'), '--test')
    assert proc.returncode == 1 and 'only "key = value" assignments' in proc.stderr


def test_dvd_iso_pungi_koji_refuses_before_running(tmp_path, builder_standins):
    ks = tmp_path / 'dvd.ks'
    ks.write_text('%packages\n@core\n%end\n')
    base = {'backend': 'pungi-koji', 'kickstart': str(ks), 'version': '41', 'dest': str(tmp_path / 'd'),
            'work_root': str(tmp_path / 'w'), 'repos': [{'name': 'f', 'baseurl': 'file:///srv/f/'}]}
    run = run_playbook(play([
        {'name': 'groups', 'ondemand.fedora_build.dvd_iso': base, 'ignore_errors': True,
         'environment': builder_standins.environment},
        {'name': 'legacy_option', 'ondemand.fedora_build.dvd_iso': dict(base, flavor='Server'), 'ignore_errors': True,
         'environment': builder_standins.environment},
        {'name': 'metalink', 'ondemand.fedora_build.dvd_iso': dict(
            base, repos=[{'name': 'f', 'baseurl': 'mirrorlist:https://m/x'}]), 'ignore_errors': True,
         'environment': builder_standins.environment},
    ]), workdir=tmp_path / 'run')
    assert run.result('groups')['msg'].startswith('groups: the package groups @core need a comps file (comps_file)')
    assert run.result('legacy_option')['msg'] == 'flavor: does not apply to backend pungi-koji.'
    assert run.result('metalink')['msg'].startswith('repos[0].baseurl:')
    assert not (tmp_path / 'w').exists()


@pytest.mark.parametrize('line,needle', [
    ('repo --name=fedora --mirrorlist=https://mirrors.fedoraproject.org/mirrorlist?repo=fedora-41&arch=x86_64',
     '--mirrorlist https://mirrors.fedoraproject.org/mirrorlist?repo=fedora-41&arch=x86_64 needs the network'),
    ('url --mirrorlist=https://mirrors.fedoraproject.org/mirrorlist?repo=fedora-41&arch=x86_64',
     'url --mirrorlist'),
    ('repo --name=fedora --baseurl=https://dl.fedoraproject.org/pub/fedora/linux/releases/41/Everything/x86_64/os/',
     'is not a local URL; the stand-in does not use the network'),
])
def test_legacy_pungi_standin_fails_loudly_on_a_mirrorlist_or_network_repo(builder_standins, tmp_path, line, needle):
    """pungi 4.1.7's stand-in used to ignore kickstart --mirrorlist lines; now they fail the build, as any repo the
    stand-in would have to fetch from the network does."""
    if os.geteuid() != 0:
        pytest.skip('the legacy pungi refuses to run all stages without root before reading the kickstart')
    ks = tmp_path / 'dvd.ks'
    ks.write_text('%s\n%%packages\nbash\n%%end\n' % line)
    proc = subprocess.run([str(builder_standins.tool('pungi')), '--ver', '41', '--destdir', str(tmp_path / 'd'),
                           '--cachedir', str(tmp_path / 'c'), '-c', str(ks)], capture_output=True, text=True,
                          env=dict(os.environ, PATH=builder_standins.path), check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert needle in proc.stderr, proc.stderr
    assert not list((tmp_path / 'd').rglob('*.iso'))


def test_legacy_pungi_standin_is_pungi_4_1_7(builder_standins, tmp_path):
    def run(*argv):
        return subprocess.run([str(builder_standins.tool('pungi'))] + list(argv), capture_output=True,
                              text=True, cwd=str(tmp_path), check=False)
    assert run('--version').stdout.strip() == 'pungi 4.1.7'
    proc = run('-c', 'x.ks', '--rootfs-size=3')  # pungi 3.x and 4.x never had it
    assert proc.returncode == 2 and 'no such option: --rootfs-size' in proc.stderr
    proc = run('-c', 'x.ks', '--flavor', 'My-Spin')
    assert proc.returncode == 2 and 'Variant must be alphanumeric' in proc.stderr
    proc = run('--ver', '41')
    assert proc.returncode == 2 and 'Please specify a config file' in proc.stderr


@pytest.mark.parametrize('backend', ['pungi-koji', 'pungi'])
def test_dvd_pipeline_with_a_pinned_koji_build(node, tmp_path, koji_world, builder_standins, distro, backend):
    """playbooks/build.yml: a dvd request of Fedora 41 with the Koji build hello-2.0-1.fc41 pinned; the release
    repo has hello-1.0. Both backends put the pinned build on the DVD (pungi-koji by default for 41, the legacy
    pungi when the request names it)."""
    fedora = release_repo(tmp_path / 'repos' / 'fedora', distro,
                          [r for r in koji_world.hello1_rpms if r.arch == ARCH and not r.name.endswith('-debuginfo')])
    ks = tmp_path / 'dvd.ks'
    ks.write_text('%packages\nhello\nhello-libs\n%end\n')
    request = {'image_type': 'dvd', 'release': '41', 'arch': ARCH, 'name': 'dvd-pinned',
               'kickstart': {'src': str(ks)},
               'koji': {'hub_url': koji_world.hub.url, 'topurl': koji_world.hub.topurl,
                        'builds': ['hello-2.0-1.fc41'], 'sigkeys': [koji_world.key1.sigkey]},
               'repos': {'presets': [], 'extra': [{'name': 'fedora', 'baseurl': 'file://%s/' % fedora}]}}
    if backend == 'pungi':
        request['builder'] = {'backend': 'pungi', 'flavor': 'Pinned'}
    # as tests/functional/test_pipeline_local.py runs the service on this machine as its one build node
    extra_vars = {'fedora_build_staging': [{'type': 'local', 'path': str(node['staging'])}],
                  'fedora_build_allow_request_destinations': True, 'fedora_build_kickstart_dirs': [str(tmp_path)],
                  'fedora_build_environment': builder_standins.environment,
                  'fedora_build_preflight_require': ['root', 'tools', 'arch'], 'fedora_build_poll': 0,
                  'fedora_build_request': request}
    run = run_playbook(str(REPO / 'playbooks' / 'build.yml'), inventory=node['inventory'], extra_vars=extra_vars,
                       workdir=tmp_path / 'run')
    run.assert_ok()
    (dvd,) = [r for r in run.results if r.action == 'ondemand.fedora_build.dvd_iso']
    assert dvd.status == 'changed' and dvd.result['backend'] == backend
    (record,) = [json.loads(p.read_text()) for p in (node['staging'] / 'status').glob('rq-*.json')]
    assert record['state'] == 'succeeded', record
    output = node['staging'] / record['build_id'] / 'output'
    if backend == 'pungi-koji':
        (iso,) = output.glob('compose/Everything/%s/iso/*-dvd1.iso' % ARCH)
        tree = output / 'compose' / 'Everything' / ARCH / 'os'
    else:
        (iso,) = output.glob('41/Pinned/%s/iso/Fedora-Pinned-41-%s.iso' % (ARCH, ARCH))
        tree = output / '41' / 'Pinned' / ARCH / 'os'
    assert primary_packages(tree) == {'hello': '2.0-1.fc41', 'hello-libs': '2.0-1.fc41'}
    files = iso_files(iso)
    assert '/Packages/h/hello-2.0-1.fc41.%s.rpm' % ARCH in files
    assert not [f for f in files if 'hello-1.0' in f]
