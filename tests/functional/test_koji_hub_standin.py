# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Koji hub stand-in itself, seen through the real koji.ClientSession: wire format and file layout."""

from __future__ import annotations

import urllib.request

import koji
import pytest
import requests


def test_version_header_and_api_version(koji_hub):
    session = koji.ClientSession(koji_hub.url)
    assert session.getAPIVersion() == 1
    assert session.hub_version == (1, 36, 1)
    resp = requests.post(koji_hub.url, data=koji.xmlrpcplus.dumps((), 'getKojiVersion'), timeout=10)
    assert resp.headers['Koji-Version'] == '1.36.1'


def test_big_integers_survive(koji_world):
    """Real hubs send <i8>; the stand-in answers with koji.xmlrpcplus so sizes above 2**31 work."""
    hub = koji_world.hub
    rid = sorted(hub.rpms)[0]
    hub.rpms[rid]['size'] = 5368709120
    session = koji.ClientSession(hub.url)
    got = session.listRPMs(buildID=hub.rpms[rid]['build_id'])
    assert [r['size'] for r in got if r['id'] == rid] == [5368709120]


def test_faults_map_to_koji_exceptions(koji_world):
    session = koji.ClientSession(koji_world.hub.url)
    assert session.getBuild('nosuch-1-1') is None
    with pytest.raises(koji.GenericError, match='No such build'):
        session.getBuild('nosuch-1-1', strict=True)
    with pytest.raises(koji.ParameterError):
        session.getBuild()
    with pytest.raises(koji.GenericError, match='Invalid method: notAMethod'):
        session.notAMethod()


def test_kwargs_are_decoded(koji_world):
    w = koji_world
    session = koji.ClientSession(w.hub.url)
    info = session.getTaskInfo(w.scratch_task, request=True)
    assert info['request'][2] == {'scratch': True}
    assert 'request' not in session.getTaskInfo(w.scratch_task)
    assert w.hub.calls[-2] == ('getTaskInfo', (w.scratch_task,), {'request': True})


def test_new_and_legacy_multicall_with_per_call_faults(koji_world):
    w = koji_world
    session = koji.ClientSession(w.hub.url)
    with session.multicall() as mc:
        ok = mc.getBuild(w.hello1['id'])
        bad = mc.getBuild('x-1-1', strict=True)
    assert ok.result['nvr'] == 'hello-1.0-1.fc41'
    with pytest.raises(koji.GenericError, match='No such build'):
        bad.result  # pylint: disable=pointless-statement
    session.multicall = True
    session.getBuild(w.pydata['id'])
    session.getBuild('x-1-1', strict=True)
    legacy = session.multiCall()
    assert legacy[0][0]['volume_name'] == 'archive'
    assert legacy[1]['faultCode'] == koji.GenericError.faultCode
    assert w.hub.requests.count('multiCall') == 2


def test_file_layout_matches_pathinfo_and_ranges(koji_world):
    w = koji_world
    pi = koji.PathInfo(topdir=w.hub.topurl)
    session = koji.ClientSession(w.hub.url)
    rpm = session.listRPMs(buildID=w.pydata['id'])[0]
    url = pi.build(w.pydata) + '/' + pi.rpm(rpm)
    assert '/vol/archive/packages/pydata/0.5/2.fc41/noarch/' in url
    data = urllib.request.urlopen(url).read()
    assert len(data) == rpm['size']
    req = urllib.request.Request(url, headers={'Range': 'bytes=100-'})
    resp = urllib.request.urlopen(req)
    assert resp.status == 206 and resp.read() == data[100:]
    hello = session.listRPMs(buildID=w.hello1['id'], arches=['x86_64'])[0]
    signed = pi.build(w.hello1) + '/' + pi.signed(hello, w.key1.sigkey)
    assert urllib.request.urlopen(signed).read() != urllib.request.urlopen(pi.build(w.hello1) + '/' + pi.rpm(hello)).read()
    child = w.scratch_task + 1
    out = session.listTaskOutput(child)
    assert 'scratchpkg-0.1-1.fc41.x86_64.rpm' in out
    assert urllib.request.urlopen('%s/%s/scratchpkg-0.1-1.fc41.x86_64.rpm'
                                  % (pi.work(), pi.taskrelpath(child))).status == 200


def test_bind_address_is_configurable(koji_hub_factory):
    hub = koji_hub_factory(host='127.0.0.2')
    assert hub.url.startswith('http://127.0.0.2:')
    assert koji.ClientSession(hub.url).getAPIVersion() == 1
