# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The build request: one YAML document a user writes (docs/request.md).

``validate_request`` / ``validate_requests`` check a request (or a batch) up
front and report EVERY problem at once, each one sentence that starts with the
field path (``requests[1].koji.builds[0]: ...``). Nothing here raises for bad
input: wrong types, unknown fields, None, huge or odd strings all become
problems. A valid request is normalized: defaults filled, repository presets
expanded into concrete URLs (``repos.resolved``) and ``request_id`` added
(computed by build_identity, the one place that hashes requests).

Pure stdlib, Python 3.8+, runs on the controller; its only I/O looks up paths there (a requested kickstart's real
path and type against the operator's fedora_build_kickstart_dirs, local staging paths), never reading a file. A
file:// repository is a build node directory: it must lie in the operator's fedora_build_node_repo_dirs.
The model (fields, limits, secret marks) is request_model.py, the checks request_checks.py, request_repos.py and
request_targets.py, the builder options request_builder.py; this module keeps the public names.
"""

from __future__ import annotations

import copy

from ansible_collections.ondemand.fedora_build.plugins.module_utils import backend_registry, build_identity, builder_args, destinations
from ansible_collections.ondemand.fedora_build.plugins.module_utils.staging import common as staging
from ansible_collections.ondemand.fedora_build.plugins.module_utils.fileutil import check_tree_path
from ansible_collections.ondemand.fedora_build.plugins.module_utils.request_builder import BUILDER_OPTIONS, KIWI_ONLY, LMC_ONLY  # noqa: F401
from ansible_collections.ondemand.fedora_build.plugins.module_utils.request_checks import (  # noqa: F401
    INVALID, Problems, _bounded, _builder, _each, _join, _kickstart, _kickstart_dir, _mapping, _text, kind, show)
from ansible_collections.ondemand.fedora_build.plugins.module_utils.request_model import (  # noqa: F401
    ARCHES, COMPUTED_FIELDS, DEFAULT_ARCH, DEFAULT_PRESETS, DEFAULT_RAWHIDE_PRESETS, DEFAULT_TIMEOUT, DEFAULTS_FIELDS,
    EXTRA_REPO_FIELDS, FEDORA_KOJI_HUB, FEDORA_KOJI_TOPURL, IMAGE_TYPES, KICKSTART_FIELDS, KOJI_AUTH, KOJI_CONNECTION,
    KOJI_DEFAULT_EXCLUDE, KOJI_FIELDS, KOJI_OPTIONAL, LIVE_BACKENDS, MAX_LIST, MAX_TEXT, MAX_TIMEOUT, METALINK,
    NOTIFY_EVENTS, NOTIFY_FIELDS, PRESET_REPO_NAMES, PRESETS, PRIMARY_MIRROR, REPO_SOURCES, REPO_URL_KEYS,
    REPOS_COMPUTED, REPOS_FIELDS, REQUEST_FIELDS, ROOTFS_TYPES, SECONDARY_ARCHES, SECONDARY_MIRROR, STAGING_FIELDS,
    STAGING_TYPES, TAG_LATEST_FIELDS, MODEL, drop_userinfo, schema)
from ansible_collections.ondemand.fedora_build.plugins.module_utils.request_repos import (  # noqa: F401
    _node_repo_dir, _repos, default_mirror, preset_url)
from ansible_collections.ondemand.fedora_build.plugins.module_utils.request_shape import check_input, check_shape
from ansible_collections.ondemand.fedora_build.plugins.module_utils.request_targets import (  # noqa: F401
    _NO_DESTINATIONS, _destinations, _koji, _koji_part, _notify, _staging, yaml_on)
from ansible_collections.ondemand.fedora_build.plugins.module_utils.validate import UNSAFE_TEXT_RE, check_name, check_release

# The public names (callers import them from here; most are defined in request_model/request_checks/
# request_builder and re-exported).
__all__ = [
    'ARCHES', 'BUILDER_OPTIONS', 'COMPUTED_FIELDS', 'DEFAULTS_FIELDS', 'DEFAULT_ARCH', 'DEFAULT_PRESETS',
    'DEFAULT_RAWHIDE_PRESETS', 'DEFAULT_TIMEOUT', 'EXTRA_REPO_FIELDS', 'FEDORA_KOJI_HUB', 'FEDORA_KOJI_TOPURL',
    'IMAGE_TYPES', 'INVALID', 'KICKSTART_FIELDS', 'KIWI_ONLY', 'KOJI_AUTH', 'KOJI_CONNECTION',
    'KOJI_DEFAULT_EXCLUDE', 'KOJI_FIELDS', 'KOJI_OPTIONAL', 'LIVE_BACKENDS', 'LMC_ONLY', 'MAX_LIST', 'MAX_TEXT',
    'MAX_TIMEOUT', 'METALINK', 'MODEL', 'NOTIFY_EVENTS', 'NOTIFY_FIELDS', 'PRESETS', 'PRESET_REPO_NAMES',
    'PRIMARY_MIRROR', 'Problems', 'REPOS_COMPUTED', 'REPOS_FIELDS', 'REPO_SOURCES', 'REPO_URL_KEYS',
    'REQUEST_FIELDS', 'ROOTFS_TYPES', 'SECONDARY_ARCHES', 'SECONDARY_MIRROR', 'STAGING_FIELDS', 'STAGING_TYPES',
    'TAG_LATEST_FIELDS', 'default_mirror', 'kind', 'preset_url', 'schema', 'show', 'validate_request',
    'validate_requests',
]


def _defaults(p, defaults, path='defaults'):
    """Validate the service-level defaults: {arch, koji, staging, timeout}, the operator's destinations and the
    operator's controller and node files a request picks from (kickstart_dirs, node_repo_dirs, koji_gpgkeys,
    kiwi_descriptions)."""
    out = {'arch': DEFAULT_ARCH, 'koji': {}, 'staging': None, 'timeout': DEFAULT_TIMEOUT, 'kiwi_descriptions': None,
           'kickstart_dirs': [], 'node_repo_dirs': [], 'koji_gpgkeys': [], 'dest': copy.deepcopy(_NO_DESTINATIONS)}
    if defaults is None:
        return out
    data, problems = check_input(defaults, 'defaults', path)  # the shape: ArgumentSpecValidator's
    p.items.extend(problems)
    if data is INVALID:
        out['staging'] = INVALID
        return out
    out['dest'] = _destinations(p, data, path)
    # the operator's controller directories a request's kickstart path may lie in (none: URL kickstarts only)
    if data.get('kickstart_dirs') not in (None, INVALID):
        dirs = _each(p, data['kickstart_dirs'], _join(path, 'kickstart_dirs'), _kickstart_dir)
        out['kickstart_dirs'] = dirs if dirs is not INVALID else []
    # the operator's node directories a request's file:// repository may name (none: no file:// repository)
    if data.get('node_repo_dirs') not in (None, INVALID):
        dirs = _each(p, data['node_repo_dirs'], _join(path, 'node_repo_dirs'), _node_repo_dir)
        out['node_repo_dirs'] = dirs if dirs is not INVALID else []
    # the operator's public key files on the node ({name: path}, or the names): a request's koji.gpgkeys names them
    out['koji_gpgkeys'] = _names(p, data.get('koji_gpgkeys'), _join(path, 'koji_gpgkeys'))
    # The playbook's default arch: the arch of the first reachable build node.
    out['arch'] = data.get('arch', out['arch'])
    koji = data.get('koji')
    if koji is not None and koji is not INVALID:
        out['koji'] = _koji_part(p, koji, _join(path, 'koji'), out['koji_gpgkeys'])
        hub = out['koji'].get('hub')
        if hub not in (None, INVALID) and p.check(destinations.refer, 'koji', hub, _join(path, 'koji.hub'),
                                                  out['dest']['koji_hubs']) is not INVALID:
            out['koji'] = dict(out['koji'], **out['dest']['koji_hubs'][hub])
    if data.get('staging') is INVALID:
        out['staging'] = INVALID
    elif data.get('staging') is not None:
        # the operator's default targets: mappings (with their credentials) or names of staging_targets
        staging_ = _staging(p, data['staging'], _join(path, 'staging'), None, out['dest'], trusted=True)
        out['staging'] = _staging_as_module_sees_it(p, staging_, _join(path, 'staging'))
    if data.get('timeout') is not None:
        out['timeout'] = _bounded(p, data['timeout'], _join(path, 'timeout'), 1, MAX_TIMEOUT)
    if data.get('kiwi_descriptions') not in (None, INVALID):
        out['kiwi_descriptions'] = _names(p, data['kiwi_descriptions'], _join(path, 'kiwi_descriptions'))
    return out


def _names(p, names, path):
    """The names of an operator's {name: node file} setting (given as the mapping or the list of names)."""
    if names is None or names is INVALID:
        return []
    if isinstance(names, dict):  # only the names matter here
        names = list(names)
    names = _each(p, names, path,
                  lambda p_, v, f: p_.check(check_name, v, field=f) if _text(p_, v, f, 64) is not INVALID else INVALID)
    return names if names is not INVALID else []


