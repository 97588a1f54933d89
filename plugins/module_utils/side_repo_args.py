# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What koji_side_repo accepts: its argument spec, the checks made before the hub is asked anything, and the
shape of ``resolved`` (what the action plugin resolves on the controller and sends to the node, checked there by
``check_resolved``). The work itself is in side_repo.py."""

from __future__ import annotations

import posixpath
import re

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils.validate import (
    check_arch, check_name, check_params_text, check_url)

# The packages a side repo leaves out unless the request says otherwise. Defined here, not in koji_client (which
# re-exports it), so that this module imports no koji library: the action plugin loads it in every task's worker.
DEFAULT_EXCLUDE = ('*-debuginfo', '*-debugsource', '*-debuginfo-*', '*-debugsource-*')


# ------------------------------------------------------------- options
def argument_spec():
    """The koji_side_repo module's options (the module and its action plugin validate with it)."""
    return dict(
        hub_url=dict(type='str'),
        topurl=dict(type='str'),
        koji_profile=dict(type='str'),
        ca_cert=dict(type='path'),
        validate_certs=dict(type='bool', default=True),
        auth=dict(type='str', choices=['none', 'ssl', 'kerberos', 'password'], default='none'),
        client_cert=dict(type='path'),
        principal=dict(type='str'),
        keytab=dict(type='path'),
        username=dict(type='str'),
        password=dict(type='str', no_log=True),
        builds=dict(type='list', elements='raw', default=[]),
        tasks=dict(type='list', elements='int', default=[]),
        tag_latest=dict(type='list', elements='dict', default=[], options=dict(
            tag=dict(type='str', required=True),
            packages=dict(type='list', elements='str', required=True),
        )),
        arches=dict(type='list', elements='str'),
        exclude=dict(type='list', elements='str', default=list(DEFAULT_EXCLUDE)),
        sigkeys=dict(type='list', elements='str', default=[''], no_log=False),
        gpgkeys=dict(type='list', elements='path', default=[], no_log=False),
        dest=dict(type='path', required=True),
        cache_dir=dict(type='path', default='~/.cache/ondemand-fedora_build/koji'),
        repo_name=dict(type='str', default='koji-side'),
        repo_file=dict(type='path'),
        repo_baseurl=dict(type='str'),
        priority=dict(type='int', default=10),
        base_repos=dict(type='list', elements='dict', default=[], options=dict(
            name=dict(type='str', required=True),
            description=dict(type='str'),
            baseurl=dict(type='str'),
            metalink=dict(type='str'),
            mirrorlist=dict(type='str'),
            gpgkey=dict(type='str', no_log=False),
            gpgcheck=dict(type='bool', default=False),
            priority=dict(type='int', default=99),
        )),
        parallel=dict(type='int', default=8),
        retries=dict(type='int', default=4),
        backoff=dict(type='float', default=0.5),
        timeout=dict(type='int', default=60),
        createrepo=dict(type='str', choices=['auto', 'bindings', 'cli'], default='auto'),
        resolved=dict(type='dict'),
    )


def precheck(params, spec):
    """What can be checked without the hub, checked before the hub is asked anything."""
    # resolved comes from the controller (the CA bundle's text has newlines): check_resolved checks it
    check_params_text(dict(params, resolved=None), spec)
    for field in ('timeout', 'backoff'):
        if params[field] is not None and (params[field] <= 0 if field == 'timeout' else params[field] < 0):
            raise FedoraBuildError('%s: %r is not a positive number of seconds.' % (field, params[field]))
    for field in ('hub_url', 'topurl'):
        if params[field]:
            check_url(params[field], ('http', 'https'), field)
    if params['repo_baseurl']:
        check_url(params['repo_baseurl'], ('http', 'https', 'ftp', 'file'), 'repo_baseurl')
    for index, repo in enumerate(params['base_repos'] or []):
        for key in ('baseurl', 'metalink', 'mirrorlist'):
            if repo.get(key):
                check_url(repo[key], ('http', 'https', 'ftp', 'file') if key == 'baseurl' else ('http', 'https'),
                          'base_repos[%d].%s' % (index, key))
    for index, entry in enumerate(params['tag_latest'] or []):
        check_name(entry['tag'], 'tag_latest[%d].tag' % index)
        for number, package in enumerate(entry['packages'] or []):
            check_name(package, 'tag_latest[%d].packages[%d]' % (index, number))
    for index, arch in enumerate(params['arches'] or []):
        check_arch(arch, 'arches[%d]' % index)
    check_repo_options(params['dest'], params['cache_dir'], params['repo_name'], params['repo_file'], params['priority'],
                       given_base_repos(params), params['gpgkeys'], params['parallel'], params['retries'])


