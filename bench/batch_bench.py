# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: a batch of builds over the 3 lab nodes, makespan vs the ideal, and the controller overhead per build.

    .venv/bin/python bench/batch_bench.py [--builds 12] [--duration 60] [--no-overhead] [--no-warm]   (as root: it starts the lab)

Starts the SSH lab (tests/lab/lab.sh: node-x86a and node-x86b for x86_64, node-arm for aarch64) and
runs the real pipeline, ``playbooks/build.yml`` with ``fedora_build_requests`` (docs/pipeline.md), on
its inventory. The builders are the stand-ins of tests/support/standins, put on the nodes' PATH
through ``fedora_build_environment``; they spend ``FB_STANDIN_SLEEP`` seconds per build, so every
build has a known duration D. Two thirds of the batch are x86_64 boot images (lorax), one third
aarch64 live images (kiwi, the only builder that cross-builds on the x86_64 lab machine), so each
node gets the same number of builds.

* makespan: wall time of ``ansible-playbook playbooks/build.yml`` for the batch with D = --duration,
  against the ideal ceil(builds / 3) x D (target: at most 1.15x);
* warm re-run: the same batch again into the same staging; every build is found there and nothing is
  rebuilt (status records ``reused: true``), its wall time against the first run's;
* with ``--poll 0`` (the default here) the builder runs in the foreground of its SSH session
  (``fedora_build_poll: 0``): a one-minute build polled as an async job would spend a good part of
  its overhead on the polls; the service's default (30 s, async) is for builds of tens of minutes;
* controller overhead per build: the same pipeline with D = 0, once with one build per node and once
  with the whole batch; (wall(batch) - wall(one per node)) / (builds per node - 1) is what one more
  build in a slot's queue costs besides the builder, and the difference is the fixed cost of a run.

Every build must end ``succeeded`` in its status record (``fedora_build_status_dir``), spread
evenly over the nodes; otherwise the benchmark fails rather than report a number. Results go to
bench/results/batch_bench-<UTC time>.json in the shape bench/run_all.py reads.
"""

from __future__ import annotations

import argparse
import datetime
import glob
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(REPO, 'tests'), os.path.join(REPO, '.collections')]

from support.ansible_run import run_playbook  # noqa: E402  pylint: disable=wrong-import-position
from support.distro import build_distro  # noqa: E402  pylint: disable=wrong-import-position
from support.plugin_builders import STANDINS, Standins, local_kiwi_description  # noqa: E402  pylint: disable=wrong-import-position
from support.plugin_lab import LabError, start_lab  # noqa: E402  pylint: disable=wrong-import-position

PLAYBOOK = os.path.join(REPO, 'playbooks', 'build.yml')
NODES = 3
TARGET = 1.15
RUN_TIMEOUT = [1800]   # seconds per ansible-playbook run (--run-timeout)


class BenchError(Exception):
    """The benchmark cannot give a meaningful number."""


def pipeline_problem():
    """None when playbooks/build.yml is the batch pipeline of docs/pipeline.md, else why not."""
    if not os.path.isfile(PLAYBOOK):
        return 'playbooks/build.yml does not exist yet'
    with open(PLAYBOOK, encoding='utf-8') as handle:
        text = handle.read()
    if 'fedora_build_requests' not in text:
        return ('playbooks/build.yml does not take a batch yet (it never mentions fedora_build_requests); '
                'the pipeline playbook of docs/pipeline.md is not there')
    if not os.path.isfile(os.path.join(REPO, 'roles', 'build', 'tasks', 'main.yml')):
        return 'roles/build/tasks/main.yml (the per-build pipeline) does not exist yet'
    return None


# the operator's name for the kiwi description the bench builds (fedora_build_kiwi_descriptions): a request
# names a description, it never gives a node directory
KIWI_DESCRIPTION = 'bench-live'


def make_requests(count, repo, kiwi_dir, tag):
    """count requests, 2/3 x86_64 boot and 1/3 aarch64 live (kiwi), each a distinct build."""
    requests = []
    for i in range(count):
        name = 'bench-%s-%02d' % (tag, i)
        repos = {'presets': [], 'extra': [{'name': 'fedora', 'baseurl': 'file://%s/' % repo}]}
        if i % NODES == NODES - 1:
            requests.append({'image_type': 'live', 'release': '41', 'arch': 'aarch64', 'name': name, 'repos': repos,
                             'builder': {'backend': 'kiwi', 'description': KIWI_DESCRIPTION,
                                         'profiles': ['Minimal-Live'], 'image_type': 'iso'}})
        else:
            requests.append({'image_type': 'boot', 'release': '41', 'arch': 'x86_64', 'name': name, 'repos': repos})
    return requests


def parse_time(text):
    value = datetime.datetime.fromisoformat(str(text).replace('Z', '+00:00'))
    return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)


def lab_inventory(lab, work):
    """The lab's inventory with each node's cache and lock dirs in its private tmpfs (as the lab tests do)."""
    data = yaml.safe_load(Path(lab.inventory).read_text(encoding='utf-8'))
    data['all']['children']['builders']['vars'].update({'fedora_build_cache_dir': '{{ node_root }}/cache',
                                                        'fedora_build_lock_dir': '{{ node_root }}/lock'})
    path = os.path.join(work, 'inventory.yml')
    with open(path, 'w', encoding='utf-8') as handle:
        yaml.safe_dump(data, handle)
    return path


def service_vars(staging, status_dir, sleep, poll, kiwi_dir=None):
    """Service variables of a run: stand-in builders on PATH, a lab-sized preflight, poll interval, the kiwi
    description by name."""
    return {
        'fedora_build_staging': [{'type': 'local', 'path': staging}],
        'fedora_build_kiwi_descriptions': {KIWI_DESCRIPTION: kiwi_dir} if kiwi_dir else {},
        'fedora_build_status_dir': status_dir,
        'fedora_build_environment': dict(Standins(STANDINS).environment, FB_STANDIN_SLEEP=str(sleep)),
        # the lab nodes are Debian machines with a 1 GiB tmpfs: check root and the tools, not release or space
        'fedora_build_preflight_require': ['root', 'tools'],
        'fedora_build_min_free_gb': 0.01,
        'fedora_build_poll': poll,
    }


def phase_means(records, since):
    """Mean seconds per pipeline phase over the builds, from the status records' history entries of this run."""
    totals = {}
    for record in records:
        history = sorted((h for h in record.get('history') or [] if parse_time(h['time']) >= since),
                         key=lambda h: parse_time(h['time']))
        for this, after in zip(history, history[1:]):
            phase = this.get('phase') or this.get('state')
            totals.setdefault(phase, []).append((parse_time(after['time']) - parse_time(this['time'])).total_seconds())
    return dict((phase, round(sum(v) / len(records), 3)) for phase, v in totals.items())


