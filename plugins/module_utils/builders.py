# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The build flow shared by boot_iso, dvd_iso and live_image.

A tool module (``lorax.py``, ``pungi.py``, ``lmc.py``, ``kiwi.py``) says how
to validate parameters, build the exact argv, prepare generated inputs and
find the artifacts in the tool's real output layout.  ``run_build`` does the
rest, identically for every tool:

1. arch check (target vs node; refused unless the backend cross-builds);
2. a private work dir ``<work_root>/<build_id>`` (mode 0700; ``os.mkdir`` so
   two builds can never share one) holding ``out/``, ``tmp/``, ``logs/``
   and ``inputs/``;
3. idempotence: ``dest/build-logs/`` keeps a manifest (``.fedora_build.json``)
   with a fingerprint of the parameters and input files; the same request
   again is ``changed: false``. It lives with the logs, not beside the
   tool's own files, so a pipeline that stages ``dest`` as the tool's
   output and moves ``build-logs/`` to its logs stages it with the logs;
4. check mode stops after computing the exact command;
5. root check, run with timeout and full output in ``logs/build.log``;
6. on success ``out/`` is renamed to ``dest`` and the logs to
   ``dest/build-logs/``; artifacts get size and sha256; the work dir goes;
7. on failure: one sentence, the log tail and the log path; the work dir
   (with every log) is kept.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import time
import uuid

from ansible_collections.ondemand.fedora_build.plugins.module_utils.cmd_runner import (
    find_binary, last_message, log_tail, probe_version, quote_argv, run_logged, tool_environment)
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils.fileutil import atomic_write, check_tree_path, sha256_bytes, sha256_file
from ansible_collections.ondemand.fedora_build.plugins.module_utils.validate import (
    check_arch, check_builder_option, check_name, check_params_text, check_url)

MANIFEST = '.fedora_build.json'
LOGS_IN_DEST = 'build-logs'
DEFAULT_WORK_ROOT = '/var/lib/fedora-build/work'
DEFAULT_TIMEOUT = 4 * 3600
# Parameters that do not change what is built, so they stay out of the fingerprint.
NOT_FINGERPRINTED = ('work_root', 'build_id', 'timeout', 'force', 'keep_work_dir')
MACHINE_TO_ARCH = {'armv7l': 'armhfp', 'armv7hl': 'armhfp', 'i386': 'i686', 'i486': 'i686', 'i586': 'i686',
                   'amd64': 'x86_64', 'arm64': 'aarch64'}

# Options every builder module shares (merged into each argument_spec).
# The kickstart-driven backends' (pungi, livemedia-creator) extra repositories, written as kickstart repo
# lines of a wrapper kickstart (kickstart_wrapper_text); documented once in doc_fragments/builder.py SIDE_REPOS.
SIDE_REPO_OPTIONS = dict(
    name=dict(type='str', required=True),
    baseurl=dict(type='str', required=True),
    cost=dict(type='int'),
    install=dict(type='bool', default=False),
    excludepkgs=dict(type='list', elements='str', default=[]),
)
SIDE_REPOS_SPEC = dict(type='list', elements='dict', default=[], options=SIDE_REPO_OPTIONS)

COMMON_ARGS = dict(
    dest=dict(type='path', required=True),
    arch=dict(type='str'),
    work_root=dict(type='path', default=DEFAULT_WORK_ROOT),
    build_id=dict(type='str'),
    timeout=dict(type='int', default=DEFAULT_TIMEOUT),
    force=dict(type='bool', default=False),
    keep_work_dir=dict(type='bool', default=False),
)


def node_arch():
    """The node's architecture in Fedora naming."""
    machine = platform.machine()
    return MACHINE_TO_ARCH.get(machine, machine)


