# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Real servers for tests, in-process on a free port: HTTP files, FTP, SMTP.

Each is a context manager (``with FileServer(root) as srv: ...``) and also has
``start()``/``stop()``. The pytest fixtures in plugin_servers.py wrap them.
Bind address: ``host`` (default 127.0.0.1); use the lab's
``lab.controller_address`` so lab nodes can reach a server.

FileServer fault injection, per URL path (``'*'`` = every path)::

    srv.set_delay('/packages/a.rpm', 2.5)        # sleep before answering
    srv.set_error('/packages/a.rpm', 503, times=2)  # answer 503 twice, then normally (times=None: always)
    srv.set_truncate('/big.iso', 1000)          # full Content-Length, only 1000 bytes, then close
    srv.clear_faults()
    srv.requests                                # [(method, path, headers dict), ...]

FtpServer fault injection (file names are matched with fnmatch on the basename)::

    ftp.set_store_reply('552 Insufficient storage space.', pattern='*.iso*', times=None)  # STOR answered so
    ftp.set_quota(10_000_000)       # bytes STORed beyond this total fail mid-transfer with 552 (ENOSPC)
    ftp.set_tamper('*.iso*', times=1)  # flip the first byte of a matching file once it is received
    ftp.clear_faults()
    ftp.received                    # absolute paths of files received completely, in order
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import email
import email.policy
import errno
import fnmatch
import ipaddress
import os
import secrets
import socket
import ssl
import threading
import time
import urllib.parse
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def free_port(host='127.0.0.1'):
    """A currently free TCP port on ``host`` (bind to :0, read, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _url_host(host):
    return '[%s]' % host if ':' in host else host


class _Server:
    """start/stop + context manager protocol."""

    def start(self):
        raise NotImplementedError

    def stop(self):
        raise NotImplementedError

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# --------------------------------------------------------------------------- HTTP


class _FileHandler(SimpleHTTPRequestHandler):
    """Static files from the server's root with the server's faults applied."""

    server_version = 'fedora-build-test-http/1'

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        self.server.owner.log.append(format % args)

    def _url_path(self):
        return urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)

    def _faults(self):
        owner = self.server.owner
        path = self._url_path()
        owner.requests.append((self.command, path, dict(self.headers.items())))
        delay = owner.fault('delays', path)
        if delay:
            time.sleep(delay)
        with owner.lock:
            for key in (path, '*'):
                if key in owner.errors:
                    status, left = owner.errors[key]
                    if left is not None:
                        if left <= 0:
                            continue
                        owner.errors[key] = (status, left - 1)
                    return status
        return None

    def _answer(self, head_only):
        status = self._faults()
        if status is None and not self.server.owner.authorized(self.headers.get('Authorization')):
            self.send_response(401)
            self.send_header('WWW-Authenticate', 'Basic realm="kickstarts"')
            self.send_header('Content-Length', '0')
            self.end_headers()
            return
        location = self.server.owner.fault('redirects', self._url_path())
        if status is None and location is not None:
            self.send_response(302)
            self.send_header('Location', location)
            self.send_header('Content-Length', '0')
            self.end_headers()
            return
        if status is not None:
            body = ('injected error %d\n' % status).encode()
            self.send_response(status)
            self.send_header('Content-Type', 'text/plain')
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            if not head_only:
                self.wfile.write(body)
            return
        if head_only:
            super().do_HEAD()
        else:
            super().do_GET()

    def do_GET(self):
        self._answer(head_only=False)

    def do_HEAD(self):
        self._answer(head_only=True)

    def copyfile(self, source, outputfile):
        limit = self.server.owner.fault('truncates', self._url_path())
        if limit is None:
            super().copyfile(source, outputfile)
            return
        outputfile.write(source.read(limit))
        outputfile.flush()
        self.close_connection = True
        # cut the connection so the client sees fewer bytes than Content-Length
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class _OwnedHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, handler, owner):
        self.owner = owner
        super().__init__(address, handler)


class FileServer(_Server):
    """Threaded HTTP static file server for ``root`` on ``host``:``port`` (0 = free port); with ``auth``
    (user, password) every request needs that HTTP Basic authentication (else 401)."""

    def __init__(self, root, host='127.0.0.1', port=0, auth=None):
        self.root = Path(root)
        self.auth = auth
        self.host = host
        self.port = port
        self.delays = {}
        self.errors = {}
        self.truncates = {}
        self.redirects = {}
        self.requests = []
        self.log = []
        self.lock = threading.Lock()
        self._httpd = None
        self._thread = None

    @property
    def url(self):
        """Base URL without a trailing slash, e.g. ``http://127.0.0.1:40123``."""
        return 'http://%s:%d' % (_url_host(self.host), self.port)

    def url_for(self, relpath):
        """URL of a file below the root."""
        return '%s/%s' % (self.url, urllib.parse.quote(str(relpath).lstrip('/')))

    def authorized(self, header):
        if self.auth is None:
            return True
        expected = base64.b64encode(('%s:%s' % self.auth).encode('utf-8')).decode('ascii')
        return header == 'Basic ' + expected

    def fault(self, kind, path):
        table = getattr(self, kind)
        with self.lock:
            if path in table:
                return table[path]
            return table.get('*')

    def set_delay(self, path, seconds):
        with self.lock:
            self.delays[path] = seconds

    def set_error(self, path, status, times=None):
        with self.lock:
            self.errors[path] = (int(status), times)

    def set_truncate(self, path, nbytes):
        with self.lock:
            self.truncates[path] = int(nbytes)

    def set_redirect(self, path, location):
        """Answer GET/HEAD of path with a 302 to location (any text: a URL, another scheme, a relative path)."""
        with self.lock:
            self.redirects[path] = location

    def clear_faults(self):
        with self.lock:
            self.delays.clear()
            self.errors.clear()
            self.truncates.clear()
            self.redirects.clear()

    def start(self):
        handler = partial(_FileHandler, directory=str(self.root))
        self._httpd = _OwnedHTTPServer((self.host, self.port), handler, self)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={'poll_interval': 0.05},
                                        name='file-server-%d' % self.port, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join(10)
            self._httpd = None