# the order a request's problems are listed in: its fields' (the validator's come first, then the semantic ones)
_ORDER = ('image_type', 'name', 'release', 'arch', 'builder', 'kickstart', 'koji', 'repos', 'staging', 'notify',
          'force', 'contents', 'request_id')


def _request(p, request, defaults, forced_type, prefix, shape=True):
    start = len(p)
    out = _request_checks(p, request, defaults, forced_type, prefix, shape)

    def field(problem):
        rest = problem[len(prefix):]
        name = rest[1:].split(': ', 1)[0].split('.', 1)[0].split('[', 1)[0] if rest.startswith('.') else ''
        return _ORDER.index(name) + 1 if name in _ORDER else 0  # unknown fields first
    p.items[start:] = sorted(p.items[start:], key=field)
    return out


def _request_checks(p, request, defaults, forced_type, prefix, shape):
    start = len(p)
    if isinstance(request, dict) and isinstance(request.get('notify'), dict):
        request = dict(request, notify=yaml_on(request['notify']))
    # the shape (fields, types, choices, required): ArgumentSpecValidator's, along MODEL and RAW; what follows
    # checks the meaning of the clean copy, in which a value that did not fit is INVALID (already reported)
    raw_builder = request.get('builder') if isinstance(request, dict) else None
    request, problems = check_input(request, 'request', prefix)
    p.items.extend(problems)
    if request is INVALID:
        return INVALID
    out = {}

    image_type = request.get('image_type')
    path = _join(prefix, 'image_type')
    if image_type is None:
        image_type = forced_type if forced_type else p.add(path, 'missing; give boot, dvd or live.')
    else:
        if forced_type and image_type is not INVALID and image_type != forced_type:
            image_type = p.add(path, '%r does not match this playbook, which builds image_type %s.'
                               % (image_type, forced_type))
    out['image_type'] = image_type

    name = request.get('name')
    if name is None:
        out['name'] = image_type
    elif _text(p, name, _join(prefix, 'name'), 64) is INVALID:
        out['name'] = INVALID
    else:
        out['name'] = p.check(check_name, name, field=_join(prefix, 'name'))

    release = request.get('release')
    path = _join(prefix, 'release')
    if release is INVALID:  # missing or not a number or a string: said by the validator
        out['release'] = release
    elif isinstance(release, str) and UNSAFE_TEXT_RE.search(release):
        out['release'] = _text(p, release, path, 16)  # refused, not stripped away
    elif isinstance(release, str) and len(release) > 16:
        out['release'] = p.add(path, '%s is not a Fedora release (a number such as 41, or "rawhide").' % show(release))
    else:
        out['release'] = p.check(check_release, release, field=path)

    arch = request.get('arch')
    out['arch'] = defaults['arch'] if arch is None else arch

    builder = INVALID
    if image_type in IMAGE_TYPES:
        builder = _builder(p, raw_builder, _join(prefix, 'builder'), image_type, defaults['timeout'],
                           defaults['kiwi_descriptions'], out.get('release'), out['arch'])
        raw = raw_builder
        backend = raw.get('backend') if isinstance(raw, dict) else None
        out['kickstart'] = _kickstart(p, request.get('kickstart'), _join(prefix, 'kickstart'), image_type, backend,
                                      defaults['kickstart_dirs'])
    elif isinstance(raw_builder, dict):  # unknown image type: still report unknown builder options
        _mapping(p, raw_builder, _join(prefix, 'builder'), sorted(schema()['builder']))
    out['koji'] = _koji(p, request.get('koji'), _join(prefix, 'koji'), defaults['koji'], out['arch'],
                        defaults['dest'], defaults['koji_gpgkeys'])
    out['repos'] = _repos(p, request.get('repos'), _join(prefix, 'repos'), out['release'], out['arch'], image_type,
                          defaults['node_repo_dirs'])
    out['builder'] = builder
    if not any(out.get(key) is INVALID for key in ('image_type', 'release', 'arch', 'koji', 'repos', 'builder')):
        _pipeline(p, out, prefix)
    staging_default = defaults['staging']
    if request.get('staging') is None and staging_default is INVALID:
        out['staging'] = INVALID  # already reported under defaults.staging
    else:
        given = request.get('staging') is not None
        out['staging'] = _staging(p, request.get('staging'), _join(prefix, 'staging'), staging_default,
                                  defaults['dest'])
        if given:
            out['staging'] = _staging_as_module_sees_it(p, out['staging'], _join(prefix, 'staging'))
    out['notify'] = _notify(p, request.get('notify'), _join(prefix, 'notify'), defaults['dest'])
    out['force'] = request.get('force', False)
    contents = _contents(request.get('contents'))
    if contents is INVALID or contents.get('absent') != 'report':
        out['contents'] = contents  # only when not the default: the request IDs of requests without it stay as they were

    if len(p) != start or any(value is INVALID for value in out.values()):
        return INVALID
    out = copy.deepcopy(out)  # requests of a batch share the defaults; none may alias another
    # a named destination travels by its name: its login and the login's source stay in the operator's settings
    out = destinations.by_name(out)
    out['request_id'] = build_identity.request_id(out)
    # a kickstart URL's user:password@ is a credential: the normalized request (every controller task result
    # carries it) keeps the URL without it; the kickstart step reads it from the request as given (url_password)
    if isinstance(out.get('kickstart'), dict) and out['kickstart'].get('src') is not None:
        out['kickstart']['src'] = drop_userinfo(out['kickstart']['src'])
    given = request.get('request_id')
    if given is not None and given != out['request_id']:
        p.add(_join(prefix, 'request_id'), 'is computed from the request (%s here), not %s; leave it out.'
              % (out['request_id'], show(given)))
        return INVALID
    # What the role's argument spec (generated from the same model) will check: never refused there.
    # (Not after a problem of the service defaults: their INVALID marks may stand in the merged request.)
    shape = check_shape(out, MODEL, prefix) if shape else []
    if shape:
        p.items.extend(shape)
        return INVALID
    return out


