# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build notifications: the email (SMTP) and the webhook (JSON POST).

What the 2012 service did and users relied on: an email when a request is
submitted and one when it is done, with the log. What it got wrong, fixed here:
the subject and first line say success or failure explicitly; SMTP errors are
reported (one sentence each), never raised into the build; the body is plain
text (no HTML), with the staging location, the checksums, the reason and a
bounded log tail.

Pure functions (normalize_*, build_email, build_webhook_payload) are separate
from the senders (send_email, send_webhook), which never raise for a delivery
problem: they return an error sentence instead. Invalid input raises
FedoraBuildError naming the field.
"""

from __future__ import annotations

import json
import os
import re
import smtplib
import socket
import ssl

from email.headerregistry import Address

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils.validate import check_url
# The email's text lives in notify_text; these names stay importable from here.
from ansible_collections.ondemand.fedora_build.plugins.module_utils.notify_text import (  # noqa: F401 pylint: disable=unused-import
    ALL_CONTROL_RE as _ALL_CONTROL_RE, DEFAULT_LOG_LINES, EVENTS, MAX_LOG_LINE, OUTCOME, SUBJECT_PREFIX,
    build_email, checksum_lines, clean_line, describe, make_body, make_subject, normalize_build, one_line)

from ansible.module_utils.urls import open_url

from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit

SECURITY = ('starttls', 'ssl', 'none')
DEFAULT_PORTS = {'starttls': 587, 'ssl': 465, 'none': 25}
DEFAULT_PASSWORD_ENV = 'FEDORA_BUILD_SMTP_PASSWORD'
DEFAULT_TIMEOUT = 30
LOG_READ_BYTES = 256 * 1024
MASK = '********'

# dot-atom local part (RFC 5322 atext) and an ASCII host name; no quoted local parts, no address literals.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
LOCAL_RE = re.compile(r'^%s(\.%s)*$' % (_ATEXT, _ATEXT))
LABEL_RE = re.compile(r'^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$')
NAMED_RE = re.compile(r'^(?P<name>[^<>]*)<(?P<addr>[^<>]*)>$')


# --------------------------------------------------------------------------- text helpers


def redact(text, secrets):
    """``text`` with every non-empty secret replaced by ``********``."""
    if not isinstance(text, str):
        return text
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def url_location(url):
    """``scheme://host[:port]`` of a URL: what errors and results show (paths and queries may hold secrets)."""
    parts = urlsplit(url)
    host = parts.hostname or ''
    if ':' in host:
        host = '[%s]' % host
    try:
        port = parts.port
    except ValueError:
        port = None
    return '%s://%s%s' % (parts.scheme, host, ':%d' % port if port else '')


# --------------------------------------------------------------------------- addresses


def check_address(value, field):
    """Validate one email address (``user@example.org`` or ``Name <user@example.org>``); return an Address."""
    if not isinstance(value, str) or not value.strip():
        raise FedoraBuildError('%s: %r is not an email address.' % (field, value))
    if _ALL_CONTROL_RE.search(value):
        raise FedoraBuildError('%s: %r contains a line break or control character, which an email address may not.'
                               % (field, value))
    text = value.strip()
    name = ''
    match = NAMED_RE.match(text)
    if match:
        name = match.group('name').strip().strip('"').strip()
        text = match.group('addr').strip()
        if '"' in name or '\\' in name:
            raise FedoraBuildError('%s: %r has a quote or backslash in its display name.' % (field, value))
    if text.count('@') != 1 or '<' in text or '>' in text:
        raise FedoraBuildError('%s: %r is not an email address (expected user@domain or Name <user@domain>).' % (field, value))
    local, domain = text.split('@')
    if not local or len(local) > 64 or not LOCAL_RE.match(local):
        raise FedoraBuildError('%s: %r has an invalid part before the "@" (letters, digits and !#$%%&\'*+/=?^_`{|}~.- '
                               'are allowed, no leading, trailing or double dots).' % (field, value))
    labels = domain.split('.')
    if not domain or len(domain) > 253 or not all(LABEL_RE.match(label) for label in labels):
        raise FedoraBuildError('%s: %r has an invalid domain after the "@" (ASCII letters, digits, "-" and dots).'
                               % (field, value))
    return Address(display_name=name, addr_spec=text)