# --------------------------------------------------------------------------- FTP


class FtpServer(_Server):
    """pyftpdlib server on ``host``:``port`` serving ``root`` to one user.

    writable=False gives the user read/list permissions only (uploads get 550).
    passive_ports: iterable of ports for data connections (default: 20 ports from a random base).
    """

    def __init__(self, root, user='stage', password=None, host='127.0.0.1', port=0, writable=True,
                 passive_ports=None, anonymous_root=None):
        # imported here so that collecting tests does not need pyftpdlib
        from pyftpdlib.authorizers import DummyAuthorizer  # pylint: disable=import-outside-toplevel

        self.root = Path(root)
        self.user = user
        self.password = password if password is not None else secrets.token_hex(8)
        self.host = host
        self.port = port
        self.writable = writable
        if passive_ports is None:
            base = 40000 + secrets.randbelow(1000) * 20
            passive_ports = range(base, base + 20)
        self.passive_ports = list(passive_ports)
        self.authorizer = DummyAuthorizer()
        self.authorizer.add_user(user, self.password, str(self.root), perm='elradfmwMT' if writable else 'elr')
        if anonymous_root is not None:
            self.authorizer.add_anonymous(str(anonymous_root))
        self._server = None
        self._thread = None
        self._stopping = threading.Event()
        self.lock = threading.Lock()
        self.store_replies = []   # [pattern, reply, times left or None]
        self.quota_left = None
        self.tampers = []         # [pattern, times left]
        self.received = []
        self.uploaders = []       # the client address of each received file (who uploaded it)

    # -- fault injection (see the module docstring)
    def set_store_reply(self, reply, pattern='*', times=None):
        """Answer STOR of a file whose name matches ``pattern`` with ``reply`` (e.g. '552 ...'); times=None: always."""
        with self.lock:
            self.store_replies.append([pattern, reply, times])

    def set_quota(self, nbytes):
        """Allow ``nbytes`` more bytes of uploads in total; a write beyond fails with ENOSPC, answered 552."""
        with self.lock:
            self.quota_left = int(nbytes)

    def set_tamper(self, pattern='*', times=1):
        """After receiving a file matching ``pattern``, flip its first byte (``times`` files, None: all)."""
        with self.lock:
            self.tampers.append([pattern, times])

    def clear_faults(self):
        with self.lock:
            self.store_replies = []
            self.quota_left = None
            self.tampers = []

    def _take(self, table, name):
        """The first matching entry of a fault table with times left (consumes one), else None."""
        with self.lock:
            for item in table:
                if fnmatch.fnmatch(os.path.basename(name), item[0]) and (item[-1] is None or item[-1] > 0):
                    if item[-1] is not None:
                        item[-1] -= 1
                    return item
        return None

    def _charge(self, nbytes):
        """Bytes allowed of an upload write of ``nbytes`` under the quota."""
        with self.lock:
            if self.quota_left is None:
                return nbytes
            allowed = min(nbytes, self.quota_left)
            self.quota_left -= allowed
            return allowed

    def _handler_class(self, base_handler):
        # pylint: disable=import-outside-toplevel
        from pyftpdlib.exceptions import _FileReadWriteError
        from pyftpdlib.filesystems import AbstractedFS
        from pyftpdlib.handlers import DTPHandler

        owner = self

        class QuotaFile:
            """An upload file object whose writes fail with ENOSPC beyond the server's quota."""

            def __init__(self, handle):
                self._handle = handle

            def write(self, data):
                allowed = owner._charge(len(data))
                if allowed:
                    self._handle.write(data[:allowed])
                if allowed < len(data):
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                return len(data)

            def __getattr__(self, name):
                return getattr(self._handle, name)

        class QuotaFS(AbstractedFS):
            def open(self, filename, mode):
                handle = super().open(filename, mode)
                return QuotaFile(handle) if ('w' in mode or 'a' in mode or '+' in mode) else handle

        class FaultDTP(DTPHandler):
            def handle_error(self):
                import sys  # pylint: disable=import-outside-toplevel
                exc = sys.exc_info()[1]
                cause = getattr(exc, '__cause__', None)
                if isinstance(exc, _FileReadWriteError) and getattr(cause, 'errno', None) == errno.ENOSPC:
                    self._resp = ('552 Requested file action aborted: insufficient storage space.', lambda *a: None)
                    self.close()
                    return
                super().handle_error()

        class FaultHandler(base_handler):
            abstracted_fs = QuotaFS
            dtp_handler = FaultDTP

            def ftp_STOR(self, file, mode='w'):
                fault = owner._take(owner.store_replies, file)
                if fault is not None:
                    self.respond(fault[1])
                    return None
                return super().ftp_STOR(file, mode)

            def on_file_received(self, file):
                with owner.lock:
                    owner.received.append(file)
                    owner.uploaders.append(self.remote_ip)
                if owner._take(owner.tampers, file) is not None:
                    with open(file, 'r+b') as handle:
                        first = handle.read(1)
                        if first:
                            handle.seek(0)
                            handle.write(bytes([first[0] ^ 0xFF]))

        return FaultHandler

    @property
    def url(self):
        """``ftp://user:password@host:port`` (no trailing slash)."""
        return 'ftp://%s:%s@%s:%d' % (urllib.parse.quote(self.user, safe=''), urllib.parse.quote(self.password, safe=''),
                                      _url_host(self.host), self.port)

    def start(self):
        from pyftpdlib.handlers import FTPHandler  # pylint: disable=import-outside-toplevel
        from pyftpdlib.ioloop import IOLoop  # pylint: disable=import-outside-toplevel
        from pyftpdlib.servers import FTPServer  # pylint: disable=import-outside-toplevel

        handler = type('TestFTPHandler', (self._handler_class(FTPHandler),), {
            'authorizer': self.authorizer,
            'passive_ports': self.passive_ports,
            'auth_failed_timeout': 0,
            'banner': 'fedora-build test ftp ready',
            'timeout': 60,
        })
        # An IOLoop of its own: without one, every FTPServer of the process shares IOLoop.instance(), and two
        # servers (two threads) polling the same loop mix up their sessions' replies.
        self._server = FTPServer((self.host, self.port), handler, ioloop=IOLoop())
        self.port = self._server.address[1]
        self._stopping.clear()
        self._thread = threading.Thread(target=self._serve, name='ftp-server-%d' % self.port, daemon=True)
        self._thread.start()
        return self

    def _serve(self):
        # the async loop is not thread-safe: run and close it in this thread
        while not self._stopping.is_set():
            self._server.serve_forever(timeout=0.05, blocking=False, handle_exit=False)
        self._server.close_all()

    def stop(self):
        if self._thread is not None:
            self._stopping.set()
            self._thread.join(10)
            self._thread = None
            self._server = None


