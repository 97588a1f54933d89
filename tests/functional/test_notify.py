# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ondemand.fedora_build.notify through ansible-playbook, against the aiosmtpd sink and a real HTTP receiver.

What the role relies on: the email arrives with the outcome in the subject, the checksums and the
log tail in the body; a delivery failure (server down, TLS, login, 5xx) leaves the task ok with a
warning; the SMTP password and the webhook token never show up in the output, even with -vvv.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import socket
import ssl
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from support.ansible_run import run_module, run_playbook
from support.servers import free_port, make_self_signed

from ansible_collections.ondemand.fedora_build.plugins.module_utils import notify as notify_mod

MODULE = 'ondemand.fedora_build.notify'
SHA_ISO = '5f' * 32
SHA_LOG = '0a' * 32


def build_record(**over):
    data = {
        'request_id': 'rq-0123456789ab',
        'build_id': 'live-41-x86_64-abc123abc123',
        'name': 'kde-test-day',
        'image_type': 'live',
        'release': '41',
        'arch': 'x86_64',
        'node': 'build-x86-01',
        'state': 'failed',
        'phase': 'build',
        'reason': 'livemedia-creator exited 1: anaconda could not find package kde-settings',
        'submitted': '2026-11-26T10:00:00Z',
        'finished': '2026-11-26T10:41:00Z',
        'duration': 2460,
        'staging': ['file:///srv/staging/live-41-x86_64-abc123abc123'],
        'artifacts': [{'name': 'logs/build.log', 'size': 81234, 'sha256': SHA_LOG},
                      {'name': 'Fedora-KDE-Live-41.iso', 'size': 2254857830, 'sha256': SHA_ISO}],
        'log_tail': ['2026-11-26 10:40:%02d lmc: step %d' % (i % 60, i) for i in range(120)],
        'history': [{'time': '2026-11-26T10:00:00Z', 'state': 'queued', 'phase': 'queued'}],
    }
    data.update(over)
    return data


class _Receiver(BaseHTTPRequestHandler):
    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass

    def do_POST(self):  # pylint: disable=invalid-name
        owner = self.server.owner
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length)
        with owner.lock:
            owner.posts.append({'path': self.path, 'headers': dict(self.headers.items()), 'body': body})
        status = owner.status
        payload = b'{"ok": true}' if status < 300 else b'receiver says no'
        self.send_response(status)
        if 300 <= status < 400:
            self.send_header('Location', owner.location)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class WebhookReceiver:
    """A threaded HTTP(S) server on loopback that keeps every POST and answers ``status``."""

    def __init__(self, status=200, tls_dir=None):
        self.status = status
        self.location = 'http://127.0.0.1:9/elsewhere'
        self.posts = []
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(('127.0.0.1', 0), _Receiver)
        self.httpd.daemon_threads = True
        self.httpd.owner = self
        self.scheme = 'http'
        self.cert_file = None
        if tls_dir is not None:
            self.cert_file, key_file = make_self_signed(tls_dir, ('localhost',), ('127.0.0.1',))
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(self.cert_file), str(key_file))
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
            self.scheme = 'https'
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={'poll_interval': 0.05}, daemon=True)
        self.thread.start()

    def url(self, path='/hooks/fedora-build'):
        return '%s://127.0.0.1:%d%s' % (self.scheme, self.port, path)

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(10)


@pytest.fixture
def webhook_receiver():
    started = []

    def make(status=200, tls_dir=None):
        receiver = WebhookReceiver(status, tls_dir)
        started.append(receiver)
        return receiver
    yield make
    for receiver in started:
        receiver.stop()


def closed_port():
    """A loopback port nobody listens on (connection refused)."""
    return free_port()


def output_of(run):
    return run.stdout + run.stderr + json.dumps([r.result for r in run.results], default=str)


# --------------------------------------------------------------------------- delivered


