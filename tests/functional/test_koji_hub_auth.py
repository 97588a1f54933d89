# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The hub stand-in's HTTPS and login API, seen through the real koji.ClientSession and the real koji CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import xmlrpc.client

import koji
import pytest
import requests

KOJI_CLI = os.path.join(os.path.dirname(sys.executable), 'koji')


def _session(hub, pki, **opts):
    opts.setdefault('serverca', pki.ca_cert)
    opts.setdefault('max_retries', 1)
    opts.setdefault('retry_interval', 0.1)
    return koji.ClientSession(hub.url, opts)


def test_plain_http_stays_the_default(koji_hub):
    assert koji_hub.url.startswith('http://') and koji_hub.topurl.startswith('http://')
    session = koji.ClientSession(koji_hub.url)
    assert session.getLoggedInUser() is None


def test_https_needs_the_test_ca(koji_tls_hub, koji_pki):
    hub = koji_tls_hub
    assert hub.url.startswith('https://127.0.0.1:')
    assert _session(hub, koji_pki).getAPIVersion() == 1
    with pytest.raises(requests.exceptions.SSLError, match='CERTIFICATE_VERIFY_FAILED'):
        koji.ClientSession(hub.url, {'max_retries': 0}).getAPIVersion()
    # the client refused the hub; the hub sees the aborted handshake in its own thread, a moment later
    deadline = time.monotonic() + 10
    while not any('unknown ca' in f for f in hub.tls_failures) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert any('unknown ca' in f for f in hub.tls_failures), hub.tls_failures
    # files come over the same TLS server
    resp = requests.head(hub.topurl + '/nothing-here', verify=koji_pki.ca_cert, timeout=10)
    assert resp.status_code == 404


def test_ssl_login_headers_logout(koji_tls_hub, koji_pki):
    hub = koji_tls_hub
    session = _session(hub, koji_pki)
    assert session.getLoggedInUser() is None
    session.ssl_login(koji_pki.client('alice'), None, koji_pki.ca_cert)
    assert session.sinfo['header-auth'] is True
    assert hub.logins == [('sslLogin', 'alice', koji.AUTHTYPES['SSL'])]
    me = session.getLoggedInUser()
    assert me['name'] == 'alice' and me['authtype'] == koji.AUTHTYPES['SSL']
    assert hub.callers[-1] == ('getLoggedInUser', 'alice')
    # the session is in headers, not the URL (header-auth); a forged key is refused for the whole request
    forged = koji.ClientSession(hub.url, {'serverca': koji_pki.ca_cert},
                                sinfo=dict(session.sinfo, **{'session-key': 'x-forged'}))
    with pytest.raises(koji.AuthError, match='Invalid session or bad credentials'):
        forged.getLoggedInUser()
    forged.setSession(None)
    session.logout()
    assert hub.logouts == [(session_id(hub), 'alice')]
    assert hub.open_sessions() == []


def session_id(hub):
    return sorted(hub.auth_sessions)[-1]


def test_legacy_query_string_session(koji_tls_hub, koji_pki):
    """Old clients put session-id/session-key/callnum in the URL; the hub still accepts that."""
    hub = koji_tls_hub
    session = _session(hub, koji_pki)
    session.ssl_login(koji_pki.client('alice'), None, koji_pki.ca_cert)
    old = dict(session.sinfo)
    del old['header-auth']
    legacy = koji.ClientSession(hub.url, {'serverca': koji_pki.ca_cert}, sinfo=old)
    assert legacy.getLoggedInUser()['name'] == 'alice'
    assert legacy.getPerms() == []
    legacy.setSession(None)


def test_no_client_certificate_or_untrusted_one(koji_tls_hub, koji_pki):
    hub = koji_tls_hub
    # TLS accepted without a certificate (SSLVerifyClient optional), but sslLogin has nobody to log in
    resp = requests.post(hub.url + '/ssllogin', data=koji.xmlrpcplus.dumps((), 'sslLogin'),
                         verify=koji_pki.ca_cert, timeout=10)
    with pytest.raises(xmlrpc.client.Fault) as info:
        xmlrpc.client.loads(resp.content)
    assert info.value.faultCode == koji.AuthError.faultCode
    assert info.value.faultString == 'could not verify client: NONE'
    # a certificate from another CA never gets past the handshake
    with pytest.raises(koji.AuthError, match='unable to obtain a session'):
        _session(hub, koji_pki).ssl_login(koji_pki.rogue_client('mallory'), None, koji_pki.ca_cert)
    assert hub.logins == []
    assert any('CERTIFICATE_VERIFY_FAILED' in f for f in hub.tls_failures)
    # sslLogin sent to /kojihub (not /ssllogin) sees no SSL_CLIENT_* variables, as with koji's httpd.conf
    raw = requests.post(hub.url, data=koji.xmlrpcplus.dumps((), 'sslLogin'), verify=koji_pki.ca_cert,
                        cert=koji_pki.client('alice'), timeout=10)
    with pytest.raises(xmlrpc.client.Fault, match='could not verify client: None'):
        xmlrpc.client.loads(raw.content)


