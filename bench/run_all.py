# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run every benchmark in bench/, plot each one and print its ratios against the targets.

    .venv/bin/python bench/run_all.py                       # every bench/*_bench.py, one after the other
    .venv/bin/python bench/run_all.py --only batch_bench    # some of them (repeatable; also --skip)
    .venv/bin/python bench/run_all.py --args 'batch_bench=--duration 20'   # extra arguments for one bench
    .venv/bin/python bench/run_all.py --no-run              # re-plot and summarize the latest results

Each benchmark is run as ``<this python> bench/<name>_bench.py [args]`` from the repository root; its
output goes to the terminal and to ``bench/results/<name>_bench.log``. Afterwards the runner reads the
JSON the benchmark wrote during this run (the newest ``bench/results/<name>_bench-*.json``), writes a
PNG per benchmark (``bench/results/<name>_bench.png``, matplotlib, Agg backend) and a summary of the
whole run (``bench/results/summary-<UTC time>.json``), and prints a table of ratios and targets.

Result JSON of a benchmark (the common shape)::

    {"name": "batch",                          # short name
     "ratio": 1.07,                            # the headline ratio
     "target": 1.15,                           # number, or a string such as "<= 1.15"
     "better": "lower",                        # "higher": ratio >= target passes; "lower": ratio <= target
     "unit": "makespan / ideal",               # what the ratio is
     "label": "12 builds, 3 nodes",            # optional: x label of the headline bar in the plot
     "measurements": {"makespan_s": 86.2, ...},  # the numbers behind it; keys ending in _s are seconds
     "command": ".venv/bin/python bench/batch_bench.py --duration 20",
     "date": "2026-11-26T14:05:00Z",           # UTC, ISO 8601
     "ratios": [                               # optional: more ratios, same keys as the headline; a unit
                                               # starting with "s" (seconds) is tabled, not drawn as a ratio
        {"label": "overhead per build", "ratio": 4.1, "target": null, "unit": "s"}],
     "plot": {"title": "...", "bars": {"label": 1.0}, "unit": "s"}}   # optional: the bars of the right panel

A benchmark writes ``bench/results/<stem>-<UTC time>.json`` (``<stem>.json`` and ``<name>.json`` are found
too). JSON without ``name``/``ratio`` is read through an adapter: side_repo_bench.py and
staging_bench.py write shapes of their own. Exit status: 1 when a benchmark failed to run or wrote no
result, 2 with ``--strict`` when a target was missed, else 0.
"""

from __future__ import annotations

import argparse
import datetime
import glob
import json
import math
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(REPO, 'bench')
RESULTS = os.path.join(BENCH, 'results')
TARGET_RE = re.compile(r'^\s*(>=|<=|>|<|=)?\s*([0-9.]+)\s*x?\s*$')


def discover(bench_dir=BENCH):
    """Names (file stems) of the benchmarks, sorted."""
    return sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(bench_dir, '*_bench.py')))


def parse_target(target, better):
    """(number or None, 'higher'|'lower'|None) from a target given as a number, a string or a dict."""
    if target is None:
        return None, better
    if isinstance(target, dict):
        op = target.get('op')
        value = target.get('value')
        return (float(value) if value is not None else None), (better or ('lower' if op in ('<=', '<') else 'higher'))
    if isinstance(target, (int, float)) and not isinstance(target, bool):
        return float(target), better or 'higher'
    match = TARGET_RE.match(str(target))
    if not match:
        return None, better
    op = match.group(1)
    if op in ('<=', '<'):
        better = better or 'lower'
    elif op in ('>=', '>'):
        better = better or 'higher'
    return float(match.group(2)), better or 'higher'


def verdict(ratio, target, better):
    """'ok', 'MISSED' or '-' (no target or no ratio)."""
    if target is None or not isinstance(ratio, (int, float)) or isinstance(ratio, bool) or math.isnan(ratio):
        return '-'
    if better == 'lower':
        return 'ok' if ratio <= target + 1e-9 else 'MISSED'
    return 'ok' if ratio >= target - 1e-9 else 'MISSED'


def _entry(label, ratio, target, better, unit):
    value, better = parse_target(target, better)
    return {'label': label, 'ratio': ratio, 'target': value, 'better': better, 'unit': unit or '',
            'verdict': verdict(ratio, value, better)}


def adapt_side_repo(raw):
    """side_repo_bench.py writes a flat dict; issue 3's target: at least 3x faster cold, near zero time warm."""
    measurements = dict(raw)
    return {
        'name': 'side_repo',
        'label': 'cold, through ansible',
        'ratio': raw.get('ratio_cold_module'),
        'target': 3.0,
        'better': 'higher',
        'unit': 'koji download-build time / koji_side_repo time, cold, through ansible-playbook',
        'measurements': measurements,
        'ratios': [
            {'label': 'warm, through ansible', 'ratio': raw.get('ratio_warm_module'), 'target': None,
             'unit': 'koji download-build warm / module warm'},
            {'label': 'cold, in-process', 'ratio': raw.get('ratio_cold_library'), 'target': None,
             'unit': 'koji download-build / module code'},
            {'label': 'warm, in-process', 'ratio': raw.get('ratio_warm_library'), 'target': None,
             'unit': 'koji download-build warm / module code warm'},
        ],
        'plot': {'title': 'side repo: %s builds, %s RPMs' % (raw.get('builds'), raw.get('rpms')), 'unit': 's',
                 'bars': dict((k[:-2].replace('_', ' '), raw[k]) for k in sorted(raw)
                              if k.endswith('_s') and k != 'delay_s' and isinstance(raw[k], (int, float)))},
    }