def test_failure_email_and_webhook_arrive(smtp_sink, webhook_receiver):
    receiver = webhook_receiver()
    run = run_module(MODULE, {
        'event': 'failed',
        'to': ['qa@example.org', 'Jane Tester <jane@example.org>'],
        'smtp': {'host': smtp_sink.host, 'port': smtp_sink.port, 'security': 'none',
                 'sender': 'Fedora image builds <builds@example.org>'},
        'webhook': {'url': receiver.url(), 'token': 'hook-token-1'},
        'build': build_record(),
    })
    run.assert_ok()
    res = run.result('module')
    assert run.status('module') == 'changed'
    assert res['sent'] == {'email': True, 'webhook': True}, res
    assert res['errors'] == []
    assert res['recipients'] == ['qa@example.org', 'jane@example.org']
    assert res['subject'] == '[fedora-build] FAILED: live 41 x86_64 (live-41-x86_64-abc123abc123)'

    msg = smtp_sink.wait_for(1)[0]
    envelope = smtp_sink.envelopes[0]
    assert envelope['mail_from'] == 'builds@example.org'
    assert envelope['tls'] is False and envelope['login'] is None
    assert sorted(envelope['rcpt_tos']) == ['jane@example.org', 'qa@example.org']
    assert msg['Subject'] == res['subject']
    assert msg['From'].addresses[0].display_name == 'Fedora image builds'
    assert [a.addr_spec for a in msg['To'].addresses] == ['qa@example.org', 'jane@example.org']
    assert msg['Date'] is not None and msg['Date'].datetime is not None
    assert msg['Message-ID'].endswith('@example.org>')
    assert msg['X-Fedora-Build-Request-ID'] == 'rq-0123456789ab'
    assert msg.get_content_type() == 'text/plain' and msg.get_content_charset() == 'utf-8'
    body = msg.get_content()
    assert body.startswith('Your Fedora image build live 41 x86_64 (live-41-x86_64-abc123abc123) FAILED.\n')
    assert 'Reason:\n  livemedia-creator exited 1: anaconda could not find package kde-settings\n' in body
    assert '\nSHA256 (Fedora-KDE-Live-41.iso) = %s\n' % SHA_ISO in body
    assert '\nSHA256 (logs/build.log) = %s\n' % SHA_LOG in body
    assert 'file:///srv/staging/live-41-x86_64-abc123abc123\n' in body
    assert 'Log tail (last 40 of 120 lines):' in body
    assert '  | 2026-11-26 10:40:59 lmc: step 119\n' in body and '  | 2026-11-26 10:40:20 lmc: step 80\n' in body
    assert 'step 79\n' not in body
    assert 'status/rq-0123456789ab.json' in body
    assert 'Bcc' not in msg

    assert len(receiver.posts) == 1
    post = receiver.posts[0]
    assert post['path'] == '/hooks/fedora-build'
    assert post['headers']['Content-Type'] == 'application/json'
    assert post['headers']['Authorization'] == 'Bearer hook-token-1'
    doc = json.loads(post['body'])
    assert doc['event'] == 'failed' and doc['summary'] == res['subject']
    assert doc['build']['build_id'] == 'live-41-x86_64-abc123abc123'
    assert doc['build']['reason'].startswith('livemedia-creator exited 1')
    assert doc['build']['artifacts'][1] == {'name': 'Fedora-KDE-Live-41.iso', 'size': 2254857830, 'sha256': SHA_ISO}
    assert len(doc['build']['log_tail']) == 40 and doc['build']['log_lines_total'] == 120
    assert 'hook-token-1' not in output_of(run)


def test_starttls_auth_with_password_from_environment_never_leaks(smtp_sink_factory, webhook_receiver, tmp_path):
    password = 'pw-' + secrets.token_hex(12)
    token = 'tok-' + secrets.token_hex(12)
    sink = smtp_sink_factory(starttls=True, users={'notifier': password})
    receiver = webhook_receiver(tls_dir=tmp_path / 'hook-tls')
    play = [{'name': 'notify', 'hosts': 'localhost', 'gather_facts': False, 'tasks': [{'name': 'module', MODULE: {
        'event': 'succeeded',
        'to': ['qa@example.org'],
        'smtp': {'host': sink.host, 'port': sink.port, 'security': 'starttls', 'username': 'notifier',
                 'sender': 'builds@example.org', 'ca_file': str(sink.cert_file)},
        'webhook': {'url': receiver.url(), 'ca_file': str(receiver.cert_file), 'token_env': 'MY_HOOK_TOKEN'},
        'build': build_record(state='succeeded', phase='done', reason=None),
    }}]}]
    # -vvv: every invocation detail printed; the secrets come from the environment, which Ansible knows nothing about
    run = run_playbook(play, env={'FEDORA_BUILD_SMTP_PASSWORD': password, 'MY_HOOK_TOKEN': token}, verbosity=3,
                       workdir=tmp_path / 'run')
    run.assert_ok()
    assert 'ESTABLISH LOCAL CONNECTION' in run.stdout, 'not verbose?'
    res = run.result('module')
    assert res['sent'] == {'email': True, 'webhook': True}, res
    assert res['subject'].startswith('[fedora-build] succeeded: live 41 x86_64')
    msg = sink.wait_for(1)[0]
    assert sink.envelopes[0]['tls'] is True
    assert sink.envelopes[0]['login'] == 'notifier'
    body = msg.get_content()
    assert 'SUCCEEDED.' in body.splitlines()[0]
    assert '\nSHA256 (Fedora-KDE-Live-41.iso) = %s\n' % SHA_ISO in body
    assert 'Log tail' not in body and 'Reason:' not in body
    assert receiver.posts[0]['headers']['Authorization'] == 'Bearer ' + token
    for text in (password, token):
        assert text not in output_of(run)


