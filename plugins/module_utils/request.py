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

Pure stdlib, Python 3.8+, no I/O: runs on the controller.
"""

from __future__ import annotations

import copy
import ipaddress
import posixpath
import re

from ansible_collections.ondemand.fedora_build.plugins.module_utils import build_identity, destinations
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils.validate import (
    check_builder_option, check_name, check_nvr, check_release, check_url)

IMAGE_TYPES = ('boot', 'dvd', 'live')
ARCHES = ('x86_64', 'aarch64', 'ppc64le', 's390x')
SECONDARY_ARCHES = ('ppc64le', 's390x')
PRESETS = ('release', 'updates', 'updates-testing', 'rawhide')
PRESET_REPO_NAMES = {'release': 'fedora', 'updates': 'updates', 'updates-testing': 'updates-testing',
                     'rawhide': 'rawhide'}
DEFAULT_PRESETS = ('release', 'updates')
DEFAULT_RAWHIDE_PRESETS = ('rawhide',)
PRIMARY_MIRROR = 'https://dl.fedoraproject.org/pub/fedora/linux'
SECONDARY_MIRROR = 'https://dl.fedoraproject.org/pub/fedora-secondary'
METALINK = 'https://mirrors.fedoraproject.org/metalink'
REPO_SOURCES = ('baseurl', 'metalink')
DEFAULT_ARCH = 'x86_64'
FEDORA_KOJI_HUB = 'https://koji.fedoraproject.org/kojihub'
FEDORA_KOJI_TOPURL = 'https://kojipkgs.fedoraproject.org'
# Same as koji_client.DEFAULT_EXCLUDE (a unit test keeps them equal; koji_client imports koji).
KOJI_DEFAULT_EXCLUDE = ('*-debuginfo', '*-debugsource', '*-debuginfo-*', '*-debugsource-*')
KOJI_AUTH = ('none', 'ssl', 'kerberos', 'password')
NOTIFY_EVENTS = ('submitted', 'succeeded', 'failed')
STAGING_TYPES = ('local', 'ssh', 'ftp')
LIVE_BACKENDS = ('livemedia-creator', 'kiwi')
DEFAULT_TIMEOUT = 4 * 3600  # builders.DEFAULT_TIMEOUT
MAX_TIMEOUT = 7 * 24 * 3600
MAX_TEXT = 4096
MAX_LIST = 1000
ROOTFS_TYPES = ('squashfs', 'squashfs-ext4', 'erofs', 'erofs-ext4')

# --- field lists (the argument spec test compares roles/build/meta/argument_specs.yml with these) ---
REQUEST_FIELDS = ('image_type', 'name', 'release', 'arch', 'kickstart', 'koji', 'repos', 'builder', 'staging',
                  'notify', 'force')
# computed fields: accepted on input only when they equal what the validator computes
COMPUTED_FIELDS = ('request_id',)
KICKSTART_FIELDS = ('src', 'checksum', 'include_path', 'packages', 'exclude_packages')
KOJI_CONNECTION = ('profile', 'hub_url', 'topurl')
# optional: present in the normalized request only when set
KOJI_OPTIONAL = ('ca_cert', 'validate_certs', 'auth', 'client_cert', 'principal', 'keytab', 'username', 'password',
                 'password_env', 'timeout', 'retries', 'parallel')
KOJI_FIELDS = (('hub',) + KOJI_CONNECTION + KOJI_OPTIONAL
               + ('builds', 'tasks', 'tag_latest', 'sigkeys', 'gpgkeys', 'multilib', 'exclude'))
# what a request may give under koji: no login, no secret and no file (destinations.py); 'hub' names an operator hub
KOJI_REQUEST_FIELDS = tuple(key for key in KOJI_FIELDS if key not in destinations.KOJI_SECRET_FIELDS)
# an operator hub (fedora_build_koji_hubs.NAME): the connection and its login
KOJI_HUB_FIELDS = KOJI_CONNECTION + KOJI_OPTIONAL
TAG_LATEST_FIELDS = ('tag', 'packages')
REPOS_FIELDS = ('presets', 'mirror', 'source', 'extra')
REPOS_COMPUTED = ('resolved',)
EXTRA_REPO_FIELDS = ('name', 'baseurl', 'metalink', 'mirrorlist', 'cost', 'priority')
REPO_URL_KEYS = ('baseurl', 'metalink', 'mirrorlist')
STAGING_FIELDS = {
    'local': ('type', 'path'),
    'ssh': ('type', 'host', 'port', 'user', 'path', 'identity_file', 'known_hosts_file'),
    'ftp': ('type', 'host', 'port', 'user', 'password', 'password_env', 'path', 'tls'),
}
NOTIFY_FIELDS = ('email', 'webhook', 'on')
# operator settings: the named destinations (docs/security.md, "Trust model")
DESTINATION_FIELDS = ('staging_targets', 'koji_hubs', 'webhooks', 'allow_request_destinations')
DEFAULTS_FIELDS = ('arch', 'koji', 'staging', 'timeout') + DESTINATION_FIELDS

# --- builder options a request may set, per image type -------------------------------------------------------
# Each entry mirrors the builder module's argument_spec entry (type, elements, choices); the pipeline itself sets
# dest, work_root, build_id, arch, force, keep_work_dir, the repositories (sources, repos, repo_files, mirrorlists,
# enablerepos, disablerepos, side_repos, add_repos), the kickstart, the release (lorax version/release, pungi
# version, livemedia-creator releasever, kiwi release_version) and the cache dirs (fedora_build_cache_dir).
_TIMEOUT = dict(type='int')
BUILDER_OPTIONS = {
    'boot': dict(
        product=dict(type='str'),
        variant=dict(type='str'),
        bugurl=dict(type='str'),
        isfinal=dict(type='bool'),
        volid=dict(type='str'),
        macboot=dict(type='bool'),
        noupgrade=dict(type='bool'),
        installpkgs=dict(type='list', elements='str'),
        excludepkgs=dict(type='list', elements='str'),
        rootfs_size=dict(type='int'),
        rootfs_type=dict(type='str', choices=list(ROOTFS_TYPES)),
        noverify=dict(type='bool'),
        noverifyssl=dict(type='bool'),
        dnfplugins=dict(type='list', elements='str'),
        skip_branding=dict(type='bool'),
        dracut_args=dict(type='list', elements='str'),
        dracut_conf=dict(type='path'),
        source_date_epoch=dict(type='int'),
        config=dict(type='path'),
        sharedir=dict(type='path'),
        add_templates=dict(type='list', elements='path'),
        add_template_vars=dict(type='dict'),
        add_arch_templates=dict(type='list', elements='path'),
        add_arch_template_vars=dict(type='dict'),
        proxy=dict(type='str'),
        timeout=_TIMEOUT,
    ),
    'dvd': dict(
        name=dict(type='str'),
        flavor=dict(type='str'),
        bugurl=dict(type='str'),
        nosource=dict(type='bool'),
        sourceisos=dict(type='bool'),
        nodebuginfo=dict(type='bool'),
        selfhosting=dict(type='bool'),
        fulltree=dict(type='bool'),
        nogreedy=dict(type='bool'),
        greedy=dict(type='str', choices=['none', 'all', 'build']),
        multilib=dict(type='list', elements='str'),
        lookaside_repos=dict(type='list', elements='str'),
        nodeps=dict(type='bool'),
        isfinal=dict(type='bool'),
        nohash=dict(type='bool'),
        full_archlist=dict(type='bool'),
        no_dvd=dict(type='bool'),
        nomacboot=dict(type='bool'),
        installpkgs=dict(type='list', elements='str'),
        rootfs_size=dict(type='int'),
        lorax_conf=dict(type='path'),
        stages=dict(type='list', elements='str', choices=['all', 'gather', 'createrepo', 'buildinstall', 'createiso']),
        timeout=_TIMEOUT,
    ),
    'live': dict(
        backend=dict(type='str', choices=list(LIVE_BACKENDS)),
        # livemedia-creator
        make=dict(type='str', choices=['iso', 'disk']),
        project=dict(type='str'),
        volid=dict(type='str'),
        iso_name=dict(type='str'),
        image_name=dict(type='str'),
        qcow2=dict(type='bool'),
        fs_label=dict(type='str'),
        lorax_templates=dict(type='path'),
        extra_boot_args=dict(type='str'),
        macboot=dict(type='bool'),
        rootfs_type=dict(type='str', choices=list(ROOTFS_TYPES)),
        dracut_args=dict(type='list', elements='str'),
        anaconda_args=dict(type='list', elements='str'),
        anaconda_timeout=dict(type='int'),
        # kiwi
        description=dict(type='path'),
        kiwi_file=dict(type='str'),
        profiles=dict(type='list', elements='str'),
        image_type=dict(type='str'),
        ignore_repos=dict(type='bool'),
        clear_cache=dict(type='bool'),
        add_packages=dict(type='list', elements='str'),
        delete_packages=dict(type='list', elements='str'),
        signing_keys=dict(type='list', elements='str'),
        timeout=_TIMEOUT,
    ),
}
LMC_ONLY = ('make', 'project', 'volid', 'iso_name', 'image_name', 'qcow2', 'fs_label', 'lorax_templates',
            'extra_boot_args', 'macboot', 'rootfs_type', 'dracut_args', 'anaconda_args', 'anaconda_timeout')
KIWI_ONLY = ('description', 'kiwi_file', 'profiles', 'image_type', 'ignore_repos', 'clear_cache', 'add_packages',
             'delete_packages', 'signing_keys')
# non-negative ints; everything else of type int must be positive
_NON_NEGATIVE = ('source_date_epoch',)

_HOSTNAME_RE = re.compile(r'^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?'
                          r'(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$')
_USER_RE = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9._@+-]{0,63}$')
_ENV_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_]{0,127}$')
_EMAIL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                       r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")
_PKG_NAME_RE = re.compile(r'^[A-Za-z0-9_+][A-Za-z0-9._+-]{0,254}$')
# %packages entries: names, globs, @group, @^environment, name.arch, module:stream
_PKG_ENTRY_RE = re.compile(r'^(@\^?[A-Za-z0-9_+.*?:-][A-Za-z0-9 _+.*?:-]{0,254}|[A-Za-z0-9_+*?\[][A-Za-z0-9._+*?\[\]:/-]{0,254})$')
_GLOB_RE = re.compile(r'^[A-Za-z0-9_+*?\[][A-Za-z0-9._+*?\[\]-]{0,254}$')
_SIGKEY_RE = re.compile(r'^[0-9a-fA-F]{8}$')
_HEX64_RE = re.compile(r'^[0-9a-fA-F]{64}$')
_CONTROL_RE = re.compile(r'[\x00-\x1f\x7f]')

INVALID = object()


def show(value, limit=60):
    """repr() of a value for a problem text, cut short so a huge value never floods the report."""
    try:
        text = repr(value)
    except Exception:  # pylint: disable=broad-except
        text = '<%s>' % type(value).__name__
    if len(text) > limit:
        size = len(value) if isinstance(value, (str, list, dict, tuple)) else None
        text = '%s...%s' % (text[:limit], ' (%d long)' % size if size is not None else '')
    return text


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
    if isinstance(key, str) and re.match(r'^[A-Za-z0-9_-]{1,64}$', key):
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
    if not isinstance(value, str):
        return p.add(path, 'must be %s (got %s).' % (what, kind(value)))
    if not value.strip():
        return p.add(path, 'is empty.')
    if len(value) > max_len:
        return p.add(path, 'is %d characters long; at most %d are allowed.' % (len(value), max_len))
    if _CONTROL_RE.search(value):
        return p.add(path, '%s contains control characters (such as a newline).' % show(value))
    return value


def _secret(p, value, path):
    """Like _text, but never echoes the value."""
    if not isinstance(value, str):
        return p.add(path, 'must be a string (got %s).' % kind(value))
    if not value or len(value) > MAX_TEXT or _CONTROL_RE.search(value):
        return p.add(path, 'must be 1 to %d characters without control characters (the value is not shown).' % MAX_TEXT)
    return value


def _bool(p, value, path):
    if not isinstance(value, bool):
        return p.add(path, 'must be true or false (got %s).' % show(value))
    return value


def _int(p, value, path, minimum=None, maximum=None):
    number = INVALID
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and re.match(r'^\s*-?[0-9]{1,18}\s*$', value):
        number = int(value)
    if number is INVALID:
        return p.add(path, 'must be a whole number (got %s).' % show(value))
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
        clean = func(p, item, _join(path, index))
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
    for key in value:
        if key not in known and key not in also:
            p.add(_join(path, key), 'unknown field; known fields are %s.' % ', '.join(known))
    return value


def _opt(p, data, key, path, func, *args, **kwargs):
    """data[key] checked with func, or None when absent/null."""
    value = data.get(key)
    if value is None:
        return None
    return func(p, value, _join(path, key), *args, **kwargs)


# --- request parts ------------------------------------------------------------------------------------------

def _kickstart(p, value, path, image_type, backend):
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
    if isinstance(value, str):
        value = {'src': value}
    start = len(p)
    data = _mapping(p, value, path, KICKSTART_FIELDS)
    if data is INVALID:
        return data
    out = {}
    src = data.get('src')
    src_path = _join(path, 'src')
    if src is None:
        p.add(src_path, 'missing; give an absolute path on the controller or an http, https or ftp URL.')
    elif isinstance(src, str) and '://' in src:
        out['src'] = _url(p, src, src_path, ('http', 'https', 'ftp'))
    else:
        out['src'] = _abs_path(p, src, src_path, 'an absolute path on the controller or an http, https or ftp URL')
    checksum = data.get('checksum')
    out['checksum'] = None
    if checksum is not None:
        text = _text(p, checksum, _join(path, 'checksum'))
        if text is not INVALID:
            hexpart = text[7:] if text.lower().startswith('sha256:') else text
            if _HEX64_RE.match(hexpart):
                out['checksum'] = 'sha256:' + hexpart.lower()
            else:
                p.add(_join(path, 'checksum'), '%s is not a sha256 checksum (sha256:<64 hex digits> or 64 hex digits).'
                      % show(checksum))
    out['include_path'] = _each(p, data.get('include_path'), _join(path, 'include_path'),
                                lambda p_, v, f: _abs_path(p_, v, f, 'an absolute directory on the build node'))
    for key in ('packages', 'exclude_packages'):
        out[key] = _each(p, data.get(key), _join(path, key), _package_entry)
    return out if len(p) == start else INVALID


def _package_entry(p, value, path):
    text = _text(p, value, path, 255)
    if text is INVALID:
        return text
    if not _PKG_ENTRY_RE.match(text):
        return p.add(path, '%s is not a package name, glob, @group or @^environment.' % show(value))
    return text


def _package_name(p, value, path):
    text = _text(p, value, path, 255)
    if text is INVALID:
        return text
    if not _PKG_NAME_RE.match(text):
        return p.add(path, '%s is not a package name.' % show(value))
    return text


def _build_item(p, value, path):
    if isinstance(value, int) and not isinstance(value, bool):
        if value > 0:
            return value
        return p.add(path, '%s is not a valid build ID (a positive number).' % value)
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit() and text.isascii():
            return _build_item(p, int(text), path)
        if len(text) <= 512:
            try:
                check_nvr(text, field=path)
                return text
            except FedoraBuildError:
                pass
    return p.add(path, '%s is not an NVR (name-version-release) or a numeric build ID.' % show(value))


def _task_item(p, value, path):
    number = INVALID
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().isdigit() and value.strip().isascii() and len(value) < 19:
        number = int(value.strip())
    if number is INVALID or number <= 0:
        return p.add(path, '%s is not a Koji task ID (a positive number).' % show(value))
    return number


def _tag_latest(p, value, path):
    start = len(p)
    data = _mapping(p, value, path, TAG_LATEST_FIELDS)
    if data is INVALID:
        return data
    tag = data.get('tag')
    if tag is None:
        p.add(_join(path, 'tag'), 'missing; give the Koji tag name.')
    elif _text(p, tag, _join(path, 'tag'), 128) is not INVALID:
        p.check(check_name, tag, field=_join(path, 'tag'))
    packages = _each(p, data.get('packages'), _join(path, 'packages'), _package_name)
    if packages == []:
        p.add(_join(path, 'packages'), 'missing or empty; give the package names whose latest build to take.')
    return {'tag': tag, 'packages': packages} if len(p) == start else INVALID


def _sigkey(p, value, path):
    if value == '':
        return ''
    if not isinstance(value, str) or not _SIGKEY_RE.match(value):
        return p.add(path, '%s is not a Koji signing key ID (8 hex digits) or "" (unsigned copies allowed).'
                     % show(value))
    return value.lower()


def _gpgkey(p, value, path):
    # koji_side_repo checks signatures with keys on the node (rpmkeys --import <file>): no URLs.
    return _abs_path(p, value, path, 'an absolute path of a public key file on the build node')


def _glob(p, value, path):
    text = _text(p, value, path, 255)
    if text is INVALID:
        return text
    if not _GLOB_RE.match(text):
        return p.add(path, '%s is not a package name glob.' % show(value))
    return text


def _koji_part(p, data, path):
    """Check the fields present in a koji mapping; returns {key: clean value} of the fields given."""
    out = {}
    checks = {
        'hub': lambda v, f: _text(p, v, f, 64),
        'profile': lambda v, f: p.check(check_name, v, field=f) if _text(p, v, f, 128) is not INVALID else INVALID,
        'hub_url': lambda v, f: _url(p, v, f, ('http', 'https')),
        'topurl': lambda v, f: _url(p, v, f, ('http', 'https')),
        'ca_cert': lambda v, f: _abs_path(p, v, f, 'an absolute path on the build node'),
        'validate_certs': lambda v, f: _bool(p, v, f),
        'auth': lambda v, f: _choice(p, v, f, KOJI_AUTH),
        'client_cert': lambda v, f: _abs_path(p, v, f, 'an absolute path on the build node'),
        'principal': lambda v, f: _text(p, v, f, 256),
        'keytab': lambda v, f: _abs_path(p, v, f, 'an absolute path on the build node'),
        'username': lambda v, f: _text(p, v, f, 256),
        'password': lambda v, f: _secret(p, v, f),
        # the password read from the controller's environment at build time (operator settings only)
        'password_env': lambda v, f: _env_name(p, v, f),
        'timeout': lambda v, f: _int(p, v, f, 1, 3600),
        'retries': lambda v, f: _int(p, v, f, 0, 20),
        'parallel': lambda v, f: _int(p, v, f, 1, 64),
        'builds': lambda v, f: _each(p, v, f, _build_item),
        'tasks': lambda v, f: _each(p, v, f, _task_item),
        'tag_latest': lambda v, f: _each(p, v, f, _tag_latest),
        'sigkeys': lambda v, f: _each(p, v, f, _sigkey),
        'gpgkeys': lambda v, f: _each(p, v, f, _gpgkey),
        'multilib': lambda v, f: _bool(p, v, f),
        'exclude': lambda v, f: _each(p, v, f, _glob),
    }
    for key in KOJI_FIELDS:
        if key in data and data[key] is not None:
            out[key] = checks[key](data[key], _join(path, key))
    if out.get('sigkeys') == []:
        out['sigkeys'] = p.add(_join(path, 'sigkeys'), 'is empty; give key IDs in order of preference, '
                                                       'or [""] to allow unsigned copies.')
    return out


def _koji(p, value, path, defaults, arch, dest=None):
    """A request's koji (dest: the operator's destinations) over the operator's defaults (already checked)."""
    start = len(p)
    dest = dest or _NO_DESTINATIONS
    data = {} if value is None else _mapping(p, value, path, KOJI_REQUEST_FIELDS, also=destinations.KOJI_SECRET_FIELDS)
    if data is INVALID:
        return data
    for key in data:
        if key in destinations.KOJI_SECRET_FIELDS:  # a login or its source: the operator's alone
            p.check(destinations.own_destination, 'koji', path, dest['koji_hubs'], True, [key])
    given = _koji_part(p, dict((k, v) for k, v in data.items() if k in KOJI_REQUEST_FIELDS), path)
    base = dict(defaults or {})
    if 'hub' in given or any(key in given for key in KOJI_CONNECTION):
        # the request picks the connection: nothing of the default connection or its login stays
        base = destinations.strip_secrets('koji', base)
        for key in ('hub',) + KOJI_CONNECTION:
            base.pop(key, None)
    if 'hub' in given and any(key in given for key in KOJI_CONNECTION):
        p.add(path, 'give hub (a Koji hub the operator defined) or profile/hub_url/topurl, not both.')
    elif given.get('hub') not in (None, INVALID):
        if p.check(destinations.refer, 'koji', given['hub'], _join(path, 'hub'), dest['koji_hubs']) is not INVALID:
            base.update(dest['koji_hubs'][given['hub']])
    elif 'hub_url' in given or 'topurl' in given:
        p.check(destinations.own_destination, 'koji', path, dest['koji_hubs'], dest['allow'])
    merged = dict(base)
    merged.update(given)
    if not any(merged.get(key) for key in KOJI_CONNECTION):
        merged['hub_url'], merged['topurl'] = FEDORA_KOJI_HUB, FEDORA_KOJI_TOPURL
    if len(p) == start and not merged.get('profile') and bool(merged.get('hub_url')) != bool(merged.get('topurl')):
        p.add(_join(path, 'topurl' if merged.get('hub_url') else 'hub_url'),
              'missing; without a profile give both hub_url and topurl.')
    if merged.get('password') is not None and merged.get('password_env') is not None:
        p.add(path, 'give password or password_env, not both.')
    if merged.get('multilib') is True and arch not in (None, INVALID, 'x86_64'):
        p.add(_join(path, 'multilib'), 'only applies to arch x86_64 (adds i686 packages), not to %s.' % arch)
    if len(p) != start:
        return INVALID
    out = {
        'profile': merged.get('profile'),
        'hub_url': merged.get('hub_url'),
        'topurl': merged.get('topurl'),
        'builds': merged.get('builds', []),
        'tasks': merged.get('tasks', []),
        'tag_latest': merged.get('tag_latest', []),
        'sigkeys': merged.get('sigkeys', ['']),
        'gpgkeys': merged.get('gpgkeys', []),
        'multilib': merged.get('multilib', False),
        'exclude': merged.get('exclude', list(KOJI_DEFAULT_EXCLUDE)),
    }
    for key in ('hub',) + KOJI_OPTIONAL:
        if merged.get(key) is not None:
            out[key] = merged[key]
    return out


