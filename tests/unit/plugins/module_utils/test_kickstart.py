# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""kickstart module_utils: flattening against pykickstart's own path, errors, transforms, writing."""

from __future__ import annotations

import os

import pytest

from ansible_collections.ondemand.fedora_build.plugins.module_utils import kickstart as ks
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils.kickstart_fetch import Fetcher


from pykickstart.parser import KickstartParser, preprocessKickstart  # noqa: E402  pylint: disable=wrong-import-position
from pykickstart.version import makeVersion, stringToVersion  # noqa: E402  pylint: disable=wrong-import-position

BASE = """\
# base: commands, a repo include and scripts
lang en_US.UTF-8
keyboard us
timezone UTC
rootpw --lock
%include repos.ks

%pre --interpreter=/bin/bash
echo "pre $((1 + 1))" > /tmp/pre.log
%end

%packages --excludedocs
@core
kernel
-nano
%end
"""
REPOS = """\
repo --name=fedora --mirrorlist=https://mirrors.fedoraproject.org/mirrorlist?repo=fedora-$releasever&arch=$basearch
repo --name=updates --baseurl=http://mirror.example.org/updates/$releasever/ --excludepkgs=foo
url --url=http://mirror.example.org/fedora/
"""
SPIN = """\
#version=F41
%include base.ks
%include snippets/extra.ks
part / --size 4096

%post --log=/root/post.log
cat > /etc/motd << EOF
Welcome to %{name} $HOSTNAME
EOF
%end
"""
EXTRA = """\
%packages
vim-minimal
%end
"""


def tree(root, files):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding='utf-8')
    return root


@pytest.fixture
def spin(tmp_path):
    tree(tmp_path, {'base.ks': BASE, 'repos.ks': REPOS, 'spin.ks': SPIN, 'snippets/extra.ks': EXTRA})
    return tmp_path


def ksflatten_text(path, version):
    """What ksflatten writes: KickstartParser(makeVersion(v)).readKickstart(path) -> str(handler).

    Run from the file's directory, as ksflatten is usually run (pykickstart also tries the
    current directory for relative includes).
    """
    old = os.getcwd()
    os.chdir(os.path.dirname(str(path)))
    try:
        parser = KickstartParser(makeVersion(stringToVersion(version)))
        parser.readKickstart(str(path))
        return str(parser.handler)
    finally:
        os.chdir(old)


def error_of(func, *args, **kwargs):
    with pytest.raises(FedoraBuildError) as info:
        func(*args, **kwargs)
    return info.value


# --- flattening ---------------------------------------------------------------------------------
def test_flatten_equals_ksflatten(spin):
    flat = ks.flatten(str(spin / 'spin.ks'), Fetcher(), version='F41')
    assert flat['text'] == ksflatten_text(spin / 'spin.ks', 'F41')
    assert flat['version_name'] == 'F41'
    assert flat['sources'] == [str(spin / n) for n in ('spin.ks', 'base.ks', 'repos.ks', 'snippets/extra.ks')]


def test_flatten_keeps_scripts_and_packages(spin):
    text = ks.flatten(str(spin / 'spin.ks'), Fetcher())['text']
    assert '\n%pre --interpreter=/bin/bash\necho "pre $((1 + 1))" > /tmp/pre.log\n%end\n' in text
    assert '\n%post --logfile=/root/post.log\ncat > /etc/motd << EOF\nWelcome to %{name} $HOSTNAME\nEOF\n%end\n' in text
    # the second %packages header (extra.ks) resets the options, as in pykickstart; the entries are merged
    assert '\n%packages\n@core\nkernel\nvim-minimal\n-nano\n\n%end\n' in text
    assert '%include' not in text


def test_version_from_file_line_and_default(spin):
    assert ks.flatten(str(spin / 'spin.ks'), Fetcher())['version_name'] == 'F41'
    devel = ks.versionToString(ks.stringToVersion('DEVEL'), skipDevel=True)
    assert ks.flatten(str(spin / 'base.ks'), Fetcher())['version_name'] == devel


@pytest.mark.parametrize('value,name', [('41', 'F41'), ('F42', 'F42'), ('f40', 'F40'), ('RHEL9', 'RHEL9'),
                                        (40, 'F40')])
