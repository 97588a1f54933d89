# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/build*.yml end to end on this machine as the only build node.

Real: ansible-playbook, the Koji hub stand-in with rpmbuild-made signed RPMs,
createrepo_c, pykickstart, the SMTP sink, flock slots, staging to a local
directory. Stand-ins: the builder tools (lorax, pungi, livemedia-creator).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess

from support.ansible_run import REPO, run_playbook
from support.kickstarts import local_kickstarts

ARCH = platform.machine()


def service_vars(builder_standins, node, **extra):
    data = {
        'fedora_build_staging': [{'type': 'local', 'path': str(node['staging'])}],
        # the requests name the Koji hub stand-in themselves (anonymous reads, no secret)
        'fedora_build_allow_request_destinations': True,
        'fedora_build_environment': builder_standins.environment,
        # this Debian machine is no Fedora 41; enough free space is checked elsewhere
        'fedora_build_preflight_require': ['root', 'tools', 'arch'],
        'fedora_build_poll': 1,
    }
    data.update(extra)
    return data


def boot_request(koji_world, fedora_repo, **extra):
    w = koji_world
    req = {
        'image_type': 'boot', 'release': '41', 'arch': ARCH,
        'koji': {'hub_url': w.hub.url, 'topurl': w.hub.topurl, 'builds': ['hello-2.0-1.fc41'],
                 'sigkeys': [w.key1.sigkey]},
        'repos': {'presets': [], 'extra': [{'name': 'fedora', 'baseurl': 'file://%s/' % fedora_repo}]},
    }
    req.update(extra)
    return req


def build(node, tmp_path, extra_vars, playbook='build.yml', name='run'):
    return run_playbook(str(REPO / 'playbooks' / playbook), inventory=node['inventory'], extra_vars=extra_vars,
                        workdir=tmp_path / name)


def status_records(staging):
    status = staging / 'status'
    return {p.stem: json.loads(p.read_text()) for p in status.glob('rq-*.json')}


def lock_holders(lock_dir):
    out = subprocess.run(['pgrep', '-f', str(lock_dir)], capture_output=True, text=True, check=False)
    return out.stdout.split()


def subjects_of(smtp_sink, first=0):
    return [e['message']['subject'] for e in smtp_sink.envelopes[first:]]