def given_base_repos(params):
    """The ``base_repos`` option with only the keys each entry gives (the argument spec fills the rest with None)."""
    return [dict((k, v) for k, v in repo.items() if v is not None) for repo in params['base_repos'] or []]


REPO_ID_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$')


def check_repo_options(dest, cache_dir, repo_name, repo_file, priority, base_repos, gpgkeys, parallel, retries):
    """The repository's options, as written (no file is looked at); returns the base repos, checked."""
    for field, path in (('dest', dest), ('cache_dir', cache_dir)):
        if not path or not posixpath.isabs(path):
            raise FedoraBuildError('%s: %r must be an absolute path.' % (field, path))
    if not REPO_ID_RE.match(repo_name or ''):
        raise FedoraBuildError('repo_name: %r is not a valid repo id (letters, digits, ".", "_", ":", "-").' % (repo_name,))
    if repo_file and not posixpath.isabs(repo_file):
        raise FedoraBuildError('repo_file: %r must be an absolute path.' % (repo_file,))
    if not isinstance(priority, int) or not 1 <= priority <= 98:
        raise FedoraBuildError('priority: %r must be between 1 and 98 (dnf repos default to 99; lower wins).' % (priority,))
    if not isinstance(parallel, int) or not 1 <= parallel <= 64:
        raise FedoraBuildError('parallel: %r must be between 1 and 64.' % (parallel,))
    if not isinstance(retries, int) or not 0 <= retries <= 20:
        raise FedoraBuildError('retries: %r must be between 0 and 20.' % (retries,))
    for key in gpgkeys or []:
        if not posixpath.isabs(key):
            raise FedoraBuildError('gpgkeys: %r must be an absolute path to an ASCII-armoured key file.' % (key,))
    return [_check_base_repo(repo, index) for index, repo in enumerate(base_repos or [])]


def _check_base_repo(repo, index):
    if not isinstance(repo, dict) or not repo.get('name'):
        raise FedoraBuildError('base_repos: entry %d needs a "name".' % index)
    if not REPO_ID_RE.match(str(repo['name'])):
        raise FedoraBuildError('base_repos: %r is not a valid repo id.' % repo['name'])
    sources = [k for k in ('baseurl', 'metalink', 'mirrorlist') if repo.get(k)]
    if len(sources) != 1:
        raise FedoraBuildError('base_repos: repo %r needs exactly one of baseurl, metalink or mirrorlist.' % repo['name'])
    for key, value in repo.items():
        if any(c in str(value) for c in '\r\n'):
            raise FedoraBuildError('base_repos: %s of repo %r contains a line break.' % (key, repo['name']))
    return repo


# what the fetch and assemble steps read of a resolved package (koji_client.KojiResolver.resolve), and of each
# of its acceptable copies: what the action plugin sends from the controller to the node as ``resolved``
RESOLVED_PACKAGE_KEYS = ('nvra', 'name', 'epoch', 'version', 'release', 'arch', 'nvr', 'build_id', 'task_id',
                         'payloadhash', 'sigkey', 'url', 'size_expected', 'sighash', 'file_sha256', 'candidates')
RESOLVED_CANDIDATE_KEYS = ('sigkey', 'url', 'size_expected', 'sighash', 'file_sha256')
RESOLVED_BUILD_KEYS = ('nvr', 'build_id', 'task_id', 'volume', 'source', 'packages')
# a file name in Packages/ and in the cache: no directory part, no leading dot
_NVRA_RE = re.compile(r'^[A-Za-z0-9_+][A-Za-z0-9._+~^-]*$')