class Workspace(object):
    """The private per-build directory and the fixed names inside it."""

    def __init__(self, work_root, build_id):
        self.root = os.path.abspath(work_root)
        self.build_id = build_id
        self.path = os.path.join(self.root, build_id)
        self.out = os.path.join(self.path, 'out')
        self.tmp = os.path.join(self.path, 'tmp')
        self.logs = os.path.join(self.path, 'logs')
        self.inputs = os.path.join(self.path, 'inputs')
        self.build_log = os.path.join(self.logs, 'build.log')

    def create(self):
        try:
            os.makedirs(self.root, 0o755)
        except OSError:
            if not os.path.isdir(self.root):
                raise FedoraBuildError('work_root: %s is not a directory and cannot be created.' % self.root)
        try:
            os.mkdir(self.path, 0o700)
        except OSError as exc:
            if os.path.exists(self.path):
                raise FedoraBuildError('build_id: the work dir %s already exists; another build uses this build_id '
                                       '(leave build_id unset for a fresh one).' % self.path)
            raise FedoraBuildError('work_root: cannot create the work dir %s (%s).' % (self.path, exc.strerror))
        for sub in (self.tmp, self.logs, self.inputs):
            os.mkdir(sub, 0o700)

    def path_in(self, *parts):
        return os.path.join(self.path, *parts)


class Tool(object):
    """Base class of a builder backend; subclasses fill in the tool specifics."""

    executable = None        # name looked up on PATH
    package = None           # what to install when it is missing
    version_args = ('--version',)
    module_name = None       # for messages
    cwd = None

    def validate(self, params, arch):
        """Check parameters (raise FedoraBuildError naming the field)."""

    def needs_root(self, params):
        return True

    def cross_arch(self, params):
        """True when this backend can build for another architecture than the node's."""
        return False

    def argv(self, params, ws, executable, arch, host_arch):
        raise NotImplementedError

    def input_files(self, params):
        """Files whose content is part of the request (kickstarts, repo files, descriptions)."""
        return []

    def prepare(self, params, ws):
        """Write generated inputs (wrapper kickstarts, .repo files) into ws.inputs."""

    def environment(self, params):
        return {}

    def working_dir(self, params, ws):
        return ws.path

    def discover(self, params, out):
        """Return [(kind, path relative to out)] of the artifacts; raise if a required one is missing."""
        raise NotImplementedError

    def finish(self, params, out):
        """Tidy the tool's output dir after success, before it becomes dest."""


class KickstartTool(Tool):
    """A builder driven by a kickstart (pungi, livemedia-creator).

    With side repos, the tool gets a wrapper kickstart written to ws.inputs
    that adds their `repo` lines and %includes the user's kickstart by
    absolute path; it runs in the kickstart's directory so the kickstart's
    own relative %includes still resolve.
    """

    wrapper_name = None      # file name of the wrapper kickstart in ws.inputs

    def kickstart_path(self, params, ws):
        if params['side_repos']:
            return os.path.join(ws.inputs, self.wrapper_name)
        return os.path.abspath(params['kickstart'])

    def prepare(self, params, ws):
        if params['side_repos']:
            atomic_write(os.path.join(ws.inputs, self.wrapper_name),
                         kickstart_wrapper_text(params['kickstart'], params['side_repos']))

    def working_dir(self, params, ws):
        return os.path.dirname(os.path.abspath(params['kickstart']))


def required_artifact(out, rel, tool, what):
    """Return rel if out/rel is a file, else raise the 'tool succeeded but no artifact' sentence."""
    if not os.path.isfile(os.path.join(out, rel)):
        raise FedoraBuildError('%s exited successfully but did not produce %s (%s) in its output directory %s.'
                               % (tool, rel, what, out))
    return rel


def _walk_files(path):
    found = []
    for top, dirs, files in os.walk(path):
        dirs.sort()
        for name in sorted(files):
            found.append(os.path.join(top, name))
    return found


def fingerprint(module_name, params, files):
    """A stable hash of what is built: the parameters and the content of the input files."""
    data = dict((k, v) for k, v in params.items() if k not in NOT_FINGERPRINTED)
    hashes = {}
    for path in files:
        if os.path.isdir(path):
            for name in _walk_files(path):
                hashes[name] = sha256_file(name)
        elif os.path.isfile(path):
            hashes[path] = sha256_file(path)
        else:
            hashes[path] = None
    blob = json.dumps({'module': module_name, 'params': data, 'inputs': hashes}, sort_keys=True, default=str)
    return sha256_bytes(blob)


def manifest_path(dest):
    """Where the module's own manifest lives: with the logs, not among the tool's files."""
    return os.path.join(dest, LOGS_IN_DEST, MANIFEST)


def read_manifest(dest):
    # dest/.fedora_build.json: where results made before this change keep it
    for path in (manifest_path(dest), os.path.join(dest, MANIFEST)):
        try:
            with open(path, 'r') as handle:
                return json.load(handle)
        except (IOError, OSError, ValueError):
            continue
    return None


