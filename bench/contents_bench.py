# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: the content check per image type vs one copy of the image, in the same run (issue 14).

    .venv/bin/python bench/contents_bench.py [--ballast-mib 256] [--rounds 3] [--only boot,live,dvd]

Needs root (the builder stand-ins refuse to run without it, like the real tools) and the test tools (rpmbuild,
createrepo_c, dnf, mksquashfs, xorriso). Builds the small test distribution (tests/support/distro.py) plus one
``ballast`` package holding ``--ballast-mib`` of random bytes (so the images have a size worth copying and the
payload does not compress), then makes one image per type with the same stand-ins the lab uses, from exactly that
repository: boot (lorax: ``images/boot.iso`` with its squashfs runtime), live (livemedia-creator: a live ISO with
``LiveOS/squashfs.img``), dvd (pungi-koji through the dvd_iso module: the compose's install tree and its DVD
ISO).

Per image, each round times the content check (``content_check.check``: read the package set out of the image in
place, compare with the pin, write contents.json and the SBOM; the image's sha256 is the builder's, as in the
pipeline) and one plain copy of the image file (``shutil.copyfile`` + fsync to the same disk), rounds interleaved.
The ratio is median(check) / median(copy); target <= 0.25. Results: bench/results/contents_bench-<time>.json.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(REPO, 'tests'), os.path.join(REPO, '.collections')]

from support.ansible_run import run_playbook  # noqa: E402  pylint: disable=wrong-import-position
from support.distro import build_distro  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.ondemand.fedora_build.plugins.module_utils import content_check  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.ondemand.fedora_build.plugins.module_utils.fileutil import sha256_file  # noqa: E402  pylint: disable=wrong-import-position

STANDINS = os.path.join(REPO, 'tests', 'support', 'standins')
STANDIN_PATH = os.pathsep.join([STANDINS, os.path.dirname(sys.executable),
                                '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'])
TARGET = 0.25
PIN = 'bash'
BALLAST_SPEC = """\
Name:           ballast
Version:        1.0
Release:        1.fc42
Summary:        Incompressible bytes that give the benchmark's images a size
License:        MIT
BuildArch:      noarch

%description
Bench ballast.

%install
mkdir -p %{{buildroot}}/usr/share/ballast
head -c {size} /dev/urandom > %{{buildroot}}/usr/share/ballast/data

%files
/usr/share/ballast/data
"""


def run(argv):
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def sh(argv, **kwargs):
    proc = subprocess.run(argv, capture_output=True, text=True, check=False, **kwargs)
    if proc.returncode != 0:
        raise RuntimeError('%s failed (%d): %s' % (argv[0], proc.returncode, (proc.stdout + proc.stderr)[-3000:]))
    return proc


def ballast_rpm(work, mib):
    top = os.path.join(work, 'ballast')
    os.makedirs(os.path.join(top, 'SPECS'))
    spec = os.path.join(top, 'SPECS', 'ballast.spec')
    with open(spec, 'w') as handle:
        handle.write(BALLAST_SPEC.format(size=mib << 20))
    sh(['rpmbuild', '-bb', '--quiet', '--define', '_topdir %s' % top, '--define', '_binary_payload w0.ufdio',
        '--define', '__os_install_post %{nil}', '--define', '_build_id_links none',
        '--define', '_dbpath %s' % os.path.join(work, 'rpmdb-build'), spec])
    return os.path.join(top, 'RPMS', 'noarch', 'ballast-1.0-1.fc42.noarch.rpm')


def repository(work, mib):
    distro = build_distro(os.path.join(work, 'distro'))
    shutil.copy2(ballast_rpm(work, mib), str(distro.path))
    comps = os.path.join(work, 'distro', 'comps.xml')
    sh(['createrepo_c', '--quiet', '--no-database', '-g', comps, str(distro.path)])
    return distro


