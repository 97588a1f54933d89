# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for koji_client: input parsing, sigkeys, filters, dedupe, session settings."""

from __future__ import annotations

import pytest

from ansible_collections.ondemand.fedora_build.plugins.module_utils import koji_client
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils.koji_client import (
    _dedupe, _excluded, normalize_sigkeys, parse_build_item, parse_task_item)


def test_normalize_sigkeys_lowercases_dedupes_and_keeps_order():
    assert normalize_sigkeys(['ABCDEF12', '', 'abcdef12', '12345678']) == ['abcdef12', '', '12345678']
    assert normalize_sigkeys(None) == ['']


@pytest.mark.parametrize('bad', ['xyz', '1234567', 'abcdefg1', '../x'])
def test_normalize_sigkeys_rejects_non_hex(bad):
    with pytest.raises(FedoraBuildError) as err:
        normalize_sigkeys([bad])
    assert err.value.msg.startswith('sigkeys: ') and 'is not a Koji signing key id' in err.value.msg


def test_normalize_sigkeys_rejects_empty_list():
    with pytest.raises(FedoraBuildError) as err:
        normalize_sigkeys([])
    assert err.value.msg.startswith('sigkeys: the list is empty')


@pytest.mark.parametrize('item, expected', [
    ('bash-5.2.26-3.fc40', 'bash-5.2.26-3.fc40'),
    (' 123 ', 123),
    (42, 42),
    ('python3-foo-1.0~rc1-0.1.fc41', 'python3-foo-1.0~rc1-0.1.fc41'),
])
def test_parse_build_item_accepts(item, expected):
    assert parse_build_item(item) == expected


@pytest.mark.parametrize('item', ['bash', 'bash-5.2', 'a b-1-1', True, 0, -1, '../../x-1-1'])
def test_parse_build_item_rejects_with_one_sentence(item):
    with pytest.raises(FedoraBuildError) as err:
        parse_build_item(item)
    assert err.value.msg.startswith('builds: ') and err.value.msg.endswith('.') and '\n' not in err.value.msg


@pytest.mark.parametrize('item', ['abc', 0, -5, True, '1.5'])
def test_parse_task_item_rejects(item):
    with pytest.raises(FedoraBuildError) as err:
        parse_task_item(item)
    assert err.value.msg.startswith('tasks: ')


def test_parse_task_item_accepts():
    assert parse_task_item('4242') == 4242


def test_build_and_task_ids_are_bounded_to_the_xmlrpc_i8_the_koji_client_sends():
    import koji.xmlrpcplus
    top = 2 ** 63 - 1
    assert parse_build_item(top) == top and parse_build_item(str(top)) == top and parse_task_item(top) == top
    koji.xmlrpcplus.dumps((top,), 'getBuild')             # the largest one still goes on the wire (<i8>)
    with pytest.raises(OverflowError):
        koji.xmlrpcplus.dumps((top + 1,), 'getBuild')     # one more never could
    for parse, field, what in ((parse_build_item, 'builds', 'build'), (parse_task_item, 'tasks', 'task')):
        for item in (top + 1, str(top + 1), 10 ** 30):
            with pytest.raises(FedoraBuildError) as err:
                parse(item)
            assert err.value.msg == '%s: %d is larger than any Koji %s ID can be (XML-RPC i8, at most %d).' % (
                field, int(item), what, top)


def test_exclude_globs_match_names_exactly():
    pats = koji_client.DEFAULT_EXCLUDE
    assert _excluded('glibc-debuginfo', pats)
    assert _excluded('glibc-debuginfo-common', pats)
    assert _excluded('gcc-debugsource', pats)
    assert not _excluded('debuginfod', pats)
    assert not _excluded('glibc', pats)
    assert not _excluded('anything', [])


def _pkg(nvra, nvr, name, arch):
    return {'nvra': nvra, 'nvr': nvr, 'name': name, 'arch': arch}


def test_dedupe_drops_repeats_and_sorts():
    a = _pkg('b-1-1.x86_64', 'b-1-1', 'b', 'x86_64')
    b = _pkg('a-1-1.noarch', 'a-1-1', 'a', 'noarch')
    assert [p['nvra'] for p in _dedupe([a, b, dict(a)])] == ['a-1-1.noarch', 'b-1-1.x86_64']


def test_dedupe_refuses_two_builds_of_one_package():
    with pytest.raises(FedoraBuildError) as err:
        _dedupe([_pkg('a-1-1.x86_64', 'a-1-1', 'a', 'x86_64'), _pkg('a-2-1.x86_64', 'a-2-1', 'a', 'x86_64')])
    assert err.value.msg == 'builds: package a.x86_64 comes from two different builds (a-1-1 and a-2-1); pin only one.'


def test_same_name_other_arch_is_fine():
    out = _dedupe([_pkg('a-1-1.x86_64', 'a-1-1', 'a', 'x86_64'), _pkg('a-1-1.i686', 'a-1-1', 'a', 'i686')])
    assert len(out) == 2


@pytest.mark.skipif(not koji_client.HAS_KOJI, reason='koji library not installed')
def test_make_session_needs_urls_and_reads_profiles(tmp_path, monkeypatch):
    with pytest.raises(FedoraBuildError) as err:
        koji_client.make_session(topurl='http://x/kojifiles')
    assert err.value.msg.startswith('hub_url: no Koji hub URL given')
    with pytest.raises(FedoraBuildError) as err:
        koji_client.make_session(hub_url='http://x/kojihub')
    assert err.value.msg.startswith('topurl: no Koji top URL given')
    # a profile the koji CLI would read from ~/.koji/config.d
    home = tmp_path / 'home'
    (home / '.koji' / 'config.d').mkdir(parents=True)
    (home / '.koji' / 'config.d' / 'lab.conf').write_text(
        '[labkoji]\nserver = http://hub.example.invalid/kojihub\ntopurl = http://files.example.invalid/kojifiles\n')
    monkeypatch.setenv('HOME', str(home))
    session, hub, top = koji_client.make_session(profile='labkoji')
    assert (hub, top) == ('http://hub.example.invalid/kojihub', 'http://files.example.invalid/kojifiles')
    assert session.baseurl == hub and session.opts['anon_retry'] is True
    with pytest.raises(FedoraBuildError) as err:
        koji_client.make_session(profile='no-such-profile-here')
    assert err.value.msg.startswith('koji_profile: ')


@pytest.mark.skipif(not koji_client.HAS_KOJI, reason='koji library not installed')
def test_auth_settings_are_checked_before_any_login():
    with pytest.raises(FedoraBuildError) as err:
        koji_client.make_session(hub_url='http://127.0.0.1:9/kojihub', topurl='http://x', auth='ssl')
    assert err.value.msg == 'client_cert: auth is "ssl" but no client certificate was given.'
    with pytest.raises(FedoraBuildError) as err:
        koji_client.make_session(hub_url='http://127.0.0.1:9/kojihub', topurl='http://x', auth='password', username='u')
    assert err.value.msg == 'username: auth is "password" but username or password is missing.'