def adapt_staging(raw):
    """staging_bench.py writes bench/results/staging.json, with a push and a pull scenario.

    Issue 6's target: the pipeline's transfer at least 0.9 of the raw throughput of plain rsync/scp of the same
    file. The pipeline's transfer is the stage module's own time inside ansible-playbook (``module_ansible_inner
    _seconds``: what a staging task takes in a running pipeline, without ansible-playbook's start-up); the headline
    holds it against the faster of rsync and scp, in the worse scenario. Every baseline/variant ratio the bench
    computed is listed too, each against the same 0.9.
    """
    ratios = []
    headline = None
    bars = {}
    for scenario in ('push', 'pull'):
        data = raw.get(scenario)
        if not isinstance(data, dict):
            continue
        medians = dict((k, v['median_s']) for k, v in data.items() if isinstance(v, dict) and 'median_s' in v)
        for key, value in sorted(medians.items()):
            bars['%s %s' % (scenario, key.replace('_', ' '))] = value
        inner = medians.get('module_ansible_inner_seconds')
        raw_best = min([medians[k] for k in ('rsync', 'scp') if k in medians] or [None]) if medians else None
        if inner and raw_best:
            ratio = round(raw_best / inner, 3)
            ratios.append({'label': '%s: fastest raw / stage task' % scenario, 'ratio': ratio, 'target': 0.9,
                           'better': 'higher', 'unit': 'min(rsync, scp) time / stage module time in ansible'})
            headline = ratio if headline is None else min(headline, ratio)
        for key in sorted(k for k in data if k.startswith('ratio_')):
            ratios.append({'label': '%s %s' % (scenario, key[len('ratio_'):].replace('_vs_', '/').replace('module_', '')),
                           'ratio': data[key], 'target': 0.9, 'better': 'higher', 'unit': 'baseline time / module time'})
    return {
        'name': 'staging',
        'label': 'worse of push/pull',
        'ratio': headline,
        'target': 0.9,
        'better': 'higher',
        'unit': 'throughput of the stage module vs the faster of rsync and scp, same file, same run',
        'measurements': raw,
        'ratios': ratios,
        'plot': {'title': 'staging %.1f GiB, median of %s rounds' % ((raw.get('size_bytes') or 0) / 2.0 ** 30,
                                                                     raw.get('rounds')),
                 'unit': 's', 'bars': bars},
    }


ADAPTERS = {'side_repo_bench': adapt_side_repo, 'staging_bench': adapt_staging}


