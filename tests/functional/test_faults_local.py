# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fault injection that needs no lab, against the real pipeline (playbooks/build.yml) on this machine.

Issue 8, Must have 1: the Koji hub stand-in failing (HTTP errors from the hub and the file server,
truncated and tampered RPMs), FTP refusing writes or running out of space, SMTP down, and the
node's work area filling up (a tiny tmpfs as the work dir). For each: the status record says what
failed in one sentence, nothing partial sits under a final name in staging, the node keeps no slot
and no work dir, and the other builds of the same batch are not affected.
The faults that break a node (sshd killed, network cut) are in tests/lab/test_faults_lab.py.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from support.ansible_run import run_playbook
from support.faults import PLAYBOOK, BackgroundRun, by_name, check_staging_dir, phases, records, wait_until

TAMPERED = 'hello-1.0-1.fc41.x86_64.rpm'


@pytest.fixture
def node(tmp_path):
    """This machine as the build node (capacity 2), its dirs under tmp_path."""
    dirs = {name: tmp_path / 'node' / name for name in ('work', 'cache', 'lock')}
    host = {
        'ansible_connection': 'local',
        'ansible_python_interpreter': sys.executable,
        'fedora_build_capacity': 2,
        'fedora_build_work_dir': str(dirs['work']),
        'fedora_build_cache_dir': str(dirs['cache']),
        'fedora_build_lock_dir': str(dirs['lock']),
        # the node directory a request's file:// repository may name: the test repositories lie under tmp_path
        'fedora_build_node_repo_dirs': [str(tmp_path)],
    }
    inventory = {'all': {'children': {'builders': {'hosts': {'localhost': host}}}}}
    return dict(dirs, inventory=inventory, host=host, staging=tmp_path / 'staging')


def service(builder_standins, node, **extra):
    data = {
        'fedora_build_staging': [{'type': 'local', 'path': str(node['staging'])}],
        # the requests name the Koji hub stand-in themselves (anonymous reads, no secret)
        'fedora_build_allow_request_destinations': True,
        'fedora_build_environment': builder_standins.environment,
        'fedora_build_preflight_require': ['root', 'tools'],
        'fedora_build_poll': 1,
    }
    data.update(extra)
    return data


def boot(name, fedora_repo, **extra):
    req = {'image_type': 'boot', 'release': '41', 'arch': 'x86_64', 'name': name,
           'repos': {'presets': [], 'extra': [{'name': 'fedora', 'baseurl': 'file://%s/' % fedora_repo}]}}
    req.update(extra)
    return req


def lock_holders(lock_dir):
    out = subprocess.run(['pgrep', '-f', '[f]edora-build-node-lock-holder .*%s/' % lock_dir], capture_output=True,
                         text=True, check=False)
    return out.stdout.split()


def assert_node_clean(node):
    assert not list(node['work'].glob('slot-*')), 'work dirs left: %s' % list(node['work'].iterdir())
    wait_until('the lock holders to exit', lambda: not lock_holders(node['lock']), timeout=20)


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


# -- 3. the Koji stand-in failing; 6. SMTP down -----------------------------------------------

