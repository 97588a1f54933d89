# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lorax and livemedia-creator stand-ins install for real, from exactly the repositories they are given.

Real: the test distribution (rpmbuild, createrepo_c, comps), dnf --installroot, the RPM database, mksquashfs,
xorriso.  The images are read back with the product's own readers (module_utils/image_contents.py:
iso_extent, extract_rpmdb, rpmdb_packages, package_log_packages, squashfs_has), so this also proves that
the readers and the stand-ins agree on the layout.  Every refusal the stand-ins copy from the real tools
has a test, and a mirrorlist or a non-local URL fails them loudly instead of being ignored.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ansible_collections.ondemand.fedora_build.plugins.module_utils import image_contents as ic
from support.plugin_builders import STANDINS, make_repo

pytestmark = pytest.mark.slow

sys.path.insert(0, str(STANDINS))
import _install  # noqa: E402  pylint: disable=wrong-import-position,import-error

LOUD = 'needs the network (the real tool would fetch it)'
NOT_LOCAL = 'is not a local URL; the stand-in does not use the network'
NETWORK = 'network --bootproto=dhcp --activate\n'


def run(argv):
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def tool(builder_standins, name, argv, cwd, **env):
    proc = subprocess.run([str(builder_standins.tool(name))] + [str(a) for a in argv], cwd=str(cwd),
                          capture_output=True, text=True, env=dict(os.environ, PATH=builder_standins.path, **env),
                          check=False)
    return proc.returncode, proc.stdout + proc.stderr


def lorax(builder_standins, tmp_path, *argv, **env):
    return tool(builder_standins, 'lorax', ['-p', 'Fedora', '-v', '42', '-r', '42', '--nomacboot',
                                            '--logfile', tmp_path / 'logs' / 'lorax.log', '--tmp', tmp_path / 'tmp']
                + list(argv) + [tmp_path / 'out'], tmp_path, **env)


def lmc(builder_standins, tmp_path, kickstart, *argv, **env):
    ks = tmp_path / 'live.ks'
    ks.write_text(kickstart)
    return tool(builder_standins, 'livemedia-creator',
                ['--make-iso', '--no-virt', '--nomacboot', '--ks', ks, '--resultdir', tmp_path / 'result',
                 '--logfile', tmp_path / 'logs' / 'livemedia.log', '--tmp', tmp_path / 'tmp', '--releasever', '42']
                + list(argv), tmp_path, **env)


def live_ks(fedora_repo, packages=('kernel', 'dracut-live'), extra=''):
    return 'url --url=file://%s/\n%s%s%%packages\n%s\n%%end\n' % (fedora_repo, NETWORK, extra, '\n'.join(packages))


def squashfs_in_iso(iso, path):
    extent = ic.iso_extent(run, str(iso), path)
    assert extent, '%s has no %s' % (iso, path)
    return extent[0]


def rpmdb_of_squashfs(image, dest, offset=0):
    dbpath = ic.extract_rpmdb(run, str(image), str(dest), offset=offset)
    assert dbpath, 'no RPM database in %s' % image
    return {p['name']: p for p in ic.rpmdb_packages(run, dbpath)}


def package_log(image):
    text = ic.squashfs_cat(run, str(image), 'root/lorax-packages.log')
    assert text, 'no /root/lorax-packages.log in %s' % image
    return text


@pytest.fixture(scope='module')
def side_builds(rpm_factory):
    """Older builds of a name the distribution has newer (hello 2.0 vs 9.0), and one only the side repo has."""
    return (rpm_factory.build('hello', '2.0', '1.fc41', arches=('x86_64', 'aarch64'), debuginfo=False)
            + rpm_factory.build('onlyside', '1.0', '1.fc41', subpackages=(), debuginfo=False))


@pytest.fixture
def side_repo(tmp_path, side_builds):
    path = tmp_path / 'repos' / 'side'
    path.mkdir(parents=True)
    for rpm in side_builds:
        os.link(rpm.path, str(path / rpm.filename))
    return make_repo(path)