def check_addresses(values, field):
    """Validate a list of addresses; drops duplicates (by address), keeps the order."""
    if values is None:
        return []
    if not isinstance(values, (list, tuple)):
        raise FedoraBuildError('%s: must be a list of email addresses, not %s.' % (field, type(values).__name__))
    out, seen = [], set()
    for index, value in enumerate(values):
        address = check_address(value, '%s[%d]' % (field, index))
        key = address.addr_spec.lower()
        if key not in seen:
            seen.add(key)
            out.append(address)
    return out


# --------------------------------------------------------------------------- options


def _timeout(value, field):
    if value is None:
        return DEFAULT_TIMEOUT
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = 0
    if not number > 0:
        raise FedoraBuildError('%s: %r is not a positive number of seconds.' % (field, value))
    return number


def _bool(value, default, field):
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ('1', 'true', 'yes', 'on', 'y'):
        return True
    if text in ('0', 'false', 'no', 'off', 'n'):
        return False
    raise FedoraBuildError('%s: %r is not a boolean.' % (field, value))


def default_sender(username=None):
    """The sender when none is configured: the login when it is an address, else fedora-build@<this host's FQDN>."""
    for candidate in (username, 'fedora-build@%s' % socket.getfqdn()):
        if candidate and '@' in candidate:
            try:
                return str(check_address(candidate, 'smtp.sender'))
            except FedoraBuildError:
                pass
    return 'fedora-build@localhost'


def normalize_smtp(smtp, environ=None):
    """SMTP settings with defaults filled in; None when no server is configured (no host).

    Keys: host, port, security, username, password, password_source, sender (Address), timeout,
    validate_certs, ca_file. The password comes from ``password`` or, when that is empty, from the
    environment variable named by ``password_env``.
    """
    environ = os.environ if environ is None else environ
    smtp = dict(smtp or {})
    host = smtp.get('host')
    if host is None or (isinstance(host, str) and not host.strip()):
        return None
    if not isinstance(host, str) or _ALL_CONTROL_RE.search(host) or any(c.isspace() for c in host) or '/' in host:
        raise FedoraBuildError('smtp.host: %r is not a host name or address.' % (host,))
    security = smtp.get('security') or 'starttls'
    if security not in SECURITY:
        raise FedoraBuildError('smtp.security: %r is not one of %s.' % (security, ', '.join(SECURITY)))
    port = smtp.get('port')
    if port is None or port == '':
        port = DEFAULT_PORTS[security]
    try:
        port = int(port)
    except (TypeError, ValueError):
        port = 0
    if not 0 < port < 65536:
        raise FedoraBuildError('smtp.port: %r is not a TCP port (1-65535).' % (smtp.get('port'),))
    username = smtp.get('username') or None
    if username is not None and (not isinstance(username, str) or _ALL_CONTROL_RE.search(username)):
        raise FedoraBuildError('smtp.username: contains a line break or control character.')
    password_env = smtp.get('password_env') or DEFAULT_PASSWORD_ENV
    if not isinstance(password_env, str) or not re.match(r'^[A-Za-z_][A-Za-z0-9_]*$', password_env):
        raise FedoraBuildError('smtp.password_env: %r is not an environment variable name.' % (password_env,))
    password, source = smtp.get('password') or None, 'smtp.password'
    if password is None and environ.get(password_env):
        password, source = environ.get(password_env), password_env
    if password is not None and not isinstance(password, str):
        password = str(password)
    sender = smtp.get('sender')
    if sender in (None, ''):
        sender = default_sender(username)
    sender_address = check_address(sender, 'smtp.sender')
    ca_file = smtp.get('ca_file') or None
    if ca_file is not None and not os.path.isfile(ca_file):
        raise FedoraBuildError('smtp.ca_file: %s is not a readable file.' % (ca_file,))
    return {
        'host': host.strip(),
        'port': port,
        'security': security,
        'username': username,
        'password': password,
        'password_env': password_env,
        'password_source': source if password is not None else None,
        'sender': sender_address,
        'timeout': _timeout(smtp.get('timeout'), 'smtp.timeout'),
        'validate_certs': _bool(smtp.get('validate_certs'), True, 'smtp.validate_certs'),
        'ca_file': ca_file,
    }