def test_koji_faults_fail_only_their_builds_and_smtp_down_is_a_warning(
        node, tmp_path, koji_world, koji_hub_factory, fedora_repo, builder_standins):
    w = koji_world
    hub = w.hub
    dead_hub = koji_hub_factory()                  # a hub whose every XML-RPC call answers HTTP 500
    dead_hub.inject('kojihub', 'rpc-http', status=500)
    slow_hub = koji_hub_factory()                  # a hub that answers every call only after 30 s
    slow_hub.rpc_delay = 30.0
    hub.inject('*/' + TAMPERED, 'tamper')          # a byte flipped on every download
    hub.inject('*/hello-2.0-1.fc41.*.rpm', 'truncate')   # half the file, then the connection closes
    hub.inject('*/archtool-*.rpm', 'http', status=502)   # the file server failing
    sigkeys = [w.key1.sigkey, w.key2.sigkey, '']
    notify = {'email': ['qa@example.org']}
    down_url = 'http://127.0.0.1:%d/kojihub' % free_port()   # nothing listens there

    def koji(h, build):
        return {'hub_url': h.url, 'topurl': h.topurl, 'builds': [build], 'sigkeys': sigkeys}

    requests = [
        boot('tampered', fedora_repo, koji=koji(hub, 'hello-1.0-1.fc41'), notify=notify),
        boot('truncated', fedora_repo, koji=koji(hub, 'hello-2.0-1.fc41')),
        boot('files-502', fedora_repo, koji=koji(hub, 'archtool-3.1-1.fc41')),
        boot('hub-500', fedora_repo, koji=koji(dead_hub, 'hello-1.0-1.fc41')),
        boot('hub-down', fedora_repo, koji=dict(koji(hub, 'hello-1.0-1.fc41'), hub_url=down_url)),
        # the request's own Koji timeout and retries: a hanging hub costs 2 x 2 s, not 5 x 60 s
        boot('hub-timeout', fedora_repo, koji=dict(koji(slow_hub, 'hello-1.0-1.fc41'), timeout=2, retries=1)),
        boot('no-koji', fedora_repo, notify=notify),
    ]
    # SMTP down: nothing listens on that port
    smtp = {'host': '127.0.0.1', 'port': free_port(), 'security': 'none', 'sender': 'builds@example.org'}
    run = run_playbook(PLAYBOOK, inventory=node['inventory'], workdir=tmp_path / 'run',
                       extra_vars=dict(service(builder_standins, node, fedora_build_smtp=smtp),
                                       fedora_build_requests=requests))
    assert run.rc == 2, run.describe()
    status = by_name(node['staging'] / 'status')

    for name in ('tampered', 'truncated', 'files-502', 'hub-500', 'hub-down', 'hub-timeout'):
        rec = status[name]
        # the record keeps the phase the build failed in
        assert rec['state'] == 'failed' and rec['phase'] == 'side_repo', rec
        assert 'build' not in phases(rec), rec
        assert '\n' not in rec['reason'], rec
    assert status['tampered']['reason'].startswith('topurl: the downloaded file %s (%s/' % (TAMPERED, hub.topurl)), \
        status['tampered']['reason']
    assert 'failed verification twice' in status['tampered']['reason']
    assert status['truncated']['reason'].startswith('topurl: downloading %s/' % hub.topurl) and \
        'hello-2.0-1.fc41.' in status['truncated']['reason'] and 'failed after 5 attempts' in \
        status['truncated']['reason'], status['truncated']['reason']
    assert status['files-502']['reason'].startswith('topurl: downloading %s/' % hub.topurl) and \
        status['files-502']['reason'].endswith('failed after 5 attempts: HTTP 502.'), status['files-502']['reason']
    assert status['hub-500']['reason'].startswith(
        'hub_url: the Koji hub at %s is unreachable or failing after retries: ' % dead_hub.url), status['hub-500']
    assert '500' in status['hub-500']['reason']
    assert status['hub-down']['reason'].startswith(
        'hub_url: the Koji hub at %s is unreachable or failing after retries: ' % down_url), status['hub-down']
    assert 'Connection refused' in status['hub-down']['reason'], status['hub-down']
    assert status['hub-timeout']['reason'].startswith(
        'hub_url: the Koji hub at %s is unreachable or failing after retries: ' % slow_hub.url), status['hub-timeout']
    assert 'timed out' in status['hub-timeout']['reason'], status['hub-timeout']

    # The build without Koji in the same batch: unaffected, and SMTP being down only warned.
    assert status['no-koji']['state'] == 'succeeded', status['no-koji']
    finished = check_staging_dir(node['staging'])
    assert status['no-koji']['build_id'] in finished
    mails = [r for r in run.results if r.task.endswith('Tell the requester') or r.task.startswith('Tell the requesters')]
    mails = [r for r in mails if r.status != 'skipped']
    assert len(mails) == 3, [(r.task, r.status) for r in mails]   # submitted (both), failed (tampered), succeeded
    refused = 'could not connect to the SMTP server 127.0.0.1:%d (connection refused).' % smtp['port']
    for mail in mails:
        assert mail.status == 'ok' and mail.result['warnings'], (mail.task, mail.result)
        assert all(w.endswith(refused) for w in mail.result['warnings']), mail.result

    # Nothing of the broken downloads in the node's cache or staging; the node is clean.
    assert not list(node['cache'].rglob(TAMPERED))
    assert_node_clean(node)