def _pipeline(p, out, prefix):
    """What the pipeline will derive from the request for its backend (``pipeline_args``: e.g. pungi-koji's package
    set from the request's repos), refused now as the module would refuse it later (``Backend.pipeline_problems``).
    The node paths the pipeline adds (side repo, prepared kickstart) stand in as fixed paths."""
    backend = backend_registry.resolve(out['image_type'], (out['builder'] or {}).get('backend'), out['release'])
    koji = out['koji'] or {}
    side = {'repo_path': '/koji-side'} if any(koji.get(key) for key in ('builds', 'tasks', 'tag_latest')) else {}
    inputs = dict(side=side, kickstart='/prepared.ks', base_repos=builder_args.base_repos(out),
                  mirror_urls=builder_args.mirror_urls(out))
    for sentence in backend.pipeline_problems(out, inputs):
        p.items.append('%s.%s' % (prefix, sentence))


def _contents(value):
    """The content check's options: ``{absent: report|error}`` (report when not given; the shape is the validator's)."""
    if value is None:
        return {'absent': 'report'}
    if value is INVALID or value.get('absent') is INVALID:
        return INVALID
    return {'absent': value.get('absent', 'report')}


def _staging_as_module_sees_it(p, targets, path):
    """Run the stage module's own checks on normalized staging targets (validated once, up front).

    The stage module refuses an SSH user outside its user pattern and a system directory as a staging path
    (fileutil.check_tree_path; a local path through its symlinks, on the controller this runs on). Returns
    targets, or INVALID after adding the module's sentence under the target's path.
    """
    if not isinstance(targets, list):
        return targets
    start = len(p)
    for index, target in enumerate(targets):
        where = _join(path, index)
        if target['type'] == 'ssh' and target.get('user') is not None:
            p.check(staging.check_user, target['user'], _join(where, 'user'))
        if target['type'] in ('local', 'ssh'):
            field = _join(where, 'path')
            if p.check(staging.check_abs_path, target['path'], field) is not INVALID:
                p.check(check_tree_path, target['path'], field, resolve=target['type'] == 'local')
    return targets if len(p) == start else INVALID