def run_batch(lab, work, label, requests, sleep, forks, poll, staging=None, reused=False):
    """Run the pipeline on a batch; returns its measurements. Raises BenchError unless every build succeeded
    (and, with ``reused``, unless every build was taken from staging instead of being rebuilt)."""
    staging = staging or os.path.join(work, label, 'staging')
    status_dir = os.path.join(staging, 'status')
    os.makedirs(status_dir, exist_ok=True)
    extra_vars = dict(service_vars(staging, status_dir, sleep, poll, kiwi_dir=os.path.join(work, 'kiwi')),
                      fedora_build_requests=requests,
                      # the node directory the requests' file:// repository lies in (the distribution under work)
                      fedora_build_node_repo_dirs=[os.path.abspath(work)])
    print('-- %s: %d builds, builder time %s s each' % (label, len(requests), sleep), flush=True)
    load_before = os.getloadavg()[0]
    since = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    start = time.monotonic()
    run = run_playbook(PLAYBOOK, lab_inventory(lab, work), extra_vars=extra_vars, args=['--forks', str(forks)],
                       workdir=os.path.join(work, label, 'ansible'), timeout=RUN_TIMEOUT[0])
    wall = time.monotonic() - start
    load_after = os.getloadavg()[0]
    records = []
    for path in sorted(glob.glob(os.path.join(status_dir, '*.json'))):
        with open(path, encoding='utf-8') as handle:
            records.append(json.load(handle))
    states = {}
    for record in records:
        states[record.get('state')] = states.get(record.get('state'), 0) + 1
    if run.rc != 0 or len(records) != len(requests) or states.get('succeeded') != len(requests):
        failed = [(r.get('name'), r.get('node'), r.get('phase'), r.get('reason')) for r in records
                  if r.get('state') != 'succeeded']
        tail = (run.stdout + run.stderr)[-4000:]
        raise BenchError('%s: ansible-playbook exited %s after %.0f s; %d status records %s; not succeeded: %s\n'
                         '--- last output ---\n%s' % (label, run.rc, wall, len(records), states, failed, tail))
    rebuilt = [r.get('name') for r in records if str(r.get('reused')).lower() != 'true']
    if reused and rebuilt:
        raise BenchError('%s: a re-run of the same batch rebuilt %s (status records without reused: true)'
                         % (label, ', '.join(str(n) for n in rebuilt)))
    per_node = {}
    for record in records:
        per_node[record.get('node')] = per_node.get(record.get('node'), 0) + 1
    expected = math.ceil(len(requests) / float(NODES))
    if len(per_node) != NODES or max(per_node.values()) != expected:
        raise BenchError('%s: builds were not spread evenly over the %d nodes: %s' % (label, NODES, per_node))
    started = [parse_time(r['started']) for r in records if r.get('started')]
    finished = [parse_time(r['finished']) for r in records if r.get('finished')]
    spans = [(parse_time(r['finished']) - parse_time(r['started'])).total_seconds() for r in records
             if r.get('started') and r.get('finished')]
    result = {'wall_s': round(wall, 3), 'builds': len(requests), 'per_node': per_node,
              'builder_sleep_s': sleep, 'phase_mean_s': phase_means(records, since),
              'loadavg_1min': [round(load_before, 2), round(load_after, 2)], 'cpus': os.cpu_count()}
    if started and finished:
        result['records_span_s'] = round((max(finished) - min(started)).total_seconds(), 3)
    if spans:
        result['build_mean_s'] = round(sum(spans) / len(spans), 3)
        result['build_max_s'] = round(max(spans), 3)
    print('   wall %.1f s, per node %s; mean seconds per phase: %s' % (
        wall, per_node, ', '.join('%s %.1f' % kv for kv in result['phase_mean_s'].items())), flush=True)
    return result