def preset_url(preset, release, arch, source, mirror):
    """(url key, URL) of one repository preset."""
    if source == 'metalink':
        repo = {'release': 'fedora-%s', 'updates': 'updates-released-f%s',
                'updates-testing': 'updates-testing-f%s', 'rawhide': 'rawhide'}[preset]
        return 'metalink', '%s?repo=%s&arch=%s' % (METALINK, repo % release if '%s' in repo else repo, arch)
    tail = {'release': 'releases/%s/Everything/%s/os/' % (release, arch),
            'updates': 'updates/%s/Everything/%s/' % (release, arch),
            'updates-testing': 'updates/testing/%s/Everything/%s/' % (release, arch),
            'rawhide': 'development/rawhide/Everything/%s/os/' % arch}[preset]
    return 'baseurl', '%s/%s' % (mirror.rstrip('/'), tail)


def default_mirror(arch):
    return SECONDARY_MIRROR if arch in SECONDARY_ARCHES else PRIMARY_MIRROR


def _extra_repo(p, value, path):
    start = len(p)
    data = _mapping(p, value, path, EXTRA_REPO_FIELDS)
    if data is INVALID:
        return data
    out = {}
    name = data.get('name')
    if name is None:
        p.add(_join(path, 'name'), 'missing; give the repository name.')
    elif _text(p, name, _join(path, 'name'), 128) is not INVALID:
        out['name'] = p.check(check_name, name, field=_join(path, 'name'))
    urls = [key for key in REPO_URL_KEYS if data.get(key) is not None]
    if len(urls) != 1:
        p.add(path, 'give exactly one of baseurl, metalink or mirrorlist (got %s).' % (', '.join(urls) or 'none'))
    for key in urls:
        out[key] = _url(p, data[key], _join(path, key),
                        ('http', 'https', 'ftp', 'file') if key == 'baseurl' else ('http', 'https'))
    out['cost'] = _opt(p, data, 'cost', path, _int, 0, 1000000)
    out['priority'] = _opt(p, data, 'priority', path, _int, 1, 99)
    return out if len(p) == start else INVALID


