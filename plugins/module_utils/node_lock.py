# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Per-node build slots held with flock(2) by a small detached holder process.

A node runs at most ``slots`` builds at once, whichever playbook run or AWX
job asks. Slot ``n`` is the file ``<lock_dir>/slot-<n>.lock``; whoever holds
``flock(LOCK_EX)`` on it owns the slot. The lock has to outlive the module
process (the build runs in later tasks), so acquiring starts a holder: a
detached Python process (its own session, stdio not inherited) that

1. takes ``flock(LOCK_EX | LOCK_NB)`` on the slot file (or exits 3 when busy),
2. writes the owner record ``<lock_dir>/slot-<n>.json`` (owner, token, pid,
   acquired, lease expiry) atomically,
3. prints ``locked <pid>`` on its stdout pipe to the module and closes it,
4. sleeps until SIGTERM (release) or until the lease expires, then removes
   its owner record and exits, which drops the flock.

When the holder dies any other way (SIGKILL, node reboot) the kernel drops
the flock; a stale owner record of a free slot is ignored and overwritten.
Release finds the holder through the owner record and checks that the pid is
still a holder carrying that token (its command line holds the token) before
signalling it, so a recycled pid is never killed.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils.fileutil import read_text

DEFAULT_LOCK_DIR = '/var/lib/fedora-build/lock'
TOKEN_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._-]{7,127}$')
HOLDER_MARK = 'fedora-build-node-lock-holder'
POLL = 0.5

# The holder program, run as ``python -c HOLDER_SOURCE <mark> <lock_file> <record_file> <slot> <owner> <token> <lease>``.
# Python 3.8+ and stdlib only: it runs on the build node next to the module.
HOLDER_SOURCE = r'''
import fcntl, json, os, signal, stat, sys, time
# SIGTERM (release) stays pending until sigtimedwait below takes it: no window in which it is lost.
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGTERM])
signal.signal(signal.SIGHUP, signal.SIG_IGN)
signal.signal(signal.SIGINT, signal.SIG_IGN)
mark, lock_file, record_file, slot, owner, token, lease = sys.argv[1:8]
slot = int(slot)
lease = float(lease)
out = sys.stdout
# Never through a link: a symbolic link planted at the lock file's name would otherwise have its target
# created, truncated and written (as root). O_NOFOLLOW refuses it (ELOOP), and the file must be a regular file.
try:
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o644)
except OSError as err:
    out.write('refused %s\n' % (err.strerror or err))
    out.flush()
    sys.exit(4)
if not stat.S_ISREG(os.fstat(fd).st_mode):
    out.write('refused not a regular file\n')
    out.flush()
    sys.exit(4)
try:
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
except OSError as err:
    out.write('busy %s\n' % err)
    out.flush()
    sys.exit(3)
now = time.time()
record = {'slot': slot, 'owner': owner, 'token': token, 'pid': os.getpid(), 'lock_file': lock_file,
          'acquired': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(now)), 'acquired_epoch': now,
          'lease_expires': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(now + lease)),
          'lease_expires_epoch': now + lease}
tmp = '%s.%d.tmp' % (record_file, os.getpid())
try:
    os.unlink(tmp)   # a leftover of a killed holder with this pid, or a planted link (unlink never follows)
except OSError:
    pass
with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644), 'w') as handle:
    json.dump(record, handle, sort_keys=True)
    handle.write('\n')
os.chmod(tmp, 0o644)
os.rename(tmp, record_file)
os.ftruncate(fd, 0)
os.write(fd, ('%d %s\n' % (os.getpid(), token)).encode())
out.write('locked %d\n' % os.getpid())
out.flush()
null = os.open(os.devnull, os.O_RDWR)
os.dup2(null, 1)
os.dup2(null, 2)
deadline = now + lease
while True:
    left = deadline - time.time()
    if left <= 0 or signal.sigtimedwait([signal.SIGTERM], min(left, 3600.0)) is not None:
        break
try:
    with open(record_file) as handle:
        mine = json.load(handle).get('token') == token
except (OSError, ValueError):
    mine = False
if mine:
    os.unlink(record_file)
os.close(fd)
'''


def lock_path(lock_dir, slot):
    return os.path.join(lock_dir, 'slot-%d.lock' % slot)


def record_path(lock_dir, slot):
    return os.path.join(lock_dir, 'slot-%d.json' % slot)


def link_refused(path):
    return FedoraBuildError('lock_dir: %s is a symbolic link; the lock never opens a link it did not make '
                            '(remove it).' % path)


