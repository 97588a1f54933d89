# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: the stage module vs plain rsync and scp, for one 2 GiB artifact, in the same run.

    .venv/bin/python bench/staging_bench.py [--size-mib 2048] [--rounds 3] [--lab-id 231]

Brings up its own two-node lab (tests/lab/lab.sh, LAB_NODE_SIZE 3g, a LAB_ID of its own) and makes a
build tree on node bench-a (a random 2 GiB images/big.iso + a Fedora-style CHECKSUM). Two scenarios,
each method timed once per round, rounds interleaved so that load from elsewhere hits all methods alike:

* ``push`` (ssh target): bench-a -> bench-b's private tmpfs.
  ``rsync``: ``ssh bench-a rsync -e ssh FILE bench-b:DIR/``; ``scp``: ``ssh bench-a scp FILE bench-b:DIR/``;
  ``module_inproc``: ``ssh bench-a python3 -c 'stage(...)'`` (the module's code on the node, no Ansible);
  ``module_ansible``: ansible-playbook running the module on bench-a (Ansible start-up included).
* ``relay`` (ssh target, src_host = bench-a, run on the controller: the build role's SSH staging): bench-a ->
  controller -> bench-b. ``pipe_module_ciphers``: ``ssh bench-a cat FILE | ssh bench-b 'cat > FILE'``;
  ``scp3``: ``scp -3 bench-a:FILE bench-b:DIR/``; ``module_inproc`` / ``module_ansible`` as for pull.
* ``pull`` (local target on the controller, src_host = bench-a), into a directory on the controller's disk.
  ``rsync``: ``rsync -e ssh bench-a:FILE DIR/``; ``scp``: ``scp bench-a:FILE DIR/``; ``module_inproc``: the
  library called in this process; ``module_ansible``: ansible-playbook on localhost.

Every module run includes the verification (sha256 of what the receiver wrote vs CHECKSUM), the
partial directory and the final rename; the target is cleared before each run. Baselines use the same
ssh options (key, strict host key checking, known_hosts). ``rsync`` and ``scp`` keep ssh's default cipher
order (chacha20-poly1305 first); the module prefers AES-GCM (staging.CIPHERS, same ciphers, other order),
so ``scp_module_ciphers`` (scp with the module's order) is timed too, to show what the cipher alone buys.
Ratios are baseline time / module time (>= 0.9 is the target), from the medians over the rounds.
Results: bench/results/staging.json. The lab is torn down at the end, also on failure.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(REPO, 'tests'), os.path.join(REPO, '.collections')]

from support.ansible_run import run_module  # noqa: E402  pylint: disable=wrong-import-position
from support.plugin_lab import LabError, start_lab  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.ondemand.fedora_build.plugins.module_utils.staging import CIPHERS, stage  # noqa: E402  pylint: disable=wrong-import-position

BID = 'boot-41-x86_64-0123456789ab'
LATEST = 'latest-boot-41-x86_64'
NODES = 'bench-a:x86_64 bench-b:x86_64'


def ssh_opts(lab):
    return ['-F', '/dev/null', '-i', str(lab.ssh_key), '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes',
            '-o', 'StrictHostKeyChecking=yes', '-o', 'UserKnownHostsFile=%s' % lab.known_hosts, '-o', 'LogLevel=ERROR']


FAILURES = []


def timed(argv_or_func, attempts=2):
    """Time a callable or a command; a command failing (e.g. ssh 255 under heavy load) is retried once and noted."""
    for attempt in range(attempts):
        start = time.monotonic()
        if callable(argv_or_func):
            value = argv_or_func()
            return time.monotonic() - start, value
        value = subprocess.run(argv_or_func, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
        if value.returncode == 0:
            return time.monotonic() - start, value
        FAILURES.append({'argv': argv_or_func, 'rc': value.returncode, 'stderr': value.stderr[-2000:],
                         'attempt': attempt + 1})
        print('  (attempt %d failed with status %d: %s)' % (attempt + 1, value.returncode, value.stderr.strip()[-300:]),
              flush=True)
    raise RuntimeError('%s failed %d times: %s' % (argv_or_func[0], attempts, value.stderr.strip()[-500:]))


def summary(times):
    return {'runs_s': [round(t, 3) for t in times], 'median_s': round(statistics.median(times), 3),
            'best_s': round(min(times), 3)}


def run_rounds(label, methods, clear, rounds, check):
    """Time each method once per round, rounds interleaved; ``check(name, round, value)`` looks at each result.
    Returns {name: [seconds, ...]} and the seconds the module reported inside ansible-playbook."""
    times = {name: [] for name in methods}
    module_seconds = []
    for rnd in range(rounds):
        for name, method in methods.items():
            clear()
            seconds, value = method()
            times[name].append(seconds)
            inner = check(name, rnd, value)
            if inner is not None:
                module_seconds.append(inner)
            print('%s round %d %-19s %7.2f s' % (label, rnd + 1, name, seconds), flush=True)
    return times, module_seconds


def scenario_result(times, module_seconds, bases):
    """Medians, and the ratios baseline / module for each baseline in ``bases``."""
    result = {name: summary(t) for name, t in times.items()}
    result['module_ansible_inner_seconds'] = summary(module_seconds)
    for base in bases:
        for mod in ('module_inproc', 'module_ansible'):
            result['ratio_%s_vs_%s' % (base, mod)] = round(result[base]['median_s'] / result[mod]['median_s'], 3)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--size-mib', type=int, default=2048)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--lab-id', type=int, default=231)
    parser.add_argument('--node-size', default='3g')
    parser.add_argument('--scenarios', default='push,pull,relay')
    parser.add_argument('--out', default=os.path.join(REPO, 'bench', 'results'))
    args = parser.parse_args()
    scenarios = [s for s in args.scenarios.split(',') if s]

    os.environ['LAB_NODE_SIZE'] = args.node_size
    work = tempfile.mkdtemp(prefix='staging-bench-', dir='/var/tmp')
    lab = None
    try:
        lab = start_lab(args.lab_id, state=os.path.join(work, 'lab'), nodes=NODES)
        opts = ssh_opts(lab)
        addr = {name: lab.hosts[name]['address'] for name in lab.hosts}
        node_root = lab.hosts['bench-a']['node_root']
        src = node_root + '/src/' + BID
        size = args.size_mib * 1024 * 1024
        big = src + '/images/big.iso'
        make = ('set -e; mkdir -p "$1/images"; head -c "$2" /dev/urandom > "$1/images/big.iso"; cd "$1"; '
                'printf "# images/big.iso: %s bytes\\n" "$2" > CHECKSUM.tmp; sha256sum --tag images/big.iso >> CHECKSUM.tmp; '
                'mv CHECKSUM.tmp CHECKSUM; cat CHECKSUM')
        checksum = lab.ssh('bench-a', 'sh', '-c', make, 'sh', src, str(size), timeout=600).stdout
        sha = checksum.split()[-1]

        def on(host, *argv):
            return ['ssh'] + opts + ['root@%s' % addr[host], '--', ' '.join(shlex.quote(a) for a in argv)]

        remote_ssh = 'ssh ' + ' '.join(shlex.quote(o) for o in opts)
        results = {'size_bytes': size, 'rounds': args.rounds, 'lab_nodes': NODES, 'node_size': args.node_size,
                   'cpus': os.cpu_count(), 'loadavg_start': os.getloadavg(), 'sha256': sha}

        # ------------------------------------------------------------- push: bench-a -> bench-b
        if 'push' in scenarios:
            dst = lab.hosts['bench-b']['node_root'] + '/dst'
            target = {'type': 'ssh', 'host': addr['bench-b'], 'user': 'root', 'path': dst,
                      'identity_file': str(lab.ssh_key), 'known_hosts_file': str(lab.known_hosts)}
            params = {'src': src, 'build_id': BID, 'latest': LATEST, 'target': target}
            inproc = ('import json, sys; sys.path.insert(0, %r); '
                      'from ansible_collections.ondemand.fedora_build.plugins.module_utils.staging import stage; '
                      'r = stage(json.loads(sys.argv[1])); print(json.dumps(r))') % os.path.join(REPO, '.collections')

            def clear_b():
                lab.ssh('bench-b', 'rm', '-rf', dst)
                lab.ssh('bench-b', 'mkdir', '-p', dst)

            methods = {
                'rsync': lambda: timed(on('bench-a', 'rsync', '-e', remote_ssh, big, 'root@%s:%s/' % (addr['bench-b'], dst))),
                'scp': lambda: timed(on('bench-a', 'scp', *(opts + [big, 'root@%s:%s/' % (addr['bench-b'], dst)]))),
                'scp_module_ciphers': lambda: timed(on('bench-a', 'scp', *(opts + ['-o', 'Ciphers=' + CIPHERS, big,
                                                                                   'root@%s:%s/' % (addr['bench-b'], dst)]))),
                'module_inproc': lambda: timed(on('bench-a', '/usr/bin/python3', '-c', inproc, json.dumps(params))),
                'module_ansible': lambda: timed(lambda: run_module('ondemand.fedora_build.stage', params,
                                                                   inventory=lab.inventory, hosts='bench-a').assert_ok()),
            }

            def check_push(name, rnd, value):
                if name == 'module_inproc':
                    res = json.loads(value.stdout)
                    assert res['changed'] and res['bytes_transferred'] >= size, res
                if rnd == 0 and name.startswith('module'):
                    got = lab.ssh('bench-b', 'sha256sum', '%s/%s/images/big.iso' % (dst, BID)).stdout.split()[0]
                    assert got == sha, (name, got, sha)
                return value.result('module', 'bench-a')['seconds'] if name == 'module_ansible' else None

            times, module_seconds = run_rounds('push', methods, clear_b, args.rounds, check_push)
            # an already staged build: the re-run
            methods['module_inproc']()   # stage it once more, then the re-run is the one timed
            rerun2, value = methods['module_inproc']()
            assert json.loads(value.stdout)['changed'] is False
            push = scenario_result(times, module_seconds, ('rsync', 'scp', 'scp_module_ciphers'))
            push['module_rerun_already_staged_s'] = round(rerun2, 3)
            results['push'] = push
            clear_b()

        # ------------------------------------------------------------- pull: bench-a -> controller disk
        if 'pull' in scenarios:
            dst = os.path.join(work, 'pull')
            src_host = {'host': addr['bench-a'], 'user': 'root', 'identity_file': str(lab.ssh_key),
                        'known_hosts_file': str(lab.known_hosts)}
            params = {'src': src, 'build_id': BID, 'latest': LATEST, 'target': {'type': 'local', 'path': dst},
                      'src_host': src_host}

            def clear_local():
                shutil.rmtree(dst, ignore_errors=True)
                os.makedirs(dst)

            methods = {
                'rsync': lambda: timed(['rsync', '-e', remote_ssh, 'root@%s:%s' % (addr['bench-a'], big), dst + '/']),
                'scp': lambda: timed(['scp'] + opts + ['root@%s:%s' % (addr['bench-a'], big), dst + '/']),
                'scp_module_ciphers': lambda: timed(['scp'] + opts + ['-o', 'Ciphers=' + CIPHERS,
                                                                      'root@%s:%s' % (addr['bench-a'], big), dst + '/']),
                'module_inproc': lambda: timed(lambda: stage(dict(params))),
                'module_ansible': lambda: timed(lambda: run_module('ondemand.fedora_build.stage', params).assert_ok()),
            }

            def check_pull(name, _rnd, value):
                if name == 'module_inproc':
                    assert value['changed'] and value['bytes_transferred'] >= size
                return value.result('module')['seconds'] if name == 'module_ansible' else None

            times, module_seconds = run_rounds('pull', methods, clear_local, args.rounds, check_pull)
            pull = scenario_result(times, module_seconds, ('rsync', 'scp', 'scp_module_ciphers'))
            results['pull'] = pull
            clear_local()

        # ------------------------------------------------------------- relay: bench-a -> controller -> bench-b
        # what the build role does for an SSH target: the node's stream goes through the controller (no login on nodes)
        if 'relay' in scenarios:
            dst = lab.hosts['bench-b']['node_root'] + '/dst'
            src_host = {'host': addr['bench-a'], 'user': 'root', 'identity_file': str(lab.ssh_key),
                        'known_hosts_file': str(lab.known_hosts)}
            target = {'type': 'ssh', 'host': addr['bench-b'], 'user': 'root', 'path': dst,
                      'identity_file': str(lab.ssh_key), 'known_hosts_file': str(lab.known_hosts)}
            params = {'src': src, 'build_id': BID, 'latest': LATEST, 'target': target, 'src_host': src_host}

            def clear_b():
                lab.ssh('bench-b', 'rm', '-rf', dst)
                lab.ssh('bench-b', 'mkdir', '-p', dst)

            def pipe():
                # the plain relay: ssh a cat | ssh b 'cat > FILE', with the module's cipher order on both legs
                ciphers = ['-o', 'Ciphers=' + CIPHERS]
                reader = subprocess.Popen(['ssh'] + opts + ciphers + ['root@%s' % addr['bench-a'], '--', 'cat -- %s'
                                                                      % shlex.quote(big)], stdout=subprocess.PIPE)
                writer = subprocess.run(['ssh'] + opts + ciphers + ['root@%s' % addr['bench-b'], '--', 'cat > %s'
                                                                    % shlex.quote(dst + '/big.iso')],
                                        stdin=reader.stdout, check=False)
                reader.stdout.close()
                if reader.wait() != 0 or writer.returncode != 0:
                    raise RuntimeError('ssh a cat | ssh b cat failed')

            methods = {
                'pipe_module_ciphers': lambda: timed(pipe),
                'scp3': lambda: timed(['scp', '-3'] + opts + ['root@%s:%s' % (addr['bench-a'], big),
                                                              'root@%s:%s/' % (addr['bench-b'], dst)]),
                'module_inproc': lambda: timed(lambda: stage(dict(params))),
                'module_ansible': lambda: timed(lambda: run_module('ondemand.fedora_build.stage', params).assert_ok()),
            }

            def check_relay(name, rnd, value):
                if name == 'module_inproc':
                    assert value['changed'] and value['bytes_transferred'] >= size
                if rnd == 0 and name.startswith('module'):
                    got = lab.ssh('bench-b', 'sha256sum', '%s/%s/images/big.iso' % (dst, BID)).stdout.split()[0]
                    assert got == sha, (name, got, sha)
                return value.result('module')['seconds'] if name == 'module_ansible' else None

            times, module_seconds = run_rounds('relay', methods, clear_b, args.rounds, check_relay)
            relay = scenario_result(times, module_seconds, ('pipe_module_ciphers', 'scp3'))
            results['relay'] = relay
            clear_b()

        results['loadavg_end'] = os.getloadavg()
        results['failed_attempts'] = FAILURES
        os.makedirs(args.out, exist_ok=True)
        path = os.path.join(args.out, 'staging.json')
        with open(path + '.tmp', 'w') as handle:
            json.dump(results, handle, indent=2, sort_keys=True)
            handle.write('\n')
        os.rename(path + '.tmp', path)
        print('%d MiB, %d rounds, medians (s) and ratios baseline/module (target >= 0.9):' % (args.size_mib, args.rounds))
        for scen in scenarios:
            data = results[scen]
            if scen == 'relay':
                print('  relay: ssh a cat | ssh b cat %.2f  scp -3 %.2f  module in-process %.2f  module via '
                      'ansible-playbook %.2f (inside module %.2f)'
                      % (data['pipe_module_ciphers']['median_s'], data['scp3']['median_s'],
                         data['module_inproc']['median_s'], data['module_ansible']['median_s'],
                         data['module_ansible_inner_seconds']['median_s']))
                print('     ratios: pipe/in-process %.2f  scp -3/in-process %.2f  pipe/ansible %.2f'
                      % (data['ratio_pipe_module_ciphers_vs_module_inproc'], data['ratio_scp3_vs_module_inproc'],
                         data['ratio_pipe_module_ciphers_vs_module_ansible']))
                continue
            print('  %s: rsync %.2f  scp %.2f  module in-process %.2f  module via ansible-playbook %.2f (inside module %.2f)'
                  % (scen, data['rsync']['median_s'], data['scp']['median_s'], data['module_inproc']['median_s'],
                     data['module_ansible']['median_s'], data['module_ansible_inner_seconds']['median_s']))
            print('     ratios: rsync/in-process %.2f  scp/in-process %.2f  rsync/ansible %.2f  scp/ansible %.2f'
                  % (data['ratio_rsync_vs_module_inproc'], data['ratio_scp_vs_module_inproc'],
                     data['ratio_rsync_vs_module_ansible'], data['ratio_scp_vs_module_ansible']))
            print('     scp with the module\'s cipher order %.2f s: ratio to in-process %.2f, to ansible %.2f'
                  % (data['scp_module_ciphers']['median_s'], data['ratio_scp_module_ciphers_vs_module_inproc'],
                     data['ratio_scp_module_ciphers_vs_module_ansible']))
        print('results: %s' % os.path.relpath(path, REPO))
    except LabError as exc:
        print('staging bench: %s' % exc, file=sys.stderr)
        return 2
    finally:
        if lab is not None:
            try:
                lab.down()
            except LabError as exc:
                print('staging bench: lab teardown: %s' % exc, file=sys.stderr)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
