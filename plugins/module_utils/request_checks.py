# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Semantic checks of request values: each returns the cleaned value or INVALID after adding a problem.

A problem is one sentence that starts with the field path (``requests[1].koji.builds[0]: ...``). The shape of
the request (unknown fields, types, choices, required fields, mutually exclusive ones) is decided before, by
ansible-core's ArgumentSpecValidator (request_shape.check_input, along request_model.MODEL and RAW): the checks
here get its clean copy, where a value that did not fit is INVALID (already reported, passed on silently). What
stays here is what the validator cannot say: patterns, lengths and ranges, URL schemes, UNSAFE_TEXT, names and
rules across fields. Checks that modules also make call the modules' own functions (validate.py), so the
validator never accepts what a module later refuses. The type-checking helpers (_mapping, _bool, _choice, _int,
_list) serve the builder options (request_builder.py), whose shape is still checked here.
Pure stdlib, Python 3.8+. The one I/O: a kickstart path is looked up on the controller this runs on (its real path
and file type, never its content), to hold it to the operator's fedora_build_kickstart_dirs. The repositories
(repos, with the operator's fedora_build_node_repo_dirs) are request_repos.py's.
"""

from __future__ import annotations

import ipaddress
import os
import posixpath
import re
import stat

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.ondemand.fedora_build.plugins.module_utils import backend_registry
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils.fileutil import SYSTEM_DIRS, SYSTEM_TREES
from ansible_collections.ondemand.fedora_build.plugins.module_utils.request_builder import (
    BACKEND_OPTIONS, BUILDER_OPTIONS, OPERATOR_OPTIONS, _NON_NEGATIVE, only_for)
from ansible_collections.ondemand.fedora_build.plugins.module_utils.request_model import MAX_LIST, MAX_TEXT, MAX_TIMEOUT
from ansible_collections.ondemand.fedora_build.plugins.module_utils.validate import (
    UNSAFE_TEXT_RE, check_builder_option, check_name, check_nvr, check_url)

_HOSTNAME_RE = re.compile(r'^(?=.{1,253}\Z)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?'
                          r'(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?\Z')
_USER_RE = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9._@+-]{0,63}\Z')
_ENV_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_]{0,127}\Z')
_EMAIL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                       r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\Z")
_PKG_NAME_RE = re.compile(r'^[A-Za-z0-9_+][A-Za-z0-9._+-]{0,254}\Z')
# %packages entries: names, globs, @group, @^environment, name.arch, module:stream
_PKG_ENTRY_RE = re.compile(r'^(@\^?[A-Za-z0-9_+.*?:-][A-Za-z0-9 _+.*?:-]{0,254}|[A-Za-z0-9_+*?\[][A-Za-z0-9._+*?\[\]:/-]{0,254})\Z')
_GLOB_RE = re.compile(r'^[A-Za-z0-9_+*?\[][A-Za-z0-9._+*?\[\]-]{0,254}\Z')
# koji_client.SIGKEY_RE (what koji_side_repo accepts), case-insensitive; a test keeps the two equal
_SIGKEY_RE = re.compile(r'^[0-9a-fA-F]{8,40}\Z')
# Koji build and task IDs travel as XML-RPC i8 (koji's marshaller): a signed 64-bit number
MAX_KOJI_ID = 2 ** 63 - 1
_HEX64_RE = re.compile(r'^[0-9a-fA-F]{64}\Z')

INVALID = object()


def show(value, limit=60):
    """repr() of a value for a problem text, cut short so a huge value never floods the report.

    Bounded: it looks at no more than about ``limit`` characters of a string and a few items of a list or
    mapping, so printing a bad value never walks (or renders) a huge structure.
    """
    text = _brief(value, limit + 1, 0)
    size = len(value) if isinstance(value, (str, bytes, list, dict, tuple)) else None
    if len(text) > limit:
        text = '%s...%s' % (text[:limit], ' (%d long)' % size if size is not None else '')
    elif isinstance(value, (list, dict, tuple)) and size > _SHOWN_ITEMS:
        text += ' (%d long)' % size
    return text


_SHOWN_ITEMS = 8


def _brief(value, budget, depth):
    """repr() of value, at most about ``budget`` characters, without visiting more than that of it."""
    if isinstance(value, (str, bytes)):
        return repr(value[:budget])
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        if value.bit_length() > 128:
            return '<a %d-bit number>' % value.bit_length()
        return repr(value)
    if isinstance(value, (list, tuple, dict)):
        if depth > 3:
            return '[...]' if isinstance(value, list) else ('(...)' if isinstance(value, tuple) else '{...}')
        items = iter(value.items()) if isinstance(value, dict) else iter(value)
        parts, used = [], 0
        for index, item in enumerate(items):
            if used > budget or index >= _SHOWN_ITEMS:
                parts.append('...')
                break
            if isinstance(value, dict):
                part = '%s: %s' % (_brief(item[0], budget - used, depth + 1), _brief(item[1], budget - used, depth + 1))
            else:
                part = _brief(item, budget - used, depth + 1)
            parts.append(part)
            used += len(part) + 2
        opening, closing = ('{', '}') if isinstance(value, dict) else (('[', ']') if isinstance(value, list) else ('(', ')'))
        return opening + ', '.join(parts) + closing
    return '<%s>' % type(value).__name__


def kind(value):
    """'a mapping', 'a list', ... for 'must be X (got Y)' sentences."""
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'a boolean'
    if isinstance(value, dict):
        return 'a mapping'
    if isinstance(value, (list, tuple)):
        return 'a list'
    if isinstance(value, str):
        return 'a string'
    if isinstance(value, int):
        return 'a number'
    if isinstance(value, float):
        return 'a decimal number'
    return 'a %s' % type(value).__name__


def _join(path, key):
    if isinstance(key, int):
        return '%s[%d]' % (path, key)
    if isinstance(key, str) and re.fullmatch(r'[A-Za-z0-9_-]{1,64}', key):
        return '%s.%s' % (path, key) if path else key
    return '%s[%s]' % (path, show(key, 40))


class Problems(object):
    """Collects one-sentence problems, each starting with the field path."""

    def __init__(self):
        self.items = []

    def add(self, path, text):
        self.items.append('%s: %s' % (path, text))
        return INVALID

    def check(self, func, *args, **kwargs):
        """Run a validate.py check; its FedoraBuildError becomes a problem."""
        try:
            return func(*args, **kwargs)
        except FedoraBuildError as exc:
            self.items.append(exc.msg)
            return INVALID

    def __len__(self):
        return len(self.items)


# --- scalar checks: each returns the cleaned value or INVALID (after adding a problem) ------------------------

def _text(p, value, path, max_len=MAX_TEXT, what='a string'):
    if value is INVALID:
        return value
    if not isinstance(value, str):  # builder options and operator names only: the validator typed the rest
        return p.add(path, 'must be %s (got %s).' % (what, kind(value)))
    if not value.strip():
        return p.add(path, 'is empty.')
    if len(value) > max_len:
        return p.add(path, 'is %d characters long; at most %d are allowed.' % (len(value), max_len))
    if UNSAFE_TEXT_RE.search(value):
        return p.add(path, '%s contains control characters (such as a newline) or invisible zero-width or bidi '
                           'characters.' % show(value))
    return value


def _matching(p, value, path, max_len, regex, what):
    """A clean string of at most max_len characters that regex matches in full; else one problem saying what it
    should be."""
    text = _text(p, value, path, max_len)
    if text is INVALID:
        return text
    if not regex.fullmatch(text):
        return p.add(path, '%s is not %s.' % (show(value), what))
    return text


def _secret(p, value, path):
    """Like _text, but never echoes the value (a string: the validator's)."""
    if value is INVALID:
        return value
    if not value or len(value) > MAX_TEXT or UNSAFE_TEXT_RE.search(value):
        return p.add(path, 'must be 1 to %d characters without control or invisible characters (the value is not '
                           'shown).' % MAX_TEXT)
    return value


def _bool(p, value, path):
    if not isinstance(value, bool):
        return p.add(path, 'must be true or false (got %s).' % show(value))
    return value


def _int(p, value, path, minimum=None, maximum=None):
    """A builder option's whole number (its shape is not the validator's yet)."""
    if not (isinstance(value, int) and not isinstance(value, bool)
            or isinstance(value, str) and re.fullmatch(r'\s*-?[0-9]{1,18}\s*', value)):
        return p.add(path, 'must be a whole number (got %s).' % show(value))
    return _bounded(p, value, path, minimum, maximum)


def _bounded(p, value, path, minimum=None, maximum=None):
    """A whole number (or its digits, as the validator lets the raw input give it) within its range."""
    if value is INVALID:
        return value
    number = int(value)
    if minimum is not None and number < minimum or maximum is not None and number > maximum:
        if maximum is None:
            return p.add(path, '%d is out of range (at least %d).' % (number, minimum))
        return p.add(path, '%d is out of range (%d to %d).' % (number, minimum, maximum))
    return number


def _choice(p, value, path, choices):
    if not isinstance(value, str) or value not in choices:
        return p.add(path, '%s is not one of %s.' % (show(value), ', '.join(choices)))
    return value


def _abs_path(p, value, path, what='an absolute path'):
    text = _text(p, value, path, what=what)
    if text is INVALID:
        return text
    if not text.startswith('/'):
        return p.add(path, '%s is not %s (it must start with "/").' % (show(value), what))
    if '..' in text.split('/'):
        return p.add(path, '%s must not contain "..".' % show(value))
    return posixpath.normpath(text)


def _url(p, value, path, schemes):
    text = _text(p, value, path, what='a URL')
    if text is INVALID:
        return text
    return p.check(check_url, text, schemes, field=path)


def _list(p, value, path, what='a list'):
    """A list (None -> []); a single scalar is NOT silently wrapped."""
    if value is None:
        return []
    if value is INVALID:
        return value
    if not isinstance(value, (list, tuple)):
        return p.add(path, 'must be %s (got %s).' % (what, kind(value)))
    if len(value) > MAX_LIST:
        return p.add(path, 'has %d entries; at most %d are allowed.' % (len(value), MAX_LIST))
    return list(value)


def _each(p, value, path, func, what='a list', unique=True):
    """Check every entry of a list with func(p, item, path[i]); returns the cleaned list (duplicates dropped)."""
    items = _list(p, value, path, what)
    if items is INVALID:
        return items
    out, bad = [], False
    for index, item in enumerate(items):
        clean = INVALID if item is INVALID else func(p, item, _join(path, index))
        if clean is INVALID:
            bad = True
        elif not unique or clean not in out:
            out.append(clean)
    return INVALID if bad else out


def _mapping(p, value, path, known, what=None, also=()):
    """Check that value is a dict whose keys are all in known (or also); unknown keys are problems.

    Returns INVALID only when value is not a mapping, so the known fields are still checked; callers take
    ``start = len(p)`` before calling and compare at the end.
    """
    if not isinstance(value, dict):
        detail = ' with the fields %s' % ', '.join(known) if what is None else what
        return p.add(path, 'must be a mapping%s (got %s).' % (detail, kind(value)))
    for key in unknown_fields(value, tuple(known) + tuple(also)):
        p.add(_join(path, key), 'unknown field; known fields are %s.' % ', '.join(known))
    return value


def unknown_fields(value, known):
    """The keys of mapping ``value`` that are not in ``known``, in the mapping's order: ansible-core's
    ArgumentSpecValidator decides (its unsupported parameters); a key that is not a string is never a field."""
    names = [key for key in value if isinstance(key, str)]
    spec = dict((name, {'type': 'raw'}) for name in known)
    unsupported = set(ArgumentSpecValidator(spec).validate(dict.fromkeys(names)).unsupported_parameters)
    return [key for key in value if not isinstance(key, str) or key in unsupported]


def _opt(p, data, key, path, func, *args, **kwargs):
    """data[key] checked with func, or None when absent/null."""
    value = data.get(key)
    if value is None or value is INVALID:
        return value
    return func(p, value, _join(path, key), *args, **kwargs)


# --- request parts ------------------------------------------------------------------------------------------

KICKSTART_DIRS = 'fedora_build_kickstart_dirs'
KOJI_GPGKEYS = 'fedora_build_koji_gpgkeys'


def _inside(path, directory):
    return path == directory or path.startswith(directory.rstrip('/') + '/')


def _controller_kickstart(p, value, path, dirs):
    """A request's kickstart path on the controller: a regular file inside one of the operator's kickstart
    directories (``dirs``, normalized absolute paths), as written and with every symlink resolved. Returns the
    real path (what the build reads), or INVALID. The problems never tell what lies outside those directories."""
    text = _abs_path(p, value, path, 'an absolute path on the controller or an http, https or ftp URL')
    if text is INVALID:
        return text
    if not dirs:
        return p.add(path, '%s is a path on the controller, where the operator lists no directory for requested '
                           'kickstarts (%s); give an http, https or ftp URL.' % (show(value, 300), KICKSTART_DIRS))
    if not any(_inside(text, directory) for directory in dirs):
        return p.add(path, '%s is not inside a directory the operator lists for requested kickstarts (%s: %s); give '
                           'a path there or an http, https or ftp URL.' % (show(value, 300), KICKSTART_DIRS, ', '.join(dirs)))
    real = os.path.realpath(text)
    if not any(_inside(real, os.path.realpath(directory)) for directory in dirs):
        return p.add(path, '%s leads through a symbolic link out of the directories the operator lists for requested '
                           'kickstarts (%s).' % (show(value, 300), KICKSTART_DIRS))
    try:
        mode = os.stat(real).st_mode
    except OSError:
        mode = 0
    if not stat.S_ISREG(mode):
        return p.add(path, '%s is not a file on the controller.' % show(value, 300))
    return real


def _kickstart_dir(p, value, path):
    """One of the operator's kickstart directories: an absolute directory on the controller, not a system one."""
    text = _abs_path(p, value, path, 'an absolute directory on the controller')
    if text is INVALID:
        return text
    real = os.path.realpath(text)
    if real in SYSTEM_DIRS or real in ('/home', '/root') or any(_inside(real, tree) for tree in SYSTEM_TREES):
        return p.add(path, '%s is a system directory; list the directories that hold only kickstarts a requester may '
                           'build.' % show(value, 300))
    if not os.path.isdir(real):
        return p.add(path, '%s is not a directory on the controller.' % show(value, 300))
    return text


def _kickstart(p, value, path, image_type, backend, dirs=None):
    """dirs: the operator's kickstart directories (defaults.kickstart_dirs); none: no path kickstart."""
    needed = image_type == 'dvd' or image_type == 'live' and backend != 'kiwi'
    if value is None:
        if needed:
            p.add(path, 'missing; image_type %s%s needs a kickstart (give src: a path on the controller or a URL).'
                  % (image_type, ' with backend livemedia-creator' if image_type == 'live' else ''))
            return INVALID
        return None
    if image_type == 'boot':
        return p.add(path, 'image_type boot (lorax) does not use a kickstart; remove this field.')
    if image_type == 'live' and backend == 'kiwi':
        return p.add(path, 'backend kiwi builds from builder.description, not from a kickstart; remove this field.')
    if value is INVALID:
        return value
    data = {'src': value} if isinstance(value, str) else value
    start = len(p)
    out = {}
    src = data.get('src')
    src_path = _join(path, 'src')
    if src is INVALID:
        out['src'] = src
    elif '://' in src:
        out['src'] = _url(p, src, src_path, ('http', 'https', 'ftp'))
    else:
        out['src'] = _controller_kickstart(p, src, src_path, dirs)
    checksum = data.get('checksum')
    out['checksum'] = None if checksum is None else INVALID
    if checksum not in (None, INVALID):
        text = _text(p, checksum, _join(path, 'checksum'))
        if text is not INVALID:
            hexpart = text[7:] if text.lower().startswith('sha256:') else text
            if _HEX64_RE.fullmatch(hexpart):
                out['checksum'] = 'sha256:' + hexpart.lower()
            else:
                p.add(_join(path, 'checksum'), '%s is not a sha256 checksum (sha256:<64 hex digits> or 64 hex digits).'
                      % show(checksum))
    for key in ('packages', 'exclude_packages'):
        out[key] = _each(p, data.get(key), _join(path, key), _package_entry)
    return out if len(p) == start and INVALID not in out.values() else INVALID


def _package_entry(p, value, path):
    return _matching(p, value, path, 255, _PKG_ENTRY_RE, 'a package name, glob, @group or @^environment')


def _package_name(p, value, path):
    """A package name for koji.tag_latest: koji_side_repo checks it with validate.check_name, so that decides."""
    text = _text(p, value, path, 255)
    if text is INVALID:
        return text
    if not _PKG_NAME_RE.fullmatch(text):
        return p.add(path, '%s is not a package name.' % show(value))
    return p.check(check_name, text, field=path)


def _build_item(p, value, path):
    if isinstance(value, int) and not isinstance(value, bool):
        if 0 < value <= MAX_KOJI_ID:
            return value
        if value > 0:
            return p.add(path, '%s is too large for a Koji build ID (at most 2**63-1).' % show(value))
        return p.add(path, '%s is not a valid build ID (a positive number).' % value)
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit() and text.isascii() and len(text) <= 19:
            return _build_item(p, int(text), path)
        if len(text) <= 512:
            try:
                check_nvr(text, field=path)
                return text
            except FedoraBuildError:
                pass
    return p.add(path, '%s is not an NVR (name-version-release) or a numeric build ID.' % show(value))


def _task_item(p, value, path):
    number = int(value)  # a whole number or its digits: the validator's
    if number > MAX_KOJI_ID:
        return p.add(path, '%s is too large for a Koji task ID (at most 2**63-1).' % show(value))
    if number <= 0:
        return p.add(path, '%s is not a Koji task ID (a positive number).' % show(value))
    return number


def _tag_latest(p, data, path):
    start = len(p)
    tag = data['tag']
    if _text(p, tag, _join(path, 'tag'), 128) is not INVALID:
        p.check(check_name, tag, field=_join(path, 'tag'))
    packages = _each(p, data['packages'], _join(path, 'packages'), _package_name)
    if packages == []:
        p.add(_join(path, 'packages'), 'is empty; give the package names whose latest build to take.')
    return {'tag': tag, 'packages': packages} if len(p) == start and INVALID not in (tag, packages) else INVALID


def _sigkey(p, value, path):
    if value == '':
        return ''
    if not _SIGKEY_RE.fullmatch(value):
        return p.add(path, '%s is not a Koji signing key ID (8 to 40 hex digits) or "" (unsigned copies allowed).'
                     % show(value))
    return value.lower()


def _gpgkey(p, value, path, names=()):
    """koji.gpgkeys[]: the name of one of the operator's key files (fedora_build_koji_gpgkeys, ``names``), never a
    node path: koji_side_repo reads the file as root (rpmkeys --import), and would say whether it exists."""
    text = _text(p, value, path, 64)
    if text is INVALID:
        return text
    if '/' in text or text.startswith('.'):
        return p.add(path, "%s looks like a path; give the name of one of the operator's public keys (%s), the "
                           'operator chooses the node files.' % (show(value), KOJI_GPGKEYS))
    if text not in names:
        return p.add(path, "%s is not one of the operator's public keys (known: %s)."
                     % (show(value), ', '.join(sorted(names)) or 'none; the operator sets %s' % KOJI_GPGKEYS))
    return text


def _glob(p, value, path):
    text = _text(p, value, path, 255)
    if text is INVALID:
        return text
    if not _GLOB_RE.fullmatch(text):
        return p.add(path, '%s is not a package name glob.' % show(value))
    return text


def _builder_value(p, value, path, spec, key):
    kind_ = spec['type']
    if kind_ == 'bool':
        return _bool(p, value, path)
    if kind_ == 'int':
        if key == 'timeout':
            return _int(p, value, path, 1, MAX_TIMEOUT)
        return _int(p, value, path, 0 if key in _NON_NEGATIVE else 1, 2 ** 31)
    if kind_ == 'path':
        return _abs_path(p, value, path, 'an absolute path on the build node')
    if kind_ == 'dict':
        if not isinstance(value, dict):
            return p.add(path, 'must be a mapping of names to strings (got %s).' % kind(value))
        out, start = {}, len(p)
        for name, item in value.items():
            if not isinstance(name, str) or not re.fullmatch(r'[A-Za-z_][A-Za-z0-9_]{0,63}', name):
                p.add(path, '%s is not a variable name.' % show(name))
            elif isinstance(item, bool) or not isinstance(item, (str, int, float)):
                p.add(_join(path, name), 'must be a string or a number (got %s).' % kind(item))
            elif isinstance(item, str):
                out[name] = _text(p, item, _join(path, name))
            else:
                out[name] = item
        return out if len(p) == start else INVALID
    if kind_ == 'list':
        element = dict(spec, type=spec.get('elements', 'str'))
        return _each(p, value, path, lambda p_, v, f: _builder_value(p_, v, f, element, key), unique=False)
    # str
    if spec.get('choices'):
        return _choice(p, value, path, spec['choices'])
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    value = _text(p, value, path)
    if value is INVALID:
        return value
    return p.check(check_builder_option, key, value, path)


def _builder(p, value, path, image_type, default_timeout, kiwi_names=None, release=None, arch=None):
    """kiwi_names: the operator's kiwi description names (None when the validator cannot see them); release: the
    request's release (the dvd backend's default depends on it); arch: the request's arch (what the module gets)."""
    options = BUILDER_OPTIONS[image_type]
    start = len(p)
    if isinstance(value, dict):
        operators = set(key for keys in OPERATOR_OPTIONS.values() for key in keys)
        for key in [key for key in value if key in operators and key not in options]:
            p.add(_join(path, key), "names a file on the build node, which is the operator's to choose "
                                    '(fedora_build_builder_paths); a request cannot set it, remove this field.')
        value = dict((key, item) for key, item in value.items() if key not in operators or key in options)
    data = {} if value is None else _mapping(p, value, path, tuple(options))
    if data is INVALID:
        return data
    out = {}
    for key, spec in options.items():
        if data.get(key) is not None:
            out[key] = _builder_value(p, data[key], _join(path, key), spec, key)
    if out.get('description') not in (None, INVALID):
        out['description'] = _kiwi_description(p, out['description'], _join(path, 'description'), kiwi_names)
    out.setdefault('timeout', default_timeout)
    if image_type == 'boot':
        out.setdefault('product', 'Fedora')
    if 'backend' in options:  # an image type with more than one backend (the registry's): options follow it
        # the default backend may depend on the release (dvd: legacy pungi up to Fedora 31, pungi-koji after)
        backend = out.setdefault('backend', backend_registry.default_for(image_type, release).name)
        if backend == 'kiwi' and 'description' not in out:
            p.add(_join(path, 'description'), "missing; backend kiwi needs the name of one of the operator's kiwi "
                                              'descriptions (fedora_build_kiwi_descriptions).')
        if backend in BACKEND_OPTIONS:
            for key in only_for(image_type, backend):
                if key in out and out[key] is not INVALID:  # a bad value is said once, by its own check
                    owners = [name for name in backend_registry.names(image_type) if key in BACKEND_OPTIONS[name]]
                    p.add(_join(path, key), 'only applies to backend %s, not to %s.' % (' or '.join(owners), backend))
    _backend_checks(p, out, path, image_type, release, arch)
    return out if len(p) == start else INVALID


def _backend_checks(p, out, path, image_type, release, arch):
    """The resolved backend's own option checks (Backend.option_checks, what its module runs before the build) on
    the options as the module will get them: the spec's defaults, the pipeline's defaults for the request
    (Backend.pipeline_args), then the request's values; a value already refused is not checked again."""
    name = out.get('backend')
    if name is INVALID or release is INVALID or name is not None and name not in BACKEND_OPTIONS:
        return
    backend = backend_registry.resolve(image_type, name, release)
    mine = BACKEND_OPTIONS[backend.name]
    options = dict((key, backend.argument_spec[key].get('default')) for key in mine)
    defaults, _fixed = backend.pipeline_args({'release': release}, dict(side={}, kickstart=None, base_repos=[],
                                                                        mirror_urls=[]))
    options.update((key, item) for key, item in defaults.items() if key in mine)
    options.update((key, None if item is INVALID else item) for key, item in out.items() if key in mine)
    options['arch'] = None if arch is INVALID else arch
    p.items.extend(backend.option_problems(options, path))


def _kiwi_description(p, value, path, names):
    """builder.description: the name of an operator's kiwi description, never a node directory."""
    if '/' in value or value.startswith('.'):
        return p.add(path, "%s looks like a path; give the name of one of the operator's kiwi descriptions "
                           '(fedora_build_kiwi_descriptions), the operator chooses the node directories.' % show(value))
    if names is not None and value not in names:
        return p.add(path, "%s is not one of the operator's kiwi descriptions (known: %s)."
                     % (show(value), ', '.join(sorted(names)) or 'none; the operator sets fedora_build_kiwi_descriptions'))
    return p.check(check_name, value, field=path)


def _host(p, value, path):
    text = _text(p, value, path, 253)
    if text is INVALID:
        return text
    try:
        return str(ipaddress.ip_address(text.strip('[]')))
    except ValueError:
        pass
    if not _HOSTNAME_RE.fullmatch(text) or text.replace('.', '').isdigit():
        return p.add(path, '%s is not a host name or IP address.' % show(value))
    return text.lower().rstrip('.')


def _user(p, value, path):
    return _matching(p, value, path, 64, _USER_RE, 'a user name (letters, digits, ".", "_", "@", "+", "-")')


def _email(p, value, path):
    return _matching(p, value, path, 254, _EMAIL_RE, 'an email address')