def check_params(params):
    """Validate the module options; raise FedoraBuildError naming the field."""
    if not os.path.isabs(params['lock_dir']):
        raise FedoraBuildError('lock_dir: %r is not an absolute path.' % params['lock_dir'])
    if params['slots'] < 1 or params['slots'] > 256:
        raise FedoraBuildError('slots: %r is not a node capacity between 1 and 256.' % params['slots'])
    if params['wait'] < 0:
        raise FedoraBuildError('wait: %r is negative; give the seconds to wait for a free slot (0 = do not wait).'
                               % params['wait'])
    if params['lease'] <= 0:
        raise FedoraBuildError('lease: %r must be a positive number of seconds.' % params['lease'])
    owner = params.get('owner')
    if owner is not None and (not owner or len(owner) > 200 or any(ord(c) < 32 for c in owner)):
        raise FedoraBuildError('owner: %r must be 1 to 200 printable characters.' % owner)
    token = params.get('token')
    if token is not None and not TOKEN_RE.match(token):
        raise FedoraBuildError('token: %r is not a lock token (8 to 128 letters, digits, ".", "_", "-").' % token)
    if params['state'] == 'released' and token is None and owner is None:
        raise FedoraBuildError('token: releasing a lock needs the token returned by the acquire, or the owner.')


def slot_is_free(lock_dir, slot):
    """Probe slot's flock without keeping it; True when nobody holds it."""
    path = lock_path(lock_dir, slot)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as err:
        if err.errno == errno.ENOENT:
            return True
        if err.errno == errno.ELOOP:
            raise link_refused(path)
        raise
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    finally:
        os.close(fd)  # closing drops the probe's lock
    return True


def read_record(lock_dir, slot):
    """The owner record of a slot as a dict, or None (absent or unreadable)."""
    text = read_text(record_path(lock_dir, slot))
    if not text:
        return None
    try:
        record = json.loads(text)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def holder_alive(record):
    """Whether the record's pid is still a holder process carrying the record's token."""
    try:
        pid = int(record.get('pid'))
    except (TypeError, ValueError):
        return False
    raw = None
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as handle:
            raw = handle.read()
    except (IOError, OSError):
        return False
    args = [a.decode('utf-8', 'replace') for a in raw.split(b'\0')]
    return HOLDER_MARK in args and str(record.get('token')) in args


def holders(lock_dir, slots):
    """Live holders of slots 0..slots-1 (slots whose flock is taken), with their owner records."""
    found = []
    for slot in range(slots):
        if slot_is_free(lock_dir, slot):
            continue
        record = read_record(lock_dir, slot) or {}
        if record.get('slot') != slot:
            record = {}
        found.append(dict(slot=slot, owner=record.get('owner'), token=record.get('token'), pid=record.get('pid'),
                          acquired=record.get('acquired'), lease_expires=record.get('lease_expires')))
    return found


def describe_holders(found):
    parts = []
    for item in found:
        if item.get('owner'):
            parts.append('slot %d by %s (pid %s, since %s)' % (item['slot'], item['owner'], item['pid'], item['acquired']))
        else:
            parts.append('slot %d by an unknown holder' % item['slot'])
    return ', '.join(parts)


def find_live(lock_dir, slots, token=None, owner=None):
    """Live holders (records whose holder still runs) matching token or owner, over all slot files present."""
    found = []
    try:
        names = os.listdir(lock_dir)
    except OSError:
        return found
    numbers = set(range(slots))
    for name in names:
        match = re.match(r'^slot-(\d+)\.json$', name)
        if match:
            numbers.add(int(match.group(1)))
    for slot in sorted(numbers):
        record = read_record(lock_dir, slot)
        if not record or record.get('slot') != slot:
            continue
        if token is not None and record.get('token') != token:
            continue
        if token is None and owner is not None and record.get('owner') != owner:
            continue
        if holder_alive(record):
            found.append(record)
    return found


def spawn_holder(lock_dir, slot, owner, token, lease, python=None):
    """Start a holder for ``slot``; return its pid, or None when the slot was taken first."""
    argv = [python or sys.executable, '-c', HOLDER_SOURCE, HOLDER_MARK, lock_path(lock_dir, slot),
            record_path(lock_dir, slot), str(slot), owner, token, repr(float(lease))]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            close_fds=True, start_new_session=True, cwd='/')
    line = proc.stdout.readline().decode('utf-8', 'replace').strip()
    proc.stdout.close()
    if line.startswith('locked '):
        proc.returncode = 0  # never waited for: it runs on after the module exits (init reaps it)
        return int(line.split()[1])
    proc.wait()
    if line.startswith('busy'):
        return None
    if line.startswith('refused'):
        if os.path.islink(lock_path(lock_dir, slot)):
            raise link_refused(lock_path(lock_dir, slot))
        raise FedoraBuildError('lock_dir: cannot open the lock file %s: %s.'
                               % (lock_path(lock_dir, slot), line.split(' ', 1)[-1]))
    raise FedoraBuildError('lock_dir: the lock holder for %s did not start (exit %s%s).'
                           % (lock_path(lock_dir, slot), proc.returncode, ': ' + line if line else ''))


