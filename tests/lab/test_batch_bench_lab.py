# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""bench/batch_bench.py keeps working against the real pipeline (a small batch; it starts its own lab)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from support.ansible_run import REPO

pytestmark = [pytest.mark.lab, pytest.mark.slow]


def test_small_batch_bench_writes_a_result_runner_reads(tmp_path):
    out = tmp_path / 'results'
    proc = subprocess.run([sys.executable, str(REPO / 'bench' / 'batch_bench.py'), '--builds', '3', '--duration', '1',
                           '--no-overhead', '--out', str(out)], cwd=str(REPO), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=1200, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (path,) = out.glob('batch_bench-*.json')
    data = json.loads(path.read_text())
    assert data['name'] == 'batch' and data['better'] == 'lower' and data['target'] == 1.15
    measured = data['measurements']
    assert measured['ideal_s'] == 1 and data['ratio'] == round(measured['makespan_s'] / measured['ideal_s'], 3)
    assert measured['timed']['per_node'] == {'node-x86a': 1, 'node-x86b': 1, 'node-arm': 1}
    assert measured['warm']['builds'] == 3                   # the re-run reused every build (checked by the bench)
    assert set(measured['timed']['phase_mean_s']) >= {'lock', 'preflight', 'build', 'staging'}
    assert [r['label'] for r in data['ratios']] == ['warm re-run / first run']
    assert 'results: ' in proc.stdout
