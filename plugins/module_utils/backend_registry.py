# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The backend registry: one line per builder backend (docs/extending.md).

Everything that needs to know which backends exist — request validation, preflight,
dispatch, the builder modules, the ``build`` and ``build_node`` roles (through the
``backend_info`` filter) — asks here. A new backend is one module_utils file ending in
``BACKEND = Backend(...)`` plus one line in ``BACKENDS`` below.
"""

from __future__ import annotations

from ansible_collections.ondemand.fedora_build.plugins.module_utils import kiwi, lmc, lorax, pungi, pungi_koji
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError

BACKENDS = (
    lorax.BACKEND,
    pungi.BACKEND,
    pungi_koji.BACKEND,
    lmc.BACKEND,
    kiwi.BACKEND,
)

_BY_NAME = dict((b.name, b) for b in BACKENDS)


def names(image_type=None):
    """Backend names, in registry order, optionally of one image type."""
    return [b.name for b in BACKENDS if image_type is None or b.image_type == image_type]


def image_types():
    """The image types some backend builds, in registry order."""
    seen = []
    for b in BACKENDS:
        if b.image_type not in seen:
            seen.append(b.image_type)
    return seen


def get(name, field='builder.backend'):
    """The backend called ``name``; an unknown name is one sentence listing the known ones."""
    try:
        return _BY_NAME[name]
    except (KeyError, TypeError):
        raise FedoraBuildError('%s: %r is not a known backend (known: %s).' % (field, name, ', '.join(names())))


def default_for(image_type, release=None):
    """The default backend of an image type for ``release`` (the newest Fedora when None or rawhide).

    An image type may have several default backends, each for a range of releases (``Backend.releases``): dvd is
    built by the legacy ``pungi`` command up to the last Fedora that shipped it and by ``pungi-koji`` after.
    """
    for b in BACKENDS:
        if b.image_type == image_type and b.default and b.covers(release):
            return b
    for b in BACKENDS:  # a release before every range: the oldest default backend of the type
        if b.image_type == image_type and b.default:
            return b
    raise FedoraBuildError('image_type: %r has no backend (known image types: %s).' % (image_type, ', '.join(image_types())))


def resolve(image_type, backend=None, release=None):
    """The backend a request of ``image_type`` for ``release`` runs with (``builder.backend``, else the type's
    default for the release)."""
    if backend is None:
        return default_for(image_type, release)
    found = get(backend)
    if found.image_type != image_type:
        raise FedoraBuildError('builder.backend: %s builds %s images, not %s (backends for %s: %s).'
                               % (found.name, found.image_type, image_type, image_type, ', '.join(names(image_type))))
    return found


def for_module(module):
    """{backend name: backend} of one builder module (boot_iso, dvd_iso, live_image)."""
    return dict((b.name, b) for b in BACKENDS if b.module == module)


def estimates():
    """Seconds a build of each image type is assumed to take (its default backend's estimate)."""
    return dict((t, default_for(t).estimate) for t in image_types())


def version_args():
    """{executable: version argv} of every backend's tool."""
    return dict((b.executable, list(b.version_args)) for b in BACKENDS)


def for_release(names_, release):
    """Of the backend ``names_``, those whose tool exists on a node of Fedora ``release`` (``Backend.releases``);
    a name of another image type's backend is kept, unknown names are dropped."""
    return [n for n in names_ if n in _BY_NAME and _BY_NAME[n].covers(release)]


def packages(enabled=None, arch=None, release=None):
    """The dnf packages of the enabled backends (all when ``enabled`` is None) for a node of ``arch``; with
    ``release`` (the node's Fedora release), only the backends whose tool exists there."""
    wanted = []
    for b in BACKENDS:
        if enabled is not None and b.name not in enabled:
            continue
        if release is not None and not b.covers(release):
            continue
        for name in b.packages_for(arch):
            if name not in wanted:
                wanted.append(name)
    return wanted


def facts():
    """The whole registry as plain data."""
    return dict((b.name, b.facts()) for b in BACKENDS)
