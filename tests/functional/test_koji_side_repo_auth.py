# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""koji_side_repo against the HTTPS hub stand-in: ca_cert, validate_certs and auth (ssl, password, kerberos)."""

from __future__ import annotations

import json
import sys

import koji
import pytest

from support.ansible_run import LOCALHOST, run_playbook
from support.koji_side import MODULE, via_ansible
from support.koji_hub import KojiHub, TLSConfig
from support.koji_pki import TestPKI

from ansible_collections.ondemand.fedora_build.plugins.module_utils import koji_client
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils.side_repo import SideRepo, build_side_repo

BUILD = 'hello-1.0-1.fc41'
PASSWORD = 'Pw-9f3c1e-not-in-logs'
LOGIN_OPTIONS = ('auth', 'username', 'password', 'client_cert', 'principal', 'keytab', 'koji_profile')


def _args(**extra):
    args = dict(builds=[BUILD], arches=['x86_64'], sigkeys=[''], retries=1)
    args.update(extra)
    return args


def _failed(run):
    res = run.result('module')
    assert run.rc != 0 and run.status('module') == 'failed', run.describe()
    assert 'Traceback' not in run.stdout + run.stderr + json.dumps(res), run.describe()
    return res['msg']


def test_ca_cert_fetches_everything_over_https(koji_tls_world, koji_pki, tmp_path):
    w = koji_tls_world
    run = via_ansible(w.hub, tmp_path, **_args(ca_cert=koji_pki.ca_cert))
    run.assert_ok()
    res = run.result('module')
    assert sorted(p['nvra'] for p in res['packages']) == ['hello-1.0-1.fc41.x86_64', 'hello-libs-1.0-1.fc41.x86_64']
    assert all(p['url'].startswith('https://127.0.0.1:%d/kojifiles/' % w.hub.port) for p in res['packages'])
    # the stand-in speaks only TLS: the downloads went through it
    assert len([r for r in w.hub.file_requests if r[0] == 'GET']) == 2
    assert 'multiCall' in w.hub.requests
    # anonymous: no login, every call made without a session
    assert w.hub.logins == [] and {u for _m, u in w.hub.callers} == {None}


def test_self_signed_hub_without_ca_cert_is_one_sentence(koji_tls_world, tmp_path):
    w = koji_tls_world
    msg = _failed(via_ansible(w.hub, tmp_path, **_args()))
    assert msg == ("ca_cert: the TLS certificate of the Koji hub at %s could not be verified with the system's CA "
                   "certificates (self-signed certificate in certificate chain); set ca_cert to the CA that signed it."
                   % w.hub.url)
    assert w.hub.method_calls() == []
    assert not (tmp_path / 'repo').exists()


def test_wrong_ca_cert_is_named(koji_tls_world, koji_pki, tmp_path):
    w = koji_tls_world
    msg = _failed(via_ansible(w.hub, tmp_path, **_args(ca_cert=koji_pki.rogue_ca_cert)))
    assert msg.startswith('ca_cert: the TLS certificate of the Koji hub at %s could not be verified with the CA '
                          'bundle %s (' % (w.hub.url, koji_pki.rogue_ca_cert))
    msg = _failed(via_ansible(w.hub, tmp_path, **_args(ca_cert=str(tmp_path / 'missing.crt'))))
    assert msg == 'ca_cert: %s does not exist or is not readable.' % (tmp_path / 'missing.crt')


def test_validate_certs_false_skips_verification(koji_tls_world, tmp_path):
    w = koji_tls_world
    run = via_ansible(w.hub, tmp_path, **_args(validate_certs=False))
    run.assert_ok()
    assert len(run.result('module')['packages']) == 2
    assert len([r for r in w.hub.file_requests if r[0] == 'GET']) == 2


