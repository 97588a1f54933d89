# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""pytest plugin: koji fixtures (registered in pytest.ini).

* ``gpg_key`` / ``gpg_key2`` (session): throw-away signing keys; gpg-agent killed at the end.
* ``rpm_factory`` (session): ``rpm_factory.build(name, version, release, arches=..., sign_with=[gpg_key])``
  builds real RPMs with rpmbuild, cached for the session.
* ``koji_hub`` (function): a fresh Koji hub stand-in on loopback (``KOJI_HUB_BIND`` env var or
  ``koji_hub_factory(host=...)`` to bind elsewhere, e.g. the lab bridge address).
* ``koji_hub_factory`` (function): make more hubs, e.g. bound to a lab bridge;
  ``koji_hub_factory(tls=True)`` serves HTTPS with ``koji_pki``'s server certificate
  (``verify_client='optional'|'require'|'none'``).
* ``koji_pki`` (session): test CA, hub server certificate, client certificates (``koji_pki.client('alice')``),
  see ``support.koji_pki``.
* ``koji_kdc`` (session): a real MIT KDC on loopback (``support.koji_kdc``); skips where krb5kdc is missing
  (fails under CI=true, ``support.skips``).
  Use ``koji_tls_hub.gssapi_keytab = koji_kdc.http_keytab`` and the KDC's ``env`` (KRB5_CONFIG, KRB5CCNAME).
* ``koji_tls_hub`` (function): an HTTPS hub (client certificates optional, as Koji's mod_ssl setup).
* ``koji_tls_world`` (function): ``koji_world``'s builds on an HTTPS hub.
"""

from __future__ import annotations

import os
import shutil

import pytest

from support.rpms import GpgKey, RpmFactory
from support.skips import tool_missing


def _have(tool):
    return shutil.which(tool) is not None


@pytest.fixture(scope='session')
def rpm_tools():
    """Skip cleanly (with the reason) where rpmbuild/rpmsign/gpg are missing; fail under CI=true."""
    missing = [t for t in ('rpmbuild', 'rpmsign', 'rpmkeys', 'gpg', 'gpgconf') if not _have(t)]
    if missing:
        tool_missing('RPM tools missing: %s (tests/install-deps.sh installs them)' % ', '.join(missing))


@pytest.fixture(scope='session')
def gpg_key(tmp_path_factory, rpm_tools):
    key = GpgKey(str(tmp_path_factory.mktemp('gpg1')))
    yield key
    key.close()


@pytest.fixture(scope='session')
def gpg_key2(tmp_path_factory, rpm_tools):
    key = GpgKey(str(tmp_path_factory.mktemp('gpg2')), email='sidetest2@example.invalid', real_name='Second Test Key')
    yield key
    key.close()


@pytest.fixture(scope='session')
def rpm_factory(tmp_path_factory, rpm_tools):
    return RpmFactory(str(tmp_path_factory.mktemp('rpms')))


@pytest.fixture(scope='session')
def koji_pki(tmp_path_factory):
    from support.koji_pki import TestPKI
    return TestPKI(tmp_path_factory.mktemp('koji-pki'))


@pytest.fixture(scope='session')
def koji_kdc(tmp_path_factory):
    from support.koji_kdc import TestKDC, missing_tools
    missing = missing_tools()
    if missing:
        tool_missing('Kerberos KDC tools missing: %s (Debian: krb5-kdc krb5-admin-server krb5-user)' % ', '.join(missing))
    kdc = TestKDC(tmp_path_factory.mktemp('kdc'))
    yield kdc
    kdc.close()


@pytest.fixture
def koji_hub_factory(tmp_path, request):
    from support.koji_hub import KojiHub, TLSConfig
    hubs = []

    def make(host=None, port=0, tls=False, verify_client='optional'):
        host = host or os.environ.get('KOJI_HUB_BIND', '127.0.0.1')
        tls_config = None
        if tls:
            pki = request.getfixturevalue('koji_pki')
            tls_config = TLSConfig(pki.server_cert, pki.ca_cert, verify_client=verify_client)
        hub = KojiHub(str(tmp_path / ('kojitop%d' % len(hubs))), host=host, port=port, tls=tls_config).start()
        hubs.append(hub)
        return hub
    yield make
    for hub in hubs:
        hub.stop()


@pytest.fixture
def koji_hub(koji_hub_factory):
    return koji_hub_factory()


@pytest.fixture
def koji_tls_hub(koji_hub_factory):
    return koji_hub_factory(tls=True)


class KojiWorld(object):
    """A hub stand-in populated with a fixed set of real builds (see ``koji_world``)."""

    def __init__(self, hub, factory, key1, key2):
        self.hub = hub
        self.key1 = key1
        self.key2 = key2
        signed = [key1, key2]
        self.hello1_rpms = factory.build('hello', '1.0', '1.fc41', arches=('x86_64', 'aarch64', 'i686'), sign_with=signed)
        self.hello1 = hub.add_build(self.hello1_rpms)
        self.hello2_rpms = factory.build('hello', '2.0', '1.fc41', arches=('x86_64', 'aarch64'), sign_with=[key1])
        self.hello2 = hub.add_build(self.hello2_rpms)
        self.pydata_rpms = factory.build('pydata', '0.5', '2.fc41', arches=('noarch',), subpackages=())
        self.pydata = hub.add_build(self.pydata_rpms, volume='archive')
        self.archtool_rpms = factory.build('archtool', '3.1', '1.fc41', arches=('x86_64',), subpackages=(),
                                           epoch=2, sign_with=[key2])
        self.archtool = hub.add_build(self.archtool_rpms)
        self.broken_rpms = factory.build('broken', '1.0', '1.fc41', arches=('x86_64',), subpackages=())
        self.broken = hub.add_build(self.broken_rpms, state='FAILED')
        self.scratch_rpms = factory.build('scratchpkg', '0.1', '1.fc41', arches=('x86_64',))
        self.scratch_task = hub.add_scratch_task(self.scratch_rpms, arch='x86_64')
        hub.tag_build('f41-updates', self.hello1)
        hub.tag_build('f41-updates', self.pydata)
        hub.tag_build('f41-updates', self.hello2)


@pytest.fixture
def koji_world(koji_hub, rpm_factory, gpg_key, gpg_key2):
    """Hub with: hello-1.0-1.fc41 (x86_64/aarch64/i686, libs, debuginfo; signed by both keys),
    hello-2.0-1.fc41 (signed key1, tagged last in f41-updates), pydata-0.5-2.fc41 (noarch, unsigned, volume
    'archive'), archtool-2:3.1-1.fc41 (x86_64, signed key2 only), broken-1.0-1.fc41 (FAILED) and a scratch
    build task of scratchpkg-0.1-1.fc41 (x86_64)."""
    return KojiWorld(koji_hub, rpm_factory, gpg_key, gpg_key2)


@pytest.fixture
def koji_tls_world(koji_tls_hub, rpm_factory, gpg_key, gpg_key2):
    """``koji_world``'s builds on an HTTPS hub stand-in (``koji_tls_hub``)."""
    return KojiWorld(koji_tls_hub, rpm_factory, gpg_key, gpg_key2)
