# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Builder options a request may set, per image type (``builder.<option>``).

Each entry mirrors the builder module's argument_spec entry (type, elements, choices); a unit test keeps them
equal (tests/unit/plugins/module_utils/test_request.py). Issue 13 wants these derived from each backend's
argument spec minus the fields the pipeline sets; that needs the backend registry, which does not exist yet,
so the table stays hand-written, alone in this file. Pure data, no imports.
"""

from __future__ import annotations

ROOTFS_TYPES = ('squashfs', 'squashfs-ext4', 'erofs', 'erofs-ext4')
LIVE_BACKENDS = ('livemedia-creator', 'kiwi')

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