def test_resolve_version(value, name):
    assert ks.resolve_version(value)[1] == name


def test_resolve_version_rawhide_and_future():
    devel = ks.versionToString(ks.stringToVersion('DEVEL'), skipDevel=True)
    assert ks.resolve_version('rawhide')[1] == devel
    constant, name, notes = ks.resolve_version('999')
    assert name == devel and constant == ks.stringToVersion('DEVEL')
    assert notes and notes[0].startswith('version: Fedora 999 is newer than pykickstart')


@pytest.mark.parametrize('value', ['F4x', 'fedora', '0'])
def test_resolve_version_bad(value):
    err = error_of(ks.resolve_version, value)
    assert err.msg.startswith('version: ')


def test_relative_include_from_include_path(tmp_path):
    tree(tmp_path, {'checkout/repos.ks': REPOS, 'job/spin.ks': 'lang en_US.UTF-8\n%include repos.ks\n'})
    err = error_of(ks.flatten, str(tmp_path / 'job/spin.ks'), Fetcher())
    assert err.msg == ('%s line 2: %%include file repos.ks was not found (looked for %s).'
                       % (tmp_path / 'job/spin.ks', tmp_path / 'job/repos.ks'))
    flat = ks.flatten(str(tmp_path / 'job/spin.ks'), Fetcher(), include_path=[str(tmp_path / 'checkout')])
    assert 'repo --name="updates"' in flat['text']
    assert flat['sources'][-1] == str(tmp_path / 'checkout/repos.ks')


def test_include_beside_the_file_wins_over_include_path(tmp_path):
    tree(tmp_path, {'a/x.ks': 'lang de_DE.UTF-8\n', 'b/x.ks': 'lang fr_FR.UTF-8\n', 'a/top.ks': '%include x.ks\n'})
    text = ks.flatten(str(tmp_path / 'a/top.ks'), Fetcher(), include_path=[str(tmp_path / 'b')])['text']
    assert 'lang de_DE.UTF-8' in text


def test_ksappend_is_inlined_like_preprocess(tmp_path):
    tree(tmp_path, {'top.ks': 'lang en_US.UTF-8\n%ksappend site.ks\nkeyboard us\n', 'site.ks': 'timezone Europe/Prague\n'})
    flat = ks.flatten(str(tmp_path / 'top.ks'), Fetcher())
    assert 'timezone Europe/Prague' in flat['text']
    # the same as ksflatten of the file that preprocessKickstart produces (what ksvalidator parses)
    old = os.getcwd()
    os.chdir(str(tmp_path))
    try:
        pre = preprocessKickstart('top.ks')
        try:
            assert flat['text'] == ksflatten_text(pre, 'DEVEL')
        finally:
            os.unlink(pre)
    finally:
        os.chdir(old)
    assert flat['sources'] == [str(tmp_path / 'top.ks'), str(tmp_path / 'site.ks')]


# --- broken inputs: one sentence naming file, line and problem ---------------------------------
def test_unknown_command_names_file_and_line(tmp_path):
    tree(tmp_path, {'bad.ks': 'lang en_US.UTF-8\n\nfrobnicate --now\n'})
    err = error_of(ks.flatten, str(tmp_path / 'bad.ks'), Fetcher())
    assert err.msg == '%s line 3: Unknown command: frobnicate.' % (tmp_path / 'bad.ks')
    assert err.result == {'file': str(tmp_path / 'bad.ks'), 'line': 3}


def test_error_in_included_file_names_that_file(spin):
    (spin / 'snippets/extra.ks').write_text('%packages\nvim\n%end\nbootloader --bogus-option\n')
    err = error_of(ks.flatten, str(spin / 'spin.ks'), Fetcher())
    assert err.msg.startswith('%s line 4: ' % (spin / 'snippets/extra.ks'))
    assert '--bogus-option' in err.msg
    assert '\n' not in err.msg


def test_unterminated_section(tmp_path):
    tree(tmp_path, {'bad.ks': 'lang en_US.UTF-8\n%post\necho hi\n'})
    err = error_of(ks.flatten, str(tmp_path / 'bad.ks'), Fetcher(), version='F41')
    assert err.msg.startswith('%s line ' % (tmp_path / 'bad.ks'))
    assert 'Section %post does not end with %end.' in err.msg


