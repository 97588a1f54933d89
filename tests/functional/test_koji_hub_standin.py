# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Koji hub stand-in itself, seen through the real koji.ClientSession: wire format and file layout."""

from __future__ import annotations

import hashlib
import urllib.request
import xmlrpc.client

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


# ---------------------------------------------------------------- fidelity to kojihub (readTaggedBuilds & co.)
@pytest.fixture
def tagged_world(koji_world, rpm_factory):
    """f41 (parent) <- f41-updates-testing (child): hello 1.0 in the parent, hello 3.0 FAILED in the child,
    pydata blocked in the child, archtool tagged in the child without being listed there."""
    w = koji_world
    hub = w.hub
    hub.add_tag('f41', packages=['hello', 'pydata'])
    hub.add_tag('f41-updates-testing', parents=['f41'], blocked=['pydata'])
    hub.tag_build('f41', w.hello1)
    hub.tag_build('f41', w.pydata)
    failed = hub.add_build(rpm_factory.build('hello', '3.0', '1.fc41', arches=('x86_64',)), state='FAILED')
    hub.tag_build('f41-updates-testing', failed)
    hub.tag_build('f41-updates-testing', w.archtool, add_package=False)
    return w


def test_getlatestbuilds_inherits_and_skips_failed_unlisted_and_blocked(tagged_world):
    w = tagged_world
    session = koji.ClientSession(w.hub.url)
    got = session.getLatestBuilds('f41-updates-testing')
    # hello: the child's newest tagging is FAILED, so the parent's COMPLETE build; pydata: blocked in the
    # child; archtool: tagged in the child but its package is not in the tag's list
    assert [(b['nvr'], b['tag_name']) for b in got] == [('hello-1.0-1.fc41', 'f41')]
    assert session.getLatestBuilds('f41-updates-testing', package='pydata') == []
    assert [b['nvr'] for b in session.getLatestBuilds('f41', package='pydata')] == ['pydata-0.5-2.fc41']
    # a child's own COMPLETE build wins over the parent's
    w.hub.tag_build('f41-updates-testing', w.hello2)
    assert [b['nvr'] for b in session.getLatestBuilds('f41-updates-testing', package='hello')] == ['hello-2.0-1.fc41']
    # listTagged does not inherit unless asked
    assert [b['nvr'] for b in session.listTagged('f41-updates-testing')] == ['hello-2.0-1.fc41']
    assert [b['nvr'] for b in session.listTagged('f41-updates-testing', inherit=True, latest=True)] == ['hello-2.0-1.fc41']


def test_lookup_errors_carry_kojis_text(koji_world):
    session = koji.ClientSession(koji_world.hub.url)
    with pytest.raises(koji.GenericError) as err:
        session.getLatestBuilds('no-such-tag')
    assert str(err.value) == 'No such entry in table tag: no-such-tag'
    assert err.value.faultCode == 1000
    with pytest.raises(koji.GenericError) as err:
        session.listTagged('no-such-tag')
    assert str(err.value) == "No such tagInfo: 'no-such-tag'"
    with pytest.raises(koji.GenericError) as err:
        session.getBuild('nosuch-1-1', strict=True)
    assert str(err.value) == 'No such build: nosuch-1-1'


def test_multicall_fault_entries_have_kojixmlrpc_shape(koji_world):
    """kojixmlrpc.multiCall: [result] per success; {faultCode, faultString, traceback (a list)} per failure."""
    proxy = xmlrpc.client.ServerProxy(koji_world.hub.url, allow_none=True, use_builtin_types=True)
    answers = proxy.multiCall([{'methodName': 'getAPIVersion', 'params': []},
                               {'methodName': 'getLatestBuilds', 'params': ['no-such-tag']},
                               {'methodName': 'getBuild', 'params': ['x-1-1', {'strict': True, '__starstar': True}]}])
    assert answers[0] == [1]
    for entry, text in zip(answers[1:], ('No such entry in table tag: no-such-tag', 'No such build: x-1-1')):
        assert set(entry) == {'faultCode', 'faultString', 'traceback'}
        assert entry['faultCode'] == 1000 and entry['faultString'] == text
        assert isinstance(entry['traceback'], list) and entry['traceback'][0].startswith('Traceback')


def test_getrpmchecksums_answers_like_kojihub(koji_world):
    w = koji_world
    session = koji.ClientSession(w.hub.url)
    rpm = session.listRPMs(buildID=w.hello1['id'], arches=['x86_64'])[0]
    sums = session.getRPMChecksums(rpm['id'], checksum_types=['sha256'])
    assert set(sums) == {w.key1.sigkey, w.key2.sigkey}
    pi = koji.PathInfo(topdir=w.hub.topdir)
    signed = pi.build(w.hello1) + '/' + pi.signed(rpm, w.key1.sigkey)
    assert sums[w.key1.sigkey] == {'sha256': hashlib.sha256(open(signed, 'rb').read()).hexdigest()}
    assert set(session.getRPMChecksums(rpm['id'])[w.key2.sigkey]) == {'md5', 'sha256'}   # RPMDefaultChecksums
    unsigned = session.listRPMs(buildID=w.pydata['id'])[0]
    assert session.getRPMChecksums(unsigned['id']) == {}
    with pytest.raises(koji.GenericError, match='^No cached signature for rpm ID %d.$' % unsigned['id']):
        session.getRPMChecksums(unsigned['id'], strict=True)
    with pytest.raises(koji.GenericError, match="^Checksum_type sha512 isn't supported$"):
        session.getRPMChecksums(rpm['id'], checksum_types=['sha512'])
    # the sighash queryRPMSigs reports is koji's own: MD5 of the padded signature header
    sig = [s for s in session.queryRPMSigs(rpm_id=rpm['id']) if s['sigkey'] == w.key1.sigkey][0]
    assert sig['sighash'] == hashlib.md5(koji.rip_rpm_sighdr(signed)).hexdigest()


def test_side_repo_against_inheritance_and_koji_errors(tagged_world, tmp_path):
    from support.koji_side import direct
    from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
    w = tagged_world
    res = direct(w.hub, tmp_path, tag_latest=[{'tag': 'f41-updates-testing', 'packages': ['hello']}])
    assert {p['nvr'] for p in res['packages']} == {'hello-1.0-1.fc41'}        # inherited, FAILED one skipped
    for package in ('pydata', 'archtool'):                                    # blocked / not listed
        with pytest.raises(FedoraBuildError) as err:
            direct(w.hub, tmp_path, tag_latest=[{'tag': 'f41-updates-testing', 'packages': [package]}])
        assert err.value.msg == "tag_latest: package %r has no build tagged in 'f41-updates-testing'." % package
    with pytest.raises(FedoraBuildError) as err:
        direct(w.hub, tmp_path, tag_latest=[{'tag': 'f41-nope', 'packages': ['hello']}])
    assert err.value.msg == "tag_latest: tag 'f41-nope' does not exist on the Koji hub at %s." % w.hub.url