def _check_url(value, what):
    if not isinstance(value, str) or not re.match(r'^https?://[^\s]+$', value):
        raise FedoraBuildError('resolved: %s is not an http(s) URL: %r.' % (what, value))


def check_resolved(resolved):
    """Check the ``resolved`` mapping (set by the action plugin on the controller) enough that a malformed one is
    one sentence, not a traceback or a file outside the repository; returns a copy."""
    if not isinstance(resolved, dict):
        raise FedoraBuildError('resolved: expected a mapping with hub_url, topurl, builds and packages.')
    for key in ('hub_url', 'topurl'):
        _check_url(resolved.get(key), key)
    builds = resolved.get('builds')
    packages = resolved.get('packages')
    if not isinstance(builds, list) or not all(isinstance(b, dict) for b in builds):
        raise FedoraBuildError('resolved: builds must be a list of mappings.')
    if not isinstance(packages, list) or not packages or not all(isinstance(p, dict) for p in packages):
        raise FedoraBuildError('resolved: packages must be a non-empty list of mappings.')
    out_packages = []
    for index, pkg in enumerate(packages):
        where = 'packages[%d]' % index
        nvra = pkg.get('nvra')
        if not isinstance(nvra, str) or not _NVRA_RE.match(nvra) or len(nvra) > 255:
            raise FedoraBuildError('resolved: %s.nvra %r is not a package file name (name-version-release.arch).'
                                   % (where, nvra))
        for key in ('name', 'nvr', 'version', 'release', 'arch'):
            if not isinstance(pkg.get(key), str) or not pkg[key]:
                raise FedoraBuildError('resolved: %s.%s is missing or not a string.' % (where, key))
        for key in ('payloadhash', 'sighash', 'file_sha256'):
            if pkg.get(key) is not None and not re.match(r'^[0-9a-fA-F]{32,128}$', str(pkg[key])):
                raise FedoraBuildError('resolved: %s.%s %r is not a hex digest.' % (where, key, pkg[key]))
        if pkg.get('payloadhash') is None and not isinstance(pkg.get('task_id'), int):
            raise FedoraBuildError('resolved: %s has neither a payloadhash nor a task_id.' % where)
        candidates = pkg.get('candidates') or []
        if not isinstance(candidates, list) or not all(isinstance(c, dict) for c in candidates):
            raise FedoraBuildError('resolved: %s.candidates must be a list of mappings.' % where)
        for number, candidate in enumerate(candidates + [pkg]):
            _check_url(candidate.get('url'), '%s.candidates[%d].url' % (where, number) if number < len(candidates)
                       else '%s.url' % where)
            sigkey = candidate.get('sigkey')
            if sigkey is not None and (not isinstance(sigkey, str) or sigkey and not re.match(r'^[0-9a-f]{8,40}$', sigkey)):
                raise FedoraBuildError('resolved: %s sigkey %r is not a Koji signing key id.' % (where, sigkey))
            size = candidate.get('size_expected')
            if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
                raise FedoraBuildError('resolved: %s size_expected %r is not a size in bytes.' % (where, size))
        record = dict((key, pkg.get(key)) for key in RESOLVED_PACKAGE_KEYS)
        record['candidates'] = [dict((key, c.get(key)) for key in RESOLVED_CANDIDATE_KEYS) for c in candidates]
        out_packages.append(record)
    out_builds = [dict((key, b.get(key)) for key in RESOLVED_BUILD_KEYS) for b in builds]
    ca_pem = resolved.get('ca_pem')
    if ca_pem is not None and (not isinstance(ca_pem, str) or '-----BEGIN CERTIFICATE-----' not in ca_pem
                               or len(ca_pem) > 1024 * 1024):
        raise FedoraBuildError('resolved: ca_pem is not the text of a PEM CA bundle.')
    return {'hub_url': resolved['hub_url'].rstrip('/'), 'topurl': resolved['topurl'].rstrip('/'),
            'builds': out_builds, 'packages': out_packages, 'ca_pem': ca_pem}
