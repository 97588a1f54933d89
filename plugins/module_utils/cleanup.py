# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Remove a build's work directory, also after a failed or cancelled build.

Order matters: first the processes that still use the directory (only with
``kill_processes``: SIGTERM, then SIGKILL after a grace period), then every
mount point below it (deepest first, lazy unmount when a plain one fails),
then loop devices whose backing file lies below it, and only then the tree.
The tree is never removed while anything is still mounted below it, and the
path must lie strictly below ``work_root`` with no symlink on the way, so a
wrong variable can never remove anything else.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import fcntl
import os
import shutil
import signal
import stat
import sys
import time

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils.fileutil import check_tree_path

MNT_DETACH = 2
LOOP_CLR_FD = 0x4C01


def resolve_target(path, work_root):
    """The absolute target below work_root, or raise; symlinks on the way are refused, not followed."""
    for field, value in (('path', path), ('work_root', work_root)):
        if not value or not os.path.isabs(value):
            raise FedoraBuildError('%s: %r is not an absolute path.' % (field, value))
    check_tree_path(work_root, 'work_root')
    check_tree_path(path, 'path')
    norm_root = os.path.normpath(work_root)
    real_root = os.path.realpath(norm_root)
    norm = os.path.normpath(path)
    rel = None
    for root in (norm_root, real_root):
        if norm.startswith(root.rstrip('/') + '/'):
            rel = norm[len(root.rstrip('/')) + 1:]
            break
    if not rel or rel.split('/')[0] == '..':
        raise FedoraBuildError('path: %s is not strictly below work_root %s; refusing to remove it.' % (path, work_root))
    if not os.path.isdir(real_root):
        return None, None
    current = real_root
    for part in rel.split('/'):
        current = os.path.join(current, part)
        try:
            info = os.lstat(current)
        except OSError as err:
            if err.errno in (errno.ENOENT, errno.ENOTDIR):
                return current, None
            raise
        if stat.S_ISLNK(info.st_mode):
            raise FedoraBuildError('path: %s is a symlink (in %s); refusing to follow it out of work_root.' % (current, path))
    return current, info


