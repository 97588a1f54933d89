# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fault injection on the lab against the real pipeline (playbooks/build.yml, roles/build).

Issue 8, Must have 1. Faults that break nodes (sshd killed, network cut, work area full) run on
a lab of their own (``fault_lab``: its own LAB_ID, small node tmpfs), so the session lab stays
intact for the other lab tests; this module repairs every node it breaks before the next test.
For each fault: the expected clear outcome in the status record, nothing partial under a final
name in staging, no slot held and no work dir left on the nodes, the other builds of the batch
unaffected. Faults are injected when the status records say the build reached the right phase
(``wait_until``), never after a fixed sleep. The Koji, FTP and SMTP faults, which need no lab,
are in tests/functional/test_faults_local.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from support.ansible_run import REPO, run_playbook
from support.faults import PLAYBOOK, BackgroundRun, by_name, check_staging_dir, records, wait_until
from support.plugin_lab import Lab, LabError

pytestmark = pytest.mark.lab

NODE_SIZE = '128m'
UNREACHABLE = 'build node %s became unreachable or the run was interrupted before the build finished'


class FaultLab(Lab):
    """A lab with small node work areas, and the means to break and repair its nodes."""

    node_size = NODE_SIZE

    @property
    def env(self):
        env = super().env
        env['LAB_NODE_SIZE'] = self.node_size
        return env

    def _index(self, node):
        return sorted(self.hosts, key=lambda h: [int(x) for x in self.hosts[h]['address'].split('.')]).index(node) + 1

    def netns(self, node):
        return 'fblab%d-%s' % (self.lab_id, node)

    def host_veth(self, node):
        return 'fb%dh%d' % (self.lab_id, self._index(node))

    def sshd_pids(self, node):
        out = subprocess.run(['ip', 'netns', 'pids', self.netns(node)], capture_output=True, text=True, check=True)
        pids = []
        for pid in out.stdout.split():
            try:
                comm = Path('/proc/%s/comm' % pid).read_text().strip()
            except OSError:
                continue
            if comm == 'sshd':
                pids.append(int(pid))
        return pids

    def listener_pid(self, node):
        return int((self.state / 'nodes' / node / 'sshd.pid').read_text())

    def kill_sshd(self, node):
        """SIGKILL every sshd of the node (listener and sessions); its other processes live on.

        Returns namespace handles (open fds) that keep the node's mount and UTS namespaces, for restart_sshd.
        """
        listener = self.listener_pid(node)
        handles = {kind: os.open('/proc/%d/ns/%s' % (listener, kind), os.O_RDONLY) for kind in ('mnt', 'uts')}
        for _attempt in range(20):
            pids = self.sshd_pids(node)
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, 9)
                except ProcessLookupError:
                    pass
            wait_until('the sshd processes of %s to die' % node, lambda: not (set(pids) & set(self.sshd_pids(node))),
                       timeout=10, interval=0.05)
        assert not self.sshd_pids(node)
        return handles

    def restart_sshd(self, node, handles):
        """Start the node's sshd again inside its own mount/UTS/network namespaces."""
        d = self.state / 'nodes' / node
        try:
            subprocess.run(['nsenter', '--net=/run/netns/%s' % self.netns(node),
                            '--mount=/proc/self/fd/%d' % handles['mnt'], '--uts=/proc/self/fd/%d' % handles['uts'],
                            '/usr/sbin/sshd', '-f', str(d / 'sshd_config'), '-E', str(d / 'sshd.log')],
                           pass_fds=tuple(handles.values()), check=True, capture_output=True, text=True, timeout=30)
        finally:
            for fd in handles.values():
                os.close(fd)
        wait_until('sshd of %s to answer' % node, lambda: self.ssh(node, 'true', check=False, timeout=20).returncode == 0,
                   timeout=60, interval=0.5)

    def throttle(self, node, rate):
        """Shape what the node sends (token bucket on its veth end) to ``rate``; None removes it."""
        argv = ['ip', 'netns', 'exec', self.netns(node), 'tc', 'qdisc']
        veth = 'fb%dn%d' % (self.lab_id, self._index(node))
        if rate is None:
            subprocess.run(argv + ['del', 'dev', veth, 'root'], check=False, capture_output=True)
        else:
            subprocess.run(argv + ['replace', 'dev', veth, 'root', 'tbf', 'rate', rate, 'burst', '4kb',
                                   'latency', '2s'], check=True)

    def link(self, node, up):
        subprocess.run(['ip', 'link', 'set', self.host_veth(node), 'up' if up else 'down'], check=True)

    def node_processes(self, node):
        """{pid: command line} of the processes in the node's network namespace, sshd excepted."""
        out = subprocess.run(['ip', 'netns', 'pids', self.netns(node)], capture_output=True, text=True, check=True)
        procs = {}
        for pid in out.stdout.split():
            try:
                if Path('/proc/%s/comm' % pid).read_text().strip() == 'sshd':
                    continue
                cmdline = Path('/proc/%s/cmdline' % pid).read_bytes().replace(b'\0', b' ').decode('utf-8', 'replace')
                if Path('/proc/%s/stat' % pid).read_text().rsplit(')', 1)[1].split()[0] == 'Z':
                    continue  # a zombie its parent reaps later runs nothing
            except OSError:
                continue
            mark = cmdline.find('fedora-build-node-lock-holder')
            procs[int(pid)] = cmdline[mark:] if mark >= 0 else cmdline[:200]
        return procs

    def node_clean(self, node):
        """(slot dirs in the node's work dir, processes left on the node): both empty when it is clean.

        The nodes share the controller's pid namespace, so a node's processes are told apart by network namespace.
        """
        root = self.hosts[node]['node_root']
        slots = self.ssh(node, 'sh', '-c', 'ls -A %s/work 2>/dev/null | grep "^slot-" || true' % root).stdout.split()
        return slots, self.node_processes(node)


