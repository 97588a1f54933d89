# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""check_nvr: shell metacharacters are refused in every part of an NVR, the release too."""

from __future__ import annotations

import pytest

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils.validate import check_name, check_nvr

METACHARACTERS = [';', '|', '&', '$', '`', '(', ')', '<', '>', ' ', '\t', '\n', '\r', '\\', '"', "'", '*', '?',
                  '[', ']', '{', '}', '!', '#', '=', '/', '%', '\x00']


@pytest.mark.parametrize('char', METACHARACTERS, ids=repr)
@pytest.mark.parametrize('template', ['bash-5.2.26-3.fc40{c}id', 'bash-5.2.26-{c}3.fc40', 'bash-5.2.26-3.fc40{c}',
                                      'bash-5.2{c}26-3.fc40', 'ba{c}sh-5.2.26-3.fc40'],
                         ids=['release-middle', 'release-start', 'release-end', 'version', 'name'])
def test_metacharacters_are_refused_in_each_part(template, char):
    value = template.format(c=char)
    with pytest.raises(FedoraBuildError) as err:
        check_nvr(value, 'koji.builds[0]')
    assert str(err.value).startswith('koji.builds[0]: ') and 'not a valid NVR' in str(err.value)


@pytest.mark.parametrize('value', ['bash-5.2.26-3.fc40\n', 'bash-5.2.26-3$(id)', 'bash-5.2.26-3`id`',
                                   'bash-5.2.26-3.fc40;rm -rf ~'])
def test_release_injections(value):
    with pytest.raises(FedoraBuildError):
        check_nvr(value)


@pytest.mark.parametrize('value,parts', [
    ('bash-5.2.26-3.fc40', ('bash', '5.2.26', '3.fc40')),
    ('python3.12-3.12.7-1.fc41', ('python3.12', '3.12.7', '1.fc41')),
    ('libstdc++-14.2.1-3.fc41', ('libstdc++', '14.2.1', '3.fc41')),
    ('kernel-6.11.0-0.rc5.20240830git20240830.1.fc42', ('kernel', '6.11.0', '0.rc5.20240830git20240830.1.fc42')),
    ('foo-1.0~rc1-1.fc41', ('foo', '1.0~rc1', '1.fc41')),
    ('foo-1.0^20240101git1a2b3c-1.fc41', ('foo', '1.0^20240101git1a2b3c', '1.fc41')),
])
def test_real_nvrs_are_accepted(value, parts):
    assert check_nvr(value) == parts


@pytest.mark.parametrize('value', ['repo\n', 'repo;id', 'repo name'])
def test_names_with_a_trailing_newline_or_metacharacters_are_refused(value):
    with pytest.raises(FedoraBuildError):
        check_name(value)
