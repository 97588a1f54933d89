# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""staging: CHECKSUM parsing, input checks and the skip/resume plan."""

from __future__ import annotations

import pytest

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils.staging import common as staging

HEX_A = 'a' * 64
HEX_B = 'b' * 64
CHECKSUM = ('# images/boot.iso: 10 bytes\n# logs/build.log: 3 bytes\n'
            'SHA256 (images/boot.iso) = %s\nSHA256 (logs/build.log) = %s\n' % (HEX_A, HEX_B.upper())).encode()


def test_parse_checksum_fedora_format():
    entries = staging.parse_checksum(CHECKSUM, 'src/CHECKSUM')
    assert [(e.relpath, e.size, e.sha256) for e in entries] == [('images/boot.iso', 10, HEX_A),
                                                                ('logs/build.log', 3, HEX_B)]
    no_sizes = staging.parse_checksum(b'SHA256 (a b.txt) = %s\n' % HEX_A.encode(), 'f')
    assert no_sizes[0].relpath == 'a b.txt' and no_sizes[0].size is None


@pytest.mark.parametrize('text, message', [
    (b'', 'f: lists no files.'),
    (b'MD5 (a) = 0\n', "f line 1: 'MD5 (a) = 0' is not a \"SHA256 (file) = hex\" line."),
    (b'SHA256 (/etc/passwd) = ' + HEX_A.encode(), "f line 1: '/etc/passwd' is not a relative file path."),
    (b'SHA256 (a/../../b) = ' + HEX_A.encode(), "f line 1: 'a/../../b' is not a plain relative path (empty, \".\" or "
                                                "\"..\" part)."),
    (b'SHA256 (CHECKSUM) = ' + HEX_A.encode(), 'f line 1: CHECKSUM cannot list itself.'),
    (b'SHA256 (x) = %s\nSHA256 (x) = %s\n' % (HEX_A.encode(), HEX_B.encode()), 'f line 2: x is listed twice.'),
    (b'SHA256 (d/.x.1234.tmp) = ' + HEX_A.encode(), "f line 1: 'd/.x.1234.tmp' uses the staging temporary name pattern "
                                                    "(.*.tmp)."),
    (b'\xff\xfe', 'f: is not UTF-8 text.'),
])
def test_parse_checksum_rejects(text, message):
    with pytest.raises(FedoraBuildError) as err:
        staging.parse_checksum(text, 'f')
    assert err.value.msg == message


@pytest.mark.parametrize('args', [
    ['-o', 'StrictHostKeyChecking=no'], ['-oStrictHostKeyChecking no'], ['-o', 'UserKnownHostsFile=/dev/null'],
    ['-o', 'ProxyCommand=nc %h %p'], ['-o', 'PermitLocalCommand yes'], ['-o', 'stricthostkeychecking=accept-new'],
])
def test_ssh_args_that_weaken_host_keys_or_run_commands_are_refused(args):
    with pytest.raises(FedoraBuildError, match=r'^t: .* is not allowed \(host key checking stays on'):
        staging.check_ssh_args(args, 't')


def test_ssh_args_allowed():
    assert staging.check_ssh_args(['-o', 'ProxyJump=bastion', '-c', 'aes128-ctr'], 't') == [
        '-o', 'ProxyJump=bastion', '-c', 'aes128-ctr']
    with pytest.raises(FedoraBuildError):
        staging.check_ssh_args('-o x', 't')


@pytest.mark.parametrize('func, value, message', [
    (staging.check_host, '-oProxyCommand=x', "h: '-oProxyCommand=x' is not a host name or address."),
    (staging.check_host, 'a b', "h: 'a b' is not a host name or address."),
    (staging.check_user, 'root;id', "h: 'root;id' is not a user name."),
    (staging.check_port, 70000, 'h: 70000 is not a TCP port (1-65535).'),
    (staging.check_abs_path, 'srv/x', "h: 'srv/x' is not an absolute path."),
    (staging.check_abs_path, '/srv/../etc', "h: '/srv/../etc' must not contain \".\" or \"..\" parts."),
])
def test_connection_values_are_validated(func, value, message):
    with pytest.raises(FedoraBuildError) as err:
        func(value, 'h')
    assert err.value.msg == message


def test_plan_complete_resume_and_fresh():
    entries = staging.parse_checksum(CHECKSUM, 'c')
    state = staging.TargetState()
    mode, send, skip = staging.plan(entries, CHECKSUM, state)
    assert mode == 'resume' and [e.relpath for e in send] == ['images/boot.iso', 'logs/build.log', 'CHECKSUM']
    assert skip == []

    state.partial = {'images/boot.iso': (10, HEX_A), 'logs/build.log': (2, None)}   # the log is short: sent again
    mode, send, skip = staging.plan(entries, CHECKSUM, state)
    assert [e.relpath for e in send] == ['logs/build.log', 'CHECKSUM'] and [e.relpath for e in skip] == ['images/boot.iso']
    # the right size is not enough: a partial file counts only when its sha256 is the one CHECKSUM lists
    state.partial = {'images/boot.iso': (10, HEX_B), 'logs/build.log': (3, None)}
    mode, send, skip = staging.plan(entries, CHECKSUM, state)
    assert [e.relpath for e in send] == ['images/boot.iso', 'logs/build.log', 'CHECKSUM'] and skip == []

    state.final_checksum = CHECKSUM
    state.final_sizes = {'images/boot.iso': 10, 'logs/build.log': 3, 'CHECKSUM': len(CHECKSUM)}
    mode, send, skip = staging.plan(entries, CHECKSUM, state)
    assert mode == 'complete' and send == [] and len(skip) == 3

    state.final_sizes['images/boot.iso'] = 9      # a truncated image in the final dir: restage
    assert staging.plan(entries, CHECKSUM, state)[0] == 'resume'
    state.final_sizes['images/boot.iso'] = 10
    state.final_checksum = CHECKSUM.replace(b'10 bytes', b'11 bytes')  # another build's CHECKSUM: restage
    assert staging.plan(entries, CHECKSUM, state)[0] == 'resume'


def test_temp_names_are_hidden_and_beside_the_file():
    name = staging.tmp_name('images/boot.iso')
    assert name.startswith('images/.boot.iso.') and name.endswith('.tmp')
    assert staging.tmp_name('CHECKSUM').startswith('.CHECKSUM.')