def test_secrets_absent_from_verbose_output_on_failures(smtp_sink_factory, webhook_receiver, tmp_path):
    """Login refused and webhook 500 with -vvv: warnings, ok task, and neither secret anywhere in the output."""
    password = 'wrong-' + secrets.token_hex(12)
    token = 'tok-' + secrets.token_hex(12)
    sink = smtp_sink_factory(starttls=True, users={'notifier': 'the-right-one'})
    receiver = webhook_receiver(status=500)
    play = [{'name': 'notify', 'hosts': 'localhost', 'gather_facts': False, 'tasks': [{
        'name': 'notify',
        MODULE: {
            'event': 'failed', 'to': ['qa@example.org'],
            'smtp': {'host': sink.host, 'port': sink.port, 'username': 'notifier', 'password': password,
                     'ca_file': str(sink.cert_file), 'sender': 'builds@example.org'},
            'webhook': {'url': receiver.url('/hook?secret-in-query=1'), 'token': token},
            'build': build_record(),
        }}]}]
    run = run_playbook(play, verbosity=3, workdir=tmp_path / 'run')
    run.assert_ok()
    assert run.status('notify') == 'ok'
    res = run.result('notify')
    assert res['changed'] is False
    assert res['sent'] == {'email': False, 'webhook': False}
    assert len(res['errors']) == 2, res['errors']
    assert res['errors'][0].startswith('Email to qa@example.org was not sent: the SMTP server 127.0.0.1:%d rejected the '
                                       'login as notifier (535' % sink.port)
    assert res['errors'][1] == ('Webhook to http://127.0.0.1:%d failed: it answered HTTP 500 (Internal Server Error).'
                                % receiver.port)
    for error in res['errors']:
        assert error in run.stdout + run.stderr  # emitted as a warning
    assert sink.messages == []
    assert len(receiver.posts) == 1
    out = output_of(run)
    assert 'ESTABLISH LOCAL CONNECTION' in run.stdout, 'not verbose?'
    assert password not in out and token not in out
    assert 'secret-in-query' not in json.dumps(res)


# --------------------------------------------------------------------------- not delivered: ok + warning