# --- refusals ------------------------------------------------------------------------------------------------

def test_lorax_refuses_without_source_or_repo_like_lorax_42(builder_standins, tmp_path):
    rc, out = lorax(builder_standins, tmp_path, '--mirrorlist', 'http://127.0.0.1/mirrorlist')
    assert rc == 2 and 'lorax: error: --source, --repo, or both are required.' in out, out
    assert not (tmp_path / 'out').exists()


def test_lorax_mirrorlist_fails_loudly(builder_standins, tmp_path, fedora_repo):
    rc, out = lorax(builder_standins, tmp_path, '-s', 'file://%s/' % fedora_repo,
                    '--mirrorlist', 'http://127.0.0.1/mirrorlist')
    assert rc == 1 and 'lorax-mirrorlist-0: --mirrorlist http://127.0.0.1/mirrorlist %s' % LOUD in out, out
    assert 'ERROR' in (tmp_path / 'logs' / 'lorax.log').read_text()


def test_lorax_repo_file_with_mirrorlist_fails_loudly(builder_standins, tmp_path, fedora_repo):
    repo_file = tmp_path / 'f.repo'
    repo_file.write_text('[fedora]\nmirrorlist=https://mirrors.fedoraproject.org/mirrorlist?repo=fedora-42\n'
                         '[local]\nbaseurl=file://%s/\n' % fedora_repo)
    rc, out = lorax(builder_standins, tmp_path, '--repo', repo_file)
    assert rc == 1 and 'mirrorlist https://mirrors.fedoraproject.org/mirrorlist?repo=fedora-42 %s' % LOUD in out, out


@pytest.mark.parametrize('url', ['http://mirror.invalid/os/', 'https://dl.fedoraproject.org/pub/fedora/'])
def test_lorax_non_local_source_fails_loudly(builder_standins, tmp_path, url):
    rc, out = lorax(builder_standins, tmp_path, '-s', url)
    assert rc == 1 and 'repo lorax-repo-0: %s %s' % (url, NOT_LOCAL) in out, out


def test_local_hosts_are_allowed_by_name_or_loopback(monkeypatch):
    assert _install.check_url('http://127.0.0.1:8080/repo/', 'x') and _install.check_url('http://[::1]/r/', 'x')
    assert _install.check_url('http://localhost/r/', 'x') and _install.check_url('/srv/repo', 'x')
    with pytest.raises(_install.StandinError, match=NOT_LOCAL):
        _install.check_url('http://10.77.3.1:8000/repo/', 'repo side')
    monkeypatch.setenv('FB_STANDIN_LOCAL_HOSTS', '10.77.3.1 10.77.4.1')
    assert _install.check_url('http://10.77.3.1:8000/repo/', 'repo side')
    with pytest.raises(_install.StandinError, match='not a URL dnf can use'):
        _install.check_url('rsync://host/repo/', 'repo side')


@pytest.mark.parametrize('kickstart,needle', [
    ('%s%%packages\ndracut-live\n%%end\n' % NETWORK,
     'Only url, nfs and ostreesetup install methods are currently supported.Please fix your kickstart file.'),
    ('%srepo --name=side --baseurl=file:///srv/side/\n%%packages\ndracut-live\n%%end\n' % NETWORK,
     'repo can only be used with the url install method. Add url to your kickstart file.'),
    ('url --url=file:///srv/os/\n%packages\ndracut-live\n%end\n',
     'The kickstart must activate networking if the url or nfs install method is used.'),
    ('url --url=file:///srv/os/\n%stext\n%%packages\ndracut-live\n%%end\n' % NETWORK,
     'The kickstart must not set a display mode (text, cmdline, graphical), this will interfere with '
     'livemedia-creator.'),
    ('url --url=file:///srv/os/\n%s%%packages\nkernel\n%%end\n' % NETWORK,
     'dracut-live package is missing from the kickstart.'),
    ('url --url=file:///srv/os/\n%srepo --name=side\n%%packages\ndracut-live\n%%end\n' % NETWORK,
     'kickstart repo side has no --baseurl, --mirrorlist or --metalink; anaconda cannot use it.'),
], ids=['no-install-method', 'repo-without-url', 'no-network', 'display-mode', 'no-dracut-live',
        'repo-without-baseurl'])
