# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 15: a repeat of a staged request is answered before any slot is taken (roles/build/tasks/reuse.yml,
docs/pipeline.md "Reuse"), under exactly the build ID the full pipeline computes, never for inputs that moved, and
only for a staged build that still matches its CHECKSUM.

The real pipeline (playbooks/build.yml) on this machine as the build node, the Koji hub stand-in with signed RPMs and
the lorax stand-in.
"""

from __future__ import annotations

import fcntl
import json
import platform
import subprocess
import sys

import pytest

from support.ansible_run import REPO, run_playbook

ARCH = platform.machine()
PLAYBOOK = str(REPO / 'playbooks' / 'build.yml')
QUICK = 'ondemand.fedora_build.build : Compute the build ID as the full path would'
FULL = 'ondemand.fedora_build.build : Compute the build ID'
VERIFY = 'ondemand.fedora_build.build : Check the staged build against its CHECKSUM (every file hashed; check mode, nothing written)'
# the node's pipeline: what a reuse no longer pays
SLOT_TASKS = ('ondemand.fedora_build.node_lock', 'ondemand.fedora_build.build_cleanup')


@pytest.fixture
def node(tmp_path):
    dirs = {name: tmp_path / 'node' / name for name in ('work', 'cache', 'lock')}
    host = {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}
    host.update(('fedora_build_%s_dir' % name, str(path)) for name, path in dirs.items())
    host['fedora_build_kickstart_dirs'] = [str(tmp_path)]  # the operator's directory of requested kickstarts
    host['fedora_build_node_repo_dirs'] = [str(tmp_path)]  # and of node repositories (the test repos lie there)
    return dict(dirs, inventory={'all': {'children': {'builders': {'hosts': {'localhost': host}}}}},
                staging=tmp_path / 'staging')


def request_for(koji_world, fedora_repo, **koji):
    w = koji_world
    return {'image_type': 'boot', 'release': '41', 'arch': ARCH,
            'koji': dict({'hub_url': w.hub.url, 'topurl': w.hub.topurl, 'sigkeys': [w.key1.sigkey]}, **koji),
            'repos': {'presets': [], 'extra': [{'name': 'fedora', 'baseurl': 'file://%s/' % fedora_repo}]}}


def run(node, tmp_path, builder_standins, request, name, ok=True, **extra):
    service = {
        'fedora_build_staging': [{'type': 'local', 'path': str(node['staging'])}],
        'fedora_build_allow_request_destinations': True,
        'fedora_build_environment': builder_standins.environment,
        'fedora_build_preflight_require': ['root', 'tools', 'arch'],
        'fedora_build_poll': 1,
    }
    service.update(extra)
    result = run_playbook(PLAYBOOK, inventory=node['inventory'], workdir=tmp_path / name,
                          extra_vars=dict(service, fedora_build_request=request))
    if ok:
        result.assert_ok()
    records = [json.loads(p.read_text()) for p in (node['staging'] / 'status').glob('rq-*.json')]
    (record,) = [r for r in records if r['name'] == request.get('name', 'boot')]
    return result, record


def node_modules(result):
    """The module runs on the build node (not delegated, not skipped): each is a round trip over SSH on a real node."""
    return [r.action for r in result.results if r.host.startswith('localhost#') and r.status != 'skipped'
            and r.action.startswith('ondemand.fedora_build.') and not r.result.get('_ansible_delegated_vars')
            and r.action not in ('ondemand.fedora_build.build_status', 'ondemand.fedora_build.notify')]


def test_repeat_is_answered_without_a_slot_under_the_full_paths_build_id(
        node, tmp_path, koji_world, fedora_repo, builder_standins):
    request = request_for(koji_world, fedora_repo, builds=['hello-2.0-1.fc41'])
    dummy, first = run(node, tmp_path, builder_standins, request, 'first')
    build_id = first['build_id']

    again, record = run(node, tmp_path, builder_standins, request, 'again')
    assert record['reused'] is True and record['build_id'] == build_id, record
    # answered before any slot was taken: no lock, no slot dir, no side repo made
    assert not [r for r in again.results if r.action in SLOT_TASKS and r.status != 'skipped']
    assert again.result(QUICK)['ansible_facts']['build_reuse_id'] == build_id
    assert node_modules(again) == ['ondemand.fedora_build.preflight', 'ondemand.fedora_build.koji_side_repo']
    (side,) = [r for r in again.results if r.action == 'ondemand.fedora_build.koji_side_repo']
    assert side.result['bytes_downloaded'] == 0 and all(p['sha256'] for p in side.result['packages'])
    assert 'lock' not in [h['phase'] for h in record['history'][len(first['history']):]]
    # the node is asked for the builder's version only (the one the build ID covers), read as the full path reads it
    (probe,) = [r for r in again.results if r.action == 'ondemand.fedora_build.preflight' and r.status != 'skipped']
    assert list(probe.result['report']['tools']) == ['lorax'] and probe.result['report']['tools']['lorax']['version']

    # the node's pipeline for the same request (quick reuse off) finds the same build, the build ID computed after
    # the side repo was made; and a forced build (never reused) computes it too
    slow, record = run(node, tmp_path, builder_standins, request, 'slow', fedora_build_quick_reuse=False)
    assert record['reused'] is True and record['build_id'] == build_id
    assert slow.status('ondemand.fedora_build.build : Take a free build slot (flock; waits while the node is busy)') != 'skipped'
    full_id = slow.result('ondemand.fedora_build.build : Compute the build ID')['ansible_facts']['build_id']
    assert full_id == build_id
    full_tools = slow.result('ondemand.fedora_build.build : Check that the node can build the image')['report']['tools']
    assert len(full_tools) > 1 and full_tools['lorax'] == probe.result['report']['tools']['lorax']
    dummy, forced = run(node, tmp_path, builder_standins, dict(request, force=True), 'forced')
    assert forced['reused'] is False and forced['build_id'] == build_id


def test_a_moved_tag_is_never_reused(node, tmp_path, koji_world, fedora_repo, builder_standins, rpm_factory):
    request = request_for(koji_world, fedora_repo, tag_latest=[{'tag': 'f41-updates', 'packages': ['hello']}])
    dummy, first = run(node, tmp_path, builder_standins, request, 'first')
    again, record = run(node, tmp_path, builder_standins, request, 'again')
    assert record['reused'] is True and record['build_id'] == first['build_id']
    assert again.result(QUICK)['ansible_facts']['build_reuse_id'] == first['build_id']

    # a newer hello is tagged, and the node's cache already holds it (another request pinned it): the quick path
    # resolves the tag as the full path does, computes another ID and does not reuse
    w = koji_world
    newer = w.hub.add_build(rpm_factory.build('hello', '3.0', '1.fc41', arches=(ARCH,), sign_with=[w.key1]))
    run(node, tmp_path, builder_standins, dict(request_for(koji_world, fedora_repo, builds=['hello-3.0-1.fc41']),
                                               name='newer'), 'newer')
    w.hub.tag_build('f41-updates', newer)
    moved, record = run(node, tmp_path, builder_standins, request, 'moved')
    assert record['reused'] is False and record['build_id'] != first['build_id'], record
    assert moved.result(QUICK)['ansible_facts']['build_reuse_id'] == record['build_id']
    staged = json.loads((node['staging'] / record['build_id'] / 'build.json').read_text())
    assert 'hello-3.0-1.fc41' in json.dumps(staged['side_repo'])


def damage(iso, how):
    if how == 'missing':
        iso.unlink()
    else:
        data = bytearray(iso.read_bytes())
        data[len(data) // 2] ^= 0xFF          # same size, other bytes: only hashing sees it
        iso.write_bytes(bytes(data))


@pytest.mark.parametrize('how', ['differs', 'missing'])
def test_a_damaged_staged_build_is_rebuilt_not_reused(node, tmp_path, koji_world, fedora_repo, builder_standins, how):
    """The check's answer "a file differs / is missing" (the stage module checking the staged build in place,
    roles/build/tasks/verify_staged.yml) is the one answer that means "build it again"."""
    request = request_for(koji_world, fedora_repo, builds=['hello-2.0-1.fc41'])
    dummy, first = run(node, tmp_path, builder_standins, request, 'first')
    staged = node['staging'] / first['build_id']
    iso = staged / 'output' / 'images' / 'boot.iso'
    damage(iso, how)

    for name, quick in (('quick', True), ('slow', False)):
        again, record = run(node, tmp_path, builder_standins, request, name, fedora_build_quick_reuse=quick)
        assert record['reused'] is False and record['build_id'] == first['build_id'], (name, record)
        assert again.status(VERIFY) == 'ok' and again.result(VERIFY)['would_transfer'] == ['output/images/boot.iso']
        subprocess.run(['sha256sum', '--quiet', '-c', 'CHECKSUM'], cwd=staged, check=True)
        damage(iso, how)


def test_a_failing_check_of_the_staged_build_fails_the_build_and_is_no_rebuild(
        node, tmp_path, koji_world, fedora_repo, builder_standins):
    """Only the check's answer means "damaged": a stage module that refuses its arguments (here the target entry
    carries a key the module does not know, as a named target's entry once did) fails the build with the module's
    sentence, on both reuse paths, and nothing is built or staged again."""
    request = request_for(koji_world, fedora_repo, builds=['hello-2.0-1.fc41'])
    dummy, first = run(node, tmp_path, builder_standins, request, 'first')
    staged = node['staging'] / first['build_id']
    before = (staged / 'CHECKSUM').read_bytes(), (staged / 'build.json').read_bytes()
    # the target the check gets (the role's own facts; extra vars win over set_fact)
    wrong = {'type': 'local', 'path': str(node['staging']), 'name': 'nightly'}
    for name, quick in (('quick', True), ('slow', False)):
        again, record = run(node, tmp_path, builder_standins, request, name, ok=False, fedora_build_quick_reuse=quick,
                            build_reuse_target=wrong, build_first_local=wrong)
        assert again.rc != 0
        assert record['state'] == 'failed' and record['reused'] is False, (name, record)
        assert 'Unsupported parameters' in record['reason'] and 'target.name' in record['reason'], (name, record)
        ran = [r.action for r in again.results if r.status != 'skipped']
        assert 'ondemand.fedora_build.boot_iso' not in ran, (name, 'rebuilt')
        assert ('ondemand.fedora_build.node_lock' in ran) is not quick, name   # the quick path took no slot
        assert ((staged / 'CHECKSUM').read_bytes(), (staged / 'build.json').read_bytes()) == before


def test_a_failed_force_rebuild_never_replaces_the_staged_build(node, tmp_path, koji_world, fedora_repo, builder_standins):
    """force rebuilds under the same build ID; when that rebuild fails (here the content check: the stand-in loses
    the side repo's priority, so the distribution's hello 9.0 shadows the pinned 2.0), its logs do not replace the
    good build staged under that ID (stage: failed=true keeps a built tree, kept_staged), and the reason says so."""
    request = dict(request_for(koji_world, fedora_repo, builds=['hello-2.0-1.fc41']), builder={'installpkgs': ['hello']})
    dummy, first = run(node, tmp_path, builder_standins, request, 'first')
    staged = node['staging'] / first['build_id']
    before = (staged / 'CHECKSUM').read_bytes(), (staged / 'build.json').read_bytes()
    broken = dict(builder_standins.environment, FB_STANDIN_LOSE_PRIORITY='1')
    again, record = run(node, tmp_path, builder_standins, dict(request, force=True), 'force', ok=False,
                        fedora_build_environment=broken)
    assert record['state'] == 'failed' and record['build_id'] == first['build_id'], record
    assert 'hello-9.0' in record['reason'], record
    assert record['reason'].endswith('its logs were not staged: the good build staged under this build ID is kept'), record
    assert ((staged / 'CHECKSUM').read_bytes(), (staged / 'build.json').read_bytes()) == before
    subprocess.run(['sha256sum', '--quiet', '-c', 'CHECKSUM'], cwd=staged, check=True)


def live_request(tmp_path, fedora_repo, **extra):
    kickstart = tmp_path / 'live.ks'
    # what livemedia-creator --no-virt needs: an install url, network, dracut-live (the stand-in refuses like lmc)
    body = ('url --url=file://%s/\nnetwork --bootproto=dhcp\nshutdown\n%%packages\n@core\nkernel\ndracut-live\n%%end\n'
            % fedora_repo)
    kickstart.write_text('lang en_US.UTF-8\nkeyboard us\ntimezone UTC\n' + body)
    request = {'image_type': 'live', 'release': '41', 'arch': ARCH, 'kickstart': {'src': str(kickstart)},
               'repos': {'presets': [], 'extra': [{'name': 'fedora', 'baseurl': 'file://%s/' % fedora_repo}]},
               'name': 'live'}
    request.update(extra)
    return kickstart, body, request


def test_a_changed_kickstart_is_never_reused(node, tmp_path, fedora_repo, builder_standins):
    """A kickstart request is answered before any slot too: the kickstart module in check mode (no dest, nothing
    written) gives the prepared kickstart's identity; with other content under the same name, it is built anew."""
    kickstart, body, request = live_request(tmp_path, fedora_repo)
    dummy, first = run(node, tmp_path, builder_standins, request, 'first', fedora_build_poll=0)
    again, record = run(node, tmp_path, builder_standins, request, 'again', fedora_build_poll=0)
    assert record['reused'] is True and record['build_id'] == first['build_id']
    assert again.result(QUICK)['ansible_facts']['build_reuse_id'] == first['build_id']
    assert node_modules(again) == ['ondemand.fedora_build.preflight', 'ondemand.fedora_build.kickstart']
    assert not [r for r in again.results if r.action in SLOT_TASKS and r.status != 'skipped']
    kickstart.write_text('lang de_DE.UTF-8\nkeyboard de\ntimezone UTC\n' + body)
    changed, record = run(node, tmp_path, builder_standins, request, 'changed', fedora_build_poll=0)
    assert record['reused'] is False and record['build_id'] != first['build_id'], record
    assert changed.result(QUICK)['ansible_facts']['build_reuse_id'] == record['build_id']
    assert changed.result(FULL)['ansible_facts']['build_id'] == record['build_id']


