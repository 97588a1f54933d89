# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for module_utils/notify.py: validation and message building (no network)."""

from __future__ import annotations

import datetime
import email
import email.policy
import json

import pytest

from ansible_collections.ondemand.fedora_build.plugins.module_utils import notify
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError

SHA_A = 'a' * 64
SHA_B = '0123456789abcdef' * 4


def record(**over):
    data = {
        'request_id': 'rq-0123456789ab',
        'build_id': 'live-41-x86_64-abc123abc123',
        'name': 'kde test day',
        'image_type': 'live',
        'release': '41',
        'arch': 'x86_64',
        'node': 'build-x86-01',
        'state': 'succeeded',
        'phase': 'done',
        'reason': None,
        'submitted': '2026-11-26T10:00:00Z',
        'finished': '2026-11-26T11:02:05Z',
        'duration': 3725,
        'staging': ['file:///srv/staging/live-41-x86_64-abc123abc123', 'sftp://stage.example.org/srv/live-41-x86_64-abc123abc123'],
        'artifacts': [{'name': 'Fedora-KDE-Live-41.iso', 'size': 2254857830, 'sha256': SHA_A},
                      {'name': 'logs/build.log', 'size': 1200, 'sha256': SHA_B.upper()}],
        'log_tail': ['line %d' % i for i in range(100)],
        'history': [{'time': 'x', 'state': 'queued', 'phase': 'queued'}],
        'updated': '2026-11-26T11:02:05Z',
    }
    data.update(over)
    return data


def email_for(event, build=None, to=('qa@example.org',), sender='fedora-build@example.org', log_lines=40):
    info = notify.normalize_build(record() if build is None else build, log_lines)
    msg = notify.build_email(event, info, notify.check_addresses(list(to), 'to'), notify.check_address(sender, 'smtp.sender'),
                             now=datetime.datetime(2026, 11, 26, 11, 3, tzinfo=datetime.timezone.utc))
    # what goes over the wire, parsed back as a mail client would
    wire = msg.as_bytes()
    return wire, email.message_from_bytes(wire.replace(b'\r\n', b'\n'), policy=email.policy.default)


# --------------------------------------------------------------------------- subjects and bodies


@pytest.mark.parametrize('event, word', [('succeeded', 'succeeded'), ('failed', 'FAILED'), ('submitted', 'submitted'),
                                         ('cancelled', 'CANCELLED')])
def test_subject_states_the_outcome(event, word):
    _wire, msg = email_for(event)
    assert msg['Subject'] == '[fedora-build] %s: live 41 x86_64 (live-41-x86_64-abc123abc123)' % word


def test_subject_falls_back_to_request_id_before_the_build_id_is_known():
    build = record(build_id=None)
    assert notify.make_subject('submitted', notify.normalize_build(build)) == \
        '[fedora-build] submitted: live 41 x86_64 (rq-0123456789ab)'


def test_success_body_has_staging_checksums_ids_and_status():
    _wire, msg = email_for('succeeded')
    body = msg.get_content()
    assert body.startswith('Your Fedora image build live 41 x86_64 (live-41-x86_64-abc123abc123) SUCCEEDED.\n')
    assert 'file:///srv/staging/live-41-x86_64-abc123abc123\n' in body
    assert 'sftp://stage.example.org/srv/live-41-x86_64-abc123abc123\n' in body
    # Fedora CHECKSUM format, lower-case hex, one line per artifact
    assert '\nSHA256 (Fedora-KDE-Live-41.iso) = %s\n' % SHA_A in body
    assert '\nSHA256 (logs/build.log) = %s\n' % SHA_B in body
    assert '2.1 GiB (2254857830 bytes)' in body
    assert 'rq-0123456789ab' in body and 'Build ID:     live-41-x86_64-abc123abc123' in body
    assert 'Duration:     1h 02m 05s' in body
    assert 'status/rq-0123456789ab.json' in body
    assert 'Name:         kde test day' in body
    # no log tail and no reason on success
    assert 'Log tail' not in body and 'Reason:' not in body


