# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""lorax backend of boot_iso: exact argv and the boot tree layout.

The options are those of lorax's ``lorax_parser`` (src/pylorax/cmdline).
lorax needs root, refuses an existing OUTPUTDIR, writes its logs beside
``--logfile`` and leaves ``images/boot.iso``, ``.treeinfo`` and
``.discinfo`` in OUTPUTDIR.
"""

from __future__ import annotations

import os

from ansible_collections.ondemand.fedora_build.plugins.module_utils.backend import Backend
from ansible_collections.ondemand.fedora_build.plugins.module_utils.builders import (
    Tool, check_dir, check_file, check_rootfs_size, check_volid, repo_file_text, required_artifact)
from ansible_collections.ondemand.fedora_build.plugins.module_utils.cmd_runner import CmdRunner, fmt
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils.fileutil import atomic_write
from ansible_collections.ondemand.fedora_build.plugins.module_utils.validate import check_url

ROOTFS_TYPES = ('squashfs', 'squashfs-ext4', 'erofs', 'erofs-ext4')
URL_SCHEMES = ('http', 'https', 'ftp', 'file')
GENERATED_REPO = 'fedora_build.repo'


def _pairs(option):
    """dict -> --opt k=v for each key (sorted, so argv is stable)."""
    def func(value):
        argv = []
        for key in sorted(value or {}):
            argv.extend([option, '%s=%s' % (key, value[key])])
        return argv
    return fmt.as_func(func)


RUNNER = CmdRunner('lorax', dict(
    product=fmt.as_opt_val('--product'),
    version=fmt.as_opt_val('--version'),
    release=fmt.as_opt_val('--release'),
    variant=fmt.as_opt_val('--variant'),
    bugurl=fmt.as_opt_val('--bugurl'),
    isfinal=fmt.as_bool('--isfinal'),
    config=fmt.as_opt_val('--config'),
    proxy=fmt.as_opt_val('--proxy'),
    sources=fmt.as_repeat('--source'),
    repo_args=fmt.as_repeat('--repo'),
    mirrorlists=fmt.as_repeat('--mirrorlist'),
    enablerepos=fmt.as_repeat('--enablerepo'),
    disablerepos=fmt.as_repeat('--disablerepo'),
    installpkgs=fmt.as_repeat('--installpkgs'),
    excludepkgs=fmt.as_repeat('--excludepkgs'),
    buildarch=fmt.as_opt_val('--buildarch'),
    volid=fmt.as_opt_val('--volid'),
    macboot=fmt.as_bool('--macboot', '--nomacboot'),
    noupgrade=fmt.as_bool('--noupgrade'),
    logfile=fmt.as_opt_val('--logfile'),
    tmp=fmt.as_opt_val('--tmp'),
    cachedir=fmt.as_opt_val('--cachedir'),
    add_templates=fmt.as_repeat('--add-template'),
    add_template_vars=_pairs('--add-template-var'),
    add_arch_templates=fmt.as_repeat('--add-arch-template'),
    add_arch_template_vars=_pairs('--add-arch-template-var'),
    noverify=fmt.as_bool('--noverify'),
    sharedir=fmt.as_opt_val('--sharedir'),
    rootfs_size=fmt.as_opt_val('--rootfs-size'),
    rootfs_type=fmt.as_opt_val('--rootfs-type'),
    noverifyssl=fmt.as_bool('--noverifyssl'),
    dnfplugins=fmt.as_repeat('--dnfplugin'),
    skip_branding=fmt.as_bool('--skip-branding'),
    dracut_conf=fmt.as_opt_val('--dracut-conf'),
    dracut_args=fmt.as_repeat('--dracut-arg'),
    outputdir=fmt.as_list(),
))

ORDER = ('product', 'version', 'release', 'variant', 'bugurl', 'isfinal', 'config', 'proxy',
         'sources', 'repo_args', 'mirrorlists', 'enablerepos', 'disablerepos', 'installpkgs', 'excludepkgs',
         'buildarch', 'volid', 'macboot', 'noupgrade', 'logfile', 'tmp', 'cachedir',
         'add_templates', 'add_template_vars', 'add_arch_templates', 'add_arch_template_vars', 'noverify', 'sharedir',
         'rootfs_size', 'rootfs_type', 'noverifyssl', 'dnfplugins', 'skip_branding', 'dracut_conf', 'dracut_args',
         'outputdir')

ARGUMENT_SPEC = dict(
    product=dict(type='str', required=True),
    version=dict(type='str', required=True),
    release=dict(type='str', required=True),
    variant=dict(type='str'),
    bugurl=dict(type='str'),
    isfinal=dict(type='bool', default=False),
    sources=dict(type='list', elements='str', default=[]),
    repo_files=dict(type='list', elements='path', default=[]),
    repos=dict(type='list', elements='dict', default=[], options=dict(
        name=dict(type='str', required=True),
        baseurl=dict(type='str', required=True),
        priority=dict(type='int'),
        cost=dict(type='int'),
        gpgcheck=dict(type='bool', default=False),
        gpgkey=dict(type='str', no_log=False),
        excludepkgs=dict(type='list', elements='str', default=[]),
        module_hotfixes=dict(type='bool', default=False),
    )),
    mirrorlists=dict(type='list', elements='str', default=[]),
    enablerepos=dict(type='list', elements='str', default=[]),
    disablerepos=dict(type='list', elements='str', default=[]),
    installpkgs=dict(type='list', elements='str', default=[]),
    excludepkgs=dict(type='list', elements='str', default=[]),
    volid=dict(type='str'),
    macboot=dict(type='bool'),
    noupgrade=dict(type='bool', default=False),
    config=dict(type='path'),
    proxy=dict(type='str'),
    cachedir=dict(type='path'),
    add_templates=dict(type='list', elements='path', default=[]),
    add_template_vars=dict(type='dict', default={}),
    add_arch_templates=dict(type='list', elements='path', default=[]),
    add_arch_template_vars=dict(type='dict', default={}),
    noverify=dict(type='bool', default=False),
    sharedir=dict(type='path'),
    rootfs_size=dict(type='int'),
    rootfs_type=dict(type='str', choices=list(ROOTFS_TYPES)),
    noverifyssl=dict(type='bool', default=False),
    dnfplugins=dict(type='list', elements='str', default=[]),
    skip_branding=dict(type='bool', default=False),
    dracut_conf=dict(type='path'),
    dracut_args=dict(type='list', elements='str', default=[]),
    source_date_epoch=dict(type='int'),
)


# --- the checks of the options a request may set (Backend.option_checks): the request validator runs them on
# request.builder, Tool.validate on the module's options; each is check(value, options, field) -----------------

def check_dracut_args(value, options, field):
    """dracut_conf is the operator's (fedora_build_builder_paths), which the request validator does not see (there
    options holds no dracut_conf, so this refuses nothing up front); the module sees both."""
    if value and options.get('dracut_conf'):
        raise FedoraBuildError('%s: lorax takes either dracut_conf or dracut_args, not both.' % field)
    return value


OPTION_CHECKS = (
    ('rootfs_size', check_rootfs_size),
    ('volid', check_volid),
    ('dracut_args', check_dracut_args),
)


class Lorax(Tool):
    executable = 'lorax'
    package = 'lorax'
    version_args = ('-V',)

    def validate(self, params, arch):
        if not (params['sources'] or params['repo_files'] or params['repos'] or params['mirrorlists']):
            raise FedoraBuildError('sources: lorax needs a package source; set at least one of sources, repos, '
                                   'repo_files or mirrorlists.')
        for index, url in enumerate(params['sources']):
            check_url(url, URL_SCHEMES, 'sources[%d]' % index)
        for index, url in enumerate(params['mirrorlists']):
            check_url(url, ('http', 'https'), 'mirrorlists[%d]' % index)
        for index, path in enumerate(params['repo_files']):
            check_file(path, 'repo_files[%d]' % index)
            if not path.endswith('.repo'):
                raise FedoraBuildError('repo_files[%d]: %s must end in .repo (lorax loads it as a dnf reposdir).'
                                       % (index, path))
        for index, repo in enumerate(params['repos']):
            check_url(repo['baseurl'], URL_SCHEMES, 'repos[%d].baseurl' % index)
        repo_file_text(params['repos'])
        for field in ('add_templates', 'add_arch_templates'):
            for index, path in enumerate(params[field]):
                check_file(path, '%s[%d]' % (field, index))
        for field in ('config', 'dracut_conf'):
            if params[field]:
                check_file(params[field], field)
        if params['sharedir']:
            check_dir(params['sharedir'], 'sharedir')
        BACKEND.check_options(dict(params, arch=arch))

    def repo_args(self, params, ws):
        files = [os.path.abspath(p) for p in params['repo_files']]
        if params['repos']:
            files.append(os.path.join(ws.inputs, GENERATED_REPO))
        return files

    def argv(self, params, ws, executable, arch, host_arch):
        values = dict(params)
        values.update(repo_args=self.repo_args(params, ws), buildarch=arch,
                      logfile=os.path.join(ws.logs, 'lorax.log'), tmp=ws.tmp, outputdir=ws.out,
                      isfinal=params['isfinal'], add_template_vars=params['add_template_vars'],
                      add_arch_template_vars=params['add_arch_template_vars'])
        return RUNNER.argv(ORDER, executable=executable, **values)

    def input_files(self, params):
        return (list(params['repo_files']) + list(params['add_templates']) + list(params['add_arch_templates'])
                + [p for p in (params['config'], params['dracut_conf']) if p])

    def prepare(self, params, ws):
        if params['repos']:
            atomic_write(os.path.join(ws.inputs, GENERATED_REPO), repo_file_text(params['repos']))

    def environment(self, params):
        if params.get('source_date_epoch') is not None:
            return {'SOURCE_DATE_EPOCH': params['source_date_epoch']}
        return {}

    def discover(self, params, out):
        found = [('boot_iso', required_artifact(out, 'images/boot.iso', 'lorax', 'the boot ISO')),
                 ('treeinfo', required_artifact(out, '.treeinfo', 'lorax', 'the tree metadata'))]
        for kind, rel in (('install_img', 'images/install.img'), ('discinfo', '.discinfo')):
            if os.path.isfile(os.path.join(out, rel)):
                found.append((kind, rel))
        return found


def pipeline_args(request, inputs):
    """Product names from the request; the side repo's .repo file (which carries the distribution repos and
    their excludes) when there is one, else the distribution repos themselves."""
    release = request['release']
    defaults = dict(product='Fedora', version=release, release=release)
    if inputs['side'].get('repo_file'):
        return defaults, dict(repo_files=[inputs['side']['repo_file']])
    return defaults, dict(repos=inputs['base_repos'], mirrorlists=inputs['mirror_urls'])


# lorax.spec requires hfsplus-tools on x86_64 (mkefiboot --apple for the Mac boot image).
BACKEND = Backend(
    name='lorax', image_type='boot', module='boot_iso', tool=Lorax,
    tools=('lorax', 'createrepo_c', 'xorriso', 'rpm'),
    packages=('lorax', 'lorax-templates-generic'), arch_packages={'x86_64': ('hfsplus-tools',)},
    argument_spec=ARGUMENT_SPEC, estimate=1200, default=True,
    pipeline_args=pipeline_args,
    pipeline_sets=('repo_files', 'repos', 'mirrorlists', 'sources', 'enablerepos', 'disablerepos', 'version', 'release'),
    layout={'boot_iso': 'images/boot.iso', 'install_img': 'images/install.img', 'treeinfo': '.treeinfo',
            'discinfo': '.discinfo'},
    contents='package-log', option_checks=OPTION_CHECKS,
)
