# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A normalized request plus what the pipeline made for it -> the builder module's arguments.

Three layers, later ones winning (docs/pipeline.md, "Build"):

1. the backend's defaults derived from the request (``Backend.pipeline_args``: product/project names
   and versions), which the request's ``builder`` options may change;
2. the request's ``builder`` options (all but ``backend`` and ``timeout``), then the operator's: the options
   that name node files (``fedora_build_builder_paths``, request_builder.OPERATOR_OPTIONS; a request never
   sets them) and kiwi's ``description`` resolved from the request's name through
   ``fedora_build_kiwi_descriptions``;
3. what the pipeline sets for the backend (``Backend.pipeline_args`` again, the options named in
   ``Backend.pipeline_sets``: the side repo and the distribution repos in the form the tool takes them,
   the prepared kickstart), then for every backend ``arch``, ``dest``, ``work_root``, ``build_id`` and
   ``timeout`` (``PIPELINE_SETS``).

Pure: no I/O. The ``builder_args`` filter calls it in the build role.
"""

from __future__ import annotations

from ansible_collections.ondemand.fedora_build.plugins.module_utils import backend_registry
from ansible_collections.ondemand.fedora_build.plugins.module_utils.backend import PIPELINE_SETS  # noqa: F401
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils.request_builder import OPERATOR_OPTIONS

DEFAULT_TIMEOUT = 4 * 3600
# request.builder keys that are the pipeline's, not the module's
NOT_MODULE_OPTIONS = ('backend', 'timeout')


def request_options(backend):
    """The module options a request may give in ``builder`` for ``backend`` (a Backend): its argument spec
    minus what the pipeline sets."""
    return sorted(k for k in backend.argument_spec if k not in PIPELINE_SETS and k not in backend.pipeline_sets)


def timeout(request, default=None):
    """Seconds the builder may run: builder.timeout, else the service default, else 4 hours."""
    value = (request.get('builder') or {}).get('timeout')
    if value is None:
        value = default if default is not None else DEFAULT_TIMEOUT
    return int(value)


def base_repos(request):
    """The resolved distribution repos that have a baseurl, as [{name, baseurl}]."""
    resolved = (request.get('repos') or {}).get('resolved') or []
    return [dict(name=r['name'], baseurl=r['baseurl']) for r in resolved if r.get('baseurl')]


def mirror_urls(request):
    """The resolved repos' metalinks, then their mirrorlists."""
    resolved = (request.get('repos') or {}).get('resolved') or []
    return ([r['metalink'] for r in resolved if r.get('metalink')]
            + [r['mirrorlist'] for r in resolved if r.get('mirrorlist')])


def operator_paths(image_type, backend, builder_paths=None):
    """The operator's node-file options (``fedora_build_builder_paths``) that ``backend`` takes.

    builder_paths: {option: value} for every image type, and/or {image type: {option: value}} (which wins).
    An option that names no node file is one sentence: the setting is for node paths only.
    """
    known = sorted(set(key for keys in OPERATOR_OPTIONS.values() for key in keys))
    flat, typed = {}, {}
    for key, value in (builder_paths or {}).items():
        if key in OPERATOR_OPTIONS:
            if not isinstance(value, dict):
                raise FedoraBuildError('fedora_build_builder_paths.%s: must be a mapping of builder options to values.'
                                       % key)
            if key == image_type:
                typed.update(value)
            for option in value:
                if option not in OPERATOR_OPTIONS[key]:
                    raise FedoraBuildError('fedora_build_builder_paths.%s.%s: is not a builder option of %s that '
                                           'names a node file (known: %s).'
                                           % (key, option, key, ', '.join(OPERATOR_OPTIONS[key])))
        elif key in known:
            flat[key] = value
        else:
            raise FedoraBuildError('fedora_build_builder_paths.%s: is not a builder option that names a node file '
                                   '(known: %s, or an image type %s).'
                                   % (key, ', '.join(known), ', '.join(OPERATOR_OPTIONS)))
    flat.update(typed)
    return dict((k, v) for k, v in flat.items() if k in backend.argument_spec and v is not None)


def kiwi_description(name, descriptions):
    """The node directory of the operator's kiwi description ``name`` (``builder.description``)."""
    descriptions = descriptions or {}
    if not isinstance(name, str) or name not in descriptions:
        raise FedoraBuildError("builder.description: %r is not one of the operator's kiwi descriptions (known: %s)."
                               % (name, ', '.join(sorted(descriptions))
                                  or 'none; the operator sets fedora_build_kiwi_descriptions'))
    return descriptions[name]


def module_args(request, pipe, build_id, side=None, kickstart=None, default_timeout=None, operator=None):
    """The builder module's arguments for ``request``.

    pipe: the build's pipeline dir on the node; side: the koji_side_repo result (``repo_file``, ``repo_path``),
    empty without Koji builds; kickstart: the prepared kickstart's path on the node; operator: the operator's
    settings ``{builder_paths: fedora_build_builder_paths, kiwi_descriptions: fedora_build_kiwi_descriptions}``.
    """
    operator = operator or {}
    backend = backend_registry.resolve(request.get('image_type'), (request.get('builder') or {}).get('backend'),
                                       request.get('release'))
    defaults, fixed = backend.pipeline_args(request, dict(side=side or {}, kickstart=kickstart,
                                                          base_repos=base_repos(request),
                                                          mirror_urls=mirror_urls(request)))
    args = dict(defaults)
    operators = set(key for keys in OPERATOR_OPTIONS.values() for key in keys)
    # A request's node-file options are dropped even if one got past validation; the operator's come after.
    args.update((k, v) for k, v in (request.get('builder') or {}).items()
                if k not in NOT_MODULE_OPTIONS and k not in operators)
    if 'description' in backend.argument_spec:
        args['description'] = kiwi_description(args.get('description'), operator.get('kiwi_descriptions'))
    args.update(operator_paths(request.get('image_type'), backend, operator.get('builder_paths')))
    args.update(fixed)
    if len(backend_registry.for_module(backend.module)) > 1:
        args['backend'] = backend.name
    args.update(arch=request.get('arch'), dest='%s/tree/output' % pipe, work_root='%s/work' % pipe,
                build_id=build_id, timeout=timeout(request, default_timeout))
    return args