def test_delivery_problems_are_warnings_not_failures(smtp_sink, smtp_sink_factory, webhook_receiver, tmp_path):
    down = closed_port()
    https_hook = webhook_receiver(tls_dir=tmp_path / 'hook-tls')
    # a server that accepts the connection (the kernel does) but never says a word
    silent = socket.socket()
    silent.bind(('127.0.0.1', 0))
    silent.listen(8)
    silent_port = silent.getsockname()[1]
    tls_sink = smtp_sink_factory(starttls=True)
    redirecting = webhook_receiver(status=302)
    base = {'event': 'succeeded', 'to': ['qa@example.org'], 'build': build_record(state='succeeded', reason=None)}

    def task(name, **args):
        spec = dict(base)
        spec.update(args)
        return {'name': name, MODULE: spec}

    plain_none = {'host': smtp_sink.host, 'port': smtp_sink.port, 'security': 'none'}
    play = [{'name': 'faults', 'hosts': 'localhost', 'gather_facts': False, 'tasks': [
        task('down', smtp={'host': '127.0.0.1', 'port': down, 'security': 'none', 'timeout': 5},
             webhook={'url': 'http://127.0.0.1:%d/hook' % down, 'timeout': 5}),
        task('silent', smtp={'host': '127.0.0.1', 'port': silent_port, 'security': 'none', 'timeout': 1}),
        task('untrusted', smtp={'host': tls_sink.host, 'port': tls_sink.port, 'security': 'starttls', 'timeout': 5}),
        task('no starttls', smtp={'host': smtp_sink.host, 'port': smtp_sink.port, 'security': 'starttls'}),
        task('redirect', smtp=plain_none, webhook={'url': redirecting.url()}),
        task('no smtp', smtp={'host': ''}),
        task('untrusted hook', to=[], webhook={'url': https_hook.url(), 'timeout': 5}),
        task('no password', smtp={'host': smtp_sink.host, 'port': smtp_sink.port, 'security': 'none',
                                  'username': 'someone', 'password_env': 'FB_TEST_UNSET_PASSWORD'}),
    ]}]
    try:
        run = run_playbook(play)
    finally:
        silent.close()
    run.assert_ok()
    for name in ('down', 'silent', 'untrusted', 'no starttls', 'no smtp', 'no password'):
        assert run.status(name) == 'ok', (name, run.result(name))
        assert run.result(name)['sent']['email'] is False
        assert len(run.result(name)['errors']) >= 1
    errors = {name: run.result(name)['errors'] for name in ('down', 'silent', 'untrusted', 'no starttls', 'redirect', 'no smtp',
                                                            'no password')}
    assert errors['down'] == [
        'Email to qa@example.org was not sent: could not connect to the SMTP server 127.0.0.1:%d (connection refused).' % down,
        'Webhook to http://127.0.0.1:%d was not sent: could not connect to the webhook http://127.0.0.1:%d '
        '(connection refused).' % (down, down)]
    assert errors['silent'] == ['Email to qa@example.org was not sent: the SMTP server 127.0.0.1:%d did not answer in '
                                'time (timeout).' % silent_port]
    assert 'TLS certificate of the SMTP server 127.0.0.1:%d could not be verified' % tls_sink.port in errors['untrusted'][0]
    assert 'set ca_file' in errors['untrusted'][0]
    assert errors['no starttls'] == ['Email to qa@example.org was not sent: the SMTP server 127.0.0.1:%d does not '
                                     'support STARTTLS (smtp.security is starttls).' % smtp_sink.port]
    # the email went out, the webhook's redirect was not followed
    assert run.status('redirect') == 'changed'
    assert run.result('redirect')['sent'] == {'email': True, 'webhook': False}
    assert errors['redirect'] == ['Webhook to http://127.0.0.1:%d failed: it answered HTTP 302 (redirects are not '
                                  'followed).' % redirecting.port]
    assert 'no SMTP server is configured' in errors['no smtp'][0]
    hook_errors = run.result('untrusted hook')['errors']
    assert run.status('untrusted hook') == 'ok' and run.result('untrusted hook')['messages'][0]['kind'] == 'webhook'
    assert hook_errors == ['Webhook to https://127.0.0.1:%d was not sent: the TLS certificate of the webhook '
                           'https://127.0.0.1:%d could not be verified (self-signed certificate); set ca_file to the '
                           'CA that signed it.' % (https_hook.port, https_hook.port)]
    assert https_hook.posts == []
    assert 'no password' in errors['no password'][0] and 'FB_TEST_UNSET_PASSWORD' in errors['no password'][0]
    # every error is also a warning on the console
    for name, texts in errors.items():
        for text in texts:
            assert text in run.stdout + run.stderr, (name, text)
    # only the redirect task's email reached the plain sink; the TLS sink got nothing
    assert len(smtp_sink.messages) == 1 and tls_sink.messages == []


def test_server_refusing_the_message_is_a_warning(smtp_sink):
    smtp_sink.reject = '554 5.7.1 message refused by policy'
    run = run_module(MODULE, {'event': 'submitted', 'to': ['qa@example.org'],
                              'smtp': {'host': smtp_sink.host, 'port': smtp_sink.port, 'security': 'none'},
                              'build': build_record(build_id=None, state='queued', phase='queued')})
    run.assert_ok()
    res = run.result('module')
    assert res['changed'] is False and res['sent']['email'] is False
    assert res['errors'] == ['Email to qa@example.org was not sent: the SMTP server 127.0.0.1:%d refused the message '
                             '(554 5.7.1 message refused by policy).' % smtp_sink.port]


