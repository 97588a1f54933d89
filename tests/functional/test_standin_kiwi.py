# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kiwi-ng stand-in installs for real, from exactly the repositories kiwi resolved, with kiwi's priorities.

The stand-in is the real kiwi-ng 11.1.6 with SystemPrepare and ImageBuilder replaced: the repositories come
from kiwi's XMLState after its own --add-repo handling, the packages of the selected profile are installed
with dnf (tests/support/standins/_install.py) from the test distribution, ``<image>.packages`` is kiwi's rpm
query of the root, and the ISO carries kiwi's live layout (LiveOS/squashfs.img holding LiveOS/rootfs.img).
The results are read back with the product's readers (module_utils/image_contents.py).
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from ansible_collections.ondemand.fedora_build.plugins.module_utils import image_contents as ic
from support.plugin_builders import make_repo

pytestmark = pytest.mark.slow

NOT_LOCAL = 'is not a local URL; the stand-in does not use the network'


def run(argv):
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture
def side_repo(tmp_path, rpm_factory):
    """The Koji side repository: hello 2.0, older than the distribution's hello 9.0."""
    path = tmp_path / 'repos' / 'side'
    path.mkdir(parents=True)
    for rpm in rpm_factory.build('hello', '2.0', '1.fc41', arches=('x86_64', 'aarch64'), debuginfo=False):
        os.link(rpm.path, str(path / rpm.filename))
    return make_repo(path)


def kiwi(builder_standins, tmp_path, description, *argv, global_args=(), **env):
    """kiwi-ng --profile Minimal-Live system build, as plugins/module_utils/kiwi.py runs it."""
    out = tmp_path / 'out'
    argv = ([str(builder_standins.tool('kiwi-ng')), '--profile', 'Minimal-Live', '--type', 'iso']
            + list(global_args)
            + ['--logfile', str(tmp_path / 'kiwi.log'), 'system', 'build', '--description', str(description),
               '--target-dir', str(out)]
            + [str(a) for a in argv])
    proc = subprocess.run(
        argv, cwd=str(tmp_path), capture_output=True, text=True,
        env=dict(os.environ, PATH=builder_standins.path, **env), check=False)
    return proc.returncode, proc.stdout + proc.stderr, out


def image_packages(out):
    result = json.loads((out / 'kiwi.result.json').read_text())
    return {p['name']: p for p in ic.kiwi_packages(result['image_packages']['filename'])}, result


def test_kiwi_installs_from_its_repos_and_the_side_repo_priority_wins(
        builder_standins, tmp_path, kiwi_description, side_repo, fedora_repo):
    rc, out, target = kiwi(builder_standins, tmp_path, kiwi_description,
                           '--add-repo', 'file://%s/,rpm-md,koji-side,1' % side_repo)
    assert rc == 0, out
    packages, result = image_packages(target)
    # kiwi's real .packages format, parsed by the product's reader: real NEVRAs from the root's rpmdb
    assert packages['hello']['nevra'] == 'hello-2.0-1.fc41.x86_64'  # priority 1 beats the newer 9.0 (prio 99)
    assert packages['kernel']['nevra'] == 'kernel-6.14.2-1.fc42.x86_64'
    assert packages['dnf5']['release'] == '1.fc42'  # the package manager kiwi adds to the bootstrap list
    assert {'filesystem', 'bash', 'fedora-release', 'kernel-core', 'dracut', 'dracut-live', 'grub2-efi-x64',
            'shim-x64'} <= set(packages)
    assert 'gnome-shell' not in packages  # another profile's package
    line = open(result['image_packages']['filename']).read().splitlines()[0]
    assert len(line.split('|')) == 7, line
    log = (tmp_path / 'kiwi.log').read_text()
    assert 'Setting up repository file://%s/ (alias koji-side, priority 1' % side_repo in log
    assert 'baseurl=file://%s/ priority=99' % fedora_repo in log
    # kiwi's live layout: LiveOS/squashfs.img holding LiveOS/rootfs.img, the kernel as boot/x86_64/loader/linux
    iso = result['live_image']['filename']
    assert iso.endswith('Fedora-Test-Live.x86_64-41.0.0.iso')
    assert ic.iso_extent(run, iso, 'LiveOS/squashfs.img')
    assert ic.iso_extent(run, iso, 'boot/x86_64/loader/linux')
    rc, listing, err = run(['xorriso', '-indev', iso, '-osirrox', 'on', '-extract', '/LiveOS/squashfs.img',
                            str(tmp_path / 'squashfs.img')])
    assert rc == 0, listing + err
    rc, listing, err = run(['unsquashfs', '-l', str(tmp_path / 'squashfs.img')])
    assert rc == 0 and 'squashfs-root/LiveOS/rootfs.img' in listing, listing + err


def test_kiwi_without_priorities_installs_the_newest_hello(builder_standins, tmp_path, kiwi_description, side_repo):
    # FB_STANDIN_LOSE_PRIORITY=1: a tool that drops the priorities; dnf then takes the newest build.
    rc, out, target = kiwi(builder_standins, tmp_path, kiwi_description,
                           '--add-repo', 'file://%s/,rpm-md,koji-side,1' % side_repo, FB_STANDIN_LOSE_PRIORITY='1')
    assert rc == 0, out
    assert image_packages(target)[0]['hello']['nevra'] == 'hello-9.0-1.fc42.x86_64'


def test_kiwi_installs_only_from_the_repos_kiwi_resolved(builder_standins, tmp_path, kiwi_description, side_repo):
    # --ignore-repos drops the description's distribution: only the side repo is left, which lacks the kernel.
    rc, out, target = kiwi(builder_standins, tmp_path, kiwi_description, '--ignore-repos',
                           '--add-repo', 'file://%s/,rpm-md,koji-side,1' % side_repo)
    assert rc == 1, out
    assert 'KiwiInstallPhaseFailed' in out and 'No match for argument: filesystem' in out, out
    assert not (target / 'kiwi.result.json').exists()


@pytest.mark.parametrize('source', ['https://dl.fedoraproject.org/pub/fedora/linux/releases/42/Everything/x86_64/os/',
                                    'obs://Fedora:42/standard'])
def test_kiwi_non_local_repository_fails_loudly(builder_standins, tmp_path, kiwi_description, fedora_repo, source):
    config = kiwi_description / 'config.kiwi'
    config.write_text(config.read_text().replace('file://%s/' % fedora_repo, source))
    rc, out, target = kiwi(builder_standins, tmp_path, kiwi_description)
    assert rc == 1, out
    assert 'KiwiRepositorySetupError' in out and source in out, out
    assert not (target / 'kiwi.result.json').exists()


def test_kiwi_target_arch_installs_that_arch(builder_standins, tmp_path, kiwi_description, side_repo):
    # --target-arch aarch64 on this host: dnf --forcearch, kiwi's arch="aarch64" packages, the aarch64 name.
    rc, out, target = kiwi(builder_standins, tmp_path, kiwi_description,
                           '--add-repo', 'file://%s/,rpm-md,koji-side,1' % side_repo,
                           global_args=('--target-arch', 'aarch64'))
    assert rc == 0, out
    packages, result = image_packages(target)
    assert packages['hello']['nevra'] == 'hello-2.0-1.fc41.aarch64'
    assert packages['kernel-core']['arch'] == 'aarch64' and 'grub2-efi-aa64' in packages
    assert 'grub2-efi-x64' not in packages and 'shim-x64' not in packages
    assert result['live_image']['filename'].endswith('Fedora-Test-Live.aarch64-41.0.0.iso')
    assert ic.iso_extent(run, result['live_image']['filename'], 'boot/aarch64/loader/linux')