def test_auth_ssl_logs_in_as_the_certificate_cn(koji_tls_world, koji_pki, tmp_path):
    w = koji_tls_world
    run = via_ansible(w.hub, tmp_path, **_args(ca_cert=koji_pki.ca_cert, auth='ssl',
                                               client_cert=koji_pki.client('alice')))
    run.assert_ok()
    assert len(run.result('module')['packages']) == 2
    assert w.hub.logins == [('sslLogin', 'alice', koji.AUTHTYPES['SSL'])]
    # every API call after the login ran in alice's session, and the module logged out at the end
    after = w.hub.callers[w.hub.callers.index(('sslLogin', None)) + 1:]
    assert ('getBuild', 'alice') in after and ('listRPMs', 'alice') in after
    assert after[-1] == ('logout', 'alice')
    assert w.hub.open_sessions() == []


def test_auth_ssl_refused_certificates(koji_tls_world, koji_pki, tmp_path):
    w = koji_tls_world
    rogue = koji_pki.rogue_client('mallory')
    msg = _failed(via_ansible(w.hub, tmp_path, **_args(ca_cert=koji_pki.ca_cert, auth='ssl', client_cert=rogue)))
    assert msg == ('client_cert: the Koji hub at %s ended the TLS handshake when given the client certificate %s; '
                   'the hub does not accept it (is it issued by the CA the hub trusts for clients, and still valid?).'
                   % (w.hub.url, rogue))
    msg = _failed(via_ansible(w.hub, tmp_path, **_args(ca_cert=koji_pki.ca_cert, auth='ssl')))
    assert msg == 'client_cert: auth is "ssl" but no client certificate was given.'
    msg = _failed(via_ansible(w.hub, tmp_path, **_args(ca_cert=koji_pki.ca_cert, auth='ssl',
                                                       client_cert=koji_pki.ca_cert)))
    assert msg == ('client_cert: %s must be one PEM file holding the client certificate and its private key '
                   '(as for koji --cert).' % koji_pki.ca_cert)
    assert w.hub.logins == []
    assert any('CERTIFICATE_VERIFY_FAILED' in f for f in w.hub.tls_failures)


def _password_play(hub, tmp_path, password):
    args = dict(_args(ca_cert=None, auth='password', username='carol', password=password), hub_url=hub.url,
                topurl=hub.topurl, dest=str(tmp_path / 'repo'), cache_dir=str(tmp_path / 'cache'), backoff=0.05,
                validate_certs=False)
    del args['ca_cert']
    play = {'name': 'password', 'hosts': 'localhost', 'gather_facts': False,
            'tasks': [{'name': 'module', MODULE: args}]}
    return run_playbook([play], LOCALHOST, verbosity=3)


def test_auth_password_logs_in_and_never_shows_the_password(koji_tls_world, tmp_path):
    w = koji_tls_world
    w.hub.add_user('carol', password=PASSWORD)
    run = _password_play(w.hub, tmp_path, PASSWORD)
    run.assert_ok()
    assert w.hub.logins == [('login', 'carol', koji.AUTHTYPES['NORMAL'])]
    assert ('getBuild', 'carol') in w.hub.callers and w.hub.open_sessions() == []
    assert PASSWORD not in run.stdout + run.stderr
    assert PASSWORD not in json.dumps(run.result('module'))
    # the login stays on the controller (action plugin): the module on the node got neither user nor password
    node_args = run.result('module')['invocation']['module_args']
    assert _login_on_node(node_args) == {} and node_args['resolved']['packages']
    wrong = PASSWORD + '-wrong'
    run = _password_play(w.hub, tmp_path, wrong)
    msg = _failed(run)
    assert msg == 'auth: logging in to the Koji hub at %s with a password failed: invalid username or password.' % w.hub.url
    assert wrong not in run.stdout + run.stderr and PASSWORD not in run.stdout + run.stderr


def test_kerberos_without_requests_gssapi_is_one_sentence(koji_tls_hub, koji_pki, monkeypatch):
    """No KDC here, so a Kerberos login cannot be proven; the missing-library path can."""
    monkeypatch.setattr(koji, 'reqgssapi', None)
    with pytest.raises(FedoraBuildError) as info:
        koji_client.make_session(hub_url=koji_tls_hub.url, topurl=koji_tls_hub.topurl, ca_cert=koji_pki.ca_cert,
                                 auth='kerberos', retries=0)
    assert info.value.msg == ('auth: kerberos login needs the requests-gssapi Python library '
                              '(python3-requests-gssapi), which is not installed on this host.')
    assert koji_tls_hub.requests == []