def _terminate(signum, _frame):
    raise SystemExit('batch_bench: stopped by signal %d' % signum)


def main():
    signal.signal(signal.SIGTERM, _terminate)   # run the clean-up (lab down) when bench/run_all.py times out
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--builds', type=int, default=12, help='builds in the batch (a multiple of 3)')
    parser.add_argument('--duration', type=float, default=60, help='seconds each stand-in builder takes (D)')
    parser.add_argument('--no-overhead', action='store_true', help='skip the two D=0 runs')
    parser.add_argument('--no-warm', action='store_true', help='skip the warm re-run of the batch')
    parser.add_argument('--forks', type=int, default=10)
    parser.add_argument('--run-timeout', type=int, default=1800, help='seconds one ansible-playbook run may take')
    parser.add_argument('--poll', type=int, default=0,
                        help='fedora_build_poll: seconds between checks of a running builder; 0 (the default here) runs '
                             'it in the foreground of its SSH session, as suits builds of a minute')
    parser.add_argument('--out', default=os.path.join(REPO, 'bench', 'results'))
    args = parser.parse_args()
    RUN_TIMEOUT[0] = args.run_timeout
    if args.builds < NODES or args.builds % NODES:
        parser.error('--builds must be a multiple of %d (one arch group of 2 nodes, one of 1)' % NODES)

    problem = pipeline_problem()
    if problem:
        print('batch_bench: cannot run: %s. Nothing was measured.' % problem, file=sys.stderr)
        return 3
    if os.geteuid() != 0:
        print('batch_bench: the lab needs root (network namespaces); run it as root.', file=sys.stderr)
        return 3

    work = tempfile.mkdtemp(prefix='batch-bench-')
    os.chmod(work, 0o755)
    lab = None
    try:
        try:
            lab = start_lab(os.environ.get('FEDORA_BUILD_LAB_ID') or None)
        except LabError as exc:
            raise BenchError(str(exc))
        # the stand-ins install for real: the small test distribution, and the kiwi description pointed at it
        repo = str(build_distro(os.path.join(work, 'distro')).path)
        kiwi_dir = str(local_kiwi_description(os.path.join(work, 'kiwi'), repo))
        per_node = args.builds // NODES
        ideal = per_node * args.duration
        measurements = {'nodes': NODES, 'builds': args.builds, 'duration_s': args.duration, 'ideal_s': ideal,
                        'lab_id': lab.lab_id, 'poll_s': args.poll, 'forks': args.forks}

        batch = make_requests(args.builds, repo, kiwi_dir, 'd%g' % args.duration)
        timed = run_batch(lab, work, 'timed', batch, args.duration, args.forks, args.poll)
        measurements['makespan_s'] = timed['wall_s']
        measurements['timed'] = timed
        ratio = round(timed['wall_s'] / ideal, 3)
        extra = []
        if not args.no_warm:
            # the same batch again, same staging: every build is already there, nothing is rebuilt
            warm = run_batch(lab, work, 'warm', batch, args.duration, args.forks, args.poll,
                             staging=os.path.join(work, 'timed', 'staging'), reused=True)
            measurements['warm'] = warm
            measurements['warm_rerun_s'] = warm['wall_s']
            extra.append({'label': 'warm re-run / first run', 'ratio': round(warm['wall_s'] / timed['wall_s'], 3),
                          'target': None, 'better': 'lower',
                          'unit': 'wall time of the same batch again (nothing rebuilt) / first run'})
        if not args.no_overhead:
            small = run_batch(lab, work, 'overhead-1', make_requests(NODES, repo, kiwi_dir, 'o1'), 0, args.forks, args.poll)
            full = run_batch(lab, work, 'overhead-n', make_requests(args.builds, repo, kiwi_dir, 'on'), 0, args.forks,
                             args.poll)
            measurements['overhead_one_per_node'] = small
            measurements['overhead_batch'] = full
            if per_node > 1:
                per_build = (full['wall_s'] - small['wall_s']) / (per_node - 1)
            else:
                per_build = full['wall_s']
            measurements['overhead_per_build_s'] = round(per_build, 3)
            measurements['overhead_fixed_s'] = round(small['wall_s'] - per_build, 3)
            measurements['overhead_batch_wall_s'] = full['wall_s']
            extra.append({'label': 'overhead per build (D=0)', 'ratio': round(per_build, 2), 'target': None,
                          'unit': 's per build in a slot queue, builder time excluded'})
            extra.append({'label': 'fixed cost per run (D=0)', 'ratio': round(small['wall_s'] - per_build, 2),
                          'target': None, 'unit': 's per playbook run (start, plan, report)'})
            extra.append({'label': 'batch wall time (D=0)', 'ratio': full['wall_s'], 'target': None,
                          'unit': 's for %d builds with no builder time' % args.builds})
            # makespan(D) ~ wall(D=0) + per_node * D, so the target holds from D >= wall(D=0) / ((target - 1) * per_node)
            measurements['break_even_duration_s'] = round(full['wall_s'] / ((TARGET - 1) * per_node), 1)
            extra.append({'label': 'builder time for <= %.2fx' % TARGET, 'ratio': measurements['break_even_duration_s'],
                          'target': None, 'unit': 's per build at which the overhead measured with D=0 stays within the target'})

        command = '.venv/bin/python bench/batch_bench.py --builds %d --duration %g --poll %d%s%s' % (
            args.builds, args.duration, args.poll, ' --no-overhead' if args.no_overhead else '',
            ' --no-warm' if args.no_warm else '')
        result = {
            'name': 'batch',
            'label': '%d builds, 3 nodes, D=%gs' % (args.builds, args.duration),
            'ratio': ratio, 'target': TARGET, 'better': 'lower',
            'unit': 'makespan / ideal (ceil(%d/3) x %g s)' % (args.builds, args.duration),
            'measurements': measurements,
            'ratios': extra,
            'command': command,
            'date': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
            'plot': {'title': 'batch of %d over 3 lab nodes' % args.builds, 'unit': 's', 'bars': dict(
                [('ideal (D=%g)' % args.duration, ideal), ('makespan (D=%g)' % args.duration, timed['wall_s'])]
                + ([('warm re-run', measurements['warm_rerun_s'])] if not args.no_warm else [])
                + ([('3 builds, D=0', measurements['overhead_one_per_node']['wall_s']),
                    ('%d builds, D=0' % args.builds, measurements['overhead_batch']['wall_s'])]
                   if not args.no_overhead else []))},
        }
        os.makedirs(args.out, exist_ok=True)
        stamp = time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())
        path = os.path.join(args.out, 'batch_bench-%s.json' % stamp)
        with open(path + '.tmp', 'w', encoding='utf-8') as handle:
            json.dump(result, handle, indent=2, sort_keys=True)
            handle.write('\n')
        os.replace(path + '.tmp', path)
        print('%d builds over 3 nodes, D = %g s: makespan %.1f s, ideal %.0f s, ratio %.3f (target <= %.2f)'
              % (args.builds, args.duration, timed['wall_s'], ideal, ratio, TARGET))
        if not args.no_warm:
            print('warm re-run of the same batch (nothing rebuilt): %.1f s' % measurements['warm_rerun_s'])
        if not args.no_overhead:
            print('controller overhead per build (D = 0): %.1f s; fixed per run: %.1f s; the target holds for builds of '
                  '%.0f s or longer' % (measurements['overhead_per_build_s'], measurements['overhead_fixed_s'],
                                        measurements['break_even_duration_s']))
        print('results: %s' % os.path.relpath(path, REPO))
        return 0
    except BenchError as exc:
        print('batch_bench: %s' % exc, file=sys.stderr)
        return 1
    except subprocess.TimeoutExpired as exc:
        print('batch_bench: ansible-playbook did not finish within %s s (--run-timeout); it was stopped.' % exc.timeout,
              file=sys.stderr)
        return 1
    finally:
        if lab:
            lab.down()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
