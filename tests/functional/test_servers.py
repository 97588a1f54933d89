# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The loopback test servers, exercised with the standard library's real clients."""

from __future__ import annotations

import ftplib
import http.client
import io
import os
import smtplib
import socket
import ssl
import time
import urllib.error
import urllib.request
from email.message import EmailMessage

import pytest

from support.servers import FileServer, FtpServer, SmtpSink, free_port


@pytest.fixture
def www(tmp_path):
    root = tmp_path / 'www'
    (root / 'packages').mkdir(parents=True)
    (root / 'packages' / 'a b.rpm').write_bytes(b'A' * 5000)
    (root / 'index.txt').write_text('hello\n')
    return root


def _get(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as resp:  # nosec - loopback test server
        return resp.status, resp.read()


# ---------------------------------------------------------------- HTTP


def test_file_server_serves_files_and_404(file_server, www):
    srv = file_server(www)
    assert srv.url.startswith('http://127.0.0.1:') and not srv.url.endswith('/')
    assert _get(srv.url + '/index.txt') == (200, b'hello\n')
    assert _get(srv.url_for('packages/a b.rpm')) == (200, b'A' * 5000)
    with pytest.raises(urllib.error.HTTPError) as err:
        _get(srv.url + '/missing.rpm')
    assert err.value.code == 404
    assert [(m, p) for m, p, _h in srv.requests] == [
        ('GET', '/index.txt'), ('GET', '/packages/a b.rpm'), ('GET', '/missing.rpm')]


def test_file_server_injected_errors_then_recovers(file_server, www):
    srv = file_server(www)
    srv.set_error('/index.txt', 503, times=2)
    for _attempt in range(2):
        with pytest.raises(urllib.error.HTTPError) as err:
            _get(srv.url + '/index.txt')
        assert err.value.code == 503
    assert _get(srv.url + '/index.txt') == (200, b'hello\n')
    srv.set_error('*', 500)
    for path in ('/index.txt', '/packages/a%20b.rpm'):
        with pytest.raises(urllib.error.HTTPError) as err:
            _get(srv.url + path)
        assert err.value.code == 500
    srv.clear_faults()
    assert _get(srv.url + '/index.txt')[0] == 200


def test_file_server_delay(file_server, www):
    srv = file_server(www)
    srv.set_delay('/index.txt', 1.0)
    start = time.monotonic()
    assert _get(srv.url + '/index.txt')[0] == 200
    assert time.monotonic() - start >= 1.0
    with pytest.raises((socket.timeout, urllib.error.URLError, TimeoutError)):
        _get(srv.url + '/index.txt', timeout=0.3)
    # the delay applies to its own path only: another path answers within a timeout the delayed one misses
    assert _get(srv.url_for('packages/a b.rpm'), timeout=30)[0] == 200
    srv.set_delay('/index.txt', 60)
    with pytest.raises((socket.timeout, urllib.error.URLError, TimeoutError)):
        _get(srv.url + '/index.txt', timeout=5)


def test_file_server_truncation(file_server, www):
    srv = file_server(www)
    srv.set_truncate('/packages/a b.rpm', 1000)
    with urllib.request.urlopen(srv.url_for('packages/a b.rpm'), timeout=10) as resp:  # nosec
        assert resp.headers['Content-Length'] == '5000'
        with pytest.raises(http.client.IncompleteRead) as err:
            resp.read()
    assert len(err.value.partial) == 1000


def test_file_server_other_bind_address(www):
    with FileServer(www, host='127.0.0.2') as srv:
        assert srv.url.startswith('http://127.0.0.2:')
        assert _get(srv.url + '/index.txt') == (200, b'hello\n')
    with pytest.raises(OSError):
        _get(srv.url + '/index.txt', timeout=2)


# ---------------------------------------------------------------- FTP


def test_ftp_upload_list_size_download(ftp_server, tmp_path):
    root = tmp_path / 'ftp'
    root.mkdir()
    srv = ftp_server(root, user='stage', password='s3cret')
    assert (srv.user, srv.password) == ('stage', 's3cret')
    assert srv.url == 'ftp://stage:s3cret@127.0.0.1:%d' % srv.port
    payload = os.urandom(1024 * 1024)
    with ftplib.FTP() as ftp:
        ftp.connect(srv.host, srv.port, timeout=10)
        ftp.login(srv.user, srv.password)
        ftp.mkd('images')
        ftp.storbinary('STOR images/x.iso', io.BytesIO(payload))
        assert ftp.nlst('images') == ['x.iso']
        ftp.voidcmd('TYPE I')
        assert ftp.size('images/x.iso') == len(payload)
        host, port = ftp.makepasv()
        assert host == srv.host and port in srv.passive_ports
        chunks = []
        ftp.retrbinary('RETR images/x.iso', chunks.append)
    assert b''.join(chunks) == payload
    assert (root / 'images' / 'x.iso').read_bytes() == payload


def test_ftp_bad_login_fails_fast(ftp_server, tmp_path):
    srv = ftp_server(tmp_path)
    assert len(srv.password) >= 16, 'a random password by default'
    with ftplib.FTP() as ftp:
        ftp.connect(srv.host, srv.port, timeout=10)
        with pytest.raises(ftplib.error_perm, match='^530'):
            ftp.login(srv.user, 'wrong')
    # no pause after a failed login (pyftpdlib's default is 3 s): the server's own setting, not a stopwatch
    assert srv._server.handler.auth_failed_timeout == 0  # pylint: disable=protected-access


def test_ftp_read_only_user_cannot_write(tmp_path):
    (tmp_path / 'existing.txt').write_text('x')
    with FtpServer(tmp_path, writable=False) as srv, ftplib.FTP() as ftp:
        ftp.connect(srv.host, srv.port, timeout=10)
        ftp.login(srv.user, srv.password)
        assert ftp.nlst() == ['existing.txt']
        with pytest.raises(ftplib.error_perm, match='^550'):
            ftp.storbinary('STOR new.txt', io.BytesIO(b'data'))
        with pytest.raises(ftplib.error_perm, match='^550'):
            ftp.mkd('dir')
    assert sorted(p.name for p in tmp_path.iterdir()) == ['existing.txt']


# ---------------------------------------------------------------- SMTP


def _message(subject='Build ready: Fedora-41 x86_64 ✓'):
    msg = EmailMessage()
    msg['From'] = 'builder@example.test'
    msg['To'] = 'releng@example.test'
    msg['Subject'] = subject
    msg.set_content('Image staged.\n')
    return msg


def test_smtp_sink_keeps_parsed_messages(smtp_sink):
    with smtplib.SMTP(smtp_sink.host, smtp_sink.port, timeout=10) as client:
        client.send_message(_message(), to_addrs=['releng@example.test', 'ops@example.test'])
    msgs = smtp_sink.wait_for(1)
    assert msgs[0]['Subject'] == 'Build ready: Fedora-41 x86_64 ✓'
    assert msgs[0].get_content() == 'Image staged.\n'
    env = smtp_sink.envelopes[0]
    assert env['raw'].endswith(b'Image staged.\r\n')
    assert env['mail_from'] == 'builder@example.test'
    assert env['rcpt_tos'] == ['releng@example.test', 'ops@example.test']
    assert env['tls'] is False and env['login'] is None


def test_smtp_sink_reject_and_wait_timeout(smtp_sink):
    smtp_sink.reject = '554 5.0.0 rejected by test'
    with smtplib.SMTP(smtp_sink.host, smtp_sink.port, timeout=10) as client:
        with pytest.raises(smtplib.SMTPDataError) as err:
            client.send_message(_message())
    assert err.value.smtp_code == 554
    with pytest.raises(TimeoutError):
        smtp_sink.wait_for(1, timeout=0.2)
    assert smtp_sink.messages == []


def test_smtp_sink_starttls_and_auth(smtp_sink_factory):
    sink = smtp_sink_factory(starttls=True, users={'notify': 'pw1'})
    context = ssl.create_default_context(cafile=str(sink.cert_file))
    with smtplib.SMTP(sink.host, sink.port, timeout=10) as client:
        client.ehlo()
        assert client.has_extn('starttls')
        with pytest.raises(smtplib.SMTPException):
            client.send_message(_message())  # neither TLS nor AUTH yet
    with smtplib.SMTP(sink.host, sink.port, timeout=10) as client:
        client.starttls(context=context)
        with pytest.raises(smtplib.SMTPAuthenticationError):
            client.login('notify', 'wrong')
    with smtplib.SMTP(sink.host, sink.port, timeout=10) as client:
        client.starttls(context=context)
        client.login('notify', 'pw1')
        client.send_message(_message('over tls'))
    sink.wait_for(1)
    assert sink.envelopes[0]['tls'] is True
    assert sink.envelopes[0]['login'] == 'notify'
    assert sink.messages[0]['Subject'] == 'over tls'


def test_smtp_sink_explicit_port_and_stop():
    port = free_port()
    with SmtpSink(port=port) as sink, smtplib.SMTP('127.0.0.1', port, timeout=10) as client:
        assert sink.port == port
        client.noop()
    with pytest.raises(OSError):
        smtplib.SMTP('127.0.0.1', port, timeout=2)