def manifest_matches(manifest, dest, print_):
    """True when a previous build of the same request is complete in dest."""
    if not manifest or manifest.get('fingerprint') != print_:
        return False
    for art in manifest.get('artifacts', []):
        path = os.path.join(dest, art['relpath'])
        if not os.path.isfile(path) or os.path.getsize(path) != art['size']:
            return False
    return True


def _dir_is_empty(path):
    try:
        return not os.listdir(path)
    except OSError:
        return False


def _move(src, dst):
    try:
        os.rename(src, dst)
    except OSError:
        shutil.move(src, dst)


def install_result(ws, dest, build_id):
    """Put ws.out at dest (replacing an old result) and the logs at dest/build-logs."""
    parent = os.path.dirname(dest)
    if parent and not os.path.isdir(parent):
        os.makedirs(parent, 0o755)
    old = None
    if os.path.lexists(dest):
        old = '%s.old-%s' % (dest, build_id)
        os.rename(dest, old)
    try:
        _move(ws.out, dest)
    except BaseException:
        if old:
            os.rename(old, dest)
        raise
    if old:
        if os.path.isdir(old) and not os.path.islink(old):
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.unlink(old)
    logs_dest = os.path.join(dest, LOGS_IN_DEST)
    if os.path.isdir(logs_dest):
        shutil.rmtree(logs_dest, ignore_errors=True)
    _move(ws.logs, logs_dest)
    return os.path.join(logs_dest, 'build.log')


def describe_artifacts(dest, found):
    arts = []
    for kind, rel in found:
        path = os.path.join(dest, rel)
        # mtime taken before hashing: build_manifest trusts this sha256 only while size and mtime still match.
        st = os.stat(path)
        arts.append(dict(kind=kind, name=os.path.basename(rel), relpath=rel, path=path,
                         size=st.st_size, mtime=st.st_mtime, sha256=sha256_file(path)))
    return arts


def new_build_id(module_name):
    return '%s-%s-%s' % (module_name, time.strftime('%Y%m%d%H%M%S'), uuid.uuid4().hex[:8])


def check_inputs(params, spec):
    """Content checks every builder module shares, before anything runs: clean text everywhere, no bool for a
    number, the option-specific checks of validate.check_builder_option, and the side repos' names and URLs."""
    check_params_text(params, spec)
    for key, value in params.items():
        if value is not None:
            check_builder_option(key, value, key)
    for index, repo in enumerate(params.get('side_repos') or []):
        check_name(repo.get('name'), 'side_repos[%d].name' % index)
        check_url(repo.get('baseurl'), ('http', 'https', 'ftp', 'file'), 'side_repos[%d].baseurl' % index)
    for index, repo in enumerate(params.get('add_repos') or []):  # kiwi --add-repo
        check_name(repo.get('alias'), 'add_repos[%d].alias' % index)
        check_url(repo.get('source'), ('http', 'https', 'ftp', 'file', 'dir', 'iso', 'obs'), 'add_repos[%d].source' % index)
    for index, key in enumerate(params.get('signing_keys') or []):  # kiwi --signing-key: a key file on the node
        path = key[len('file://'):] if key.startswith('file://') else key
        if not path.startswith('/') or '..' in path.split('/'):
            raise FedoraBuildError('signing_keys[%d]: %r is not an absolute path (or file:// URL) on the node, without "..".'
                                   % (index, key[:60]))
    if params.get('source_date_epoch') is not None and params['source_date_epoch'] < 0:
        raise FedoraBuildError('source_date_epoch: %r is negative (seconds since 1970).' % params['source_date_epoch'])


