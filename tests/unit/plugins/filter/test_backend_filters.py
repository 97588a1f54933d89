# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role-facing filters of the backend registry and of the builder arguments (controller code: these tests
live with the filters, ansible-test runs module_utils tests without the controller's modules)."""

from __future__ import annotations

import pytest

from ansible_collections.ondemand.fedora_build.plugins.filter.backend_info import _backend_info
from ansible_collections.ondemand.fedora_build.plugins.filter.backend_packages import _backend_packages
from ansible_collections.ondemand.fedora_build.plugins.filter.builder_args import _builder_args

RESOLVED = [
    {'name': 'fedora', 'baseurl': 'http://m/releases/41/x86_64/os/'},
    {'name': 'updates', 'metalink': 'https://mirrors/metalink?repo=updates-released-f41&arch=x86_64'},
    {'name': 'extra', 'mirrorlist': 'https://mirrors/mirrorlist?x=1'},
]
PIPE = '/w/rq-1'
FIXED = dict(dest='/w/rq-1/tree/output', work_root='/w/rq-1/work', build_id='boot-41-x86_64-0123456789ab')


def request(image_type, **builder):
    return {'image_type': image_type, 'release': '41', 'arch': 'x86_64', 'repos': {'resolved': RESOLVED},
            'builder': builder}


def test_role_filters_give_the_registry_facts():
    assert _backend_info({'image_type': 'live', 'builder': {'backend': 'kiwi'}})['executable'] == 'kiwi-ng'
    assert _backend_info({'image_type': 'boot'})['module'] == 'boot_iso'
    # squashfs-tools and e2fsprogs: the content check reads the runtime with unsquashfs and debugfs
    assert _backend_packages('lorax') == ['lorax', 'lorax-templates-generic', 'squashfs-tools', 'e2fsprogs']
    assert _backend_packages('lorax', arch='x86_64') == ['lorax', 'lorax-templates-generic', 'squashfs-tools',
                                                         'e2fsprogs', 'hfsplus-tools']
    assert _backend_packages('livemedia-creator', arch='x86_64', arch_only=True) == ['hfsplus-tools']
    assert _backend_packages('livemedia-creator', arch='aarch64', arch_only=True) == []
    assert _backend_packages('kiwi', arch='x86_64', arch_only=True) == []
    # build_node: the dvd backend of the node's Fedora release (the pungi command is gone from Fedora 32 on)
    assert _backend_packages('pungi', release='31') == ['pungi', 'pungi-legacy']
    assert _backend_packages('pungi', release='41') == _backend_packages('pungi-koji')
    assert 'python3-productmd' in _backend_packages('pungi', release='41')
    assert _backend_packages('pungi', release='') == ['pungi', 'pungi-legacy']
    assert _backend_packages('pungi', release='41', arch='x86_64', arch_only=True) == ['hfsplus-tools']
    assert _backend_packages('lorax', release='20') == _backend_packages('lorax')
    assert _backend_info({'image_type': 'dvd', 'release': '41'})['name'] == 'pungi-koji'
    assert _backend_info({'image_type': 'dvd', 'release': '30'})['name'] == 'pungi'


def test_filter_names_an_unknown_backend():
    from ansible.errors import AnsibleFilterError
    with pytest.raises(AnsibleFilterError, match="builder.backend: 'nope' is not a known backend"):
        _builder_args(request('live', backend='nope'), PIPE, 'x')


def test_the_role_hands_the_operators_settings_to_the_filter():
    """build_phase.yml passes fedora_build_builder_paths and fedora_build_kiwi_descriptions (and nothing of the
    request) as the filter's operator settings."""
    import os
    import yaml
    path = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'roles', 'build', 'tasks', 'build_phase.yml')
    with open(path) as handle:
        tasks = yaml.safe_load(handle)
    text = next(t for t in tasks if t['name'] == 'Compute the builder arguments')['ansible.builtin.set_fact']['build_args']
    assert "'builder_paths': fedora_build_builder_paths" in text
    assert "'kiwi_descriptions': fedora_build_kiwi_descriptions" in text
    got = _builder_args(request('boot', add_templates=['/w/rq-1/ks/x.ks']), PIPE, FIXED['build_id'],
                        operator={'builder_paths': {'add_templates': ['/srv/site.tmpl']}})
    assert got['add_templates'] == ['/srv/site.tmpl']