def test_boot_build_with_a_koji_build_lands_verified_in_staging_and_is_not_rebuilt(
        node, tmp_path, koji_world, fedora_repo, builder_standins, smtp_sink):
    request = boot_request(koji_world, fedora_repo, notify={'email': ['qa@example.org']})
    smtp = {'host': smtp_sink.host, 'port': smtp_sink.port, 'security': 'none', 'sender': 'builds@example.org'}
    run = build(node, tmp_path, dict(service_vars(builder_standins, node, fedora_build_smtp=smtp), fedora_build_request=request))
    run.assert_ok()
    (lorax,) = [r for r in run.results if r.action == 'ondemand.fedora_build.boot_iso']
    assert lorax.result.get('ansible_job_id'), 'fedora_build_poll 1: the builder runs as an async job'
    # one staging target: the transfer's own stage call moved latest, no second pass
    stages = [r for r in run.results if r.action == 'ondemand.fedora_build.stage']
    assert [r.status for r in stages if r.task.startswith('ondemand.fedora_build.build : Point latest')] == \
        ['skipped', 'skipped'], [(r.task, r.status) for r in stages]
    (pulled,) = [r for r in stages if r.status == 'changed']
    assert pulled.result['results'][0]['latest']['name'] == 'latest-boot-41-%s' % ARCH

    (rid, record), = status_records(node['staging']).items()
    assert record['state'] == 'succeeded' and record['phase'] == 'done', record
    phases = [h['phase'] for h in record['history']]
    for phase in ('queued', 'lock', 'preflight', 'side_repo', 'build', 'contents', 'checksum', 'staging', 'done'):
        assert phase in phases, phases
    build_id = record['build_id']
    assert build_id.startswith('boot-41-%s-' % ARCH)
    # the content check read lorax's runtime package log and staged its record and the SBOM
    contents = json.loads((node['staging'] / build_id / 'contents.json').read_text())
    assert contents['source'] == 'package-log' and contents['packages'] > 0, contents
    assert record['contents']['summary'] == contents['summary'] == '%d of %d pinned builds verified in the image' % (
        contents['verified'], contents['total'])
    assert contents['counts']['shadowed'] == 0
    sbom = json.loads((node['staging'] / build_id / 'sbom.spdx.json').read_text())
    assert sbom['spdxVersion'] == 'SPDX-2.3' and len(sbom['packages']) == contents['packages'] + 1
    staged = node['staging'] / build_id
    assert (staged / 'output' / 'images' / 'boot.iso').is_file()
    assert (staged / 'logs' / 'lorax' / 'build.log').is_file()
    subprocess.run(['sha256sum', '--quiet', '-c', 'CHECKSUM'], cwd=staged, check=True)
    manifest = json.loads((staged / 'build.json').read_text())
    assert manifest['result']['state'] == 'succeeded' and manifest['request_id'] == rid
    assert manifest['contents'] == record['contents']
    # times.queued: when this run queued the request (the status record's history says when)
    queued = [h['time'] for h in record['history'] if h['state'] == 'queued']
    assert manifest['times']['queued'] == queued[-1], manifest['times']
    # the builder module's own manifest is staged with the tool's logs, not among its output files
    assert not list((staged / 'output').rglob('.fedora_build.json'))
    assert json.loads((staged / 'logs' / 'lorax' / '.fedora_build.json').read_text())['tool'].endswith('lorax')
    assert manifest['argv'][0].endswith('/lorax') and manifest['tool'] == 'lorax'
    assert [p['nvra'] for p in manifest['side_repo']['packages'] if p['nvra'].startswith('hello-2.0')]
    koji = json.loads((staged / 'koji-manifest.json').read_text())
    assert 'hello-2.0-1.fc41' in json.dumps(koji)
    assert os.readlink(node['staging'] / ('latest-boot-41-%s' % ARCH)) == build_id
    assert not list(node['work'].glob('slot-*')), 'work dirs must be removed'
    assert not lock_holders(node['lock']), 'the slot must be released'
    assert not list(node['staging'].glob('.*partial*'))
    # what AWX workflows get (set_stats)
    stats, = run.custom['_run']['fedora_build_results']
    assert stats['build_id'] == build_id and stats['state'] == 'succeeded' and stats['artifacts']
    assert {a['sha256'] for a in stats['artifacts']} <= {line.split(' = ')[1] for line in (
        staged / 'CHECKSUM').read_text().splitlines() if ' = ' in line}

    # the emails: submitted, then succeeded, whose checksum lines pass `sha256sum -c` where the build is staged
    assert subjects_of(smtp_sink) == ['[fedora-build] submitted: boot 41 %s (%s)' % (ARCH, rid),
                                      '[fedora-build] succeeded: boot 41 %s (%s)' % (ARCH, build_id)]
    body = smtp_sink.envelopes[1]['message'].get_content()
    assert '  Contents:     %s\n' % contents['summary'] in body, body
    sums = [line for line in body.splitlines() if line.startswith('SHA256 (')]
    assert 'SHA256 (output/images/boot.iso) = ' in '\n'.join(sums), body
    (tmp_path / 'email.sha256').write_text('\n'.join(sums) + '\n')
    subprocess.run(['sha256sum', '--quiet', '-c', str(tmp_path / 'email.sha256')], cwd=staged, check=True)

    # Same request again: the finished build in staging is found, nothing is rebuilt.
    mailed = len(smtp_sink.envelopes)
    again = build(node, tmp_path, dict(service_vars(builder_standins, node, fedora_build_smtp=smtp), fedora_build_request=request),
                  name='again')
    again.assert_ok()
    record2 = status_records(node['staging'])[rid]
    assert record2['state'] == 'succeeded' and record2['build_id'] == build_id and record2['reused'] is True
    # one email, saying reused (the "submitted" one is held back for a likely reuse)
    assert subjects_of(smtp_sink, mailed) == ['[fedora-build] succeeded (reused): boot 41 %s (%s)' % (ARCH, build_id)]
    assert again.status('Tell the requesters their build is queued', 'localhost') == 'skipped'
    # a repeat is answered before any slot is taken (roles/build/tasks/reuse.yml; tests/functional/test_reuse_quick.py)
    assert not [r for r in again.results if r.action == 'ondemand.fedora_build.node_lock' and r.status != 'skipped']
    assert not lock_holders(node['lock']) and not list(node['work'].glob('slot-*'))
    assert record2['staging'] == ['file://%s/%s' % (node['staging'], build_id)]
    assert 'build' not in [h['phase'] for h in record2['history'][len(record['history']):]]
    assert sorted(p.name for p in node['staging'].iterdir() if p.name.startswith('boot-')) == [build_id]

    # force: built again under the same ID (same inputs).
    mailed = len(smtp_sink.envelopes)
    forced = build(node, tmp_path, dict(service_vars(builder_standins, node, fedora_build_smtp=smtp),
                                        fedora_build_request=dict(request, force=True)), name='forced')
    forced.assert_ok()
    assert subjects_of(smtp_sink, mailed) == ['[fedora-build] submitted: boot 41 %s (%s)' % (ARCH, rid),
                                              '[fedora-build] succeeded: boot 41 %s (%s)' % (ARCH, build_id)]
    record3 = status_records(node['staging'])[rid]
    assert record3['reused'] is False and record3['build_id'] == build_id
    assert json.loads((staged / 'build.json').read_text())['times'] != manifest['times']