def test_failure_body_has_reason_and_bounded_log_tail():
    build = record(state='failed', phase='build', reason='livemedia-creator exited 1: no space left on device')
    _wire, msg = email_for('failed', build, log_lines=40)
    body = msg.get_content()
    assert body.startswith('Your Fedora image build live 41 x86_64 (live-41-x86_64-abc123abc123) FAILED.\n')
    assert 'Reason:\n  livemedia-creator exited 1: no space left on device\n' in body
    assert 'Log tail (last 40 of 100 lines):' in body
    assert '  | line 99\n' in body and '  | line 60\n' in body
    assert '| line 59\n' not in body
    assert 'Logs and build.json (staging):' in body


def test_failure_without_reason_says_so():
    _wire, msg = email_for('failed', record(state='failed', reason=None))
    assert '(no reason was recorded; see the log below)' in msg.get_content()


def test_log_tail_as_text_and_zero_lines():
    build = record(log_tail='first\nsecond\r\nthird\n')
    info = notify.normalize_build(build, 2)
    assert info['log_tail'] == ['second', 'third'] and info['log_total'] == 3
    assert notify.normalize_build(build, 0)['log_tail'] == []


def test_submitted_body_says_another_email_follows_and_has_no_results():
    build = record(build_id=None, state='queued', phase='queued', staging=[], artifacts=[], log_tail=[])
    _wire, msg = email_for('submitted', build)
    body = msg.get_content()
    assert 'was submitted and is queued' in body
    assert 'You will get another email when the build has succeeded or failed.' in body
    assert 'Results (staging)' not in body


def test_status_url_replaces_the_record_path():
    _wire, msg = email_for('succeeded', record(status_url='https://builds.example.org/status/rq-0123456789ab'))
    body = msg.get_content()
    assert 'https://builds.example.org/status/rq-0123456789ab' in body
    assert 'status/rq-0123456789ab.json' not in body


def test_request_details_are_listed():
    build = record(request={'koji': {'builds': ['bash-5.2.26-3.fc41']}, 'repos': ['release', 'updates'], 'force': False})
    body = email_for('succeeded', build)[1].get_content()
    assert '  koji: {"builds": ["bash-5.2.26-3.fc41"]}' in body
    assert '  repos: ["release", "updates"]' in body


def test_headers_are_complete():
    wire, msg = email_for('succeeded', to=['qa@example.org', 'Jane Tester <jane@example.org>'],
                          sender='Fedora builds <builds@example.org>')
    assert msg['From'].addresses[0].addr_spec == 'builds@example.org'
    assert msg['From'].addresses[0].display_name == 'Fedora builds'
    assert [a.addr_spec for a in msg['To'].addresses] == ['qa@example.org', 'jane@example.org']
    assert msg['Date'].datetime == datetime.datetime(2026, 11, 26, 11, 3, tzinfo=datetime.timezone.utc)
    assert msg['Message-ID'].startswith('<') and msg['Message-ID'].endswith('@example.org>')
    assert msg['Auto-Submitted'] == 'auto-generated'
    assert msg['X-Fedora-Build-Request-ID'] == 'rq-0123456789ab'
    assert msg['X-Fedora-Build-ID'] == 'live-41-x86_64-abc123abc123'
    assert msg.get_content_type() == 'text/plain'
    assert msg.get_content_charset() == 'utf-8'
    # 7-bit clean on the wire, CRLF line ends as SMTP wants
    wire.decode('ascii')
    assert b'\r\n' in wire and b'\n' not in wire.replace(b'\r\n', b'')
    assert max(len(line) for line in wire.split(b'\r\n')) <= 998


def test_message_ids_differ():
    assert email_for('succeeded')[1]['Message-ID'] != email_for('succeeded')[1]['Message-ID']


