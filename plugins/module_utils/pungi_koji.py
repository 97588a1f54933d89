# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""pungi-koji backend of dvd_iso: a local compose, the way current Fedora makes DVDs and install trees.

Fedora's pungi package stopped shipping the classic kickstart-driven ``pungi`` command with pungi 4.1.39-2
(Fedora's pungi.spec changelog, 2019-09-09: "Drop pungi-legacy subpackage due to broken dependencies"; the spec
has ``rm %{buildroot}%{_bindir}/pungi`` since): Fedora 32 was the first release branched without it, so this
backend is the dvd default from Fedora 32 on (``pungi.LAST_RELEASE`` + 1).

What runs (pungi/scripts/pungi_koji.py of pungi 4.6)::

    pungi-koji --config <inputs>/pungi.conf --compose-dir <out> --test|--production [--label L|--no-label]
               --no-latest-link

The configuration is generated from the request (``compose_config``, pure): a package set from local
repositories (``pkgset_source = 'repos'``, ``pkgset_repos``: the side repo first, then the release repos; pungi
takes plain URLs there, no mirrorlists, costs or excludes), one variant (``variants_file``), the packages and groups
of the kickstart's ``%packages`` (``additional_packages``, the variant's comps groups, ``filter_packages`` for
``-name`` lines), buildinstall with lorax (``buildinstall_method = 'lorax'``, ``lorax_options``) and the DVD by the
createiso phase (``createiso_skip`` when no_dvd). Every key is one of pungi/checks.py's ``make_schema()`` (the
schema refuses unknown keys; required: release_name, release_short, release_version, variants_file,
pkgset_source, gather_method; ``pkgset_source = 'repos'`` requires pkgset_repos).