def test_unbalanced_quote_is_an_error_not_a_traceback(tmp_path):
    tree(tmp_path, {'bad.ks': 'lang en_US.UTF-8\nrootpw "unterminated\n'})
    err = error_of(ks.flatten, str(tmp_path / 'bad.ks'), Fetcher())
    assert err.msg.startswith('%s line 2: No closing quotation' % (tmp_path / 'bad.ks'))


def test_removed_command_for_version(tmp_path):
    tree(tmp_path, {'old.ks': 'lang en_US.UTF-8\ninstall\nauth --useshadow\n'})
    err = error_of(ks.flatten, str(tmp_path / 'old.ks'), Fetcher(), version='F41')
    assert err.msg == '%s line 2: install has been removed.' % (tmp_path / 'old.ks')
    # the same file is fine for a version that still had the command (and warns about auth there)
    flat = ks.flatten(str(tmp_path / 'old.ks'), Fetcher(), version='F28')
    assert any('authconfig command will be deprecated' in w for w in flat['warnings'])


def test_deprecated_command_is_a_warning_with_file_and_line(tmp_path):
    tree(tmp_path, {'dep.ks': 'lang en_US.UTF-8\n\nmodule --name=nodejs --stream=18\n'})
    flat = ks.flatten(str(tmp_path / 'dep.ks'), Fetcher(), version='F41')
    assert len(flat['warnings']) == 1
    assert flat['warnings'][0].startswith('%s line 3: ' % (tmp_path / 'dep.ks'))
    assert 'module command has been deprecated' in flat['warnings'][0]


def test_include_loop_refused(tmp_path):
    tree(tmp_path, {'a.ks': 'lang en_US.UTF-8\n%include b.ks\n', 'b.ks': 'keyboard us\n\n%include a.ks\n'})
    err = error_of(ks.flatten, str(tmp_path / 'a.ks'), Fetcher())
    a, b = str(tmp_path / 'a.ks'), str(tmp_path / 'b.ks')
    assert err.msg == ('%s line 3: include loop: %%include a.ks reads a file that is already being read (%s -> %s -> %s).'
                       % (b, a, b, a))


def test_self_include_loop_inside_a_section(tmp_path):
    tree(tmp_path, {'a.ks': '%packages\nvim\n%include a.ks\n%end\n'})
    err = error_of(ks.flatten, str(tmp_path / 'a.ks'), Fetcher())
    assert 'line 3: include loop' in err.msg


def test_same_file_included_twice_is_not_a_loop(tmp_path):
    tree(tmp_path, {'top.ks': '%include p.ks\n%include p.ks\n', 'p.ks': '%packages\nvim\n%end\n'})
    assert 'vim' in ks.flatten(str(tmp_path / 'top.ks'), Fetcher())['text']


def test_include_count_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(ks, 'MAX_INCLUDES', 5)
    tree(tmp_path, {'top.ks': '%include p.ks\n' * 5, 'p.ks': 'lang en_US.UTF-8\n'})
    err = error_of(ks.flatten, str(tmp_path / 'top.ks'), Fetcher())
    assert err.msg == '%s line 5: %%include p.ks is more than 5 included files in one kickstart.' % (tmp_path / 'top.ks')


def test_missing_include(spin):
    (spin / 'repos.ks').unlink()
    err = error_of(ks.flatten, str(spin / 'spin.ks'), Fetcher())
    assert err.msg == '%s line 6: %%include file repos.ks was not found (looked for %s).' % (
        spin / 'base.ks', spin / 'repos.ks')


def test_missing_ksappend(tmp_path):
    tree(tmp_path, {'top.ks': 'lang en_US.UTF-8\n%ksappend nowhere.ks\n'})
    err = error_of(ks.flatten, str(tmp_path / 'top.ks'), Fetcher())
    assert err.msg.startswith('%s line 2: %%ksappend file nowhere.ks was not found' % (tmp_path / 'top.ks'))