def test_utf8_everywhere():
    build = record(name='Fête de Fedora — ünïcode ✓', log_tail=['Stößt auf: ✗ fehlgeschlagen'], state='failed',
                   reason='paquet « introuvable »')
    _wire, msg = email_for('failed', build, to=['Zoë Ünal <zoe@example.org>'], sender='Büro <b@example.org>')
    body = msg.get_content()
    assert 'Fête de Fedora — ünïcode ✓' in body
    assert '| Stößt auf: ✗ fehlgeschlagen' in body
    assert 'paquet « introuvable »' in body
    assert msg['To'].addresses[0].display_name == 'Zoë Ünal'
    assert msg['From'].addresses[0].display_name == 'Büro'


def test_no_header_injection_from_build_values():
    build = record(name='x\r\nBcc: evil@example.net', build_id='live-41\r\nBcc: evil@example.net',
                   image_type='live\nX-Evil: 1', arch='x86_64\r\n\r\n<html>')
    wire, msg = email_for('succeeded', build)
    assert msg['Bcc'] is None and msg['X-Evil'] is None
    assert 'evil@example.net' not in ''.join('%s%s' % kv for kv in msg.items() if kv[0] != 'Subject')
    assert '\n' not in msg['Subject'] and '\r' not in msg['Subject']
    # a build ID that is not a plain name is not put in its own header
    assert msg['X-Fedora-Build-ID'] is None
    headers = wire.split(b'\r\n\r\n', 1)[0]
    assert b'\r\nBcc:' not in headers and b'\r\nX-Evil' not in headers


def test_log_control_characters_are_neutralised():
    build = record(state='failed', log_tail=['\x1b[31mred\x1b[0m', 'a\x07b', 'tab\there', 'x' * 600, '<b>html</b>'])
    body = email_for('failed', build)[1].get_content()
    assert '| ?[31mred?[0m\n' in body
    assert '| a?b\n' in body
    assert '| tab\there\n' in body
    assert '| %s [...]\n' % ('x' * 500) in body
    # plain text: markup arrives as the characters it is, never rendered
    assert '| <b>html</b>\n' in body


# --------------------------------------------------------------------------- addresses


@pytest.mark.parametrize('value', ['qa@example.org', 'first.last+tag@sub.example.org', 'root@localhost',
                                   'Jane Tester <jane@example.org>', '"Jane, QA" <jane@example.org>', "o'neil@example.ie"])
def test_good_addresses(value):
    assert '@' in notify.check_address(value, 'to[0]').addr_spec


@pytest.mark.parametrize('value, words', [
    ('qa@example.org\r\nBcc: evil@example.net', 'line break'),
    ('qa@example.org\nX: y', 'line break'),
    ('no-at-sign', 'not an email address'),
    ('a@b@c', 'not an email address'),
    ('.a@example.org', 'before the "@"'),
    ('a..b@example.org', 'before the "@"'),
    ('a b@example.org', 'before the "@"'),
    ('a@exa mple.org', 'domain'),
    ('a@-example.org', 'domain'),
    ('a@example..org', 'domain'),
    ('josé@example.org', 'before the "@"'),
    ('', 'not an email address'),
    ('Name <a@example.org', 'not an email address'),
    ('Na"me <a@example.org>', 'quote'),
])
def test_bad_addresses_name_the_field(value, words):
    with pytest.raises(FedoraBuildError) as err:
        notify.check_addresses(['ok@example.org', value], 'to')
    assert err.value.msg.startswith('to[1]: ')
    assert words in err.value.msg
    assert err.value.msg.count('. ') == 0 or err.value.msg.endswith('.')


def test_addresses_deduplicated_and_type_checked():
    got = notify.check_addresses(['A@example.org', 'a@example.org', 'b@example.org'], 'to')
    assert [a.addr_spec for a in got] == ['A@example.org', 'b@example.org']
    with pytest.raises(FedoraBuildError, match='^to: must be a list'):
        notify.check_addresses('a@example.org', 'to')


# --------------------------------------------------------------------------- options


