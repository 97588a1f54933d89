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

import posixpath
import re
from urllib.parse import unquote, urlsplit

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError

try:
    from urllib.parse import urlsplit
except ImportError:  # pragma: no cover - Python 2 is not supported, keeps pylint quiet
    from urlparse import urlsplit  # type: ignore

# name-version-release: RPM allows [A-Za-z0-9._+-] in name, no '-' in version/release.
# \Z, not $: "$" also matches before a trailing newline ("bash-1-1\n" would pass).
NVR_RE = re.compile(r'^(?P<name>[A-Za-z0-9_+][A-Za-z0-9._+-]*)-(?P<version>[A-Za-z0-9._+~^]+)-(?P<release>[A-Za-z0-9._+~^]+)\Z')
# A plain name for repos, profiles, build ids: no path separators, no shell metacharacters.
NAME_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}\Z')
RELEASE_RE = re.compile(r'^(rawhide|[1-9][0-9]{0,2})\Z')
ARCHES = ('x86_64', 'aarch64', 'ppc64le', 's390x', 'i686', 'armhfp', 'noarch')


def check_nvr(value, field='nvr'):
    """Validate an NVR string and return (name, version, release)."""
    text = value if isinstance(value, str) else ''
    match = NVR_RE.fullmatch(text)
    if not match or '..' in text:
        raise FedoraBuildError('%s: %r is not a valid NVR (expected name-version-release, e.g. bash-5.2.26-3.fc40).'
                               % (field, value))
    return match.group('name'), match.group('version'), match.group('release')


def check_name(value, field='name'):
    """Validate a simple identifier (repo name, build id, profile)."""
    if not isinstance(value, str) or not NAME_RE.fullmatch(value):
        raise FedoraBuildError('%s: %r is not a valid name (letters, digits, ".", "_", "+", "-"; '
                               'must start with a letter or digit).' % (field, value))
    return value


def check_release(value, field='release'):
    """Validate a Fedora release: a number or 'rawhide'; returns it as a string."""
    text = str(value).strip().lower() if isinstance(value, (int, str)) and not isinstance(value, bool) else ''
    if not RELEASE_RE.fullmatch(text):
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


# --- content of builder options (shared by the builder modules and the request validator) ------------------
# The builder modules pass these options as argv items, so no shell ever reads them; they still end up in
# tool configuration (.treeinfo, repo files, grub.cfg, kiwi XML), file names and logs, so each one is held to
# what it can legitimately be.  Checked by builders.run_build and request.py (builder.<option>).
_LABEL_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9 ._+-]*\Z')           # product, project, volid: may have spaces
_WORD_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._+-]*\Z')             # versions, profiles, arches, file names
_PACKAGE_RE = re.compile(r'^[A-Za-z0-9_@^*?\[][A-Za-z0-9_.+*?\[\]@^~:-]*\Z')  # names, globs, @group, @^env
_PROXY_HOST_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9.-]*(:[0-9]{1,5})?\Z')
_ARG_BAD_RE = re.compile(r'[;$`|&<>{}\\]')                          # kernel/dracut/anaconda argument text
# control characters, zero-width and bidi formatting characters (U+061C, U+200B-U+200F, U+202A-U+202E,
# U+2066-U+2069), line/paragraph separators, word joiner and invisible operators, BOM
UNSAFE_TEXT_RE = re.compile(u'[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]')
BUILDER_TEXT = {
    'label': ('product', 'variant', 'volid', 'name', 'flavor', 'project', 'fs_label'),
    'word': ('version', 'release', 'releasever', 'release_version', 'profiles', 'image_type', 'multilib',
             'lookaside_repos'),
    'file_name': ('iso_name', 'image_name', 'kiwi_file'),
    'package': ('installpkgs', 'excludepkgs', 'add_packages', 'delete_packages', 'dnfplugins'),
    'args': ('dracut_args', 'anaconda_args', 'extra_boot_args'),
    'web_url': ('bugurl',),
    'proxy_url': ('proxy',),
}
_KIND_OF = dict((key, kind) for kind, keys in BUILDER_TEXT.items() for key in keys)


