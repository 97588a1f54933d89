# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""pytest plugin: the SSH lab (registered in pytest.ini).

``lab`` (session scope) runs ``tests/lab/lab.sh up`` once per pytest process
and ``down`` at the end of the session, also when tests fail. It yields a
:class:`Lab`::

    def test_x(lab):
        lab.inventory          # Path of the generated inventory (group builders, builders_<arch>)
        lab.hosts              # {'node-x86a': {'address': '10.77.N.11', 'arch': 'x86_64', 'node_root': '...'}, ...}
        lab.controller_address # this host's address on the lab bridge: bind servers here for the nodes
        lab.ssh('node-x86a', 'cat', '/etc/hostname')   # CompletedProcess (host key checking on)

``controller_only_key`` is an SSH key the nodes accept only from the controller's address.

The lab id is ``FEDORA_BUILD_LAB_ID`` when set; otherwise the first free id
from a start derived from the pid, so concurrent pytest runs (and molecule's
lab) don't collide. Needs root: without it the fixture fails with a message.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
LAB_SH = REPO / 'tests' / 'lab' / 'lab.sh'
IN_USE = 3  # lab.sh up exit status: that LAB_ID is taken


class LabError(RuntimeError):
    """lab.sh failed."""


class Lab:
    """A running lab (or one about to be started) with a given id."""

    def __init__(self, lab_id, state=None, nodes=None):
        self.lab_id = int(lab_id)
        self.state = Path(state) if state else REPO / '.lab' / str(self.lab_id)
        self.nodes = nodes
        self.inventory = self.state / 'inventory.yml'
        self.known_hosts = self.state / 'known_hosts'
        self.ssh_key = self.state / 'id_ed25519'
        self.ssh_config = self.state / 'ssh_config'
        self.hosts = {}
        self.groups = {}
        self.controller_address = None

    @property
    def env(self):
        env = dict(os.environ, LAB_ID=str(self.lab_id), LAB_STATE=str(self.state))
        if self.nodes:
            env['LAB_NODES'] = self.nodes
        return env

    def _script(self, action):
        return subprocess.run([str(LAB_SH), action], env=self.env, stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=300, check=False)

    def up(self):
        """Start the lab; returns False when the id is in use, raises LabError on other failures."""
        proc = self._script('up')
        if proc.returncode == IN_USE:
            return False
        if proc.returncode != 0:
            raise LabError('lab.sh up (LAB_ID=%s) failed with status %s: %s%s' % (
                self.lab_id, proc.returncode, proc.stdout, proc.stderr))
        self.load()
        return True

    def down(self):
        proc = self._script('down')
        if proc.returncode != 0:
            raise LabError('lab.sh down (LAB_ID=%s) failed with status %s: %s%s' % (
                self.lab_id, proc.returncode, proc.stdout, proc.stderr))

    def status(self):
        return self._script('status')

    def load(self):
        """Read hosts and groups from the generated inventory."""
        data = yaml.safe_load(self.inventory.read_text(encoding='utf-8'))
        builders = data['all']['children']['builders']
        self.controller_address = builders['vars']['lab_controller_address']
        self.hosts, self.groups = {}, {}
        for group, body in builders['children'].items():
            for name, hostvars in (body.get('hosts') or {}).items():
                self.groups.setdefault(group, []).append(name)
                self.hosts[name] = {
                    'address': hostvars['ansible_host'],
                    'arch': hostvars['build_arch'],
                    'node_root': hostvars['node_root'],
                    'work_dir': hostvars['fedora_build_work_dir'],
                }

    def ssh_argv(self, host, *command, known_hosts=None):
        """argv of an ssh command to a node, with strict host key checking.

        ``command`` is an argv: each item is quoted for the remote shell, so it arrives unchanged.
        """
        return ['ssh', '-F', '/dev/null', '-i', str(self.ssh_key), '-o', 'IdentitiesOnly=yes',
                '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes',
                '-o', 'UserKnownHostsFile=%s' % (known_hosts or self.known_hosts),
                '-o', 'ConnectTimeout=10', '-o', 'LogLevel=ERROR',
                'root@%s' % self.hosts[host]['address'], '--', ' '.join(shlex.quote(str(c)) for c in command)]

    def ssh(self, host, *command, check=True, known_hosts=None, timeout=120):
        """Run a command on a node over ssh; returns the CompletedProcess (text)."""
        return subprocess.run(self.ssh_argv(host, *command, known_hosts=known_hosts), stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=timeout, check=check)


def start_lab(lab_id=None, state=None, nodes=None, attempts=40):
    """Start lab ``lab_id``, or one with a free id from a pid-derived start; return the :class:`Lab`."""
    if os.geteuid() != 0:
        raise LabError('the SSH lab needs root (network namespaces, mounts): run the lab tests as root, '
                       'or deselect them with -m "not lab"')
    if lab_id is not None:
        candidates = [int(lab_id)]
    else:
        start = 100 + os.getpid() % 100
        candidates = [100 + (start - 100 + k) % 100 for k in range(attempts)]
    for candidate in candidates:
        lab = Lab(candidate, state=state, nodes=nodes)
        if lab.up():
            return lab
    raise LabError('no free lab id among %s (see `LAB_ID=N tests/lab/lab.sh status`)' % candidates)


@pytest.fixture(scope='session')
def lab():
    """A running 3-node SSH lab for the whole session; torn down at the end."""
    try:
        running = start_lab(os.environ.get('FEDORA_BUILD_LAB_ID') or None)
    except LabError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield running
    finally:
        running.down()


@pytest.fixture
def controller_only_key(lab, tmp_path):
    """A staging key the lab's sshd accepts only from the controller's address (``from=`` in authorized_keys): a
    staging that works with it went from the controller, not from a node."""
    key = tmp_path / 'controller_only'
    subprocess.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'controller-only', '-f', str(key)], check=True)
    authorized = lab.state / 'authorized_keys'
    before = authorized.read_text()
    line = 'from="%s",restrict %s' % (lab.controller_address, (tmp_path / 'controller_only.pub').read_text().strip())
    _replace_text(authorized, before.rstrip('\n') + '\n' + line + '\n')
    yield key
    _replace_text(authorized, before)


def _replace_text(path, text):
    """Write ``path`` by rename, so an sshd reading it meanwhile sees the old or the new file, never half of one."""
    tmp = path.with_name('.%s.tmp' % path.name)
    tmp.write_text(text)
    tmp.chmod(0o600)
    os.replace(tmp, path)
