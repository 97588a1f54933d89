# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""koji_side_repo against a misbehaving file server and hub: tampered, truncated, slow, failing."""

from __future__ import annotations

import pytest

from support.koji_side import direct, leftovers, nvras

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError

HELLO = 'packages/hello/1.0/1.fc41/x86_64/hello-1.0-1.fc41.x86_64.rpm'


def gets(hub, path=None):
    return [r for r in hub.file_requests if r[0] == 'GET' and (path is None or r[1] == path)]


def test_tampered_once_is_retried_and_verified(koji_world, tmp_path):
    hub = koji_world.hub
    inj = hub.inject(HELLO, 'tamper', times=1)
    res = direct(hub, tmp_path, builds=['hello-1.0-1.fc41'])
    assert inj.fired == 1
    assert len(gets(hub, HELLO)) == 2
    # the bytes in the repo are the hub's real file, not the tampered one
    pkg = [p for p in res['packages'] if p['nvra'] == 'hello-1.0-1.fc41.x86_64'][0]
    assert (tmp_path / 'repo' / 'Packages' / 'hello-1.0-1.fc41.x86_64.rpm').read_bytes() == \
        open(hub.topdir + '/' + HELLO, 'rb').read()
    assert pkg['size'] == hub.rpms[[k for k, v in hub.rpms.items() if v['name'] == 'hello' and v['arch'] == 'x86_64'
                                    and v['version'] == '1.0'][0]]['size']


def test_tampered_always_fails_naming_file_and_lands_nowhere(koji_world, tmp_path):
    hub = koji_world.hub
    hub.inject(HELLO, 'tamper')
    with pytest.raises(FedoraBuildError) as err:
        direct(hub, tmp_path, builds=['hello-1.0-1.fc41'])
    assert err.value.msg.startswith('topurl: the downloaded file hello-1.0-1.fc41.x86_64.rpm (%s/%s) failed '
                                    'verification twice: payload SHA256 digest ' % (hub.topurl, HELLO))
    assert 'tampered' in err.value.msg
    assert not list((tmp_path / 'cache').rglob('hello-1.0-1.fc41.x86_64.rpm'))
    assert not (tmp_path / 'repo' / 'Packages').exists()
    assert not leftovers(tmp_path)


def test_tampered_signed_copy_detected(koji_world, tmp_path):
    """A signed copy has no size in Koji's DB: the digest check must still catch a same-size change."""
    w = koji_world
    path = 'packages/hello/1.0/1.fc41/data/signed/%s/x86_64/hello-1.0-1.fc41.x86_64.rpm' % w.key1.sigkey
    w.hub.inject(path, 'tamper')
    with pytest.raises(FedoraBuildError) as err:
        direct(w.hub, tmp_path, builds=['hello-1.0-1.fc41'], sigkeys=[w.key1.sigkey])
    assert 'hello-1.0-1.fc41.x86_64.rpm' in err.value.msg and 'failed verification twice' in err.value.msg


def test_truncated_downloads_are_retried(koji_world, tmp_path):
    hub = koji_world.hub
    inj = hub.inject('*/x86_64/*.rpm', 'truncate', times=2)
    res = direct(hub, tmp_path, builds=['hello-1.0-1.fc41'])
    assert inj.fired == 2
    assert nvras(res) == ['hello-1.0-1.fc41.x86_64', 'hello-libs-1.0-1.fc41.x86_64']
    assert not leftovers(tmp_path)


def test_failing_server_n_times_then_ok(koji_world, tmp_path):
    hub = koji_world.hub
    inj = hub.inject(HELLO, 'http', status=503, times=3)
    res = direct(hub, tmp_path, builds=['hello-1.0-1.fc41'], retries=4)
    assert inj.fired == 3 and len(gets(hub, HELLO)) == 4
    assert 'hello-1.0-1.fc41.x86_64' in nvras(res)