def _repos(p, value, path, release, arch, image_type):
    start = len(p)
    data = {} if value is None else _mapping(p, value, path, REPOS_FIELDS, also=REPOS_COMPUTED)
    if data is INVALID:
        return data
    rawhide = release == 'rawhide'
    known_release = release not in (None, INVALID)
    presets = data.get('presets')
    if presets is None:
        presets = list(DEFAULT_RAWHIDE_PRESETS if rawhide else DEFAULT_PRESETS)
    else:
        presets = _each(p, presets, _join(path, 'presets'), lambda p_, v, f: _choice(p_, v, f, PRESETS))
        if presets is not INVALID:
            presets = [name for name in PRESETS if name in presets]
            if known_release and rawhide and set(presets) - {'rawhide'}:
                p.add(_join(path, 'presets'), '%s do not apply to release rawhide (use the rawhide preset).'
                      % ', '.join(name for name in presets if name != 'rawhide'))
            if known_release and not rawhide and 'rawhide' in presets:
                p.add(_join(path, 'presets'), 'rawhide only applies to release rawhide, not to release %s.' % release)
    mirror = data.get('mirror')
    if mirror is None:
        mirror = default_mirror(arch) if arch not in (None, INVALID) else INVALID
    else:
        mirror = _url(p, mirror, _join(path, 'mirror'), ('http', 'https', 'ftp', 'file'))
        if mirror is not INVALID:
            mirror = mirror.rstrip('/')
    source = 'baseurl' if data.get('source') is None else _choice(p, data['source'], _join(path, 'source'), REPO_SOURCES)
    extra = _each(p, data.get('extra'), _join(path, 'extra'), _extra_repo)
    if len(p) != start or not known_release or arch in (None, INVALID):
        return INVALID
    resolved = []
    for preset in presets:
        key, url = preset_url(preset, release, arch, source, mirror)
        resolved.append({'name': PRESET_REPO_NAMES[preset], key: url})
    names = [repo['name'] for repo in resolved]
    for index, repo in enumerate(extra):
        if repo['name'] in names:
            p.add(_join(_join(_join(path, 'extra'), index), 'name'),
                  '%r is used twice (repository names must be unique; presets use fedora, updates, '
                  'updates-testing and rawhide).' % repo['name'])
        names.append(repo['name'])
        resolved.append(dict((key, repo[key]) for key in ('name',) + REPO_URL_KEYS if key in repo))
    if image_type == 'boot' and not resolved:
        p.add(path, 'image_type boot needs at least one repository (a preset or an extra repository).')
    out = {'presets': presets, 'mirror': mirror, 'source': source, 'extra': extra, 'resolved': resolved}
    if 'resolved' in data and data['resolved'] != resolved:
        p.add(_join(path, 'resolved'), 'is computed from presets, mirror, source and extra; leave it out.')
    return out if len(p) == start else INVALID


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
            if not isinstance(name, str) or not re.match(r'^[A-Za-z_][A-Za-z0-9_]{0,63}$', name):
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