def test_error_after_ksappend_has_the_real_line(tmp_path):
    tree(tmp_path, {'top.ks': 'lang en_US.UTF-8\n%ksappend site.ks\nkeyboard us\nbogus\n',
                    'site.ks': 'timezone UTC\n# two\n# three\n'})
    err = error_of(ks.flatten, str(tmp_path / 'top.ks'), Fetcher())
    assert err.msg == '%s line 4: Unknown command: bogus.' % (tmp_path / 'top.ks')
    tree(tmp_path, {'site.ks': 'timezone UTC\nbogus2\n'})
    err = error_of(ks.flatten, str(tmp_path / 'top.ks'), Fetcher())
    assert err.msg == '%s line 2: Unknown command: bogus2.' % (tmp_path / 'site.ks')


def test_parse_warning_is_error_only_in_strict_mode(tmp_path):
    tree(tmp_path, {'top.ks': 'part / --size 4096\n%include more.ks\n', 'more.ks': '\npart / --size 8192\n'})
    flat = ks.flatten(str(tmp_path / 'top.ks'), Fetcher())
    assert flat['warnings'] == ['%s line 2: A partition with the mountpoint / has already been defined.'
                                % (tmp_path / 'more.ks')]
    err = error_of(ks.flatten, str(tmp_path / 'top.ks'), Fetcher(), strict=True)
    assert err.msg == '%s line 2: A partition with the mountpoint / has already been defined.' % (tmp_path / 'more.ks')


def test_not_utf8(tmp_path):
    (tmp_path / 'bin.ks').write_bytes(b'lang \xff\xfe\n')
    err = error_of(ks.flatten, str(tmp_path / 'bin.ks'), Fetcher())
    assert err.msg == 'src: %s is not UTF-8 text (byte 5).' % (tmp_path / 'bin.ks')


def test_checksum(spin):
    good = 'sha256:' + ks.sha256_bytes((spin / 'spin.ks').read_bytes())
    assert ks.flatten(str(spin / 'spin.ks'), Fetcher(), checksum=good)['text']
    err = error_of(ks.flatten, str(spin / 'spin.ks'), Fetcher(), checksum='sha256:' + '0' * 64)
    assert err.msg.startswith('src: sha256 of %s is ' % (spin / 'spin.ks'))
    assert err.msg.endswith(', not the expected %s.' % ('0' * 64))
    err = error_of(ks.flatten, str(spin / 'spin.ks'), Fetcher(), checksum='md5:abc')
    assert err.msg == "checksum: 'md5:abc' is not a checksum of the form sha256:<64 hex digits>."


# --- transforming -------------------------------------------------------------------------------
def flat_handler(spin):
    return ks.flatten(str(spin / 'spin.ks'), Fetcher())['handler']


def repos_of(handler):
    return {r['name']: r for r in (ks.repo_summary(x) for x in handler.repo.repoList)}


def test_side_repo_excludes_pinned_names_on_every_other_repo(spin):
    handler = flat_handler(spin)
    added, notes = ks.transform(handler, repos=[{'name': 'extra', 'baseurl': 'https://example.org/extra/'}],
                                side_repo={'name': 'side', 'baseurl': 'file:///var/lib/fb/side', 'cost': 10,
                                           'packages': ['bash', 'foo']})
    repos = repos_of(handler)
    assert repos['fedora']['excludepkgs'] == ['bash', 'foo']
    assert repos['updates']['excludepkgs'] == ['foo', 'bash']       # existing exclude kept, not doubled
    assert repos['extra']['excludepkgs'] == ['bash', 'foo']
    assert repos['side'] == {'name': 'side', 'baseurl': 'file:///var/lib/fb/side', 'mirrorlist': None, 'metalink': None,
                             'cost': 10, 'includepkgs': [], 'excludepkgs': []}
    assert added == []
    assert len(notes) == 1 and notes[0].startswith('url: the installation source http://mirror.example.org/fedora/ '
                                                   'cannot carry --excludepkgs')
    text = str(handler)
    assert 'repo --name="side" --baseurl=file:///var/lib/fb/side --cost=10\n' in text
    assert '--excludepkgs="foo,bash"' in text
    # the result parses again and stays the same
    assert ks.validate_text(text, ks.stringToVersion('F41')) == []


