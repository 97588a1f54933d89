# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""kickstart_fetch: source checks, limits and checksums for local files (remote reads: tests/functional)."""

from __future__ import annotations

import hashlib

import pytest

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils import kickstart_fetch as kf


def error_of(func, *args, **kwargs):
    with pytest.raises(FedoraBuildError) as info:
        func(*args, **kwargs)
    return info.value


@pytest.mark.parametrize('location,scheme', [
    ('file:///etc/passwd', 'file'), ('nfs://server/ks.cfg', 'nfs'), ('git+https://host/repo', 'git+https'),
    ('HDFS://x/y', 'hdfs'), ('scp://host/ks', 'scp'),
])
def test_other_schemes_refused_in_one_sentence(location, scheme):
    err = error_of(kf.check_location, location)
    assert err.msg == ('src: URL scheme %r is not allowed for kickstart sources (use a path on the node, '
                       'or an http, https or ftp URL).' % scheme)


@pytest.mark.parametrize('location', ['/srv/ks/a.ks', 'relative/a.ks', 'http://h/a.ks', 'HTTPS://h/a.ks',
                                      'ftp://u:p@h:2121/a.ks'])
def test_allowed_locations(location):
    assert kf.check_location(location) == location


def test_url_without_host_and_empty():
    assert error_of(kf.check_location, 'http:///a.ks').msg == "src: 'http:///a.ks' has no host."
    assert error_of(kf.check_location, '  ').msg == 'src: a path or an http, https or ftp URL is required.'


def test_parse_checksum():
    digest = 'AB' * 32
    assert kf.parse_checksum('sha256:' + digest) == digest.lower()
    assert kf.parse_checksum(None) is None
    for bad in ('sha256:abc', 'sha1:' + 'a' * 40, 'a' * 64):
        assert error_of(kf.parse_checksum, bad).msg.startswith('checksum: %r is not a checksum' % bad)


def test_local_read_and_labels(tmp_path):
    (tmp_path / 'a.ks').write_text('lang en_US.UTF-8\n')
    (tmp_path / 'link.ks').symlink_to(tmp_path / 'a.ks')
    fetcher = kf.Fetcher()
    label, text = fetcher.load(str(tmp_path / 'link.ks'))
    assert label == str(tmp_path / 'a.ks') and text == 'lang en_US.UTF-8\n'
    assert fetcher.join(label, 'b.ks') == str(tmp_path / 'b.ks')
    assert fetcher.join(label, '/abs/c.ks') == '/abs/c.ks'


def test_local_size_limit_and_checksum(tmp_path):
    data = b'# x\n' * 300
    (tmp_path / 'big.ks').write_bytes(data)
    err = error_of(kf.Fetcher(max_size=1000).load, str(tmp_path / 'big.ks'))
    assert err.msg == '%s: file is 1200 bytes, more than the limit of 1000 bytes (max_size).' % (tmp_path / 'big.ks')
    good = hashlib.sha256(data).hexdigest()
    assert kf.Fetcher().load(str(tmp_path / 'big.ks'), checksum=good)[1] == data.decode()
    err = error_of(kf.Fetcher().load, str(tmp_path / 'big.ks'), checksum='0' * 64)
    assert err.msg == 'src: sha256 of %s is %s, not the expected %s.' % (tmp_path / 'big.ks', good, '0' * 64)


def test_missing_and_directory(tmp_path):
    err = error_of(kf.Fetcher().load, str(tmp_path / 'nope.ks'))
    assert isinstance(err, kf.NotFound)
    assert err.msg == '%s: file does not exist.' % (tmp_path / 'nope.ks')
    err = error_of(kf.Fetcher().load, str(tmp_path))
    assert err.msg == '%s: is a directory, not a kickstart file.' % tmp_path


def test_remote_labels_hide_passwords_but_joins_keep_them():
    fetcher = kf.Fetcher()
    url = 'ftp://stage:s3cret@127.0.0.1:2121/ks/spin.ks'
    assert kf.display_url(url) == 'ftp://127.0.0.1:2121/ks/spin.ks'
    fetcher.locations['ftp://127.0.0.1:2121/ks/spin.ks'] = url
    assert fetcher.join('ftp://127.0.0.1:2121/ks/spin.ks', 'base.ks') == 'ftp://stage:s3cret@127.0.0.1:2121/ks/base.ks'
    assert fetcher.join('http://h/a/b.ks', '../c.ks') == 'http://h/c.ks'


@pytest.mark.parametrize('kwargs,message', [
    ({'timeout': 0}, 'timeout: 0 is not a positive number of seconds.'),
    ({'max_size': -5}, 'max_size: -5 is not a positive number of bytes.'),
])
def test_bad_limits(kwargs, message):
    assert error_of(kf.Fetcher, **kwargs).msg == message


@pytest.mark.parametrize('url,secrets', [
    ('https://builder:p%40ss@ks.example.org/a.ks', ['builder:p%40ss', 'p%40ss', 'p@ss']),
    ('https://ghp_0123456789abcdef@ks.example.org/a.ks', ['ghp_0123456789abcdef']),
    ('https://ks@ks.example.org/a.ks', []),          # a short user name alone is not masked everywhere
    ('https://ks.example.org/a.ks', []),
    ('/srv/ks/a.ks', []),
])
def test_url_secrets_for_no_log(url, secrets):
    assert sorted(set(kf.url_secrets(url))) == sorted(set(secrets))


def test_messages_lose_user_information():
    text = 'x ftp://u:pw@h/a.ks and https://tok@h:8443/b?c=d@e'
    assert kf.strip_userinfo(text) == 'x ftp://h/a.ks and https://h:8443/b?c=d@e'
    assert kf.hide_secrets('nonnumeric port: pw@h', 'ftp://u:pw@h/a.ks') == 'nonnumeric port: ********@h'