@pytest.fixture(scope='module')
def fault_lab():
    if os.geteuid() != 0:
        pytest.fail('the fault lab needs root (network namespaces, mounts)', pytrace=False)
    start = 150 + os.getpid() % 50
    lab = None
    for k in range(60):
        candidate = FaultLab(100 + (start - 100 + k) % 150)
        try:
            if candidate.up():
                lab = candidate
                break
        except LabError as exc:
            pytest.fail(str(exc), pytrace=False)
    if lab is None:
        pytest.fail('no free lab id for the fault lab', pytrace=False)
    try:
        yield lab
    finally:
        lab.down()


def lab_inventory(lab, path, only=None, node_vars=None, **common):
    """The lab's inventory: per-node dirs in each node's tmpfs, the venv's Python (python3-koji)."""
    inv = yaml.safe_load(Path(lab.inventory).read_text())
    builders = inv['all']['children']['builders']
    for group in builders['children'].values():
        group['hosts'] = {h: dict(v, **(node_vars or {}).get(h, {})) for h, v in group['hosts'].items()
                          if only is None or h in only}
    builders['vars'].update({'fedora_build_cache_dir': '{{ node_root }}/cache',
                             'fedora_build_lock_dir': '{{ node_root }}/lock',
                             'ansible_python_interpreter': sys.executable})
    builders['vars'].update(common)
    path.write_text(yaml.safe_dump(inv))
    return str(path)


def service(tmp_path, builder_standins, **extra):
    data = {
        'fedora_build_staging': [{'type': 'local', 'path': str(tmp_path / 'staging')}],
        'fedora_build_preflight_require': ['root', 'tools'],
        'fedora_build_min_free_gb': 0.01,
        'fedora_build_poll': 1,
        # the node directory a request's file:// repository may name: the test repositories lie under tmp_path
        'fedora_build_node_repo_dirs': [str(tmp_path)],
    }
    data.update(extra)
    return data