def run_build(module, tool, module_name):
    """Run one image build for a module; return the result dict or raise FedoraBuildError."""
    params = module.params
    host = node_arch()
    arch = check_arch(params.get('arch') or host, 'arch')
    if arch != host and not tool.cross_arch(params):
        raise FedoraBuildError('arch: %s cannot build %s images on this %s node (it does not cross-build); '
                               'run the task on a %s build node.' % (tool.executable, arch, host, arch))
    tool.validate(params, arch)
    check_inputs(params, module.argument_spec)
    # dest is replaced and work_root holds trees that get removed: never system directories.
    check_tree_path(params['dest'], 'dest')
    check_tree_path(params['work_root'], 'work_root')
    if params.get('timeout') is not None and params['timeout'] <= 0:
        raise FedoraBuildError('timeout: %r must be a positive number of seconds.' % params['timeout'])
    build_id = check_name(params.get('build_id') or new_build_id(module_name), 'build_id')
    ws = Workspace(params['work_root'], build_id)
    dest = os.path.abspath(params['dest'])
    if dest == ws.root or dest.startswith(ws.root.rstrip('/') + '/'):
        raise FedoraBuildError('dest: %s is inside work_root %s; choose a result directory outside it.' % (dest, ws.root))

    executable = find_binary(module, tool.executable, tool.package)
    argv = tool.argv(params, ws, executable, arch, host)
    print_ = fingerprint(module_name, dict(params, arch=arch), tool.input_files(params))
    result = dict(changed=False, cmd=argv, command=quote_argv(argv), tool=tool.executable, build_id=build_id,
                  work_dir=ws.path, dest=dest, arch=arch, node_arch=host, fingerprint=print_)

    manifest = read_manifest(dest)
    if not params.get('force') and manifest_matches(manifest, dest, print_):
        result.update(cmd=manifest.get('cmd', argv), command=quote_argv(manifest.get('cmd', argv)),
                      build_id=manifest.get('build_id'), work_dir=None,
                      artifacts=manifest.get('artifacts', []), tool_version=manifest.get('tool_version'),
                      duration=manifest.get('duration'), log_path=os.path.join(dest, LOGS_IN_DEST, 'build.log'),
                      msg='dest already holds this build (same parameters and inputs); nothing to do.')
        for art in result['artifacts']:
            art['path'] = os.path.join(dest, art['relpath'])
        return result
    if os.path.lexists(dest) and not params.get('force') and not _dir_is_empty(dest):
        raise FedoraBuildError('dest: %s already exists and does not hold this build (other parameters or inputs, '
                               'or not made by this module); set force: true to replace it.' % dest)

    result['tool_version'] = probe_version(module, [executable] + list(tool.version_args))
    if module.check_mode:
        if tool.needs_root(params) and os.geteuid() != 0:
            module.warn('%s must run as root; the real run needs become: true.' % tool.executable)
        result.update(changed=True, artifacts=[], log_path=ws.build_log,
                      msg='check mode: would run %s in %s.' % (tool.executable, ws.path))
        return result

    if tool.needs_root(params) and os.geteuid() != 0:
        raise FedoraBuildError('%s: %s must run as root (it refuses to build otherwise); run the task with become: true.'
                               % (module_name, tool.executable), **result)

    ws.create()
    tool.prepare(params, ws)
    run = run_logged(argv, ws.build_log, timeout=params.get('timeout'),
                     env=tool_environment(tool.environment(params)), cwd=tool.working_dir(params, ws))
    result.update(rc=run.rc, duration=run.duration, log_path=ws.build_log)
    if not run.ok:
        tail = log_tail(ws.build_log)
        last = last_message(tail)
        if run.timed_out:
            msg = ('%s did not finish within the timeout of %s seconds and was stopped; the work dir and the full log '
                   'are kept at %s.' % (tool.executable, params.get('timeout'), ws.build_log))
        else:
            msg = ('%s failed with exit code %s after %.1f seconds%s; the full log is kept at %s.'
                   % (tool.executable, run.rc, run.duration,
                      (' (last output: %s)' % last[:300]) if last else '', ws.build_log))
        raise FedoraBuildError(msg, log_tail=tail, timed_out=run.timed_out, **result)

    try:
        found = tool.discover(params, ws.out)
    except FedoraBuildError as exc:
        exc.result.update(result, log_tail=log_tail(ws.build_log))
        raise
    tool.finish(params, ws.out)
    log_path = install_result(ws, dest, build_id)
    artifacts = describe_artifacts(dest, found)
    manifest = dict(fingerprint=print_, module=module_name, tool=tool.executable, tool_version=result['tool_version'],
                    cmd=argv, build_id=build_id, arch=arch, duration=run.duration,
                    finished=time.strftime('%Y-%m-%dT%H:%M:%S%z'),
                    artifacts=[dict((k, v) for k, v in a.items() if k != 'path') for a in artifacts])
    atomic_write(manifest_path(dest), json.dumps(manifest, indent=2, sort_keys=True) + '\n')
    if not params.get('keep_work_dir'):
        shutil.rmtree(ws.path, ignore_errors=True)
        result['work_dir'] = None
    result.update(changed=True, artifacts=artifacts, log_path=log_path,
                  msg='%s built %d artifact(s) in %.1f seconds.' % (tool.executable, len(artifacts), run.duration))
    return result


