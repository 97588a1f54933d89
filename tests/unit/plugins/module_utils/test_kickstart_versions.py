# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 15: every kickstart syntax version pykickstart knows works or is refused in one sentence.

Old handlers lack parts of the repo command (FC3-FC5 and RHEL3-RHEL4 have none; FC6, F7 and
RHEL5 have no --cost/--excludepkgs; --metalink only from F27/RHEL8) and of url (--mirrorlist
from F18/RHEL7, --metalink from F27/RHEL8). The module used to crash with AttributeError there.
"""

from __future__ import annotations

import pytest

from ansible_collections.ondemand.fedora_build.plugins.module_utils import kickstart as ks
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils.kickstart_transform import repo_options


from pykickstart.version import makeVersion, versionMap  # noqa: E402  pylint: disable=wrong-import-position

URL = 'url --url=http://mirror.example.org/fedora/os/\n'
REPOS = ('repo --name=fedora --baseurl=http://mirror.example.org/fedora/\n'
         'repo --name=gone --baseurl=http://mirror.example.org/gone/\n')
SIDE = {'name': 'koji-side', 'baseurl': 'file:///srv/side', 'cost': 1, 'packages': ['bash', {'name': 'glibc'}]}
KINDS = {
    # kickstart text, prepare() arguments
    'plain': ('lang en_US.UTF-8\n' + URL, {'packages': ['vim-enhanced'], 'exclude_packages': ['nano']}),
    'repo-lines': ('lang en_US.UTF-8\n' + URL + REPOS,
                   {'repos': [{'name': 'extra', 'baseurl': 'http://mirror.example.org/extra/'}],
                    'remove_repos': ['gone']}),
    # the side repo next to url and repo lines: excludepkgs on the repos, a note about url
    'side-next-to-url': ('lang en_US.UTF-8\n' + URL + REPOS, {'side_repo': SIDE}),
}


def outcome(tmp_path, version, kind):
    text, kwargs = KINDS[kind]
    src = tmp_path / 'in.ks'
    src.write_text(text)
    try:
        return ks.prepare(str(src), version=version, **kwargs)
    except FedoraBuildError as exc:      # anything else (AttributeError, ...) fails the test
        return exc


def is_one_sentence(err):
    return isinstance(err, FedoraBuildError) and '\n' not in err.msg and err.msg.endswith('.') and 'Error' not in err.msg


@pytest.mark.parametrize('kind', sorted(KINDS))
@pytest.mark.parametrize('version', sorted(versionMap))
def test_every_version_works_or_is_refused_in_one_sentence(tmp_path, version, kind):
    options = repo_options(makeVersion(versionMap[version]))
    result = outcome(tmp_path, version, kind)
    if kind == 'plain':
        expect_ok = True
    elif kind == 'repo-lines':
        expect_ok = options is not None
    else:
        expect_ok = options is not None and {'cost', 'excludepkgs'} <= options
    if not expect_ok:
        assert is_one_sentence(result), result
        if options is None:
            assert result.msg.endswith('line 3: Unknown command: repo.')          # pykickstart's own verdict
        else:
            assert result.msg.startswith('side_repo.cost: the repo command of kickstart syntax %s has no --cost' % version)
        return
    assert isinstance(result, dict), result
    names = [repo['name'] for repo in result['repos']]
    if kind == 'plain':
        assert '\nvim-enhanced\n' in result['text'] and '\n-nano\n' in result['text']
    elif kind == 'repo-lines':
        assert names == ['fedora', 'extra']
    else:
        assert names == ['fedora', 'gone', 'koji-side'] and result['repos'][2]['cost'] == 1
        assert result['repos'][0]['excludepkgs'] == ['bash', 'glibc']
        assert any(note.startswith('url: the installation source http://mirror.example.org/fedora/os/ cannot carry')
                   for note in result['warnings'])
    # prepare() has parsed the final text with the version's handler again (what ksvalidator does)


def test_a_version_without_a_repo_command_refuses_the_side_repo(tmp_path):
    src = tmp_path / 'in.ks'
    src.write_text('lang en_US.UTF-8\n' + URL)
    with pytest.raises(FedoraBuildError) as info:
        ks.prepare(str(src), version='RHEL4', side_repo=SIDE)
    assert info.value.msg == ('side_repo: kickstart syntax RHEL4 has no repo command, so the side repo cannot be added '
                              '(repo came with FC6 and RHEL5).')


@pytest.mark.parametrize('version', ['FC6', 'F7', 'RHEL5'])
def test_versions_without_excludepkgs_refuse_pinning_next_to_other_repos(tmp_path, version):
    src = tmp_path / 'in.ks'
    src.write_text('lang en_US.UTF-8\n' + REPOS)
    err = outcome(tmp_path, version, 'repo-lines')
    assert isinstance(err, dict)        # the file itself is fine for the version
    side = dict(SIDE, cost=None)
    with pytest.raises(FedoraBuildError) as info:
        ks.prepare(str(src), version=version, side_repo=side)
    assert info.value.msg == ('side_repo.packages: the repo command of kickstart syntax %s has no --excludepkgs option, '
                              'so the pinned packages cannot be kept out of the other repos.' % version)


@pytest.mark.parametrize('version,option,spec', [
    ('F26', 'metalink', {'name': 'm', 'metalink': 'https://mirrors.example.org/metalink?repo=f26'}),
    ('RHEL7', 'metalink', {'name': 'm', 'metalink': 'https://mirrors.example.org/metalink?repo=f26'}),
    ('F7', 'cost', {'name': 'c', 'baseurl': 'http://mirror.example.org/c/', 'cost': 5}),
    ('RHEL5', 'excludepkgs', {'name': 'c', 'baseurl': 'http://mirror.example.org/c/', 'excludepkgs': ['bash']}),
])
def test_repo_options_a_version_lacks_are_refused(tmp_path, version, option, spec):
    src = tmp_path / 'in.ks'
    src.write_text('lang en_US.UTF-8\n')
    with pytest.raises(FedoraBuildError) as info:
        ks.prepare(str(src), version=version, repos=[spec])
    assert info.value.msg == ('repos[0].%s: the repo command of kickstart syntax %s has no --%s option.'
                              % (option, version, option))


def test_url_override_on_a_version_without_mirrorlist(tmp_path):
    src = tmp_path / 'in.ks'
    src.write_text('lang en_US.UTF-8\nurl --url=http://old.example.org/os/\n')
    result = ks.prepare(str(src), version='F17', url='http://new.example.org/os/')
    assert 'url --url="http://new.example.org/os/"' in result['text'] or 'url --url=http://new.example.org/os/' in \
        result['text']