def _builder(p, value, path, image_type, default_timeout):
    options = BUILDER_OPTIONS[image_type]
    start = len(p)
    data = {} if value is None else _mapping(p, value, path, tuple(options))
    if data is INVALID:
        return data
    out = {}
    for key, spec in options.items():
        if data.get(key) is not None:
            out[key] = _builder_value(p, data[key], _join(path, key), spec, key)
    out.setdefault('timeout', default_timeout)
    if image_type == 'boot':
        out.setdefault('product', 'Fedora')
    if image_type == 'live':
        backend = out.setdefault('backend', 'livemedia-creator')
        if backend == 'kiwi':
            wrong = [key for key in LMC_ONLY if key in out]
            if 'description' not in out:
                p.add(_join(path, 'description'), 'missing; backend kiwi needs the kiwi description directory on the '
                                                  'build node.')
        else:
            wrong = [key for key in KIWI_ONLY if key in out]
        for key in wrong:
            p.add(_join(path, key), 'only applies to backend %s, not to %s.'
                  % ('kiwi' if backend != 'kiwi' else 'livemedia-creator', backend))
    return out if len(p) == start else INVALID


def _host(p, value, path):
    text = _text(p, value, path, 253)
    if text is INVALID:
        return text
    try:
        return str(ipaddress.ip_address(text.strip('[]')))
    except ValueError:
        pass
    if not _HOSTNAME_RE.match(text) or text.replace('.', '').isdigit():
        return p.add(path, '%s is not a host name or IP address.' % show(value))
    return text.lower().rstrip('.')


