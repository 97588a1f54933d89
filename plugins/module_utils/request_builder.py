# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Builder options a request may set, per image type (``builder.<option>``).

Each entry mirrors the builder module's argument_spec entry (type, elements, choices); unit tests hold them to
the backend registry (tests/unit/plugins/module_utils/test_request_builder_registry.py): every option here is in
``builder_args.request_options(backend)`` of a backend of its image type with the same type, and no option that
names a node file (type path) is a request option. The table stays data (importing the registry would import
the tool code into the request validator). Pure data, no imports.
"""

from __future__ import annotations

from ansible_collections.ondemand.fedora_build.plugins.module_utils import backend_registry
from ansible_collections.ondemand.fedora_build.plugins.module_utils.backend import PIPELINE_SETS

# --- builder options that name node files: the operator's, never a request's -----------------------------------
# lorax runs its templates (add_templates, add_arch_templates, the templates under sharedir) as root, and a request's
# kickstart lies at a known node path, so a request naming any of these could run code as root or read node files.
# The operator sets them in fedora_build_builder_paths (builder_args.module_args merges them after the request's
# options); kiwi's description directory is named by the operator (fedora_build_kiwi_descriptions) and picked by
# name in the request. A unit test holds every path-typed option of every backend to this list.
OPERATOR_OPTIONS = {
    'boot': ('config', 'sharedir', 'dracut_conf', 'add_templates', 'add_arch_templates'),
    'dvd': ('lorax_conf', 'comps_file'),
    'live': ('lorax_templates', 'signing_keys'),
}

# --- builder options a request may set, derived from the backend registry ------------------------------------
# A backend's request options are its module's argument spec minus what the pipeline sets (backend.PIPELINE_SETS
# for every backend, Backend.pipeline_sets: the repositories, the kickstart, the release), the operator's node-file
# options above, and every other option that names a node path (the cache directories, which nothing sets). Only
# type, elements and choices of the module's entry are kept. An image type's options are those of its backends;
# ``backend`` (when the type has more than one) and ``timeout`` are the pipeline's (not module options).
# kiwi's description is a directory in the module and a name in a request (fedora_build_kiwi_descriptions):
REQUEST_SPEC = {'description': dict(type='str', max_len=64)}
_TIMEOUT = dict(type='int')


def _names_a_path(spec):
    return 'path' in (spec.get('type'), spec.get('elements'))


def backend_options(backend):
    """{option: spec} a request may set in ``builder`` for ``backend`` (a Backend of the registry)."""
    operator = OPERATOR_OPTIONS.get(backend.image_type, ())
    out = {}
    for key in backend.argument_spec:
        spec = backend.argument_spec[key]
        if key in PIPELINE_SETS or key in backend.pipeline_sets or key in operator:
            continue
        if key in REQUEST_SPEC:
            out[key] = dict(REQUEST_SPEC[key])
        elif not _names_a_path(spec):
            out[key] = dict((name, spec[name]) for name in ('type', 'elements', 'choices') if spec.get(name) is not None)
    return out


def _image_type_options(image_type):
    options = {}
    names = backend_registry.names(image_type)
    if len(names) > 1:
        options['backend'] = dict(type='str', choices=list(names))
    for name in names:
        for key, spec in backend_options(backend_registry.get(name)).items():
            if options.setdefault(key, spec) != spec:
                raise ValueError('builder.%s: the %s backends disagree on its type (%r, %r).'
                                 % (key, image_type, options[key], spec))
    options['timeout'] = dict(_TIMEOUT)
    return options


BUILDER_OPTIONS = dict((image_type, _image_type_options(image_type)) for image_type in backend_registry.image_types())
# {backend name: option names} (what a request may give when it picks that backend)
BACKEND_OPTIONS = dict((b.name, tuple(sorted(backend_options(b)))) for b in backend_registry.BACKENDS)
LIVE_BACKENDS = tuple(backend_registry.names('live'))
ROOTFS_TYPES = tuple(BUILDER_OPTIONS['live']['rootfs_type']['choices'])
LMC_ONLY = tuple(sorted(set(BACKEND_OPTIONS['livemedia-creator']) - set(BACKEND_OPTIONS['kiwi'])))
KIWI_ONLY = tuple(sorted(set(BACKEND_OPTIONS['kiwi']) - set(BACKEND_OPTIONS['livemedia-creator'])))


def only_for(image_type, backend):
    """Options of ``image_type`` that other backends take but ``backend`` does not (a request naming them with
    ``backend`` is refused)."""
    mine = set(BACKEND_OPTIONS[backend])
    return sorted(key for name in backend_registry.names(image_type) if name != backend
                  for key in BACKEND_OPTIONS[name] if key not in mine)


# non-negative ints; everything else of type int must be positive
_NON_NEGATIVE = ('source_date_epoch',)
