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
* ``multiCall``: one request, one entry per call: ``[result]`` or, as
  ``kojixmlrpc.multiCall`` builds it, ``{faultCode, faultString, traceback}``
  with the exception class's faultCode, its args joined as faultString and the
  traceback as a list of lines (new-style and legacy clients use the same wire
  format).
* Lookups as kojihub answers them: ``getLatestBuilds`` resolves the tag with
  ``get_tag_id(strict=True)`` (``No such entry in table tag: NAME``),
  ``listTagged`` with ``get_tag`` (``No such tagInfo: 'NAME'``); both read
  tagged builds like ``readTaggedBuilds``: COMPLETE builds only, newest tagging
  first, the tag before its inheritance (``getLatestBuilds`` always inherits),
  and only packages listed and not blocked in the tag's package list
  (``hub.add_tag(tag, parents, packages, blocked)``).
* ``queryRPMSigs`` sighash = MD5 of the padded signature header
  (``koji.rip_rpm_sighdr``); ``getRPMChecksums`` answers
  ``{sigkey: {type: checksum}}`` of the signed copies.
* ``GET|HEAD /kojifiles/...``: the real topdir layout from ``koji.PathInfo``:
  ``[vol/<volume>/]packages/N/V/R/<arch>/<nvra>.rpm``,
  ``.../data/signed/<sigkey>/<arch>/<nvra>.rpm`` and
  ``work/tasks/<id % 10000>/<id>/<file>``; ``Range`` requests are honoured
  (the koji CLI resumes with them).

* Optional TLS (``KojiHub(..., tls=TLSConfig(...))``; plain HTTP stays the default): the hub's
  certificate from a test CA, client certificates verified like mod_ssl's ``SSLVerifyClient optional``
  (no certificate is fine, an untrusted one fails the handshake). As in koji's ``httpd.conf``
  (``<Location /kojihub/ssllogin> SSLOptions +StdEnvVars``) the ``SSL_CLIENT_*`` variables reach the
  hub only on ``POST /kojihub/ssllogin``, where ``ClientSession.ssl_login`` sends ``sslLogin``.
