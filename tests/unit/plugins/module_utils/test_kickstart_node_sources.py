# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A requested kickstart's own installation sources may name build node paths only inside the operator's node
repository directories (kickstart node_repo_dirs, from fedora_build_node_repo_dirs): the rule the request
validator applies to a request's file:// repositories (validate.file_url_inside), for the lines a kickstart
carries itself (repo --baseurl, url, liveimg, ostreesetup, ostreecontainer, harddrive)."""

from __future__ import annotations

import pytest

from ansible_collections.ondemand.fedora_build.plugins.module_utils import kickstart as ks
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError

pytest.importorskip('pykickstart')

TAIL = 'lang en_US.UTF-8\nkeyboard us\ntimezone UTC\n%packages\n@core\n%end\n'
DIRS = ('/srv/mirror',)
SIDE = {'name': 'koji-side', 'baseurl': 'file:///var/lib/fedora-build/work/slot-0/side', 'cost': 1}


def prepare(head, dirs=DIRS, **extra):
    return ks.prepare(None, content=head + TAIL, content_label='live.ks', node_repo_dirs=dirs, **extra)


@pytest.mark.parametrize('head, what', [
    ('repo --name=etc --baseurl=file:///etc/pki/\n', "repo etc --baseurl 'file:///etc/pki/'"),
    ('repo --name=up --baseurl=file:///srv/mirror/../../etc/\n', "repo up --baseurl"),
    ('repo --name=esc --baseurl=file:///srv/mirror/%2e%2e/secret/\n', "repo esc --baseurl"),
    ('repo --name=host --baseurl=file://other/srv/mirror/\n', "repo host --baseurl"),
    ('repo --name=sib --baseurl=file:///srv/mirror-other/\n', "repo sib --baseurl"),
    ('url --url=file:///var/lib/fedora-build/cache/\n', "url --url 'file:///var/lib/fedora-build/cache/'"),
    ('liveimg --url=file:///root/image.tar\n', "liveimg --url"),
    ('ostreesetup --osname=f --url=file:///var/ostree/repo --ref=x\n', 'ostreesetup --url'),
    ('harddrive --partition=sda1 --dir=/isos\n', 'harddrive (a node disk partition)'),
])
def test_a_kickstart_source_outside_the_node_repo_dirs_is_refused(head, what):
    with pytest.raises(FedoraBuildError) as info:
        prepare(head)
    msg = info.value.msg
    assert msg.startswith("content: the kickstart's %s" % what), msg
    assert msg.endswith("only the operator's node repository directories (node_repo_dirs) may be named (/srv/mirror)."), msg
    assert msg.count('. ') == 0


def test_without_node_repo_dirs_every_node_source_is_refused():
    with pytest.raises(FedoraBuildError) as info:
        prepare('url --url=file:///srv/mirror/os/\n', dirs=[])
    assert info.value.msg.endswith('may be named (none are set).'), info.value.msg


@pytest.mark.parametrize('head', [
    'url --url=file:///srv/mirror/releases/41/os/\n',
    'url --url=file:///srv/mirror\n',
    'repo --name=local --baseurl=file:///srv/mirror/updates/\n',
    'repo --name=web --baseurl=https://dl.fedoraproject.org/pub/fedora/linux/updates/41/Everything/x86_64/\n',
    'url --url=http://mirror.example.org/fedora/\nrepo --name=nfs --baseurl=nfs://server/export/repo\n',
])
def test_a_kickstart_source_inside_them_or_on_the_network_is_kept(head):
    assert prepare(head)['text']


def test_the_repositories_the_pipeline_adds_are_not_held_to_them():
    """The side repo (a node path the pipeline made) and the request's repositories (checked by the validator)
    are the caller's: with an empty list the kickstart is still prepared, the side repo in it."""
    result = prepare('url --url=https://mirror.example.org/os/\n', dirs=[], side_repo=SIDE,
                     repos=[{'name': 'team', 'baseurl': 'file:///srv/team/'}])
    assert 'file:///var/lib/fedora-build/work/slot-0/side' in result['text'] and 'file:///srv/team/' in result['text']


def test_unset_means_not_confined():
    """The module used on its own (no node_repo_dirs) keeps taking any node source, as before."""
    assert ks.prepare(None, content='url --url=file:///srv/os/\n' + TAIL, content_label='x')['text']


def test_the_setting_itself_is_checked():
    with pytest.raises(FedoraBuildError) as info:
        prepare('url --url=file:///srv/mirror/\n', dirs=['srv/mirror'])
    assert info.value.msg == "node_repo_dirs[0]: 'srv/mirror' is not an absolute path without \"..\"."