def boot(name, fedora_repo, **extra):
    req = {'image_type': 'boot', 'release': '41', 'arch': 'x86_64', 'name': name,
           'repos': {'presets': [], 'extra': [{'name': 'fedora', 'baseurl': 'file://%s/' % fedora_repo}]}}
    req.update(extra)
    return req


def assert_nodes_clean(lab, nodes, timeout=20):
    """No slot dir, no lock holder, no builder left on the nodes (a released holder may take a moment to exit)."""
    for node in nodes:
        try:
            wait_until('%s to be clean' % node, lambda: not any(lab.node_clean(node)), timeout=timeout, interval=0.5)
        except AssertionError:
            slots, procs = lab.node_clean(node)
            raise AssertionError('%s keeps work dirs %s and processes %s' % (node, slots, procs))


def recover(lab, inventory, status_dir, request_id, node, tmp_path):
    """After a node was lost mid-build: its slot and work dir are still there; cancel.yml cleans them."""
    # a link that was cut and is up again may take a moment to carry SSH (seen once in CI under load: exit 255);
    # wait for it with a deadline rather than assume it is instant
    wait_until('%s to answer over SSH again' % node, lambda: lab.ssh(node, 'true', check=False).returncode == 0,
               timeout=120, interval=1)
    slots, procs = lab.node_clean(node)
    assert slots and any(c.startswith('fedora-build-node-lock-holder') for c in procs.values()), (slots, procs)
    cancel = run_playbook(str(REPO / 'playbooks' / 'cancel.yml'), inventory=inventory, workdir=tmp_path / 'cancel',
                          extra_vars={'fedora_build_status_dir': str(status_dir),
                                      'fedora_build_cancel': {'request_id': request_id, 'node': node,
                                                              'reason': 'node lost in a fault test'}})
    cancel.assert_ok()
    assert_nodes_clean(lab, [node])


def in_build(status_dir, node=None):
    """A record of a build (on node) that is in its build phase now."""
    for rec in records(status_dir).values():
        if rec['state'] == 'running' and rec['phase'] == 'build' and (node is None or rec['node'] == node):
            return rec
    return None


# -- 1. sshd killed in the middle of a build -------------------------------------------------

def test_sshd_killed_mid_build_fails_only_that_nodes_builds(fault_lab, tmp_path, fedora_repo, builder_standins):
    lab = fault_lab
    x86 = ['node-x86a', 'node-x86b']
    env = dict(builder_standins.environment, FB_STANDIN_SLEEP='8')
    inventory = lab_inventory(lab, tmp_path / 'inventory.yml', only=x86, fedora_build_environment=env)
    requests = [boot('kill-%d' % i, fedora_repo) for i in range(3)]
    status_dir = tmp_path / 'staging' / 'status'
    run = BackgroundRun(inventory, dict(service(tmp_path, builder_standins), fedora_build_requests=requests),
                        tmp_path / 'run')
    # three builds on two nodes: the node with two queued builds loses both when its sshd dies
    queued = wait_until('three queued records', lambda: len(records(status_dir)) == 3 and records(status_dir), run=run)
    per_node = {}
    for rec in queued.values():
        per_node.setdefault(rec['node'], []).append(rec['name'])
    victim = [n for n, names in per_node.items() if len(names) == 2][0]
    survivor = [n for n in x86 if n != victim][0]
    building = wait_until('a build of %s in its build phase' % victim, lambda: in_build(status_dir, victim),
                          run=run, interval=0.1)
    handles = lab.kill_sshd(victim)
    try:
        result = run.join()
    finally:
        lab.restart_sshd(victim, handles)

    assert result.rc in (2, 4), result.describe()
    status = by_name(status_dir)
    for name in per_node[victim]:
        rec = status[name]
        assert rec['state'] == 'failed' and rec['phase'] == 'done', rec
        assert rec['reason'] == UNREACHABLE % victim, rec
    for name in per_node[survivor]:
        assert status[name]['state'] == 'succeeded', status[name]
    msg = result.result('Fail the run when a build failed', 'localhost')['msg']
    assert msg.startswith('2 of 3 builds failed: '), msg
    finished = check_staging_dir(tmp_path / 'staging')
    assert building['build_id'] not in finished
    assert sorted(finished) == sorted(status[n]['build_id'] for n in per_node[survivor])
    assert_nodes_clean(lab, [survivor])

    # The node is back, but nothing on the controller could clean it: the lost build's slot is still held
    # (until its lease) and its work dir is there. The documented recovery, cancel.yml (fedora-build
    # cancel), cleans it, and the node builds again.
    recover(lab, inventory, status_dir, building['request_id'], victim, tmp_path)
    again = run_playbook(PLAYBOOK, inventory=inventory, workdir=tmp_path / 'again', extra_vars=dict(
        service(tmp_path, builder_standins), fedora_build_requests=[requests[int(n.rsplit('-', 1)[1])]
                                                                    for n in per_node[victim]]))
    again.assert_ok()
    for name in per_node[victim]:
        assert by_name(status_dir)[name]['state'] == 'succeeded'
    check_staging_dir(tmp_path / 'staging')
    assert_nodes_clean(lab, x86)