def normalize(raw, stem, command, path):
    """The common shape (see the module docstring) from what a benchmark wrote."""
    if not isinstance(raw, dict):
        raise ValueError('%s: expected a JSON object, got %s' % (path, type(raw).__name__))
    if 'name' in raw and 'ratio' in raw:
        data = dict(raw)
    elif stem in ADAPTERS:
        data = ADAPTERS[stem](raw)
    else:  # unknown flat shape: the first ratio_* key, no target
        keys = sorted(k for k in raw if k.startswith('ratio'))
        data = {'name': stem.replace('_bench', ''), 'ratio': raw[keys[0]] if keys else None, 'target': None,
                'unit': keys[0] if keys else '', 'measurements': raw}
    data.setdefault('name', stem.replace('_bench', ''))
    data.setdefault('measurements', {})
    data.setdefault('unit', '')
    data['command'] = data.get('command') or command
    if not data.get('date'):
        stamp = datetime.datetime.fromtimestamp(os.path.getmtime(path), tz=datetime.timezone.utc)
        data['date'] = stamp.strftime('%Y-%m-%dT%H:%M:%SZ')
    head = _entry(data['name'], data.get('ratio'), data.get('target'), data.get('better'), data.get('unit'))
    data['target'], data['better'], data['verdict'] = head['target'], head['better'], head['verdict']
    data['ratios'] = [_entry(r.get('label') or r.get('name') or '?', r.get('ratio'), r.get('target'), r.get('better'),
                             r.get('unit')) for r in data.get('ratios') or []]
    data['bench'] = stem
    data['result_file'] = os.path.relpath(path, os.getcwd())
    return data


def result_files(stem, results=RESULTS):
    """Result files a benchmark may have written: <stem>-*.json (the convention), <stem>.json, <name>.json."""
    short = stem[:-len('_bench')] if stem.endswith('_bench') else stem
    found = set()
    for pattern in (stem + '-*.json', stem + '.json', short + '.json', short + '-*.json'):
        found.update(glob.glob(os.path.join(results, pattern)))
    return [p for p in found if not os.path.basename(p).startswith('summary-')]


def newest_result(stem, since, results=RESULTS):
    """The newest result file of ``stem`` written at or after ``since`` (epoch seconds), or None."""
    found = [p for p in result_files(stem, results) if os.path.getmtime(p) >= since - 1]
    return max(found, key=os.path.getmtime) if found else None


def latest_result(stem, results=RESULTS):
    found = result_files(stem, results)
    return max(found, key=os.path.getmtime) if found else None


def run_bench(stem, args, timeout, bench_dir=BENCH, results=RESULTS):
    """Run one benchmark; returns (exit status or a reason, seconds, log path). Output is teed to a log."""
    argv = [sys.executable, os.path.join(bench_dir, stem + '.py')] + list(args)
    log_path = os.path.join(results, stem + '.log')
    start = time.monotonic()
    expired = []
    with open(log_path, 'w', encoding='utf-8') as log:
        log.write('$ %s\n' % ' '.join(shlex.quote(a) for a in argv))
        log.flush()
        proc = subprocess.Popen(argv, cwd=REPO, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, bufsize=1, start_new_session=True)

        def stop():
            # SIGTERM to the bench's process group first, so it can clean up (a lab, servers), then SIGKILL
            expired.append(True)
            for sig, grace in ((signal.SIGTERM, 60), (signal.SIGKILL, 0)):
                try:
                    os.killpg(proc.pid, sig)
                except OSError:
                    return
                try:
                    proc.wait(timeout=grace)
                    return
                except subprocess.TimeoutExpired:
                    continue
        timer = threading.Timer(timeout, stop) if timeout else None
        if timer:
            timer.start()
        try:
            for line in proc.stdout:
                sys.stdout.write('  | ' + line)
                sys.stdout.flush()
                log.write(line)
            status = proc.wait()
        finally:
            if timer:
                timer.cancel()
    if expired:
        status = 'killed after the %d s timeout' % timeout
    return status, time.monotonic() - start, log_path