@pytest.mark.parametrize('security, port', [('starttls', 587), ('ssl', 465), ('none', 25)])
def test_smtp_default_ports(security, port):
    conf = notify.normalize_smtp({'host': 'smtp.example.org', 'security': security}, environ={})
    assert conf['port'] == port and conf['security'] == security


def test_smtp_defaults_and_password_from_environment():
    conf = notify.normalize_smtp({'host': 'smtp.example.org', 'username': 'builds@example.org'},
                                 environ={'FEDORA_BUILD_SMTP_PASSWORD': 's3cret'})
    assert conf['security'] == 'starttls' and conf['port'] == 587
    assert conf['password'] == 's3cret' and conf['password_source'] == 'FEDORA_BUILD_SMTP_PASSWORD'
    assert conf['sender'].addr_spec == 'builds@example.org'
    assert conf['validate_certs'] is True and conf['timeout'] == 30
    # an explicit password wins over the environment; another variable can be named
    conf = notify.normalize_smtp({'host': 'h', 'password': 'given', 'password_env': 'MY_PW'},
                                 environ={'FEDORA_BUILD_SMTP_PASSWORD': 'x', 'MY_PW': 'y'})
    assert conf['password'] == 'given'
    conf = notify.normalize_smtp({'host': 'h', 'password_env': 'MY_PW'}, environ={'MY_PW': 'y'})
    assert conf['password'] == 'y'


def test_smtp_absent_means_no_email():
    assert notify.normalize_smtp(None, environ={}) is None
    assert notify.normalize_smtp({'host': '', 'port': 25}, environ={}) is None


@pytest.mark.parametrize('smtp, field', [
    ({'host': 'h', 'security': 'tls'}, 'smtp.security'),
    ({'host': 'h', 'port': 70000}, 'smtp.port'),
    ({'host': 'h\r\nx'}, 'smtp.host'),
    ({'host': 'h', 'sender': 'nobody'}, 'smtp.sender'),
    ({'host': 'h', 'sender': 'a@example.org\r\nBcc: e@example.net'}, 'smtp.sender'),
    ({'host': 'h', 'password_env': 'not a name'}, 'smtp.password_env'),
    ({'host': 'h', 'ca_file': '/nonexistent/ca.pem'}, 'smtp.ca_file'),
    ({'host': 'h', 'timeout': 0}, 'smtp.timeout'),
])
def test_smtp_bad_options_name_the_field(smtp, field):
    with pytest.raises(FedoraBuildError) as err:
        notify.normalize_smtp(smtp, environ={})
    assert err.value.msg.startswith(field + ': ')


def test_webhook_options():
    assert notify.normalize_webhook(None, environ={}) is None
    conf = notify.normalize_webhook({'url': 'https://u:pw@hooks.example.org:8443/T0/secret-path?k=v',
                                     'token_env': 'FEDORA_BUILD_WEBHOOK_TOKEN'},
                                    environ={'FEDORA_BUILD_WEBHOOK_TOKEN': 'tok'})
    assert conf['token'] == 'tok'
    assert conf['location'] == 'https://hooks.example.org:8443'
    assert set(conf['secrets']) == {'tok', 'pw'}


def test_a_webhook_url_alone_gets_no_token():
    """No default token_env: a URL (one a request wrote) never gets the controller's token."""
    conf = notify.normalize_webhook({'url': 'https://hooks.example.org/x'}, environ={'FEDORA_BUILD_WEBHOOK_TOKEN': 'tok'})
    assert conf['token'] is None and 'tok' not in conf['secrets']


