# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tables for the checks the bad-input table (tests/functional/test_bad_input_table.py) found missing."""

from __future__ import annotations

import pytest

from ansible_collections.ondemand.fedora_build.plugins.module_utils.staging import common as staging
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils.request import validate_request
from ansible_collections.ondemand.fedora_build.plugins.module_utils.validate import (
    check_builder_option, check_params_text)


@pytest.mark.parametrize('key,value', [
    ('product', 'Fedora; touch /tmp/x'), ('product', "['Fedora']"), ('product', '../etc'), ('version', '$(id)'),
    ('version', '41 beta'), ('release', '`id`'), ('variant', 'Ser\u200bver'), ('volid', 'Fedora\n41'),
    ('iso_name', '../../x.iso'), ('iso_name', 'a/b.iso'), ('kiwi_file', '../x.kiwi'), ('profiles', 'Live;id'),
    ('installpkgs', 'bash;id'), ('installpkgs', '--nofoo'), ('add_packages', '$(id)'), ('dnfplugins', 'a|b'),
    ('extra_boot_args', 'quiet; reboot'), ('dracut_args', '--x $(id)'), ('bugurl', 'javascript:alert(1)'),
    ('bugurl', 'file:///etc/passwd'), ('proxy', 'javascript:alert(1)'), ('proxy', 'h;id:3128'),
    ('lookaside_repos', 'javascript:alert(1)'), ('multilib', 'x86_64|id'),
])
def test_builder_option_content_is_refused(key, value):
    with pytest.raises(FedoraBuildError) as info:
        check_builder_option(key, value, 'builder.' + key)
    assert info.value.msg.startswith('builder.%s: ' % key) and '\n' not in info.value.msg


@pytest.mark.parametrize('key,value', [
    ('product', 'Red Hat Enterprise Linux'), ('product', 'Fedora'), ('version', '41'), ('release', 'rawhide'),
    ('volid', 'Fedora-WS-Live-41-1-5'), ('iso_name', 'Fedora-Xfce-Live-x86_64-41.iso'), ('profiles', 'Workstation-Live'),
    ('installpkgs', '@core'), ('installpkgs', '@^workstation-product-environment'), ('excludepkgs', 'kernel-debug*'),
    ('dracut_args', '--xz'), ('extra_boot_args', 'rd.live.check quiet'), ('anaconda_args', '--nosave=all'),
    ('bugurl', 'https://bugzilla.redhat.com'), ('proxy', 'http://proxy.example.org:3128'), ('proxy', 'proxy:3128'),
    ('flavor', ''), ('lookaside_repos', 'fedora'), ('add_template_vars', {'a': 'b c'}), ('timeout', 5),
])
def test_builder_option_content_that_is_fine(key, value):
    assert check_builder_option(key, value, key) == value


def test_params_text_walks_lists_dicts_and_suboptions_and_refuses_bool_numbers():
    spec = dict(name=dict(type='str'), items=dict(type='list', elements='str'), n=dict(type='int'),
                repos=dict(type='list', elements='dict', options=dict(name=dict(type='str'), cost=dict(type='int'))),
                pw=dict(type='str', no_log=True), free=dict(type='dict'))
    ok = dict(name='x', items=['a'], n=3, repos=[{'name': 'r', 'cost': 1}], pw='p', free={'a': 'b'})
    assert check_params_text(ok, spec) is ok
    for bad, field in ((dict(ok, name='a\nb'), 'name'), (dict(ok, items=['a', 'b\rc']), 'items[1]'),
                       (dict(ok, n=True), 'n'), (dict(ok, repos=[{'name': 'r\n', 'cost': 1}]), 'repos[0].name'),
                       (dict(ok, repos=[{'name': 'r', 'cost': False}]), 'repos[0].cost'),
                       (dict(ok, free={'a': 'x\u2028y'}), 'free.a')):
        with pytest.raises(FedoraBuildError) as info:
            check_params_text(bad, spec)
        assert info.value.msg.startswith(field + ': '), info.value.msg
    with pytest.raises(FedoraBuildError) as info:
        check_params_text(dict(ok, pw='secret\r\nAUTH'), spec)
    assert info.value.msg == 'pw: contains control or invisible characters (such as a newline).'


@pytest.mark.parametrize('args', [
    ['-4oStrictHostKeyChecking no'], ['-o', 'StrictHostKeyChecking\tno'], ['-o', 'stricthostkeychecking="no"'],
    ['-F', '/tmp/evil_config'], ['-F/tmp/evil_config'], ['-qF', '/tmp/evil_config'],
    ['-o', 'HostKeyAlias=other.example.org'], ['-oInclude=/tmp/evil'], ['-o', 'User KnownHostsFile=/dev/null'],
])
def test_ssh_args_bypasses_of_host_key_checking_are_refused(args):
    with pytest.raises(FedoraBuildError, match=r'^t: .* is not allowed \(host key checking stays on'):
        staging.check_ssh_args(args, 't')


def test_ssh_args_that_stay_allowed():
    args = ['-o', 'ProxyJump=bastion', '-o', 'ForwardAgent=no', '-4', '-o', 'IdentitiesOnly=yes', '-c', 'aes128-ctr']
    assert staging.check_ssh_args(args, 't') == args


@pytest.mark.parametrize('builder,field', [
    ({'project': 'Fedora;id'}, 'builder.project'), ({'iso_name': '../../etc/x.iso'}, 'builder.iso_name'),
    ({'extra_boot_args': 'quiet; reboot'}, 'builder.extra_boot_args'), ({'volid': 'a`id`'}, 'builder.volid'),
])
def test_request_builder_options_are_checked_for_content(builder, field):
    request = {'image_type': 'live', 'release': 41, 'arch': 'x86_64',
               'kickstart': 'https://pagure.io/fedora-kickstarts/raw/f41/f/fedora-live-xfce.ks', 'builder': builder,
               'staging': [{'type': 'local', 'path': '/srv/staging'}]}
    normalized, problems = validate_request(request)
    assert normalized is None
    assert [msg for msg in problems if msg.startswith('request.' + field + ': ')], problems