def test_failing_server_gives_up_after_retries(koji_world, tmp_path):
    hub = koji_world.hub
    hub.inject(HELLO, 'http', status=502)
    with pytest.raises(FedoraBuildError) as err:
        direct(hub, tmp_path, builds=['hello-1.0-1.fc41'], retries=2)
    assert err.value.msg == 'topurl: downloading %s/%s failed after 3 attempts: HTTP 502.' % (hub.topurl, HELLO)
    assert not leftovers(tmp_path)


def test_missing_file_is_not_retried(koji_world, tmp_path):
    hub = koji_world.hub
    hub.inject(HELLO, 'http', status=404)
    with pytest.raises(FedoraBuildError) as err:
        direct(hub, tmp_path, builds=['hello-1.0-1.fc41'], retries=3)
    assert err.value.msg == 'topurl: %s/%s could not be downloaded (HTTP 404 Not Found).' % (hub.topurl, HELLO)
    assert len(gets(hub, HELLO)) == 1


def test_signed_copy_missing_on_server(koji_world, rpm_factory, gpg_key, tmp_path):
    """The hub knows the signature but the signed copy was never written (or garbage-collected)."""
    hub = koji_world.hub
    rpms = rpm_factory.build('gcd', '1', '1.fc41', arches=('noarch',), subpackages=(), sign_with=[gpg_key])
    hub.add_build(rpms, write_signed=False)
    with pytest.raises(FedoraBuildError) as err:
        direct(hub, tmp_path, builds=['gcd-1-1.fc41'], sigkeys=[gpg_key.sigkey])
    assert err.value.msg.startswith('topurl: ') and 'data/signed/%s/noarch/gcd-1-1.fc41.noarch.rpm' % gpg_key.sigkey \
        in err.value.msg and err.value.msg.endswith('(HTTP 404 Not Found).')


def test_downloads_run_in_parallel(koji_world, tmp_path):
    """The file server holds every download until 3 are in flight at once (or 60 s have passed): a serial
    fetcher never gets there. No wall-clock assertion."""
    hub = koji_world.hub
    hub.file_gate = 3
    res = direct(hub, tmp_path, builds=['hello-1.0-1.fc41'], arches=['x86_64', 'aarch64', 'i686'],
                 exclude=[], parallel=9, timeout=120)
    assert len(res['packages']) == 9
    assert hub.file_max_in_flight >= 3


def test_parallel_one_downloads_one_at_a_time(koji_world, tmp_path):
    hub = koji_world.hub
    hub.file_gate, hub.file_gate_timeout = 2, 0.05
    res = direct(hub, tmp_path, builds=['hello-1.0-1.fc41'], arches=['x86_64'], exclude=[], parallel=1)
    assert len(res['packages']) == 3 and hub.file_max_in_flight == 1


def test_slow_server_times_out_and_retries(koji_world, tmp_path):
    hub = koji_world.hub
    inj = hub.inject(HELLO, 'delay', delay=2.5, times=1)
    res = direct(hub, tmp_path, builds=['hello-1.0-1.fc41'], timeout=1)
    assert inj.fired == 1 and 'hello-1.0-1.fc41.x86_64' in nvras(res)


def test_hub_errors_are_retried_by_the_koji_client(koji_world, tmp_path):
    hub = koji_world.hub
    inj = hub.inject('kojihub', 'rpc-http', status=503, times=2)
    res = direct(hub, tmp_path, builds=['hello-1.0-1.fc41'], retries=3)
    assert inj.fired == 2 and len(res['packages']) == 2


def test_hub_failing_for_good_is_one_sentence(koji_world, tmp_path):
    hub = koji_world.hub
    hub.inject('kojihub', 'rpc-http', status=500)
    with pytest.raises(FedoraBuildError) as err:
        direct(hub, tmp_path, builds=['hello-1.0-1.fc41'], retries=1)
    assert err.value.msg.startswith('hub_url: the Koji hub at %s is unreachable or failing after retries: ' % hub.url)
    assert '500' in err.value.msg and '\n' not in err.value.msg