# --------------------------------------------------------------------------- ssl (SMTPS)


def test_ssl_mode_with_login(smtp_sink_factory):
    password = 'pw-' + secrets.token_hex(8)
    sink = smtp_sink_factory(implicit_tls=True, users={'notifier': password})
    # the sink really speaks TLS first: a plain SMTP greeting never comes
    with socket.create_connection((sink.host, sink.port), timeout=5) as sock:
        sock.settimeout(0.5)
        with pytest.raises((socket.timeout, ConnectionError)):
            data = sock.recv(100)
            if not data:
                raise ConnectionError('closed')
    run = run_module(MODULE, {'event': 'submitted', 'to': ['qa@example.org'],
                              'smtp': {'host': sink.host, 'port': sink.port, 'security': 'ssl', 'username': 'notifier',
                                       'password': password, 'ca_file': str(sink.cert_file),
                                       'sender': 'builds@example.org'},
                              'build': build_record(build_id=None, state='queued', phase='queued', reason=None)})
    run.assert_ok()
    assert run.result('module')['sent']['email'] is True, run.result('module')
    msg = sink.wait_for(1)[0]
    assert sink.envelopes[0]['tls'] is True and sink.envelopes[0]['login'] == 'notifier'
    assert msg['Subject'] == '[fedora-build] submitted: live 41 x86_64 (rq-0123456789ab)'
    body = msg.get_content()
    assert 'was submitted and is queued' in body and 'You will get another email' in body
    assert password not in output_of(run)


# --------------------------------------------------------------------------- check mode and bad input


def test_check_mode_sends_nothing(smtp_sink, webhook_receiver, tmp_path):
    receiver = webhook_receiver()
    log = tmp_path / 'build.log'
    log.write_text('starting\nanaconda: killed by SIGTERM\n', encoding='utf-8')
    run = run_module(MODULE, {'event': 'cancelled', 'to': ['qa@example.org'],
                              'smtp': {'host': smtp_sink.host, 'port': smtp_sink.port, 'security': 'none'},
                              'webhook': {'url': receiver.url(), 'token': 'check-token'},
                              'build': build_record(state='cancelled', reason='cancelled by the requester', log_tail=None),
                              'log_file': str(log)},
                     check=True)
    run.assert_ok()
    res = run.result('module')
    assert res['changed'] is True and res['sent'] == {'email': False, 'webhook': False}
    assert [m['kind'] for m in res['messages']] == ['email', 'webhook']
    assert res['messages'][0]['subject'] == '[fedora-build] CANCELLED: live 41 x86_64 (live-41-x86_64-abc123abc123)'
    assert 'cancelled by the requester' in res['messages'][0]['body']
    assert 'Log tail (last 2 lines of build.log):\n  | starting\n  | anaconda: killed by SIGTERM\n' in res['messages'][0]['body']
    assert res['messages'][1]['payload']['event'] == 'cancelled'
    with pytest.raises(TimeoutError):
        smtp_sink.wait_for(1, timeout=0.5)
    assert receiver.posts == []


@pytest.mark.parametrize('args, msg', [
    ({'to': ['qa@example.org', 'qa@example.org\r\nBcc: evil@example.net']},
     "to[1]: 'qa@example.org\\r\\nBcc: evil@example.net' contains a line break or control character, which an email "
     "address may not."),
    ({'to': ['not-an-address']}, "to[0]: 'not-an-address' is not an email address (expected user@domain or "
                                 "Name <user@domain>)."),
    ({'webhook': {'url': 'ftp://hooks.example.org/x'}}, "webhook.url: scheme 'ftp' is not allowed (use http, https)."),
    ({'smtp': {'host': 'h', 'sender': 'nobody'}}, "smtp.sender: 'nobody' is not an email address (expected user@domain "
                                                  "or Name <user@domain>)."),
])
def test_invalid_input_fails_with_one_sentence(args, msg, smtp_sink):
    spec = {'event': 'failed', 'to': [], 'build': build_record()}
    spec.update(args)
    run = run_module(MODULE, spec)
    assert run.status('module') == 'failed'
    assert run.result('module')['msg'] == msg
    assert smtp_sink.messages == []


# --------------------------------------------------------------------------- as the role calls it