@pytest.mark.parametrize('hook, field, words', [
    ({'url': 'ftp://hooks.example.org/x'}, 'webhook.url', "scheme 'ftp' is not allowed"),
    ({'url': 'file:///etc/passwd'}, 'webhook.url', "scheme 'file' is not allowed"),
    ({'url': 'javascript:alert(1)'}, 'webhook.url', 'not allowed'),
    ({'url': 'https://'}, 'webhook.url', 'has no host'),
    ({'url': 'https://h/x\r\nHost: evil'}, 'webhook.url', 'control character'),
    ({'url': 'https://h/', 'token': 'abc\r\nX-Evil: 1'}, 'webhook.token', 'control character'),
])
def test_webhook_bad_input(hook, field, words):
    with pytest.raises(FedoraBuildError) as err:
        notify.normalize_webhook(hook, environ={})
    assert err.value.msg.startswith(field + ': ') and words in err.value.msg
    assert 'abc' not in err.value.msg  # the token is never echoed


@pytest.mark.parametrize('build, field', [
    ({'staging': [1]}, 'build.staging'),
    ({'artifacts': [{'size': 1}]}, 'build.artifacts[0]'),
    ({'artifacts': [{'name': 'x', 'sha256': 'nothex'}]}, 'build.artifacts[0].sha256'),
    ({'artifacts': [{'name': 'x', 'size': 'big'}]}, 'build.artifacts[0].size'),
    ({'name': ['a']}, 'build.name'),
    ({'log_tail': 5}, 'build.log_tail'),
    ({'duration': True}, 'build.duration'),
    ({'request': 'x'}, 'build.request'),
])
def test_build_bad_input(build, field):
    with pytest.raises(FedoraBuildError) as err:
        notify.normalize_build(build)
    assert err.value.msg.startswith(field + ': ')


# --------------------------------------------------------------------------- the whole thing, without sending


def test_check_mode_builds_messages_and_sends_nothing():
    hook = {'url': 'http://127.0.0.1:9/hook', 'token': 'tok-123'}
    result, secrets = notify.notify('failed', ['qa@example.org'], {'host': '127.0.0.1', 'port': 9, 'security': 'none'}, hook,
                                    record(state='failed', reason='boom'), check_mode=True, environ={})
    assert result['changed'] is True
    assert result['sent'] == {'email': False, 'webhook': False}
    assert result['errors'] == []
    assert result['subject'].startswith('[fedora-build] FAILED: ')
    kinds = [m['kind'] for m in result['messages']]
    assert kinds == ['email', 'webhook']
    assert 'Reason:\n  boom' in result['messages'][0]['body']
    payload = result['messages'][1]['payload']
    assert payload['event'] == 'failed' and payload['build']['reason'] == 'boom'
    assert result['messages'][1]['url'] == 'http://127.0.0.1:9'
    assert secrets == ['tok-123']
    assert 'tok-123' not in json.dumps(result)


def test_no_recipients_no_email_and_no_error():
    result, _secrets = notify.notify('succeeded', [], {'host': '127.0.0.1'}, None, record(), environ={})
    assert result['messages'] == [] and result['errors'] == [] and result['changed'] is False


def test_recipients_without_smtp_is_reported_not_failed():
    result, _secrets = notify.notify('succeeded', ['qa@example.org'], None, None, record(), environ={})
    assert result['sent']['email'] is False and result['changed'] is False
    assert result['errors'] == ['Email to qa@example.org was not sent: no SMTP server is configured (smtp.host, '
                                'the service variable fedora_build_smtp).']


def test_unknown_event_fails():
    with pytest.raises(FedoraBuildError, match="^event: 'done' is not one of"):
        notify.notify('done', [], None, None, {}, environ={})


def test_redact():
    assert notify.redact('login pw=hunter2 failed (hunter2)', ['hunter2', None, '']) == 'login pw=******** failed (********)'


# --------------------------------------------------------------------------- log_file