def test_file_server_with_an_untrusted_certificate(koji_tls_world, koji_pki, tmp_path):
    """Hub trusted via ca_cert, files on a server whose CA is another one: no retries, one sentence."""
    w = koji_tls_world
    other = TestPKI(tmp_path / 'pki2')
    files = KojiHub(str(tmp_path / 'top2'), tls=TLSConfig(other.server_cert, other.ca_cert)).start()
    try:
        session, url, top = koji_client.make_session(hub_url=w.hub.url, topurl=files.topurl, ca_cert=koji_pki.ca_cert,
                                                     retries=1, retry_interval=0.05)
        resolver = koji_client.KojiResolver(session, url, top)
        repo = SideRepo(str(tmp_path / 'repo'), str(tmp_path / 'cache'), retries=3, backoff=0.05,
                        ca_cert=koji_pki.ca_cert)
        with pytest.raises(FedoraBuildError) as info:
            build_side_repo(resolver, repo, builds=[BUILD], arches=['x86_64'], sigkeys=[''])
    finally:
        files.stop()
    assert info.value.msg.startswith('ca_cert: the TLS certificate of the file server for %s/packages/hello/'
                                     % files.topurl)
    assert info.value.msg.endswith('(self-signed certificate in certificate chain); is ca_cert the CA that signed it?')
    assert len(files.tls_failures) <= 2  # one per parallel download, not retried


@pytest.fixture
def kerberos(koji_kdc, koji_tls_world, monkeypatch, tmp_path):
    """GSSAPI on the TLS hub's /kojihub/ssllogin; ansible-playbook and the module inherit KRB5_CONFIG/KRB5CCNAME."""
    for key, value in koji_kdc.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv('KRB5CCNAME', 'FILE:%s' % (tmp_path / 'ccache'))
    koji_tls_world.hub.gssapi_keytab = koji_kdc.http_keytab
    return koji_kdc


def test_auth_kerberos_with_principal_and_keytab(kerberos, koji_tls_world, koji_pki, tmp_path):
    w = koji_tls_world
    principal, keytab = kerberos.user('builder1')
    run = via_ansible(w.hub, tmp_path, **_args(ca_cert=koji_pki.ca_cert, auth='kerberos', principal=principal,
                                               keytab=keytab))
    run.assert_ok()
    assert len(run.result('module')['packages']) == 2
    assert w.hub.logins == [('sslLogin', 'builder1', koji.AUTHTYPES['GSSAPI'])]
    assert ('getBuild', 'builder1') in w.hub.callers and w.hub.callers[-1] == ('logout', 'builder1')
    assert w.hub.open_sessions() == []


def test_auth_kerberos_with_the_awx_credentials_base64_keytab(kerberos, koji_tls_world, koji_pki, tmp_path,
                                                              monkeypatch):
    """AWX stores text only, so its credential type writes the keytab's base64 text to a file
    (FEDORA_BUILD_KOJI_KEYTAB_BASE64): the hub's keytab may name that file. The login decodes it into a private
    scratch dir on the controller and removes it after the login; text that is not a keytab is one sentence."""
    import base64  # pylint: disable=import-outside-toplevel
    w = koji_tls_world
    principal, keytab = kerberos.user('builder3')
    encoded = tmp_path / 'keytab.b64'
    encoded.write_text(base64.b64encode(open(keytab, 'rb').read()).decode() + '\n')
    scratch = tmp_path / 'tmp'
    scratch.mkdir()
    monkeypatch.setenv('TMPDIR', str(scratch))  # where the action plugin (in ansible-playbook) makes its scratch dir
    run = via_ansible(w.hub, tmp_path, **_args(ca_cert=koji_pki.ca_cert, auth='kerberos', principal=principal,
                                               keytab=str(encoded)))
    run.assert_ok()
    assert w.hub.logins == [('sslLogin', 'builder3', koji.AUTHTYPES['GSSAPI'])]
    assert not list(scratch.glob('fedora-build-keytab-*')), 'the decoded keytab outlived the login'
    encoded.write_text('not a keytab\n')
    msg = _failed(via_ansible(w.hub, tmp_path, **_args(ca_cert=koji_pki.ca_cert, auth='kerberos',
                                                       principal=principal, keytab=str(encoded))))
    assert msg == 'keytab: %s is neither a keytab nor the base64 text of one.' % encoded


