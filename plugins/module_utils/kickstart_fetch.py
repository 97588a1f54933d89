# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading kickstart sources: local paths and http/https/ftp URLs.

Remote reads go through ansible-core's ``open_url`` (module_utils.urls, shipped
with every module), with redirects followed here one at a time so that each
target is checked first: an allowed scheme always, and for an include the
kickstart's confinement (kickstart_confine). Every read has a timeout
and a size limit; an optional checksum (``sha256:<hex>``) is checked before
the text is used. Failures raise FedoraBuildError with one sentence naming the
source and the problem. ``Fetcher.load`` returns ``(label, text)`` where the
label is what error messages and include-loop detection use: the real path for
a local file, the URL for a remote one.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import socket

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError

from ansible.module_utils.urls import open_url

from urllib.error import HTTPError, URLError
from urllib.parse import quote, unquote, urljoin, urlsplit

REMOTE_SCHEMES = ('http', 'https', 'ftp')
DEFAULT_TIMEOUT = 30
DEFAULT_MAX_SIZE = 1024 * 1024
MAX_REDIRECTS = 10
CHECKSUM_RE = re.compile(r'^sha256:([0-9a-fA-F]{64})$')
SCHEME_RE = re.compile(r'^([A-Za-z][A-Za-z0-9+.-]*)://')


class NotFound(FedoraBuildError):
    """The source does not exist (missing file, HTTP 404, FTP 550)."""


def scheme_of(location):
    """Return the lower-case URL scheme of location, or '' for a plain path."""
    match = SCHEME_RE.match(location or '')
    return match.group(1).lower() if match else ''


def is_remote(location):
    """True when location is a URL (any scheme), as pykickstart's is_url decides."""
    return bool(scheme_of(location))


def parse_checksum(value, field='checksum'):
    """Validate 'sha256:<64 hex>' and return the lower-case hex digest (None passes through)."""
    if value is None or value == '':
        return None
    match = CHECKSUM_RE.match(str(value).strip())
    if not match:
        raise FedoraBuildError('%s: %r is not a checksum of the form sha256:<64 hex digits>.' % (field, value))
    return match.group(1).lower()


def check_location(location, field='src'):
    """Refuse anything that is neither a path nor an http/https/ftp URL with a host."""
    if not isinstance(location, str) or not location.strip():
        raise FedoraBuildError('%s: a path or an http, https or ftp URL is required.' % field)
    if any(ord(c) < 32 or ord(c) == 127 for c in location):
        raise FedoraBuildError('%s: %r contains control characters (such as a newline).' % (field, location[:60]))
    scheme = scheme_of(location) or (location.split(':', 1)[0].lower() if re.match(r'^[A-Za-z][A-Za-z0-9+.-]*:', location)
                                     else '')
    if scheme and scheme not in REMOTE_SCHEMES:
        raise FedoraBuildError('%s: URL scheme %r is not allowed for kickstart sources (use a path on the node, '
                               'or an http, https or ftp URL).' % (field, scheme))
    if scheme and not urlsplit(location).netloc:
        raise FedoraBuildError('%s: %r has no host.' % (field, location))
    return location


USERINFO_RE = re.compile(r'(?i)\b([a-z][a-z0-9+.-]*://)[^/?#@\s]*@')


def display_url(url):
    """The URL without its user information (user name and password), for messages, labels and results."""
    return USERINFO_RE.sub(r'\1', url)


def strip_userinfo(text):
    """text with the user information of every URL in it removed (a last guard on messages)."""
    return USERINFO_RE.sub(r'\1', str(text))


def url_secrets(url):
    """The secret parts of url's user information (password, also percent-decoded; user:password), for no_log."""
    if not isinstance(url, str) or not is_remote(url):
        return []
    netloc = urlsplit(url).netloc
    if '@' not in netloc:
        return []
    userinfo = netloc.rsplit('@', 1)[0]
    if ':' in userinfo:
        password = userinfo.split(':', 1)[1]
        found = [userinfo, password, unquote(password)]
    else:
        # a user name alone is a secret when it is a token (long); masking a short one would mangle every message
        found = [userinfo, unquote(userinfo)] if len(userinfo) >= 8 else []
    return [value for value in found if value]