def normalize_webhook(webhook, environ=None):
    """Webhook settings with defaults; None when no URL is configured.

    Keys: url, location (scheme://host:port, safe to show), token, timeout, validate_certs, ca_file.
    """
    environ = os.environ if environ is None else environ
    webhook = dict(webhook or {})
    url = webhook.get('url')
    if url is None or (isinstance(url, str) and not url.strip()):
        return None
    if isinstance(url, str) and _ALL_CONTROL_RE.search(url):
        raise FedoraBuildError('webhook.url: contains a line break or control character.')
    check_url(url, ('http', 'https'), 'webhook.url')
    # the token only when the caller names its source: a webhook URL alone (one a request wrote) gets none
    token_env = webhook.get('token_env') or None
    if token_env is not None and (not isinstance(token_env, str)
                                  or not re.match(r'^[A-Za-z_][A-Za-z0-9_]*$', token_env)):
        raise FedoraBuildError('webhook.token_env: %r is not an environment variable name.' % (token_env,))
    token = webhook.get('token') or (environ.get(token_env) if token_env else None) or None
    if token is not None:
        token = str(token)
        # never echo the token itself in the message
        if _ALL_CONTROL_RE.search(token) or any(c.isspace() for c in token):
            raise FedoraBuildError('webhook.token: contains whitespace or a control character, which an HTTP header '
                                   'value may not.')
    ca_file = webhook.get('ca_file') or None
    if ca_file is not None and not os.path.isfile(ca_file):
        raise FedoraBuildError('webhook.ca_file: %s is not a readable file.' % (ca_file,))
    parts = urlsplit(url)
    secrets = [token]
    if parts.password:
        secrets.append(parts.password)
    return {
        'url': url,
        'location': url_location(url),
        'token': token,
        'secrets': [s for s in secrets if s],
        'timeout': _timeout(webhook.get('timeout'), 'webhook.timeout'),
        'validate_certs': _bool(webhook.get('validate_certs'), True, 'webhook.validate_certs'),
        'ca_file': ca_file,
    }


def build_webhook_payload(event, build, subject):
    """The JSON document POSTed to the webhook."""
    data = dict(build)
    total = data.pop('log_total', None)
    if total is not None:
        data['log_lines_total'] = total
    data.pop('log_note', None)
    data.pop('log_source', None)
    return {'event': event, 'summary': subject, 'build': data}


# --------------------------------------------------------------------------- senders


def _tls_context(validate_certs, ca_file):
    context = ssl.create_default_context(cafile=ca_file)
    if not validate_certs:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _text(value):
    return value.decode('utf-8', 'replace') if isinstance(value, bytes) else value


def _smtp_reply(exc):
    code = getattr(exc, 'smtp_code', None)
    text = getattr(exc, 'smtp_error', b'')
    if isinstance(text, bytes):
        text = text.decode('utf-8', 'replace')
    return one_line('%s %s' % (code, text) if code else text, 200)


def _describe_failure(exc, smtp):
    where = '%s:%d' % (smtp['host'], smtp['port'])
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return 'the SMTP server %s rejected the login as %s (%s)' % (where, smtp['username'], _smtp_reply(exc))
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return 'the SMTP server %s does not support %s' % (where, one_line(exc, 200) or 'a required extension')
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = ', '.join('%s (%s %s)' % (addr, reply[0], one_line(_text(reply[1]), 100))
                            for addr, reply in sorted(exc.recipients.items()))
        return 'the SMTP server %s refused every recipient: %s' % (where, refused)
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return 'the SMTP server %s refused the sender %s (%s)' % (where, exc.sender, _smtp_reply(exc))
    if isinstance(exc, smtplib.SMTPDataError):
        return 'the SMTP server %s refused the message (%s)' % (where, _smtp_reply(exc))
    if isinstance(exc, smtplib.SMTPConnectError):
        return 'the SMTP server %s refused the connection (%s)' % (where, _smtp_reply(exc))
    if isinstance(exc, smtplib.SMTPServerDisconnected) and 'timed out' in str(exc):
        # smtplib turns a read timeout into a disconnect
        return 'the SMTP server %s did not answer in time (timeout)' % where
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return 'the SMTP server %s closed the connection (%s)' % (where, one_line(exc, 200) or 'no reason given')
    if isinstance(exc, smtplib.SMTPResponseException):
        return 'the SMTP server %s answered %s' % (where, _smtp_reply(exc))
    if isinstance(exc, smtplib.SMTPException):
        return 'SMTP with %s failed (%s)' % (where, one_line(exc, 200))
    return _describe_network(exc, where, 'SMTP server', smtp['security'] != 'none')