def ensure_dir(lock_dir):
    try:
        os.makedirs(lock_dir, 0o755)
    except OSError as err:
        if err.errno != errno.EEXIST:
            raise FedoraBuildError('lock_dir: cannot create %s: %s.' % (lock_dir, err.strerror))
    if not os.path.isdir(lock_dir):
        raise FedoraBuildError('lock_dir: %s exists and is not a directory.' % lock_dir)


def _result(record, waited, changed):
    return dict(changed=changed, free=True, slot=record['slot'], lock_file=record['lock_file'], token=record['token'],
                holder_pid=record['pid'], owner=record['owner'], acquired=record.get('acquired'),
                lease_expires=record.get('lease_expires'), waited=round(waited, 3))


def acquire(params, check_mode=False, clock=time.monotonic, sleep=time.sleep, node=None):
    """Take a free slot (waiting up to params['wait'] seconds); return the module result."""
    lock_dir, slots = params['lock_dir'], params['slots']
    node = node or socket.gethostname()
    token = params.get('token')
    if token is not None:
        live = find_live(lock_dir, slots, token=token)
        if live:
            return _result(live[0], 0.0, False)
    if check_mode:
        taken = holders(lock_dir, slots) if os.path.isdir(lock_dir) else []
        free = [s for s in range(slots) if s not in [h['slot'] for h in taken]]
        return dict(changed=bool(free), free=bool(free), slot=free[0] if free else None,
                    lock_file=lock_path(lock_dir, free[0]) if free else None, token=None, holder_pid=None,
                    waited=0.0, holders=taken)
    ensure_dir(lock_dir)
    token = token or uuid.uuid4().hex
    owner = params.get('owner') or 'pid %d on %s' % (os.getpid(), node)
    start = clock()
    while True:
        for slot in range(slots):
            if not slot_is_free(lock_dir, slot):
                continue
            pid = spawn_holder(lock_dir, slot, owner, token, params['lease'])
            if pid is None:
                continue
            record = read_record(lock_dir, slot)
            if not record or record.get('token') != token:
                raise FedoraBuildError('lock_dir: the owner record %s was not written by the holder (pid %d).'
                                       % (record_path(lock_dir, slot), pid))
            return _result(record, clock() - start, True)
        waited = clock() - start
        if waited >= params['wait']:
            taken = holders(lock_dir, slots)
            raise FedoraBuildError(
                'No build slot is free on %s after waiting %d s: all %d taken (%s).'
                % (node, int(round(waited)), slots, describe_holders(taken) or 'holders just left'),
                holders=taken, waited=round(waited, 3))
        sleep(min(POLL, max(0.0, params['wait'] - waited)))


def _wait_gone(record, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not holder_alive(record):
            return True
        time.sleep(0.05)
    return not holder_alive(record)


def release(params, check_mode=False):
    """Stop the holders of ``token`` (or of every lock of ``owner``); idempotent."""
    lock_dir, slots = params['lock_dir'], params['slots']
    live = find_live(lock_dir, slots, token=params.get('token'), owner=params.get('owner'))
    released = []
    for record in live:
        item = dict(slot=record['slot'], owner=record.get('owner'), token=record.get('token'),
                    holder_pid=record.get('pid'), lock_file=record.get('lock_file'))
        released.append(item)
        if check_mode:
            continue
        try:
            os.kill(int(record['pid']), signal.SIGTERM)
        except OSError:
            pass
        if not _wait_gone(record, 5.0):
            try:
                os.kill(int(record['pid']), signal.SIGKILL)
            except OSError:
                pass
            if not _wait_gone(record, 5.0):
                raise FedoraBuildError('token: the lock holder pid %s of slot %s did not exit after SIGKILL.'
                                       % (record['pid'], record['slot']), released=released)
    result = dict(changed=bool(released), released=released)
    if len(released) == 1:
        result.update(slot=released[0]['slot'], lock_file=released[0]['lock_file'], token=released[0]['token'],
                      holder_pid=released[0]['holder_pid'])
    else:
        result.update(slot=None, lock_file=None, token=params.get('token'), holder_pid=None)
    return result


def run(params, check_mode=False):
    check_params(params)
    if params['state'] == 'acquired':
        return acquire(params, check_mode)
    return release(params, check_mode)
