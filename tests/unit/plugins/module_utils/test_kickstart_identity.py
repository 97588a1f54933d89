# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kickstart's part of the build ID never depends on node paths (issue 15, kickstart reuse).

The prepared kickstart names the side repo by its node path (``file://<work_dir>/slot-<N>/side-repo``), so its
sha256 differs from slot to slot; ``identity_sha256`` is the sha256 of the same text with the side repo's baseurl
written as a fixed token, so the same request built in another slot gets the same build ID. The side repo's content
is covered by the pinned packages (NVRA and sha256) in the build ID itself.
"""

from __future__ import annotations

import pytest

from ansible_collections.ondemand.fedora_build.plugins.module_utils import build_identity
from ansible_collections.ondemand.fedora_build.plugins.module_utils import kickstart as ks
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError

SPIN = ('#version=F41\nlang en_US.UTF-8\nkeyboard us\ntimezone UTC\n'
        'repo --name=fedora --baseurl=http://mirror.example.org/f41/\n%packages\n@core\n%end\n')
REQUEST = {'request_id': 'rq-0123456789ab', 'image_type': 'live', 'release': '41', 'arch': 'x86_64', 'name': 'live',
           'kickstart': {'src': '/srv/ks/live.ks'}, 'force': False, 'notify': {}, 'staging': []}
PACKAGES = [{'name': 'hello', 'nvra': 'hello-2.0-1.fc41.noarch', 'sha256': 'ab' * 32}]


def side(slot, **extra):
    return dict({'name': 'koji-side', 'baseurl': 'file:///var/lib/fedora-build/work/slot-%d/side-repo' % slot,
                 'cost': 1, 'packages': ['hello']}, **extra)


def prepared(tmp_path, slot, **params):
    src = tmp_path / 'spin.ks'
    src.write_text(SPIN)
    dest = tmp_path / ('slot-%d.ks' % slot)
    args = dict({'src': str(src), 'dest': str(dest), 'side_repo': side(slot)}, **params)
    result, dummy = ks.run(args)
    if args['side_repo']:
        assert dest.read_text().count('slot-%d/side-repo' % slot) == 1  # the staged kickstart names the real path
    return result


def build_id(result):
    return build_identity.build_id(REQUEST, PACKAGES, result['identity_sha256'], 'livemedia-creator', '41.3')


def test_the_same_request_in_two_slots_has_one_build_id(tmp_path):
    slot0, slot1 = prepared(tmp_path, 0), prepared(tmp_path, 1)
    # the kickstart the builder reads differs (its side repo path) ...
    assert slot0['sha256'] != slot1['sha256']
    assert (build_identity.build_id(REQUEST, PACKAGES, slot0['sha256'], 'livemedia-creator', '41.3')
            != build_identity.build_id(REQUEST, PACKAGES, slot1['sha256'], 'livemedia-creator', '41.3'))
    # ... the identity does not
    assert slot0['identity_sha256'] == slot1['identity_sha256']
    assert build_id(slot0) == build_id(slot1)


@pytest.mark.parametrize('change', [
    {'packages': ['vim-enhanced']},                                       # another %packages
    {'side_repo': side(0, packages=['hello', 'world'])},                  # other pinned names (other excludes)
    {'side_repo': side(0, cost=5)},
    {'side_repo': side(0, name='pins')},
    {'side_repo': None},                                                  # no side repo at all
])
def test_everything_but_the_side_repos_path_is_in_the_identity(tmp_path, change):
    assert prepared(tmp_path, 0)['identity_sha256'] != prepared(tmp_path, 0, **change)['identity_sha256']


def test_without_a_side_repo_the_identity_is_the_kickstarts_sha256(tmp_path):
    result = prepared(tmp_path, 0, side_repo=None)
    assert result['identity_sha256'] == result['sha256']


def test_content_gives_what_src_gives_and_writes_nothing_without_dest(tmp_path):
    """The role sends a controller's kickstart as text (no copy to the node first); check mode without dest is the
    quick reuse's question: the same hashes, nothing written."""
    from_file = prepared(tmp_path, 0)
    result, dummy = ks.run({'content': SPIN, 'content_label': '/controller/live.ks', 'side_repo': side(3)},
                           check_mode=True)
    assert result['identity_sha256'] == from_file['identity_sha256']
    assert result['sha256'] != from_file['sha256'] and result['dest'] is None and result['changed'] is False
    assert result['sources'] == ['/controller/live.ks']
    assert sorted(p.name for p in tmp_path.iterdir()) == ['slot-0.ks', 'spin.ks']


def test_content_checksum_and_size_are_checked_like_a_file(tmp_path):
    with pytest.raises(FedoraBuildError, match=r'^content: sha256 of /c/live.ks is [0-9a-f]{64}, not the expected'):
        ks.run({'content': SPIN, 'content_label': '/c/live.ks', 'checksum': 'sha256:' + '0' * 64}, check_mode=True)
    with pytest.raises(FedoraBuildError, match=r'^content: /c/live.ks is \d+ bytes, more than the limit of 10 bytes'):
        ks.run({'content': SPIN, 'content_label': '/c/live.ks', 'max_size': 10}, check_mode=True)


def test_content_includes_only_from_the_operators_include_path(tmp_path):
    """Text has no directory of its own: a relative %include resolves in include_path only, never beside the label
    (which names a file on the controller, not on the node)."""
    inc = tmp_path / 'inc'
    inc.mkdir()
    (inc / 'repo.ks').write_text('repo --name=extra --baseurl=http://mirror.example.org/extra/\n')
    beside = tmp_path / 'label'
    beside.mkdir()
    (beside / 'secret.ks').write_text('rootpw --plaintext secret\n')
    text = SPIN + '%include repo.ks\n'
    result, dummy = ks.run({'content': text, 'content_label': str(beside / 'live.ks'), 'include_path': [str(inc)]},
                           check_mode=True)
    assert [r['name'] for r in result['repos']] == ['fedora', 'extra']
    with pytest.raises(FedoraBuildError, match=r'%include file secret.ks was not found \(looked for [^,]*/inc/secret.ks\)\.$'):
        ks.run({'content': SPIN + '%include secret.ks\n', 'content_label': str(beside / 'live.ks'),
                'include_path': [str(inc)]}, check_mode=True)
    with pytest.raises(FedoraBuildError, match='%include /etc/passwd is refused'):
        ks.run({'content': SPIN + '%include /etc/passwd\n', 'content_label': str(beside / 'live.ks'),
                'include_path': [str(inc)]}, check_mode=True)


def test_src_or_content(tmp_path):
    with pytest.raises(FedoraBuildError, match='^src: give src'):
        ks.run({}, check_mode=True)