def test_repos_replace_remove_and_url(spin):
    handler = flat_handler(spin)
    _added, notes = ks.transform(
        handler, remove_repos=['updates', 'updates-testing'], url='http://mirror.example.org/f41/os/',
        repos=[{'name': 'fedora', 'baseurl': 'http://mirror.example.org/f41/os/', 'cost': 50,
                'includepkgs': ['kernel*'], 'excludepkgs': ['nano']}])
    repos = repos_of(handler)
    assert list(repos) == ['fedora']
    assert repos['fedora']['mirrorlist'] is None and repos['fedora']['cost'] == 50
    assert notes == ["remove_repos: the kickstart has no repo named 'updates-testing'."]
    text = str(handler)
    assert 'url --url="http://mirror.example.org/f41/os/"' in text
    assert 'repo --name="fedora" --baseurl=http://mirror.example.org/f41/os/ --cost=50 --includepkgs="kernel*" ' \
           '--excludepkgs="nano"' in text


def test_repos_by_metalink_or_mirrorlist(spin):
    handler = flat_handler(spin)
    ks.transform(handler, repos=[
        {'name': 'fedora', 'metalink': 'https://mirrors.fedoraproject.org/metalink?repo=fedora-41&arch=x86_64'},
        {'name': 'updates', 'mirrorlist': 'https://mirrors.fedoraproject.org/mirrorlist?repo=updates-released-f41&arch=x86_64'}])
    repos = repos_of(handler)
    assert repos['fedora']['metalink'] == 'https://mirrors.fedoraproject.org/metalink?repo=fedora-41&arch=x86_64'
    assert repos['fedora']['baseurl'] is None and repos['fedora']['mirrorlist'] is None
    assert repos['updates']['mirrorlist'].startswith('https://mirrors.fedoraproject.org/mirrorlist?')
    line = [x for x in str(handler).splitlines() if x.startswith('repo --name="fedora"')][0]
    assert line.split() == ['repo', '--name="fedora"', '--metalink=https://mirrors.fedoraproject.org/metalink?repo=fedora-41&arch=x86_64']


@pytest.mark.parametrize('spec,message', [
    ({'name': 'fedora'}, 'repos[0]: give exactly one of baseurl, metalink and mirrorlist (got none).'),
    ({'name': 'fedora', 'baseurl': 'http://m/os/', 'metalink': 'https://m/metalink'},
     'repos[0]: give exactly one of baseurl, metalink and mirrorlist (got baseurl, metalink).'),
])
def test_repo_needs_exactly_one_source(spin, spec, message):
    with pytest.raises(FedoraBuildError) as err:
        ks.transform(flat_handler(spin), repos=[spec])
    assert str(err.value) == message


def test_metalink_must_be_a_web_url(spin):
    with pytest.raises(FedoraBuildError) as err:
        ks.transform(flat_handler(spin), repos=[{'name': 'fedora', 'metalink': 'file:///etc/passwd'}])
    assert str(err.value).startswith('repos[0].metalink: ')


def test_packages_and_excludes(spin):
    handler = flat_handler(spin)
    added, _notes = ks.transform(handler, packages=['kernel', 'nano', 'git-core', '@development-tools'],
                                 exclude_packages=['vim-minimal', 'PackageKit*'])
    assert added == ['nano', 'git-core', '@development-tools']
    pkgs = handler.packages
    assert 'nano' in pkgs.packageList and 'nano' not in pkgs.excludedList
    assert 'vim-minimal' in pkgs.excludedList and 'vim-minimal' not in pkgs.packageList
    assert 'development-tools' in [g.name for g in pkgs.groupList]
    assert '-PackageKit*\n' in str(handler)


def test_packages_section_created_when_missing(tmp_path):
    tree(tmp_path, {'bare.ks': 'lang en_US.UTF-8\n'})
    handler = ks.flatten(str(tmp_path / 'bare.ks'), Fetcher())['handler']
    assert ks.transform(handler, packages=['vim'])[0] == ['vim']
    assert '%packages\nvim\n\n%end' in str(handler)