def test_failed_build_stages_its_logs_and_mails_the_reason(
        node, tmp_path, koji_world, fedora_repo, builder_standins, smtp_sink):
    request = boot_request(koji_world, fedora_repo,
                           koji={'hub_url': koji_world.hub.url, 'topurl': koji_world.hub.topurl},
                           repos={'presets': [], 'extra': [{'name': 'fedora', 'baseurl': 'file://%s/' % (tmp_path / 'nonexistent-repo')}]},
                           notify={'email': ['qa@example.org']})
    smtp = {'host': smtp_sink.host, 'port': smtp_sink.port, 'security': 'none', 'sender': 'builds@example.org'}
    run = build(node, tmp_path, dict(service_vars(builder_standins, node, fedora_build_smtp=smtp), fedora_build_request=request))
    assert run.rc == 2
    (rid, record), = status_records(node['staging']).items()
    assert record['state'] == 'failed' and 'lorax failed' in record['reason'], record
    assert record['phase'] == 'build' and record['reason'].endswith('; the logs are staged with the build (logs/).')
    staged = node['staging'] / record['build_id']
    assert (staged / 'logs' / 'lorax' / 'build.log').is_file()
    assert json.loads((staged / 'build.json').read_text())['result']['state'] == 'failed'
    subprocess.run(['sha256sum', '--quiet', '-c', 'CHECKSUM'], cwd=staged, check=True)
    assert not (node['staging'] / ('latest-boot-41-%s' % ARCH)).exists()
    assert not list(node['work'].glob('slot-*')) and not lock_holders(node['lock'])
    assert 'builds failed' in run.result('Fail the run when a build failed', 'localhost')['msg']

    smtp_sink.wait_for(2)
    mails = [e['message'] for e in smtp_sink.envelopes]
    subjects = [m['subject'] for m in mails]
    assert any(s.startswith('[fedora-build] submitted: boot 41') for s in subjects), subjects
    failed = [m for m in mails if m['subject'].startswith('[fedora-build] FAILED: boot 41')]
    assert failed, subjects
    body = failed[0].get_content()
    assert "Failed to download metadata for repo 'fedora'" in body and record['build_id'] in body


def test_dvd_and_live_from_kickstarts_in_one_batch(node, tmp_path, fedora_repo, builder_standins):
    common = {'release': '41', 'arch': ARCH,
              'repos': {'presets': [], 'extra': [{'name': 'fedora', 'baseurl': 'file://%s/' % fedora_repo}]}}
    kickstarts = local_kickstarts(tmp_path, fedora_repo)
    # the DVD (backend pungi-koji for 41) takes its packages from %packages; its @groups would need the operator's
    # comps_file, so this one names packages only
    dvd_ks = tmp_path / 'dvd-minimal.ks'
    dvd_ks.write_text('%packages\nhello\nbash\n%end\n')
    requests = [
        dict(common, image_type='dvd', name='dvd-minimal', kickstart={'src': str(dvd_ks)}),
        dict(common, image_type='live', name='live-minimal',
             kickstart={'src': str(kickstarts / 'fedora-live-minimal.ks'), 'packages': ['nano']}),
    ]
    # a node provisioned by the build_node role: its lock dir is 0770, and a build leaves that mode alone
    node['lock'].mkdir(parents=True)
    node['lock'].chmod(0o770)
    # fedora_build_poll 0: the builders run in the foreground of their connection, not as async jobs
    # the kickstart is copied from the controller; its includes come from the operator's include path
    run = build(node, tmp_path, dict(service_vars(builder_standins, node, fedora_build_poll=0,
                                                  fedora_build_kickstart_include_path=[str(kickstarts)]),
                                     fedora_build_requests=requests))
    run.assert_ok()
    assert oct(node['lock'].stat().st_mode & 0o777) == '0o770'
    assert oct(node['work'].stat().st_mode & 0o777) == '0o750'   # made by the build
    builders = [r for r in run.results if r.action in ('ondemand.fedora_build.dvd_iso', 'ondemand.fedora_build.live_image')]
    assert len(builders) == 2 and all(r.status == 'changed' for r in builders), builders
    assert not [r for r in builders if 'ansible_job_id' in r.result], 'ran as an async job'
    records = status_records(node['staging'])
    assert sorted(r['image_type'] for r in records.values()) == ['dvd', 'live']
    for record in records.values():
        assert record['state'] == 'succeeded', record
        staged = node['staging'] / record['build_id']
        subprocess.run(['sha256sum', '--quiet', '-c', 'CHECKSUM'], cwd=staged, check=True)
        kickstart = (staged / 'kickstart' / ('%s.ks' % record['name'])).read_text()
        assert 'repo --name="fedora"' in kickstart
        assert '%include' not in kickstart  # flattened
    live = [r for r in records.values() if r['image_type'] == 'live'][0]
    assert 'nano' in (node['staging'] / live['build_id'] / 'kickstart' / 'live-minimal.ks').read_text()


