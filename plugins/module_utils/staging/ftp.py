# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The FTP staging target: STOR to temporary names, read back (RETR) and hash, rename."""

from __future__ import annotations

import ftplib
import hashlib
import os
import secrets
import socket
import ssl
import tempfile

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils.staging.common import (
    BLOCK, CHECKSUM_NAME, Target, TargetState, check_host, check_port, host_for_url, mismatch, tmp_name)


class FtpTarget(Target):
    """A directory on an FTP server, uploaded to (STOR) from where the module runs (the build role: the controller,
    relaying the node's files), then read back."""

    kind = 'ftp'
    REQUIRED = ('host',)

    def __init__(self, spec, source, connect_timeout, timeout):
        self.host = check_host(spec.get('host'), 'target.host')
        self.port = check_port(spec.get('port') or 21, 'target.port')
        self.user = spec.get('user') or 'anonymous'
        if any(c in self.user for c in '\r\n\0') or not self.user:
            raise FedoraBuildError('target.user: is not a valid FTP user name.')
        path = spec.get('path') or '/'
        if not isinstance(path, str) or any(c in path for c in '\r\n\0') or '..' in path.split('/'):
            raise FedoraBuildError('target.path: %r is not a plain FTP path.' % (path,))
        self.path = '/' + path.strip('/') if path.strip('/') else '/'
        password = spec.get('password')
        env_name = spec.get('password_env')
        if password is None and env_name:
            password = os.environ.get(env_name)
            if password is None:
                raise FedoraBuildError('target.password_env: the environment variable %s is not set on %s.'
                                       % (env_name, socket.gethostname()))
        self.password = password if password is not None else ('' if self.user != 'anonymous' else 'anonymous@')
        self.tls = bool(spec.get('tls'))
        self.ca_cert = spec.get('ca_cert')
        self.validate_certs = spec.get('validate_certs', True)
        port = '' if self.port == 21 else ':%d' % self.port
        self.url_base = '%s://%s@%s%s%s' % ('ftps' if self.tls else 'ftp', self.user, host_for_url(self.host), port,
                                            self.path.rstrip('/'))
        self.describe = 'FTP target %s' % self.url_base
        self.connect_timeout = connect_timeout
        self.timeout = timeout
        self.source = source
        self.ftp = None

    # -- connection
    def _error(self, exc, action):
        text = str(exc).strip()
        if text.startswith('552') or 'No space left' in text or 'storage' in text.lower():
            return FedoraBuildError('%s: %s: the server is out of space (%s).' % (self.describe, action, text))
        if isinstance(exc, ftplib.error_perm) and text[:3] in ('550', '553', '532', '450'):
            return FedoraBuildError('%s: %s: the server refused (%s).' % (self.describe, action, text))
        if isinstance(exc, (socket.timeout,)):
            return FedoraBuildError('%s: %s: timed out.' % (self.describe, action))
        if isinstance(exc, OSError) and not isinstance(exc, ftplib.Error):
            return FedoraBuildError('%s: %s: %s.' % (self.describe, action, exc.strerror or exc))
        return FedoraBuildError('%s: %s: %s.' % (self.describe, action, text))

    def _reason(self, exc):
        """When the data connection broke, the server's reply on the control connection says why (e.g. 552)."""
        if isinstance(exc, ftplib.Error) or self.ftp is None:
            return exc
        try:
            self.ftp.getresp()
        except ftplib.Error as reply:
            return reply
        except (OSError, EOFError):
            pass
        return exc

    def connect(self):
        if self.ftp is not None:
            return self.ftp
        try:
            if self.tls:
                context = ssl.create_default_context(cafile=self.ca_cert)
                if not self.validate_certs:
                    context.check_hostname = False
                    context.verify_mode = ssl.CERT_NONE
                ftp = ftplib.FTP_TLS(context=context, timeout=self.connect_timeout)
            else:
                ftp = ftplib.FTP(timeout=self.connect_timeout)
            ftp.connect(self.host, self.port, timeout=self.connect_timeout)
        except (OSError, ftplib.Error) as exc:
            raise FedoraBuildError('%s: cannot connect: %s.' % (self.describe, getattr(exc, 'strerror', None) or exc))
        try:
            ftp.login(self.user, self.password)
        except ftplib.error_perm as exc:
            ftp.close()
            raise FedoraBuildError('%s: login refused (%s).' % (self.describe, str(exc).strip()))
        except (OSError, ftplib.Error) as exc:
            ftp.close()
            raise self._error(exc, 'login failed')
        try:
            if self.tls:
                ftp.prot_p()
            ftp.voidcmd('TYPE I')
            if ftp.sock is not None:
                ftp.sock.settimeout(self.timeout)
        except (OSError, ftplib.Error) as exc:
            ftp.close()
            raise self._error(exc, 'session setup failed')
        self.ftp = ftp
        return ftp

    def _abs(self, *parts):
        base = self.path.rstrip('/')
        return base + '/' + '/'.join(parts)

    def _size(self, path):
        try:
            return self.connect().size(path)
        except ftplib.error_perm:
            return None
        except (OSError, ftplib.Error) as exc:
            raise self._error(exc, 'cannot query %s' % path)

    def _retr(self, path, callback):
        try:
            self.connect().retrbinary('RETR ' + path, callback, blocksize=BLOCK)
            return True
        except ftplib.error_perm:
            return False
        except (OSError, ftplib.Error) as exc:
            raise self._error(exc, 'cannot read %s' % path)

    def _read_small(self, path):
        chunks = []
        if not self._retr(path, chunks.append):
            return None
        return b''.join(chunks)

    def _mkdirs(self, path):
        ftp = self.connect()
        current = ''
        for part in [p for p in path.split('/') if p]:
            current += '/' + part
            try:
                ftp.cwd(current)
                continue
            except ftplib.error_perm:
                pass
            try:
                ftp.mkd(current)
            except (OSError, ftplib.Error) as exc:
                raise self._error(exc, 'cannot create directory %s' % current)
        ftp.cwd('/')

    # -- target interface
    def inspect(self, build_id, latest, entries=()):
        self.connect()
        state = TargetState()
        checksum = self._read_small(self._abs(build_id, CHECKSUM_NAME))
        if checksum is not None:
            state.final_checksum = checksum
            state.final_sizes[CHECKSUM_NAME] = len(checksum)
            for entry in entries:
                size = self._size(self._abs(build_id, entry.relpath))
                if size is not None:
                    state.final_sizes[entry.relpath] = size
        # A file left in the partial directory by an interrupted run counts only when its bytes are the ones
        # CHECKSUM lists: read back and hashed like a fresh upload (reading is at least as fast as storing
        # again and checks what the server holds); a size alone proves nothing. A mismatch is stored again.
        for entry in entries:
            path = self._abs('.%s.partial' % build_id, entry.relpath)
            size = self._size(path)
            if size is None:
                continue
            if size == entry.size:
                state.partial[entry.relpath] = self.hash_remote(path)
            else:
                state.partial[entry.relpath] = (size, None)
        if latest:
            value = self._read_small(self._abs(latest))
            state.latest = value.decode('utf-8', 'replace').strip() if value is not None else None
        return state

    def hash_final(self, build_id, rel):
        digest, count = hashlib.sha256(), [0]

        def take(block):
            digest.update(block)
            count[0] += len(block)
        if not self._retr(self._abs(build_id, rel), take):
            return -1, ''
        return count[0], digest.hexdigest()

    def prepare(self, build_id):
        self.partial = self._abs('.%s.partial' % build_id)
        self._mkdirs(self.partial)

    def put(self, entry, data=None):
        ftp = self.connect()
        dest = self.partial + '/' + entry.relpath
        tmp = self.partial + '/' + tmp_name(entry.relpath)
        if '/' in entry.relpath:
            self._mkdirs(dest.rsplit('/', 1)[0])
        if data is not None:
            reader = tempfile.TemporaryFile()
            reader.write(data)
            reader.seek(0)
        else:
            reader = self.source.open_file(entry.relpath)   # the file, or the node's stream (relayed)
        cleanup = True
        try:
            try:
                ftp.storbinary('STOR ' + tmp, reader, blocksize=BLOCK)
            except (OSError, ftplib.Error) as exc:
                source_failure = reader.close()
                raise source_failure or self._error(self._reason(exc), 'cannot store %s' % entry.relpath)
            source_failure = reader.close()
            if source_failure is not None:
                raise source_failure   # the node's stream broke: what was stored is short
            if self.verify:
                size, digest = self.hash_remote(tmp)
            else:
                size, digest = self._size(tmp), entry.sha256
            if size != entry.size or digest != entry.sha256:
                raise mismatch(self.describe, entry, size, digest)
            try:
                ftp.rename(tmp, dest)
            except (OSError, ftplib.Error) as exc:
                raise self._error(exc, 'cannot rename %s into place' % entry.relpath)
            cleanup = False
        finally:
            if cleanup:
                self._delete_quietly(tmp)
        return entry.size

    def hash_remote(self, path):
        """Read the stored file back and hash it as the blocks arrive (never held in memory)."""
        digest, count = hashlib.sha256(), [0]

        def take(block):
            digest.update(block)
            count[0] += len(block)
        if not self._retr(path, take):
            raise FedoraBuildError('%s: the server does not return %s after storing it.' % (self.describe, path))
        return count[0], digest.hexdigest()

    def _delete_quietly(self, path):
        try:
            if self.ftp is not None:
                self.ftp.delete(path)
        except (OSError, ftplib.Error):
            pass

    def _rmtree(self, path):
        ftp = self.connect()
        try:
            items = list(ftp.mlsd(path, facts=['type']))
        except (OSError, ftplib.Error):
            items = []
        for name, facts in items:
            if name in ('.', '..'):
                continue
            if facts.get('type') == 'dir':
                self._rmtree(path + '/' + name)
            elif facts.get('type') == 'file':
                self._delete_quietly(path + '/' + name)
        try:
            ftp.rmd(path)
        except (OSError, ftplib.Error):
            pass

    def commit(self, build_id, replace):
        ftp = self.connect()
        final = self._abs(build_id)
        old = None
        try:
            if replace and self._is_dir(final):
                old = self._abs('.%s.old.%s' % (build_id, secrets.token_hex(4)))
                ftp.rename(final, old)
            ftp.rename(self.partial, final)
        except (OSError, ftplib.Error) as exc:
            raise self._error(exc, 'cannot rename .%s.partial to %s' % (build_id, build_id))
        if old:
            self._rmtree(old)

    def _is_dir(self, path):
        ftp = self.connect()
        try:
            ftp.cwd(path)
        except ftplib.error_perm:
            return False
        except (OSError, ftplib.Error) as exc:
            raise self._error(exc, 'cannot look at %s' % path)
        ftp.cwd('/')
        return True

    def set_latest(self, name, build_id):
        ftp = self.connect()
        final = self._abs(name)
        tmp = self._abs('.%s.%s.tmp' % (name, secrets.token_hex(4)))
        reader = tempfile.TemporaryFile()
        reader.write((build_id + '\n').encode('utf-8'))
        reader.seek(0)
        try:
            ftp.storbinary('STOR ' + tmp, reader)
        except (OSError, ftplib.Error) as exc:
            raise self._error(exc, 'cannot store the pointer %s' % name)
        finally:
            reader.close()
        try:
            ftp.rename(tmp, final)
        except ftplib.error_perm:
            # servers that do not rename over an existing file: delete, then rename (a short gap, never a half file)
            try:
                ftp.delete(final)
                ftp.rename(tmp, final)
            except (OSError, ftplib.Error) as exc:
                self._delete_quietly(tmp)
                raise self._error(exc, 'cannot replace the pointer %s' % name)
        except (OSError, ftplib.Error) as exc:
            self._delete_quietly(tmp)
            raise self._error(exc, 'cannot replace the pointer %s' % name)

    def clear_latest(self, name):
        ftp = self.connect()
        try:
            ftp.delete(self._abs(name))
        except ftplib.error_perm as exc:
            if str(exc)[:3] != '550' or self._read_small(self._abs(name)) is not None:
                raise self._error(exc, 'cannot remove the pointer %s' % name)
        except (OSError, ftplib.Error) as exc:
            raise self._error(exc, 'cannot remove the pointer %s' % name)

    def close(self):
        if self.ftp is not None:
            try:
                self.ftp.quit()
            except (OSError, ftplib.Error, EOFError):
                self.ftp.close()
            self.ftp = None