def test_delegated_to_the_controller_from_a_build_node_play(smtp_sink_factory):
    """A play on a build node that is never contacted: the task runs on the controller (delegate_to), takes
    the password from the controller's environment and its SMTP settings from the action group's module_defaults."""
    password = 'pw-' + secrets.token_hex(8)
    sink = smtp_sink_factory(starttls=True, users={'notifier': password})
    inventory = {'all': {'hosts': {
        # TEST-NET-1: unreachable on purpose, the play must not need it
        'build-x86-01': {'ansible_host': '192.0.2.1', 'ansible_connection': 'ssh', 'ansible_ssh_timeout': 2},
        'localhost': {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable},
    }}}
    play = [{
        'name': 'per-build pipeline (notify step)', 'hosts': 'build-x86-01', 'gather_facts': False,
        'module_defaults': {'group/ondemand.fedora_build.fedora_build': {
            'smtp': {'host': sink.host, 'port': sink.port, 'username': 'notifier', 'ca_file': str(sink.cert_file),
                     'sender': 'builds@example.org'}}},
        'tasks': [{'name': 'notify', 'delegate_to': 'localhost', MODULE: {
            'event': 'succeeded', 'to': ['qa@example.org'],
            'build': build_record(state='succeeded', reason=None, node='{{ inventory_hostname }}')}}],
    }]
    run = run_playbook(play, inventory, env={'FEDORA_BUILD_SMTP_PASSWORD': password})
    run.assert_ok()
    assert run.result('notify', 'build-x86-01')['sent']['email'] is True
    msg = sink.wait_for(1)[0]
    assert 'Node:         build-x86-01\n' in msg.get_content()
    assert password not in output_of(run)


# --------------------------------------------------------------------------- what the email tells the reader to do


def staged_build(root):
    """A staged build dir as the role leaves it: images under output/, CHECKSUM naming them from the top."""
    build_dir = root / 'boot-41-x86_64-0123456789ab'
    files = {'output/images/boot.iso': b'iso bytes\n' * 1000, 'output/images/pxeboot/vmlinuz': b'kernel\n'}
    artifacts = []
    for rel, data in files.items():
        path = build_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        artifacts.append({'name': path.name, 'relpath': rel, 'size': len(data), 'sha256': hashlib.sha256(data).hexdigest()})
    return build_dir, artifacts


def checksum_lines_of(body):
    return [line for line in body.splitlines() if line.startswith('SHA256 (')]