def test_lmc_refuses_what_lorax_42_refuses(builder_standins, tmp_path, kickstart, needle):
    rc, out = lmc(builder_standins, tmp_path, kickstart)
    assert rc == 1 and needle in out, out
    assert needle in (tmp_path / 'logs' / 'livemedia.log').read_text()
    assert not (tmp_path / 'result').exists()


@pytest.mark.parametrize('line,needle', [
    ('repo --name=updates --mirrorlist=https://mirrors.fedoraproject.org/metalink?repo=updates-released-f42\n',
     'kickstart repo updates: --mirrorlist https://mirrors.fedoraproject.org/metalink?repo=updates-released-f42 '
     + LOUD),
    ('repo --name=updates --metalink=http://127.0.0.1/metalink\n',
     'kickstart repo updates: --metalink http://127.0.0.1/metalink ' + LOUD),
    ('repo --name=updates --baseurl=http://dl.fedoraproject.org/pub/fedora/linux/updates/42/\n',
     'repo updates: http://dl.fedoraproject.org/pub/fedora/linux/updates/42/ ' + NOT_LOCAL),
], ids=['mirrorlist', 'metalink', 'remote-baseurl'])
def test_lmc_mirrorlist_or_remote_repo_fails_loudly(builder_standins, tmp_path, fedora_repo, line, needle):
    rc, out = lmc(builder_standins, tmp_path, live_ks(fedora_repo, extra=line))
    assert rc == 1 and needle in out, out
    assert not (tmp_path / 'result').exists()


def test_lmc_url_mirrorlist_and_nfs_fail_loudly(builder_standins, tmp_path):
    ks = '%s%%packages\ndracut-live\n%%end\n' % NETWORK
    rc, out = lmc(builder_standins, tmp_path, 'url --mirrorlist=http://127.0.0.1/ml\n' + ks)
    assert rc == 1 and 'kickstart: url --mirrorlist http://127.0.0.1/ml ' + LOUD in out, out
    rc, out = lmc(builder_standins, tmp_path, 'nfs --server=nfs.example.org --dir=/os\n' + ks)
    assert rc == 1 and 'nfs install method (nfs --server=nfs.example.org --dir=/os) needs the network' in out, out


def test_a_package_no_given_repo_provides_fails_like_dnf(builder_standins, tmp_path, fedora_repo, side_repo):
    # onlyside is in the side repository, which lorax is not given: dnf's own refusal, and no output tree.
    rc, out = lorax(builder_standins, tmp_path, '-s', 'file://%s/' % fedora_repo, '-i', 'onlyside')
    assert rc == 1 and 'No match for argument: onlyside' in out, out
    assert 'No match for argument: onlyside' in (tmp_path / 'logs' / 'dnf.log').read_text()
    assert not (tmp_path / 'out').exists()


# --- what the images hold --------------------------------------------------------------------------------------