def file_url_inside(url, dirs):
    """Whether a file:// URL names a path inside one of ``dirs`` (normalized absolute directories on the build
    node), judged on its path with the percent-escapes decoded (what dnf and anaconda open): no host but localhost,
    no query or fragment, no ".." segment, no control character and no "%" left (a double escape). The request
    validator (repositories) and the kickstart module (a kickstart's own sources) ask the same question."""
    parts = urlsplit(url)
    path = unquote(parts.path)
    if (parts.scheme.lower() != 'file' or parts.netloc not in ('', 'localhost') or parts.query or parts.fragment
            or not path.startswith('/') or UNSAFE_TEXT_RE.search(path) or '..' in path.split('/') or '%' in path):
        return False
    path = posixpath.normpath(path)
    return any(path == d or path.startswith(d.rstrip('/') + '/') for d in dirs)


def check_text(value, field):
    """A string without control or invisible formatting characters (newlines, zero-width spaces, bidi marks)."""
    if not isinstance(value, str):
        raise FedoraBuildError('%s: must be a string (got %s).' % (field, type(value).__name__))
    if UNSAFE_TEXT_RE.search(value):
        raise FedoraBuildError('%s: %r contains control or invisible characters (such as a newline).'
                               % (field, value[:60]))
    return value


def check_builder_option(key, value, field):
    """Check one builder option's string value (or each item of a list); returns it unchanged."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            check_builder_option(key, item, '%s[%d]' % (field, index))
        return value
    if isinstance(value, dict):
        for name, item in value.items():
            if isinstance(item, str):
                check_text(item, '%s.%s' % (field, name))
        return value
    if not isinstance(value, str) or value == '':
        return value
    check_text(value, field)
    kind = _KIND_OF.get(key)
    what = {'label': 'letters, digits, spaces, ".", "_", "+", "-"; starting with a letter or digit',
            'word': 'letters, digits, ".", "_", "+", "-"; starting with a letter or digit',
            'file_name': 'a file name: letters, digits, ".", "_", "+", "-"; no "/"',
            'package': 'a package name, glob, @group or @^environment (no leading "-", no spaces)'}
    if kind == 'label' and not _LABEL_RE.match(value) or kind in ('word', 'file_name') and not _WORD_RE.match(value):
        raise FedoraBuildError('%s: %r is not allowed (%s).' % (field, value[:60], what[kind]))
    if kind == 'package' and not _PACKAGE_RE.match(value):
        raise FedoraBuildError('%s: %r is not allowed (%s).' % (field, value[:60], what[kind]))
    if kind == 'args' and _ARG_BAD_RE.search(value):
        raise FedoraBuildError('%s: %r contains a character that is not allowed in an argument here (; $ ` | & < > { } \\).'
                               % (field, value[:60]))
    if kind == 'web_url':
        check_url(value, ('http', 'https'), field)
    if kind == 'proxy_url' and '://' not in value:
        if not _PROXY_HOST_RE.match(value):
            raise FedoraBuildError('%s: %r is not a proxy (host:port or a http, https or socks URL).' % (field, value[:60]))
    elif kind == 'proxy_url':
        check_url(value, ('http', 'https', 'socks4', 'socks5', 'socks5h'), field)
    return value


def check_params_text(params, spec, field=''):
    """Walk module params along their argument_spec: strings (also in lists and dicts) must be clean text,
    and a bool is not a number where the spec says int or float (Ansible would pass True on as 1)."""
    for key, opts in spec.items():
        value = params.get(key)
        name = '%s.%s' % (field, key) if field else key
        if value is None:
            continue
        if opts.get('no_log'):
            if isinstance(value, str) and UNSAFE_TEXT_RE.search(value):
                raise FedoraBuildError('%s: contains control or invisible characters (such as a newline).' % name)
            continue
        kind = opts.get('type', 'str')
        if kind in ('int', 'float') and isinstance(value, bool):
            raise FedoraBuildError('%s: %r is a boolean, not a number.' % (name, value))
        items = value if isinstance(value, list) else [value]
        for index, item in enumerate(items):
            item_name = '%s[%d]' % (name, index) if isinstance(value, list) else name
            if isinstance(item, str):
                check_text(item, item_name)
            elif isinstance(item, bool) and opts.get('elements') in ('int', 'float'):
                raise FedoraBuildError('%s: %r is a boolean, not a number.' % (item_name, item))
            elif isinstance(item, dict):
                if opts.get('options'):
                    check_params_text(item, opts['options'], item_name)
                else:
                    for sub, sub_value in item.items():
                        if isinstance(sub_value, str):
                            check_text(sub_value, '%s.%s' % (item_name, sub))
    return params
