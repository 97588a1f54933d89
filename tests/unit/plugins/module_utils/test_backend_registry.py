# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The backend registry is the one place that knows the backends: its readers agree with it."""

from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.ondemand.fedora_build.plugins.module_utils import backend_registry, dispatch, lmc, preflight
from ansible_collections.ondemand.fedora_build.plugins.module_utils.builders import COMMON_ARGS
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError


def test_every_backend_is_complete_and_named_once():
    names = backend_registry.names()
    assert names == ['lorax', 'pungi', 'pungi-koji', 'livemedia-creator', 'kiwi']
    assert len(set(names)) == len(names)
    for b in backend_registry.BACKENDS:
        assert b.image_type in ('boot', 'dvd', 'live')
        assert b.module in ('boot_iso', 'dvd_iso', 'live_image')
        assert b.executable == b.tool.executable and b.tools[0] == b.executable
        assert b.packages and b.argument_spec and b.layout and b.estimate > 0
        assert b.tool().cross_arch({}) is b.cross_builds
    # exactly one default per image type and release (dvd: the legacy pungi command up to Fedora 31)
    for image_type in backend_registry.image_types():
        for release in (20, 31, 32, 41, 'rawhide', None):
            defaults = [b for b in backend_registry.BACKENDS
                        if b.image_type == image_type and b.default and b.covers(release)]
            assert len(defaults) == 1, (image_type, release)


def test_resolve_names_the_field_and_the_known_backends():
    assert backend_registry.resolve('live').name == 'livemedia-creator'
    assert backend_registry.resolve('live', 'kiwi').executable == 'kiwi-ng'
    with pytest.raises(FedoraBuildError, match=r"^builder.backend: 'nope' is not a known backend \(known: lorax, "):
        backend_registry.resolve('live', 'nope')
    with pytest.raises(FedoraBuildError, match=r'^builder.backend: lorax builds boot images, not live'):
        backend_registry.resolve('live', 'lorax')


def test_preflight_and_dispatch_read_the_registry():
    assert dispatch.DEFAULT_ESTIMATES == {'boot': 1200, 'dvd': 3600, 'live': 2400}
    for b in backend_registry.BACKENDS:
        assert preflight.TOOL_VERSION_ARGS[b.executable] == list(b.version_args)
        assert preflight.tools_for(None, None, b.name) == list(b.tools)
    assert preflight.tools_for('live-kiwi', None) == list(backend_registry.get('kiwi').tools)
    assert preflight.tools_for('boot', None) == list(backend_registry.get('lorax').tools)


def test_preflight_skips_the_release_check_for_a_backend_not_tied_to_the_release(tmp_path):
    params = dict(image_type=None, tools=[], target_arch=None, target_release='41', work_dir=str(tmp_path),
                  cache_dir=str(tmp_path), min_free_gb=0, min_cache_free_gb=0)
    debian = 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n'

    def which(name):
        return None

    def run(argv):
        return 1, '', ''

    report, problems = preflight.build_report(dict(params, backend='lorax'), which, run, 0, debian)
    assert [c for c, _s in problems if c == 'release'] == ['release']
    report, problems = preflight.build_report(dict(params, backend='kiwi'), which, run, 0, debian)
    assert [c for c, _s in problems if c == 'release'] == []


def test_builder_modules_take_their_backends_options():
    from ansible_collections.ondemand.fedora_build.plugins.modules import live_image
    assert sorted(live_image.BACKENDS) == ['kiwi', 'livemedia-creator']
    lmc_foreign = live_image.foreign_options('livemedia-creator')
    assert 'description' in lmc_foreign and 'kickstart' not in lmc_foreign
    assert not set(backend_registry.get('lorax').argument_spec) & set(COMMON_ARGS)


@pytest.fixture
def hfsplus(tmp_path, monkeypatch):
    """A PATH with (True) or without (False) an executable mkfs.hfsplus; nothing of the system's."""
    def make(present):
        bindir = tmp_path / ('with' if present else 'without')
        bindir.mkdir()
        if present:
            tool = bindir / 'mkfs.hfsplus'
            tool.write_text('#!/bin/sh\nexit 0\n')
            tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
        monkeypatch.setenv('PATH', str(bindir))
        monkeypatch.setattr(lmc, 'have_mkfs_hfsplus', lambda: present)
    return make