def test_a_kickstart_request_with_koji_builds_has_one_build_id_in_every_slot(
        node, tmp_path, koji_world, fedora_repo, builder_standins):
    """The prepared kickstart names the side repo by its slot's path (slot-<N>/side-repo); the build ID takes the
    kickstart's identity_sha256, which does not. Built in slot 0, the same request is reused from slot 1 (slot 0 held
    by someone else) and before any slot, under one build ID: the full path's and the quick path's are the same."""
    w = koji_world
    dummy, dummy, request = live_request(
        tmp_path, fedora_repo,
        koji={'hub_url': w.hub.url, 'topurl': w.hub.topurl, 'sigkeys': [w.key1.sigkey], 'builds': ['hello-2.0-1.fc41']})
    node['inventory']['all']['children']['builders']['hosts']['localhost']['fedora_build_capacity'] = 2
    first_run, first = run(node, tmp_path, builder_standins, request, 'first', fedora_build_poll=0)
    build_id = first['build_id']
    staged = json.loads((node['staging'] / build_id / 'build.json').read_text())
    assert staged['slot'] == 0 and staged['side_repo']['packages'], staged
    prepared = first_run.result('ondemand.fedora_build.build : Flatten the kickstart, add the repos and the side repo')
    assert '/slot-0/side-repo' in (node['staging'] / build_id / 'kickstart' / 'live.ks').read_text()
    assert staged['kickstart']['identity_sha256'] == prepared['identity_sha256'] != prepared['sha256']

    with open(node['lock'] / 'slot-0.lock', 'a') as held:     # someone else's build holds slot 0
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        slot1, record = run(node, tmp_path, builder_standins, request, 'slot1', fedora_build_poll=0,
                            fedora_build_quick_reuse=False)
    assert slot1.result('ondemand.fedora_build.build : Take a free build slot (flock; waits while the node is busy)')[
        'slot'] == 1
    assert slot1.result(FULL)['ansible_facts']['build_id'] == build_id
    assert record['reused'] is True and record['build_id'] == build_id, record

    quick, record = run(node, tmp_path, builder_standins, request, 'quick', fedora_build_poll=0)
    assert record['reused'] is True and record['build_id'] == build_id, record
    assert quick.result(QUICK)['ansible_facts']['build_reuse_id'] == build_id
    assert node_modules(quick) == ['ondemand.fedora_build.preflight', 'ondemand.fedora_build.koji_side_repo',
                                   'ondemand.fedora_build.kickstart']
    assert not [r for r in quick.results if r.action in SLOT_TASKS and r.status != 'skipped']