def test_lorax_runtime_is_installed_from_the_given_repos_with_their_priority(
        builder_standins, tmp_path, fedora_repo, side_repo):
    repo_file = tmp_path / 'side.repo'
    repo_file.write_text('[side]\nname=side\nbaseurl=file://%s/\npriority=1\ngpgcheck=0\n' % side_repo)
    rc, out = lorax(builder_standins, tmp_path, '-s', 'file://%s/' % fedora_repo, '--repo', repo_file,
                    '-i', 'hello', '-i', 'onlyside', '-e', 'dracut')
    assert rc == 0, out
    image = tmp_path / 'out' / 'images' / 'install.img'
    logged = {p['name']: p for p in ic.package_log_packages(package_log(image))}
    # the side repo's priority 1 beats the distribution's 99 although its hello is older (2.0 < 9.0)
    assert logged['hello']['version'] == '2.0' and logged['hello']['release'] == '1.fc41'
    assert logged['onlyside']['version'] == '1.0'
    assert {'anaconda-core', 'kernel', 'kernel-core', 'fedora-release', 'bash', 'filesystem'} <= set(logged)
    assert all(p['release'].endswith('fc42') for n, p in logged.items() if n not in ('hello', 'hello-libs', 'onlyside'))
    # lorax's runtime-cleanup leaves no RPM database in the runtime (hence the package log)
    dest = tmp_path / 'extract'
    ic.extract_rpmdb(run, str(image), str(dest))
    assert ic.find_rpmdb(str(dest)) is None
    # --excludepkgs: removepkg deletes the package's files after the transaction (it stays in the log)
    assert 'dracut' in logged and not ic.squashfs_has(run, str(image), 'usr/bin/dracut')
    assert ic.squashfs_has(run, str(image), 'usr/bin/anaconda')
    # the boot tree: the installed kernel, and boot.iso holds this very install.img
    assert (tmp_path / 'out' / 'images' / 'pxeboot' / 'vmlinuz').read_text().startswith('vmlinuz ')
    iso = tmp_path / 'out' / 'images' / 'boot.iso'
    offset = squashfs_in_iso(iso, '/images/install.img')
    assert ic.squashfs_cat(run, str(iso), 'root/lorax-packages.log', offset=offset) == package_log(image)


def test_lorax_without_the_priority_installs_the_newest_build(builder_standins, tmp_path, fedora_repo, side_repo):
    rc, out = lorax(builder_standins, tmp_path, '-s', 'file://%s/' % fedora_repo, '-s', 'file://%s/' % side_repo,
                    '-i', 'hello')
    assert rc == 0, out
    logged = {p['name']: p for p in ic.package_log_packages(package_log(tmp_path / 'out' / 'images' / 'install.img'))}
    assert logged['hello']['version'] == '9.0' and 'onlyside' not in logged


def test_lmc_live_root_has_a_real_rpmdb_and_honours_package_excludes(
        builder_standins, tmp_path, fedora_repo, side_repo):
    kickstart = ('url --url=file://%s/\n%srepo --name=side --baseurl=file://%s/ --cost=10\n'
                 '%%packages\nkernel\ndracut-live\nonlyside\n-bash\n%%end\n' % (fedora_repo, NETWORK, side_repo))
    # -bash: excluded, yet kernel-core needs it, so dnf refuses, as anaconda would
    rc, out = lmc(builder_standins, tmp_path, kickstart)
    assert rc == 1 and 'Image creation failed: dnf failed' in out and 'bash' in out, out
    rc, out = lmc(builder_standins, tmp_path, kickstart.replace('-bash\n', ''), '--iso-only',
                  '--iso-name', 'live.iso', '--volid', 'Fedora-Live-42')
    assert rc == 0, out
    iso = tmp_path / 'result' / 'live.iso'
    assert sorted(os.listdir(tmp_path / 'result')) == ['live.iso']
    packages = rpmdb_of_squashfs(iso, tmp_path / 'extract', offset=squashfs_in_iso(iso, '/LiveOS/squashfs.img'))
    # %packages, their dependencies and @core (anaconda adds it unless --nocore), nothing else
    assert set(packages) == {'kernel', 'kernel-core', 'dracut-live', 'dracut', 'bash', 'filesystem', 'fedora-release',
                             'onlyside'}
    assert packages['kernel']['release'] == '1.fc42' and packages['onlyside']['release'] == '1.fc41'