def pinned(distro):
    """A koji-manifest.json ``packages`` entry for the distribution's bash (as koji_side_repo writes them)."""
    path = [p for p in distro.rpms[PIN] if '.x86_64.' in os.path.basename(p)][0]
    out = sh(['rpm', '-qp', '--nosignature', '--nodigest', '--qf',
              '%{NAME}\\t%{EPOCHNUM}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t%{SIGMD5}', path]).stdout.split('\t')
    return [dict(name=out[0], epoch=int(out[1]), version=out[2], release=out[3], arch=out[4], payloadhash=out[5],
                 sigkey='', sha256=sha256_file(path), nevra='%s-%s-%s.%s' % (out[0], out[2], out[3], out[4]))]


def tool(name):
    return os.path.join(STANDINS, name)


def artifact(kind, path):
    return dict(kind=kind, path=path, name=os.path.basename(path), size=os.path.getsize(path), sha256=sha256_file(path))


def make_boot(work, repo):
    out = os.path.join(work, 'boot')
    sh([tool('lorax'), '-p', 'Fedora', '-v', '42', '-r', '42', '--source', 'file://%s/' % repo, '--nomacboot',
        '--installpkgs', PIN, '--installpkgs', 'ballast', '--logfile', os.path.join(work, 'boot-logs', 'lorax.log'),
        '--tmp', os.path.join(work, 'tmp'), out])
    return 'package-log', [artifact('boot_iso', os.path.join(out, 'images', 'boot.iso')),
                           artifact('install_img', os.path.join(out, 'images', 'install.img'))]


def make_live(work, repo):
    ks = os.path.join(work, 'live.ks')
    with open(ks, 'w') as handle:
        handle.write('url --url=file://%s/\nnetwork --bootproto=dhcp\nshutdown\n%%packages\nkernel\ndracut-live\n'
                     '%s\nballast\n%%end\n' % (repo, PIN))
    result = os.path.join(work, 'live')
    sh([tool('livemedia-creator'), '--make-iso', '--no-virt', '--ks', ks, '--resultdir', result, '--nomacboot',
        '--project', 'Fedora', '--releasever', '42', '--logfile', os.path.join(work, 'live-logs', 'livemedia.log'),
        '--tmp', os.path.join(work, 'tmp')])
    isos = [os.path.join(d, f) for d, dummy, files in os.walk(result) for f in files if f.endswith('.iso')]
    return 'rpmdb', [artifact('live_iso', isos[0])]


def make_dvd(work, repo):
    """pungi-koji through the dvd_iso module (Ansible), as the pipeline runs it: the compose's DVD and tree."""
    ks = os.path.join(work, 'dvd.ks')
    with open(ks, 'w') as handle:
        handle.write('%%packages\nkernel\n%s\nballast\n%%end\n' % PIN)
    args = {'backend': 'pungi-koji', 'kickstart': ks, 'version': '42', 'repos': [{'name': 'fedora',
            'baseurl': 'file://%s/' % repo}], 'dest': os.path.join(work, 'dvd'), 'work_root': os.path.join(work, 'dvd-work'),
            'build_id': 'bench-dvd'}
    play = [{'name': 'dvd', 'hosts': 'localhost', 'gather_facts': False, 'tasks': [
        {'name': 'dvd', 'ondemand.fedora_build.dvd_iso': args, 'environment': {'PATH': STANDIN_PATH}}]}]
    run = run_playbook(play, workdir=os.path.join(work, 'dvd-run'))
    run.assert_ok()
    return 'repodata', run.result('dvd')['artifacts']


MAKERS = {'boot': make_boot, 'live': make_live, 'dvd': make_dvd}


def timed(func):
    start = time.monotonic()
    func()
    return time.monotonic() - start