def hide_secrets(text, url):
    """text without url's user information or any part of it that is secret."""
    text = strip_userinfo(text)
    for secret in sorted(url_secrets(url), key=len, reverse=True):
        text = text.replace(secret, '********')
    return text


def with_credentials(url, username=None, password=None):
    """url with username and password (plain text) as its user information, in place of any it has.

    The playbook passes a kickstart URL's credentials apart from the URL (the normalized request, which every
    controller task result shows, keeps the URL without them); the fetch, includes and masking then work on the
    whole URL as before.
    """
    if username is None and password is None:
        return url
    if not isinstance(url, str) or not is_remote(url):
        raise FedoraBuildError('url_username: credentials go with an http, https or ftp URL as src only.')
    parts = urlsplit(url)
    userinfo = quote(username or '', safe='') + ('' if password is None else ':' + quote(password, safe=''))
    return parts._replace(netloc='%s@%s' % (userinfo, parts.netloc.rsplit('@', 1)[-1])).geturl()


def _split_credentials(url):
    """(url without user information, (user, password) or None) for an http(s) URL."""
    parts = urlsplit(url)
    if '@' not in parts.netloc:
        return url, None
    userinfo, hostport = parts.netloc.rsplit('@', 1)
    user, _sep, password = userinfo.partition(':')
    return parts._replace(netloc=hostport).geturl(), (unquote(user), unquote(password))