def test_unknown_user_when_login_does_not_create_users(koji_tls_hub, koji_pki):
    hub = koji_tls_hub
    hub.login_creates_user = False
    with pytest.raises(koji.AuthError, match='Unknown user: alice'):
        _session(hub, koji_pki).ssl_login(koji_pki.client('alice'), None, koji_pki.ca_cert)
    hub.add_user('alice')
    s = _session(hub, koji_pki)
    assert s.ssl_login(koji_pki.client('alice'), None, koji_pki.ca_cert)
    hub.add_user('blocked', status='BLOCKED')
    with pytest.raises(koji.AuthError, match='logins by blocked are not allowed'):
        _session(hub, koji_pki).ssl_login(koji_pki.client('blocked'), None, koji_pki.ca_cert)


def test_password_login_and_permissions(koji_tls_hub, koji_pki):
    hub = koji_tls_hub
    hub.add_user('carol', password='c4r0l-pw', perms=['tag'])
    anon = _session(hub, koji_pki)
    # a write call without login: the hub's real fault
    with pytest.raises(koji.ActionNotAllowed, match=r'tag permission required \(user not logged in\)'):
        anon.createTag('f41-side')
    with pytest.raises(koji.AuthError, match='Not logged in'):
        anon.subsession()
    with pytest.raises(koji.AuthError, match='invalid username or password'):
        _session(hub, koji_pki, user='carol', password='wrong').login()
    s = _session(hub, koji_pki, user='carol', password='c4r0l-pw')
    assert s.login()
    assert s.getLoggedInUser()['authtype'] == koji.AUTHTYPES['NORMAL']
    assert s.getPerms() == ['tag']
    assert isinstance(s.createTag('f41-side'), int)
    assert ('createTag', 'carol') in hub.callers
    sub = s.subsession()
    assert sub.getLoggedInUser()['name'] == 'carol'
    s.logout()  # closes the subsession too
    with pytest.raises(koji.AuthError, match='Invalid session'):
        sub.getLoggedInUser()
    sub.setSession(None)
    assert hub.open_sessions() == []


def test_expired_session_is_renewed_by_the_client(koji_tls_hub, koji_pki):
    hub = koji_tls_hub
    s = _session(hub, koji_pki)
    s.ssl_login(koji_pki.client('alice'), None, koji_pki.ca_cert)
    sid, key = s.sinfo['session-id'], s.sinfo['session-key']
    hub.expire_sessions()
    assert s.getLoggedInUser()['name'] == 'alice'   # AuthExpired -> ssl_login(renew=True) -> retried
    assert s.sinfo['session-id'] == sid and s.sinfo['session-key'] != key
    assert [m for m, _u, _t in hub.logins] == ['sslLogin', 'sslLogin']
    # the expired call was refused before dispatch, the retry after renewal ran as alice
    assert [c for c in hub.callers if c[0] == 'getLoggedInUser'] == [('getLoggedInUser', 'alice')]


def test_session_bound_to_client_ip(koji_tls_hub, koji_pki):
    hub = koji_tls_hub
    s = _session(hub, koji_pki)
    s.ssl_login(koji_pki.client('alice'), None, koji_pki.ca_cert)
    hub.auth_sessions[s.sinfo['session-id']]['hostip'] = '192.0.2.7'
    with pytest.raises(koji.AuthError, match='Invalid session or bad credentials'):
        s.getLoggedInUser()
    s.setSession(None)


def test_require_mode_refuses_clients_without_certificate(koji_hub_factory, koji_pki):
    hub = koji_hub_factory(tls=True, verify_client='require')
    with pytest.raises(requests.exceptions.ConnectionError):
        _session(hub, koji_pki, max_retries=0).getAPIVersion()
    s = _session(hub, koji_pki, cert=koji_pki.client('alice'))
    assert s.getAPIVersion() == 1