def _user(p, value, path):
    text = _text(p, value, path, 64)
    if text is INVALID:
        return text
    if not _USER_RE.match(text):
        return p.add(path, '%s is not a user name (letters, digits, ".", "_", "@", "+", "-").' % show(value))
    return text


def _staging_target(p, value, path, dest=None, trusted=True):
    """One staging target: a mapping, or a name of dest's staging_targets; trusted False: a request's mapping."""
    if isinstance(value, str) and dest is not None:  # the name of a target the operator defined
        name = p.check(destinations.refer, 'staging', value, path, dest['staging_targets'])
        return INVALID if name is INVALID else copy.deepcopy(dest['staging_targets'][name])
    if not isinstance(value, dict):
        return p.add(path, 'must be %sa mapping with type (local, ssh or ftp) and path (got %s).'
                     % ('the name of a staging target the operator defined or ' if dest is not None else '', kind(value)))
    kind_ = value.get('type')
    if kind_ is None:
        return p.add(_join(path, 'type'), 'missing; give local, ssh or ftp.')
    if _choice(p, kind_, _join(path, 'type'), STAGING_TYPES) is INVALID:
        return INVALID
    start = len(p)
    if not trusted:  # a request-defined target: allowed only by the operator, and never with a secret
        p.check(destinations.own_destination, 'staging', path, dest['staging_targets'], dest['allow'], list(value))
        if kind_ not in destinations.REQUEST_STAGING_TYPES:
            p.add(_join(path, 'type'), 'a request-defined %s target would log in with the build node\'s own keys; the '
                                       'operator defines it in fedora_build_staging_targets and the request names it.'
                  % kind_)
        # the other fields are still checked, so every problem is reported at once
        value = destinations.strip_secrets('staging', value)
    _mapping(p, value, path, STAGING_FIELDS[kind_])
    out = {'type': kind_}
    if kind_ != 'local':
        host = value.get('host')
        out['host'] = (_host(p, host, _join(path, 'host')) if host is not None
                       else p.add(_join(path, 'host'), 'missing; give the %s server host name or IP address.' % kind_))
        port = value.get('port')
        out['port'] = 22 if kind_ == 'ssh' else 21
        if port is not None:
            out['port'] = _int(p, port, _join(path, 'port'), 1, 65535)
        out['user'] = _opt(p, value, 'user', path, _user)
    where = 'on the %s server' % kind_ if kind_ != 'local' else 'on the controller'
    target = value.get('path')
    out['path'] = (_abs_path(p, target, _join(path, 'path'), 'an absolute path %s' % where) if target is not None
                   else p.add(_join(path, 'path'), 'missing; give the absolute staging directory %s.' % where))
    if out['path'] == '/':
        p.add(_join(path, 'path'), 'must not be "/".')
    if kind_ == 'ssh':
        for key in ('identity_file', 'known_hosts_file'):
            out[key] = _opt(p, value, key, path, _abs_path, 'an absolute path on the controller')
    if kind_ == 'ftp':
        if out['user'] is None:
            out['user'] = 'anonymous'
        out['password'] = _opt(p, value, 'password', path, _secret)
        out['password_env'] = _opt(p, value, 'password_env', path, _env_name)
        if out['password'] is not None and out['password_env'] is not None:
            p.add(path, 'give password or password_env, not both.')
        out['tls'] = False if value.get('tls') is None else _bool(p, value['tls'], _join(path, 'tls'))
    return out if len(p) == start else INVALID


