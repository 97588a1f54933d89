# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Input validation shared by modules, roles and the request validator.

Each check returns the cleaned value or raises FedoraBuildError with one
sentence naming the field and what is wrong. Values that reach a command
line or a path are validated here first; commands are never built as shell
strings.
"""

from __future__ import annotations

import re

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError

try:
    from urllib.parse import urlsplit
except ImportError:  # pragma: no cover - Python 2 is not supported, keeps pylint quiet
    from urlparse import urlsplit  # type: ignore

# name-version-release: RPM allows [A-Za-z0-9._+-] in name, no '-' in version/release.
NVR_RE = re.compile(r'^(?P<name>[A-Za-z0-9_+][A-Za-z0-9._+-]*)-(?P<version>[A-Za-z0-9._+~^]+)-(?P<release>[A-Za-z0-9._+~^]+)$')
# A plain name for repos, profiles, build ids: no path separators, no shell metacharacters.
NAME_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$')
RELEASE_RE = re.compile(r'^(rawhide|[1-9][0-9]{0,2})$')
ARCHES = ('x86_64', 'aarch64', 'ppc64le', 's390x', 'i686', 'armhfp', 'noarch')


def check_nvr(value, field='nvr'):
    """Validate an NVR string and return (name, version, release)."""
    text = value if isinstance(value, str) else ''
    match = NVR_RE.match(text)
    if not match or '..' in text:
        raise FedoraBuildError('%s: %r is not a valid NVR (expected name-version-release, e.g. bash-5.2.26-3.fc40).'
                               % (field, value))
    return match.group('name'), match.group('version'), match.group('release')


def check_name(value, field='name'):
    """Validate a simple identifier (repo name, build id, profile)."""
    if not isinstance(value, str) or not NAME_RE.match(value):
        raise FedoraBuildError('%s: %r is not a valid name (letters, digits, ".", "_", "+", "-"; '
                               'must start with a letter or digit).' % (field, value))
    return value


def check_release(value, field='release'):
    """Validate a Fedora release: a number or 'rawhide'; returns it as a string."""
    text = str(value).strip().lower() if isinstance(value, (int, str)) and not isinstance(value, bool) else ''
    if not RELEASE_RE.match(text):
        raise FedoraBuildError('%s: %r is not a Fedora release (a number such as 41, or "rawhide").' % (field, value))
    return text


def check_arch(value, field='arch'):
    """Validate a target architecture name."""
    if value not in ARCHES:
        raise FedoraBuildError('%s: %r is not a supported architecture (one of %s).' % (field, value, ', '.join(ARCHES)))
    return value


def check_url(value, schemes, field='url'):
    """Validate a URL against an allowlist of schemes; returns the URL."""
    if not isinstance(value, str) or not value or any(c.isspace() for c in value):
        raise FedoraBuildError('%s: %r is not a URL.' % (field, value))
    parts = urlsplit(value)
    if parts.scheme.lower() not in schemes:
        raise FedoraBuildError('%s: scheme %r is not allowed (use %s).'
                               % (field, parts.scheme or '(none)', ', '.join(schemes)))
    if parts.scheme.lower() != 'file' and not parts.netloc:
        raise FedoraBuildError('%s: %r has no host.' % (field, value))
    return value
