# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A normalized request -> the arguments of the pipeline's koji_side_repo and stage steps.

The role's task files call these through the ``side_repo_args`` and ``stage_target`` filters instead of
lists of keys and renames in Jinja. A named destination (``koji.hub``, ``staging[].target``) gets its login
from the operator's definition here, at the step that uses it, and a password named by ``password_env`` is
read from the controller's environment (the filters run on the controller); the variable's name never
reaches a module's arguments, so no job event shows it. A request's ``koji.gpgkeys`` are names of the operator's
public key files (``fedora_build_koji_gpgkeys``): they become node paths here, and nothing else does.

Pure stdlib, no I/O.
"""

from __future__ import annotations

from ansible_collections.ondemand.fedora_build.plugins.module_utils import destinations
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError

# koji fields of a normalized request that are koji_side_repo options of the same name
SIDE_REPO_KOJI = ('hub_url', 'topurl', 'ca_cert', 'validate_certs', 'auth', 'client_cert', 'principal', 'keytab',
                  'username', 'password', 'builds', 'tasks', 'tag_latest', 'exclude', 'sigkeys', 'gpgkeys', 'parallel',
                  'retries', 'timeout')


def gpgkey_paths(names, gpgkeys):
    """The node paths of the operator's public keys ``names`` (``fedora_build_koji_gpgkeys``: {name: path})."""
    gpgkeys = gpgkeys if isinstance(gpgkeys, dict) else {}
    out = []
    for index, name in enumerate(names or []):
        path = gpgkeys.get(name) if isinstance(name, str) else None
        if not isinstance(path, str) or not path.startswith('/'):
            known = ', '.join(sorted(key for key, value in gpgkeys.items() if isinstance(value, str)))
            raise FedoraBuildError("koji.gpgkeys[%d]: %r is not one of the operator's public keys (known: %s)."
                                   % (index, name, known or 'none; the operator sets fedora_build_koji_gpgkeys'))
        out.append(path)
    return out


def side_repo_args(request, pipe, cache_dir, koji_hubs=None, environ=None, gpgkeys=None):
    """The koji_side_repo module's arguments for a normalized request (docs/pipeline.md, "Side repository");
    gpgkeys: the operator's fedora_build_koji_gpgkeys ({name: node path}), what koji.gpgkeys names."""
    if not isinstance(request, dict) or not isinstance(request.get('koji'), dict):
        raise FedoraBuildError('koji: expected a normalized request with a koji mapping.')
    koji = destinations.koji_login(request['koji'], koji_hubs, environ)
    args = dict((key, koji[key]) for key in SIDE_REPO_KOJI if koji.get(key) is not None)
    args['gpgkeys'] = gpgkey_paths(koji.get('gpgkeys'), gpgkeys)
    if not args['gpgkeys']:
        del args['gpgkeys']
    if koji.get('profile'):
        args['koji_profile'] = koji['profile']
    arch = request.get('arch')
    args['arches'] = [arch] + (['i686'] if koji.get('multilib') and arch == 'x86_64' else [])
    args['dest'] = '%s/side-repo' % pipe
    args['cache_dir'] = '%s/koji' % cache_dir
    args['base_repos'] = (request.get('repos') or {}).get('resolved') or []
    return args


def stage_target(entry, staging_targets=None, environ=None):
    """The stage module's ``target`` for one entry of a normalized request's ``staging``."""
    if not isinstance(entry, dict):
        raise FedoraBuildError('staging: expected a staging target (a mapping), got %s.' % type(entry).__name__)
    return destinations.stage_target(entry, staging_targets, environ)