def test_auth_kerberos_with_a_ticket_and_without(kerberos, koji_tls_world, koji_pki, tmp_path, monkeypatch):
    w = koji_tls_world
    principal, keytab = kerberos.user('builder2')
    kerberos.kinit(principal, keytab)  # into this test's KRB5CCNAME, as `kinit` on a build node
    run = via_ansible(w.hub, tmp_path, **_args(ca_cert=koji_pki.ca_cert, auth='kerberos'))
    run.assert_ok()
    assert w.hub.logins == [('sslLogin', 'builder2', koji.AUTHTYPES['GSSAPI'])]
    monkeypatch.setenv('KRB5CCNAME', 'FILE:%s' % (tmp_path / 'no-ticket'))
    msg = _failed(via_ansible(w.hub, tmp_path, **_args(ca_cert=koji_pki.ca_cert, auth='kerberos')))
    assert msg == ('auth: the Koji hub at %s did not accept a Kerberos login (HTTP 401): no valid ticket for the hub '
                   '(check klist, or give principal and keytab).' % w.hub.url)
    msg = _failed(via_ansible(w.hub, tmp_path, **_args(ca_cert=koji_pki.ca_cert, auth='kerberos', principal=principal,
                                                       keytab=str(tmp_path / 'nope.keytab'))))
    assert msg == 'keytab: %s does not exist or is not readable.' % (tmp_path / 'nope.keytab')
    assert len(w.hub.logins) == 1


def _login_on_node(node_args):
    """The login options the module on the node was given (the invocation lists defaults: auth none)."""
    return dict((key, node_args.get(key)) for key in LOGIN_OPTIONS if node_args.get(key) not in (None, 'none'))


def _node_without_koji(tmp_path):
    """Inventory of a build node 'node' whose Python cannot import koji (a wrapper interpreter with a koji
    package that refuses to load): a module there that contacts the hub, or logs in, fails."""
    blocker = tmp_path / 'no-koji' / 'koji'
    blocker.mkdir(parents=True, exist_ok=True)
    (blocker / '__init__.py').write_text("raise ImportError('koji is not on this build node')\n")
    python = tmp_path / 'node-python'
    python.write_text('#!/bin/sh\nPYTHONPATH=%s exec %s "$@"\n' % (blocker.parent, sys.executable))
    python.chmod(0o755)
    return {'all': {'hosts': {'node': {'ansible_connection': 'local', 'ansible_python_interpreter': str(python)}}}}


