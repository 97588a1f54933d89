# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""kickstart preparation against a Fedora spin-kickstarts style tree, the real ksflatten and
ksvalidator commands, and sources served by real HTTP and FTP servers on loopback."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ansible_collections.ondemand.fedora_build.plugins.module_utils import kickstart as ks
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils.kickstart_fetch import Fetcher
from support.skips import require_module

require_module('pykickstart')

DATA = Path(__file__).resolve().parent / 'data' / 'kickstarts'
BROKEN = DATA / 'broken'
BIN = Path(sys.executable).parent
SPINS = ['fedora-live-workstation.ks', 'fedora-live-base.ks', 'fedora-repo.ks']


def ksflatten(path, version, cwd):
    """The real ksflatten command (from the venv's pykickstart) run in cwd."""
    # 'ksflatten -v DEVEL' fails in pykickstart 3.78 (makeVersion('DEVEL') looks for a 'devel' handler module);
    # without -v it uses the DEVEL constant.
    argv = [str(BIN / 'ksflatten'), '-c', str(path)] + ([] if version == 'DEVEL' else ['-v', version])
    proc = subprocess.run(argv, cwd=str(cwd),
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def ksvalidator(path, version):
    # ksvalidator copies the file to a temp dir first, so relative includes resolve against its cwd
    proc = subprocess.run([str(BIN / 'ksvalidator'), '-i', '-v', version, str(path)], cwd=str(Path(path).parent),
                          capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def error_of(func, *args, **kwargs):
    with pytest.raises(FedoraBuildError) as info:
        func(*args, **kwargs)
    return info.value


@pytest.fixture
def tree(tmp_path):
    """A copy of the data tree (tests may edit it)."""
    root = tmp_path / 'spin-kickstarts'
    shutil.copytree(str(DATA), str(root))
    return root


# --- the spin tree vs. ksflatten -----------------------------------------------------------------
@pytest.mark.parametrize('version', ['F41', 'F42', 'DEVEL'])
@pytest.mark.parametrize('spin', SPINS)
def test_flatten_equals_ksflatten_command(spin, version):
    ours = ks.flatten(str(DATA / spin), Fetcher(), version=version)['text']
    assert ours == ksflatten(spin, version, cwd=DATA)


def test_flatten_with_ksappend_equals_ksflatten_of_preprocessed_file(tmp_path):
    ours = ks.flatten(str(DATA / 'fedora-live-minimal.ks'), Fetcher())
    assert ours['version_name'] == 'F41'
    pre = tmp_path / 'preprocessed.ks'
    # what anaconda / ksvalidator do first: splice %ksappend files into the text
    body = []
    for line in (DATA / 'fedora-live-minimal.ks').read_text().splitlines(True):
        if line.startswith('%ksappend '):
            body.append((DATA / line.split()[1]).read_text())
        else:
            body.append(line)
    pre.write_text(''.join(body))
    assert ours['text'] == ksflatten(pre, 'F41', cwd=DATA)
    assert 'timezone Europe/Prague --utc' in ours['text']


def test_spin_result_passes_real_ksvalidator(tmp_path):
    result = ks.prepare(str(DATA / 'fedora-live-base.ks'), version='41',
                        side_repo={'name': 'fb-side', 'baseurl': 'file:///var/lib/fedora-build/job1/side', 'cost': 10,
                                   'packages': ['anaconda', 'dracut-live']},
                        packages=['vim-enhanced'], exclude_packages=['gnome-tour'], remove_repos=['updates'])
    out = tmp_path / 'final.ks'
    out.write_text(result['text'])
    rc, output = ksvalidator(out, 'F41')
    assert rc == 0, output
    assert 'repo --name="fedora" --mirrorlist=https://mirrors.fedoraproject.org/mirrorlist?repo=fedora-$releasever' \
           '&arch=$basearch --excludepkgs="anaconda,dracut-live"\n' in result['text']
    assert 'repo --name="fb-side" --baseurl=file:///var/lib/fedora-build/job1/side --cost=10\n' in result['text']
    assert 'updates' not in [r['name'] for r in result['repos']]
    # %post of the base file survives byte for byte (heredoc and rpm query format included)
    post = (DATA / 'fedora-live-base.ks').read_text().split('%post\n', 1)[1].split('%end\n', 1)[0]
    assert '%post\n' + post + '%end\n' in result['text']


def test_workstation_duplicate_partition_warns_and_strict_fails(tree):
    result = ks.prepare(str(tree / 'fedora-live-workstation.ks'), version='F41')
    assert result['warnings'] == ['%s line 13: A partition with the mountpoint / has already been defined.'
                                  % (tree / 'fedora-live-workstation.ks')]
    err = error_of(ks.prepare, str(tree / 'fedora-live-workstation.ks'), version='F41', strict=True)
    assert err.msg == result['warnings'][0]
    # ksvalidator rejects the same input for the same reason
    rc, output = ksvalidator(tree / 'fedora-live-workstation.ks', 'F41')
    assert rc != 0 and 'A partition with the mountpoint / has already been defined.' in output


# --- broken inputs: the expected one-sentence errors ------------------------------------------
def test_broken_syntax_error():
    # the broken kickstarts include ../ files: the operator's include_path lets them reach DATA
    err = error_of(ks.prepare, str(BROKEN / 'syntax-error.ks'), version='F41', include_path=[str(DATA)])
    assert err.msg == '%s line 5: Unknown command: keybaord.' % (BROKEN / 'syntax-error.ks')


def test_broken_missing_include():
    err = error_of(ks.prepare, str(BROKEN / 'missing-include.ks'), version='F41', include_path=[str(DATA)])
    assert err.msg == '%s line 3: %%include file fedora-missing-common.ks was not found (looked for %s, %s).' % (
        BROKEN / 'missing-include.ks', BROKEN / 'fedora-missing-common.ks', DATA / 'fedora-missing-common.ks')


def test_broken_missing_include_found_through_include_path(tmp_path):
    (tmp_path / 'fedora-missing-common.ks').write_text('%packages\nvim\n%end\n')
    result = ks.prepare(str(BROKEN / 'missing-include.ks'), version='F41', include_path=[str(DATA), str(tmp_path)])
    assert result['sources'][-1] == str(tmp_path / 'fedora-missing-common.ks')


def test_broken_include_loop_where_ksflatten_recurses_forever():
    proc = subprocess.run([str(BIN / 'ksflatten'), '-c', 'loop-a.ks'], cwd=str(BROKEN), capture_output=True,
                          text=True, check=False)
    assert proc.returncode != 0 and 'RecursionError' in proc.stderr
    err = error_of(ks.prepare, str(BROKEN / 'loop-a.ks'))
    a, b = BROKEN / 'loop-a.ks', BROKEN / 'loop-b.ks'
    assert err.msg == ('%s line 3: include loop: %%include loop-a.ks reads a file that is already being read '
                       '(%s -> %s -> %s).' % (b, a, b, a))


def test_broken_unsupported_command_for_version():
    err = error_of(ks.prepare, str(BROKEN / 'removed-command.ks'), include_path=[str(DATA)])
    assert err.msg == '%s line 4: install has been removed.' % (BROKEN / 'removed-command.ks')


def test_deprecated_command_warning_for_version():
    result = ks.prepare(str(BROKEN / 'deprecated-command.ks'), version='F42', include_path=[str(DATA)])
    assert len(result['warnings']) == 1
    assert result['warnings'][0].startswith('%s line 2: Ignoring deprecated command on line 2: The module command has '
                                            'been deprecated' % (BROKEN / 'deprecated-command.ks'))


@pytest.mark.parametrize('src,scheme', [('file://%s' % (DATA / 'fedora-repo.ks'), 'file'),
                                        ('sftp://127.0.0.1/ks/fedora-repo.ks', 'sftp')])
def test_broken_non_allowed_scheme(src, scheme):
    err = error_of(ks.prepare, src)
    assert err.msg == ('src: URL scheme %r is not allowed for kickstart sources (use a path on the node, or an http, '
                       'https or ftp URL).' % scheme)


# --- remote sources ---------------------------------------------------------------------------
def local_text(spin='fedora-live-workstation.ks', **kwargs):
    return ks.prepare(str(DATA / spin), version='F41', **kwargs)['text']


def test_http_source_with_relative_includes(file_server):
    http = file_server(DATA)
    url = http.url_for('fedora-live-workstation.ks')
    result = ks.prepare(url, version='F41', checksum='sha256:' + hashlib.sha256(
        (DATA / 'fedora-live-workstation.ks').read_bytes()).hexdigest())
    assert result['text'] == local_text()
    assert result['sources'] == [http.url_for(n) for n in (
        'fedora-live-workstation.ks', 'fedora-live-base.ks', 'fedora-repo.ks', 'fedora-repo-not-rawhide.ks',
        'fedora-workstation-common.ks', 'snippets/packagekit-cached-metadata.ks')]


def test_http_source_includes_from_include_path(file_server, tmp_path):
    web = tmp_path / 'web'
    web.mkdir()
    shutil.copy(str(DATA / 'fedora-live-workstation.ks'), str(web))
    http = file_server(web)
    result = ks.prepare(http.url_for('fedora-live-workstation.ks'), version='F41', include_path=[str(DATA)])
    assert result['text'] == local_text()
    assert result['sources'][1] == str(DATA / 'fedora-live-base.ks')
    # the 404 for the URL-relative try was really asked for, then the include_path copy was used
    assert ('GET', '/fedora-live-base.ks') in [(m, p) for m, p, _h in http.requests]


def test_ftp_source_with_password_and_relative_includes(ftp_server):
    ftp = ftp_server(DATA, user='ks', password='s3cret-pw', writable=False)
    result = ks.prepare(ftp.url + '/fedora-live-workstation.ks', version='F41')
    assert result['text'] == local_text()
    assert result['sources'][1] == 'ftp://%s:%d/fedora-live-base.ks' % (ftp.host, ftp.port)
    assert all('s3cret-pw' not in s and 'ks@' not in s for s in result['sources'])


def test_ftp_missing_include(ftp_server, tmp_path):
    root = tmp_path / 'ftp'
    root.mkdir()
    shutil.copy(str(BROKEN / 'missing-include.ks'), str(root))
    ftp = ftp_server(root, user='ks', password='pw')
    err = error_of(ks.prepare, ftp.url + '/missing-include.ks', version='F41')
    # ../ at the server's root stays at the root (RFC 3986), inside the kickstart's own source
    assert err.msg == ('ftp://%s:%d/missing-include.ks line 2: %%include file ../fedora-live-base.ks was not found '
                       '(looked for ftp://%s:%d/fedora-live-base.ks).' % (ftp.host, ftp.port, ftp.host, ftp.port))


@pytest.mark.parametrize('kind', ['http', 'ftp'])
def test_oversized_download(kind, file_server, ftp_server):
    if kind == 'http':
        url = file_server(DATA).url_for('fedora-live-base.ks')
    else:
        url = ftp_server(DATA, user='ks', password='pw').url + '/fedora-live-base.ks'
    size = (DATA / 'fedora-live-base.ks').stat().st_size
    err = error_of(ks.prepare, url, max_size=1000)
    label = url.replace('ks:pw@', '')
    if kind == 'http':      # the server announces the size
        assert err.msg == '%s: download is %d bytes, more than the limit of 1000 bytes (max_size).' % (label, size)
    else:                   # counted while reading
        assert err.msg == '%s: download is more than the limit of 1000 bytes (max_size).' % label


def test_oversized_include_is_reported_at_the_include_line(file_server):
    http = file_server(DATA)
    err = error_of(ks.prepare, http.url_for('fedora-live-workstation.ks'), max_size=2000)
    top, base = http.url_for('fedora-live-workstation.ks'), http.url_for('fedora-live-base.ks')
    size = (DATA / 'fedora-live-base.ks').stat().st_size
    assert err.msg == ('%s line 5: %%include fedora-live-base.ks cannot be read: %s: download is %d bytes, more than '
                       'the limit of 2000 bytes (max_size).' % (top, base, size))


def test_http_errors_timeout_truncation_and_checksum(file_server):
    http = file_server(DATA)
    url = http.url_for('fedora-repo.ks')
    assert error_of(ks.prepare, http.url_for('nope.ks')).msg == '%s: not found (HTTP 404).' % http.url_for('nope.ks')
    http.set_error('/fedora-repo.ks', 503, times=1)
    assert error_of(ks.prepare, url).msg == '%s: download failed with HTTP 503 Service Unavailable.' % url
    http.set_delay('/fedora-repo.ks', 3)
    assert error_of(ks.prepare, url, timeout=1).msg == '%s: no answer within 1 seconds (timeout).' % url
    http.clear_faults()
    http.set_truncate('/fedora-repo.ks', 10)
    size = (DATA / 'fedora-repo.ks').stat().st_size
    assert error_of(ks.prepare, url).msg == '%s: download ended after 10 of %d bytes.' % (url, size)
    http.clear_faults()
    err = error_of(ks.prepare, url, checksum='sha256:' + 'f' * 64)
    assert err.msg.startswith('src: sha256 of %s is ' % url)


def test_connection_refused(file_server):
    http = file_server(DATA)
    url = http.url_for('fedora-repo.ks')
    http.stop()
    assert error_of(ks.prepare, url).msg.startswith('%s: download failed (' % url)


def test_local_file_including_urls_is_refused_unfetched(file_server, tmp_path):
    """A kickstart on the node includes from its own directory or include_path, never from a URL."""
    http = file_server(DATA)
    (tmp_path / 'top.ks').write_text('lang en_US.UTF-8\n%%include %s\n' % http.url_for('fedora-repo.ks'))
    err = error_of(ks.prepare, str(tmp_path / 'top.ks'), version='F41')
    assert err.msg == ("%s line 2: %%include %s is refused: it is outside the kickstart's own source and the operator's "
                       "include_path (%s/), so it was not read." % (tmp_path / 'top.ks', http.url_for('fedora-repo.ks'),
                                                                    tmp_path))
    assert http.requests == []
    (tmp_path / 'top.ks').write_text('lang en_US.UTF-8\n\n%include nfs://server/export/repo.ks\n')
    err = error_of(ks.prepare, str(tmp_path / 'top.ks'))
    assert err.msg.startswith("%s line 3: %%include nfs://server/export/repo.ks is refused: it is outside the "
                              "kickstart's own source" % (tmp_path / 'top.ks'))


# --- redirects (followed one hop at a time, each checked before it is followed) ---------------------------------
def test_redirect_inside_the_source_is_followed_without_the_credentials(file_server):
    http = file_server(DATA)
    http.set_redirect('/moved/fedora-repo-not-rawhide.ks', http.url_for('fedora-repo-not-rawhide.ks'))
    url = http.url_for('moved/fedora-repo-not-rawhide.ks').replace('http://', 'http://ks:s3cret-pw@')
    text = ks.prepare(url)['text']
    assert text == ks.prepare(str(DATA / 'fedora-repo-not-rawhide.ks'))['text']
    first, second = [headers for _m, _p, headers in http.requests]
    assert first.get('Authorization', '').startswith('Basic ')
    assert 'Authorization' not in second


@pytest.mark.parametrize('target', ['file:///etc/passwd', 'gopher://127.0.0.1/x'])
def test_redirect_to_a_scheme_outside_the_allowlist_is_refused(file_server, target):
    http = file_server(DATA)
    http.set_redirect('/fedora-repo.ks', target)
    url = http.url_for('fedora-repo.ks')
    assert error_of(ks.prepare, url).msg == ('%s: the server redirected to %s, which is not an http, https or ftp URL, '
                                             'so it was not followed.' % (url, target))


def test_redirect_of_an_include_may_not_leave_the_confined_base(file_server, tmp_path):
    http, other = file_server(DATA), file_server(DATA)
    http.set_redirect('/fedora-live-base.ks', other.url_for('fedora-live-base.ks'))
    err = error_of(ks.prepare, http.url_for('fedora-live-workstation.ks'), version='F41')
    assert err.msg == ("%s line 5: %%include fedora-live-base.ks cannot be read: %s: the server redirected to %s, "
                       "outside the kickstart's own source and the operator's include_path, so it was not followed."
                       % (http.url_for('fedora-live-workstation.ks'), http.url_for('fedora-live-base.ks'),
                          other.url_for('fedora-live-base.ks')))
    assert other.requests == []
    # a redirect that stays under the top kickstart's directory is followed
    web = tmp_path / 'web'
    shutil.copytree(str(DATA), str(web / 'ks'))
    inside = file_server(web)
    inside.set_redirect('/ks/fedora-live-base.ks', inside.url_for('ks/snippets/../fedora-live-base.ks'))
    assert error_of(ks.prepare, inside.url_for('ks/fedora-live-workstation.ks'), version='F41').msg.endswith(
        'so it was not followed.')   # ".." in a redirect is refused like ".." in an include
    inside.set_redirect('/ks/fedora-live-base.ks', '/ks/snippets/base-copy.ks')
    shutil.copy(str(DATA / 'fedora-live-base.ks'), str(web / 'ks/snippets/base-copy.ks'))
    assert ks.prepare(inside.url_for('ks/fedora-live-workstation.ks'), version='F41')['text'] == local_text()


def test_redirect_loop_ends(file_server):
    http = file_server(DATA)
    http.set_redirect('/fedora-repo.ks', '/fedora-repo.ks')
    url = http.url_for('fedora-repo.ks')
    assert error_of(ks.prepare, url).msg == '%s: more than 10 redirects.' % url
    assert len(http.requests) == 11


def test_netrc_credentials_never_go_to_a_request_written_url(file_server, tmp_path, monkeypatch):
    http = file_server(DATA)
    netrc = tmp_path / 'netrc'
    netrc.write_text('machine 127.0.0.1 login root password node-secret\n')
    netrc.chmod(0o600)
    monkeypatch.setenv('NETRC', str(netrc))
    ks.prepare(http.url_for('fedora-repo-not-rawhide.ks'))
    assert [h.get('Authorization') for _m, _p, h in http.requests] == [None]