def repo_file_text(repos, field='repos'):
    """Render dnf .repo sections from dicts (name, baseurl, priority, cost, gpgcheck, excludepkgs...)."""
    lines = []
    for index, repo in enumerate(repos):
        name = check_name(repo.get('name'), '%s[%d].name' % (field, index))
        baseurl = repo.get('baseurl')
        if not baseurl or any(c.isspace() for c in baseurl):
            raise FedoraBuildError('%s[%d].baseurl: %r is not a URL.' % (field, index, baseurl))
        lines.append('[%s]' % name)
        lines.append('name=%s' % name)
        lines.append('baseurl=%s' % baseurl)
        lines.append('enabled=1')
        if repo.get('priority') is not None:
            lines.append('priority=%d' % repo['priority'])
        if repo.get('cost') is not None:
            lines.append('cost=%d' % repo['cost'])
        lines.append('gpgcheck=%d' % (1 if repo.get('gpgcheck') else 0))
        if repo.get('gpgkey'):
            lines.append('gpgkey=%s' % repo['gpgkey'])
        if repo.get('excludepkgs'):
            lines.append('excludepkgs=%s' % ','.join(repo['excludepkgs']))
        if repo.get('module_hotfixes'):
            lines.append('module_hotfixes=1')
        lines.append('')
    return '\n'.join(lines)


def kickstart_wrapper_text(kickstart, side_repos, field='side_repos'):
    """A kickstart that adds `repo` lines and then %includes the user's kickstart by absolute path."""
    lines = ['# generated by ondemand.fedora_build: side repositories, then the original kickstart']
    for index, repo in enumerate(side_repos):
        name = check_name(repo.get('name'), '%s[%d].name' % (field, index))
        baseurl = repo.get('baseurl')
        if not baseurl or any(c.isspace() or c in '"\'' for c in baseurl):
            raise FedoraBuildError('%s[%d].baseurl: %r is not a URL.' % (field, index, baseurl))
        line = 'repo --name=%s --baseurl=%s' % (name, baseurl)
        if repo.get('cost') is not None:
            line += ' --cost=%d' % repo['cost']
        if repo.get('install'):
            line += ' --install'
        if repo.get('excludepkgs'):
            line += ' --excludepkgs=%s' % ','.join(repo['excludepkgs'])
        lines.append(line)
    lines.append('%%include %s' % os.path.abspath(kickstart))
    return '\n'.join(lines) + '\n'


# Option checks several backends share (Backend.option_checks: check(value, options, field)).
def check_volid(value, options, field):
    if not value or len(value) > 32:
        raise FedoraBuildError('%s: %r must be 1 to 32 characters (ISO 9660 volume id).' % (field, value))
    return value


def check_rootfs_size(value, options, field):
    if value < 1:
        raise FedoraBuildError('%s: %r must be at least 1 (GiB).' % (field, value))
    return value


def check_file(path, field):
    if not path or not os.path.isfile(path):
        raise FedoraBuildError('%s: %s is not a file on the build node.' % (field, path))
    return os.path.abspath(path)


def check_dir(path, field):
    if not path or not os.path.isdir(path):
        raise FedoraBuildError('%s: %s is not a directory on the build node.' % (field, path))
    return os.path.abspath(path)


def check_token(value, field, forbidden=',{}'):
    """A value that goes into a comma-separated tool argument must not contain separators."""
    if value is None:
        return value
    text = str(value)
    if not text or any(c in forbidden or c.isspace() for c in text):
        raise FedoraBuildError('%s: %r must be non-empty and contain no spaces or %s.' % (field, value, ' '.join(forbidden)))
    return text


def run_module(module, tool, module_name):
    """The whole main() of a builder module."""
    try:
        result = run_build(module, tool, module_name)
    except FedoraBuildError as exc:
        exc.fail(module)
    except OSError as exc:
        # e.g. the node's work area filling up while the log is written: one sentence, not a traceback
        FedoraBuildError('%s: the build in %s failed on the node: %s.' % (
            module_name, getattr(exc, 'filename', None) or module.params.get('work_root'), exc.strerror or exc)).fail(module)
    module.exit_json(**result)