# --------------------------------------------------------------------------- SMTP


def make_self_signed(directory, hostnames=('localhost',), addresses=('127.0.0.1',)):
    """Write ``cert.pem``/``key.pem`` for a self-signed server cert into ``directory``; return both paths."""
    # pylint: disable=import-outside-toplevel
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostnames[0] if hostnames else addresses[0])])
    now = datetime.datetime.now(datetime.timezone.utc)
    alt = [x509.DNSName(h) for h in hostnames] + [x509.IPAddress(ipaddress.ip_address(a)) for a in addresses]
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName(alt), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = directory / 'cert.pem', directory / 'key.pem'
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    os.chmod(key_file, 0o600)
    return cert_file, key_file


def _text(value):
    return value.decode('utf-8', 'replace') if isinstance(value, bytes) else value


def _transport_tls(server):
    transport = getattr(server, 'transport', None)
    return transport is not None and transport.get_extra_info('ssl_object') is not None


class _SinkHandler:
    def __init__(self, owner):
        self.owner = owner

    async def handle_DATA(self, server, session, envelope):  # pylint: disable=invalid-name,unused-argument
        owner = self.owner
        if owner.reject:
            return owner.reject
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode('utf-8', 'surrogateescape')
        record = {
            'mail_from': envelope.mail_from,
            'rcpt_tos': list(envelope.rcpt_tos),
            'raw': content,
            'login': _text(getattr(session, 'auth_data', None)),
            # STARTTLS sets session.ssl; over SMTPS (implicit_tls) the transport itself is TLS
            'tls': session.ssl is not None or _transport_tls(server),
            # parsed with the wire's CRLF turned into \n, so bodies compare with Python text
            'message': email.message_from_bytes(content.replace(b'\r\n', b'\n'), policy=email.policy.default),
        }
        with owner.cond:
            owner.envelopes.append(record)
            owner.cond.notify_all()
        return '250 Message accepted for delivery'