class Fetcher(object):
    """Loads kickstart files with limits; one instance per module run."""

    def __init__(self, timeout=DEFAULT_TIMEOUT, max_size=DEFAULT_MAX_SIZE, validate_certs=True):
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
            raise FedoraBuildError('timeout: %r is not a positive number of seconds.' % (timeout,))
        if not isinstance(max_size, int) or isinstance(max_size, bool) or max_size <= 0:
            raise FedoraBuildError('max_size: %r is not a positive number of bytes.' % (max_size,))
        self.timeout = timeout
        self.max_size = max_size
        self.validate_certs = validate_certs
        self.locations = {}

    # -- public -----------------------------------------------------------
    def load(self, location, checksum=None, field='src', allow=None):
        """Return (label, text) for a path or URL; checks size, checksum and UTF-8.

        ``allow``: a test a redirect's target must pass (an include passes its confinement's ``allows``).
        """
        check_location(location, field)
        if is_remote(location):
            label = display_url(location)
            data = self._read_url(location, label, allow)
        else:
            label = os.path.realpath(location)
            data = self._read_file(location)
        self.locations[label] = location
        if checksum:
            actual = hashlib.sha256(data).hexdigest()
            if actual != checksum:
                raise FedoraBuildError('%s: sha256 of %s is %s, not the expected %s.' % (field, label, actual, checksum))
        try:
            text = data.decode('utf-8')
        except UnicodeDecodeError as exc:
            raise FedoraBuildError('%s: %s is not UTF-8 text (byte %d).' % (field, label, exc.start))
        return label, text

    def join(self, base, name):
        """Resolve name relative to base (a label returned by load, or a path or URL)."""
        if is_remote(name) or os.path.isabs(name):
            return name
        base = self.locations.get(base, base)
        if is_remote(base):
            return urljoin(base, name)
        return os.path.join(os.path.dirname(base), name)

    # -- local ------------------------------------------------------------
    def _read_file(self, path):
        if not os.path.exists(path):
            raise NotFound('%s: file does not exist.' % path)
        if os.path.isdir(path):
            raise FedoraBuildError('%s: is a directory, not a kickstart file.' % path)
        try:
            size = os.path.getsize(path)
            if size > self.max_size:
                raise FedoraBuildError('%s: file is %d bytes, more than the limit of %d bytes (max_size).'
                                       % (path, size, self.max_size))
            with open(path, 'rb') as handle:
                data = handle.read(self.max_size + 1)
        except (IOError, OSError) as exc:
            raise FedoraBuildError('%s: cannot be read (%s).' % (path, exc.strerror or exc))
        if len(data) > self.max_size:
            raise FedoraBuildError('%s: file is more than the limit of %d bytes (max_size).' % (path, self.max_size))
        return data

    # -- remote -----------------------------------------------------------
    def _open(self, url, label, source, credentials):
        """One request through ansible-core's open_url; a redirect comes back as an HTTPError (3xx)."""
        kwargs = {}
        if credentials:
            # basic auth only on this request: never repeated on a redirect (unredirected) nor read from ~/.netrc
            kwargs = {'url_username': credentials[0], 'url_password': credentials[1], 'force_basic_auth': True,
                      'unredirected_headers': ['Authorization']}
        try:
            return open_url(url, timeout=self.timeout, validate_certs=self.validate_certs, follow_redirects='none',
                            http_agent='ondemand.fedora_build-kickstart', use_netrc=False, decompress=False,
                            **kwargs)
        except HTTPError as exc:
            if 300 <= exc.code < 400:
                raise
            exc.close()
            if exc.code in (404, 410):
                raise NotFound('%s: not found (HTTP %d).' % (label, exc.code))
            raise FedoraBuildError('%s: download failed with HTTP %d %s.' % (label, exc.code, exc.reason))
        except URLError as exc:
            reason = exc.reason
            if isinstance(reason, (socket.timeout, TimeoutError)):
                raise FedoraBuildError('%s: no answer within %s seconds (timeout).' % (label, self.timeout))
            text = str(reason)
            if url.lower().startswith('ftp') and ('550' in text or 'No such file' in text):
                raise NotFound('%s: not found (FTP: %s).' % (label, hide_secrets(text.strip(), source)))
            raise FedoraBuildError('%s: download failed (%s).' % (label, hide_secrets(text.strip(), source)))
        except (socket.timeout, TimeoutError):
            raise FedoraBuildError('%s: no answer within %s seconds (timeout).' % (label, self.timeout))
        except (OSError, ValueError, http.client.HTTPException) as exc:
            raise FedoraBuildError('%s: download failed (%s).' % (label, hide_secrets(exc, source)))

    def _follow(self, url, label, source, allow):
        """The response for url after at most MAX_REDIRECTS redirects, each checked before it is followed.

        A redirect may lead only to an allowed scheme (http, https, ftp) and, when ``allow`` is given (an
        include: the kickstart's confinement), only to a place ``allow`` accepts. Credentials from the URL go
        with the first request only.
        """
        credentials = None
        if scheme_of(url) in ('http', 'https'):
            url, credentials = _split_credentials(url)
        for _hop in range(MAX_REDIRECTS + 1):
            try:
                return self._open(url, label, source, credentials)
            except HTTPError as exc:
                target = exc.geturl() or exc.filename or ''
                exc.close()
                shown = display_url(target)
                if scheme_of(target) not in REMOTE_SCHEMES or not urlsplit(target).netloc:
                    raise FedoraBuildError('%s: the server redirected to %s, which is not an http, https or ftp URL, '
                                           'so it was not followed.' % (label, hide_secrets(shown, source)))
                if allow is not None and not allow(target):
                    raise FedoraBuildError("%s: the server redirected to %s, outside the kickstart's own source and "
                                           "the operator's include_path, so it was not followed."
                                           % (label, hide_secrets(shown, source)))
                url, credentials = target, None
        raise FedoraBuildError('%s: more than %d redirects.' % (label, MAX_REDIRECTS))

    def _read_url(self, url, label, allow=None):
        source = url
        response = self._follow(url, label, source, allow)
        try:
            length = response.headers.get('Content-Length') if response.headers else None
            if length and length.isdigit() and int(length) > self.max_size:
                raise FedoraBuildError('%s: download is %s bytes, more than the limit of %d bytes (max_size).'
                                       % (label, length, self.max_size))
            chunks = []
            total = 0
            while True:
                block = response.read(65536)
                if not block:
                    break
                total += len(block)
                if total > self.max_size:
                    raise FedoraBuildError('%s: download is more than the limit of %d bytes (max_size).'
                                           % (label, self.max_size))
                chunks.append(block)
            # http.client does not raise when the connection closes before Content-Length bytes arrived.
            if length and length.isdigit() and total != int(length):
                raise FedoraBuildError('%s: download ended after %d of %s bytes.' % (label, total, length))
        except (socket.timeout, TimeoutError):
            raise FedoraBuildError('%s: no data within %s seconds (timeout).' % (label, self.timeout))
        except (OSError, ValueError, http.client.HTTPException) as exc:
            raise FedoraBuildError('%s: download failed (%s).' % (label, hide_secrets(exc, source)))
        finally:
            response.close()
        return b''.join(chunks)
