# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""check_tree_path: no module ever creates, replaces or removes a tree in a system directory.

(Written after a bad-input test passed work_root '/' and path '/etc' to
build_cleanup, which removed /etc of the test machine.)
"""
from __future__ import annotations

import os

import pytest

from ansible_collections.ondemand.fedora_build.plugins.module_utils import cleanup
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils.fileutil import check_tree_path


@pytest.mark.parametrize('path', ['/', '/etc', '/etc/', '/etc/ssh', '/usr', '/usr/share/x', '/var', '/var/lib', '/tmp',
                                  '/home', '/root', '/boot/efi', '/srv/../etc', '//etc', '/var/lib/fedora-build'])
def test_system_paths_are_refused(path):
    with pytest.raises(FedoraBuildError) as err:
        check_tree_path(path, 'dest')
    assert str(err.value).startswith('dest: %s is a system directory;' % path)


@pytest.mark.parametrize('path', ['/var/lib/fedora-build/work', '/srv/staging', '/tmp/pytest-1/x', '/home/me/builds'])
def test_build_places_pass(path):
    assert check_tree_path(path, 'dest') == path


def test_a_symlink_into_etc_is_refused(tmp_path):
    link = tmp_path / 'work'
    os.symlink('/etc', str(link))
    with pytest.raises(FedoraBuildError):
        check_tree_path(str(link), 'work_root')
    assert check_tree_path(str(link), 'path', resolve=False) == str(link)


def test_build_cleanup_refuses_root_as_work_root_before_touching_anything():
    # This exact call removed /etc before the guard existed: never run it without the guard.
    with pytest.raises(FedoraBuildError) as err:
        cleanup.resolve_target('/etc', '/')
    assert str(err.value) == 'work_root: / is a system directory; build trees are never created, replaced or removed there.'
    assert os.path.isdir('/proc')
