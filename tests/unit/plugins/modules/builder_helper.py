# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""YAML-driven test cases for the image builder modules.

Modelled on community.general's tests/unit/plugins/modules/helper.py: each
``test_<module>.yaml`` next to the test file is a list of cases::

    - id: minimal
      input: {product: Fedora, version: '41', release: '41', sources: [http://x/os]}
      check_mode: false          # default false
      node_arch: x86_64          # what platform.machine() says (default x86_64)
      hfsplus: false             # whether mkfs.hfsplus is on the node (lmc's macboot; default false)
      euid: 0                    # default 0
      bins: {lorax: /usr/sbin/lorax}   # get_bin_path answers (default /usr/bin/<tool>; null = missing)
      setup: {ks/main.ks: "..."} # files created under {tmp} first
      mocks:
        version: {command: [...], rc: 0, out: lorax-42.4}   # the version probe (module.run_command)
        build:                   # the one build process (cmd_runner.spawn); absent = must not run
          command: [/usr/sbin/lorax, --product, Fedora, ...]  # EXACT argv
          cwd: '{tmp}/ks'        # optional
          env: {LC_ALL: C}       # optional subset of the environment
          rc: 0
          out: "text written to the build log"
          timed_out: false
          files: {images/boot.iso: "..."}   # created in the tool's output dir (relative to {work}/out)
      output: {changed: true}    # subset of the result
      output_contains: {msg: "a substring"}
      artifacts: [{kind: boot_iso, relpath: images/boot.iso}]   # exact list (kind, relpath) in order
      expect_files: {'{work}/inputs/x.repo': "exact content"}
      expect_absent: ['{work}']

Defaults added to ``input`` unless given: ``dest: {tmp}/dest``,
``work_root: {tmp}/work``, ``build_id: b1``.  ``{tmp}`` is the test's
tmp_path and ``{work}`` is ``{tmp}/work/b1``, substituted everywhere.
"""

from __future__ import annotations

import json
import os

import pytest
import yaml

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.ondemand.fedora_build.plugins.module_utils import builders, cmd_runner, lmc


def load_cases(test_file):
    path = os.path.splitext(test_file)[0] + '.yaml'
    with open(path) as handle:
        cases = yaml.safe_load(handle)
    return [pytest.param(case, id=case['id']) for case in cases]


def _subst(value, mapping):
    if isinstance(value, str):
        for key, repl in mapping.items():
            value = value.replace('{%s}' % key, repl)
        return value
    if isinstance(value, list):
        return [_subst(v, mapping) for v in value]
    if isinstance(value, dict):
        return dict((_subst(k, mapping), _subst(v, mapping)) for k, v in value.items())
    return value


def _write(path, content):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as handle:
        handle.write(content)


def run_case(module, tool, case, tmp_path, capsys, monkeypatch):
    """Run one YAML case against module.main() with the process and the host mocked."""
    mapping = {'tmp': str(tmp_path), 'work': str(tmp_path / 'work' / 'b1')}
    case = _subst(case, mapping)
    args = dict(dest=mapping['tmp'] + '/dest', work_root=mapping['tmp'] + '/work', build_id='b1')
    args.update(case.get('input') or {})
    if case.get('check_mode'):
        args['_ansible_check_mode'] = True
    for rel, content in (case.get('setup') or {}).items():
        _write(os.path.join(mapping['tmp'], rel), content)

    bins = {tool: '/usr/bin/%s' % tool}
    bins.update(case.get('bins') or {})
    mocks = case.get('mocks') or {}
    calls = {'version': 0, 'build': 0}

    def get_bin_path(self, name, required=False, opt_dirs=None):
        return bins.get(name)

    def run_command(self, argv, **kwargs):
        calls['version'] += 1
        mock = mocks.get('version', {'rc': 0, 'out': '%s 1.0' % tool, 'err': ''})
        if 'command' in mock:
            assert argv == mock['command']
        assert kwargs.get('environ_update', {}).get('LC_ALL') == 'C'
        return mock.get('rc', 0), mock.get('out', ''), mock.get('err', '')

    def spawn(argv, log_path, timeout=None, env=None, cwd=None):
        calls['build'] += 1
        mock = mocks.get('build')
        assert mock is not None, 'the build process must not run in this case, but got %r' % (argv,)
        assert argv == mock['command'], 'argv differs:\n got      %r\n expected %r' % (argv, mock['command'])
        assert all(isinstance(item, str) for item in argv)
        assert env['LC_ALL'] == 'C' and env['LANG'] == 'C'
        for key, value in (mock.get('env') or {}).items():
            assert env.get(key) == str(value), key
        if 'cwd' in mock:
            assert cwd == mock['cwd']
        if 'timeout' in mock:
            assert timeout == mock['timeout']
        assert os.path.isdir(os.path.dirname(log_path))
        with open(log_path, 'a') as log:
            log.write(mock.get('out', ''))
        out_dir = os.path.join(mapping['work'], 'out')
        for rel, content in (mock.get('files') or {}).items():
            _write(os.path.join(out_dir, rel), content)
        return mock.get('rc', 0), bool(mock.get('timed_out'))

    monkeypatch.setattr(basic.AnsibleModule, 'get_bin_path', get_bin_path)
    monkeypatch.setattr(basic.AnsibleModule, 'run_command', run_command)
    monkeypatch.setattr(cmd_runner, 'spawn', spawn)
    monkeypatch.setattr(builders.platform, 'machine', lambda: case.get('node_arch', 'x86_64'))
    monkeypatch.setattr(builders.os, 'geteuid', lambda: case.get('euid', 0))
    monkeypatch.setattr(lmc, 'have_mkfs_hfsplus', lambda: case.get('hfsplus', False))

    with patch_module_args(args), pytest.raises(SystemExit):
        module.main()
    result = json.loads(capsys.readouterr().out)

    assert 'Traceback' not in json.dumps(result)
    if 'build' in mocks and not case.get('check_mode'):
        assert calls['build'] == 1, 'the build process did not run: %s' % result.get('msg')
    for key, value in (case.get('output') or {}).items():
        assert result.get(key) == value, '%s: got %r, expected %r (msg: %s)' % (
            key, result.get(key), value, result.get('msg'))
    for key, needle in (case.get('output_contains') or {}).items():
        got = result.get(key)
        if isinstance(got, list):
            text = '\n'.join(item if isinstance(item, str) else json.dumps(item) for item in got)
        else:
            text = str(got)
        assert needle in text, '%s: %r not in %r' % (key, needle, text)
    for path, content in (case.get('expect_files') or {}).items():
        with open(path) as handle:
            assert handle.read() == content, path
    for path in case.get('expect_absent') or []:
        assert not os.path.exists(path), path
    if 'artifacts' in case:
        got = [dict(kind=a['kind'], relpath=a['relpath']) for a in result.get('artifacts', [])]
        assert got == case['artifacts']
        for art in result.get('artifacts', []):
            assert os.path.isfile(art['path']) and len(art['sha256']) == 64
            assert art['size'] == os.path.getsize(art['path'])
    return result
