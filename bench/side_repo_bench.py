# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: koji_side_repo vs `koji download-build` for the same builds, cold and warm.

    .venv/bin/python bench/side_repo_bench.py [--builds 14] [--delay 0.1] [--parallel 8]

Sets up the Koji hub stand-in with N real, signed builds of 3 RPMs each (rpmbuild + rpmsign),
injects latency, then times:

* ``module``: the real module through ansible-playbook on localhost (ansible start-up included),
* ``library``: the same code in-process (what the module spends after ansible has started),
* ``koji_cli``: the real ``koji download-build --key K --arch x86_64 --arch noarch`` once per build,
  as one would script it today,

each cold (empty cache / empty directory) and warm (second run, same directory).

Latency: ``tc qdisc ... netem`` in a network namespace is tried first; where the kernel has no
netem (``Specified qdisc kind is unknown``, e.g. in containers) the stand-in itself sleeps
``--delay`` seconds before answering every hub call and every file request. The results JSON
records which method was used. Results go to bench/results/side_repo_bench-<UTC time>.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(REPO, 'tests'), os.path.join(REPO, '.collections')]

from support.koji_hub import KojiHub  # noqa: E402  pylint: disable=wrong-import-position
from support.rpms import GpgKey, RpmFactory  # noqa: E402  pylint: disable=wrong-import-position
from support.koji_side import direct, via_ansible  # noqa: E402  pylint: disable=wrong-import-position

KOJI = os.path.join(os.path.dirname(sys.executable), 'koji')


def netem_available():
    """True when this kernel can do tc netem in a namespace (checked in a throw-away namespace)."""
    ns = 'fbbench%d' % os.getpid()
    if subprocess.run(['ip', 'netns', 'add', ns], capture_output=True, check=False).returncode:
        return False, 'cannot create a network namespace'
    try:
        subprocess.run(['ip', 'netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up'], capture_output=True, check=False)
        proc = subprocess.run(['ip', 'netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'netem',
                               'delay', '10ms'], capture_output=True, text=True, check=False)
        return proc.returncode == 0, (proc.stderr.strip() or 'ok')
    finally:
        subprocess.run(['ip', 'netns', 'del', ns], capture_output=True, check=False)


