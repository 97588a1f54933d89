# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The build request model: its fields, limits and choices, and which fields hold secrets.

The one source of the request's schema: request_shape.py checks the shape of the raw input (MODEL and RAW) and of
the normalized request (MODEL) with ansible-core's ArgumentSpecValidator, request_checks.py and request_targets.py
the meaning of the values, tools/gen_request_artifacts.py writes roles/build/meta/argument_specs.yml and the field
tables of docs/request.md from it (RAW is not part of either), and tests hold the AWX surveys to it.

Pure stdlib, Python 3.8+, no I/O.
"""

from __future__ import annotations

import re

from ansible_collections.ondemand.fedora_build.plugins.module_utils import backend_registry, destinations, request_builder

BUILDER_OPTIONS = request_builder.BUILDER_OPTIONS
KIWI_ONLY = request_builder.KIWI_ONLY
LMC_ONLY = request_builder.LMC_ONLY
LIVE_BACKENDS = request_builder.LIVE_BACKENDS
ROOTFS_TYPES = request_builder.ROOTFS_TYPES

# the image types some backend of the registry builds
IMAGE_TYPES = tuple(backend_registry.image_types())
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
                  'notify', 'force', 'contents')
# computed fields: accepted on input only when they equal what the validator computes
COMPUTED_FIELDS = ('request_id',)
# No include_path: the directories a kickstart may %include from are the operator's
# (fedora_build_kickstart_include_path); a requester never names node directories.
KICKSTART_FIELDS = ('src', 'checksum', 'packages', 'exclude_packages')
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
CONTENTS_FIELDS = ('absent',)
# content_check.ABSENT_POLICIES: what a pinned Koji build the image does not hold is
CONTENTS_ABSENT = ('report', 'error')
# kiwi_descriptions: the names of the operator's fedora_build_kiwi_descriptions (a list, or the mapping itself)
# operator settings: the named destinations (docs/security.md, "Trust model")
DESTINATION_FIELDS = ('staging_targets', 'koji_hubs', 'webhooks', 'allow_request_destinations')
# kickstart_dirs: fedora_build_kickstart_dirs, the controller directories a request's kickstart path may lie in;
# node_repo_dirs: fedora_build_node_repo_dirs, the build node directories a request's file:// repository may name;
# koji_gpgkeys: the names of fedora_build_koji_gpgkeys (the operator's public key files on the node), what koji.gpgkeys
# may name
DEFAULTS_FIELDS = ('arch', 'koji', 'staging', 'timeout', 'kiwi_descriptions', 'kickstart_dirs', 'node_repo_dirs',
                   'koji_gpgkeys') + DESTINATION_FIELDS


def builder_fields():
    """The builder options of every image type as MODEL fields (union; the description says which types)."""
    fields = {}
    for key in sorted(set(key for options in BUILDER_OPTIONS.values() for key in options)):
        spec = dict(next(options[key] for options in BUILDER_OPTIONS.values() if key in options))
        if spec.get('choices'):  # e.g. backend: dvd's and live's choices (each image type checks its own)
            choices = []
            for options in BUILDER_OPTIONS.values():
                choices += [c for c in (options.get(key) or {}).get('choices', ()) if c not in choices]
            spec['choices'] = choices
        fields[key] = F(spec.pop('type'), builder_description(key), **spec)
    return fields


def builder_description(key):
    """Which image types (and live backends) take a builder option, and which module option it becomes."""
    special = {
        'backend': 'dvd and live only. The dvd builder, C(pungi) (the legacy command, default up to Fedora 31) or '
                   'C(pungi-koji) (a local compose, default from Fedora 32 and for rawhide); the live image builder, '
                   'C(livemedia-creator) (default) or C(kiwi).',
        'timeout': 'Seconds the builder may run (all image types). Default C(fedora_build_timeout), else 14400.',
        'description': 'live (backend kiwi) only: the name of one of the kiwi descriptions the operator set in '
                       'C(fedora_build_kiwi_descriptions); never a node directory.',
    }
    if key in special:
        return special[key]
    where, targets = [], []
    for image_type in IMAGE_TYPES:
        if key in BUILDER_OPTIONS[image_type]:
            label = image_type
            names = backend_registry.names(image_type)
            if len(names) > 1:
                label = '%s (backend %s)' % (image_type, ' or '.join(
                    name for name in names if key in request_builder.BACKEND_OPTIONS[name]))
            where.append(label)
            targets.append('O(ondemand.fedora_build.%s#module:%s)' % (backend_registry.default_for(image_type).module, key))
    text = '%s only: passed to %s.' % (' and '.join(where), ', '.join(targets))
    if key == 'product':
        text += ' Default C(Fedora) for boot.'
    return text


# --- the field tree ------------------------------------------------------------------------------------------
# MODEL is the normalized request as a nested Ansible argument spec (type, elements, choices, required, options,
# no_log, description: what roles/build/meta/argument_specs.yml says under build_request), plus per-field
# metadata under META (never part of an argument spec):
#   doc       (type, default, meaning) of the field's row in the tables of docs/request.md (fields a user writes)
#   secret    the value is a credential or names where one lives: hidden in echoed arguments, stripped from
#             everything that records a request (build.json, status records, emails) by strip_secrets()
#   userinfo  the value is a URL that may carry a credential as user information (``user:password@``): kept
#             without it (drop_userinfo) by strip_secrets() and hide_secrets()
#   max_len   longest text accepted; minimum/maximum for numbers (the AWX surveys may not allow more)
#   computed  set by the validator or the playbook, not by the user
META = '_meta'


def F(type_, description, doc=None, secret=False, computed=False, max_len=None, minimum=None, maximum=None,
      userinfo=False, **spec):
    """One field of MODEL."""
    field = dict(type=type_, description=description, **spec)
    meta = dict(doc=doc, secret=secret, computed=computed, max_len=max_len, minimum=minimum, maximum=maximum,
                userinfo=userinfo)
    field[META] = dict((key, value) for key, value in meta.items() if value not in (None, False))
    return field


_OPT = ' (only present when set)'
_TAG_LATEST = {
    'tag': F('str', 'Koji tag name.', required=True, max_len=128),
    'packages': F('list', 'Package names.', elements='str', required=True, max_len=128),
}

_KICKSTART = {
    'src': F('str', 'An http, https or ftp URL, or the real path of a file on the controller inside one of the directories '
                    'of C(fedora_build_kickstart_dirs) (symlinks resolved by the validator; read on the controller and sent to the node as text).',
             required=True, max_len=MAX_TEXT, userinfo=True,
             doc=('string', 'required', 'an `http`, `https` or `ftp` URL, or an absolute path **on the controller** '
                                        "inside one of the operator's `fedora_build_kickstart_dirs` (none by default; "
                                        'the path is kept with its symlinks resolved); a `user:password@` in the URL is '
                                        'used to fetch it and left out of every record')),
    'checksum': F('str', 'Expected checksum of O(build_request.kickstart.src), C(sha256:<64 hex digits>), or null.',
                  doc=('string', '`null`', '`sha256:<64 hex>` or just the 64 hex digits; normalized to '
                                           '`sha256:<lower-case hex>`; the build fails when `src` differs')),
    'packages': F('list', 'Entries added to C(%packages) (names, globs, C(@group), C(@^environment)).', elements='str',
                  doc=('list', '`[]`', 'entries added to `%packages`: names, globs, `name.arch`, `@group`, '
                                       '`@^environment`')),
    'exclude_packages': F('list', 'Packages excluded in C(%packages) (written as C(-name)).', elements='str',
                          doc=('list', '`[]`', 'packages excluded in `%packages` (give `nano`, not `-nano`)')),
}

_KOJI = {
    'builds': F('list', 'Builds, each an NVR (string) or a numeric build ID (integer).', elements='raw',
                maximum=2 ** 63 - 1,
                doc=('list', '`[]`', 'NVRs (`bash-5.2.32-1.fc41`) or numeric build IDs (`2601234`; a digit string '
                                     'becomes a number; at most `2**63-1`, what Koji\'s XML-RPC carries)')),
    'tasks': F('list', 'Scratch-build task IDs.', elements='int', minimum=1, maximum=2 ** 63 - 1,
               doc=('list of int', '`[]`', 'scratch-build task IDs (their output is never signed; at most `2**63-1`)')),
    'tag_latest': F('list', 'Latest build of each listed package in a Koji tag.', elements='dict',
                    doc=('list of `{tag, packages}`', '`[]`', 'the latest build of each listed package in a Koji tag'),
                    options=_TAG_LATEST),
    'sigkeys': F('list', 'Signing key IDs (8 to 40 hex digits, lower case) in order of preference; C("") allows '
                         'unsigned copies. Default C([""]).', elements='str', no_log=False,
                 doc=('list', '`[""]`', 'signing key IDs, 8 hex digits (up to 40; lower-cased), preferred first; '
                                        '`""` allows the unsigned copy')),
    'gpgkeys': F('list', "Names of the operator's public key files (C(fedora_build_koji_gpgkeys)) that every RPM must be "
                         'signed with by one of them; the side repo step turns them into node paths.',
                 elements='str', no_log=False, max_len=64,
                 doc=('list', '`[]`', "names of the operator's public keys (`fedora_build_koji_gpgkeys: {name: "
                                      '/node/path}`); every RPM must be signed by one of them; a path or an unknown '
                                      'name is a problem that lists the known names')),
    'multilib': F('bool', 'For x86_64, also take the i686 packages of the builds.',
                  doc=('bool', '`false`', 'x86_64 only: also take the i686 packages')),
    'exclude': F('list', 'Globs of package names left out; default drops debuginfo and debugsource packages.',
                 elements='str',
                 doc=('list of globs', '`%s`' % list(KOJI_DEFAULT_EXCLUDE), 'package names left out')),
    'hub': F('str', ['Name of the Koji hub the operator defined in O(fedora_build_koji_hubs) that the connection below '
                     'comes from (only present when the request or C(fedora_build_koji) named one). Its login is not in '
                     'the request: the side repo step reads it from the operator\'s definition by this name.'],
             max_len=64,
             doc=('name', '\u2014', 'a Koji hub the operator defined in `fedora_build_koji_hubs` (its connection and '
                                    'login); an unknown name is a problem that lists the known ones')),
    'profile': F('str', 'Koji client profile name on the node (C(koji -p NAME)); null when C(hub_url) is used.',
                 max_len=128,
                 doc=('string', '\u2014', 'a koji client profile on the node (`koji -p NAME`), used without any login')),
    'hub_url': F('str', 'Koji hub XML-RPC URL, default C(https://koji.fedoraproject.org/kojihub) when no profile is '
                        'given.',
                 doc=('URL', '`%s`' % FEDORA_KOJI_HUB,
                      "a hub of the request's own, only where the operator set "
                      '`fedora_build_allow_request_destinations: true`; read anonymously (give `topurl` too)')),
    'topurl': F('str', 'Koji file tree URL, default C(https://kojipkgs.fedoraproject.org) when no profile is given.',
                doc=('URL', '`%s`' % FEDORA_KOJI_TOPURL, "the hub's file tree, when no profile is given (with `hub_url`)")),
    'ca_cert': F('path', "CA bundle on the node for the hub's TLS certificate" + _OPT + '.',
                 doc=('path', 'absent', "CA bundle on the node for the hub's TLS certificate")),
    'validate_certs': F('bool', 'Verify TLS certificates' + _OPT + '; the module default is true.',
                        doc=('bool', 'absent (true)', 'verify TLS certificates')),
    'auth': F('str', 'Login method' + _OPT + '; reading builds needs none.', choices=list(KOJI_AUTH),
              doc=('`none` \\| `ssl` \\| `kerberos` \\| `password`', 'absent',
                   'login method, normally in `fedora_build_koji`')),
    'client_cert': F('path', 'Client certificate on the node for C(auth=ssl)' + _OPT + '.', secret=True,
                     doc=('path', 'absent', 'client certificate on the node for `auth: ssl`')),
    'principal': F('str', 'Kerberos principal for C(auth=kerberos)' + _OPT + '.', max_len=256,
                   doc=('string', 'absent', 'Kerberos principal for `auth: kerberos`')),
    'keytab': F('path', 'Kerberos keytab on the node for C(auth=kerberos)' + _OPT + '.', secret=True,
                doc=('path', 'absent', 'Kerberos keytab on the node for `auth: kerberos` (never recorded)')),
    'username': F('str', 'User name for C(auth=password)' + _OPT + '.', max_len=256,
                  doc=('string', 'absent', 'user name for `auth: password`')),
    'password': F('str', 'Password for C(auth=password)' + _OPT + '. Prefer O(build_request.koji.password_env).',
                  no_log=True, secret=True,
                  doc=('string', 'absent', 'password for `auth: password` (never shown or recorded); prefer '
                                           '`password_env`')),
    'password_env': F('str', 'Name of an environment variable of the controller holding the password for '
                             'C(auth=password); read when the side repo is made, so the password never becomes part '
                             'of the request or its task results.', max_len=128, secret=True,
                      doc=('string', 'absent', "names a variable of the controller's environment that holds the "
                                               'password (read when the side repo is made)')),
    'timeout': F('int', 'Seconds per Koji request (koji_side_repo C(timeout)).', minimum=1, maximum=3600,
                 doc=('int', "koji_side_repo's (60)", 'seconds per Koji request (1 to 3600)')),
    'retries': F('int', 'Retries of a failed Koji request or download (koji_side_repo C(retries)).', minimum=0,
                 maximum=20, doc=('int', "koji_side_repo's (4)", 'retries of a failed request or download (0 to 20)')),
    'parallel': F('int', 'Parallel downloads (koji_side_repo C(parallel)).', minimum=1, maximum=64,
                  doc=('int', "koji_side_repo's (8)", 'parallel downloads (1 to 64)')),
}

# A request never gives a login or its source (destinations.KOJI_SECRET_FIELDS): they come from the operator's hubs,
# so the request's field table (docs/request.md) does not list them; the normalized request holds them when set.
for _key in destinations.KOJI_SECRET_FIELDS:
    _KOJI[_key][META].pop('doc', None)

_EXTRA_REPO = {
    'name': F('str', 'Repository name.', required=True, max_len=128),
    'baseurl': F('str', 'Repository URL (C(http), C(https), C(ftp), C(file)); exactly one of baseurl, metalink, '
                        'mirrorlist is set. A C(file) URL is a build node directory: only inside one of the '
                        "operator's C(fedora_build_node_repo_dirs)."),
    'metalink': F('str', 'Metalink URL.'),
    'mirrorlist': F('str', 'Mirror list URL.'),
    'cost': F('int', 'Repository cost (kickstart C(--cost)), or null.', minimum=0, maximum=1000000),
    'priority': F('int', 'dnf priority (1 to 99, lower wins), or null.', minimum=1, maximum=99),
}

_RESOLVED_REPO = {
    'name': F('str', 'Repository name (C(fedora), C(updates), C(updates-testing), C(rawhide) for the presets).',
              required=True),
    'baseurl': F('str', 'Repository URL.'),
    'metalink': F('str', 'Metalink URL.'),
    'mirrorlist': F('str', 'Mirror list URL.'),
}

_PRESETS_DEFAULT = '`[release, updates]`; `[rawhide]` for release rawhide'
_REPOS = {
    'presets': F('list', 'Presets used, in canonical order, from C(release), C(updates), C(updates-testing), '
                         'C(rawhide).', elements='str', choices=list(PRESETS),
                 doc=('list', _PRESETS_DEFAULT, 'Fedora repositories by name, see the table below')),
    'mirror': F('str', 'Mirror base URL for C(source=baseurl) (C(http), C(https), C(ftp), C(file); a C(file) URL '
                       "only inside one of the operator's C(fedora_build_node_repo_dirs)).",
                doc=('URL', '`%s`; `%s` for ppc64le and s390x' % (PRIMARY_MIRROR, SECONDARY_MIRROR),
                     'base of the preset URLs with `source: baseurl` (a trailing `/` is dropped); a `file://` '
                     "mirror only inside the operator's `fedora_build_node_repo_dirs`")),
    'source': F('str', "C(baseurl) (the mirror's paths) or C(metalink) (mirrors.fedoraproject.org).",
                choices=list(REPO_SOURCES),
                doc=('`baseurl` \\| `metalink`', '`baseurl`',
                     "preset URLs on `mirror`, or Fedora's metalinks (dnf picks a mirror)")),
    'extra': F('list', 'Extra repositories, in order.', elements='dict', mutually_exclusive=[list(REPO_URL_KEYS)],
               required_one_of=[list(REPO_URL_KEYS)],
               doc=('list', '`[]`', 'more repositories: `{name, baseurl \\| metalink \\| mirrorlist, cost, '
                                    'priority}`'), options=_EXTRA_REPO),
    'resolved': F('list', 'Every repository to build from, in order, presets first. Each item has C(name) and exactly '
                          'one of C(baseurl), C(metalink), C(mirrorlist) (the others are absent).', elements='dict',
                  mutually_exclusive=[list(REPO_URL_KEYS)], required_one_of=[list(REPO_URL_KEYS)],
                  computed=True, options=_RESOLVED_REPO),
}

_STAGING_TARGET = {
    'type': F('str', 'Kind of target.', required=True, choices=list(STAGING_TYPES)),
    'path': F('str', 'Absolute staging directory (on the controller for C(local), on the server otherwise).',
              required=True, max_len=MAX_TEXT),
    'host': F('str', 'Server host name or IP address (ssh, ftp).', max_len=253),
    'port': F('int', 'Server port (ssh default 22, ftp default 21).', minimum=1, maximum=65535),
    'user': F('str', 'Login user (ssh, null for the SSH default; ftp, default C(anonymous)).', max_len=64),
    'identity_file': F('path', 'ssh, private key file on the controller (which relays the files to the host), or null.', secret=True),
    'known_hosts_file': F('path', 'ssh, known hosts file on the controller, or null.', secret=True),
    'password': F('str', 'ftp, password, or null.', no_log=True, secret=True),
    'password_env': F('str', 'ftp, name of an environment variable holding the password, or null.', no_log=False,
                      max_len=128, secret=True),
    'tls': F('bool', 'ftp, use explicit FTPS (AUTH TLS).'),
    'target': F('str', ['Name of the staging target the operator defined in O(fedora_build_staging_targets) that this '
                        'entry is (only present then). Its login (password, password_env, identity_file, '
                        'known_hosts_file) is not in the request: the staging step reads it from the operator\'s '
                        'definition by this name.'], max_len=64, computed=True),
}

_NOTIFY = {
    'email': F('list', 'Email addresses.', elements='str', max_len=254,
               doc=('list (or one string)', '`[]`', 'addresses that get the emails (duplicates dropped)')),
    'webhook': F('str', ['Name of a webhook the operator defined in O(fedora_build_webhooks), or (only with '
                         'O(fedora_build_allow_request_destinations)) an C(http) or C(https) URL that gets a JSON POST '
                         'without any token; or null.'],
                 doc=('name', '`null`', 'a webhook the operator defined in `fedora_build_webhooks` (URL and token); a '
                                        '`http`/`https` URL only where `fedora_build_allow_request_destinations` is '
                                        'true, and then POSTed to **without** a token')),
    'on': F('list', 'Events that notify, from C(submitted), C(succeeded), C(failed).', elements='str',
            choices=list(NOTIFY_EVENTS),
            doc=('list', '`[submitted, succeeded, failed]`', 'which events notify (normalized to this order)')),
}

_ABSENT_DOC = ('a pinned Koji build the image does not hold (the kickstart never installs it) is listed as `absent`, '
               'or fails the build')
_CONTENTS = {
    'absent': F('str', 'What a pinned Koji build that the image does not hold is, C(report) (listed as absent in '
                       'C(contents.json)) or C(error) (the build fails).', required=True, choices=list(CONTENTS_ABSENT),
                doc=('`report` \\| `error`', '`report`', _ABSENT_DOC)),
}

_CONTENTS_DOC = ('`{absent: error}` fails the build when a pinned Koji build is not in the image (a shadowed one '
                 'always fails it)')

MODEL = {
    'image_type': F('str', 'The kind of image, C(boot) (lorax boot.iso), C(dvd) (pungi DVD and install tree) or C(live) '
                           '(live image).',
                    required=True, choices=list(IMAGE_TYPES),
                    doc=('`boot` \\| `dvd` \\| `live`', 'required (forced by `build_<type>.yml`)',
                         '`boot`: lorax boot.iso; `dvd`: pungi DVD; `live`: livemedia-creator or kiwi live image')),
    'name': F('str', 'A label used in file names and messages (letters, digits, C(.), C(_), C(+), C(-)). Defaults to '
                     'O(build_request.image_type).', required=True, max_len=64,
              doc=('string', 'the image type', 'a label for file names and messages: letters, digits, `.`, `_`, `+`, '
                                               '`-`, at most 64')),
    'release': F('str', 'Fedora release, a number as a string such as C("41"), or C(rawhide).', required=True, max_len=16,
                 doc=('number or string', 'required',
                      'Fedora release, `41` or `"41"` (normalized to the string `"41"`), or `rawhide`')),
    'arch': F('str', 'Target architecture; the build runs on a node of C(builders_<arch>).', required=True,
              choices=list(ARCHES),
              doc=('string', "the first reachable build node's arch (`defaults.arch`), else `x86_64`",
                   '`x86_64`, `aarch64`, `ppc64le` or `s390x`; the build runs on a node of `builders_<arch>`')),
    'request_id': F('str', 'C(rq-) and 12 hex digits, computed by M(ondemand.fedora_build.build_request) from the request '
                           'without C(force), C(staging) and C(notify).', required=True, computed=True),
    'submitted': F('str', 'Set by the playbook, not by the user, the time the request was submitted (ISO 8601).',
                   computed=True),
    'force': F('bool', 'Build even when staging already holds the finished result of this build ID.', required=True,
               doc=('bool', '`false`', "build even when staging already holds this build's finished result")),
    'kickstart': F('dict', 'The kickstart (dvd, and live with backend livemedia-creator); null for boot and for live with '
                           'backend kiwi.',
                   doc=('mapping or string', '\u2014', 'the kickstart, see below; required for `dvd` and `live` '
                        '(livemedia-creator), refused for `boot` and for `live` with kiwi'), options=_KICKSTART),
    'koji': F('dict', 'Koji builds for the side repository, merged over C(fedora_build_koji). When C(builds), C(tasks) '
                      'and C(tag_latest) are all empty, no side repository is made.', required=True,
              doc=('mapping', 'no side repo', 'Koji builds put into a side repository that wins over the distribution, '
                                              'see below'), options=_KOJI),
    'repos': F('dict', 'Base repositories, presets and extra ones, expanded to URLs in O(build_request.repos.resolved).',
               required=True, doc=('mapping', '`presets: [release, updates]`', 'base repositories, see below'),
               options=_REPOS),
    'builder': F('dict', ['Options passed to the builder module of the image type (M(ondemand.fedora_build.boot_iso), '
                          'M(ondemand.fedora_build.dvd_iso), M(ondemand.fedora_build.live_image)). Only the options the '
                          'request set are present, plus C(timeout), C(product) for boot and C(backend) for dvd and live.',
                          'The pipeline sets the rest itself, destination, work dirs, build ID, arch, repositories, '
                          'kickstart, release, cache dirs and force.'], required=True,
                 doc=('mapping', '`{timeout: 14400}`', 'options for the builder module, see below'),
                 options=builder_fields()),
    'staging': F('list', 'Staging targets the result goes to, each C(local), C(ssh) or C(ftp); the fields of the other '
                         'types are absent.', elements='dict', required=True,
                 required_if=[['type', 'ssh', ['host']], ['type', 'ftp', ['host']]],
                 doc=('list', '`fedora_build_staging`', 'where the result goes, see below'), options=_STAGING_TARGET),
    'notify': F('dict', 'Who is told about the build, and when.', required=True,
                doc=('mapping', 'no one', 'email and webhook, see below'), options=_NOTIFY),
    'contents': F('dict', 'The content check of the built image (docs/pipeline.md); only present when it differs from '
                          'the default C({absent: report}).',
                  doc=('mapping', '`{absent: report}`', _CONTENTS_DOC),
                  options=_CONTENTS),
}


# --- the request as a user writes it ---------------------------------------------------------------------------
# MODEL is the normalized request; the request a user writes (and the operator's defaults) has the same fields with
# the differences below, keyed by dotted path. request_shape.check_input builds ansible-core ArgumentSpecValidator
# specs from MODEL and these, and runs them on the raw input before any semantic check:
#   every field is optional unless marked required here ('missing': the hint after "missing;"); computed fields are
#   refused unless 'input' (then compared with what is computed); 'types': the types the field accepts (a name
#   string or a mapping, a number or a string), 'elements' those of a list's entries ('int' in the raw input also
#   takes a string of digits); 'what': what "must be WHAT (got ...)" says; 'fields': the keys a mapping accepts, in
#   the order messages list them, 'also': accepted but not listed; 'by': (key, {value: fields}) the keys a mapping
#   accepts follow the value of one key (a staging target's type); 'constraints': more of the validator's rules of a
#   mapping (mutually_exclusive, ...) than the model's; 'any': not shape-checked here (builder: request_builder.py
#   checks it along the image type's own options).
_KS_WHAT = 'a mapping with the fields %s (or the src string alone)' % ', '.join(KICKSTART_FIELDS)
_STAGING_WHAT = 'the name of a staging target the operator defined or a mapping with type (local, ssh or ftp) and path'
_STAGING_RAW = {
    '': dict(elements=('str', 'dict'), what='a list of staging targets', element_what=_STAGING_WHAT,
             by=('type', STAGING_FIELDS)),
    'type': dict(required=True, missing='give local, ssh or ftp.'),
    'path': dict(required=True, missing='give the absolute staging directory.'),
}
RAW = {
    '': dict(fields=REQUEST_FIELDS, also=COMPUTED_FIELDS),
    'release': dict(types=('int', 'str'), required=True, missing='give a Fedora release such as 41, or rawhide.',
                    what='a Fedora release (a number such as 41, or "rawhide")'),
    'request_id': dict(input=True, types=('raw',)),
    'builder': dict(any=True),
    'kickstart': dict(types=('str', 'dict'), what=_KS_WHAT),
    'kickstart.src': dict(required=True, missing='give an http, https or ftp URL, or a path inside the operator\'s '
                                                 'fedora_build_kickstart_dirs.',
                          what='an absolute path on the controller or an http, https or ftp URL'),
    # hub names an operator's hub, which brings its own connection
    'koji': dict(fields=KOJI_REQUEST_FIELDS, also=destinations.KOJI_SECRET_FIELDS,
                 constraints=dict(mutually_exclusive=[['hub', key] for key in KOJI_CONNECTION])),
    'koji.builds': dict(elements=('int', 'str'), element_what='an NVR (name-version-release) or a numeric build ID'),
    'koji.tasks': dict(element_what='a Koji task ID (a positive number)'),
    'koji.tag_latest.tag': dict(required=True, missing='give the Koji tag name.'),
    'koji.tag_latest.packages': dict(required=True, missing='give the package names whose latest build to take.'),
    'repos': dict(fields=REPOS_FIELDS, also=REPOS_COMPUTED),
    'repos.resolved': dict(input=True, any=True),
    'repos.extra.name': dict(required=True, missing='give the repository name.'),
    'notify.email': dict(types=('list', 'str'), what='a list (or one string)'),
}
RAW.update(('staging' + ('.' + key if key else ''), value) for key, value in _STAGING_RAW.items())
# a login or its source in a request's koji or staging target: refused whatever its value (request_targets._koji, the operator's)
RAW.update(('koji.' + key, dict(any=True)) for key in destinations.KOJI_SECRET_FIELDS)
RAW.update(('staging.' + key, dict(any=True)) for key in destinations.STAGING_SECRET_FIELDS)

# the service defaults (fedora_build_<name> settings, request.py _defaults) as a user writes them
DEFAULTS_MODEL = {
    'arch': F('str', 'Default arch.', choices=list(ARCHES)),
    'koji': F('dict', 'Koji defaults.', options=_KOJI),
    'staging': F('list', 'Default staging targets.', elements='dict', options=_STAGING_TARGET,
                 required_if=[['type', 'ssh', ['host']], ['type', 'ftp', ['host']]]),
    'timeout': F('int', 'Default builder timeout.'),
    'kiwi_descriptions': F('list', 'Names of the kiwi descriptions.', elements='str'),
    'kickstart_dirs': F('list', "Controller directories a request's kickstart path may lie in.", elements='str'),
    'node_repo_dirs': F('list', "Build node directories a request's file:// repository may name.", elements='str'),
    'koji_gpgkeys': F('list', "Names of the operator's public key files.", elements='str'),
    'staging_targets': F('raw', 'Named staging targets.'),
    'koji_hubs': F('raw', 'Named Koji hubs.'),
    'webhooks': F('raw', 'Named webhooks.'),
    'allow_request_destinations': F('bool', 'Requests may name their own destinations.'),
}
DEFAULTS_RAW = {
    '': dict(fields=DEFAULTS_FIELDS),
    'koji': dict(fields=KOJI_FIELDS, what='a mapping of koji fields'),
    'kiwi_descriptions': dict(types=('list', 'dict')),
    'koji_gpgkeys': dict(types=('list', 'dict')),
    'staging_targets': dict(any=True),  # destinations.operator_names checks these three
    'koji_hubs': dict(any=True),
    'webhooks': dict(any=True),
}
_ONE_PASSWORD = dict(mutually_exclusive=[['password', 'password_env']])
DEFAULTS_RAW.update(('staging' + ('.' + key if key else ''), value) for key, value in _STAGING_RAW.items())
DEFAULTS_RAW['staging'] = dict(_STAGING_RAW[''], constraints=_ONE_PASSWORD)
# one operator Koji hub (fedora_build_koji_hubs.NAME): the connection and its login
KOJI_HUB_MODEL = dict((key, _KOJI[key]) for key in KOJI_HUB_FIELDS)
KOJI_HUB_RAW = {'': dict(fields=KOJI_HUB_FIELDS, what="a mapping of a Koji hub's connection and login fields",
                         constraints=_ONE_PASSWORD)}
STAGING_TARGET_RAW = dict(_STAGING_RAW)  # the operator's own target: its login fields are checked, not refused
STAGING_TARGET_RAW[''] = dict(by=('type', STAGING_FIELDS), what='a mapping with type (local, ssh or ftp) and path',
                              constraints=_ONE_PASSWORD)
# the raw inputs request_shape.check_input checks: (the model's field of the whole, its RAW differences)
INPUTS = {
    'request': (dict(type='dict', options=MODEL), RAW),
    'defaults': (dict(type='dict', options=DEFAULTS_MODEL), DEFAULTS_RAW),
    'koji_hub': (dict(type='dict', options=KOJI_HUB_MODEL), KOJI_HUB_RAW),
    'staging_target': (dict(MODEL['staging'], type='dict'), STAGING_TARGET_RAW),
}


def _fields(node):
    """The sub-fields of a MODEL field (its options), or {}."""
    return node.get('options') or {}


def walk(tree=None, path=''):
    """(dotted path, field) of every field of MODEL, depth first, in MODEL order."""
    for name, field in (MODEL if tree is None else tree).items():
        here = '%s.%s' % (path, name) if path else name
        yield here, field
        yield from walk(_fields(field), here)


def field(path):
    """The MODEL field at a dotted path (``koji.tag_latest.tag``); KeyError when there is none."""
    node = {'options': MODEL}
    for part in path.split('.'):
        node = _fields(node)[part]
    return node


def meta(path):
    """The metadata of the field at a dotted path (doc, secret, computed, max_len, minimum, maximum)."""
    return field(path)[META]


def argument_spec(tree=None, descriptions=True):
    """MODEL (or a part of it) as a plain Ansible argument spec: metadata dropped, descriptions kept or not."""
    out = {}
    for name, node in (MODEL if tree is None else tree).items():
        spec = dict((key, value) for key, value in node.items()
                    if key not in (META, 'options') and (descriptions or key != 'description'))
        if node.get('options'):
            spec['options'] = argument_spec(node['options'], descriptions)
        out[name] = spec
    return out


def text_fields():
    """Dotted paths of the fields a user writes that hold text (str or path, or a list of them)."""
    return [path for path, node in walk()
            if not node[META].get('computed') and not any(node_is_computed(part) for part in _parents(path))
            and (node['type'] in ('str', 'path') or node['type'] == 'list' and node.get('elements') in ('str', 'path'))]


def _parents(path):
    parts = path.split('.')
    return ['.'.join(parts[:index]) for index in range(1, len(parts))]


def node_is_computed(path):
    return bool(meta(path).get('computed'))


def secret_fields():
    """Dotted paths of the fields marked secret."""
    return [path for path, node in walk() if node[META].get('secret')]


def userinfo_fields():
    """Dotted paths of the URL fields whose user information (``user:password@``) is a credential."""
    return [path for path, node in walk() if node[META].get('userinfo')]


def drop_userinfo(value):
    """A URL without its user information (``https://u:p@host/x`` -> ``https://host/x``); anything else as it is."""
    if not isinstance(value, str):
        return value
    return _USERINFO_RE.sub(r'\1', value, count=1)


_USERINFO_RE = re.compile(r'^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@')


def _userinfo(node, value):
    """value without user information when node is marked userinfo, or is a mapping given as the string short
    for its one userinfo field (``kickstart: https://u:p@host/x.ks``)."""
    if node[META].get('userinfo') or isinstance(value, str) and any(
            sub[META].get('userinfo') for sub in _fields(node).values()):
        return drop_userinfo(value)
    return value


def strip_secrets(request, tree=None):
    """A copy of a (normalized) request without the fields MODEL marks secret, at any depth.

    The one function everything that records a request uses (build.json, status records, emails,
    echoed module arguments): what to strip comes from the mark, not from a list of names. A field marked
    ``userinfo`` (``kickstart.src``) keeps its URL without the ``user:password@``.
    """
    tree = MODEL if tree is None else tree
    if isinstance(request, list):
        return [strip_secrets(item, tree) for item in request]
    if not isinstance(request, dict):
        return request
    out = {}
    for key, value in request.items():
        node = tree.get(key) if isinstance(key, str) else None
        if node is not None and node[META].get('secret'):
            continue
        out[key] = strip_secrets(value, _fields(node)) if node is not None and _fields(node) else value
        if node is not None:
            out[key] = _userinfo(node, out[key])
    return out


def hide_secrets(request, tree=None, mask='VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'):
    """Like strip_secrets, but keeps the keys with ``mask`` as the value (for echoed module arguments)."""
    tree = MODEL if tree is None else tree
    if isinstance(request, list):
        return [hide_secrets(item, tree, mask) for item in request]
    if not isinstance(request, dict):
        return request
    out = {}
    for key, value in request.items():
        node = tree.get(key) if isinstance(key, str) else None
        if node is not None and node[META].get('secret') and value is not None:
            out[key] = mask
        else:
            out[key] = hide_secrets(value, _fields(node), mask) if node is not None and _fields(node) else value
            if node is not None:
                out[key] = _userinfo(node, out[key])
    return out


def schema():
    """The normalized request's fields as a nested dict ({field: sub-fields or None}), from MODEL.

    roles/build/meta/argument_specs.yml is generated from MODEL (tools/gen_request_artifacts.py); a unit test
    fails when the checked-in file is stale.
    """
    def tree(node):
        return dict((name, tree(_fields(sub)) if _fields(sub) else None) for name, sub in node.items()
                    if name != 'submitted')
    return tree(MODEL)