# -- 4. FTP refusing writes, FTP out of space -------------------------------------------------

def test_ftp_refusing_writes_or_full_fails_that_build_with_the_reason(
        node, tmp_path, fedora_repo, builder_standins, ftp_server):
    roots = {name: tmp_path / name for name in ('ftp-ro', 'ftp-full')}
    for root in roots.values():
        (root / 'pub').mkdir(parents=True)
    readonly = ftp_server(str(roots['ftp-ro']), writable=False)
    full = ftp_server(str(roots['ftp-full']))
    full.set_quota(4096)          # the first bigger file runs the disk full mid-transfer (552)
    local = {'type': 'local', 'path': str(node['staging'])}

    def ftp(server):
        return {'type': 'ftp', 'host': server.host, 'port': server.port, 'user': server.user,
                'password_env': 'FB_FTP_PASSWORD_%d' % server.port, 'path': '/pub'}

    # the operator's named targets (FTP with a password): the requests name them
    targets = {'local': local, 'ro-ftp': ftp(readonly), 'full-ftp': ftp(full)}
    requests = [boot('to-readonly-ftp', fedora_repo, staging=['local', 'ro-ftp']),
                boot('to-full-ftp', fedora_repo, staging=['local', 'full-ftp'], builder={'volid': 'FULL'}),
                boot('local-only', fedora_repo, staging=['local'], builder={'volid': 'LOCAL'})]
    env = {'FB_FTP_PASSWORD_%d' % s.port: s.password for s in (readonly, full)}
    run = run_playbook(PLAYBOOK, inventory=node['inventory'], workdir=tmp_path / 'run', env=env,
                       extra_vars=dict(service(builder_standins, node, fedora_build_staging_targets=targets),
                                       fedora_build_requests=requests))
    assert run.rc == 2, run.describe()
    status = by_name(node['staging'] / 'status')
    for name, server in (('to-readonly-ftp', readonly), ('to-full-ftp', full)):
        rec = status[name]
        assert rec['state'] == 'failed' and rec['phase'] == 'staging', rec
        assert rec['reason'].startswith('FTP target ftp://%s@%s:%d/pub: ' % (server.user, server.host, server.port)), rec['reason']
        assert '\n' not in rec['reason'] and server.password not in rec['reason']
    assert 'permission' in status['to-readonly-ftp']['reason'].lower() or '550' in status['to-readonly-ftp']['reason'], \
        status['to-readonly-ftp']['reason']
    assert 'out of space' in status['to-full-ftp']['reason'] or '552' in status['to-full-ftp']['reason'], \
        status['to-full-ftp']['reason']
    assert status['local-only']['state'] == 'succeeded', status['local-only']

    # Nothing under a final name on the FTP servers; the local target of every build verifies.
    for root in roots.values():
        assert check_staging_dir(root / 'pub') == [], sorted(p.name for p in (root / 'pub').iterdir())
    finished = check_staging_dir(node['staging'])
    assert status['local-only']['build_id'] in finished
    for name in ('to-readonly-ftp', 'to-full-ftp'):
        assert status[name]['build_id'] in finished, (name, finished)
    # The FTP passwords are in no task result, record or staged file.
    texts = [(tmp_path / 'run' / 'results.json').read_text()] + [p.read_text() for p in node['staging'].rglob('*.json')]
    for secret in (readonly.password, full.password):
        assert not [t for t in texts if secret in t]
    assert_node_clean(node)