def timed(func):
    start = time.monotonic()
    value = func()
    return time.monotonic() - start, value


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--builds', type=int, default=14, help='number of builds (3 RPMs each)')
    parser.add_argument('--delay', type=float, default=0.1, help='latency per request in seconds')
    parser.add_argument('--parallel', type=int, default=8)
    parser.add_argument('--out', default=os.path.join(REPO, 'bench', 'results'))
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix='side-repo-bench-')
    key = GpgKey(work)
    hub = None
    try:
        factory = RpmFactory(os.path.join(work, 'rpms'))
        hub = KojiHub(os.path.join(work, 'top')).start()
        nvrs = []
        for i in range(args.builds):
            rpms = factory.build('benchpkg%02d' % i, '1.%d' % i, '1.fc41', arches=('x86_64',),
                                 subpackages=('libs', 'devel'), debuginfo=False, sign_with=[key],
                                 payload='x' * 2000)
            nvrs.append(hub.add_build(rpms)['nvr'])
        n_rpms = len(hub.rpms)

        have_netem, netem_note = netem_available()
        # The clients here run in the root namespace against a stand-in on loopback, so even with netem
        # available we use the stand-in's delay: it applies to every request alike, which is what matters.
        hub.rpc_delay = args.delay
        hub.file_delay = args.delay
        method = 'stand-in per-request delay (%.3f s before every hub call and file request)' % args.delay

        results = {'builds': args.builds, 'rpms': n_rpms, 'delay_s': args.delay, 'parallel': args.parallel,
                   'delay_method': method, 'netem_available': have_netem, 'netem_probe': netem_note}

        # --- koji download-build, one invocation per build
        conf = hub.write_cli_config(os.path.join(work, 'koji.conf'))
        cli_dir = os.path.join(work, 'cli')
        os.makedirs(cli_dir)

        def koji_cli():
            for nvr in nvrs:
                subprocess.run([KOJI, '-c', conf, '-p', 'standin', 'download-build', '--key', key.sigkey,
                                '--arch', 'x86_64', '--arch', 'noarch', '--noprogress', '-q', nvr],
                               cwd=cli_dir, check=True, capture_output=True)
        results['koji_cli_cold_s'] = timed(koji_cli)[0]
        results['koji_cli_warm_s'] = timed(koji_cli)[0]
        assert len(os.listdir(cli_dir)) == n_rpms

        # --- module through ansible-playbook
        mod_dir = Path(work) / 'mod'
        mod_dir.mkdir()

        def module():
            run = via_ansible(hub, mod_dir, builds=nvrs, arches=['x86_64'], sigkeys=[key.sigkey],
                              gpgkeys=[key.public_key], parallel=args.parallel)
            run.assert_ok()
            return run.result('module')
        results['module_cold_s'], cold = timed(module)
        results['module_warm_s'], warm = timed(module)
        assert len(cold['packages']) == n_rpms and cold['bytes_downloaded'] > 0
        assert warm['bytes_downloaded'] == 0 and warm['changed'] is False
        results['module_cold_bytes'] = cold['bytes_downloaded']

        # --- the same code in-process
        lib_dir = Path(os.path.join(work, 'lib'))
        lib_dir.mkdir()
        results['library_cold_s'], lcold = timed(lambda: direct(hub, lib_dir, builds=nvrs, sigkeys=[key.sigkey],
                                                                parallel=args.parallel, gpgkeys=[key.public_key]))
        results['library_warm_s'], lwarm = timed(lambda: direct(hub, lib_dir, builds=nvrs, sigkeys=[key.sigkey],
                                                                parallel=args.parallel, gpgkeys=[key.public_key]))
        assert lwarm['bytes_downloaded'] == 0 and lcold['bytes_downloaded'] > 0

        # same bytes as the CLI
        for pkg in cold['packages']:
            with open(os.path.join(cli_dir, pkg['nvra'] + '.rpm'), 'rb') as handle:
                assert hashlib.sha256(handle.read()).hexdigest() == pkg['sha256']

        results['ratio_cold_module'] = round(results['koji_cli_cold_s'] / results['module_cold_s'], 2)
        results['ratio_warm_module'] = round(results['koji_cli_warm_s'] / results['module_warm_s'], 2)
        results['ratio_cold_library'] = round(results['koji_cli_cold_s'] / results['library_cold_s'], 2)
        results['ratio_warm_library'] = round(results['koji_cli_warm_s'] / results['library_warm_s'], 2)
        for k in list(results):
            if k.endswith('_s') and isinstance(results[k], float):
                results[k] = round(results[k], 3)

        os.makedirs(args.out, exist_ok=True)
        stamp = time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())
        path = os.path.join(args.out, 'side_repo_bench-%s.json' % stamp)
        with open(path, 'w') as handle:
            json.dump(results, handle, indent=2, sort_keys=True)
            handle.write('\n')
        print('%d builds, %d RPMs, latency: %s' % (args.builds, n_rpms, method))
        print('netem: %s (%s)' % ('available' if have_netem else 'not available', netem_note))
        print('%-28s %8s %8s' % ('', 'cold s', 'warm s'))
        for name in ('koji_cli', 'module', 'library'):
            print('%-28s %8.2f %8.2f' % (name, results[name + '_cold_s'], results[name + '_warm_s']))
        print('ratio koji download-build / module (ansible incl.): cold %.1fx, warm %.1fx'
              % (results['ratio_cold_module'], results['ratio_warm_module']))
        print('ratio koji download-build / module code in-process: cold %.1fx, warm %.1fx'
              % (results['ratio_cold_library'], results['ratio_warm_library']))
        print('results: %s' % os.path.relpath(path, REPO))
    finally:
        if hub:
            hub.stop()
        key.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