@pytest.mark.parametrize('kwargs,message', [
    ({'packages': ['vim'], 'exclude_packages': ['vim']}, 'packages and exclude_packages both name vim.'),
    ({'packages': ['rm -rf']}, "packages: 'rm -rf' is not a package name or glob (or @group / @^environment)."),
    ({'exclude_packages': ['-vim']}, "exclude_packages: '-vim' is not a package name or glob (or @group / @^environment)."),
    ({'repos': [{'name': 'a b', 'baseurl': 'http://x/'}]}, "repos[0].name: 'a b' is not a valid name"),
    ({'repos': [{'name': 'ok', 'baseurl': 'gopher://x/'}]}, "repos[0].baseurl: scheme 'gopher' is not allowed"),
    ({'repos': [{'name': 'ok', 'baseurl': 'http://x/', 'cost': -1}]}, 'repos[0].cost: -1 is not a non-negative whole number.'),
    ({'repos': ['fedora']}, 'repos[0]: each item must be a mapping with name and baseurl (or metalink or mirrorlist).'),
    ({'side_repo': {'name': 'side', 'baseurl': 'file:///s', 'packages': ['bash-5.2-1.fc41 x']}},
     "side_repo.packages: 'bash-5.2-1.fc41 x' is not a package name or glob."),
    ({'side_repo': {'name': 'side', 'baseurl': 'file:///s', 'packages': ['@core']}},
     "side_repo.packages: '@core' is not a package name or glob."),
    ({'url': 'smb://x/y'}, "url: scheme 'smb' is not allowed"),
    ({'remove_repos': ['../x']}, "remove_repos: '../x' is not a valid name"),
])
def test_bad_transform_input(spin, kwargs, message):
    err = error_of(ks.transform, flat_handler(spin), **kwargs)
    assert err.msg.startswith(message)


# --- the whole job and writing -------------------------------------------------------------------
def params(spin, dest, **extra):
    base = {'src': str(spin / 'spin.ks'), 'dest': str(dest), 'version': '41',
            'side_repo': {'name': 'side', 'baseurl': 'file:///srv/side', 'cost': 5, 'packages': ['bash']},
            'packages': ['git-core']}
    base.update(extra)
    return base


def test_run_writes_atomically_and_is_idempotent(spin, tmp_path):
    dest = tmp_path / 'out' / 'final.ks'
    dest.parent.mkdir()
    result, diff = ks.run(params(spin, dest))
    assert result['changed'] is True
    text = dest.read_text()
    assert result['sha256'] == ks.sha256_bytes(text)
    assert result['version'] == 'F41' and result['packages_added'] == ['git-core']
    assert [r['name'] for r in result['repos']] == ['fedora', 'updates', 'side']
    assert diff['before'] == '' and diff['after'] == text
    assert os.listdir(str(dest.parent)) == ['final.ks']       # no temp file left behind
    mtime = dest.stat().st_mtime_ns
    again, _diff = ks.run(params(spin, dest))
    assert again['changed'] is False and again['sha256'] == result['sha256']
    assert dest.stat().st_mtime_ns == mtime


def test_check_mode_reports_without_writing(spin, tmp_path):
    dest = tmp_path / 'final.ks'
    result, diff = ks.run(params(spin, dest), check_mode=True)
    assert result['changed'] is True and not dest.exists()
    assert 'repo --name="side"' in diff['after']
    dest.write_text('old\n')
    result, diff = ks.run(params(spin, dest, packages=['tmux']), check_mode=True)
    assert result['changed'] is True and dest.read_text() == 'old\n'
    assert diff['before'] == 'old\n' and '\ntmux\n' in diff['after']


def test_dest_problems(spin, tmp_path):
    err = error_of(ks.run, params(spin, tmp_path / 'nodir' / 'final.ks'))
    assert err.msg == 'dest: directory %s does not exist.' % (tmp_path / 'nodir')
    err = error_of(ks.run, params(spin, tmp_path))
    assert err.msg == 'dest: %s is a directory; give the path of the kickstart file to write.' % tmp_path


def test_include_path_must_exist(spin, tmp_path):
    err = error_of(ks.run, params(spin, tmp_path / 'f.ks', include_path=[str(tmp_path / 'nope')]))
    assert err.msg == 'include_path[0]: %s is not a directory on the node.' % (tmp_path / 'nope')
