# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""livemedia-creator backend of live_image (``--no-virt``, anaconda on the node).

Options are those of lorax's ``lmc_parser``.  lmc needs root, refuses an
existing ``--resultdir`` and writes its logs beside ``--logfile``.
Output layout: ``--make-iso`` leaves the live tree with ``images/boot.iso``
in the result dir, or only ``<iso-name>`` with ``--iso-only --iso-name``;
``--make-disk`` leaves ``<image-name>``.  ``--no-virt`` cannot cross-build.
"""

from __future__ import annotations

import os
import shutil

from ansible_collections.ondemand.fedora_build.plugins.module_utils.backend import Backend
from ansible_collections.ondemand.fedora_build.plugins.module_utils.builders import (
    SIDE_REPOS_SPEC, KickstartTool, check_dir, check_file, check_volid, kickstart_wrapper_text, required_artifact)
from ansible_collections.ondemand.fedora_build.plugins.module_utils.cmd_runner import CmdRunner, fmt
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError

ROOTFS_TYPES = ('squashfs', 'squashfs-ext4', 'erofs', 'erofs-ext4')
# The Mac boot image (mkefiboot --apple) exists for x86_64 only and needs mkfs.hfsplus (hfsplus-tools);
# livemedia-creator turns --macboot on by default and refuses it without mkfs.hfsplus.
MACBOOT_ARCHES = ('x86_64',)
MKFS_HFSPLUS = 'mkfs.hfsplus'


def have_mkfs_hfsplus():
    return bool(shutil.which(MKFS_HFSPLUS, path=os.pathsep.join([os.environ.get('PATH', ''), '/usr/sbin', '/sbin'])))


def macboot(params, arch):
    """--macboot or --nomacboot, always explicit: unset means macboot where the arch has it and the tools exist."""
    if params.get('macboot') is not None:
        return params['macboot']
    return arch in MACBOOT_ARCHES and have_mkfs_hfsplus()


RUNNER = CmdRunner('livemedia-creator', dict(
    make=fmt.as_func(lambda v: ['--make-%s' % v]),
    no_virt=fmt.as_fixed('--no-virt'),
    ks=fmt.as_opt_val('--ks'),
    iso_name=fmt.as_func(lambda v: ['--iso-only', '--iso-name', v]),
    image_name=fmt.as_opt_val('--image-name'),
    qcow2=fmt.as_bool('--qcow2'),
    resultdir=fmt.as_opt_val('--resultdir'),
    tmp=fmt.as_opt_val('--tmp'),
    logfile=fmt.as_opt_val('--logfile'),
    project=fmt.as_opt_val('--project'),
    releasever=fmt.as_opt_val('--releasever'),
    volid=fmt.as_opt_val('--volid'),
    fs_label=fmt.as_opt_val('--fs-label'),
    lorax_templates=fmt.as_opt_val('--lorax-templates'),
    extra_boot_args=fmt.as_opt_val('--extra-boot-args'),
    macboot=fmt.as_bool('--macboot', '--nomacboot'),
    rootfs_type=fmt.as_opt_val('--rootfs-type'),
    dracut_args=fmt.as_repeat('--dracut-arg'),
    anaconda_args=fmt.as_func(lambda v: ['--anaconda-arg=%s' % a for a in v]),
    anaconda_timeout=fmt.as_opt_val('--timeout'),
))

ORDER = ('make', 'no_virt', 'ks', 'iso_name', 'image_name', 'qcow2', 'resultdir', 'tmp', 'logfile', 'project',
         'releasever', 'volid', 'fs_label', 'lorax_templates', 'extra_boot_args', 'macboot', 'rootfs_type',
         'dracut_args', 'anaconda_args', 'anaconda_timeout')

# live_image options that only livemedia-creator uses (value when unset).
OPTIONS = dict(
    kickstart=dict(type='path'),
    side_repos=SIDE_REPOS_SPEC,
    make=dict(type='str', default='iso', choices=['iso', 'disk']),
    project=dict(type='str'),
    releasever=dict(type='str'),
    volid=dict(type='str'),
    iso_name=dict(type='str'),
    image_name=dict(type='str'),
    qcow2=dict(type='bool', default=False),
    fs_label=dict(type='str'),
    lorax_templates=dict(type='path'),
    extra_boot_args=dict(type='str'),
    macboot=dict(type='bool'),
    rootfs_type=dict(type='str', choices=list(ROOTFS_TYPES)),
    dracut_args=dict(type='list', elements='str', default=[]),
    anaconda_args=dict(type='list', elements='str', default=[]),
    anaconda_timeout=dict(type='int'),
)


def _plain_file_name(value, field, suffixes):
    if '/' in value or value in ('.', '..') or not value.endswith(suffixes):
        raise FedoraBuildError('%s: %r must be a plain file name ending in %s.' % (field, value, ' or '.join(suffixes)))
    return value


# --- the checks of the options a request may set (Backend.option_checks): the request validator runs them on
# request.builder, Tool.validate on the module's options (with arch); each is check(value, options, field) ------

def _for_make(make, options, field):
    if options.get('make') not in (None, make):
        raise FedoraBuildError('%s: only applies to make: %s.' % (field, make))


def check_iso_name(value, options, field):
    if not value:
        return value
    _for_make('iso', options, field)
    return _plain_file_name(value, field, ('.iso',))


def check_image_name(value, options, field):
    if not value:
        return value
    _for_make('disk', options, field)
    return _plain_file_name(value, field, ('.img', '.raw', '.qcow2'))


def check_qcow2(value, options, field):
    if value:
        _for_make('disk', options, field)
    return value


def check_anaconda_timeout(value, options, field):
    if value < 1:
        raise FedoraBuildError('%s: %r must be at least 1 (minutes).' % (field, value))
    return value


def check_macboot(value, options, field):
    """What the request can know: the arch (whether the node has mkfs.hfsplus is the module's to see)."""
    if value and options.get('arch') and options['arch'] not in MACBOOT_ARCHES:
        raise FedoraBuildError('%s: %s images have no Mac boot image (only %s); leave macboot unset.'
                               % (field, options['arch'], ', '.join(MACBOOT_ARCHES)))
    return value


OPTION_CHECKS = (
    ('iso_name', check_iso_name),
    ('image_name', check_image_name),
    ('qcow2', check_qcow2),
    ('volid', check_volid),
    ('anaconda_timeout', check_anaconda_timeout),
    ('macboot', check_macboot),
)


class LiveMediaCreator(KickstartTool):
    wrapper_name = 'live.ks'
    executable = 'livemedia-creator'
    package = 'lorax-lmc-novirt'
    version_args = ('-V',)

    def validate(self, params, arch):
        if not params.get('kickstart'):
            raise FedoraBuildError('kickstart: backend livemedia-creator needs a kickstart file.')
        check_file(params['kickstart'], 'kickstart')
        kickstart_wrapper_text(params['kickstart'], params['side_repos'])
        BACKEND.check_options(dict(params, arch=arch))
        if params['lorax_templates']:
            check_dir(params['lorax_templates'], 'lorax_templates')
        if params.get('macboot'):
            if not have_mkfs_hfsplus():
                raise FedoraBuildError('macboot: livemedia-creator needs mkfs.hfsplus for it, which is not installed on '
                                       'this node; install hfsplus-tools (the build_node role does on x86_64) or leave '
                                       'macboot unset.')

    def image_name(self, params):
        if params['make'] != 'disk':
            return None
        return params['image_name'] or ('disk.qcow2' if params['qcow2'] else 'disk.img')

    def argv(self, params, ws, executable, arch, host_arch):
        values = dict(params)
        values.update(ks=self.kickstart_path(params, ws), image_name=self.image_name(params), macboot=macboot(params, arch),
                      resultdir=ws.out, tmp=ws.tmp, logfile=os.path.join(ws.logs, 'livemedia.log'),
                      dracut_args=params['dracut_args'], anaconda_args=params['anaconda_args'] or None)
        return RUNNER.argv(ORDER, executable=executable, **values)

    def input_files(self, params):
        return [params['kickstart']] + ([params['lorax_templates']] if params['lorax_templates'] else [])

    def discover(self, params, out):
        if params['make'] == 'disk':
            return [('disk_image', required_artifact(out, self.image_name(params), 'livemedia-creator', 'the disk image'))]
        if params['iso_name']:
            return [('live_iso', required_artifact(out, params['iso_name'], 'livemedia-creator', 'the live ISO'))]
        return [('live_iso', required_artifact(out, 'images/boot.iso', 'livemedia-creator', 'the live ISO'))]


def pipeline_args(request, inputs):
    """The prepared kickstart carries the repositories (side repo included) and the package set."""
    return dict(project='Fedora', releasever=request['release']), dict(kickstart=inputs['kickstart'])


# lorax-lmc-novirt pulls anaconda-core, anaconda-tui and the install-env deps
# livemedia-creator --no-virt runs anaconda with; lmc refuses --macboot (its
# default) without mkfs.hfsplus, which hfsplus-tools brings on x86_64.
BACKEND = Backend(
    name='livemedia-creator', image_type='live', module='live_image', tool=LiveMediaCreator,
    tools=('livemedia-creator', 'createrepo_c', 'xorriso', 'rpm'),
    packages=('lorax-lmc-novirt', 'anaconda-tui', 'anaconda-install-env-deps'),
    arch_packages={'x86_64': ('hfsplus-tools',)}, argument_spec=OPTIONS, needs_kickstart=True,
    estimate=2400, default=True, pipeline_args=pipeline_args, pipeline_sets=('kickstart', 'side_repos', 'releasever'),
    layout={'live_iso': 'images/boot.iso (or <iso_name> with iso_name)', 'disk_image': '<image_name>'},
    contents='rpmdb', option_checks=OPTION_CHECKS,
)