def validate_request(request, defaults=None, image_type=None, prefix='request'):
    """Check and normalize one request; returns (normalized or None, problems)."""
    p = Problems()
    forced = _forced_type(p, image_type)
    norm_defaults = _defaults(p, defaults)
    out = _request(p, request, norm_defaults, forced, prefix, shape=not p.items)
    return (None if out is INVALID or p.items else out), p.items


def validate_requests(requests, defaults=None, image_type=None, prefix='requests'):
    """Check and normalize a batch; returns (normalized list, problems).

    The list holds one entry per request (None for a request with problems); use it only when
    problems is empty. Two requests with the same request_id are a problem.
    """
    p = Problems()
    forced = _forced_type(p, image_type)
    norm_defaults = _defaults(p, defaults)
    if not isinstance(requests, (list, tuple)):
        p.add(prefix, 'must be a list of build requests (got %s).' % kind(requests))
        return [], p.items
    if not requests:
        p.add(prefix, 'is empty; give at least one build request.')
        return [], p.items
    if len(requests) > MAX_LIST:
        p.add(prefix, 'has %d requests; at most %d are allowed in one batch.' % (len(requests), MAX_LIST))
        return [], p.items
    out, seen, defaults_ok = [], {}, not p.items
    for index, request in enumerate(requests):
        norm = _request(p, request, norm_defaults, forced, _join(prefix, index), shape=defaults_ok)
        norm = None if norm is INVALID or not defaults_ok else norm
        if norm is not None:
            first = seen.setdefault(norm['request_id'], index)
            if first != index:
                p.add(_join(prefix, index), 'is the same build as %s (request_id %s); give it once.'
                      % (_join(prefix, first), norm['request_id']))
        out.append(norm)
    return out, p.items


def _forced_type(p, image_type):
    if image_type is None:
        return None
    if image_type not in IMAGE_TYPES:
        p.add('image_type', '%s is not one of %s.' % (show(image_type), ', '.join(IMAGE_TYPES)))
        return None
    return image_type
