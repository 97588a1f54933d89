# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Koji hub stand-in that speaks the real Koji XML-RPC API over HTTP.

Wire format as the real hub (koji 1.36, ``kojixmlrpc.py``), so the real
``koji.ClientSession`` and the real ``koji`` CLI talk to it unchanged:

* ``POST /kojihub``: XML-RPC. Answers are encoded with
  ``koji.xmlrpcplus.dumps(..., methodresponse=1, allow_none=1)`` so integers
  above 2**31 survive (``<i8>``); keyword arguments arrive as a trailing dict
  with ``__starstar`` and are decoded with ``koji.decode_args``; every answer
  carries the ``Koji-Version`` header.
* Faults as the hub maps them: a koji exception becomes
  ``Fault(exc.faultCode, str(exc))`` (GenericError 1000, ParameterError 1019,
  ...), a wrong argument list becomes ParameterError, an unknown method
  ``GenericError('Invalid method: X')``, anything else ``Fault(1, ...)``.
* ``multiCall``: one request, one entry per call: ``[result]`` or
  ``{faultCode, faultString, traceback}`` (new-style and legacy clients use
  the same wire format).
* ``GET|HEAD /kojifiles/...``: the real topdir layout from ``koji.PathInfo``:
  ``[vol/<volume>/]packages/N/V/R/<arch>/<nvra>.rpm``,
  ``.../data/signed/<sigkey>/<arch>/<nvra>.rpm`` and
  ``work/tasks/<id % 10000>/<id>/<file>``; ``Range`` requests are honoured
  (the koji CLI resumes with them).

Only the API the collection and the koji CLI cross-check use is implemented;
everything else is an ``Invalid method`` fault, as on a hub without it.
``hub.calls`` records every call (multicall members included) and
``hub.requests`` every HTTP request's method, so tests can assert on batching. Fault injection: ``hub.rpc_delay``, ``hub.file_delay``,
``hub.inject(pattern, ...)`` for HTTP errors, truncated and tampered files,
each optionally for the first N requests only.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import shutil
import threading
import time
import traceback
import xmlrpc.client
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import koji
import koji.xmlrpcplus

try:
    import rpm as rpmlib
except ImportError:  # pragma: no cover - the test environment has python3-rpm
    rpmlib = None

KOJI_VERSION = '1.36.1'
API_VERSION = 1


def read_header(path):
    """Return name, version, release, epoch, arch, buildtime, payloadhash, size of an RPM."""
    ts = rpmlib.TransactionSet()
    ts.setVSFlags(rpmlib._RPMVSF_NOSIGNATURES | rpmlib._RPMVSF_NODIGESTS)
    with open(path, 'rb') as handle:
        hdr = ts.hdrFromFdno(handle.fileno())
    data = koji.get_header_fields(hdr, ('name', 'version', 'release', 'epoch', 'arch', 'buildtime'))
    data['payloadhash'] = koji.get_rpm_ident(hdr)
    data['size'] = os.path.getsize(path)
    return data


def sig_header_md5(path):
    """md5 of the RPM signature header, the 'sighash' Koji stores for a signature."""
    with open(path, 'rb') as handle:
        handle.seek(96)
        head = handle.read(16)
        nindex = int.from_bytes(head[8:12], 'big')
        hsize = int.from_bytes(head[12:16], 'big')
        body = handle.read(nindex * 16 + hsize)
    return hashlib.md5(head + body).hexdigest()


class Injection(object):
    """One file-server fault: matches a path glob, fires ``times`` times (None = always)."""

    def __init__(self, pattern, kind, times=None, status=500, delay=0.0):
        self.pattern = pattern
        self.kind = kind
        self.times = times
        self.status = status
        self.delay = delay
        self.fired = 0

    def take(self, path):
        if not fnmatch.fnmatch(path, self.pattern):
            return False
        if self.times is not None and self.fired >= self.times:
            return False
        self.fired += 1
        return True


