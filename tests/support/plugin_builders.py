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

``fedora_repo`` makes a real (empty) rpm-md repository with createrepo_c and
returns its directory, for ``file://`` sources that the stand-ins accept;
``kiwi_description`` is a copy of a small Fedora live description that
passes the real ``kiwi-ng image info``.

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
    }}}}}}
    return dict(dirs, inventory=inventory, staging=tmp_path / 'staging')


@pytest.fixture
def fedora_repo(tmp_path):
    return make_repo(tmp_path / 'repos' / 'fedora')


@pytest.fixture
def kiwi_description(tmp_path):
    dest = tmp_path / 'kiwi-desc'
    shutil.copytree(BUILDER_DATA / 'kiwi', dest)
    return dest
