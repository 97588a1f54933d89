# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the build-node readiness checks."""

from __future__ import annotations

import os
import shutil
import sys

import pytest

from ansible_collections.ondemand.fedora_build.plugins.module_utils import preflight

FEDORA_41 = 'NAME="Fedora Linux"\nVERSION_ID=41\nID=fedora\nPRETTY_NAME="Fedora Linux 41 (Forty One)"\n' \
            'REDHAT_SUPPORT_PRODUCT_VERSION=41\n'
RAWHIDE = 'ID=fedora\nVERSION_ID=43\nREDHAT_SUPPORT_PRODUCT_VERSION=rawhide\nPRETTY_NAME="Fedora Linux 43 (Rawhide)"\n'
DEBIAN = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n'


def real_run(argv):
    import subprocess
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def params(**kw):
    base = dict(image_type=None, tools=None, target_release=None, target_arch=None,
                work_dir='/var/tmp/x/work', cache_dir='/var/tmp/x/cache', min_free_gb=0.0, min_cache_free_gb=0.0)
    base.update(kw)
    return base


def test_parse_os_release_strips_quotes_and_comments():
    data = preflight.parse_os_release('# comment\nID=fedora\nPRETTY_NAME="Fedora 41"\nX=\'y\'\nbogus line\n')
    assert data == {'ID': 'fedora', 'PRETTY_NAME': 'Fedora 41', 'X': 'y'}


@pytest.mark.parametrize('text,expected', [
    ('lorax 41.3-1\n', '41.3-1'),
    ('KIWI (next generation) version 11.1.6', '11.1.6'),
    ('xorriso 1.5.4 : RockRidge filesystem manipulator', '1.5.4'),
    ('no digits here', None),
])
def test_parse_version(text, expected):
    assert preflight.parse_version(text) == expected


def test_probe_tools_runs_real_binaries():
    which = shutil.which
    report = preflight.probe_tools(['rpm', 'definitely-not-a-tool'], which, real_run)
    assert report['rpm']['present'] and report['rpm']['version']
    assert report['definitely-not-a-tool'] == {'present': False, 'path': None, 'version': None}


def test_probe_space_measures_nearest_existing_parent(tmp_path):
    target = tmp_path / 'not' / 'yet' / 'there'
    space = preflight.probe_space(str(target), 0.0)
    assert space['measured_at'] == str(tmp_path)
    assert space['ok'] and space['free_bytes'] > 0
    huge = preflight.probe_space(str(target), 10 ** 9)
    assert not huge['ok']


def test_probe_selinux_reads_enforce_file(tmp_path):
    enforce = tmp_path / 'enforce'
    enforce.write_text('1\n')
    assert preflight.probe_selinux(str(enforce)) == 'enforcing'
    enforce.write_text('0\n')
    assert preflight.probe_selinux(str(enforce)) == 'permissive'
    assert preflight.probe_selinux(str(tmp_path / 'absent')) == 'disabled'


def test_probe_loop_without_control(tmp_path):
    info = preflight.probe_loop(str(tmp_path / 'loop-control'))
    assert info['available'] is False and info['control_present'] is False


@pytest.mark.parametrize('text,target,match', [
    (FEDORA_41, '41', True), (FEDORA_41, '42', False), (FEDORA_41, 'rawhide', False),
    (RAWHIDE, 'rawhide', True), (RAWHIDE, '43', True), (DEBIAN, '41', False),
])
def test_release_matches(text, target, match):
    assert preflight.release_matches(preflight.probe_node(text), target) is match


def test_tools_for_image_types():
    assert preflight.tools_for('boot', None)[0] == 'lorax'
    assert preflight.tools_for('live-kiwi', None)[0] == 'kiwi-ng'
    assert preflight.tools_for('boot', ['pungi']) == ['pungi']
    every = preflight.tools_for(None, None)
    assert len(every) == len(set(every)) and {'lorax', 'pungi-koji', 'livemedia-creator', 'kiwi-ng'} <= set(every)
    # dvd: the legacy pungi command up to Fedora 31, pungi-koji after
    assert preflight.tools_for('dvd', None, release='31')[0] == 'pungi'
    assert preflight.tools_for('dvd', None, release='41')[0] == 'pungi-koji'
    assert preflight.tools_for('dvd', None)[0] == 'pungi-koji'


def test_build_report_problems_one_sentence_each(tmp_path):
    which = {'lorax': None, 'createrepo_c': '/x/createrepo_c', 'xorriso': None, 'rpm': '/x/rpm',
             'unsquashfs': '/x/unsquashfs', 'debugfs': None}.get
    report, problems = preflight.build_report(
        params(image_type='boot', target_release='41', target_arch='aarch64', min_free_gb=10.0 ** 9,
               work_dir=str(tmp_path / 'w'), cache_dir=str(tmp_path / 'c')),
        which, lambda argv: (0, 'tool 1.2.3', ''), 1000, DEBIAN)
    checks = [check for check, dummy in problems]
    # debugfs: the content check reads an ext4 runtime with it (Backend.tools has the contents phase's commands)
    assert checks == ['root', 'tool:lorax', 'tool:xorriso', 'tool:debugfs', 'free_space', 'release', 'arch']
    for dummy, sentence in problems:
        assert sentence.endswith('.') and sentence.count('. ') == 0, sentence
    assert 'provision' in dict(problems)['tool:lorax']
    assert report['tools']['rpm'] == {'present': True, 'path': '/x/rpm', 'version': '1.2.3'}
    assert report['release']['match'] is False and report['arch']['match'] is False
    assert report['problems'] == [s for dummy, s in problems]


def test_failing_problems_only_required():
    problems = [('root', 'R.'), ('tool:lorax', 'L.'), ('tool:xorriso', 'X.'), ('arch', 'A.')]
    assert preflight.failing_problems(problems, []) == []
    assert preflight.failing_problems(problems, ['tools']) == ['L.', 'X.']
    assert preflight.failing_problems(problems, ['xorriso', 'arch']) == ['X.', 'A.']
    assert preflight.failing_problems(problems, ['root', 'free_space']) == ['R.']


def test_release_check_skipped_without_target():
    report, problems = preflight.build_report(params(tools=[]), lambda n: None, real_run, 0, DEBIAN)
    assert report['release']['match'] is None
    assert 'release' not in [c for c, dummy in problems]
    assert report['arch']['match'] is True and report['node']['python'] == '%d.%d.%d' % sys.version_info[:3]
    assert os.path.isabs(report['space']['work_dir']['measured_at'])


@pytest.mark.parametrize('out,err,expected', [
    ('', 'usage: lorax ...\nlorax: error: unrecognized arguments\n', 'lorax: error: unrecognized arguments'),
    ('', '', 'exit code 2'),
])
def test_probe_tools_reports_why_a_version_query_failed(out, err, expected):
    report = preflight.probe_tools(['lorax'], lambda name: '/x/' + name, lambda argv: (2, out, err))
    assert report['lorax'] == {'present': True, 'path': '/x/lorax', 'version': None, 'error': expected}