def _describe_network(exc, where, what, tls):
    if isinstance(exc, ssl.SSLCertVerificationError):
        return ('the TLS certificate of the %s %s could not be verified (%s); set ca_file to the CA that signed it'
                % (what, where, one_line(getattr(exc, 'verify_message', None) or exc.reason or exc, 200)))
    if isinstance(exc, ssl.SSLError):
        return 'TLS with the %s %s failed (%s)' % (what, where, one_line(exc.reason or exc, 200))
    if isinstance(exc, ConnectionRefusedError):
        return 'could not connect to the %s %s (connection refused)' % (what, where)
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return 'the %s %s did not answer in time (timeout)' % (what, where)
    if isinstance(exc, socket.gaierror):
        return 'could not resolve the %s host %s (%s)' % (what, where, one_line(exc.strerror or exc, 200))
    if isinstance(exc, ConnectionResetError) and tls:
        return 'the %s %s reset the connection during TLS (%s)' % (what, where, one_line(exc, 200))
    if isinstance(exc, OSError):
        return 'could not talk to the %s %s (%s)' % (what, where, one_line(exc.strerror or exc, 200))
    return 'sending to the %s %s failed (%s: %s)' % (what, where, type(exc).__name__, one_line(exc, 200))


def send_email(msg, smtp):
    """Deliver ``msg`` through ``smtp`` (from normalize_smtp).

    Returns ``(sent, error)``: ``sent`` is True when the server accepted the message for at least
    one recipient; ``error`` is one sentence or None (also set when some recipients were refused).
    Never raises for a delivery problem, and the password never appears in the error.
    """
    recipients = [a.addr_spec for a in msg['To'].addresses]
    sender = smtp['sender'].addr_spec
    label = 'Email to %s was not sent' % ', '.join(recipients)
    secrets = [smtp.get('password')]
    if smtp['username'] and not smtp['password']:
        return False, redact('%s: smtp.username is %s but there is no password (smtp.password or the environment '
                             'variable %s).' % (label, smtp['username'], smtp['password_env']), secrets)
    client = None
    try:
        context = _tls_context(smtp['validate_certs'], smtp['ca_file']) if smtp['security'] != 'none' else None
        if smtp['security'] == 'ssl':
            client = smtplib.SMTP_SSL(smtp['host'], smtp['port'], timeout=smtp['timeout'], context=context)
        else:
            client = smtplib.SMTP(smtp['host'], smtp['port'], timeout=smtp['timeout'])
        client.ehlo()
        if smtp['security'] == 'starttls':
            if not client.has_extn('starttls'):
                raise smtplib.SMTPNotSupportedError('STARTTLS (smtp.security is starttls)')
            client.starttls(context=context)
            client.ehlo()
        if smtp['username']:
            if not client.has_extn('auth'):
                raise smtplib.SMTPNotSupportedError('AUTH, but smtp.username is set')
            client.login(smtp['username'], smtp['password'])
        refused = client.send_message(msg, from_addr=sender, to_addrs=recipients)
    except Exception as exc:  # pylint: disable=broad-except
        # no QUIT after a failure: it would wait for the same broken server once more
        if client is not None:
            client.close()
        return False, redact('%s: %s.' % (label, _describe_failure(exc, smtp)), secrets)
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()  # the message was accepted already; a lost QUIT changes nothing
    if refused:
        text = ', '.join('%s (%s)' % (addr, reply[0]) for addr, reply in sorted(refused.items()))
        return True, redact('Email was not delivered to every recipient: the SMTP server %s:%d refused %s.'
                            % (smtp['host'], smtp['port'], text), secrets)
    return True, None


def send_webhook(payload, webhook):
    """POST ``payload`` as JSON to ``webhook`` (from normalize_webhook). Returns ``(sent, error)``; never raises.

    The request goes through ansible-core's ``open_url`` with redirects off (the token must not travel to
    another URL) and no ~/.netrc credentials. A 2xx answer is success; anything else (also a redirect) is an
    error sentence naming only ``scheme://host:port`` of the URL, never the token.
    """
    where = webhook['location']
    label = 'Webhook to %s was not sent' % where
    body = json.dumps(payload, sort_keys=True, default=str).encode('utf-8')
    headers = {'Content-Type': 'application/json', 'Accept': 'application/json, */*;q=0.1'}
    if webhook['token']:
        headers['Authorization'] = 'Bearer %s' % webhook['token']
    try:
        response = open_url(webhook['url'], data=body, headers=headers, method='POST', timeout=webhook['timeout'],
                            validate_certs=webhook['validate_certs'], ca_path=webhook['ca_file'],
                            follow_redirects='none', use_netrc=False, decompress=False,
                            http_agent='ondemand.fedora_build-notify/1')
        with response:
            status = response.status
            response.read(65536)
    except HTTPError as exc:
        status = exc.code
        reason = one_line(exc.reason, 100)
        exc.close()
        what = 'redirects are not followed' if 300 <= status < 400 else reason
        return False, redact('Webhook to %s failed: it answered HTTP %d (%s).' % (where, status, what),
                             webhook['secrets'])
    except URLError as exc:
        inner = exc.reason if isinstance(exc.reason, BaseException) else OSError(str(exc.reason))
        return False, redact('%s: %s.' % (label, _describe_network(inner, where, 'webhook', True)), webhook['secrets'])
    except Exception as exc:  # pylint: disable=broad-except
        return False, redact('%s: %s.' % (label, _describe_network(exc, where, 'webhook', True)), webhook['secrets'])
    if 200 <= status < 300:
        return True, None
    return False, redact('Webhook to %s failed: it answered HTTP %d.' % (where, status), webhook['secrets'])


