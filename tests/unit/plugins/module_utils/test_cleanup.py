# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""build_cleanup: path safety, mountinfo parsing and plain removal (real mounts: tests/functional)."""

from __future__ import annotations

import pytest

from ansible_collections.ondemand.fedora_build.plugins.module_utils import cleanup
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError


@pytest.fixture
def root(tmp_path):
    work = tmp_path / 'work'
    (work / 'b1' / 'sub').mkdir(parents=True)
    (work / 'b1' / 'sub' / 'f').write_text('x')
    return work


@pytest.mark.parametrize('path,needle', [
    ('{root}', 'is not strictly below work_root'),
    ('{root}/', 'is not strictly below work_root'),
    ('{root}/b1/../..', 'is not strictly below work_root'),
    ('{root}/../other', 'is not strictly below work_root'),
    ('{root}x/b1', 'is not strictly below work_root'),
    ('/', 'path: / is a system directory'),
    ('relative/b1', "path: 'relative/b1' is not an absolute path."),
])
def test_refuses_paths_not_below_work_root(root, path, needle):
    with pytest.raises(FedoraBuildError) as err:
        cleanup.cleanup(path.format(root=root), str(root))
    assert needle in err.value.msg
    assert (root / 'b1' / 'sub' / 'f').exists()


def test_refuses_symlinks_on_the_way_and_never_follows_them(root, tmp_path):
    outside = tmp_path / 'precious'
    outside.mkdir()
    (outside / 'keep').write_text('x')
    (root / 'link').symlink_to(outside)
    with pytest.raises(FedoraBuildError, match=r'is a symlink .*refusing to follow it'):
        cleanup.cleanup(str(root / 'link'), str(root))
    with pytest.raises(FedoraBuildError, match=r'is a symlink'):
        cleanup.cleanup(str(root / 'link' / 'keep'), str(root))
    # a symlink inside the tree is removed, its target kept
    (root / 'b1' / 'out').symlink_to(outside)
    res = cleanup.cleanup(str(root / 'b1'), str(root))
    assert res['removed'] is True and not (root / 'b1').exists() and (outside / 'keep').exists()


def test_work_root_may_itself_be_a_symlink(root, tmp_path):
    alias = tmp_path / 'alias'
    alias.symlink_to(root)
    res = cleanup.cleanup(str(alias / 'b1'), str(alias))
    assert res['changed'] is True and not (root / 'b1').exists()


def test_removes_and_is_idempotent_and_check_mode_keeps(root):
    res = cleanup.cleanup(str(root / 'b1'), str(root), check_mode=True)
    assert res['changed'] is True and res['removed'] is True and (root / 'b1').exists()
    res = cleanup.cleanup(str(root / 'b1'), str(root))
    assert res == dict(changed=True, path=str(root / 'b1'), removed=True, unmounted=[], loop_devices=[], killed=[],
                       created=[])
    assert not (root / 'b1').exists() and root.exists()
    res = cleanup.cleanup(str(root / 'b1'), str(root))
    assert res['changed'] is False and res['removed'] is False
    assert cleanup.cleanup(str(root / 'none' / 'deeper'), str(root))['changed'] is False
    assert cleanup.cleanup(str(root.parent / 'no-root' / 'b1'), str(root.parent / 'no-root'))['changed'] is False


def test_mountinfo_parsing(tmp_path):
    info = tmp_path / 'mountinfo'
    info.write_text(
        '22 1 0:21 / / rw - ext4 /dev/vda1 rw\n'
        '40 22 0:39 / /w/b1 rw,relatime shared:5 - tmpfs none rw\n'
        '41 40 0:40 / /w/b1/a\\040dir rw - tmpfs none rw\n'
        '42 40 0:41 / /w/b10 rw - tmpfs none rw\n'
        '43 41 0:42 / /w/b1/a\\040dir/proc rw master:1 - proc proc rw\n')
    assert cleanup.mounts_below('/w/b1', str(info)) == [('/w/b1', 'tmpfs'), ('/w/b1/a dir', 'tmpfs'),
                                                        ('/w/b1/a dir/proc', 'proc')]


def test_negative_grace(root):
    with pytest.raises(FedoraBuildError, match='kill_grace: -1 is negative'):
        cleanup.cleanup(str(root / 'b1'), str(root), grace=-1)


def mode(path):
    return oct(path.stat().st_mode & 0o777)


def test_recreate_empties_the_slot_and_makes_its_directories(root):
    res = cleanup.cleanup(str(root / 'b1'), str(root), recreate=['inputs', 'tree', 'tree/logs'])
    assert res['removed'] is True and res['changed'] is True
    assert res['created'] == [str(root / 'b1'), str(root / 'b1' / 'inputs'), str(root / 'b1' / 'tree'),
                              str(root / 'b1' / 'tree' / 'logs')]
    assert not (root / 'b1' / 'sub').exists()
    assert sorted(p.name for p in (root / 'b1').iterdir()) == ['inputs', 'tree']
    assert mode(root / 'b1') == mode(root / 'b1' / 'tree' / 'logs') == '0o700'
    # again: a slot that is already empty is made anew all the same (changed), the same directories
    again = cleanup.cleanup(str(root / 'b1'), str(root), recreate=['inputs', 'tree', 'tree/logs'])
    assert again['changed'] is True and again['created'] == res['created']
    # check mode: says it would, makes nothing
    cleanup.cleanup(str(root / 'b1'), str(root))
    res = cleanup.cleanup(str(root / 'b1'), str(root), recreate=['tree'], check_mode=True)
    assert res['changed'] is True and res['created'] == [] and not (root / 'b1').exists()


def test_recreate_makes_a_missing_work_root_0750(tmp_path):
    work = tmp_path / 'var' / 'work'
    res = cleanup.cleanup(str(work / 'slot-0'), str(work), recreate=['tree'])
    assert res['created'] == [str(work / 'slot-0'), str(work / 'slot-0' / 'tree')]
    assert mode(work) == '0o750' and mode(work / 'slot-0') == '0o700'


@pytest.mark.parametrize('recreate, needle', [
    (['/etc'], "recreate[0]: '/etc' is not a relative directory name."),
    (['tree', '../../x'], 'recreate[1]: \'../../x\' may not have empty, "." or ".." parts'),
    (['a//b'], 'may not have empty'),
    (['.ssh'], 'hidden names'),
    ([''], "recreate[0]: '' is not a relative directory name."),
    ('tree', 'recreate: must be a list'),
])
def test_recreate_refuses_names_that_leave_the_slot(root, recreate, needle):
    with pytest.raises(FedoraBuildError) as err:
        cleanup.cleanup(str(root / 'b1'), str(root), recreate=recreate)
    assert needle in err.value.msg
    assert (root / 'b1' / 'sub' / 'f').exists(), 'nothing may be removed for bad input'