def copy_once(image, dest):
    def copy():
        shutil.copyfile(image, dest)
        with open(dest, 'rb+') as handle:
            os.fsync(handle.fileno())
    try:
        return timed(copy)
    finally:
        os.unlink(dest)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--ballast-mib', type=int, default=256)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--only', default=','.join(MAKERS))
    parser.add_argument('--workdir', default=None, help='where images are made (default: a temp dir in /var/tmp)')
    parser.add_argument('--out', default=os.path.join(REPO, 'bench', 'results'))
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit('contents_bench: run as root (the builder stand-ins refuse to run without it, like the real tools)')
    work = tempfile.mkdtemp(prefix='contents-bench-', dir=args.workdir or '/var/tmp')
    try:
        t0 = time.monotonic()
        distro = repository(work, args.ballast_mib)
        pins = pinned(distro)
        print('distribution + %d MiB ballast in %.1f s' % (args.ballast_mib, time.monotonic() - t0), flush=True)
        images = {}
        for name in [n for n in args.only.split(',') if n]:
            t0 = time.monotonic()
            images[name] = MAKERS[name](work, str(distro.path))
            print('%s image made in %.1f s' % (name, time.monotonic() - t0), flush=True)
        times = dict((name, {'check': [], 'copy': []}) for name in images)
        records = {}
        for dummy in range(args.rounds):
            for name, (source, artifacts) in images.items():
                dest = tempfile.mkdtemp(prefix='dest-', dir=work)
                start = time.monotonic()
                records[name] = content_check.check(run, source, artifacts, pins, dest, work)[0]
                times[name]['check'].append(time.monotonic() - start)
                shutil.rmtree(dest)
                image = content_check.image_artifact(source, artifacts)['path']
                times[name]['copy'].append(copy_once(image, os.path.join(work, 'copy.img')))
        ratios, measurements = [], {}
        for name, (source, artifacts) in images.items():
            check_s = statistics.median(times[name]['check'])
            copy_s = statistics.median(times[name]['copy'])
            image = content_check.image_artifact(source, artifacts)
            ratio = round(check_s / copy_s, 3)
            pin = records[name]['pinned'][0]['status'] if records[name]['pinned'] else None
            print('%-5s %-12s image %7.1f MiB  check %.3f s  copy %.3f s  ratio %.3f  (%s: %s)' % (
                name, source, image['size'] / 1048576.0, check_s, copy_s, ratio, PIN, pin), flush=True)
            if pin != 'installed':
                raise RuntimeError('%s: the check did not find the pinned %s installed (%s)' % (name, PIN, pin))
            measurements.update({'%s_check_s' % name: round(check_s, 3), '%s_copy_s' % name: round(copy_s, 3),
                                 '%s_image_mib' % name: round(image['size'] / 1048576.0, 1)})
            ratios.append({'label': '%s (%s)' % (name, source), 'ratio': ratio, 'target': TARGET, 'better': 'lower',
                           'unit': 'check / copy'})
        worst = max(ratios, key=lambda r: r['ratio'])
        result = {'name': 'contents', 'ratio': worst['ratio'], 'target': TARGET, 'better': 'lower',
                  'unit': 'content check / one copy (worst image type)', 'label': worst['label'],
                  'measurements': measurements, 'ratios': ratios,
                  'command': ' '.join(['.venv/bin/python', 'bench/contents_bench.py'] + sys.argv[1:]),
                  'date': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
                  'rounds': {name: {k: [round(x, 3) for x in v] for k, v in t.items()} for name, t in times.items()},
                  'plot': {'title': 'content check vs one copy', 'unit': 's',
                           'bars': dict(('%s %s' % (n, k), measurements['%s_%s_s' % (n, k)])
                                        for n in images for k in ('check', 'copy'))}}
        os.makedirs(args.out, exist_ok=True)
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime('%Y%m%dT%H%M%SZ')
        path = os.path.join(args.out, 'contents_bench-%s.json' % stamp)
        with open(path, 'w') as handle:
            json.dump(result, handle, indent=2)
        print('worst ratio %.3f (target <= %.2f): %s' % (worst['ratio'], TARGET, path))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
