# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The build request model: its fields, limits and choices, and which fields hold secrets.

The one source of the request's schema: request_checks.py and request_targets.py check values against it,
tools/gen_request_artifacts.py writes roles/build/meta/argument_specs.yml and the field tables of
docs/request.md from it, and tests hold the AWX surveys to it.

Pure stdlib, Python 3.8+, no I/O.
"""

from __future__ import annotations

from ansible_collections.ondemand.fedora_build.plugins.module_utils.request_builder import BUILDER_OPTIONS, LIVE_BACKENDS, ROOTFS_TYPES  # noqa: F401 (re-exported)

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
DEFAULT_TIMEOUT = 4 * 3600  # builders.DEFAULT_TIMEOUT
MAX_TIMEOUT = 7 * 24 * 3600
MAX_TEXT = 4096
MAX_LIST = 1000

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
KOJI_FIELDS = KOJI_CONNECTION + KOJI_OPTIONAL + ('builds', 'tasks', 'tag_latest', 'sigkeys', 'gpgkeys', 'multilib',
                                                 'exclude')
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
DEFAULTS_FIELDS = ('arch', 'koji', 'staging', 'timeout')


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
