# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""bench/run_all.py: runs every *_bench.py, reads their JSON (common shape or side_repo's own), plots, summarizes."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap

import pytest

from support.ansible_run import REPO

RUN_ALL = REPO / 'bench' / 'run_all.py'
PNG_MAGIC = b'\x89PNG\r\n\x1a\n'

# The JSON side_repo_bench.py writes today (a flat dict), trimmed.
SIDE_REPO_RAW = {'builds': 14, 'rpms': 42, 'delay_s': 0.1, 'koji_cli_cold_s': 20.978, 'koji_cli_warm_s': 17.555,
                 'module_cold_s': 2.88, 'module_warm_s': 1.358, 'library_cold_s': 1.492, 'library_warm_s': 0.428,
                 'ratio_cold_module': 7.28, 'ratio_warm_module': 12.92, 'ratio_cold_library': 14.06,
                 'ratio_warm_library': 40.98}


# staging_bench.py writes bench/results/staging.json (fixed name), trimmed.
STAGING_RAW = {'size_bytes': 2147483648, 'rounds': 3, 'push': {
    'rsync': {'median_s': 8.978}, 'scp': {'median_s': 8.475}, 'module_inproc': {'median_s': 8.346},
    'module_ansible': {'median_s': 8.565}, 'module_ansible_inner_seconds': {'median_s': 7.307},
    'ratio_rsync_vs_module_ansible': 1.048, 'ratio_scp_vs_module_ansible': 0.989}, 'pull': {
    'rsync': {'median_s': 10.542}, 'scp': {'median_s': 6.793}, 'module_ansible_inner_seconds': {'median_s': 7.797},
    'ratio_scp_vs_module_ansible': 0.759}}


def load_runner():
    spec = importlib.util.spec_from_file_location('bench_run_all', str(RUN_ALL))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_bench(bench_dir, stem, body):
    (bench_dir / (stem + '.py')).write_text(textwrap.dedent('''\
        import json, os, sys, time
        out = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'results')
        os.makedirs(out, exist_ok=True)
        def write(data):
            path = os.path.join(out, '%s-%%s.json' %% time.strftime('%%Y%%m%%dT%%H%%M%%SZ', time.gmtime()))
            with open(path, 'w') as handle:
                json.dump(data, handle)
        ''' % stem) + textwrap.dedent(body))


@pytest.mark.parametrize('target,better,ratio,expected', [
    (1.15, 'lower', 1.1, 'ok'), (1.15, 'lower', 1.2, 'MISSED'), ('<= 1.15', None, 1.15, 'ok'),
    ('>= 0.9', None, 0.8, 'MISSED'), (3, None, 7.28, 'ok'), ({'op': '<=', 'value': 2}, None, 3, 'MISSED'),
    (None, None, 5, '-'), (1.0, 'higher', None, '-'),
])
def test_targets(target, better, ratio, expected):
    runner = load_runner()
    value, direction = runner.parse_target(target, better)
    assert runner.verdict(ratio, value, direction) == expected


def test_side_repo_result_is_adapted(tmp_path):
    runner = load_runner()
    path = tmp_path / 'side_repo_bench-20261126T132338Z.json'
    path.write_text(json.dumps(SIDE_REPO_RAW))
    data = runner.normalize(SIDE_REPO_RAW, 'side_repo_bench', '.venv/bin/python bench/side_repo_bench.py', str(path))
    assert (data['name'], data['ratio'], data['target'], data['better'], data['verdict']) == ('side_repo', 7.28, 3.0, 'higher', 'ok')
    assert data['measurements']['koji_cli_cold_s'] == 20.978 and data['date'].endswith('Z')
    assert [r['ratio'] for r in data['ratios']] == [12.92, 14.06, 40.98]
    assert data['command'] == '.venv/bin/python bench/side_repo_bench.py'


def test_staging_result_is_adapted(tmp_path):
    runner = load_runner()
    path = tmp_path / 'staging.json'
    path.write_text(json.dumps(STAGING_RAW))
    data = runner.normalize(STAGING_RAW, 'staging_bench', 'cmd', str(path))
    # the worse scenario (pull) against its faster raw tool (scp): 6.793 / 7.797
    assert (data['name'], data['ratio'], data['target'], data['verdict']) == ('staging', 0.871, 0.9, 'MISSED')
    assert [(r['label'], r['ratio'], r['verdict']) for r in data['ratios']] == [
        ('push: fastest raw / stage task', 1.16, 'ok'), ('push rsync/ansible', 1.048, 'ok'),
        ('push scp/ansible', 0.989, 'ok'), ('pull: fastest raw / stage task', 0.871, 'MISSED'),
        ('pull scp/ansible', 0.759, 'MISSED')]