Output layout (``--compose-dir`` is the module's output dir): ``STATUS``, ``COMPOSE_ID``,
``compose/<Variant>/<arch>/os/`` (the tree, ``.treeinfo``, ``Packages/``, ``repodata/``, ``images/boot.iso``),
``compose/<Variant>/<arch>/iso/*.iso`` and ``*CHECKSUM``, ``compose/metadata/{composeinfo,images,rpms}.json``
(productmd), ``logs/``; pungi's ``work/`` is removed after success.
"""

from __future__ import annotations

import glob
import os
import re

from ansible_collections.ondemand.fedora_build.plugins.module_utils import pungi
from ansible_collections.ondemand.fedora_build.plugins.module_utils.backend import Backend
from ansible_collections.ondemand.fedora_build.plugins.module_utils.builders import Tool, check_file, check_rootfs_size, node_arch
from ansible_collections.ondemand.fedora_build.plugins.module_utils.cmd_runner import CmdRunner, fmt
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils.fileutil import atomic_write
from ansible_collections.ondemand.fedora_build.plugins.module_utils.validate import check_name, check_url

# The first Fedora release whose pungi package has no /usr/bin/pungi (see the module docstring).
FIRST_RELEASE = pungi.LAST_RELEASE + 1
CONFIG_NAME = 'pungi.conf'
VARIANTS_NAME = 'variants.xml'
COMPOSE_TYPES = ('production', 'test', 'nightly', 'ci', 'development')
GATHER_METHODS = ('deps', 'nodeps')
GREEDY = ('none', 'all', 'build')
URL_SCHEMES = ('http', 'https', 'ftp', 'file')
# pungi's variant UIDs and release_short: letters and digits (productmd's release short name allows "-" too).
_UID_RE = re.compile(r'^[A-Za-z][A-Za-z0-9]{0,63}\Z')
_SHORT_RE = re.compile(r'^[A-Za-z][A-Za-z0-9-]{0,63}\Z')
# productmd.composeinfo.verify_label: <Name>-<major>.<minor>
_LABEL_RE = re.compile(r'^(Alpha|Beta|RC|Update|Snapshot|RHEL|Preview|Unsupported)-\d+(\.\d+)?\Z')
_PLAIN_RE = re.compile(r'^[^\'"\\\x00-\x1f\x7f]*\Z')

RUNNER = CmdRunner('pungi-koji', dict(
    config=fmt.as_opt_val('--config'),
    compose_dir=fmt.as_opt_val('--compose-dir'),
    compose_type=fmt.as_func(lambda v: ['--%s' % v]),
    label=fmt.as_opt_val('--label'),
    no_label=fmt.as_bool('--no-label'),
    no_latest_link=fmt.as_bool('--no-latest-link'),
))
ORDER = ('config', 'compose_dir', 'compose_type', 'label', 'no_label', 'no_latest_link')

REPO_OPTIONS = dict(
    name=dict(type='str', required=True),
    baseurl=dict(type='str', required=True),
)

# The options both dvd backends take, with the legacy backend's spec (dvd_iso merges the two option sets).
SHARED = ('kickstart', 'name', 'version', 'bugurl', 'fulltree', 'selfhosting', 'greedy', 'multilib', 'no_dvd',
          'nomacboot', 'lorax_conf')
OPTIONS = dict((key, pungi.ARGUMENT_SPEC[key]) for key in SHARED)
OPTIONS.update(
    repos=dict(type='list', elements='dict', default=[], options=REPO_OPTIONS),
    release_short=dict(type='str'),
    variant=dict(type='str', default='Everything'),
    packages=dict(type='list', elements='str', default=[]),
    groups=dict(type='list', elements='str', default=[]),
    exclude_packages=dict(type='list', elements='str', default=[]),
    comps_file=dict(type='path'),
    compose_type=dict(type='str', default='test', choices=list(COMPOSE_TYPES)),
    label=dict(type='str'),
    gather_method=dict(type='str', default='deps', choices=list(GATHER_METHODS)),
    buildinstall=dict(type='bool', default=True),
    rootfs_size=dict(type='int'),
)


def tree_arch(arch):
    """pungi's compose arch of a node arch (i686 trees are i386)."""
    return 'i386' if arch == 'i686' else arch


def kickstart_packages(text):
    """(packages, groups, excludes) of a kickstart's ``%packages`` sections (the prepared, flattened kickstart).

    ``@group`` and ``@^environment`` lines are groups, ``-name`` lines excludes, the rest package names or globs.
    """
    packages, groups, excludes = [], [], []
    inside = False
    for raw in text.splitlines():
        line = raw.split('#', 1)[0].strip()
        if not line:
            continue
        if line.startswith('%'):
            inside = line.split()[0] == '%packages'
            continue
        if not inside:
            continue
        if line.startswith('@'):
            groups.append(line[1:].lstrip('^').split()[0])
        elif line.startswith('-'):
            excludes.append(line[1:].strip())
        else:
            packages.append(line.split()[0])
    return packages, groups, excludes


def release_short(params):
    """release_short: the option, else the product name without what productmd refuses."""
    return params.get('release_short') or re.sub(r'[^A-Za-z0-9-]', '', params['name']) or 'Fedora'


def _plain(value, field):
    """A string that goes into the Python-syntax compose configuration as a plain quoted literal."""
    if not isinstance(value, str) or not _PLAIN_RE.match(value):
        raise FedoraBuildError('%s: %r must not contain quotes, backslashes or control characters (it goes into '
                               "pungi's configuration file)." % (field, str(value)[:60]))
    return value


# --- the checks of the options a request may set (Backend.option_checks): the request validator runs them on
# request.builder, Tool.validate on the module's options; each is check(value, options, field) -----------------

def check_release_name(value, options, field):
    """name: a plain literal; without release_short, what it gives as the release short name must be one."""
    _plain(value, field)
    if not options.get('release_short'):
        short = release_short(dict(options, name=value))
        if not _SHORT_RE.match(short):
            raise FedoraBuildError('%s: %r gives the release short name %r, which must be letters, digits and "-", '
                                   'starting with a letter; set release_short.' % (field, value, short))
    return value


def check_release_short(value, options, field):
    if not _SHORT_RE.match(value):
        raise FedoraBuildError('%s: %r must be letters, digits and "-", starting with a letter.' % (field, value))
    return value


def check_variant(value, options, field):
    if not _UID_RE.match(value):
        raise FedoraBuildError('%s: %r must be letters and digits, starting with a letter (a pungi variant UID).'
                               % (field, value))
    return value


def check_label(value, options, field):
    if options.get('compose_type') not in (None, 'production'):
        raise FedoraBuildError('%s: pungi-koji takes a label only for a production compose (compose_type %s).'
                               % (field, options['compose_type']))
    if not _LABEL_RE.match(value):
        raise FedoraBuildError('%s: %r is not a compose label pungi accepts (such as RC-1.0 or Snapshot-1.0).'
                               % (field, value))
    return value


def check_plain_items(value, options, field):
    for index, item in enumerate(value):
        _plain(item, '%s[%d]' % (field, index))
    return value


def check_pkgset_repos(value, options, field):
    """The package set's repositories (``repos``, set by the pipeline from the request's repos and its Koji side
    repo): at least one, each a name and a plain URL pungi's configuration can hold."""
    if not value:
        raise FedoraBuildError('%s: backend pungi-koji needs at least one repository with a baseurl (its package '
                               'set comes from pkgset_repos).' % field)
    for index, repo in enumerate(value):
        check_name(repo['name'], '%s[%d].name' % (field, index))
        check_url(repo['baseurl'], URL_SCHEMES, '%s[%d].baseurl' % (field, index))
        _plain(repo['baseurl'], '%s[%d].baseurl' % (field, index))


# the checks of options the pipeline derives from a request (Backend.pipeline_checks)
PIPELINE_CHECKS = (
    ('repos', check_pkgset_repos),
)


OPTION_CHECKS = (
    ('name', check_release_name),
    ('release_short', check_release_short),
    ('variant', check_variant),
    ('label', check_label),
    ('rootfs_size', check_rootfs_size),
    ('exclude_packages', check_plain_items),
)


def package_selection(params, kickstart_text=None):
    """(packages, groups, excludes): the options' then the kickstart's %packages, each without repeats."""
    packages, groups, excludes = list(params['packages']), list(params['groups']), list(params['exclude_packages'])
    if kickstart_text is not None:
        more = kickstart_packages(kickstart_text)
        packages += more[0]
        groups += more[1]
        excludes += more[2]

    def unique(items):
        seen = []
        for item in items:
            if item not in seen:
                seen.append(item)
        return seen
    return unique(packages), unique(groups), unique(excludes)


def compose_config(params, arch, variants_file, selection):
    """The compose configuration as [(key, value)] in file order (pure; keys of pungi/checks.py make_schema())."""
    packages, groups, excludes = selection
    variant = '^%s$' % params['variant']
    lorax = {}
    if params.get('bugurl'):
        lorax['bugurl'] = params['bugurl']
    if params.get('nomacboot'):
        lorax['nomacboot'] = True
    if params.get('rootfs_size') is not None:
        lorax['rootfs_size'] = params['rootfs_size']
    if params.get('lorax_conf'):
        lorax['configuration_file'] = os.path.abspath(params['lorax_conf'])
    items = [
        ('release_name', params['name']),
        ('release_short', release_short(params)),
        ('release_version', str(params['version'])),
        ('variants_file', variants_file),
    ]
    if params.get('comps_file'):
        items.append(('comps_file', os.path.abspath(params['comps_file'])))
    items += [
        ('pkgset_source', 'repos'),
        ('pkgset_repos', {tree_arch(arch): [r['baseurl'] for r in params['repos']]}),
        ('sigkeys', [None]),
        ('tree_arches', [tree_arch(arch)]),
        ('tree_variants', [params['variant']]),
        ('gather_method', params['gather_method']),
        ('gather_backend', 'dnf'),
        ('gather_fulltree', bool(params.get('fulltree'))),
        ('gather_selfhosting', bool(params.get('selfhosting'))),
        ('greedy_method', params.get('greedy') or 'none'),
        ('check_deps', True),
        ('hashed_directories', True),
        ('createrepo_checksum', 'sha256'),
        ('create_jigdo', False),
        ('media_checksums', ['sha256']),
        ('media_checksum_one_file', True),
    ]
    if packages:
        items.append(('additional_packages', [(variant, {'*': packages})]))
    if excludes:
        items.append(('filter_packages', [(variant, {'*': excludes})]))
    if params.get('multilib'):
        items.append(('multilib', [(variant, {tree_arch(arch): list(params['multilib'])})]))
    if params['buildinstall']:
        items.append(('buildinstall_method', 'lorax'))
        if lorax:
            items.append(('lorax_options', [('^.*$', {'*': lorax})]))
    if params.get('no_dvd'):
        items.append(('createiso_skip', [('^.*$', {'*': True})]))
    skip = ['repoclosure', 'ostree', 'ostree_installer', 'ostree_container', 'osbs', 'osbuild', 'image_build',
            'live_media', 'image_container', 'kiwibuild']
    if not params['buildinstall']:
        skip.insert(0, 'buildinstall')
    items.append(('skip_phases', skip))
    return items


def _literal(value):
    """A Python literal pungi's kobo PyConfigParser reads: str, bool, int, None, list, tuple, dict."""
    if value is None or isinstance(value, (bool, int)):
        return repr(value)
    if isinstance(value, str):
        return "'%s'" % _plain(value, 'configuration')
    if isinstance(value, tuple):
        return '(%s)' % ', '.join(_literal(v) for v in value)
    if isinstance(value, list):
        return '[%s]' % ', '.join(_literal(v) for v in value)
    if isinstance(value, dict):
        return '{%s}' % ', '.join('%s: %s' % (_literal(k), _literal(value[k])) for k in sorted(value))
    raise FedoraBuildError('configuration: %r cannot be written to the pungi configuration.' % (value,))


def render_config(items):
    """The configuration file text: one ``key = literal`` per line."""
    lines = ['# generated by ondemand.fedora_build (dvd_iso, backend pungi-koji)']
    lines += ['%s = %s' % (key, _literal(value)) for key, value in items]
    return '\n'.join(lines) + '\n'


def variants_xml(params, arch, groups):
    """pungi's variants file (variants.dtd): one variant of ``arch`` with the comps groups it contains."""
    uid = params['variant']
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<!DOCTYPE variants PUBLIC "-//Red Hat, Inc.//DTD Variants info//EN" "variants2012.dtd">',
             '<variants>',
             '  <variant id="%s" name="%s" type="variant">' % (uid, uid),
             '    <arches>',
             '      <arch>%s</arch>' % tree_arch(arch),
             '    </arches>']
    if groups:
        lines.append('    <groups>')
        lines += ['      <group default="true">%s</group>' % g for g in groups]
        lines.append('    </groups>')
    lines += ['  </variant>', '</variants>']
    return '\n'.join(lines) + '\n'


class PungiKoji(Tool):
    executable = 'pungi-koji'
    package = 'pungi'
    version_args = ('--version',)

    def _kickstart_text(self, params):
        if not params.get('kickstart'):
            return None
        path = check_file(params['kickstart'], 'kickstart')
        with open(path, 'r') as handle:
            return handle.read()

    def validate(self, params, arch):
        if not params.get('version'):
            raise FedoraBuildError('version: backend pungi-koji needs the release version (release_version).')
        _plain(str(params['version']), 'version')
        BACKEND.check_options(dict(params, arch=arch))
        BACKEND.check_pipeline(params)
        for field in ('comps_file', 'lorax_conf'):
            if params.get(field):
                check_file(params[field], field)
        packages, groups, excludes = package_selection(params, self._kickstart_text(params))
        for field, items in (('packages', packages), ('groups', groups), ('exclude_packages', excludes)):
            for index, item in enumerate(items):
                _plain(item, '%s[%d]' % (field, index))
        if groups and not params.get('comps_file'):
            raise FedoraBuildError('groups: the package groups %s need a comps file (comps_file); pungi-koji takes '
                                   'groups from it, not from the repositories.' % ', '.join('@' + g for g in groups[:5]))
        if not packages and not groups:
            raise FedoraBuildError('packages: backend pungi-koji needs packages or groups (options, or the '
                                   "kickstart's %packages).")

    def needs_root(self, params):
        # buildinstall runs lorax, which refuses to run without root.
        return params['buildinstall']

    def argv(self, params, ws, executable, arch, host_arch):
        production = params['compose_type'] == 'production'
        values = dict(config=os.path.join(ws.inputs, CONFIG_NAME), compose_dir=ws.out,
                      compose_type=params['compose_type'], label=params['label'] if production else None,
                      no_label=production and not params['label'], no_latest_link=True)
        return RUNNER.argv(ORDER, executable=executable, **values)

    def input_files(self, params):
        return [p for p in (params.get('kickstart'), params.get('comps_file'), params.get('lorax_conf')) if p]

    def prepare(self, params, ws):
        arch = params.get('arch') or node_arch()
        selection = package_selection(params, self._kickstart_text(params))
        variants = os.path.join(ws.inputs, VARIANTS_NAME)
        atomic_write(variants, variants_xml(params, arch, selection[1]))
        atomic_write(os.path.join(ws.inputs, CONFIG_NAME),
                     render_config(compose_config(params, arch, variants, selection)))

    def working_dir(self, params, ws):
        return ws.path

    def finish(self, params, out):
        # pungi's work/ (package set repos, the lorax run, staging) is not a result; compose/ holds copies or links.
        import shutil  # pylint: disable=import-outside-toplevel
        shutil.rmtree(os.path.join(out, 'work'), ignore_errors=True)

    def discover(self, params, out):
        status_path = os.path.join(out, 'STATUS')
        try:
            with open(status_path, 'r') as handle:
                status = handle.read().strip()
        except (IOError, OSError):
            status = None
        if status not in ('FINISHED', 'FINISHED_INCOMPLETE'):
            raise FedoraBuildError('pungi-koji exited successfully but the compose STATUS in %s is %s, not FINISHED.'
                                   % (out, status or 'missing'))
        arch = tree_arch(params.get('arch') or node_arch())
        base = os.path.join('compose', params['variant'], arch)
        found = []
        for kind, rel, required in (('treeinfo', os.path.join(base, 'os', '.treeinfo'), True),
                                    ('boot_iso', os.path.join(base, 'os', 'images', 'boot.iso'), False),
                                    ('composeinfo', os.path.join('compose', 'metadata', 'composeinfo.json'), True),
                                    ('rpms_metadata', os.path.join('compose', 'metadata', 'rpms.json'), True),
                                    ('images_metadata', os.path.join('compose', 'metadata', 'images.json'), False)):
            if os.path.isfile(os.path.join(out, rel)):
                found.append((kind, rel))
            elif required:
                raise FedoraBuildError('pungi-koji exited successfully but did not produce %s in %s.' % (rel, out))
        isos = sorted(glob.glob(os.path.join(out, base, 'iso', '*.iso')))
        if not isos and not params.get('no_dvd'):
            raise FedoraBuildError('pungi-koji exited successfully but made no ISO in %s.'
                                   % os.path.join(out, base, 'iso'))
        for index, path in enumerate(isos):
            found.append(('dvd_iso' if index == 0 else 'iso', os.path.relpath(path, out)))
        for path in sorted(glob.glob(os.path.join(out, base, 'iso', '*CHECKSUM'))):
            found.append(('checksum', os.path.relpath(path, out)))
        return found


def pipeline_args(request, inputs):
    """The prepared kickstart carries the package set (%packages); the repositories are the side repo first, then the
    release repos with a baseurl (pkgset_repos takes URLs; metalinks and mirrorlists cannot be used)."""
    if inputs['mirror_urls']:
        raise FedoraBuildError('repos.source: backend pungi-koji takes its package set from repository URLs '
                               "(pungi's pkgset_repos), not from metalinks or mirrorlists; use source: baseurl.")
    repos = []
    if inputs['side'].get('repo_path'):
        repos.append(dict(name='koji-side', baseurl='file://' + inputs['side']['repo_path']))
    repos.extend(dict(name=r['name'], baseurl=r['baseurl']) for r in inputs['base_repos'])
    return dict(name='Fedora', version=request['release']), dict(kickstart=inputs['kickstart'], repos=repos)


BACKEND = Backend(
    name='pungi-koji', image_type='dvd', module='dvd_iso', tool=PungiKoji,
    tools=('pungi-koji', 'lorax', 'createrepo_c', 'xorriso', 'rpm'),
    packages=('pungi', 'lorax', 'createrepo_c', 'xorriso', 'python3-productmd'), argument_spec=OPTIONS,
    # buildinstall runs lorax: lorax.spec requires hfsplus-tools on x86_64 (mkefiboot --apple)
    arch_packages={'x86_64': ('hfsplus-tools',)},
    needs_kickstart=True, estimate=3600, default=True, releases=(FIRST_RELEASE, None),
    # packages and groups: a request gives them in the kickstart (%packages, kickstart.packages), read by the module
    pipeline_args=pipeline_args, pipeline_sets=('kickstart', 'repos', 'version', 'packages', 'groups'),
    contents='repodata', option_checks=OPTION_CHECKS, pipeline_checks=PIPELINE_CHECKS,
    layout={'treeinfo': 'compose/<variant>/<arch>/os/.treeinfo',
            'boot_iso': 'compose/<variant>/<arch>/os/images/boot.iso',
            'dvd_iso': 'compose/<variant>/<arch>/iso/*.iso',
            'checksum': 'compose/<variant>/<arch>/iso/*CHECKSUM',
            'composeinfo': 'compose/metadata/composeinfo.json',
            'rpms_metadata': 'compose/metadata/rpms.json',
            'images_metadata': 'compose/metadata/images.json'},
)