def _env_name(p, value, path):
    text = _text(p, value, path, 128)
    if text is INVALID:
        return text
    if not _ENV_RE.match(text):
        return p.add(path, '%s is not an environment variable name.' % show(value))
    return text


def _staging(p, value, path, default, dest=None, trusted=False):
    if value is None:
        if default is None:
            return p.add(path, 'missing; give at least one staging target (or set the service default, '
                               'fedora_build_staging).')
        return default
    dest = dest or _NO_DESTINATIONS
    targets = _each(p, value, path, lambda p_, v, f: _staging_target(p_, v, f, dest, trusted), 'a list of staging targets')
    if targets == []:
        return p.add(path, 'is empty; give at least one staging target, or leave the field out for the service '
                           'default.')
    return targets


def _email(p, value, path):
    text = _text(p, value, path, 254)
    if text is INVALID:
        return text
    if not _EMAIL_RE.match(text):
        return p.add(path, '%s is not an email address.' % show(value))
    return text


def _webhook(p, value, path, dest):
    """notify.webhook: the name of an operator webhook, or (only when the operator allows it) a URL, given no token."""
    if destinations.is_name(value):
        return p.check(destinations.refer, 'webhook', value, path, dest['webhooks'])
    if not isinstance(value, str) or '://' not in value:
        return p.add(path, '%s is neither the name of a webhook the operator defined in fedora_build_webhooks (%s) '
                           'nor a URL.' % (show(value), ', '.join(sorted(dest['webhooks'])) or 'none are defined'))
    if p.check(destinations.own_destination, 'webhook', path, dest['webhooks'], dest['allow']) is INVALID:
        return INVALID
    return _url(p, value, path, ('http', 'https'))


