# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""stage(restore_latest=...): a pointer this build moved goes back; one another build moved since is left alone."""

from __future__ import annotations

import os

import pytest

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils.staging import stage

LATEST = 'latest-boot-41-x86_64'
NEW = 'boot-41-x86_64-000000000002'
OLD = 'boot-41-x86_64-000000000001'


def restore(tmp_path, previous, check_mode=False, latest=LATEST):
    src = tmp_path / 'tree'
    src.mkdir(exist_ok=True)      # never read: no CHECKSUM in it
    return stage({'src': str(src), 'build_id': NEW, 'latest': latest, 'restore_latest': previous,
                  'target': {'type': 'local', 'path': str(tmp_path / 'staging')}}, check_mode=check_mode)


def pointer(tmp_path):
    link = tmp_path / 'staging' / LATEST
    return os.readlink(str(link)) if link.is_symlink() else None


@pytest.fixture
def moved(tmp_path):
    (tmp_path / 'staging').mkdir()
    os.symlink(NEW, str(tmp_path / 'staging' / LATEST))
    return tmp_path


def test_back_to_the_previous_build(moved):
    result = restore(moved, OLD)
    assert result['changed'] and result['latest'] == {'name': LATEST, 'build_id': OLD, 'previous': NEW, 'changed': True}
    assert pointer(moved) == OLD


def test_removed_when_there_was_none(moved):
    assert restore(moved, '')['changed']
    assert not (moved / 'staging' / LATEST).is_symlink()


def test_check_mode_writes_nothing(moved):
    assert restore(moved, OLD, check_mode=True)['changed']
    assert pointer(moved) == NEW


def test_a_pointer_another_build_moved_is_left_alone(moved):
    os.unlink(str(moved / 'staging' / LATEST))
    os.symlink('boot-41-x86_64-000000000003', str(moved / 'staging' / LATEST))
    assert not restore(moved, OLD)['changed']
    assert pointer(moved) == 'boot-41-x86_64-000000000003'


def test_a_directory_in_the_pointers_place_is_left_alone(tmp_path):
    (tmp_path / 'staging' / LATEST).mkdir(parents=True)
    assert not restore(tmp_path, '')['changed']
    assert (tmp_path / 'staging' / LATEST).is_dir()


def test_needs_latest(moved):
    with pytest.raises(FedoraBuildError, match='^restore_latest: needs latest'):
        restore(moved, OLD, latest=None)