def test_lmc_excludes_on_the_distribution_let_the_side_build_in(builder_standins, tmp_path, fedora_repo, side_repo):
    kickstart = ('url --url=file://%s/\n%s' % (side_repo, NETWORK)
                 + 'repo --name=fedora --baseurl=file://%s/ --excludepkgs=hello,hello-libs\n' % fedora_repo
                 + '%packages\nkernel\ndracut-live\nhello\n%end\n')
    rc, out = lmc(builder_standins, tmp_path, kickstart)
    assert rc == 0, out
    result = tmp_path / 'result'
    assert (result / 'images' / 'boot.iso').is_file() and (result / 'LiveOS' / 'squashfs.img').is_file()
    packages = rpmdb_of_squashfs(result / 'LiveOS' / 'squashfs.img', tmp_path / 'extract')
    assert packages['hello']['version'] == '2.0' and packages['hello']['release'] == '1.fc41'
    assert 'Using repo fedora: baseurl=file://%s/ priority=99 cost=1000 excludepkgs=hello,hello-libs' % fedora_repo \
        in (tmp_path / 'logs' / 'livemedia.log').read_text()
    # the same kickstart without the excludes: the distribution's newer hello shadows the side build
    again = tmp_path / 'again'
    again.mkdir()
    rc, out = lmc(builder_standins, again, kickstart.replace(' --excludepkgs=hello,hello-libs', ''))
    assert rc == 0, out
    packages = rpmdb_of_squashfs(tmp_path / 'again' / 'result' / 'LiveOS' / 'squashfs.img', tmp_path / 'extract2')
    assert packages['hello']['version'] == '9.0'


def test_lmc_squashfs_ext4_holds_an_ext4_rootfs(builder_standins, tmp_path, fedora_repo):
    rc, out = lmc(builder_standins, tmp_path, live_ks(fedora_repo), '--rootfs-type', 'squashfs-ext4')
    assert rc == 0, out
    image = tmp_path / 'result' / 'LiveOS' / 'squashfs.img'
    assert ic.squashfs_has(run, str(image), 'LiveOS/rootfs.img')
    rootfs = tmp_path / 'rootfs.img'
    rootfs.write_bytes(subprocess.run(['unsquashfs', '-cat', str(image), 'LiveOS/rootfs.img'], capture_output=True,
                                      check=True).stdout)
    listing = subprocess.run(['debugfs', '-R', 'ls -p /usr/lib/sysimage/rpm', str(rootfs)], capture_output=True,
                             text=True, check=True).stdout
    assert 'rpmdb.sqlite' in listing


def test_download_resolves_dependencies_from_the_given_repos_only(tmp_path, fedora_repo, side_repo):
    repos = [_install.Repo('fedora', 'file://%s/' % fedora_repo)]
    got = _install.download(repos, ['kernel'], tmp_path / 'dl', 'x86_64', '42')
    assert sorted(os.path.basename(p) for p in got) == [
        'bash-5.2.37-1.fc42.x86_64.rpm', 'filesystem-3.18-1.fc42.noarch.rpm', 'kernel-6.14.2-1.fc42.x86_64.rpm',
        'kernel-core-6.14.2-1.fc42.x86_64.rpm']
    with pytest.raises(_install.StandinError, match='No match for argument: onlyside'):
        _install.download(repos, ['onlyside'], tmp_path / 'dl2', 'x86_64', '42')
    repos.append(_install.Repo('side', 'file://%s/' % side_repo, priority=1))
    got = _install.download(repos, ['hello'], tmp_path / 'dl3', 'aarch64', '42')
    assert sorted(os.path.basename(p) for p in got) == ['hello-2.0-1.fc41.aarch64.rpm']


def test_install_writes_the_rpmdb_into_the_root_only(tmp_path, fedora_repo):
    home_db = Path(os.path.expanduser('~')) / '.rpmdb'
    before = sorted(os.listdir(home_db)) if home_db.is_dir() else None
    root = tmp_path / 'root'
    got = _install.install(root, [_install.Repo('fedora', 'file://%s/' % fedora_repo)], ['fedora-release'],
                           'aarch64', '42')
    assert [p['name'] for p in got] == ['fedora-release', 'filesystem']
    assert (root / 'usr' / 'lib' / 'sysimage' / 'rpm' / 'rpmdb.sqlite').is_file()
    assert not list(root.rglob('standin-dnf-*')), 'the dnf cache must not stay in the root'
    assert (sorted(os.listdir(home_db)) if home_db.is_dir() else None) == before