def test_a_kickstart_behind_a_login_is_built_with_no_password_in_any_result(
        node, tmp_path, fedora_repo, builder_standins, file_server):
    """docs/security.md: build_request returns kickstart.src without user:password@; build.yml hands the role the
    request as given (build_request_given, matched by request ID: the second of a batch here), whose credential
    reaches the kickstart module (no_log url_username/url_password) through include_role and the role's argument
    spec, never a task result. The server requires Basic auth for the kickstart and its includes."""
    password = 'pw-71e3-not-for-job-events'
    http = file_server(local_kickstarts(tmp_path, fedora_repo), auth=('alice', password))
    common = {'release': '41', 'arch': ARCH,
              'repos': {'presets': [], 'extra': [{'name': 'fedora', 'baseurl': 'file://%s/' % fedora_repo}]}}
    dvd_ks = tmp_path / 'dvd-minimal.ks'
    dvd_ks.write_text('%packages\nhello\nbash\n%end\n')
    url = http.url_for('fedora-live-minimal.ks')
    requests = [dict(common, image_type='dvd', name='dvd-minimal', kickstart={'src': str(dvd_ks)}),
                dict(common, image_type='live', name='live-login',
                     kickstart=url.replace('http://', 'http://alice:%s@' % password))]
    run = run_playbook(str(REPO / 'playbooks' / 'build.yml'), inventory=node['inventory'], verbosity=1,
                       extra_vars=dict(service_vars(builder_standins, node, fedora_build_poll=0),
                                       fedora_build_requests=requests), workdir=tmp_path / 'run')
    run.assert_ok()
    records = status_records(node['staging'])
    assert sorted((r['name'], r['state']) for r in records.values()) == [
        ('dvd-minimal', 'succeeded'), ('live-login', 'succeeded')]
    assert http.requests and http.requests[0][1] == '/fedora-live-minimal.ks'
    assert password not in run.stdout + run.stderr
    assert password not in json.dumps([r.result for r in run.results])


def test_a_requested_kickstart_cannot_name_node_files_as_its_own_repository(node, tmp_path, fedora_repo, builder_standins):
    """A kickstart carries its own url/repo lines: one naming a build node directory outside the operator's
    fedora_build_node_repo_dirs (here a directory beside the test's, as another build's would be) fails the build in
    the kickstart phase with one sentence, before any builder ran. Watched failing with the role not passing
    node_repo_dirs (the build went on to the builder)."""
    kickstarts = local_kickstarts(tmp_path, fedora_repo)
    other = tmp_path.parent / 'another-build' / 'side'
    (kickstarts / 'fedora-repo.ks').write_text('url --url=file://%s/\nrepo --name=other --baseurl=file://%s/\n'
                                               % (fedora_repo, other))
    request = {'image_type': 'live', 'release': '41', 'arch': ARCH, 'name': 'nodefiles',
               'kickstart': str(kickstarts / 'fedora-live-minimal.ks'),
               'repos': {'presets': [], 'extra': [{'name': 'fedora', 'baseurl': 'file://%s/' % fedora_repo}]}}
    run = build(node, tmp_path, dict(service_vars(builder_standins, node, fedora_build_poll=0,
                                                  fedora_build_kickstart_include_path=[str(kickstarts)]),
                                     fedora_build_request=request))
    assert run.rc == 2
    (rid, record), = status_records(node['staging']).items()
    assert record['state'] == 'failed' and record['phase'] == 'kickstart', record
    assert "the kickstart's repo other --baseurl 'file://%s/' names the build node's own files" % other \
        in record['reason'], record['reason']


def test_per_type_playbook_refuses_another_type(node, tmp_path, koji_world, fedora_repo, builder_standins):
    request = boot_request(koji_world, fedora_repo)
    run = build(node, tmp_path, dict(service_vars(builder_standins, node), fedora_build_request=request),
                playbook='build_live.yml')
    assert run.rc == 2
    msg = run.result('Validate every request (all problems at once)', 'localhost')['msg']
    assert "image_type: 'boot' does not match this playbook, which builds image_type live." in msg
    assert not node['staging'].exists() or not status_records(node['staging'])