def test_runs_every_bench_plots_and_summarizes(tmp_path):
    bench = tmp_path / 'bench'
    bench.mkdir()
    write_bench(bench, 'fast_bench', '''
        print('measuring', flush=True)
        write({'name': 'fast', 'ratio': 1.08, 'target': 1.15, 'better': 'lower', 'unit': 'makespan / ideal',
               'measurements': {'makespan_s': 86.4, 'ideal_s': 80.0}, 'command': 'fast', 'date': '2026-11-26T14:00:00Z',
               'ratios': [{'label': 'overhead per build', 'ratio': 4.2, 'target': 3, 'better': 'lower', 'unit': 's'}]})
        ''')
    write_bench(bench, 'side_repo_bench', 'write(%r)\n' % (SIDE_REPO_RAW,))
    write_bench(bench, 'staging_bench', """
        with open(os.path.join(out, 'staging.json'), 'w') as handle:
            json.dump(%r, handle)
        """ % (STAGING_RAW,))
    write_bench(bench, 'broken_bench', "print('no lab here', file=sys.stderr)\nsys.exit(3)\n")
    write_bench(bench, 'silent_bench', 'pass\n')
    (bench / 'helper.py').write_text('raise SystemExit("not a benchmark")\n')
    proc = subprocess.run([sys.executable, str(RUN_ALL), '--bench-dir', str(bench), '--strict'], cwd=str(tmp_path),
                          capture_output=True, text=True, timeout=300, check=False)
    out = proc.stdout
    assert proc.returncode == 1, out + proc.stderr            # broken and silent benches
    table = out[out.index('benchmark '):]
    lines = {line.split()[0]: line for line in table.splitlines() if line.strip()}
    assert lines['fast'].split()[1:4] == ['1.08', '<=', '1.15'] and ' ok ' in lines['fast']
    assert lines['overhead'].split()[3:6] == ['4.20', '<=', '3.00'] and 'MISSED' in lines['overhead']
    assert lines['side_repo'].split()[1:5] == ['7.28', '>=', '3.00', 'ok']
    assert lines['staging'].split()[1:5] == ['0.87', '>=', '0.90', 'MISSED']
    assert 'FAILED  exit status 3' in lines['broken_bench'] and 'broken_bench.log' in lines['broken_bench']
    assert 'FAILED  wrote no bench/results/silent_bench-*.json' in lines['silent_bench']
    assert '  | measuring' in out                                     # bench output is shown while it runs
    assert 'no lab here' in (bench / 'results' / 'broken_bench.log').read_text()
    for stem in ('fast_bench', 'side_repo_bench', 'staging_bench'):
        assert (bench / 'results' / (stem + '.png')).read_bytes()[:8] == PNG_MAGIC
    assert not (bench / 'results' / 'broken_bench.png').exists()
    summary = json.loads(next((bench / 'results').glob('summary-*.json')).read_text())
    names = [r.get('name', r.get('bench')) for r in summary['results']]
    assert names == ['broken_bench', 'fast', 'side_repo', 'silent_bench', 'staging']

    # --strict: a missed target alone gives exit status 2; --no-run re-reads the latest results
    proc = subprocess.run([sys.executable, str(RUN_ALL), '--bench-dir', str(bench), '--only', 'fast', '--strict',
                           '--no-run'], cwd=str(tmp_path), capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    proc = subprocess.run([sys.executable, str(RUN_ALL), '--bench-dir', str(bench), '--only', 'nope'],
                          cwd=str(tmp_path), capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2 and 'no such benchmark: nope' in proc.stderr


def test_a_hanging_bench_is_stopped(tmp_path):
    bench = tmp_path / 'bench'
    bench.mkdir()
    write_bench(bench, 'hang_bench', '''
        import signal
        def bye(*_):
            print('cleaning up', flush=True)
            sys.exit(1)
        signal.signal(signal.SIGTERM, bye)
        time.sleep(600)
        ''')
    proc = subprocess.run([sys.executable, str(RUN_ALL), '--bench-dir', str(bench), '--timeout', '2'], cwd=str(tmp_path),
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 1
    assert 'killed after the 2 s timeout' in proc.stdout and '  | cleaning up' in proc.stdout
