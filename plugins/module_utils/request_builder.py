# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Builder options a request may set, per image type (``builder.<option>``).

Each entry mirrors the builder module's argument_spec entry (type, elements, choices); unit tests hold them to
the backend registry (tests/unit/plugins/module_utils/test_request_builder_registry.py): every option here is in
``builder_args.request_options(backend)`` of a backend of its image type with the same type, and no option that
names a node file (type path) is a request option. The table stays data (importing the registry would import
the tool code into the request validator). Pure data, no imports.
"""

from __future__ import annotations

ROOTFS_TYPES = ('squashfs', 'squashfs-ext4', 'erofs', 'erofs-ext4')
LIVE_BACKENDS = ('livemedia-creator', 'kiwi')
DVD_BACKENDS = ('pungi', 'pungi-koji')
# The last Fedora release whose pungi package has the legacy pungi command (pungi.LAST_RELEASE; a unit test holds
# them equal): a dvd request without builder.backend gets pungi up to it and pungi-koji after.
PUNGI_LAST_RELEASE = 31

# --- builder options that name node files: the operator's, never a request's -----------------------------------
# lorax runs its templates (add_templates, add_arch_templates, the templates under sharedir) as root, and a request's
# kickstart lies at a known node path, so a request naming any of these could run code as root or read node files.
# The operator sets them in fedora_build_builder_paths (builder_args.module_args merges them after the request's
# options); kiwi's description directory is named by the operator (fedora_build_kiwi_descriptions) and picked by
# name in the request. A unit test holds every path-typed option of every backend to this list.
OPERATOR_OPTIONS = {
    'boot': ('config', 'sharedir', 'dracut_conf', 'add_templates', 'add_arch_templates'),
    'dvd': ('lorax_conf', 'comps_file'),
    'live': ('lorax_templates', 'signing_keys'),
}

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
        source_date_epoch=dict(type='int'),
        add_template_vars=dict(type='dict'),
        add_arch_template_vars=dict(type='dict'),
        proxy=dict(type='str'),
        timeout=_TIMEOUT,
    ),
    'dvd': dict(
        backend=dict(type='str', choices=list(DVD_BACKENDS)),
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
        stages=dict(type='list', elements='str', choices=['all', 'gather', 'createrepo', 'buildinstall', 'createiso']),
        # pungi-koji
        release_short=dict(type='str'),
        variant=dict(type='str'),
        exclude_packages=dict(type='list', elements='str'),
        compose_type=dict(type='str', choices=['production', 'test', 'nightly', 'ci', 'development']),
        label=dict(type='str'),
        gather_method=dict(type='str', choices=['deps', 'nodeps']),
        buildinstall=dict(type='bool'),
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
        extra_boot_args=dict(type='str'),
        macboot=dict(type='bool'),
        rootfs_type=dict(type='str', choices=list(ROOTFS_TYPES)),
        dracut_args=dict(type='list', elements='str'),
        anaconda_args=dict(type='list', elements='str'),
        anaconda_timeout=dict(type='int'),
        # kiwi
        description=dict(type='str', max_len=64),  # a name of fedora_build_kiwi_descriptions, never a node path
        kiwi_file=dict(type='str'),
        profiles=dict(type='list', elements='str'),
        image_type=dict(type='str'),
        ignore_repos=dict(type='bool'),
        clear_cache=dict(type='bool'),
        add_packages=dict(type='list', elements='str'),
        delete_packages=dict(type='list', elements='str'),
        timeout=_TIMEOUT,
    ),
}
LMC_ONLY = ('make', 'project', 'volid', 'iso_name', 'image_name', 'qcow2', 'fs_label', 'extra_boot_args', 'macboot',
            'rootfs_type', 'dracut_args', 'anaconda_args', 'anaconda_timeout')
KIWI_ONLY = ('description', 'kiwi_file', 'profiles', 'image_type', 'ignore_repos', 'clear_cache', 'add_packages',
             'delete_packages')
PUNGI_ONLY = ('flavor', 'nosource', 'sourceisos', 'nodebuginfo', 'nogreedy', 'lookaside_repos', 'nodeps', 'isfinal',
              'nohash', 'full_archlist', 'installpkgs', 'stages')
PUNGI_KOJI_ONLY = ('release_short', 'variant', 'exclude_packages', 'compose_type', 'label', 'gather_method',
                   'buildinstall', 'rootfs_size')
# non-negative ints; everything else of type int must be positive
_NON_NEGATIVE = ('source_date_epoch',)