* Sessions as ``kojihub/auth.py``: ``login`` (user + password), ``sslLogin`` (user = the client
  certificate's subject CN, ``LoginCreatesUser`` on by default as in hub.conf), ``logout``,
  ``subsession``, ``getLoggedInUser``, ``getUser``, ``getPerms``; the session travels in the
  ``Koji-Session-Id`` / ``Koji-Session-Key`` headers (``header-auth`` in the login answer) or, for old
  clients, the ``session-id``/``session-key``/``callnum`` query string. A bad session is
  ``AuthError('Invalid session or bad credentials')`` for the whole request, an expired one
  ``AuthExpired`` (the client then renews with ``renew=True``), the session's client IP is checked
  (``CheckClientIP``). ``createTag`` needs the ``tag`` permission (``ActionNotAllowed`` otherwise):
  a write call to prove that anonymous callers are refused with the hub's real fault.
  With ``hub.gssapi_keytab`` set (a keytab holding HTTP/<host>), ``/kojihub/ssllogin`` answers 401
  ``WWW-Authenticate: Negotiate`` and accepts a SPNEGO token with python-gssapi, then passes the client
  principal as ``REMOTE_USER`` like mod_auth_gssapi (``tests/support/koji_kdc.py`` runs a real KDC). Recorded:
  ``hub.logins`` (method, user, authtype), ``hub.logouts``, ``hub.callers`` (method, user or None).

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
import random
import shutil
import ssl
import string
import threading
import time
import traceback
import urllib.parse
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
    """md5 of the padded RPM signature header, the 'sighash' Koji stores for a signature
    (kojihub's add_rpm_sig over ``koji.rip_rpm_sighdr``)."""
    return hashlib.md5(koji.rip_rpm_sighdr(path)).hexdigest()


def file_checksums(path):
    """{'md5', 'sha1', 'sha256'} of a whole file, as kojihub's rpm_checksum table holds for a signed copy."""
    sums = {name: hashlib.new(name) for name in koji.CHECKSUM_TYPES}
    with open(path, 'rb') as handle:
        for block in iter(lambda: handle.read(1 << 20), b''):
            for digest in sums.values():
                digest.update(block)
    return {name: digest.hexdigest() for name, digest in sums.items()}


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


class TLSConfig(object):
    """TLS for the stand-in: ``cert`` PEM (certificate + key) and the ``ca`` that client certificates
    must chain to; ``verify_client``: 'optional' (mod_ssl ``SSLVerifyClient optional``, the default),
    'require' or 'none' (no client certificates asked for)."""

    def __init__(self, cert, ca=None, verify_client='optional'):
        if verify_client not in ('optional', 'require', 'none'):
            raise ValueError('verify_client: %r' % verify_client)
        self.cert = cert
        self.ca = ca
        self.verify_client = verify_client

    def context(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert)
        if self.verify_client != 'none':
            ctx.load_verify_locations(cafile=self.ca)
            ctx.verify_mode = ssl.CERT_OPTIONAL if self.verify_client == 'optional' else ssl.CERT_REQUIRED
        return ctx


class HubSession(object):
    """The per-request view of the caller's session (``koji.auth.Session`` on the real hub)."""

    def __init__(self):
        self.logged_in = False
        self.id = None
        self.key = None
        self.master = None
        self.user_id = None
        self.authtype = None
        self.callnum = None
        self.user = None
        self.expired = False


class KojiHub(object):
    """In-memory Koji hub data plus an on-disk topdir served over HTTP (or HTTPS with ``tls``)."""

    def __init__(self, topdir, host='127.0.0.1', port=0, tls=None):
        self.topdir = topdir
        self.tls = tls
        self.users = {}
        self.perms = {}
        self.auth_sessions = {}
        self.logins = []
        self.logouts = []
        self.callers = []
        self.tls_failures = []
        self.gssapi_keytab = None        # set: /kojihub/ssllogin wants SPNEGO, as with mod_auth_gssapi
        self.login_creates_user = True   # hub.conf LoginCreatesUser (on by default)
        self.check_client_ip = True      # hub.conf CheckClientIP (on by default)
        self._ctx = threading.local()
        os.makedirs(topdir, exist_ok=True)
        self.host = host
        self.port = port
        self.builds = {}
        self.rpms = {}
        self.sigs = []
        self.tasks = {}
        self.task_files = {}
        self.tags = {}              # tag name -> build ids in tagging order
        self.tag_parents = {}       # tag name -> [(parent name, priority)] (tag_inheritance)
        self.tag_packages = {}      # tag name -> {package name: blocked} (tag_packages)
        self.rpm_checksums = {}     # (rpm id, sigkey) -> {'md5', 'sha1', 'sha256'} (rpm_checksum)
        self.missing_methods = set()  # answered 'Invalid method', as on a hub older than the call
        # concurrency probe: with file_gate = N each file request waits (up to file_gate_timeout s)
        # until N requests are in flight at once; file_max_in_flight records the most seen
        self.file_gate = None
        self.file_gate_timeout = 60.0
        self.file_max_in_flight = 0
        self._file_in_flight = 0
        self._file_cond = threading.Condition()
        self.calls = []
        self.requests = []
        self.file_requests = []
        self.rpc_delay = 0.0
        self.file_delay = 0.0
        self.injections = []
        self._ids = {'build': 1000, 'rpm': 5000, 'task': 40000, 'package': 100, 'user': 1, 'session': 700, 'tag': 10}
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
                self.rpm_checksums[(rid, key.lower())] = file_checksums(path)
                if write_signed:
                    sdest = os.path.join(builddir, pi.signed(info, key.lower()))
                    os.makedirs(os.path.dirname(sdest), exist_ok=True)
                    shutil.copyfile(path, sdest)
        self.builds[bid] = build
        return build

    def add_tag(self, tag, parents=(), packages=(), blocked=()):
        """Create a tag with inheritance ``parents`` ([name] or [(name, priority)], lower priority first)
        and a package list (``packages`` listed, ``blocked`` listed as blocked)."""
        with self._lock:
            self.tags.setdefault(tag, [])
            links = [(p, 10 * i) if isinstance(p, str) else tuple(p) for i, p in enumerate(parents)]
            self.tag_parents[tag] = sorted(links, key=lambda link: link[1])
            listing = self.tag_packages.setdefault(tag, {})
            for name in packages:
                listing[name] = False
            for name in blocked:
                listing[name] = True

    def tag_build(self, tag, build, add_package=True):
        """Tag a build (the latest tagged build of a package wins, as in Koji). ``add_package``: also list
        the package in the tag, as ``koji add-pkg`` before ``koji tag-build`` would."""
        with self._lock:
            self.tags.setdefault(tag, []).append(build['id'])
            if add_package:
                self.tag_packages.setdefault(tag, {}).setdefault(build['name'], False)

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

    # ------------------------------------------------------------------ users
    def add_user(self, name, password=None, status='NORMAL', perms=(), krb_principals=()):
        """A hub user; ``password`` enables ``login`` (the hub's plain password check), ``perms`` e.g. ['tag']."""
        with self._lock:
            uid = self._next('user')
            self.users[uid] = {'id': uid, 'name': name, 'status': koji.USER_STATUS[status],
                               'usertype': koji.USERTYPES['NORMAL'], 'krb_principals': list(krb_principals),
                               'password': password}
            self.perms[uid] = set(perms)
        return dict(self.users[uid])

    def user_by_name(self, name):
        for info in self.users.values():
            if info['name'] == name:
                return info
        return None

    def expire_sessions(self):
        """Mark every open session expired (as SessionRenewalTimeout does); clients must renew."""
        with self._lock:
            for sess in self.auth_sessions.values():
                if not sess['closed']:
                    sess['expired'] = True

    def open_sessions(self):
        return [dict(s) for s in self.auth_sessions.values() if not s['closed']]

    @property
    def session(self):
        """The session of the call being dispatched in this thread."""
        return self._ctx.session

    def _load_session(self, headers, query, client_ip):
        """Session from Koji-Session-* headers or the legacy query string, as koji.auth.Session()."""
        sess = HubSession()
        self._ctx.session = sess
        callnum = None
        if headers.get('Koji-Session-Id') is not None:
            try:
                sess.id = int(headers['Koji-Session-Id'])
            except ValueError:
                raise koji.AuthError('Invalid session or bad credentials')
            sess.key = headers.get('Koji-Session-Key')
            # kojihub 1.36 reads HTTP_KOJI_CALLNUM: the client's Koji-Session-Callnum header is not checked
            callnum = headers.get('Koji-Callnum')
        elif query:
            args = urllib.parse.parse_qs(query, strict_parsing=True)
            try:
                sess.id = int(args['session-id'][0])
                sess.key = args['session-key'][0]
            except KeyError as field:
                raise koji.AuthError('%s not specified in session args' % field)
            callnum = args.get('callnum', [None])[0]
        else:
            return sess
        with self._lock:
            data = self.auth_sessions.get(sess.id)
            hostip = client_ip if self.check_client_ip else '-'
            if not data or data['key'] != sess.key or data['hostip'] != hostip or data['closed']:
                raise koji.AuthError('Invalid session or bad credentials')
            if data['expired']:
                sess.expired = True
                if self._ctx.method not in ('login', 'sslLogin'):
                    raise koji.AuthExpired('session "%s" has expired' % sess.id)
            if callnum is not None:
                try:
                    callnum = int(callnum)
                except (TypeError, ValueError):
                    raise koji.AuthError('Invalid callnum: %r' % callnum)
                if data['callnum'] is not None and data['callnum'] > callnum:
                    raise koji.SequenceError('%s > %s (session %s)' % (data['callnum'], callnum, sess.id))
                if data['callnum'] == callnum:
                    raise koji.RetryError('unable to retry call %s (method %s) for session %s'
                                          % (callnum, self._ctx.method, sess.id))
            if sess.expired:
                return sess
            user = self.users[data['user_id']]
            if user['status'] != koji.USER_STATUS['NORMAL']:
                raise koji.AuthError('logins by %s are not allowed' % user['name'])
            if callnum is not None:
                data['callnum'] = callnum
            sess.callnum = callnum
            sess.user_id = data['user_id']
            sess.authtype = data['authtype']
            sess.master = data['master']
            sess.user = user
            sess.logged_in = True
        return sess

    def _create_session(self, user_id, authtype, renew=False, master=None):
        sess = self._ctx.session
        key = '%s-%s' % (user_id, ''.join(random.choice(string.ascii_letters + string.digits) for _x in range(19)))
        with self._lock:
            if renew and sess.id is not None:
                data = self.auth_sessions[sess.id]
                data.update(key=key, expired=False)
                sid = sess.id
            else:
                sid = self._next('session')
                self.auth_sessions[sid] = {'id': sid, 'user_id': user_id, 'key': key, 'authtype': authtype,
                                           'hostip': self._ctx.client_ip if self.check_client_ip else '-',
                                           'master': master, 'expired': False, 'closed': False, 'callnum': None}
            self.logins.append((self._ctx.method, self.users[user_id]['name'], authtype))
        return {'session-id': sid, 'session-key': key, 'header-auth': True}

    def _check_login_allowed(self, user_id):
        user = self.users.get(user_id)
        if not user:
            raise koji.AuthError('invalid user_id: %s' % user_id)
        if user['status'] != koji.USER_STATUS['NORMAL']:
            raise koji.AuthError('logins by %s are not allowed' % user['name'])

    def _assert_perm(self, name):
        sess = self._ctx.session
        perms = self.perms.get(sess.user_id, set()) if sess.logged_in else set()
        if name not in perms and 'admin' not in perms:
            msg = '%s permission required' % name
            if sess.logged_in:
                msg += ' (logged in as %s)' % sess.user['name']
            else:
                msg += ' (user not logged in)'
            raise koji.ActionNotAllowed(msg)

    # ---------------------------------------------------------------- serving
    @property
    def scheme(self):
        return 'https' if self.tls else 'http'

    @property
    def url(self):
        return '%s://%s:%d/kojihub' % (self.scheme, self.host, self.port)

    @property
    def topurl(self):
        return '%s://%s:%d/kojifiles' % (self.scheme, self.host, self.port)

    def start(self):
        hub = self

        class Handler(HubHandler):
            pass
        Handler.hub = hub
        if self.tls:
            self.server = TLSHTTPServer((self.host, self.port), Handler, self.tls.context(), hub)
        else:
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

    def write_cli_config(self, path, profile='standin', authtype='noauth', cert=None, serverca=None):
        """A koji CLI config file with one profile pointing at this hub (``cert``/``serverca`` for TLS)."""
        with open(path, 'w') as handle:
            handle.write('[%s]\nserver = %s\ntopurl = %s\nweburl = %s://%s:%d/koji\nauthtype = %s\n'
                         'anon_retry = true\nmax_retries = 2\nretry_interval = 1\n'
                         % (profile, self.url, self.topurl, self.scheme, self.host, self.port, authtype))
            if cert:
                handle.write('cert = %s\n' % cert)
            if serverca:
                handle.write('serverca = %s\n' % serverca)
        return path

    # ------------------------------------------------------------- dispatching
    def dispatch(self, method, params):
        """Run one call the way kojixmlrpc does: decode kwargs, map errors to faults."""
        args, kwargs = koji.decode_args(*params)
        sess = getattr(self._ctx, 'session', None)
        with self._lock:
            self.calls.append((method, args, kwargs))
            self.callers.append((method, sess.user['name'] if sess is not None and sess.logged_in else None))
        if method == 'multiCall':
            return self._multicall(*args, **kwargs)
        func = API.get(method) if method not in self.missing_methods else None
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
            except xmlrpc.client.Fault as fault:
                results.append({'faultCode': fault.faultCode, 'faultString': fault.faultString})
            except Exception as exc:  # pylint: disable=broad-except
                # kojixmlrpc.multiCall: the class's faultCode (1 if none), the args joined, the traceback as a list
                results.append({'faultCode': getattr(exc, 'faultCode', 1),
                                'faultString': ', '.join(str(arg) for arg in exc.args),
                                'traceback': traceback.format_exception(type(exc), exc, exc.__traceback__)})
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


def _tag_id(hub, tag):
    """kojihub.get_tag_id(strict=True): a lookup_name on table tag."""
    if tag not in hub.tags:
        raise koji.GenericError('No such entry in table tag: %s' % tag)
    return tag


def _full_inheritance(hub, tag):
    """readFullInheritance: the ancestors of tag, depth first, each parent list in priority order."""
    out = []
    seen = {tag}

    def walk(name):
        for parent, _priority in hub.tag_parents.get(name, []):
            if parent in seen:
                continue
            seen.add(parent)
            out.append(parent)
            walk(parent)
    walk(tag)
    return out


def _package_list(hub, tag, inherit=True):
    """readPackageList: package -> blocked; the nearest tag in the inheritance that lists a package decides."""
    out = {}
    for name in [tag] + (_full_inheritance(hub, tag) if inherit else []):
        for package, blocked in hub.tag_packages.get(name, {}).items():
            out.setdefault(package, blocked)
    return out


def _tagged(hub, tag, package=None, latest=False, inherit=False):
    """readTaggedBuilds: COMPLETE builds only, newest tagging first, tag before its parents; a build whose
    package is not listed in the tag (with inheritance) or is blocked there is left out."""
    packages = _package_list(hub, tag)
    chosen = []
    seen = set()
    for name in [tag] + (_full_inheritance(hub, tag) if inherit else []):
        for bid in reversed(hub.tags.get(name, [])):
            build = hub.builds[bid]
            if build['state'] != koji.BUILD_STATES['COMPLETE']:
                continue
            if package is not None and build['name'] != package:
                continue
            if packages.get(build['name'], True):  # not listed, or blocked
                continue
            if latest and build['name'] in seen:
                continue
            seen.add(build['name'])
            chosen.append(dict(build, tag_name=name, tag_id=abs(hash(name)) % 1000))
    return chosen


def _api_getLatestBuilds(hub, tag, event=None, package=None, type=None, draft=None):  # pylint: disable=redefined-builtin
    return _tagged(hub, _tag_id(hub, tag), package=package, latest=True, inherit=True)


def _api_listTagged(hub, tag, event=None, inherit=False, prefix=None, latest=False, package=None, owner=None,
                    type=None, strict=True, extra=False, draft=None):  # pylint: disable=redefined-builtin
    if tag not in hub.tags:
        if strict:
            raise koji.GenericError('No such tagInfo: %r' % tag)
        return []
    return _tagged(hub, tag, package=package, latest=latest, inherit=inherit)


def _api_getRPMChecksums(hub, rpm_id, checksum_types=None, cacheonly=False, strict=False):
    """kojihub getRPMChecksums: {sigkey: {type: checksum}} of the signed copies (default types of
    hub.conf's RPMDefaultChecksums, 'md5 sha256'); none with cacheonly where nothing was computed."""
    if not isinstance(rpm_id, int):
        raise koji.GenericError('rpm_id must be an integer')
    _api_getRPM(hub, rpm_id, strict=True)
    if checksum_types is None:
        checksum_types = ['md5', 'sha256']
    if not isinstance(checksum_types, list):
        raise koji.GenericError('checksum_type must be a list')
    for name in checksum_types:
        if name not in koji.CHECKSUM_TYPES:
            raise koji.GenericError("Checksum_type %s isn't supported" % name)
    keys = [s['sigkey'] for s in hub.sigs if s['rpm_id'] == rpm_id]
    if not keys:
        if strict:
            raise koji.GenericError('No cached signature for rpm ID %s.' % rpm_id)
        return {}
    out = {}
    for key in keys:
        sums = hub.rpm_checksums.get((rpm_id, key))
        if sums is None and cacheonly:
            continue
        out[key] = {name: (sums or {}).get(name) for name in checksum_types}
    return out


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


# ------------------------------------------------------------------ auth (kojihub/auth.py)
def _api_login(hub, user, password, opts=None, renew=False, exclusive=False):
    sess = hub.session
    if not isinstance(password, str) or len(password) == 0:
        raise koji.AuthError('invalid username or password')
    if sess.logged_in:
        raise koji.AuthError('Already logged in')
    info = hub.user_by_name(user)
    if not info or info['password'] is None or info['password'] != password:
        raise koji.AuthError('invalid username or password')
    hub._check_login_allowed(info['id'])
    return hub._create_session(info['id'], koji.AUTHTYPES['NORMAL'], renew=renew)


def _api_sslLogin(hub, proxyuser=None, proxyauthtype=None, renew=False, exclusive=None):
    sess = hub.session
    if sess.logged_in:
        raise koji.AuthError('Already logged in')
    environ = hub._ctx.environ
    if environ.get('REMOTE_USER'):  # a Kerberos principal from mod_auth_gssapi
        if proxyuser:
            raise koji.AuthError('%s is not authorized to login other users' % environ['REMOTE_USER'])
        principal = environ['REMOTE_USER']
        info = None
        for user in hub.users.values():
            if principal in user['krb_principals']:
                info = user
        if info is None:
            if not hub.login_creates_user:
                raise koji.AuthError('Unknown user: %s' % principal)
            info = hub.user_by_name(principal.split('@', 1)[0])
            if info is None:
                info = hub.add_user(principal.split('@', 1)[0], krb_principals=[principal])
            elif not info['krb_principals']:
                hub.users[info['id']]['krb_principals'].append(principal)
            else:
                raise koji.AuthError('Unknown user: %s' % principal)
        hub._check_login_allowed(info['id'])
        return hub._create_session(info['id'], koji.AUTHTYPES['GSSAPI'], renew=renew)
    if environ.get('SSL_CLIENT_VERIFY') != 'SUCCESS':
        raise koji.AuthError('could not verify client: %s' % environ.get('SSL_CLIENT_VERIFY'))
    username = environ.get('SSL_CLIENT_S_DN_CN')
    if not username:
        raise koji.AuthError('unable to get user information (CN) from client certificate')
    client_dn = environ.get('SSL_CLIENT_S_DN')
    if proxyuser:  # no ProxyDNs configured
        raise koji.AuthError('%s is not authorized to login other users' % client_dn)
    info = hub.user_by_name(username)
    if not info:
        if not hub.login_creates_user:
            raise koji.AuthError('Unknown user: %s' % username)
        info = hub.add_user(username)
    hub._check_login_allowed(info['id'])
    return hub._create_session(info['id'], koji.AUTHTYPES['SSL'], renew=renew)


def _api_logout(hub, session_id=None):
    sess = hub.session
    if not sess.logged_in:
        raise koji.AuthError('Not logged in')
    target = session_id or sess.id
    with hub._lock:
        if session_id and 'admin' not in hub.perms.get(sess.user_id, set()):
            data = hub.auth_sessions.get(session_id)
            if not data or data['user_id'] != sess.user_id:
                raise koji.ActionNotAllowed('only admins or owner may logout other session')
        for data in hub.auth_sessions.values():
            if data['id'] == target or data['master'] == target:
                data.update(expired=True, closed=True)
        hub.logouts.append((target, sess.user['name']))


def _api_subsession(hub):
    sess = hub.session
    if not sess.logged_in:
        raise koji.AuthError('Not logged in')
    return hub._create_session(sess.user_id, sess.authtype, master=sess.master or sess.id)


def _user_info(hub, info, krb_princs=True):
    out = {k: info[k] for k in ('id', 'name', 'status', 'usertype')}
    if krb_princs:
        out['krb_principals'] = list(info['krb_principals'])
    return out


def _api_getUser(hub, userInfo=None, strict=False, krb_princs=True, groups=False):
    if userInfo is None:
        userInfo = hub.session.user_id
        if userInfo is None:
            return None
    if isinstance(userInfo, dict):
        userInfo = userInfo.get('id', userInfo.get('name'))
    info = hub.users.get(userInfo) if isinstance(userInfo, int) else hub.user_by_name(userInfo)
    if info is None:
        if strict:
            raise koji.GenericError('No such user: %r' % userInfo)
        return None
    return _user_info(hub, info, krb_princs=krb_princs)


def _api_getLoggedInUser(hub):
    sess = hub.session
    if not sess.logged_in:
        return None
    me = _user_info(hub, sess.user)
    me['authtype'] = sess.authtype
    return me


def _api_getPerms(hub):
    sess = hub.session
    if not sess.logged_in:
        return []
    return sorted(hub.perms.get(sess.user_id, ()))


def _api_createTag(hub, name, parent=None, arches=None, perm=None, locked=False, maven_support=False,
                   maven_include_all=False, extra=None):
    hub._assert_perm('tag')
    with hub._lock:
        if name in hub.tags:
            raise koji.GenericError('Tag %s already exists' % name)
        hub.tags[name] = []
        hub.tag_parents[name] = [(parent, 0)] if parent else []
        return hub._next('tag')


API = {name[len('_api_'):]: func for name, func in dict(globals()).items() if name.startswith('_api_')}


class TLSHTTPServer(ThreadingHTTPServer):
    """HTTPS: the TLS handshake runs in the connection's thread, so a bad client cannot stall accept()."""

    def __init__(self, address, handler, context, hub):
        self.context = context
        self.hub = hub
        super().__init__(address, handler)

    def get_request(self):
        sock, addr = self.socket.accept()
        return self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def finish_request(self, request, client_address):
        request.settimeout(20)
        try:
            request.do_handshake()
        except (ssl.SSLError, OSError) as exc:
            with self.hub._lock:
                self.hub.tls_failures.append('%s: %s' % (client_address[0], exc))
            return
        request.settimeout(None)
        super().finish_request(request, client_address)


class HubHandler(BaseHTTPRequestHandler):
    """HTTP front of the stand-in: XML-RPC on /kojihub, files on /kojifiles."""

    hub = None
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):  # keep test output quiet
        pass

    def ssl_environ(self):
        """mod_ssl's SSL_CLIENT_* variables for this connection (SSLOptions +StdEnvVars)."""
        if not isinstance(self.connection, ssl.SSLSocket):
            return {}
        peer = self.connection.getpeercert()
        if not peer:
            return {'HTTPS': 'on', 'SSL_CLIENT_VERIFY': 'NONE'}
        rdns = [(k, v) for rdn in peer.get('subject', ()) for k, v in rdn]
        short = {'commonName': 'CN', 'organizationName': 'O', 'organizationalUnitName': 'OU', 'countryName': 'C'}
        env = {'HTTPS': 'on', 'SSL_CLIENT_VERIFY': 'SUCCESS',
               'SSL_CLIENT_S_DN': ','.join('%s=%s' % (short.get(k, k), v) for k, v in reversed(rdns))}
        for k, v in rdns:
            env['SSL_CLIENT_S_DN_%s' % short.get(k, k)] = v
        return env

    def do_POST(self):
        hub = self.hub
        path, _sep, query = self.path.partition('?')
        path = path.rstrip('/')
        if path not in ('/kojihub', '/kojihub/ssllogin'):
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
        hub._ctx.method = method
        hub._ctx.client_ip = self.client_address[0]
        # the SSL_CLIENT_* variables exist only where the httpd config exports them: /kojihub/ssllogin
        hub._ctx.environ = self.ssl_environ() if path == '/kojihub/ssllogin' else {}
        hub._ctx.session = None
        extra_headers = []
        if path == '/kojihub/ssllogin' and hub.gssapi_keytab:
            principal, token = self.negotiate()
            if principal is None:
                return
            hub._ctx.environ['REMOTE_USER'] = principal
            if token:
                extra_headers.append(('WWW-Authenticate', 'Negotiate ' + token))
        try:
            hub._load_session(self.headers, query, self.client_address[0])
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
        for name, value in extra_headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def negotiate(self):
        """SPNEGO as mod_auth_gssapi: (principal, mutual-auth token) or (None, None) after a 401 reply."""
        import base64
        import gssapi  # the client side's requests-gssapi depends on it; only needed when gssapi_keytab is set
        header = self.headers.get('Authorization') or ''
        if not header.startswith('Negotiate '):
            self._unauthorized('Negotiate')
            return None, None
        try:
            creds = gssapi.Credentials(usage='accept', store={'keytab': self.hub.gssapi_keytab})
            ctx = gssapi.SecurityContext(creds=creds, usage='accept')
            out = ctx.step(base64.b64decode(header[len('Negotiate '):]))
        except (gssapi.exceptions.GSSError, ValueError) as exc:
            with self.hub._lock:
                self.hub.tls_failures.append('gssapi: %s' % exc)
            self._unauthorized('Negotiate')
            return None, None
        if not ctx.complete:
            self._unauthorized('Negotiate ' + base64.b64encode(out).decode())
            return None, None
        return str(ctx.initiator_name), base64.b64encode(out).decode() if out else None

    def _unauthorized(self, challenge):
        body = b'Unauthorized\n'
        self.send_response(401)
        self.send_header('WWW-Authenticate', challenge)
        self.send_header('Content-Type', 'text/plain')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

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
        if hub.file_gate and not head:
            with hub._file_cond:
                hub._file_in_flight += 1
                hub.file_max_in_flight = max(hub.file_max_in_flight, hub._file_in_flight)
                hub._file_cond.notify_all()
                hub._file_cond.wait_for(lambda: hub.file_max_in_flight >= hub.file_gate, timeout=hub.file_gate_timeout)
            try:
                self._serve_file_now(head, rel)
            finally:
                with hub._file_cond:
                    hub._file_in_flight -= 1
            return
        self._serve_file_now(head, rel)

    def _serve_file_now(self, head, rel):
        hub = self.hub
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