class SmtpSink(_Server):
    """aiosmtpd sink on ``host``:``port`` (0 = a free port) keeping every message.

    starttls=True offers STARTTLS with a self-signed cert (``.cert_file`` to verify it);
    implicit_tls=True speaks TLS from the first byte instead (SMTPS, what clients call "ssl"), same cert;
    users={'name': 'password'} enables AUTH LOGIN/PLAIN and requires it (over TLS when starttls).
    ``reject`` = an SMTP reply like ``'554 5.0.0 no thanks'`` makes DATA fail.
    """

    def __init__(self, host='127.0.0.1', port=0, starttls=False, users=None, cert_dir=None, implicit_tls=False):
        if starttls and implicit_tls:
            raise ValueError('SmtpSink: starttls and implicit_tls exclude each other')
        self.host = host
        self.port = port or free_port(host)
        self.starttls = starttls
        self.implicit_tls = implicit_tls
        self.users = dict(users or {})
        self.cert_dir = cert_dir
        self.cert_file = self.key_file = None
        self.envelopes = []
        self.reject = None
        self.cond = threading.Condition()
        self._controller = None

    @property
    def messages(self):
        """Received messages as ``email.message.EmailMessage`` (policy default, line ends ``\\n``).

        ``envelopes`` has per message: mail_from, rcpt_tos, raw (bytes as sent), login, tls, message.
        """
        with self.cond:
            return [e['message'] for e in self.envelopes]

    def wait_for(self, count=1, timeout=10):
        """Wait until ``count`` messages arrived; return the messages (raises TimeoutError)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.envelopes) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError('SMTP sink got %d of %d messages in %ss' % (len(self.envelopes), count, timeout))
                self.cond.wait(left)
            return [e['message'] for e in self.envelopes]

    def _authenticate(self, server, session, envelope, mechanism, auth_data):  # pylint: disable=unused-argument
        from aiosmtpd.smtp import AuthResult, LoginPassword  # pylint: disable=import-outside-toplevel

        if isinstance(auth_data, LoginPassword):
            login = auth_data.login.decode('utf-8', 'replace')
            password = auth_data.password.decode('utf-8', 'replace')
            if login in self.users and secrets.compare_digest(self.users[login], password):
                return AuthResult(success=True, auth_data=auth_data.login)
        return AuthResult(success=False, handled=False)

    def start(self):
        from aiosmtpd.controller import Controller  # pylint: disable=import-outside-toplevel

        kwargs = {}
        if self.starttls or self.implicit_tls:
            import tempfile  # pylint: disable=import-outside-toplevel
            directory = self.cert_dir or tempfile.mkdtemp(prefix='smtp-sink-cert-')
            addresses = (self.host,) if self.host not in ('', '0.0.0.0', 'localhost') else ('127.0.0.1',)
            self.cert_file, self.key_file = make_self_signed(directory, ('localhost',), addresses)
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(self.cert_file), str(self.key_file))
            if self.starttls:
                kwargs.update(tls_context=context, require_starttls=bool(self.users))
            else:
                kwargs.update(ssl_context=context)
        if self.users:
            # over SMTPS the session is TLS from the start, so AUTH needs nothing more
            kwargs.update(authenticator=self._authenticate, auth_required=True,
                          auth_require_tls=self.starttls)
        self._controller = Controller(_SinkHandler(self), hostname=self.host, port=self.port, ready_timeout=10,
                                      **kwargs)
        self._controller.start()
        return self

    def stop(self):
        if self._controller is not None:
            try:
                self._controller.stop()
            except (RuntimeError, asyncio.CancelledError):
                pass
            self._controller = None
