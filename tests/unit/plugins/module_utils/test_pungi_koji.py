# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""pungi-koji backend: the compose configuration is pungi's (keys of pungi/checks.py make_schema()), readable as
kobo reads it, and the kickstart's %packages become the variant's content."""

from __future__ import annotations

import ast

import pytest

from ansible_collections.ondemand.fedora_build.plugins.module_utils import pungi_koji
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError

# make_schema() properties of pungi 4.6 the generated configuration may use (pungi/checks.py), and its required list
SCHEMA_KEYS = {
    'release_name', 'release_short', 'release_version', 'variants_file', 'comps_file', 'pkgset_source',
    'pkgset_repos', 'sigkeys', 'tree_arches', 'tree_variants', 'gather_method', 'gather_backend', 'gather_fulltree',
    'gather_selfhosting', 'greedy_method', 'check_deps', 'hashed_directories', 'createrepo_checksum', 'create_jigdo',
    'media_checksums', 'media_checksum_one_file', 'additional_packages', 'filter_packages', 'multilib',
    'buildinstall_method', 'lorax_options', 'createiso_skip', 'skip_phases'}
REQUIRED = ('release_name', 'release_short', 'release_version', 'variants_file', 'pkgset_source', 'gather_method')
# pungi's PHASES_NAMES (the skip_phases enum)
PHASES = {'init', 'weaver', 'pkgset', 'gather', 'createrepo', 'buildinstall', 'extra_files', 'createiso',
          'extra_isos', 'image_build', 'image_container', 'kiwibuild', 'osbuild', 'repoclosure', 'test',
          'image_checksum', 'live_media', 'ostree', 'ostree_installer', 'ostree_container', 'osbs'}


def params(**changes):
    data = dict(name='Fedora', version='41', release_short=None, variant='Everything', packages=['bash'], groups=[],
                exclude_packages=[], comps_file=None, compose_type='test', label=None, gather_method='deps',
                buildinstall=True, rootfs_size=None, bugurl=None, nomacboot=False, lorax_conf=None, fulltree=False,
                selfhosting=False, greedy=None, multilib=[], no_dvd=False, kickstart=None,
                repos=[{'name': 'koji-side', 'baseurl': 'file:///w/side/repo'},
                       {'name': 'fedora', 'baseurl': 'http://m/releases/41/x86_64/os/'}])
    data.update(changes)
    return data


def parse(text):
    """Each ``key = literal`` line as kobo's PyConfigParser would read it."""
    conf = {}
    for node in ast.parse(text).body:
        conf[node.targets[0].id] = ast.literal_eval(node.value)
    return conf


def test_the_configuration_uses_only_pungis_keys_and_has_the_required_ones():
    items = pungi_koji.compose_config(params(rootfs_size=3, bugurl='https://b/', nomacboot=True, no_dvd=True,
                                             multilib=['devel'], exclude_packages=['nano']),
                                      'x86_64', '/w/inputs/variants.xml', (['bash'], [], ['nano']))
    keys = [k for k, _v in items]
    assert set(keys) <= SCHEMA_KEYS and len(keys) == len(set(keys))
    assert set(REQUIRED) <= set(keys)
    conf = parse(pungi_koji.render_config(items))
    assert conf['pkgset_source'] == 'repos' and 'pkgset_koji_tag' not in conf
    assert conf['pkgset_repos'] == {'x86_64': ['file:///w/side/repo', 'http://m/releases/41/x86_64/os/']}
    assert conf['buildinstall_method'] == 'lorax'
    assert conf['lorax_options'] == [('^.*$', {'*': {'bugurl': 'https://b/', 'nomacboot': True, 'rootfs_size': 3}})]
    assert conf['createiso_skip'] == [('^.*$', {'*': True})]
    assert conf['additional_packages'] == [('^Everything$', {'*': ['bash']})]
    assert conf['filter_packages'] == [('^Everything$', {'*': ['nano']})]
    assert conf['multilib'] == [('^Everything$', {'x86_64': ['devel']})]
    assert set(conf['skip_phases']) <= PHASES and 'buildinstall' not in conf['skip_phases']
    assert conf['sigkeys'] == [None] and conf['release_version'] == '41'


def test_no_buildinstall_skips_the_phase_and_sets_no_lorax_options():
    items = pungi_koji.compose_config(params(buildinstall=False, bugurl='https://b/'), 'i686', '/v.xml',
                                      (['bash'], [], []))
    conf = dict(items)
    assert 'buildinstall_method' not in conf and 'lorax_options' not in conf and 'buildinstall' in conf['skip_phases']
    assert conf['tree_arches'] == ['i386']  # pungi names i686 composes i386


def test_kickstart_packages_are_names_groups_and_excludes():
    text = ('url --url=file:///x\n%packages --excludedocs\n@core\n@^workstation-product-environment\nbash  # sh\n'
            '-nano\nkernel*\n%end\n%post\necho not a package\n%end\n')
    assert pungi_koji.kickstart_packages(text) == (['bash', 'kernel*'], ['core', 'workstation-product-environment'],
                                                   ['nano'])


def test_variants_file_lists_the_groups():
    xml = pungi_koji.variants_xml(params(), 'x86_64', ['core'])
    assert '<variant id="Everything" name="Everything" type="variant">' in xml
    assert '<arch>x86_64</arch>' in xml and '<group default="true">core</group>' in xml


@pytest.mark.parametrize('value', ["it's", 'back\\slash', 'new\nline', 'q"uote'])
def test_nothing_that_could_break_out_of_a_literal_reaches_the_configuration(value):
    with pytest.raises(FedoraBuildError, match='must not contain quotes, backslashes or control characters'):
        pungi_koji.render_config([('release_name', value)])


def test_release_short_defaults_to_the_name_productmd_accepts():
    assert pungi_koji.release_short(params(name='Fedora Lab')) == 'FedoraLab'
    assert pungi_koji.release_short(params(release_short='FL')) == 'FL'
