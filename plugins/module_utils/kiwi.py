# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""kiwi backend of live_image: ``kiwi-ng [global options] system build``.

Global options (``--profile``, ``--type``, ``--target-arch``, ``--logfile``,
``--temp-dir``...) must come before the ``system build`` command.  The side
repository goes in with ``--add-repo`` whose comma-separated value is
``source,type,alias,priority,imageinclude,package_gpgcheck,{signing_keys},
components,distribution,repo_gpgcheck,repo_sourcetype`` (signing keys are
``;``-separated inside braces).  kiwi needs root, can cross-build with
``--target-arch`` (the node needs qemu-user-static/binfmt for that), and
records its results in ``<target-dir>/kiwi.result.json`` (key -> filename),
which is what the module reads to find the artifacts.
"""

from __future__ import annotations

import json
import os
import shutil

from ansible_collections.ondemand.fedora_build.plugins.module_utils.backend import Backend
from ansible_collections.ondemand.fedora_build.plugins.module_utils.builders import (
    Tool, check_dir, check_token)
from ansible_collections.ondemand.fedora_build.plugins.module_utils.cmd_runner import CmdRunner, fmt
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError

REPO_TYPES = ('rpm-md', 'rpm-dir', 'yast2', 'apt-deb')
RESULT_JSON = 'kiwi.result.json'


def _bool(value):
    if value is None:
        return ''
    return 'true' if value else 'false'


def add_repo_value(repo, field):
    """Render one --add-repo value; trailing empty fields are left out."""
    source = check_token(repo.get('source'), field + '.source', forbidden=',{};')
    keys = [check_token(k, field + '.signing_keys', forbidden=',{};') for k in repo.get('signing_keys') or []]
    tokens = [
        source,
        repo.get('type') or 'rpm-md',
        check_token(repo.get('alias'), field + '.alias') or '',
        '' if repo.get('priority') is None else str(repo['priority']),
        _bool(repo.get('imageinclude')),
        _bool(repo.get('package_gpgcheck')),
        '{%s}' % ';'.join(keys) if keys else '',
        '',  # components (debian only)
        '',  # distribution (debian only)
        _bool(repo.get('repo_gpgcheck')),
    ]
    while tokens and tokens[-1] == '':
        tokens.pop()
    return ','.join(tokens)


RUNNER = CmdRunner('kiwi-ng', dict(
    logfile=fmt.as_opt_val('--logfile'),
    temp_dir=fmt.as_opt_val('--temp-dir'),
    profiles=fmt.as_repeat('--profile'),
    image_type=fmt.as_opt_val('--type'),
    target_arch=fmt.as_opt_val('--target-arch'),
    kiwi_file=fmt.as_opt_val('--kiwi-file'),
    shared_cache_dir=fmt.as_opt_val('--shared-cache-dir'),
    command=fmt.as_fixed('system', 'build'),
    description=fmt.as_opt_val('--description'),
    target_dir=fmt.as_opt_val('--target-dir'),
    ignore_repos=fmt.as_bool('--ignore-repos'),
    clear_cache=fmt.as_bool('--clear-cache'),
    add_repo_values=fmt.as_repeat('--add-repo'),
    add_packages=fmt.as_repeat('--add-package'),
    delete_packages=fmt.as_repeat('--delete-package'),
    signing_keys=fmt.as_repeat('--signing-key'),
    release_version=fmt.as_opt_val('--set-release-version'),
))

ORDER = ('logfile', 'temp_dir', 'profiles', 'image_type', 'target_arch', 'kiwi_file', 'shared_cache_dir', 'command',
         'description', 'target_dir', 'ignore_repos', 'clear_cache', 'add_repo_values', 'add_packages',
         'delete_packages', 'signing_keys', 'release_version')

# live_image options that only kiwi uses.
OPTIONS = dict(
    description=dict(type='path'),
    kiwi_file=dict(type='str'),
    profiles=dict(type='list', elements='str', default=[]),
    image_type=dict(type='str'),
    add_repos=dict(type='list', elements='dict', default=[], options=dict(
        source=dict(type='str', required=True),
        type=dict(type='str', default='rpm-md', choices=list(REPO_TYPES)),
        alias=dict(type='str', required=True),
        priority=dict(type='int'),
        imageinclude=dict(type='bool'),
        package_gpgcheck=dict(type='bool'),
        signing_keys=dict(type='list', elements='str', default=[], no_log=False),
        repo_gpgcheck=dict(type='bool'),
    )),
    ignore_repos=dict(type='bool', default=False),
    clear_cache=dict(type='bool', default=False),
    add_packages=dict(type='list', elements='str', default=[]),
    delete_packages=dict(type='list', elements='str', default=[]),
    signing_keys=dict(type='list', elements='str', default=[], no_log=False),
    release_version=dict(type='str'),
    shared_cache_dir=dict(type='path'),
)


# --- the checks of the options a request may set (Backend.option_checks): the request validator runs them on
# request.builder, Tool.validate on the module's options; each is check(value, options, field). The description
# is checked by name in the request (request_checks._kiwi_description) and as a node directory by the module. ---

def check_kiwi_file(value, options, field):
    """A file name in the description directory (whether it is there is the module's to see on the node)."""
    if value and '/' in value:
        raise FedoraBuildError('%s: %r must be the name of a file in the description directory, not a path.'
                               % (field, value))
    return value


def check_profiles(value, options, field):
    for index, profile in enumerate(value):
        check_token(profile, '%s[%d]' % (field, index))
    return value


def check_image_type(value, options, field):
    return check_token(value, field) if value else value


OPTION_CHECKS = (
    ('kiwi_file', check_kiwi_file),
    ('profiles', check_profiles),
    ('image_type', check_image_type),
)


class Kiwi(Tool):
    executable = 'kiwi-ng'
    package = 'kiwi-cli'
    version_args = ('--version',)

    def validate(self, params, arch):
        if not params.get('description'):
            raise FedoraBuildError('description: backend kiwi needs a description directory.')
        check_dir(params['description'], 'description')
        BACKEND.check_options(dict(params, arch=arch))
        if params['kiwi_file'] and not os.path.isfile(os.path.join(params['description'], params['kiwi_file'])):
            raise FedoraBuildError('kiwi_file: %r must be the name of a file in the description directory %s.'
                                   % (params['kiwi_file'], params['description']))
        for index, repo in enumerate(params['add_repos']):
            add_repo_value(repo, 'add_repos[%d]' % index)

    def cross_arch(self, params):
        return BACKEND.cross_builds

    def argv(self, params, ws, executable, arch, host_arch):
        values = dict(params)
        values.update(logfile=os.path.join(ws.logs, 'kiwi.log'), temp_dir=ws.tmp,
                      target_arch=arch if arch != host_arch else None,
                      description=os.path.abspath(params['description']), target_dir=ws.out,
                      add_repo_values=[add_repo_value(r, 'add_repos[%d]' % i) for i, r in enumerate(params['add_repos'])])
        return RUNNER.argv(ORDER, executable=executable, **values)

    def input_files(self, params):
        return [params['description']]

    def finish(self, params, out):
        # The unpacked image root (GBs) is not a result; kiwi's result bundle works from kiwi.result.
        shutil.rmtree(os.path.join(out, 'build', 'image-root'), ignore_errors=True)

    def discover(self, params, out):
        path = os.path.join(out, RESULT_JSON)
        try:
            with open(path, 'r') as handle:
                results = json.load(handle)
        except (IOError, OSError, ValueError) as exc:
            raise FedoraBuildError('kiwi-ng exited successfully but its result record %s is missing or unreadable (%s).'
                                   % (path, exc))
        found = []
        prefix = os.path.realpath(out) + os.sep
        for key in sorted(results):
            entry = results[key]
            if not isinstance(entry, dict) or not entry.get('filename'):
                continue
            filename = os.path.realpath(entry['filename'])
            if not filename.startswith(prefix) or not os.path.isfile(filename):
                continue
            found.append((key, os.path.relpath(filename, os.path.realpath(out))))
        images = [f for f in found if f[0].endswith('_image') or f[0] in ('disk_image', 'live_image', 'container')]
        if not images:
            raise FedoraBuildError('kiwi-ng exited successfully but %s lists no image file that exists in %s.'
                                   % (RESULT_JSON, out))
        return found


def pipeline_args(request, inputs):
    """kiwi takes repositories with --add-repo: the side repo first and preferred, then the distribution's."""
    repos = []
    if inputs['side'].get('repo_path'):
        repos.append(dict(source='file://' + inputs['side']['repo_path'], alias='koji-side', priority=1))
    repos.extend(dict(source=r['baseurl'], alias=r['name'], priority=99) for r in inputs['base_repos'])
    return {}, dict(add_repos=repos)


BACKEND = Backend(
    name='kiwi', image_type='live', module='live_image', tool=Kiwi,
    tools=('kiwi-ng', 'createrepo_c', 'rpm'),
    packages=('kiwi-cli', 'kiwi-systemdeps'), argument_spec=OPTIONS, cross_builds=True, same_release=False,
    estimate=2400, pipeline_args=pipeline_args, pipeline_sets=('add_repos', 'release_version'),
    layout={'image': 'entries of kiwi.result.json (<name>.<arch>-<version>.<type>)'},
    contents='kiwi', option_checks=OPTION_CHECKS,
)