# -- 2. a node's network cut while its result is being staged ---------------------------------

def test_network_cut_during_staging_fails_that_build_and_leaves_nothing_final(
        fault_lab, tmp_path, fedora_repo, builder_standins):
    lab = fault_lab
    x86 = ['node-x86a', 'node-x86b']
    env = dict(builder_standins.environment, FB_STANDIN_SLEEP='3')
    # ServerAlive as a deployment should set it: a dead link is noticed in ~10 s, not TCP's ~15 min
    common = yaml.safe_load(Path(lab.inventory).read_text())['all']['children']['builders']['vars']
    inventory = lab_inventory(lab, tmp_path / 'inventory.yml', only=x86, fedora_build_environment=env,
                              ansible_ssh_common_args=common['ansible_ssh_common_args']
                              + ' -o ServerAliveInterval=5 -o ServerAliveCountMax=2')
    requests = [boot('cut-%d' % i, fedora_repo, builder={'volid': 'CUT%d' % i}) for i in range(2)]
    staging = tmp_path / 'staging'
    status_dir = staging / 'status'
    run = BackgroundRun(inventory, dict(service(tmp_path, builder_standins), fedora_build_requests=requests),
                        tmp_path / 'run')
    building = wait_until('a build in its build phase', lambda: in_build(status_dir), run=run, interval=0.1)
    victim, name = building['node'], building['name']
    survivor = [n for n in x86 if n != victim][0]
    # Slow the victim's uplink to a trickle (its images are pulled by the controller), so that its
    # staging lasts long enough to be caught in the middle; then cut the link.
    lab.throttle(victim, '64kbit')
    try:
        def staging_started():
            rec = by_name(status_dir)[name]
            return rec['phase'] == 'staging' and [p for p in staging.glob('.%s.partial' % rec['build_id'])
                                                  if any(p.rglob('*'))]
        wait_until('%s to be staging with files arriving' % name, staging_started, run=run, interval=0.1)
        lab.link(victim, up=False)
        try:
            result = run.join()
        finally:
            lab.link(victim, up=True)
    finally:
        lab.throttle(victim, None)

    assert result.rc in (2, 4), result.describe()
    status = by_name(status_dir)
    rec = status[name]
    assert rec['state'] == 'failed', rec
    assert rec['reason'] == UNREACHABLE % victim or rec['reason'].startswith('source node %s: ' % lab.hosts[victim]['address']), rec
    other = [n for n in status if n != name][0]
    assert status[other]['state'] == 'succeeded' and status[other]['node'] == survivor, status[other]
    finished = check_staging_dir(staging)
    assert finished == [status[other]['build_id']], finished
    assert_nodes_clean(lab, [survivor])
    recover(lab, inventory, status_dir, rec['request_id'], victim, tmp_path)