def _notify(p, value, path, dest=None):
    if isinstance(value, dict) and 'on' not in value and sum(1 for key in value if key is True or key == 'true') == 1:
        # YAML 1.1 (PyYAML, Ansible) reads a plain `on:` key as the boolean true, which JSON then makes "true"
        value = dict((('on' if key is True or key == 'true' else key), item) for key, item in value.items())
    start = len(p)
    data = {} if value is None else _mapping(p, value, path, NOTIFY_FIELDS)
    if data is INVALID:
        return data
    email = data.get('email')
    if isinstance(email, str):
        email = [email]
    out = {'email': _each(p, email, _join(path, 'email'), _email),
           'webhook': _opt(p, data, 'webhook', path, _webhook, dest or _NO_DESTINATIONS)}
    events = data.get('on')
    if events is None:
        out['on'] = list(NOTIFY_EVENTS)
    else:
        events = _each(p, events, _join(path, 'on'), lambda p_, v, f: _choice(p_, v, f, NOTIFY_EVENTS))
        out['on'] = events if events is INVALID else [name for name in NOTIFY_EVENTS if name in events]
    return out if len(p) == start else INVALID


_NO_DESTINATIONS = {'staging_targets': {}, 'koji_hubs': {}, 'webhooks': {}, 'allow': False}


def _destinations(p, data, path):
    """The operator's named destinations (settings, trusted): {staging_targets, koji_hubs, webhooks, allow}."""
    out = copy.deepcopy(_NO_DESTINATIONS)
    for key, setting in (('staging_targets', 'staging'), ('koji_hubs', 'koji'), ('webhooks', 'webhook')):
        field = _join(path, key)
        try:
            named = destinations.operator_names(data.get(key), field)
        except FedoraBuildError as exc:
            p.add(field, exc.msg.split(': ', 1)[1])
            continue
        for name, item in named.items():
            if setting == 'staging':
                target = _staging_target(p, item, _join(field, name))
                if target is not INVALID:
                    out['staging_targets'][name] = target
            elif setting == 'koji':
                what = ' of a Koji hub\'s connection and login fields'
                if _mapping(p, item, _join(field, name), KOJI_HUB_FIELDS, what=what) is INVALID:
                    continue
                hub = _koji_part(p, item, _join(field, name))
                if not hub.get('profile') and not (hub.get('hub_url') and hub.get('topurl')):
                    p.add(_join(field, name), 'give profile, or hub_url and topurl.')
                if hub.get('password') is not None and hub.get('password_env') is not None:
                    p.add(_join(field, name), 'give password or password_env, not both.')
                out['koji_hubs'][name] = dict(hub, hub=name)
            else:
                out['webhooks'][name] = None  # only the names: the notify step reads the definitions
    if data.get('allow_request_destinations') is not None:
        out['allow'] = _bool(p, data['allow_request_destinations'], _join(path, 'allow_request_destinations'))
    return out


