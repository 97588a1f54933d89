# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build-node readiness checks ("doctor"): pure logic behind the preflight module.

Each probe reads the node and returns data; `evaluate()` turns the report into
one sentence per problem. Probes take their I/O as arguments (a command
runner, file paths) so unit tests can feed them real files in a temp dir.
"""

from __future__ import annotations

import os
import platform
import re
import socket

from ansible_collections.ondemand.fedora_build.plugins.module_utils import backend_registry
from ansible_collections.ondemand.fedora_build.plugins.module_utils.builders import node_arch

# How each tool reports its version. The argv is fixed (never user input); the
# builders' own come from their backend declarations (backend_registry).
TOOL_VERSION_ARGS = {
    'pungi-koji': ['--version'],
    'createrepo_c': ['--version'],
    'xorriso': ['-version'],
    'rpm': ['--version'],
    'dnf': ['--version'],
    'koji': ['--version'],
    'mkksiso': ['--help'],
    'rsync': ['--version'],
}
TOOL_VERSION_ARGS.update(backend_registry.version_args())

# Tools each image type needs on the node (its default backend's for the newest Fedora; tools_for picks the default
# of the target release), in the order they are reported.
# 'live-kiwi' is the older spelling of backend kiwi, kept for existing playbooks.
TOOLS_BY_IMAGE_TYPE = dict((t, list(backend_registry.default_for(t).tools)) for t in backend_registry.image_types())
TOOLS_BY_IMAGE_TYPE['live-kiwi'] = list(backend_registry.get('kiwi').tools)
IMAGE_TYPES = tuple(TOOLS_BY_IMAGE_TYPE)

CHECKS = ('root', 'tools', 'free_space', 'selinux', 'loop_devices', 'release', 'arch')

PROVISION_HINT = 'provision the node with `ansible-playbook playbooks/provision.yml` (role ondemand.fedora_build.build_node)'


VERSION_RE = re.compile(r'(\d+(?:\.\d+)+(?:[-.~+][0-9A-Za-z.]+)?)')

GIB = 1024 ** 3


def parse_os_release(text):
    """Parse /etc/os-release content into a dict (quotes removed)."""
    data = {}
    for line in (text or '').splitlines():
        line = line.strip()
        if not line or line.startswith('#') or '=' not in line:
            continue
        key, value = line.split('=', 1)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in '"\'':
            value = value[1:-1]
        data[key.strip()] = value
    return data


def parse_version(output):
    """Return the first dotted version number in a tool's output, or None."""
    match = VERSION_RE.search(output or '')
    return match.group(1) if match else None


def probe_tools(tools, which, run):
    """Report presence, path and version of each tool.

    which(name) -> path or None; run(argv) -> (rc, stdout, stderr).
    """
    report = {}
    for name in tools:
        path = which(name)
        entry = {'present': bool(path), 'path': path, 'version': None}
        if path:
            args = TOOL_VERSION_ARGS.get(name, ['--version'])
            rc, out, err = run([path] + args)
            entry['version'] = parse_version(out) or parse_version(err)
            if rc != 0 and entry['version'] is None:
                lines = (err or out or '').strip().splitlines()
                entry['error'] = lines[-1] if lines else 'exit code %d' % rc
        report[name] = entry
    return report


def nearest_existing(path):
    """Return path or its nearest existing ancestor (a work dir may not exist yet)."""
    path = os.path.abspath(path)
    while not os.path.exists(path):
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    return path


def probe_space(path, required_gb, statvfs=os.statvfs):
    """Free space of the filesystem that holds (or will hold) path."""
    measured = nearest_existing(path)
    st = statvfs(measured)
    free = st.f_bavail * st.f_frsize
    required = int(required_gb * GIB)
    return {'path': path, 'measured_at': measured, 'free_bytes': free,
            'required_bytes': required, 'ok': free >= required}


def probe_selinux(enforce_path='/sys/fs/selinux/enforce', which=None, run=None):
    """Return the SELinux mode: enforcing, permissive or disabled."""
    try:
        with open(enforce_path) as handle:
            return 'enforcing' if handle.read().strip() == '1' else 'permissive'
    except (IOError, OSError):
        pass
    getenforce = which('getenforce') if which else None
    if getenforce and run:
        rc, out, dummy = run([getenforce])
        if rc == 0 and out.strip():
            return out.strip().lower()
    return 'disabled'


def probe_loop(control='/dev/loop-control', is_root=False, which=None, run=None):
    """Whether loop devices can be set up (lorax and livemedia-creator mount images)."""
    info = {'control': control, 'control_present': os.path.exists(control), 'free_device': None}
    losetup = which('losetup') if which else None
    if info['control_present'] and is_root and losetup and run:
        rc, out, dummy = run([losetup, '--find'])
        if rc == 0 and out.strip():
            info['free_device'] = out.strip()
    info['available'] = info['control_present'] and (not is_root or bool(info['free_device']))
    return info


