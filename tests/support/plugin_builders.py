# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""pytest plugin: builder stand-ins and their inputs (registered in pytest.ini).

``builder_standins`` (session) gives a :class:`Standins`::

    def test_x(builder_standins):
        builder_standins.bin          # tests/support/standins: lorax, pungi, pungi-koji, livemedia-creator, kiwi-ng
        builder_standins.path         # PATH value with the stand-ins first, then the venv, then the system
        builder_standins.environment  # {'PATH': ...} for a task's ``environment:`` (localhost or lab nodes)

The stand-ins parse the real tools' option sets, need root like the real
tools and write the real output layout (real ISO 9660 images via xorriso);
``kiwi-ng`` is the real kiwi with only the build step replaced.  The lab
nodes share this filesystem (except their node_root tmpfs), so the same
paths work there.

The lorax and livemedia-creator stand-ins really install packages with dnf
from exactly the repositories they are given (``standins/_install.py``), so
``distro`` (session) is a small test distribution built with rpmbuild
(``support.distro``: kernel, anaconda-core, fedora-release, dracut-live, the
``core`` group, newer builds of the names the Koji tests pin) and
``fedora_repo`` is a per-test copy of it (its directory, for ``file://``
sources); ``make_repo(path)`` makes an empty rpm-md repository (side repos
that add nothing);
``Standins.environment_for(host, ...)`` adds hosts the stand-ins may fetch
from over http (FB_STANDIN_LOCAL_HOSTS, e.g. the lab's controller address
where the Koji hub stand-in serves); any other non-local URL fails them;
``kiwi_description`` is a copy of a small Fedora live description that
passes the real ``kiwi-ng image info``, its repository pointed at ``fedora_repo``.

``node`` is this machine as the one build node of a pipeline run (connection
local), with its work, cache and lock dirs under ``tmp_path/node`` and the
staging dir ``tmp_path/staging``: ``{'work', 'cache', 'lock', 'inventory',
'staging'}``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
STANDINS = Path(__file__).resolve().parent / 'standins'
BUILDER_DATA = Path(__file__).resolve().parent / 'builder_data'
TOOLS = ('lorax', 'pungi', 'pungi-koji', 'livemedia-creator', 'kiwi-ng')


class Standins:
    """Where the builder stand-ins are and how to put them on a task's PATH."""

    def __init__(self, bin_dir):
        self.bin = Path(bin_dir)
        venv_bin = Path(sys.executable).parent
        system = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
        self.path = os.pathsep.join([str(self.bin), str(venv_bin), system])
        self.environment = {'PATH': self.path}

    def tool(self, name):
        return self.bin / name

    def environment_for(self, *hosts):
        """The environment with ``hosts`` (e.g. the lab's controller address) allowed for http repositories."""
        env = dict(self.environment)
        if hosts:
            env['FB_STANDIN_LOCAL_HOSTS'] = ' '.join(str(h) for h in hosts)
        return env


@pytest.fixture(scope='session')
def builder_standins():
    missing = [t for t in TOOLS if not os.access(STANDINS / t, os.X_OK)]
    if missing:
        pytest.fail('builder stand-ins not executable: %s' % ', '.join(missing))
    if not shutil.which('xorriso'):
        pytest.fail('xorriso is needed by the builder stand-ins (apt-get install xorriso)')
    return Standins(STANDINS)


def make_repo(path):
    """A real rpm-md repository (createrepo_c over an empty directory)."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    tool = shutil.which('createrepo_c') or shutil.which('createrepo_c', path=str(Path(sys.executable).parent))
    if tool:
        subprocess.run([tool, '--quiet', str(path)], check=True)
    else:  # the createrepo_c Python bindings of the venv
        import createrepo_c as cr  # pylint: disable=import-outside-toplevel
        repodata = path / 'repodata'
        repodata.mkdir(exist_ok=True)
        repomd = cr.Repomd()
        (repodata / 'repomd.xml').write_text(repomd.xml_dump())
    assert (path / 'repodata' / 'repomd.xml').is_file()
    return path


@pytest.fixture
def node(tmp_path):
    """This machine as the build node, with its dirs under tmp_path."""
    dirs = {name: tmp_path / 'node' / name for name in ('work', 'cache', 'lock')}
    inventory = {'all': {'children': {'builders': {'hosts': {'localhost': {
        'ansible_connection': 'local',
        'ansible_python_interpreter': sys.executable,
        'fedora_build_work_dir': str(dirs['work']),
        'fedora_build_cache_dir': str(dirs['cache']),
        'fedora_build_lock_dir': str(dirs['lock']),
        # the operator's directory of requested kickstarts: the tests write theirs under tmp_path
        'fedora_build_kickstart_dirs': [str(tmp_path)],
        # and of node repositories a request's file:// repository may name: the test repos lie under tmp_path
        'fedora_build_node_repo_dirs': [str(tmp_path)],
    }}}}}}
    return dict(dirs, inventory=inventory, staging=tmp_path / 'staging')


@pytest.fixture(scope='session')
def distro(tmp_path_factory, rpm_factory):
    """The test distribution (``support.distro.Distro``), built once per session."""
    from support.distro import build_distro  # pylint: disable=import-outside-toplevel
    for tool in ('rpmbuild', 'createrepo_c', 'dnf', 'mksquashfs'):
        if not shutil.which(tool):
            pytest.fail('%s is needed by the builder stand-ins and the test distribution' % tool)
    return build_distro(tmp_path_factory.mktemp('distro'), rpm_factory)


@pytest.fixture
def fedora_repo(tmp_path, distro):
    """A copy of the test distribution's repository (hard links) under tmp_path/repos/fedora."""
    return distro.copy(tmp_path / 'repos' / 'fedora')


@pytest.fixture
def kiwi_description(tmp_path, fedora_repo):
    """A copy of builder_data/kiwi whose repository is the test distribution (``fedora_repo``), not the
    Fedora mirror the original names: the kiwi stand-in installs from it and refuses non-local ones."""
    return local_kiwi_description(tmp_path / 'kiwi-desc', fedora_repo)


def local_kiwi_description(dest, repo):
    """Copy builder_data/kiwi to ``dest`` with its repository pointed at ``repo`` (a local rpm-md directory)."""
    dest = Path(dest)
    shutil.copytree(BUILDER_DATA / 'kiwi', dest)
    config = dest / 'config.kiwi'
    text = config.read_text()
    mirror = 'https://dl.fedoraproject.org/pub/fedora/linux/releases/41/Everything/x86_64/os/'
    assert mirror in text, 'builder_data/kiwi/config.kiwi no longer names %s' % mirror
    config.write_text(text.replace(mirror, 'file://%s/' % repo))
    return dest