def _defaults(p, defaults, path='defaults'):
    """Validate the service-level defaults: {arch, koji, staging, timeout} and the operator's destinations."""
    out = {'arch': DEFAULT_ARCH, 'koji': {}, 'staging': None, 'timeout': DEFAULT_TIMEOUT,
           'dest': copy.deepcopy(_NO_DESTINATIONS)}
    if defaults is None:
        return out
    data = _mapping(p, defaults, path, DEFAULTS_FIELDS)
    if data is INVALID:
        out['staging'] = INVALID
        return out
    out['dest'] = _destinations(p, data, path)
    if data.get('arch') is not None:
        # The playbook's default: the arch of the first reachable build node.
        out['arch'] = _choice(p, data['arch'], _join(path, 'arch'), ARCHES)
    koji = data.get('koji')
    if koji is not None and _mapping(p, koji, _join(path, 'koji'), KOJI_FIELDS, what=' of koji fields') is not INVALID:
        out['koji'] = _koji_part(p, koji, _join(path, 'koji'))
        hub = out['koji'].get('hub')
        if hub not in (None, INVALID) and p.check(destinations.refer, 'koji', hub, _join(path, 'koji.hub'),
                                                  out['dest']['koji_hubs']) is not INVALID:
            out['koji'] = dict(out['koji'], **out['dest']['koji_hubs'][hub])
    if data.get('staging') is not None:
        # the operator's default targets: mappings (with their credentials) or names of staging_targets
        out['staging'] = _staging(p, data['staging'], _join(path, 'staging'), None, out['dest'], trusted=True)
    if data.get('timeout') is not None:
        out['timeout'] = _int(p, data['timeout'], _join(path, 'timeout'), 1, MAX_TIMEOUT)
    return out


def _request(p, request, defaults, forced_type, prefix):
    if not isinstance(request, dict):
        return p.add(prefix, 'must be a mapping with the fields %s (got %s).'
                     % (', '.join(REQUEST_FIELDS), kind(request)))
    start = len(p)
    _mapping(p, request, prefix, REQUEST_FIELDS, also=COMPUTED_FIELDS)
    out = {}

    image_type = request.get('image_type')
    path = _join(prefix, 'image_type')
    if image_type is None:
        image_type = forced_type if forced_type else p.add(path, 'missing; give boot, dvd or live.')
    else:
        image_type = _choice(p, image_type, path, IMAGE_TYPES)
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
    if release is None:
        out['release'] = p.add(path, 'missing; give a Fedora release such as 41, or rawhide.')
    elif isinstance(release, str) and len(release) > 16:
        out['release'] = p.add(path, '%s is not a Fedora release (a number such as 41, or "rawhide").' % show(release))
    else:
        out['release'] = p.check(check_release, release, field=path)

    arch = request.get('arch')
    out['arch'] = defaults['arch'] if arch is None else _choice(p, arch, _join(prefix, 'arch'), ARCHES)

    builder = INVALID
    if image_type in IMAGE_TYPES:
        builder = _builder(p, request.get('builder'), _join(prefix, 'builder'), image_type, defaults['timeout'])
        raw = request.get('builder')
        backend = raw.get('backend') if isinstance(raw, dict) else None
        out['kickstart'] = _kickstart(p, request.get('kickstart'), _join(prefix, 'kickstart'), image_type, backend)
    elif isinstance(request.get('builder'), dict):  # unknown image type: still report unknown builder options
        _mapping(p, request['builder'], _join(prefix, 'builder'), sorted(schema()['builder']))
    out['koji'] = _koji(p, request.get('koji'), _join(prefix, 'koji'), defaults['koji'], out['arch'], defaults['dest'])
    out['repos'] = _repos(p, request.get('repos'), _join(prefix, 'repos'), out['release'], out['arch'], image_type)
    out['builder'] = builder
    staging_default = defaults['staging']
    if request.get('staging') is None and staging_default is INVALID:
        out['staging'] = INVALID  # already reported under defaults.staging
    else:
        out['staging'] = _staging(p, request.get('staging'), _join(prefix, 'staging'), staging_default, defaults['dest'])
    out['notify'] = _notify(p, request.get('notify'), _join(prefix, 'notify'), defaults['dest'])
    out['force'] = False if request.get('force') is None else _bool(p, request['force'], _join(prefix, 'force'))

    if len(p) != start or any(value is INVALID for value in out.values()):
        return INVALID
    out = copy.deepcopy(out)  # requests of a batch share the defaults; none may alias another
    out['request_id'] = build_identity.request_id(out)
    given = request.get('request_id')
    if given is not None and given != out['request_id']:
        p.add(_join(prefix, 'request_id'), 'is computed from the request (%s here), not %s; leave it out.'
              % (out['request_id'], show(given)))
        return INVALID
    return out


def validate_request(request, defaults=None, image_type=None, prefix='request'):
    """Check and normalize one request; returns (normalized or None, problems)."""
    p = Problems()
    forced = _forced_type(p, image_type)
    norm_defaults = _defaults(p, defaults)
    out = _request(p, request, norm_defaults, forced, prefix)
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
        norm = _request(p, request, norm_defaults, forced, _join(prefix, index))
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


def schema():
    """The normalized request's fields as a nested dict ({field: sub-fields or None}).

    tests/unit compares it with roles/build/meta/argument_specs.yml so the two cannot drift.
    """
    builder = {}
    for options in BUILDER_OPTIONS.values():
        builder.update(dict.fromkeys(options))
    staging = {}
    for fields in STAGING_FIELDS.values():
        staging.update(dict.fromkeys(fields))
    repo = dict.fromkeys(('name',) + REPO_URL_KEYS)
    return {
        'image_type': None, 'name': None, 'release': None, 'arch': None, 'force': None, 'request_id': None,
        'kickstart': dict.fromkeys(KICKSTART_FIELDS),
        'koji': dict(dict.fromkeys(KOJI_FIELDS), tag_latest=dict.fromkeys(TAG_LATEST_FIELDS)),
        'repos': dict(dict.fromkeys(REPOS_FIELDS), extra=dict.fromkeys(EXTRA_REPO_FIELDS), resolved=repo),
        'builder': builder,
        'staging': staging,
        'notify': dict.fromkeys(NOTIFY_FIELDS),
    }
