# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: a repeat of a staged request (a reuse), quick path vs the node's pipeline vs the full build.

    .venv/bin/python bench/reuse_bench.py [--repeats 3] [--builds 4] [--kinds boot,live]

The real pipeline (``playbooks/build.yml``) with this machine as the build node (``ansible_connection: local``, in
its ``builders_<arch>`` group as a deployment's inventory has it, so the arch needs no fact gathering),
the Koji hub stand-in with ``--builds`` signed builds pinned by NVR, the builder stand-ins installing from the test
distribution, one local staging directory. Two requests, each in the same run:

* ``boot``: a boot request (lorax stand-in), no kickstart;
* ``live``: a live request with a kickstart kept on the controller (livemedia-creator stand-in): its build ID covers
  the prepared kickstart (the kickstart module's identity_sha256), which the quick path asks the node for in check mode.

For each:

* ``full``: the first run of the request (side repo fetched, kickstart prepared, builder, CHECKSUM, staging);
* ``node_reuse``: the same request again with ``fedora_build_quick_reuse: false``, the way a reuse went before
  (slot lock, slot dir, preflight, the side repo made again from the cache, the kickstart, the build ID, the slot
  released);
* ``quick_reuse``: the same request again with the quick path (roles/build/tasks/reuse.yml): preflight, the side repo
  and the kickstart in check mode on the node, the staged build hashed against its CHECKSUM, no slot.

Each reuse is run ``--repeats`` times, alternating, and the median wall time of ``ansible-playbook`` is kept. Besides
seconds, it counts what does not depend on the machine's load: the tasks that ran for the build (not skipped) and the
module runs on the node (each one an SSH round trip plus a Python start on a real node). Headline ratio: the
module runs on the node, quick_reuse / node_reuse, the larger of the requests' (lower is better, target <= 0.5): it
does not depend on the machine's load; the wall-time ratios (quick / node reuse, quick / full build) are in
``ratios``. Every reuse must end ``succeeded`` with ``reused: true`` under the first run's build ID, or the benchmark
fails. Results go to bench/results/reuse_bench-<UTC time>.json in the shape bench/run_all.py reads.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(REPO, 'tests'), os.path.join(REPO, '.collections')]

from support.ansible_run import run_playbook  # noqa: E402  pylint: disable=wrong-import-position
from support.koji_hub import KojiHub  # noqa: E402  pylint: disable=wrong-import-position
from support.distro import build_distro  # noqa: E402  pylint: disable=wrong-import-position
from support.plugin_builders import STANDINS, Standins  # noqa: E402  pylint: disable=wrong-import-position
from support.rpms import GpgKey, RpmFactory  # noqa: E402  pylint: disable=wrong-import-position

PLAYBOOK = os.path.join(REPO, 'playbooks', 'build.yml')
TARGET = 0.5
# what runs in the controller's own process or is delegated to it: the rest of a slot's tasks are module runs on the node
CONTROLLER_SIDE = ('ondemand.fedora_build.build_status', 'ondemand.fedora_build.notify', 'ansible.builtin.set_fact',
                   'ansible.builtin.include_tasks', 'include_tasks', 'ansible.builtin.fail', 'ansible.builtin.assert',
                   'ansible.builtin.debug', 'ansible.builtin.meta', 'ansible.builtin.include_role', 'include_role',
                   'ansible.builtin.validate_argument_spec')


def counts(run):
    """(tasks that ran for the build, module runs on the node, their actions) of one playbook run."""
    slot = [r for r in run.results if r.host.startswith('localhost#') and r.status != 'skipped']
    tasks = [r for r in slot if r.action not in ('ansible.builtin.include_tasks', 'include_tasks')]
    node = [r.action for r in slot if r.action not in CONTROLLER_SIDE and not r.result.get('_ansible_delegated_vars')]
    return len(tasks), len(node), node


def requests(kinds, hub, key, nvrs, arch, repo, work):
    """{kind: request} for the kinds asked for."""
    koji = {'hub_url': hub.url, 'topurl': hub.topurl, 'builds': nvrs, 'sigkeys': [key.sigkey]}
    repos = {'presets': [], 'extra': [{'name': 'fedora', 'baseurl': 'file://%s/' % repo}]}
    out = {}
    if 'boot' in kinds:
        out['boot'] = {'image_type': 'boot', 'release': '41', 'arch': arch, 'name': 'boot', 'koji': koji, 'repos': repos}
    if 'live' in kinds:
        kickstart = work / 'live.ks'
        # what livemedia-creator --no-virt needs: an install url, network, dracut-live (the stand-in refuses like lmc)
        kickstart.write_text('lang en_US.UTF-8\nkeyboard us\ntimezone UTC\nurl --url=file://%s/\n'
                             'network --bootproto=dhcp\nshutdown\n%%packages\n@core\nkernel\ndracut-live\n%%end\n'
                             % repo)
        out['live'] = {'image_type': 'live', 'release': '41', 'arch': arch, 'name': 'live', 'koji': koji,
                       'repos': repos, 'kickstart': {'src': str(kickstart)}}
    return out


def measure(kind, request, args, inventory, service, staging, work):
    """One request: the full build, then --repeats of node reuse and quick reuse, alternating."""

    def one(name, quick):
        started = time.monotonic()
        run = run_playbook(PLAYBOOK, inventory=inventory, workdir=work / 'runs' / kind / name,
                           extra_vars=dict(service, fedora_build_request=request, fedora_build_quick_reuse=quick))
        seconds = time.monotonic() - started
        run.assert_ok()
        (record,) = [r for r in (json.loads(p.read_text()) for p in (staging / 'status').glob('rq-*.json'))
                     if r['name'] == request['name']]
        return seconds, record, counts(run)

    full_s, first, full_counts = one('full', True)
    if first['reused'] or first['state'] != 'succeeded':
        raise SystemExit('the first %s run did not build: %r' % (kind, first))
    times = {'node_reuse': [], 'quick_reuse': []}
    tally = {}
    for number in range(args.repeats):
        for which, quick in (('node_reuse', False), ('quick_reuse', True)):
            seconds, record, tally[which] = one('%s-%d' % (which, number), quick)
            if not (record['reused'] and record['state'] == 'succeeded' and record['build_id'] == first['build_id']):
                raise SystemExit('%s %s was no reuse of %s: %r' % (kind, which, first['build_id'], record))
            times[which].append(seconds)
    node_s = statistics.median(times['node_reuse'])
    quick_s = statistics.median(times['quick_reuse'])
    print('%s: full build %.1f s (%d tasks, %d node module runs)' % ((kind, full_s) + full_counts[:2]))
    for which, secs in (('node_reuse', node_s), ('quick_reuse', quick_s)):
        print('%s: %-11s %.1f s median of %s (%d tasks, %d node module runs)'
              % (kind, which, secs, ', '.join('%.1f' % t for t in times[which]), tally[which][0], tally[which][1]))
        print('%s: %-11s on the node: %s' % (kind, which, ', '.join(a.split('.')[-1] for a in tally[which][2])))
    return {'full_s': round(full_s, 2), 'node_reuse_s': round(node_s, 2), 'quick_reuse_s': round(quick_s, 2),
            'node_reuse_runs_s': [round(t, 2) for t in times['node_reuse']],
            'quick_reuse_runs_s': [round(t, 2) for t in times['quick_reuse']],
            'tasks': {'full': full_counts[0], 'node_reuse': tally['node_reuse'][0], 'quick_reuse': tally['quick_reuse'][0]},
            'node_module_runs': {'full': full_counts[1], 'node_reuse': tally['node_reuse'][1],
                                 'quick_reuse': tally['quick_reuse'][1]},
            'node_modules': {'full': full_counts[2], 'node_reuse': tally['node_reuse'][2],
                             'quick_reuse': tally['quick_reuse'][2]},
            'runs_ratio': round(tally['quick_reuse'][1] / float(tally['node_reuse'][1]), 3)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--builds', type=int, default=4, help='Koji builds the requests pin by NVR')
    parser.add_argument('--kinds', default='boot,live', help='which requests: boot, live or both (boot,live)')
    args = parser.parse_args()
    kinds = [k for k in args.kinds.split(',') if k]
    if not kinds or set(kinds) - {'boot', 'live'}:
        parser.error('--kinds: boot, live or boot,live')
    work = Path(tempfile.mkdtemp(prefix='reuse-bench-'))
    key = GpgKey(str(work / 'gpg'))
    hub = None
    try:
        factory = RpmFactory(str(work / 'rpms'))
        hub = KojiHub(str(work / 'top')).start()
        arch = platform.machine()
        nvrs = [hub.add_build(factory.build('reusepkg%02d' % i, '1.%d' % i, '1.fc41', arches=(arch,), subpackages=(),
                                            debuginfo=False, sign_with=[key]))['nvr'] for i in range(args.builds)]
        # the stand-ins install for real: the small test distribution
        repo = build_distro(work / 'distro', factory).path
        host = {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}
        for name in ('work', 'cache', 'lock'):
            host['fedora_build_%s_dir' % name] = str(work / 'node' / name)
        # grouped by arch, as a deployment's inventory is (docs/deployment.md): the arch needs no fact gathering
        inventory = {'all': {'children': {'builders': {'children': {'builders_%s' % arch: {'hosts': {'localhost': host}}}}}}}
        staging = work / 'staging'
        service = {'fedora_build_staging': [{'type': 'local', 'path': str(staging)}],
                   'fedora_build_allow_request_destinations': True,
                   'fedora_build_environment': Standins(STANDINS).environment,
                   'fedora_build_preflight_require': ['root', 'tools', 'arch'], 'fedora_build_poll': 0,
                   # the live request's kickstart is a controller file: in a directory the operator lists for them
                   'fedora_build_kickstart_dirs': [str(work)],
                   # the node directory the requests' file:// repository lies in (the distribution under work)
                   'fedora_build_node_repo_dirs': [str(work)]}
        measured = dict((kind, measure(kind, request, args, inventory, service, staging, work))
                        for kind, request in requests(kinds, hub, key, nvrs, arch, repo, work).items())
        worst = max(measured.values(), key=lambda m: m['runs_ratio'])
        ratios = []
        for kind, m in measured.items():
            ratios += [
                {'label': '%s: node module runs, quick / node reuse' % kind, 'ratio': m['runs_ratio'], 'target': TARGET,
                 'better': 'lower',
                 'unit': 'ratio'},
                {'label': '%s: quick reuse / full build (wall)' % kind,
                 'ratio': round(m['quick_reuse_s'] / m['full_s'], 3), 'target': None, 'unit': 'ratio'},
                {'label': '%s: quick reuse / node reuse (wall)' % kind,
                 'ratio': round(m['quick_reuse_s'] / m['node_reuse_s'], 3), 'target': None, 'unit': 'ratio'},
                {'label': '%s: quick reuse' % kind, 'ratio': m['quick_reuse_s'], 'target': None, 'unit': 's'},
            ]
        result = {
            'name': 'reuse', 'ratio': worst['runs_ratio'], 'target': TARGET, 'better': 'lower',
            'unit': 'node module runs, quick reuse / node reuse (the larger of %s)' % ', '.join(measured),
            'label': 'repeat of a staged %s request, %d Koji builds' % (' and '.join(measured), args.builds),
            'measurements': measured,
            'ratios': ratios,
            'plot': {'title': 'A repeat of a staged request', 'unit': 's',
                     'bars': dict(('%s %s' % (kind, label), m[key]) for kind, m in measured.items()
                                  for label, key in (('full build', 'full_s'), ('node reuse', 'node_reuse_s'),
                                                     ('quick reuse', 'quick_reuse_s')))},
            'command': '.venv/bin/python bench/reuse_bench.py --repeats %d --builds %d --kinds %s'
                       % (args.repeats, args.builds, ','.join(kinds)),
            'date': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
        }
        os.makedirs(os.path.join(REPO, 'bench', 'results'), exist_ok=True)
        out = os.path.join(REPO, 'bench', 'results', 'reuse_bench-%s.json'
                           % datetime.datetime.now(datetime.timezone.utc).strftime('%Y%m%dT%H%M%SZ'))
        with open(out, 'w', encoding='utf-8') as handle:
            json.dump(result, handle, indent=1)
        print('ratio %.2f node module runs (target <= %.2f) -> %s' % (result['ratio'], TARGET, out))
    finally:
        if hub is not None:
            hub.stop()
        key.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