def probe_node(os_release_text):
    """Node identity: hostname, arch, OS."""
    osr = parse_os_release(os_release_text)
    return {
        'hostname': socket.gethostname(),
        'arch': node_arch(),  # Fedora naming, the one map in builders.py
        'os_id': osr.get('ID', 'unknown'),
        'os_version_id': osr.get('VERSION_ID', ''),
        'os_name': osr.get('PRETTY_NAME', osr.get('NAME', 'unknown')),
        'os_variant': osr.get('REDHAT_SUPPORT_PRODUCT_VERSION', ''),
        'python': platform.python_version(),
    }


def release_matches(node, target_release):
    """True when the node runs the Fedora release the image is for (lorax needs the same release)."""
    if node['os_id'] != 'fedora':
        return False
    if target_release == 'rawhide':
        return node['os_variant'].lower() == 'rawhide'
    return node['os_version_id'] == target_release


def evaluate(report, hostname):
    """Return the problems found, as (check, sentence) pairs, in a stable order.

    Every check is evaluated so the report is complete; `require` decides
    which problems fail the module (see failing_problems()). Tool problems
    are keyed 'tool:<name>', one sentence per missing tool.
    """
    problems = []
    if not report['user']['is_root']:
        problems.append(('root', 'Builds need root on %s, but the module runs as uid %d; run it with become: true.'
                         % (hostname, report['user']['uid'])))
    for name, entry in report['tools'].items():
        if not entry['present']:
            problems.append(('tool:' + name, '%s is not installed on %s; %s.' % (name, hostname, PROVISION_HINT)))
    for label, space in sorted(report['space'].items()):
        if not space['ok']:
            problems.append(('free_space', '%s %s has %.1f GiB free, but %.1f GiB are required.' % (
                label.replace('_', ' '), space['path'], space['free_bytes'] / float(GIB), space['required_bytes'] / float(GIB))))
    if report['selinux']['mode'] == 'enforcing':
        problems.append(('selinux', 'SELinux is enforcing on %s, and the requested builder needs it permissive or disabled; '
                                    'change it yourself (this collection never changes it).' % hostname))
    if not report['loop']['available']:
        problems.append(('loop_devices', 'No loop device is available on %s (%s %s); image builders need one.' % (
            hostname, report['loop']['control'], 'has no free device' if report['loop']['control_present'] else 'is missing')))
    release = report['release']
    if release['target'] and not release['match']:
        problems.append(('release', '%s runs %s, but the target release is Fedora %s; lorax and pungi must run on the '
                                    'release they build.' % (hostname, report['node']['os_name'], release['target'])))
    arch = report['arch']
    if not arch['match']:
        problems.append(('arch', '%s is %s, but the target arch is %s; build on a node of the %s group.' % (
            hostname, arch['node'], arch['target'], 'builders_' + arch['target'])))
    return problems


def failing_problems(problems, require):
    """The sentences of problems that `require` names.

    A require item is a check name (see CHECKS), 'tools' for every probed
    tool, or the name of one tool.
    """
    failing = []
    for check, sentence in problems:
        if check.startswith('tool:'):
            if 'tools' in require or check[len('tool:'):] in require:
                failing.append(sentence)
        elif check in require:
            failing.append(sentence)
    return failing


def tools_for(image_type, tools, backend=None, release=None):
    """The tools to probe: explicit `tools` (even empty), else those the backend or the image type needs (its default
    backend's for ``release``, the target release, when given)."""
    if tools is not None:
        return list(tools)
    if backend:
        return list(backend_registry.get(backend, 'backend').tools)
    if image_type and release and image_type in backend_registry.image_types():
        return list(backend_registry.default_for(image_type, release).tools)
    if image_type:
        return list(TOOLS_BY_IMAGE_TYPE[image_type])
    names = []
    for group in TOOLS_BY_IMAGE_TYPE.values():
        names.extend(name for name in group if name not in names)
    return names


def build_report(params, which, run, uid, os_release_text):
    """Probe the node and return (report, problems).

    params: the module parameters (image_type, tools, target_release,
    target_arch, work_dir, cache_dir, min_free_gb, min_cache_free_gb, backend).
    A backend that is not tied to the node's release (kiwi) skips the release check.
    """
    node = probe_node(os_release_text)
    is_root = uid == 0
    target_arch = params.get('target_arch') or node['arch']
    target_release = params.get('target_release')
    if params.get('backend') and not backend_registry.get(params['backend'], 'backend').same_release:
        target_release = None
    report = {
        'node': node,
        'user': {'uid': uid, 'is_root': is_root},
        'tools': probe_tools(tools_for(params.get('image_type'), params.get('tools'), params.get('backend'),
                                       params.get('target_release')), which, run),
        'space': {
            'work_dir': probe_space(params['work_dir'], params['min_free_gb']),
            'cache_dir': probe_space(params['cache_dir'], params['min_cache_free_gb']),
        },
        'selinux': {'mode': probe_selinux(which=which, run=run)},
        'loop': probe_loop(is_root=is_root, which=which, run=run),
        'release': {'target': target_release, 'node': node['os_version_id'], 'node_os': node['os_id'],
                    'match': release_matches(node, target_release) if target_release else None},
        'arch': {'target': target_arch, 'node': node['arch'], 'match': target_arch == node['arch']},
    }
    problems = evaluate(report, node['hostname'])
    report['problems'] = [sentence for dummy, sentence in problems]
    return report, problems