def _cli(conf, *args):
    proc = subprocess.run([KOJI_CLI, '-c', conf, '-p', 'standin'] + list(args), capture_output=True, text=True,
                          timeout=120, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def test_koji_cli_ssl_login_over_https(koji_tls_hub, koji_pki, tmp_path):
    """The real koji CLI: serverca from the profile, --authtype ssl --cert: moshimoshi says who we are."""
    hub = koji_tls_hub
    conf = hub.write_cli_config(str(tmp_path / 'koji.conf'), serverca=koji_pki.ca_cert)
    rc, out = _cli(conf, '--authtype', 'ssl', '--cert', koji_pki.client('alice'), 'moshimoshi')
    assert rc == 0, out
    assert ', alice!' in out
    assert 'Authenticated via client certificate %s' % koji_pki.client('alice') in out
    assert 'You are using the hub at %s (Koji 1.36.1)' % hub.url in out
    assert hub.logins == [('sslLogin', 'alice', koji.AUTHTYPES['SSL'])]
    # the CLI logs out when it is done
    assert hub.open_sessions() == []
    # without the CA the CLI fails on the certificate, never reaching the hub's API
    bad = hub.write_cli_config(str(tmp_path / 'noca.conf'))
    rc, out = _cli(bad, '--authtype', 'ssl', '--cert', koji_pki.client('alice'), 'moshimoshi')
    assert rc != 0 and 'CERTIFICATE_VERIFY_FAILED' in out
    # an untrusted client certificate: no session
    rc, out = _cli(conf, '--authtype', 'ssl', '--cert', koji_pki.rogue_client('mallory'), 'moshimoshi')
    assert rc != 0 and 'unable to obtain a session' in out
    assert len(hub.logins) == 1


def test_koji_cli_password_login(koji_tls_hub, koji_pki, tmp_path):
    hub = koji_tls_hub
    hub.add_user('carol', password='c4r0l-pw')
    conf = hub.write_cli_config(str(tmp_path / 'koji.conf'), serverca=koji_pki.ca_cert)
    rc, out = _cli(conf, '--authtype', 'password', '--user', 'carol', '--password', 'c4r0l-pw', 'moshimoshi')
    assert rc == 0, out
    assert ', carol!' in out and 'Authenticated via password' in out
    rc, out = _cli(conf, '--authtype', 'password', '--user', 'carol', '--password', 'nope', 'moshimoshi')
    assert rc != 0 and 'invalid username or password' in out


@pytest.fixture
def kerberos(koji_kdc, koji_tls_hub, monkeypatch, tmp_path):
    """The TLS hub with GSSAPI on /kojihub/ssllogin; this process and its children use the test KDC."""
    for key, value in koji_kdc.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv('KRB5CCNAME', 'FILE:%s' % (tmp_path / 'ccache'))
    koji_tls_hub.gssapi_keytab = koji_kdc.http_keytab
    return koji_kdc


def test_gssapi_login_with_a_real_kdc(kerberos, koji_tls_hub, koji_pki, monkeypatch, tmp_path):
    hub = koji_tls_hub
    principal, keytab = kerberos.user('kuser1')
    s = _session(hub, koji_pki)
    assert s.gssapi_login(principal=principal, keytab=keytab)
    me = s.getLoggedInUser()
    assert me['name'] == 'kuser1' and me['krb_principals'] == [principal]
    assert me['authtype'] == koji.AUTHTYPES['GSSAPI']
    assert hub.logins == [('sslLogin', 'kuser1', koji.AUTHTYPES['GSSAPI'])]
    s.logout()
    # the keytab login left a ticket in the credential cache: the next login needs neither principal nor keytab
    s = _session(hub, koji_pki)
    assert s.gssapi_login() and s.getLoggedInUser()['name'] == 'kuser1'
    s.logout()
    # no ticket and no keytab: the hub's 401 stands
    monkeypatch.setenv('KRB5CCNAME', 'FILE:%s' % (tmp_path / 'empty-ccache'))
    with pytest.raises(koji.GSSAPIAuthError, match='401'):
        _session(hub, koji_pki).gssapi_login()
    assert len(hub.logins) == 2


def test_koji_cli_kerberos_login(kerberos, koji_tls_hub, koji_pki, tmp_path):
    hub = koji_tls_hub
    principal, keytab = kerberos.user('kuser2')
    conf = hub.write_cli_config(str(tmp_path / 'koji.conf'), serverca=koji_pki.ca_cert)
    rc, out = _cli(conf, '--authtype', 'kerberos', '--principal', principal, '--keytab', keytab, 'moshimoshi')
    assert rc == 0, out
    assert ', kuser2!' in out and 'Authenticated via GSSAPI' in out
    assert hub.open_sessions() == []