def _params(**kw):
    params = dict((k, v.get('default')) for k, v in lmc.OPTIONS.items())
    params.update(kw)
    return params


@pytest.mark.parametrize('arch,present,expected', [
    ('x86_64', True, True),     # the real tool's default
    ('x86_64', False, False),   # lmc would refuse --macboot without mkfs.hfsplus
    ('aarch64', True, False),   # no Mac boot image outside x86_64
    ('aarch64', False, False),
])
def test_lmc_macboot_unset_follows_arch_and_hfsplus_tools(hfsplus, arch, present, expected):
    hfsplus(present)
    assert lmc.macboot(_params(), arch) is expected


def test_lmc_argv_always_says_macboot_explicitly(hfsplus, tmp_path):
    from ansible_collections.ondemand.fedora_build.plugins.module_utils.builders import Workspace
    hfsplus(False)
    ks = tmp_path / 'live.ks'
    ks.write_text('%packages\n%end\n')
    argv = lmc.LiveMediaCreator().argv(_params(kickstart=str(ks)), Workspace(str(tmp_path / 'w'), 'b'),
                                       'livemedia-creator', 'x86_64', 'x86_64')
    assert '--nomacboot' in argv and '--macboot' not in argv


@pytest.mark.parametrize('arch,present,needle', [
    ('x86_64', False, 'macboot: livemedia-creator needs mkfs.hfsplus'),
    ('aarch64', True, 'macboot: aarch64 images have no Mac boot image'),
])
def test_lmc_refuses_macboot_it_cannot_make(hfsplus, tmp_path, arch, present, needle):
    hfsplus(present)
    ks = tmp_path / 'live.ks'
    ks.write_text('%packages\n%end\n')
    with pytest.raises(FedoraBuildError, match='^' + needle):
        lmc.LiveMediaCreator().validate(_params(kickstart=str(ks), macboot=True), arch)
    lmc.LiveMediaCreator().validate(_params(kickstart=str(ks), macboot=None), arch)
    assert os.environ['PATH'].endswith('with' if present else 'without')


def test_have_mkfs_hfsplus_looks_on_path(tmp_path, monkeypatch):
    tool = tmp_path / 'mkfs.hfsplus'
    tool.write_text('#!/bin/sh\nexit 0\n')
    tool.chmod(0o755)
    monkeypatch.setenv('PATH', str(tmp_path))
    assert lmc.have_mkfs_hfsplus()


def test_dvd_default_backend_follows_the_release_where_fedora_dropped_the_pungi_command():
    from ansible_collections.ondemand.fedora_build.plugins.module_utils import pungi, pungi_koji
    # Fedora's pungi.spec: 4.1.39-2 (2019-09-09) dropped pungi-legacy; Fedora 32 was the first release without it
    assert pungi.LAST_RELEASE == 31 and pungi_koji.FIRST_RELEASE == 32
    assert backend_registry.default_for('dvd', 31).name == 'pungi'
    assert backend_registry.default_for('dvd', '31').name == 'pungi'
    assert backend_registry.default_for('dvd', 32).name == 'pungi-koji'
    assert backend_registry.default_for('dvd', 'rawhide').name == 'pungi-koji'
    assert backend_registry.default_for('dvd').name == 'pungi-koji'
    assert backend_registry.resolve('dvd', None, '20').name == 'pungi'
    assert backend_registry.resolve('dvd', 'pungi', '41').name == 'pungi'  # an explicit choice stays
    assert backend_registry.default_for('boot', 20).name == 'lorax'
    # build_node: a node of Fedora 31 gets the legacy command's packages, a node of 41 pungi-koji's
    assert 'pungi-legacy' in backend_registry.packages(['pungi', 'pungi-koji'], release=31)
    assert 'pungi-legacy' not in backend_registry.packages(['pungi', 'pungi-koji'], release=41)
    assert backend_registry.for_release(['lorax', 'pungi', 'pungi-koji'], 41) == ['lorax', 'pungi-koji']
    assert backend_registry.for_release(['lorax', 'pungi', 'pungi-koji'], 30) == ['lorax', 'pungi']
