# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The execution environment definition (collection/execution-environment.yml) is valid and complete.

ansible-builder validates the file against its v3 schema and writes the build context without a
container engine (`collection/build-ee.sh create`), offline. Every third-party Python import of the
collection's plugins must be covered by the EE's Python requirements or by a bindep package.
"""

from __future__ import annotations

import ast
import glob
import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml
from support.skips import tool_missing

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
COLLECTION = os.path.join(ROOT, 'collection')

# import name -> what provides it (pip distribution names, lower case, or bindep packages)
PROVIDERS = {
    'koji': ('koji', 'python3-koji'),
    'pykickstart': ('pykickstart', 'python3-kickstart'),
    'createrepo_c': ('createrepo-c', 'python3-createrepo_c'),
    'rpm': ('rpm', 'python3-rpm'),
    'yaml': ('pyyaml', 'ansible-core'),          # ansible-core depends on PyYAML
    'jinja2': ('jinja2', 'ansible-core'),
    'ansible_runner': ('ansible-runner',),
    'requests': ('requests', 'koji'),            # koji depends on requests
    'defusedxml': ('defusedxml', 'koji'),
    'dateutil': ('python-dateutil', 'koji'),
}


def ansible_builder():
    path = os.path.join(BIN, 'ansible-builder')
    if not os.path.exists(path):
        tool_missing("ansible-builder is not installed (pip install 'ansible-builder>=3.1,<4'; pinned in requirements-test.txt)")
    return path


def requirement_names(path):
    names = set()
    with open(path) as handle:
        for line in handle:
            line = line.split('#', 1)[0].strip()
            if line:
                names.add(re.split(r'[<>=!~\[; ]', line, maxsplit=1)[0].lower().replace('_', '-'))
    return names


def bindep_packages(path):
    from bindep.depends import Depends   # ships with ansible-builder
    with open(path) as handle:
        depends = Depends(handle.read())   # raises on a syntax error
    return {rule[0] for rule in depends._rules}


def third_party_imports():
    stdlib = set(sys.stdlib_module_names)
    found = {}
    for path in glob.glob(os.path.join(ROOT, 'plugins', '**', '*.py'), recursive=True):
        with open(path) as handle:
            tree = ast.parse(handle.read(), path)
        fallbacks = set()    # `except ImportError:` bodies hold Python 2 fallbacks (urlparse), not dependencies
        for handler in ast.walk(tree):
            if isinstance(handler, ast.ExceptHandler):
                fallbacks.update(id(n) for stmt in handler.body for n in ast.walk(stmt))
        for node in ast.walk(tree):
            if id(node) in fallbacks:
                continue
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split('.')[0]
                if top not in stdlib and top not in ('ansible', 'ansible_collections', '__future__'):
                    found.setdefault(top, set()).add(os.path.relpath(path, ROOT))
    return found


def test_ee_definition_is_ansible_builder_v3_with_our_files():
    ee = yaml.safe_load(open(os.path.join(COLLECTION, 'execution-environment.yml')))
    assert ee['version'] == 3
    deps = ee['dependencies']
    for key in ('python', 'system', 'galaxy'):
        assert os.path.exists(os.path.join(COLLECTION, deps[key])), deps[key]
    assert 'ansible-core' in deps['ansible_core']['package_pip']
    assert 'ansible-runner' in deps['ansible_runner']['package_pip']
    meta = yaml.safe_load(open(os.path.join(ROOT, 'meta', 'execution-environment.yml')))
    assert meta['dependencies'] == {'python': 'collection/requirements.txt', 'system': 'collection/bindep.txt'}


def test_every_third_party_import_is_in_the_ee():
    pip = requirement_names(os.path.join(COLLECTION, 'requirements.txt')) | {'ansible-core'}
    system = bindep_packages(os.path.join(COLLECTION, 'bindep.txt'))
    missing = []
    for top, files in sorted(third_party_imports().items()):
        providers = PROVIDERS.get(top)
        assert providers, 'plugins import %s (%s); add it to the EE and to PROVIDERS here' % (top, ', '.join(sorted(files)))
        if not any(p in pip or p in system for p in providers):
            missing.append('%s (imported by %s)' % (top, ', '.join(sorted(files))))
    assert not missing, 'not in collection/requirements.txt nor collection/bindep.txt: ' + '; '.join(missing)


def test_bindep_has_the_controller_tools():
    packages = bindep_packages(os.path.join(COLLECTION, 'bindep.txt'))
    for needed in ('rpm', 'python3-rpm', 'createrepo_c', 'openssh-clients', 'rsync', 'gnupg2', 'krb5-workstation',
                   'gcc', 'python3-devel', 'krb5-devel'):
        assert needed in packages, needed


def test_bindep_checker_catches_a_broken_file(tmp_path):
    broken = tmp_path / 'bindep.txt'
    broken.write_text('rsync [platform:rpm\n')
    with pytest.raises(Exception):
        bindep_packages(str(broken))


def test_build_context_is_created_offline(tmp_path):
    ansible_builder()
    context = tmp_path / 'context'
    env = dict(os.environ, CONTEXT=str(context), PATH=BIN + os.pathsep + os.environ.get('PATH', ''),
               TMPDIR=str(tmp_path), ANSIBLE_HOME=str(tmp_path / 'home'))
    proc = subprocess.run([os.path.join(COLLECTION, 'build-ee.sh'), 'create'], cwd=str(tmp_path), env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    assert proc.returncode == 0, proc.stdout
    containerfile = (context / 'Containerfile').read_text()
    build = context / '_build'
    assert (build / 'ondemand-fedora_build.tar.gz').stat().st_size > 10000
    assert (build / 'bindep.txt').read_text() == open(os.path.join(COLLECTION, 'bindep.txt')).read()
    assert (build / 'requirements.txt').read_text() == open(os.path.join(COLLECTION, 'requirements.txt')).read()
    assert 'FROM quay.io/fedora/fedora:41' in containerfile.replace('$EE_BASE_IMAGE', 'quay.io/fedora/fedora:41')
    assert 'introspect --user-pip=requirements.txt --user-bindep=bindep.txt' in containerfile
    assert 'ansible-galaxy collection install /tmp/ondemand-fedora_build.tar.gz' in containerfile
    assert not list(tmp_path.glob('fedora_build-ee.*')), 'build-ee.sh left its work directory behind'


def test_ansible_builder_refuses_a_broken_definition(tmp_path):
    ansible_builder()
    for name in ('requirements.txt', 'bindep.txt', 'requirements.yml'):
        shutil.copy(os.path.join(COLLECTION, name), str(tmp_path / name))
    ee = yaml.safe_load(open(os.path.join(COLLECTION, 'execution-environment.yml')))
    del ee['additional_build_files']
    ee['additional_build_steps']['append_final'] = ['RUN true']
    ee['dependencies']['pythn'] = ee['dependencies'].pop('python')     # a typo ansible-builder must reject
    (tmp_path / 'ee.yml').write_text(yaml.safe_dump(ee))
    proc = subprocess.run([ansible_builder(), 'create', '-f', 'ee.yml', '--context', 'ctx'], cwd=str(tmp_path),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    assert proc.returncode != 0 and 'pythn' in proc.stdout, proc.stdout


def test_introspect_sees_the_collection_requirements():
    ansible_builder()
    proc = subprocess.run([ansible_builder(), 'introspect', '--sanitize', os.path.join(ROOT, '.collections')],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    assert proc.returncode == 0, proc.stdout
    data = yaml.safe_load(proc.stdout.split('---', 1)[1])
    python = ' '.join(data['python'])
    system = ' '.join(data['system'])
    assert 'koji' in python and 'from collection ondemand.fedora_build' in python
    assert 'createrepo_c' in system and 'openssh-clients' in system
