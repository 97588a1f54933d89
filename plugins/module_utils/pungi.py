# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""pungi backend of dvd_iso: the legacy kickstart-driven ``pungi`` command, for the Fedora releases that ship it.

This is the command the 2012 seed service ran. Its options are those of pungi 4.1.7's ``bin/pungi`` (the
``pungi-legacy`` subpackage; pungi 3.x had the same set): ``--name`` (an alias of ``--family``) ``--ver --flavor``
(an alias of ``--variant``) ``--destdir --cachedir --workdirbase --bugurl [--nosource] [--sourceisos]
[--nodebuginfo] [--selfhosting] [--fulltree] [--nogreedy|--greedy=M] [--multilib=M...] [--lookaside-repo R...]
[--nodeps] [--isfinal] [--nohash] [--full-archlist] [--no-dvd] [--nomacboot] [-i PKG...] [--lorax-conf F]
--all-stages|-G -C -B -I -c KS``. It has no ``--rootfs-size``. Repositories come from the kickstart's ``repo``
lines; the module adds the side repositories with a generated wrapper kickstart that ``%include``s the user's
kickstart by absolute path (so its own relative includes keep working; pungi runs in the kickstart's directory).

Fedora's pungi package stopped shipping the command with 4.1.39-2 (see pungi_koji.py): this backend covers Fedora
up to 31 (``LAST_RELEASE``); pungi-koji is the default after.

Output layout (pungi's gather.py doCreateIsos): ``DESTDIR/<ver>/<variant>/<arch>/os/`` (tree with ``.treeinfo``)
and ``DESTDIR/<ver>/<variant>/<arch>/iso/<base>-<ver>-<arch>-DVD.iso`` (``<base>-<ver>-<arch>.iso`` when the
tree fits a 700 MiB CD), ``<base>-<ver>-<arch>-netinst.iso`` (boot.iso) and ``<base>-<ver>-<arch>-CHECKSUM``,
where ``<base>`` is ``<name>-<variant>`` (``<name>`` without a variant); i686 trees are named i386.
"""

from __future__ import annotations

import os
import re

from ansible_collections.ondemand.fedora_build.plugins.module_utils.backend import Backend
from ansible_collections.ondemand.fedora_build.plugins.module_utils.builders import (
    SIDE_REPOS_SPEC, KickstartTool, check_file, kickstart_wrapper_text, node_arch)
from ansible_collections.ondemand.fedora_build.plugins.module_utils.cmd_runner import CmdRunner, fmt
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError

# The last Fedora release whose pungi package still had /usr/bin/pungi (pungi-legacy; see pungi_koji.py).
LAST_RELEASE = 31
STAGE_FLAGS = dict(gather='-G', createrepo='-C', buildinstall='-B', createiso='-I')
GREEDY = ('none', 'all', 'build')


def _stages(value):
    if 'all' in value:
        return ['--all-stages']
    return [STAGE_FLAGS[stage] for stage in ('gather', 'createrepo', 'buildinstall', 'createiso') if stage in value]


RUNNER = CmdRunner('pungi', dict(
    name=fmt.as_opt_val('--name'),
    version=fmt.as_opt_val('--ver'),
    flavor=fmt.as_opt_val('--flavor'),
    destdir=fmt.as_opt_val('--destdir'),
    cachedir=fmt.as_opt_val('--cachedir'),
    workdirbase=fmt.as_opt_val('--workdirbase'),
    bugurl=fmt.as_opt_val('--bugurl'),
    nosource=fmt.as_bool('--nosource'),
    sourceisos=fmt.as_bool('--sourceisos'),
    nodebuginfo=fmt.as_bool('--nodebuginfo'),
    selfhosting=fmt.as_bool('--selfhosting'),
    fulltree=fmt.as_bool('--fulltree'),
    nogreedy=fmt.as_bool('--nogreedy'),
    greedy=fmt.as_opt_eq_val('--greedy'),
    multilib=fmt.as_func(lambda v: ['--multilib=%s' % m for m in v]),
    lookaside_repos=fmt.as_repeat('--lookaside-repo'),
    nodeps=fmt.as_bool('--nodeps'),
    isfinal=fmt.as_bool('--isfinal'),
    nohash=fmt.as_bool('--nohash'),
    full_archlist=fmt.as_bool('--full-archlist'),
    no_dvd=fmt.as_bool('--no-dvd'),
    nomacboot=fmt.as_bool('--nomacboot'),
    installpkgs=fmt.as_repeat('--installpkgs'),
    lorax_conf=fmt.as_opt_val('--lorax-conf'),
    stages=fmt.as_func(_stages),
    config=fmt.as_opt_val('-c'),
))

ORDER = ('name', 'version', 'flavor', 'destdir', 'cachedir', 'workdirbase', 'bugurl', 'nosource', 'sourceisos',
         'nodebuginfo', 'selfhosting', 'fulltree', 'nogreedy', 'greedy', 'multilib', 'lookaside_repos', 'nodeps',
         'isfinal', 'nohash', 'full_archlist', 'no_dvd', 'nomacboot', 'installpkgs', 'lorax_conf',
         'stages', 'config')

ARGUMENT_SPEC = dict(
    kickstart=dict(type='path'),
    side_repos=SIDE_REPOS_SPEC,
    name=dict(type='str', default='Fedora'),
    version=dict(type='str'),
    flavor=dict(type='str', default=''),
    bugurl=dict(type='str'),
    cachedir=dict(type='path'),
    nosource=dict(type='bool', default=False),
    sourceisos=dict(type='bool', default=False),
    nodebuginfo=dict(type='bool', default=False),
    selfhosting=dict(type='bool', default=False),
    fulltree=dict(type='bool', default=False),
    nogreedy=dict(type='bool', default=False),
    greedy=dict(type='str', choices=list(GREEDY)),
    multilib=dict(type='list', elements='str', default=[]),
    lookaside_repos=dict(type='list', elements='str', default=[]),
    nodeps=dict(type='bool', default=False),
    isfinal=dict(type='bool', default=False),
    nohash=dict(type='bool', default=False),
    full_archlist=dict(type='bool', default=False),
    no_dvd=dict(type='bool', default=False),
    nomacboot=dict(type='bool', default=False),
    installpkgs=dict(type='list', elements='str', default=[]),
    lorax_conf=dict(type='path'),
    stages=dict(type='list', elements='str', default=['all'],
                choices=['all', 'gather', 'createrepo', 'buildinstall', 'createiso']),
)


def tree_arch(arch):
    """pungi names i686 trees i386."""
    return 'i386' if arch == 'i686' else arch


# --- the checks of the options a request may set (Backend.option_checks): the request validator runs them on
# request.builder, Tool.validate on the module's options; each is check(value, options, field) -----------------
_WORD_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._+-]*\Z')


def check_word(value, options, field):
    """name (and the pipeline's version): part of the ISO file names."""
    if not _WORD_RE.match(value or ''):
        raise FedoraBuildError('%s: %r must be letters, digits, ".", "_", "+" or "-" (it becomes part of the ISO file '
                               'names).' % (field, value))
    return value


def check_flavor(value, options, field):
    if value and not value.isalnum():
        raise FedoraBuildError('%s: %r must be alphanumeric (pungi refuses anything else).' % (field, value))
    return value


def check_greedy(value, options, field):
    if value and options.get('nogreedy'):
        raise FedoraBuildError('%s: set either greedy or nogreedy, not both.' % field)
    return value


def check_stages(value, options, field):
    if value == [] or ('all' in value and len(value) > 1):
        raise FedoraBuildError('%s: use ["all"] or a list of gather, createrepo, buildinstall, createiso.' % field)
    return value


OPTION_CHECKS = (
    ('name', check_word),
    ('flavor', check_flavor),
    ('greedy', check_greedy),
    ('stages', check_stages),
)


class Pungi(KickstartTool):
    wrapper_name = 'dvd.ks'
    executable = 'pungi'
    package = 'pungi'
    version_args = ('--version',)

    def validate(self, params, arch):
        for field in ('kickstart', 'version'):
            if not params.get(field):
                raise FedoraBuildError('%s: backend pungi needs it (-c and --ver).' % field)
        check_file(params['kickstart'], 'kickstart')
        check_word(params['version'], params, 'version')
        if params['name'] is None:  # option checks skip unset options; pungi needs a name (--name)
            check_word(None, params, 'name')
        BACKEND.check_options(dict(params, arch=arch))
        if params['lorax_conf']:
            check_file(params['lorax_conf'], 'lorax_conf')
        kickstart_wrapper_text(params['kickstart'], params['side_repos'])

    def needs_root(self, params):
        # pungi: "You must run pungi as root" when buildinstall (lorax) runs.
        return 'all' in params['stages'] or 'buildinstall' in params['stages']

    def argv(self, params, ws, executable, arch, host_arch):
        values = dict(params)
        values.update(destdir=ws.out, cachedir=params['cachedir'] or ws.path_in('cache'),
                      workdirbase=ws.path_in('tmp', 'work'), config=self.kickstart_path(params, ws),
                      flavor=params['flavor'] or None,
                      multilib=params['multilib'] or None)
        return RUNNER.argv(ORDER, executable=executable, **values)

    def input_files(self, params):
        return [params['kickstart']] + ([params['lorax_conf']] if params['lorax_conf'] else [])

    def discover(self, params, out):
        arch = tree_arch(params.get('arch') or node_arch())
        base = os.path.join(params['version'], params['flavor'] or '', arch)
        stages = params['stages']
        found = []
        treeinfo = os.path.join(base, 'os', '.treeinfo')
        if 'all' in stages or 'buildinstall' in stages:
            if not os.path.isfile(os.path.join(out, treeinfo)):
                raise FedoraBuildError('pungi exited successfully but did not produce %s (the install tree) in %s.'
                                       % (treeinfo, out))
            found.append(('treeinfo', os.path.normpath(treeinfo)))
            boot = os.path.join(base, 'os', 'images', 'boot.iso')
            if os.path.isfile(os.path.join(out, boot)):
                found.append(('boot_iso', os.path.normpath(boot)))
        if 'all' in stages or 'createiso' in stages:
            basename = '%s-%s' % (params['name'], params['flavor']) if params['flavor'] else params['name']
            stem = '%s-%s-%s' % (basename, params['version'], arch)
            iso_dir = os.path.join(base, 'iso')
            wanted = [('netinst_iso', stem + '-netinst.iso'), ('checksum', stem + '-CHECKSUM')]
            if not params['no_dvd']:
                # pungi names the image -DVD.iso only when the tree is larger than a 700 MiB CD
                dvd = stem + '-DVD.iso'
                if not os.path.isfile(os.path.join(out, iso_dir, dvd)) and os.path.isfile(
                        os.path.join(out, iso_dir, stem + '.iso')):
                    dvd = stem + '.iso'
                wanted.insert(0, ('dvd_iso', dvd))
            for kind, name in wanted:
                rel = os.path.normpath(os.path.join(iso_dir, name))
                if not os.path.isfile(os.path.join(out, rel)):
                    raise FedoraBuildError('pungi exited successfully but did not produce %s%s in %s.' % (
                        rel, ' (or %s.iso, its name under 700 MiB)' % stem if kind == 'dvd_iso' else '', out))
                found.append((kind, rel))
        return found


def pipeline_args(request, inputs):
    """The prepared kickstart carries the repositories (side repo included) and the package set."""
    return dict(name='Fedora', version=request['release']), dict(kickstart=inputs['kickstart'])


BACKEND = Backend(
    name='pungi', image_type='dvd', module='dvd_iso', tool=Pungi,
    tools=('pungi', 'createrepo_c', 'xorriso', 'rpm'),
    packages=('pungi', 'pungi-legacy'), argument_spec=ARGUMENT_SPEC, needs_kickstart=True,
    estimate=3600, default=True, releases=(None, LAST_RELEASE),
    pipeline_args=pipeline_args, pipeline_sets=('kickstart', 'side_repos', 'version'),
    layout={'treeinfo': '<version>/<flavor>/<arch>/os/.treeinfo',
            'boot_iso': '<version>/<flavor>/<arch>/os/images/boot.iso',
            'dvd_iso': '<version>/<flavor>/<arch>/iso/<name>[-<flavor>]-<version>-<arch>-DVD.iso (or .iso under 700 MiB)',
            'netinst_iso': '<version>/<flavor>/<arch>/iso/<name>[-<flavor>]-<version>-<arch>-netinst.iso',
            'checksum': '<version>/<flavor>/<arch>/iso/<name>[-<flavor>]-<version>-<arch>-CHECKSUM'},
    contents='repodata', option_checks=OPTION_CHECKS,
)