def read_log_tail(path, log_lines, max_bytes=LOG_READ_BYTES):
    """The last ``log_lines`` lines of the file at ``path`` (reads at most ``max_bytes`` from its end).

    Returns ``(lines, total, note)``: ``total`` is the file's line count when the whole file was read,
    else None; ``note`` is a sentence when the file could not be read (the notification still goes out).
    """
    try:
        with open(path, 'rb') as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            start = max(0, size - max_bytes)
            handle.seek(start)
            data = handle.read()
    except (IOError, OSError) as exc:
        return [], None, 'log_file %s could not be read: %s' % (path, one_line(exc.strerror or exc, 200))
    lines = data.decode('utf-8', 'replace').splitlines()
    if start > 0 and lines:
        lines = lines[1:]  # the first one is cut
    total = len(lines) if start == 0 else None
    return [clean_line(line) for line in lines[-log_lines:]] if log_lines > 0 else [], total, None


# --------------------------------------------------------------------------- the whole notification


def notify(event, recipients, smtp, webhook, build, check_mode=False, log_lines=DEFAULT_LOG_LINES, environ=None,
           now=None, log_file=None):
    """Validate, build and (unless check_mode) send one notification; returns ``(result, secrets)``.

    ``log_file``: a log on this host whose tail is used when ``build`` has no ``log_tail``.
    Raises FedoraBuildError for invalid input. Delivery problems end up in ``errors``.
    """
    if event not in EVENTS:
        raise FedoraBuildError('event: %r is not one of %s.' % (event, ', '.join(EVENTS)))
    addresses = check_addresses(recipients, 'to')
    smtp_conf = normalize_smtp(smtp, environ)
    hook = normalize_webhook(webhook, environ)
    info = normalize_build(build, log_lines)
    if log_file and not info['log_tail']:
        info['log_tail'], info['log_total'], info['log_note'] = read_log_tail(log_file, log_lines)
        info['log_source'] = os.path.basename(log_file)
    secrets = [s for s in ([smtp_conf and smtp_conf.get('password')] + (hook['secrets'] if hook else [])) if s]
    subject = make_subject(event, info)
    result = {
        'changed': False,
        'event': event,
        'subject': subject,
        'recipients': [a.addr_spec for a in addresses],
        'sent': {'email': False, 'webhook': False},
        'errors': [],
        'messages': [],
    }
    if addresses:
        sender = smtp_conf['sender'] if smtp_conf else check_address('fedora-build@localhost', 'smtp.sender')
        msg = build_email(event, info, addresses, sender, now=now)
        result['messages'].append({
            'kind': 'email', 'subject': subject, 'from': str(msg['From']), 'to': result['recipients'],
            'body': redact(msg.get_content(), secrets),
            'server': '%s:%d (%s)' % (smtp_conf['host'], smtp_conf['port'], smtp_conf['security']) if smtp_conf else None,
        })
        if smtp_conf is None:
            result['errors'].append('Email to %s was not sent: no SMTP server is configured (smtp.host, the service '
                                    'variable fedora_build_smtp).' % ', '.join(result['recipients']))
        elif check_mode:
            result['changed'] = True
        else:
            sent, error = send_email(msg, smtp_conf)
            result['sent']['email'] = sent
            result['changed'] = result['changed'] or sent
            if error:
                result['errors'].append(error)
    if hook:
        payload = build_webhook_payload(event, info, subject)
        result['messages'].append({'kind': 'webhook', 'url': hook['location'], 'payload': payload})
        if check_mode:
            result['changed'] = True
        else:
            sent, error = send_webhook(payload, hook)
            result['sent']['webhook'] = sent
            result['changed'] = result['changed'] or sent
            if error:
                result['errors'].append(error)
    result['errors'] = [redact(e, secrets) for e in result['errors']]
    return result, secrets