def test_success_email_checksums_pass_sha256sum_c_in_the_staged_build_dir(smtp_sink, tmp_path):
    build_dir, artifacts = staged_build(tmp_path / 'staging')
    run = run_module(MODULE, {
        'event': 'succeeded', 'to': ['qa@example.org'],
        'smtp': {'host': smtp_sink.host, 'port': smtp_sink.port, 'security': 'none', 'sender': 'builds@example.org'},
        'build': build_record(state='succeeded', phase='done', reason=None, log_tail=[], artifacts=artifacts,
                              staging=['file://%s' % build_dir]),
    })
    run.assert_ok()
    body = smtp_sink.wait_for(1)[0].get_content()
    assert 'sha256sum -c' in body
    lines = checksum_lines_of(body)
    assert len(lines) == 2, body
    # the reader's steps: save the lines, run sha256sum -c where the build is staged
    (tmp_path / 'from-the-email.sha256').write_text('\n'.join(lines) + '\n')
    check = subprocess.run(['sha256sum', '-c', str(tmp_path / 'from-the-email.sha256')], cwd=str(build_dir),
                           capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    assert sorted(check.stdout.splitlines()) == ['output/images/boot.iso: OK', 'output/images/pxeboot/vmlinuz: OK']
    # and they are the CHECKSUM file's own lines
    (build_dir / 'output' / 'images' / 'boot.iso').write_bytes(b'changed')
    check = subprocess.run(['sha256sum', '-c', str(tmp_path / 'from-the-email.sha256')], cwd=str(build_dir),
                           capture_output=True, text=True, check=False)
    assert check.returncode == 1 and 'output/images/boot.iso: FAILED' in check.stdout


def test_reused_build_email_says_so(smtp_sink, tmp_path):
    build_dir, artifacts = staged_build(tmp_path / 'staging')
    run = run_module(MODULE, {
        'event': 'succeeded', 'to': ['qa@example.org'],
        'smtp': {'host': smtp_sink.host, 'port': smtp_sink.port, 'security': 'none', 'sender': 'builds@example.org'},
        'build': build_record(state='succeeded', phase='done', reason=None, log_tail=[], artifacts=artifacts,
                              staging=['file://%s' % build_dir], reused=True),
    })
    run.assert_ok()
    msg = smtp_sink.wait_for(1)[0]
    assert msg['Subject'].startswith('[fedora-build] succeeded (reused): live 41 x86_64')
    assert 'was already in staging and is reused; nothing was rebuilt.' in msg.get_content().splitlines()[0]


# --------------------------------------------------------------------------- whose webhook gets the token


def test_the_token_goes_only_to_the_operator_named_webhook(webhook_receiver, tmp_path):
    """The role's notify step (filter webhook_destination + notify) with FEDORA_BUILD_WEBHOOK_TOKEN set:
    a request naming the operator's webhook sends the token; a request that wrote its own URL (the operator
    allowing it) sends none; an unknown name fails the task naming the field."""
    token = 'tok-' + secrets.token_hex(12)
    named, own = webhook_receiver(), webhook_receiver()
    webhooks = {'team-hook': {'url': named.url(), 'token_env': 'FEDORA_BUILD_WEBHOOK_TOKEN'}}
    arg = ("{{ ref | ondemand.fedora_build.webhook_destination(fedora_build_webhooks, "
           "fedora_build_allow_request_destinations) or omit }}")
    record = build_record(state='succeeded', phase='done', reason=None)
    tasks = [{'name': 'notify %s' % name, MODULE: {'event': 'succeeded', 'webhook': arg, 'build': record},
              'vars': {'ref': ref}, 'ignore_errors': name == 'unknown'}
             for name, ref in (('named', 'team-hook'), ('own', own.url()), ('unknown', 'nope'))]
    play = [{'name': 'notify', 'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}]
    run = run_playbook(play, extra_vars={'fedora_build_webhooks': webhooks,
                                         'fedora_build_allow_request_destinations': True},
                       env={'FEDORA_BUILD_WEBHOOK_TOKEN': token}, verbosity=3, workdir=tmp_path / 'run')
    assert run.result('notify named')['sent']['webhook'] is True, run.describe()
    assert run.result('notify own')['sent']['webhook'] is True, run.describe()
    assert named.posts[0]['headers'].get('Authorization') == 'Bearer ' + token
    assert len(own.posts) == 1 and 'authorization' not in [h.lower() for h in own.posts[0]['headers']], own.posts
    assert run.status('notify unknown') == 'ignored'
    assert "notify.webhook: 'nope' is not a webhook the operator defined in fedora_build_webhooks; known names: " \
           "team-hook." in output_of(run)
    assert token not in output_of(run)


# --------------------------------------------------------------------------- the HTTP client (open_url)


@pytest.mark.parametrize('status', [301, 302, 307, 308])
def test_a_webhook_redirect_is_not_followed_and_the_token_stays_home(webhook_receiver, status):
    elsewhere = webhook_receiver()
    hook = webhook_receiver(status=status)
    hook.location = elsewhere.url('/stolen')
    conf = notify_mod.normalize_webhook({'url': hook.url(), 'token_env': 'HOOK_T'}, environ={'HOOK_T': 'tok-123456'})
    sent, error = notify_mod.send_webhook({'event': 'done'}, conf)
    assert (sent, error) == (False, 'Webhook to http://127.0.0.1:%d failed: it answered HTTP %d (redirects are not '
                                    'followed).' % (hook.port, status))
    assert hook.posts[0]['headers']['Authorization'] == 'Bearer tok-123456'
    assert elsewhere.posts == []


def test_a_webhook_over_tls_checks_the_certificate_against_ca_file(webhook_receiver, tmp_path):
    hook = webhook_receiver(tls_dir=tmp_path / 'tls')
    sent, error = notify_mod.send_webhook({'event': 'done'}, notify_mod.normalize_webhook({'url': hook.url()}, {}))
    assert not sent and 'TLS certificate of the webhook https://127.0.0.1:%d could not be verified' % hook.port in error
    conf = notify_mod.normalize_webhook({'url': hook.url(), 'ca_file': str(hook.cert_file)}, {})
    assert notify_mod.send_webhook({'event': 'done'}, conf) == (True, None)
    assert json.loads(hook.posts[-1]['body']) == {'event': 'done'}