# -- 5. the node's work area filling up during the build -------------------------------------

@pytest.fixture
def small_work_dir(tmp_path):
    """A 24 MiB tmpfs as a node's work dir."""
    path = tmp_path / 'small' / 'work'
    path.mkdir(parents=True)
    subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=24m,mode=0755', 'fb-faults', str(path)], check=True)
    yield path
    subprocess.run(['umount', '-l', str(path)], check=False)


def test_work_area_filling_fails_that_build_cleanly(tmp_path, small_work_dir, fedora_repo, builder_standins):
    # Two "nodes" on this machine: node-small works on the tmpfs, node-big on the normal disk.
    def host(name, work):
        return {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable,
                'fedora_build_work_dir': str(work), 'fedora_build_cache_dir': str(tmp_path / name / 'cache'),
                'fedora_build_lock_dir': str(tmp_path / name / 'lock')}
    hosts = {'node-small': host('small', small_work_dir), 'node-big': host('big', tmp_path / 'big' / 'work')}
    inventory = {'all': {'children': {'builders': {'children': {'builders_x86_64': {'hosts': hosts}}}}}}
    staging = tmp_path / 'staging'
    env = dict(builder_standins.environment, FB_STANDIN_SLEEP='5')
    extra = {'fedora_build_staging': [{'type': 'local', 'path': str(staging)}], 'fedora_build_environment': env,
             'fedora_build_preflight_require': ['root', 'tools'], 'fedora_build_poll': 1,
             'fedora_build_node_repo_dirs': [str(tmp_path)],
             'fedora_build_requests': [boot('fill-%d' % i, fedora_repo, builder={'volid': 'FILL%d' % i})
                                       for i in range(2)]}
    status_dir = staging / 'status'
    run = BackgroundRun(inventory, extra, tmp_path / 'run')
    queued = wait_until('two queued records', lambda: len(records(status_dir)) == 2 and records(status_dir), run=run)
    victim = [r['name'] for r in queued.values() if r['node'] == 'node-small']
    other = [r['name'] for r in queued.values() if r['node'] == 'node-big']
    assert len(victim) == 1 and len(other) == 1, queued

    def building():
        rec = by_name(status_dir).get(victim[0])
        return rec and rec['state'] == 'running' and rec['phase'] == 'build'

    wait_until('the build on node-small to be building', building, run=run, interval=0.1)
    filler = small_work_dir / '.filler'
    subprocess.run(['sh', '-c', 'cat /dev/zero > "$1"', 'fill', str(filler)], check=False, capture_output=True)
    assert os.statvfs(str(small_work_dir)).f_bavail == 0
    result = run.join()
    try:
        assert result.rc == 2, result.describe()
        status = by_name(status_dir)
        rec = status[victim[0]]
        assert rec['state'] == 'failed' and rec['phase'] == 'build', rec
        # one sentence from the builder module (no traceback), naming the problem and where
        assert rec['reason'].startswith('boot_iso: the build in %s/slot-0/work failed on the node: No space left on device.'
                                        % small_work_dir), rec['reason']
        assert '\n' not in rec['reason'] and 'Module failed' not in rec['reason'], rec['reason']
        # its logs cannot even be described on the full disk: said in the reason, nothing half-staged
        assert rec['reason'].endswith('No space left on device.)') and '(the logs could not be staged: ' in rec['reason']
        assert status[other[0]]['state'] == 'succeeded', status[other[0]]
        finished = check_staging_dir(staging)
        assert finished == [status[other[0]]['build_id']], finished
        # cleanup ran on the full disk: no slot dir, no lock holder
        assert sorted(p.name for p in small_work_dir.iterdir()) == ['.filler']
        for name in ('small', 'big'):
            wait_until('the lock holders of %s to exit' % name, lambda: not lock_holders(tmp_path / name / 'lock'),
                       timeout=20)
    finally:
        filler.unlink()