def test_log_file_tail_is_used_when_the_build_has_none(tmp_path):
    log = tmp_path / 'build.log'
    log.write_text(''.join('step %d\n' % i for i in range(500)), encoding='utf-8')
    result, _secrets = notify.notify('failed', ['qa@example.org'], {'host': '127.0.0.1', 'security': 'none'}, None,
                                     record(state='failed', reason='boom', log_tail=None), check_mode=True, environ={},
                                     log_lines=5, log_file=str(log))
    body = result['messages'][0]['body']
    assert 'Log tail (last 5 of 500 lines of build.log):\n  | step 495\n' in body and '  | step 499\n' in body
    assert 'step 494\n' not in body
    # a log_tail given in the build wins over the file
    result, _secrets = notify.notify('failed', ['qa@example.org'], {'host': '127.0.0.1', 'security': 'none'}, None,
                                     record(state='failed', log_tail=['given']), check_mode=True, environ={},
                                     log_file=str(log))
    assert '  | given\n' in result['messages'][0]['body'] and 'step 499' not in result['messages'][0]['body']


def test_log_file_reads_only_the_end_of_a_big_file(tmp_path):
    log = tmp_path / 'huge.log'
    with open(log, 'wb') as handle:
        handle.write(b'x' * (3 * notify.LOG_READ_BYTES))
        handle.write(b'\n' + b''.join(b'line %d\n' % i for i in range(50)))
    lines, total, note = notify.read_log_tail(str(log), 3)
    assert lines == ['line 47', 'line 48', 'line 49'] and total is None and note is None


def test_unreadable_log_file_is_noted_not_fatal(tmp_path):
    result, _secrets = notify.notify('failed', ['qa@example.org'], {'host': '127.0.0.1', 'security': 'none'}, None,
                                     record(state='failed', log_tail=None), check_mode=True, environ={},
                                     log_file=str(tmp_path / 'missing.log'))
    body = result['messages'][0]['body']
    assert 'Log tail of missing.log:\n  (log_file %s could not be read: No such file or directory)\n' % (
        tmp_path / 'missing.log') in body
    assert result['errors'] == []


# --------------------------------------------------------------------------- checksum lines and reuse


def test_checksum_lines_name_files_from_the_staged_build_dir():
    info = notify.normalize_build({'artifacts': [
        {'name': 'boot.iso', 'relpath': 'output/images/boot.iso', 'size': 3, 'sha256': 'AB' * 32},
        {'name': 'no-sum.txt', 'relpath': 'output/no-sum.txt', 'size': 1},
        {'name': 'bare.iso', 'size': 1, 'sha256': 'cd' * 32}]})
    assert notify.checksum_lines(info['artifacts']) == ['SHA256 (output/images/boot.iso) = %s' % ('ab' * 32),
                                                        'SHA256 (bare.iso) = %s' % ('cd' * 32)]


@pytest.mark.parametrize('relpath', ['/etc/passwd', '../x.iso', 'output/../../x', 'a\nb', 'a\\b', ' output/x', 7])
def test_relpath_that_sha256sum_would_not_read_back_is_refused(relpath):
    with pytest.raises(FedoraBuildError, match=r'^build\.artifacts\[0\]\.relpath: '):
        notify.normalize_build({'artifacts': [{'name': 'x', 'relpath': relpath, 'sha256': 'ab' * 32}]})


@pytest.mark.parametrize('value,expected', [(True, True), (False, False), (None, False), ('true', True), ('False', False)])
def test_reused_flag(value, expected):
    assert notify.normalize_build({'reused': value})['reused'] is expected


def test_reused_flag_refuses_other_values():
    with pytest.raises(FedoraBuildError, match=r'^build\.reused: '):
        notify.normalize_build({'reused': 'maybe'})


def test_reused_success_says_so_and_a_plain_success_does_not():
    reused = notify.normalize_build({'image_type': 'boot', 'release': '41', 'arch': 'x86_64', 'build_id': 'b', 'reused': True})
    plain = dict(reused, reused=False)
    assert notify.make_subject('succeeded', reused) == '[fedora-build] succeeded (reused): boot 41 x86_64 (b)'
    assert notify.make_subject('succeeded', plain) == '[fedora-build] succeeded: boot 41 x86_64 (b)'
    assert 'nothing was rebuilt' in notify.make_body('succeeded', reused).splitlines()[0]
    assert 'reused' not in notify.make_body('succeeded', plain)