class KojiHub(object):
    """In-memory Koji hub data plus an on-disk topdir served over HTTP."""

    def __init__(self, topdir, host='127.0.0.1', port=0):
        self.topdir = topdir
        os.makedirs(topdir, exist_ok=True)
        self.host = host
        self.port = port
        self.builds = {}
        self.rpms = {}
        self.sigs = []
        self.tasks = {}
        self.task_files = {}
        self.tags = {}
        self.calls = []
        self.requests = []
        self.file_requests = []
        self.rpc_delay = 0.0
        self.file_delay = 0.0
        self.injections = []
        self._ids = {'build': 1000, 'rpm': 5000, 'task': 40000, 'package': 100}
        self._packages = {}
        self._lock = threading.RLock()
        self.server = None
        self.thread = None

    # ------------------------------------------------------------------ setup
    def _next(self, kind):
        with self._lock:
            self._ids[kind] += 1
            return self._ids[kind]

    def add_build(self, rpms, state='COMPLETE', volume=None, build_id=None, task_id=None, sigkeys=None,
                  write_signed=True, name=None):
        """Register a build from BuiltRpm objects (all of one N-V-R) and lay its files out.

        ``sigkeys``: the keys whose signatures the hub knows (default: every key the RPMs were
        signed with); ``write_signed=False`` records the signature without writing the signed copy,
        as on a hub where the signed copy was garbage-collected.
        """
        first = read_header(rpms[0].path)
        # the build is named after its source package: the shortest binary name unless given
        name = name or min((r.name for r in rpms), key=len)
        version, release, epoch = first['version'], first['release'], first['epoch']
        bid = build_id or self._next('build')
        with self._lock:
            pkg_id = self._packages.setdefault(name, self._next('package'))
        if task_id is None:
            task_id = self._next('task')
        states = koji.BUILD_STATES
        build = {
            'id': bid, 'build_id': bid, 'package_id': pkg_id, 'package_name': name, 'name': name,
            'version': version, 'release': release, 'epoch': epoch,
            'nvr': '%s-%s-%s' % (name, version, release), 'state': states[state], 'draft': False,
            'task_id': task_id, 'owner_id': 1, 'owner_name': 'kojiadmin',
            'volume_id': 0 if not volume else 7, 'volume_name': volume or 'DEFAULT',
            'creation_event_id': 100 + bid, 'creation_time': '2026-01-01 00:00:00+00:00',
            'creation_ts': 1767225600.0, 'start_time': '2026-01-01 00:00:00+00:00', 'start_ts': 1767225600.0,
            'completion_time': '2026-01-01 00:10:00+00:00', 'completion_ts': 1767226200.0,
            'source': None, 'extra': None, 'cg_id': None, 'cg_name': None, 'promoter_id': None,
            'promoter_name': None, 'promotion_time': None, 'promotion_ts': None,
        }
        pi = koji.PathInfo(topdir=self.topdir)
        builddir = pi.build(build)
        for item in rpms:
            hdr = read_header(item.path)
            rid = self._next('rpm')
            info = {'id': rid, 'name': hdr['name'], 'version': hdr['version'], 'release': hdr['release'],
                    'epoch': hdr['epoch'], 'arch': hdr['arch'], 'payloadhash': hdr['payloadhash'],
                    'size': hdr['size'], 'buildtime': hdr['buildtime'], 'build_id': bid, 'buildroot_id': 1,
                    'external_repo_id': 0, 'external_repo_name': 'INTERNAL', 'metadata_only': False,
                    'extra': None, 'draft': False}
            self.rpms[rid] = info
            dest = os.path.join(builddir, pi.rpm(info))
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            shutil.copyfile(item.path, dest)
            keys = item.signed if sigkeys is None else {k: item.signed[k] for k in sigkeys if k in item.signed}
            for key, path in keys.items():
                self.sigs.append({'rpm_id': rid, 'sigkey': key.lower(), 'sighash': sig_header_md5(path)})
                if write_signed:
                    sdest = os.path.join(builddir, pi.signed(info, key.lower()))
                    os.makedirs(os.path.dirname(sdest), exist_ok=True)
                    shutil.copyfile(path, sdest)
        self.builds[bid] = build
        return build

    def tag_build(self, tag, build):
        """Tag a build (the latest tagged build of a package wins, as in Koji)."""
        with self._lock:
            self.tags.setdefault(tag, []).append(build['id'])

    def add_scratch_task(self, rpms, arch='x86_64', state='CLOSED', parent_id=None):
        """A scratch build: parent 'build' task with one 'buildArch' child holding the RPMs."""
        parent = parent_id or self._next('task')
        child = self._next('task')
        ts = koji.TASK_STATES[state]
        self.tasks[parent] = {'id': parent, 'method': 'build', 'state': ts, 'parent': None, 'arch': 'noarch',
                              'label': None, 'channel_id': 1, 'owner': 1, 'priority': 50, 'weight': 0.2,
                              'host_id': None, 'result': None, 'waiting': False, 'awaited': None,
                              'completion_time': None, 'create_time': None, 'start_time': None,
                              'create_ts': 1767225600.0, 'start_ts': None, 'completion_ts': None,
                              'request': ['cli-build/x.src.rpm', 'f41-candidate', {'scratch': True}]}
        self.tasks[child] = dict(self.tasks[parent], id=child, method='buildArch', parent=parent, arch=arch,
                                 label=arch, request=['cli-build/x.src.rpm', 12, arch, True, {}])
        pi = koji.PathInfo(topdir=self.topdir)
        taskdir = pi.work() + '/' + pi.taskrelpath(child)
        os.makedirs(taskdir, exist_ok=True)
        files = {}
        for item in rpms:
            shutil.copyfile(item.path, os.path.join(taskdir, item.filename))
            files[item.filename] = os.path.getsize(item.path)
        for log in ('build.log', 'root.log'):
            with open(os.path.join(taskdir, log), 'w') as handle:
                handle.write('log\n')
            files[log] = 4
        self.task_files[child] = files
        self.task_files[parent] = {}
        return parent

    def inject(self, pattern, kind, times=None, status=500, delay=0.0):
        """Fault for file-server paths matching glob ``pattern`` (relative to topdir, e.g. '*hello*').

        kind: 'http' (answer ``status``), 'truncate' (declare the full length, send half, close),
        'tamper' (flip one payload byte, same size), 'delay' (sleep ``delay`` seconds first).
        ``times``: only the first N matching requests (None: all).
        """
        inj = Injection(pattern, kind, times=times, status=status, delay=delay)
        with self._lock:
            self.injections.append(inj)
        return inj

    def clear_faults(self):
        with self._lock:
            self.injections = []
        self.rpc_delay = 0.0
        self.file_delay = 0.0

    def method_calls(self, name=None):
        """Names of recorded calls (or the recorded calls of one method)."""
        if name is None:
            return [c[0] for c in self.calls]
        return [c for c in self.calls if c[0] == name]

    # ---------------------------------------------------------------- serving
    @property
    def url(self):
        return 'http://%s:%d/kojihub' % (self.host, self.port)

    @property
    def topurl(self):
        return 'http://%s:%d/kojifiles' % (self.host, self.port)

    def start(self):
        hub = self

        class Handler(HubHandler):
            pass
        Handler.hub = hub
        self.server = ThreadingHTTPServer((self.host, self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, name='koji-hub', daemon=True)
        self.thread.start()
        return self

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def write_cli_config(self, path, profile='standin'):
        """A koji CLI config file with one profile pointing at this hub."""
        with open(path, 'w') as handle:
            handle.write('[%s]\nserver = %s\ntopurl = %s\nweburl = http://%s:%d/koji\nauthtype = noauth\n'
                         'anon_retry = true\nmax_retries = 2\nretry_interval = 1\n'
                         % (profile, self.url, self.topurl, self.host, self.port))
        return path

    # ------------------------------------------------------------- dispatching
    def dispatch(self, method, params):
        """Run one call the way kojixmlrpc does: decode kwargs, map errors to faults."""
        args, kwargs = koji.decode_args(*params)
        with self._lock:
            self.calls.append((method, args, kwargs))
        if method == 'multiCall':
            return self._multicall(*args, **kwargs)
        func = API.get(method)
        if func is None:
            raise koji.GenericError('Invalid method: %s' % method)
        try:
            return func(self, *args, **kwargs)
        except TypeError as exc:
            if exc.__traceback__ is not None and exc.__traceback__.tb_next is None:
                raise koji.ParameterError(str(exc))
            raise

    def _multicall(self, calls):
        results = []
        for call in calls:
            try:
                results.append([self.dispatch(call['methodName'], call['params'])])
            except koji.GenericError as exc:
                results.append({'faultCode': exc.faultCode, 'faultString': str(exc),
                                'traceback': traceback.format_exc()})
            except Exception as exc:  # pylint: disable=broad-except
                results.append({'faultCode': 1, 'faultString': '%s: %s' % (exc.__class__, exc),
                                'traceback': traceback.format_exc()})
        return results

    # -------------------------------------------------------------- lookups
    def _find_build(self, info, strict=False):
        build = None
        if isinstance(info, int) and not isinstance(info, bool):
            build = self.builds.get(info)
        elif isinstance(info, str):
            if info.isdigit():
                build = self.builds.get(int(info))
            else:
                try:
                    parts = koji.parse_NVR(info)
                except koji.GenericError:
                    raise koji.GenericError('invalid format: %s' % info)
                build = self._by_nvr(parts['name'], parts['version'], parts['release'])
        elif isinstance(info, dict):
            build = self._by_nvr(info.get('name'), info.get('version'), info.get('release'))
        else:
            raise koji.ParameterError('Invalid type for buildInfo: %s' % type(info))
        if build is None and strict:
            raise koji.GenericError('No such build: %s' % info)
        return build

    def _by_nvr(self, name, version, release):
        for build in self.builds.values():
            if (build['name'], build['version'], build['release']) == (name, version, release):
                return build
        return None


def _api_getAPIVersion(hub):
    return API_VERSION


def _api_getKojiVersion(hub):
    return KOJI_VERSION


def _api_hello(hub, *args):
    return 'Hello World'


def _api_getBuild(hub, buildInfo, strict=False):
    build = hub._find_build(buildInfo, strict=strict)
    return dict(build) if build else None


def _api_listRPMs(hub, buildID=None, buildrootID=None, imageID=None, componentBuildrootID=None, hostID=None,
                  arches=None, queryOpts=None, draft=None):
    if isinstance(arches, str):
        arches = [arches]
    out = []
    for info in sorted(hub.rpms.values(), key=lambda r: r['id']):
        if buildID is not None and info['build_id'] != buildID:
            continue
        if arches and info['arch'] not in arches:
            continue
        out.append(dict(info))
    return out


def _api_getRPM(hub, rpminfo, strict=False, multi=False):
    if isinstance(rpminfo, int):
        found = hub.rpms.get(rpminfo)
    else:
        if isinstance(rpminfo, str):
            rpminfo = koji.parse_NVRA(rpminfo)
        found = None
        for info in hub.rpms.values():
            if all(info[k] == rpminfo[k] for k in ('name', 'version', 'release', 'arch')):
                found = info
    if found is None and strict:
        raise koji.GenericError('No such rpm: %s' % rpminfo)
    return dict(found) if found else None


def _api_queryRPMSigs(hub, rpm_id=None, sigkey=None, queryOpts=None):
    if isinstance(rpm_id, dict):
        rpm_id = _api_getRPM(hub, rpm_id, strict=True)['id']
    out = []
    for sig in hub.sigs:
        if rpm_id is not None and sig['rpm_id'] != rpm_id:
            continue
        if sigkey is not None and sig['sigkey'] != sigkey.lower():
            continue
        out.append(dict(sig))
    return out


def _tagged(hub, tag, package=None, latest=False):
    if tag not in hub.tags:
        raise koji.GenericError('No such tagInfo: %r' % tag)
    chosen = []
    seen = set()
    for bid in reversed(hub.tags[tag]):
        build = hub.builds[bid]
        if package is not None and build['name'] != package:
            continue
        if latest and build['name'] in seen:
            continue
        seen.add(build['name'])
        chosen.append(dict(build, tag_name=tag, tag_id=abs(hash(tag)) % 1000))
    return chosen


def _api_getLatestBuilds(hub, tag, event=None, package=None, type=None, draft=None):  # pylint: disable=redefined-builtin
    return _tagged(hub, tag, package=package, latest=True)


def _api_listTagged(hub, tag, event=None, inherit=False, prefix=None, latest=False, package=None, owner=None,
                    type=None, strict=True, extra=False, draft=None):  # pylint: disable=redefined-builtin
    return _tagged(hub, tag, package=package, latest=latest)


def _api_getTaskInfo(hub, task_id, request=False, strict=False):
    if isinstance(task_id, list):
        return [_api_getTaskInfo(hub, t, request=request, strict=strict) for t in task_id]
    task = hub.tasks.get(task_id)
    if task is None:
        if strict:
            raise koji.GenericError('No such task: %s' % task_id)
        return None
    task = dict(task)
    if not request:
        task.pop('request', None)
    return task


def _api_getTaskChildren(hub, task_id, request=False, strict=False):
    return [_api_getTaskInfo(hub, t['id'], request=request) for t in hub.tasks.values() if t['parent'] == task_id]


def _api_getTaskDescendents(hub, task_id, request=False):
    out = {}
    todo = [task_id]
    while todo:
        current = todo.pop()
        children = _api_getTaskChildren(hub, current, request=request)
        out[str(current)] = children
        todo.extend(c['id'] for c in children)
    return out


def _api_listTaskOutput(hub, taskID, stat=False, all_volumes=False, strict=False):
    files = hub.task_files.get(taskID)
    if files is None:
        if strict:
            raise koji.GenericError('No such task: %s' % taskID)
        files = {}
    if stat:
        if all_volumes:
            return {name: {'DEFAULT': {'st_size': str(size), 'st_mtime': 1767225600.0}} for name, size in files.items()}
        return {name: {'st_size': str(size), 'st_mtime': 1767225600.0} for name, size in files.items()}
    if all_volumes:
        return {name: ['DEFAULT'] for name in files}
    return sorted(files)


def _api_listBuilds(hub, packageID=None, userID=None, taskID=None, prefix=None, state=None, **kwargs):
    out = []
    for build in hub.builds.values():
        if taskID is not None and build['task_id'] != taskID:
            continue
        if state is not None and build['state'] != state:
            continue
        out.append(dict(build))
    return out


def _api_listArchives(hub, buildID=None, type=None, **kwargs):  # pylint: disable=redefined-builtin
    return []


API = {name[len('_api_'):]: func for name, func in dict(globals()).items() if name.startswith('_api_')}


class HubHandler(BaseHTTPRequestHandler):
    """HTTP front of the stand-in: XML-RPC on /kojihub, files on /kojifiles."""

    hub = None
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):  # keep test output quiet
        pass

    def do_POST(self):
        hub = self.hub
        if self.path.rstrip('/') != '/kojihub':
            self.send_error(404)
            return
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length)
        if hub.rpc_delay:
            time.sleep(hub.rpc_delay)
        for inj in list(hub.injections):
            if inj.kind == 'rpc-http' and inj.take('kojihub'):
                self.send_error(inj.status)
                return
        try:
            params, method = xmlrpc.client.loads(body, use_builtin_types=True)
        except Exception:  # pylint: disable=broad-except
            self.send_error(400)
            return
        with hub._lock:
            hub.requests.append(method)
        try:
            result = hub.dispatch(method, params)
            payload = koji.xmlrpcplus.dumps((result,), methodresponse=1, allow_none=1)
        except koji.GenericError as exc:
            payload = koji.xmlrpcplus.dumps(xmlrpc.client.Fault(exc.faultCode, str(exc)), allow_none=1)
        except Exception as exc:  # pylint: disable=broad-except
            payload = koji.xmlrpcplus.dumps(xmlrpc.client.Fault(1, '%s: %s' % (exc.__class__, exc)), allow_none=1)
        data = payload.encode('utf-8')
        self.send_response(200)
        self.send_header('Content-Type', 'text/xml')
        self.send_header('Content-Length', str(len(data)))
        self.send_header('Koji-Version', KOJI_VERSION)
        self.end_headers()
        self.wfile.write(data)

    def do_HEAD(self):
        self._serve_file(head=True)

    def do_GET(self):
        self._serve_file(head=False)

    def _serve_file(self, head):
        hub = self.hub
        prefix = '/kojifiles/'
        if not self.path.startswith(prefix):
            self.send_error(404)
            return
        rel = self.path[len(prefix):].split('?', 1)[0]
        with hub._lock:
            hub.file_requests.append((self.command, rel))
        if '..' in rel.split('/'):
            self.send_error(403)
            return
        if hub.file_delay:
            time.sleep(hub.file_delay)
        fired = []
        with hub._lock:
            for inj in hub.injections:
                if inj.kind != 'rpc-http' and (not head or inj.kind in ('http', 'delay')) and inj.take(rel):
                    fired.append(inj)
        for inj in fired:
            if inj.kind == 'delay':
                time.sleep(inj.delay)
        for inj in fired:
            if inj.kind == 'http':
                self.send_error(inj.status)
                return
        path = os.path.join(hub.topdir, rel)
        if not os.path.isfile(path):
            self.send_error(404)
            return
        with open(path, 'rb') as handle:
            data = handle.read()
        total = len(data)
        start = 0
        status = 200
        rng = self.headers.get('Range')
        if rng and rng.startswith('bytes=') and not head:
            start = int(rng[len('bytes='):].split('-', 1)[0] or 0)
            if start >= total:
                self.send_response(416)
                self.send_header('Content-Range', 'bytes */%d' % total)
                self.send_header('Content-Length', '0')
                self.end_headers()
                return
            status = 206
        body = data[start:]
        kinds = [inj.kind for inj in fired]
        if 'tamper' in kinds and body:
            pos = len(body) - 2
            body = body[:pos] + bytes([body[pos] ^ 0xFF]) + body[pos + 1:]
        self.send_response(status)
        self.send_header('Content-Type', 'application/x-rpm' if rel.endswith('.rpm') else 'application/octet-stream')
        self.send_header('Content-Length', str(len(body)))
        self.send_header('Accept-Ranges', 'bytes')
        if status == 206:
            self.send_header('Content-Range', 'bytes %d-%d/%d' % (start, total - 1, total))
        if 'truncate' in kinds:
            self.send_header('Connection', 'close')
        self.end_headers()
        if head:
            return
        if 'truncate' in kinds:
            self.wfile.write(body[:len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)