@pytest.mark.parametrize('auth', ['password', 'ssl'])
def test_a_login_stays_on_the_controller(koji_tls_world, koji_pki, tmp_path, auth):
    """The action plugin logs in and resolves on the controller; the node gets the resolved packages and
    no login (no user, password, certificate or keytab path, not even auth), makes no hub call (its Python has
    no koji), and builds and verifies the side repo from the anonymous file server."""
    w = koji_tls_world
    w.hub.add_user('carol', password=PASSWORD)
    cert = koji_pki.client('alice')
    login = dict(auth='password', username='carol', password=PASSWORD) if auth == 'password' else \
        dict(auth='ssl', client_cert=cert)
    args = dict(_args(**login), hub_url=w.hub.url, topurl=w.hub.topurl, ca_cert=koji_pki.ca_cert,
                dest=str(tmp_path / 'repo'), cache_dir=str(tmp_path / 'cache'), backoff=0.05, sigkeys=[w.key1.sigkey, ''])
    play = {'name': 'login', 'hosts': 'node', 'gather_facts': False,
            'tasks': [{'name': 'module', MODULE: args, 'register': 'side'},
                      {'name': 'check mode', MODULE: args, 'check_mode': True}]}
    run = run_playbook([play], _node_without_koji(tmp_path), verbosity=3)
    run.assert_ok()
    res = run.result('module')
    assert sorted(p['nvra'] for p in res['packages']) == ['hello-1.0-1.fc41.x86_64', 'hello-libs-1.0-1.fc41.x86_64']
    assert {p['sigkey'] for p in res['packages']} == {w.key1.sigkey}
    assert (tmp_path / 'repo' / 'repodata' / 'repomd.xml').is_file()
    assert sorted(p.name for p in (tmp_path / 'repo' / 'Packages').iterdir()) == [
        'hello-1.0-1.fc41.x86_64.rpm', 'hello-libs-1.0-1.fc41.x86_64.rpm']
    user = 'carol' if auth == 'password' else 'alice'
    assert [u for _m, u, _t in w.hub.logins] == [user, user]  # the run and the check-mode run
    assert w.hub.open_sessions() == []
    for task in ('module', 'check mode'):
        node_args = run.result(task)['invocation']['module_args']
        assert _login_on_node(node_args) == {} and node_args['auth'] == 'none'
        # the controller's CA bundle: its text (no secret) for the downloads over https, not its path
        assert node_args['ca_cert'] is None and 'BEGIN CERTIFICATE' in node_args['resolved']['ca_pem']
        assert node_args['resolved']['hub_url'] == w.hub.url
    check = run.result('check mode')
    assert check['changed'] is False and check['would_download'] == []
    shown = run.stdout + run.stderr + json.dumps([r.result for r in run.results])
    assert PASSWORD not in shown and cert not in shown
    with open(cert) as handle:
        assert 'PRIVATE KEY' not in shown and handle.read().split('-----')[2].strip()[:40] not in shown


def test_anonymous_reads_send_no_login_to_the_node(koji_tls_world, koji_pki, tmp_path):
    """auth none resolves on the node (no secret is needed); a username and password set anyway (an operator's
    hub entry with auth switched off) are dropped by the action plugin, not sent along unused."""
    w = koji_tls_world
    args = dict(_args(auth='none', username='carol', password=PASSWORD), hub_url=w.hub.url, topurl=w.hub.topurl,
                ca_cert=koji_pki.ca_cert, dest=str(tmp_path / 'repo'), cache_dir=str(tmp_path / 'cache'), backoff=0.05)
    play = {'name': 'anonymous', 'hosts': 'localhost', 'gather_facts': False,
            'tasks': [{'name': 'module', MODULE: args, 'no_log': False}]}
    run = run_playbook([play], LOCALHOST, verbosity=3)
    run.assert_ok()
    node_args = run.result('module')['invocation']['module_args']
    assert _login_on_node(node_args) == {} and node_args['resolved'] is None, node_args
    assert w.hub.logins == [] and PASSWORD not in run.stdout + run.stderr


def test_a_login_fails_on_the_controller_in_one_sentence(koji_tls_world, koji_pki, tmp_path):
    """Resolution errors from the controller are the module's sentences; the node is not asked."""
    w = koji_tls_world
    w.hub.add_user('carol', password=PASSWORD)
    args = dict(_args(auth='password', username='carol', password=PASSWORD + '-wrong'), hub_url=w.hub.url,
                topurl=w.hub.topurl, ca_cert=koji_pki.ca_cert, dest=str(tmp_path / 'repo'),
                cache_dir=str(tmp_path / 'cache'))
    play = {'name': 'login', 'hosts': 'node', 'gather_facts': False, 'tasks': [{'name': 'module', MODULE: args}]}
    run = run_playbook([play], _node_without_koji(tmp_path), verbosity=3)
    assert _failed(run) == ('auth: logging in to the Koji hub at %s with a password failed: invalid username or '
                            'password.' % w.hub.url)
    assert PASSWORD not in run.stdout + run.stderr
    args.update(password=PASSWORD, builds=['nope-1-1.fc41'])
    run = run_playbook([play], _node_without_koji(tmp_path), verbosity=3)
    assert _failed(run) == 'builds: build %r does not exist on the Koji hub at %s.' % ('nope-1-1.fc41', w.hub.url)
    assert not (tmp_path / 'repo').exists()