def _unescape(field):
    # mountinfo escapes space, tab, newline and backslash as \ooo
    out, i = [], 0
    while i < len(field):
        code = field[i + 1:i + 4]
        if field[i] == '\\' and len(code) == 3 and code.isdigit():
            out.append(chr(int(field[i + 1:i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return ''.join(out)


def below(candidate, target):
    return candidate == target or candidate.startswith(target.rstrip('/') + '/')


def mounts_below(target, mountinfo='/proc/self/mountinfo'):
    """[(mount_point, fstype)] at or below target, in mountinfo order (later = mounted on top)."""
    found = []
    with open(mountinfo) as handle:
        for line in handle:
            fields = line.split()
            if len(fields) < 7 or '-' not in fields[6:]:
                continue
            point = _unescape(fields[4])
            sep = fields.index('-', 6)
            fstype = fields[sep + 1] if len(fields) > sep + 1 else ''
            if below(point, target):
                found.append((point, fstype))
    return found


def _libc():
    return ctypes.CDLL(ctypes.util.find_library('c') or None, use_errno=True)


def umount(point, flags=0):
    """umount2(2); returns 0 or the errno."""
    rc = _libc().umount2(point.encode('utf-8'), flags)
    return 0 if rc == 0 else ctypes.get_errno()


def unmount_all(target, check_mode=False):
    """Unmount everything at or below target, deepest first; return [{mount_point, fstype, lazy}]."""
    done = []
    if check_mode:
        for point, fstype in sorted(mounts_below(target), key=lambda m: m[0].count('/'), reverse=True):
            done.append(dict(mount_point=point, fstype=fstype, lazy=False))
        return done
    for _attempt in range(1000):
        found = mounts_below(target)
        if not found:
            return done
        # deepest first; among equal depth the one mounted last (on top)
        index = max(range(len(found)), key=lambda i: (found[i][0].rstrip('/').count('/'), i))
        point, fstype = found[index]
        err = umount(point)
        lazy = False
        if err:
            lazy = True
            err2 = umount(point, MNT_DETACH)
            if err2:
                raise FedoraBuildError('path: cannot unmount %s (%s), not even lazily (%s).'
                                       % (point, os.strerror(err), os.strerror(err2)), unmounted=done)
        done.append(dict(mount_point=point, fstype=fstype, lazy=lazy))
    raise FedoraBuildError('path: mounts below %s keep coming back after 1000 unmounts.' % target, unmounted=done)


def loops_below(target, sys_block='/sys/block'):
    """[(device, backing_file)] of loop devices whose backing file is below target."""
    found = []
    try:
        names = sorted(os.listdir(sys_block))
    except OSError:
        return found
    for name in names:
        if not name.startswith('loop'):
            continue
        try:
            with open(os.path.join(sys_block, name, 'loop', 'backing_file')) as handle:
                backing = handle.read().rstrip('\n')
        except (IOError, OSError):
            continue
        if backing.endswith(' (deleted)'):
            backing = backing[:-len(' (deleted)')]
        if below(backing, target):
            found.append(('/dev/' + name, backing))
    return found


def detach_loops(target, check_mode=False):
    done = []
    for device, backing in loops_below(target):
        if not check_mode:
            try:
                fd = os.open(device, os.O_RDONLY)
                try:
                    fcntl.ioctl(fd, LOOP_CLR_FD, 0)
                finally:
                    os.close(fd)
            except (IOError, OSError) as err:
                raise FedoraBuildError('path: cannot detach loop device %s (backing file %s): %s.'
                                       % (device, backing, err.strerror))
        done.append(dict(device=device, backing_file=backing))
    return done


def _link(path):
    try:
        value = os.readlink(path)
    except OSError:
        return None
    return value[:-len(' (deleted)')] if value.endswith(' (deleted)') else value


def _proc_state(pid):
    try:
        with open('/proc/%d/stat' % pid) as handle:
            data = handle.read()
    except (IOError, OSError):
        return None
    return data[data.rfind(')') + 2:].split(' ', 1)[0]


def _same_object(proc_link, path, target_dev):
    """Whether /proc/<pid>/<link> is the object at path as this process sees it.

    The link's text is a path in the other process's mount namespace: a container, a private /tmp or
    another build node sharing this kernel (the test lab) may show the same path for something else. So
    the object the link leads to must be the one at that path here (device and inode); a deleted one only
    has to be on the target's filesystem.
    """
    try:
        theirs = os.stat(proc_link)
    except OSError:
        return False
    try:
        ours = os.stat(path)
    except OSError:
        return theirs.st_dev == target_dev
    return (theirs.st_dev, theirs.st_ino) == (ours.st_dev, ours.st_ino)


def process_uses(pid, target, target_dev=None):
    """Why pid uses target ('cwd', 'exe', 'root', 'fd N'), or None."""
    if target_dev is None:
        target_dev = os.stat(target).st_dev
    base = '/proc/%d' % pid
    for what in ('cwd', 'exe', 'root'):
        proc_link = os.path.join(base, what)
        link = _link(proc_link)
        if link and below(link, target) and _same_object(proc_link, link, target_dev):
            return what
    try:
        fds = os.listdir(os.path.join(base, 'fd'))
    except OSError:
        return None
    for fd in fds:
        proc_link = os.path.join(base, 'fd', fd)
        link = _link(proc_link)
        if link and link.startswith('/') and below(link, target) and _same_object(proc_link, link, target_dev):
            return 'fd %s' % fd
    return None


def _describe(pid):
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as handle:
            argv = [a.decode('utf-8', 'replace') for a in handle.read().split(b'\0') if a]
    except (IOError, OSError):
        argv = []
    try:
        with open('/proc/%d/comm' % pid) as handle:
            name = handle.read().strip()
    except (IOError, OSError):
        name = ''
    return name, argv


def processes_using(target):
    """[{pid, name, cmdline, uses}] of live processes (not this one) whose cwd, exe, root or an fd is below target."""
    me = os.getpid()
    found = []
    target_dev = os.stat(target).st_dev
    for entry in os.listdir('/proc'):
        if not entry.isdigit() or int(entry) == me:
            continue
        pid = int(entry)
        if _proc_state(pid) in (None, 'Z', 'X'):
            continue
        uses = process_uses(pid, target, target_dev)
        if uses:
            name, argv = _describe(pid)
            found.append(dict(pid=pid, name=name, cmdline=argv, uses=uses))
    return found


def _alive(pid, target):
    return _proc_state(pid) not in (None, 'Z', 'X') and process_uses(pid, target) is not None


def kill_processes(target, grace, check_mode=False, sleep=time.sleep):
    """SIGTERM every process using target, SIGKILL after grace seconds; return what was signalled."""
    found = processes_using(target)
    if check_mode or not found:
        return found
    for proc in found:
        proc['signal'] = 'SIGTERM'
        try:
            os.kill(proc['pid'], signal.SIGTERM)
        except OSError:
            pass
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(_alive(p['pid'], target) for p in found):
        sleep(0.1)
    for proc in found:
        if _alive(proc['pid'], target):
            proc['signal'] = 'SIGKILL'
            try:
                os.kill(proc['pid'], signal.SIGKILL)
            except OSError:
                pass
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(p['pid'], target) for p in found):
        sleep(0.1)
    left = [p['pid'] for p in found if _alive(p['pid'], target)]
    if left:
        raise FedoraBuildError('path: processes %s still use %s after SIGKILL.' % (', '.join(map(str, left)), target),
                               killed=found)
    return found


def check_subdirs(subdirs):
    """The relative directory names of ``recreate``: no absolute path, no '..', nothing hidden."""
    if not isinstance(subdirs, list):
        raise FedoraBuildError('recreate: must be a list of relative directory names, not %r.' % (subdirs,))
    for index, rel in enumerate(subdirs):
        field = 'recreate[%d]' % index
        if not isinstance(rel, str) or not rel or rel.startswith('/') or '\0' in rel or '\n' in rel:
            raise FedoraBuildError('%s: %r is not a relative directory name.' % (field, rel))
        if any(part in ('', '.', '..') or part.startswith('.') for part in rel.split('/')):
            raise FedoraBuildError('%s: %r may not have empty, "." or ".." parts or hidden names.' % (field, rel))
    return subdirs


def make_fresh(path, work_root, subdirs):
    """Create path (0700) and its subdirs (0700) after the removal; work_root (0750) when it is missing."""
    if not os.path.isdir(work_root):
        os.makedirs(work_root, 0o750)
        os.chmod(work_root, 0o750)   # makedirs' mode is subject to the umask
    target, info = resolve_target(path, work_root)   # again: nothing on the way may be a symlink now either
    if info is not None:
        raise FedoraBuildError('path: %s appeared again while it was being made anew.' % target)
    parent = os.path.dirname(target)
    if not os.path.isdir(parent):
        os.makedirs(parent, 0o750)
    os.mkdir(target, 0o700)
    for rel in subdirs:
        os.makedirs(os.path.join(target, rel), 0o700)
    return [target] + [os.path.join(target, rel) for rel in subdirs]


def cleanup(path, work_root, kill=False, unmount=True, grace=10.0, check_mode=False, recreate=None):
    """Remove path (strictly below work_root), then with ``recreate`` (a list of subdirs) make it anew, empty;
    return the module result."""
    if grace < 0:
        raise FedoraBuildError('kill_grace: %r is negative; give the seconds between SIGTERM and SIGKILL.' % grace)
    if recreate is not None:
        check_subdirs(recreate)
    target, info = resolve_target(path, work_root)
    result = dict(changed=False, path=path, removed=False, unmounted=[], loop_devices=[], killed=[], created=[])
    if info is None:
        if recreate is not None:
            result['changed'] = True
            if not check_mode:
                result['created'] = make_fresh(path, work_root, recreate)
        return result
    if kill:
        result['killed'] = kill_processes(target, grace, check_mode)
        if result['killed'] and not check_mode:
            # a builder may have forked while we were signalling: one more round
            result['killed'] += kill_processes(target, grace)
    if unmount:
        result['unmounted'] = unmount_all(target, check_mode)
        result['loop_devices'] = detach_loops(target, check_mode)
    elif mounts_below(target):
        raise FedoraBuildError('path: %s has mount points below it (%s); set unmount to true or unmount them first.'
                               % (target, ', '.join(p for p, _t in mounts_below(target))))
    result.update(changed=True, removed=True)
    if check_mode:
        return result
    left = mounts_below(target)
    if left:
        raise FedoraBuildError('path: %s is still mounted below %s; refusing to remove it.' % (left[0][0], target),
                               **result)
    if stat.S_ISDIR(info.st_mode):
        failures = []

        def onexc(_func, failed, exc):
            if isinstance(exc, tuple):  # Python < 3.12 passes exc_info
                exc = exc[1]
            failures.append('%s: %s' % (failed, getattr(exc, 'strerror', None) or exc))

        if sys.version_info >= (3, 12):
            shutil.rmtree(target, onexc=onexc)  # pylint: disable=unexpected-keyword-arg
        else:
            shutil.rmtree(target, onerror=onexc)
        if failures:
            raise FedoraBuildError('path: could not remove %d entries below %s, first %s.'
                                   % (len(failures), target, failures[0]), **result)
    else:
        os.unlink(target)
    if recreate is not None:
        result['created'] = make_fresh(path, work_root, recreate)
    return result