def plot(data, path):
    """One PNG: the ratios against their targets (left) and the measured times (right)."""
    import matplotlib  # pylint: disable=import-outside-toplevel
    matplotlib.use('Agg')
    from matplotlib import pyplot  # pylint: disable=import-outside-toplevel

    entries = [{'label': data.get('label') or data['name'], 'ratio': data.get('ratio'), 'target': data.get('target'),
                'verdict': data.get('verdict')}] + list(data.get('ratios') or [])
    # seconds (a unit starting with "s") are listed in the table but are not ratios: not in the ratio panel
    entries = [e for e in entries if isinstance(e.get('ratio'), (int, float)) and not isinstance(e['ratio'], bool)
               and not re.match(r'^s\b', str(e.get('unit') or ''))]
    bars = (data.get('plot') or {}).get('bars')
    unit = (data.get('plot') or {}).get('unit', 's')
    if not bars:
        bars = dict((k[:-2].replace('_', ' '), v) for k, v in sorted(data.get('measurements', {}).items())
                    if k.endswith('_s') and isinstance(v, (int, float)) and not isinstance(v, bool))
    fig, axes = pyplot.subplots(1, 2, figsize=(max(11, 7 + 0.55 * len(entries)), 4.6),
                                gridspec_kw={'width_ratios': [max(1, 0.25 * len(entries)), 1.4]})
    left, right = axes
    colors = {'ok': '#2e7d32', 'MISSED': '#c62828', '-': '#607d8b'}
    if entries:
        xs = list(range(len(entries)))
        left.bar(xs, [e['ratio'] for e in entries], color=[colors.get(e.get('verdict'), '#607d8b') for e in entries])
        for x, e in zip(xs, entries):
            left.annotate('%.2f' % e['ratio'], (x, e['ratio']), ha='center', va='bottom', fontsize=7)
        targets = sorted({e['target'] for e in entries if e.get('target') is not None})
        if len(targets) == 1:   # one target for all: one line
            left.axhline(targets[0], color='black', linestyle='dashed', linewidth=1, label='target %.2f' % targets[0])
        else:
            for x, e in zip(xs, entries):
                if e.get('target') is not None:
                    left.hlines(e['target'], x - 0.4, x + 0.4, colors='black', linestyles='dashed', linewidth=1,
                                label='target' if x == xs[0] else None)
        if targets:
            left.legend(fontsize=7, loc='upper right')
        left.set_xticks(xs)
        left.set_xticklabels([e['label'] for e in entries], rotation=30, ha='right', fontsize=7)
    left.set_title('%s: %s' % (data['name'], data.get('unit', '')), fontsize=9, wrap=True)
    left.set_ylabel('ratio')
    if bars:
        labels = list(bars)
        right.barh(range(len(labels)), [bars[k] for k in labels], color='#1565c0')
        right.set_yticks(range(len(labels)))
        right.set_yticklabels(labels, fontsize=8)
        right.invert_yaxis()
        for y, k in enumerate(labels):
            right.annotate(' %.2f' % bars[k], (bars[k], y), va='center', fontsize=8)
        right.set_xlabel(unit)
    right.set_title((data.get('plot') or {}).get('title') or 'measurements', fontsize=9)
    fig.suptitle('%s  (%s)' % (data.get('command', ''), data.get('date', '')), fontsize=8)
    fig.tight_layout()
    tmp = path + '.tmp.png'
    fig.savefig(tmp, dpi=100)
    pyplot.close(fig)
    os.replace(tmp, path)
    return path


def fmt_ratio(value):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return '%.2f' % value
    return '-'


def fmt_target(target, better):
    if target is None:
        return '-'
    return '%s %.2f' % ('<=' if better == 'lower' else '>=', target)


def summary_table(rows):
    """Text table: one line per benchmark (and per extra ratio), ratio vs target."""
    lines = ['%-28s %8s %10s %8s  %s' % ('benchmark', 'ratio', 'target', 'result', 'what')]
    for row in rows:
        if row.get('error'):
            lines.append('%-28s %8s %10s %8s  %s' % (row['bench'], '-', '-', 'FAILED', row['error']))
            continue
        cells = (row['name'], fmt_ratio(row.get('ratio')), fmt_target(row.get('target'), row.get('better')),
                 row.get('verdict', '-'), row.get('unit', ''))
        lines.append('%-28s %8s %10s %8s  %s' % cells)
        for extra in row.get('ratios') or []:
            cells = (extra['label'][:26], fmt_ratio(extra.get('ratio')), fmt_target(extra.get('target'), extra.get('better')),
                     extra.get('verdict', '-'), extra.get('unit', ''))
            lines.append('  %-26s %8s %10s %8s  %s' % cells)
    return '\n'.join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--only', action='append', default=[], help='run only this benchmark (name or file stem)')
    parser.add_argument('--skip', action='append', default=[], help='skip this benchmark')
    parser.add_argument('--args', action='append', default=[], metavar='NAME=ARGS',
                        help="extra arguments for one benchmark, e.g. 'batch_bench=--duration 20'")
    parser.add_argument('--no-run', action='store_true', help='do not run; plot and summarize the latest results')
    parser.add_argument('--timeout', type=int, default=3600, help='seconds per benchmark (0 = none)')
    parser.add_argument('--strict', action='store_true', help='exit 2 when a target is missed')
    parser.add_argument('--list', action='store_true', help='list the benchmarks and exit')
    parser.add_argument('--bench-dir', default=BENCH, help=argparse.SUPPRESS)
    parser.add_argument('--results-dir', default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    bench_dir = os.path.abspath(args.bench_dir)
    results = os.path.abspath(args.results_dir or os.path.join(bench_dir, 'results'))

    def stem_of(name):
        return name if name.endswith('_bench') else name + '_bench'

    stems = discover(bench_dir)
    if args.list:
        print('\n'.join(stems))
        return 0
    unknown = [n for n in args.only + args.skip if stem_of(n) not in stems]
    extra = {}
    for item in args.args:
        name, sep, rest = item.partition('=')
        if not sep:
            parser.error('--args %r: expected NAME=ARGS' % item)
        if stem_of(name) not in stems:
            unknown.append(name)
        extra[stem_of(name)] = shlex.split(rest)
    if unknown:
        parser.error('no such benchmark: %s (there are: %s)' % (', '.join(unknown), ', '.join(stems)))
    if args.only:
        stems = [s for s in stems if s in {stem_of(n) for n in args.only}]
    stems = [s for s in stems if s not in {stem_of(n) for n in args.skip}]
    os.makedirs(results, exist_ok=True)

    rows = []
    for stem in stems:
        command = '.venv/bin/python bench/%s.py%s' % (stem, ''.join(' ' + shlex.quote(a) for a in extra.get(stem, [])))
        if args.no_run:
            path = latest_result(stem, results)
            if not path:
                rows.append({'bench': stem, 'error': 'no result in bench/results/ yet'})
                continue
            command = '.venv/bin/python bench/%s.py' % stem
        else:
            print('== %s' % command, flush=True)
            since = time.time()
            status, seconds, log_path = run_bench(stem, extra.get(stem, []), args.timeout, bench_dir, results)
            path = newest_result(stem, since, results)
            if status != 0:
                rows.append({'bench': stem, 'error': 'exit status %s after %.0f s (log: %s)'
                             % (status, seconds, os.path.relpath(log_path, os.getcwd()))})
                continue
            if not path:
                rows.append({'bench': stem, 'error': 'wrote no %s/%s-*.json' % (os.path.relpath(results, os.getcwd()), stem)})
                continue
        try:
            with open(path, encoding='utf-8') as handle:
                data = normalize(json.load(handle), stem, command, path)
        except (OSError, ValueError) as exc:
            rows.append({'bench': stem, 'error': 'unreadable result %s: %s' % (os.path.relpath(path, os.getcwd()), exc)})
            continue
        try:
            data['plot_file'] = os.path.relpath(plot(data, os.path.join(results, stem + '.png')), os.getcwd())
        except ImportError:
            data['plot_file'] = None
            print('matplotlib is not installed (pip install matplotlib): no plot for %s' % stem, file=sys.stderr)
        rows.append(data)

    stamp = time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())
    summary_path = os.path.join(results, 'summary-%s.json' % stamp)
    with open(summary_path + '.tmp', 'w', encoding='utf-8') as handle:
        json.dump({'date': stamp, 'results': rows}, handle, indent=2, sort_keys=True, default=str)
        handle.write('\n')
    os.replace(summary_path + '.tmp', summary_path)
    print()
    print(summary_table(rows))
    print()
    for row in rows:
        if row.get('plot_file'):
            print('plot: %s' % row['plot_file'])
    print('summary: %s' % os.path.relpath(summary_path, os.getcwd()))
    if any(r.get('error') for r in rows):
        return 1
    if args.strict and any(r.get('verdict') == 'MISSED' or any(e.get('verdict') == 'MISSED' for e in r.get('ratios', []))
                           for r in rows):
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
