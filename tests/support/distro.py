# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small test "distribution": real RPMs built with rpmbuild, one rpm-md repository with comps.

The builder stand-ins install packages with dnf from the repositories they are
given, so the tests need a distribution repository that really holds what the
stand-ins' templates and the test kickstarts install: a kernel (with
``/boot/vmlinuz-<version>``), anaconda-core, a ``system-release`` provider and
its logos, dracut-live, bash, filesystem, every package and group of
``tests/functional/data/kickstarts/fedora-live-minimal.ks`` (with its
includes), and the ``core``, ``anaconda-tools`` and ``dial-up`` groups (comps).  It
also holds NEWER builds of the package names the Koji stand-in's tests pin
(hello, pydata, archtool; see ``support.plugin_koji.KojiWorld``), so a side
repository only wins by its priority or by excludes on the distribution repo
(shadowing is visible).

Built once per session (``distro`` fixture in ``support.plugin_builders``);
each test gets a hard-linked copy of the repository (``fedora_repo``).
Every package is noarch or built for x86_64 and aarch64.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

RELEASEVER = '42'
DIST = 'fc42'
ARCHES = ('x86_64', 'aarch64')

# name: (version, arch-specific?, requires, provides, files {path: content})
PACKAGES = {
    'filesystem': ('3.18', False, [], [], {'/etc/filesystem-release': 'filesystem 3.18\n'}),
    'bash': ('5.2.37', True, ['filesystem'], ['/bin/sh'], {'/usr/bin/bash': '#!/bin/sh\necho bash stand-in\n'}),
    'fedora-release': ('42', False, ['filesystem'], ['system-release', 'system-release(42)'],
                       {'/etc/os-release': 'NAME="Fedora Linux"\nVERSION_ID=42\nID=fedora\n'}),
    'fedora-logos': ('42.0.1', False, [], ['system-logos'], {'/usr/share/fedora-logos/logo.txt': 'logo\n'}),
    'kernel-core': ('6.14.2', True, ['bash'], [], {'/boot/vmlinuz-{version}-{release}.{arch}': 'vmlinuz {arch}\n'}),
    'kernel': ('6.14.2', True, ['kernel-core = {version}-{release}'], [], {'/usr/share/kernel/README': 'kernel\n'}),
    'dracut': ('105', True, ['bash'], [], {'/usr/bin/dracut': '#!/bin/sh\n'}),
    'dracut-live': ('105', True, ['dracut = {version}-{release}'], [], {'/usr/lib/dracut/dmsquash-live': 'live\n'}),
    'anaconda-core': ('42.27', True, ['bash', 'system-release'], [], {'/usr/bin/anaconda': '#!/bin/sh\n'}),
    'anaconda': ('42.27', True, ['anaconda-core = {version}-{release}'], [], {'/usr/share/anaconda/README': 'a\n'}),
    'grub2-efi-x64': ('2.12', True, [], [], {'/boot/efi/EFI/fedora/grubx64.efi': 'grub\n'}),
    # what tests/functional/data/kickstarts/fedora-live-{base,minimal}.ks install besides the above
    'kernel-modules': ('6.14.2', True, ['kernel-core = {version}-{release}'], [], {'/usr/share/kernel/modules': 'm\n'}),
    'kernel-modules-extra': ('6.14.2', True, ['kernel-modules = {version}-{release}'], [],
                             {'/usr/share/kernel/modules-extra': 'm\n'}),
    'anaconda-install-env-deps': ('42.27', True, ['anaconda-core = {version}-{release}'], [],
                                  {'/usr/share/anaconda/env-deps': 'deps\n'}),
    'anaconda-live': ('42.27', False, ['anaconda-core'], [], {'/usr/share/anaconda/live': 'live\n'}),
    'aajohan-comfortaa-fonts': ('3.105', False, [], [], {'/usr/share/fonts/comfortaa/Comfortaa.txt': 'font\n'}),
    'glibc-all-langpacks': ('2.41', True, [], [], {'/usr/lib/locale/locale-archive': 'locales\n'}),
    'livesys-scripts': ('0.7', False, ['bash'], [], {'/usr/libexec/livesys/livesys': '#!/bin/sh\n'}),
    'vim-minimal': ('9.1', True, [], [], {'/usr/bin/vi': 'vi\n'}),
    'nano': ('8.3', True, [], [], {'/usr/bin/nano': 'nano\n'}),
    'ppp': ('2.5.1', True, [], [], {'/usr/sbin/pppd': 'pppd\n'}),
    # what tests/support/builder_data/kiwi/config.kiwi installs besides the above (dnf5: kiwi's package manager)
    'shim-x64': ('15.8', True, [], [], {'/boot/efi/EFI/fedora/shimx64.efi': 'shim\n'}),
    'shim-aa64': ('15.8', True, [], [], {'/boot/efi/EFI/fedora/shimaa64.efi': 'shim\n'}),
    'grub2-efi-aa64': ('2.12', True, [], [], {'/boot/efi/EFI/fedora/grubaa64.efi': 'grub\n'}),
    'dnf5': ('5.2.12', True, ['bash'], [], {'/usr/bin/dnf5': '#!/bin/sh\n'}),
    'gnome-shell': ('48.1', True, ['bash'], [], {'/usr/bin/gnome-shell': '#!/bin/sh\n'}),
}
# the EFI packages exist for one arch only, as in Fedora
ONLY_ARCH = {'grub2-efi-x64': 'x86_64', 'shim-x64': 'x86_64', 'grub2-efi-aa64': 'aarch64', 'shim-aa64': 'aarch64'}
GROUPS = {
    'core': ('Core', ('filesystem', 'bash', 'fedora-release')),
    'anaconda-tools': ('Anaconda tools', ('anaconda-core', 'dracut')),
    'dial-up': ('Dial-up Networking Support', ('ppp',)),
}

# Newer builds of the names the Koji stand-in's tests pin (hello 1.0/2.0, pydata 0.5, archtool 2:3.1).
NEWER_PINNED = (
    ('hello', '9.0', {'arches': ARCHES}),
    ('pydata', '9.0', {'arches': ('noarch',), 'subpackages': ()}),
    ('archtool', '9.0', {'arches': ('x86_64',), 'subpackages': (), 'epoch': 2}),
)

SPEC = """\
Name:           {name}
Version:        {version}
Release:        {release}
Summary:        Test distribution package {name}
License:        MIT
{buildarch}{requires}{provides}
%description
{name} of the test distribution made by tests/support/distro.py.

%prep
%build
%install
{install}
%files
{files}
"""

COMPS = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE comps PUBLIC "-//Red Hat, Inc.//DTD Comps info//EN" "comps.dtd">
<comps>
{groups}
</comps>
"""
GROUP = """  <group>
    <id>{id}</id>
    <name>{name}</name>
    <description>{name} (test distribution)</description>
    <default>false</default>
    <uservisible>false</uservisible>
    <packagelist>
{packages}
    </packagelist>
  </group>"""


class Distro(object):
    """The built distribution: ``path`` (the repository), ``url`` (file://.../), ``rpms`` {name: [paths]}."""

    def __init__(self, path, rpms):
        self.path = Path(path)
        self.rpms = rpms

    @property
    def url(self):
        return 'file://%s/' % self.path

    def copy(self, dest):
        """A copy of the repository at ``dest`` (hard links where possible); returns its Path."""
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)

        def link(src, dst):
            try:
                os.link(src, dst)
            except OSError:
                shutil.copy2(src, dst)
        shutil.copytree(str(self.path), str(dest), copy_function=link)
        return dest


def _rpmbuild(workdir, name, version, release, arch, requires, provides, files):
    top = Path(workdir) / ('%s-%s' % (name, arch))
    (top / 'SPECS').mkdir(parents=True, exist_ok=True)
    fmt = {'version': version, 'release': release, 'arch': arch}
    install, listed = [], []
    for path, content in sorted(files.items()):
        path = path.format(**fmt)
        install.append('mkdir -p %%{buildroot}%s' % os.path.dirname(path))
        install.append("cat > %%{buildroot}%s <<'EOF'\n%sEOF" % (path, content.format(**fmt)))
        if content.startswith('#!'):
            install.append('chmod 755 %%{buildroot}%s' % path)
        listed.append(path)
    spec = SPEC.format(name=name, version=version, release=release,
                       buildarch='BuildArch: noarch\n' if arch == 'noarch' else '',
                       requires=''.join('Requires: %s\n' % r.format(**fmt) for r in requires),
                       provides=''.join('Provides: %s\n' % p for p in provides),
                       install='\n'.join(install), files='\n'.join(listed))
    spec_path = top / 'SPECS' / ('%s.spec' % name)
    spec_path.write_text(spec)
    argv = ['rpmbuild', '-bb', '--quiet', '--define', '_topdir %s' % top,
            '--define', '_dbpath %s' % (Path(workdir) / 'rpmdb-build'),
            '--define', 'debug_package %{nil}', '--define', '_build_id_links none',
            '--define', '__os_install_post %{nil}']
    if arch != 'noarch':
        argv += ['--target', arch]
    argv.append(str(spec_path))
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError('rpmbuild failed for %s.%s: %s' % (name, arch, proc.stderr[-2000:]))
    out = top / 'RPMS' / arch
    return sorted(str(p) for p in out.glob('*.rpm'))


def build_distro(workdir, rpm_factory=None):
    """Build the distribution into ``workdir/repo`` and return a :class:`Distro`.

    rpm_factory: a ``support.rpms.RpmFactory`` for the newer pinned builds (made here when None).
    """
    workdir = Path(workdir)
    repo = workdir / 'repo'
    repo.mkdir(parents=True, exist_ok=True)
    rpms = {}
    release = '1.%s' % DIST
    for name, (version, per_arch, requires, provides, files) in sorted(PACKAGES.items()):
        for arch in (ARCHES if per_arch else ('noarch',)):
            if ONLY_ARCH.get(name, arch) != arch:
                continue
            rpms.setdefault(name, []).extend(
                _rpmbuild(workdir / 'build', name, version, release, arch, requires, provides, files))
    if rpm_factory is None:
        from support.rpms import RpmFactory  # pylint: disable=import-outside-toplevel
        rpm_factory = RpmFactory(str(workdir / 'factory'))
    for name, version, kwargs in NEWER_PINNED:
        kwargs = dict(kwargs)
        built = rpm_factory.build(name, version, release, debuginfo=False, **kwargs)
        for rpm in built:
            rpms.setdefault(rpm.name, []).append(rpm.path)
    for paths in rpms.values():
        for path in paths:
            shutil.copy2(path, str(repo / os.path.basename(path)))
    comps = workdir / 'comps.xml'
    comps.write_text(COMPS.format(groups='\n'.join(GROUP.format(id=gid, name=name, packages='\n'.join(
        '      <packagereq type="mandatory">%s</packagereq>' % n for n in names))
        for gid, (name, names) in sorted(GROUPS.items()))))
    subprocess.run(['createrepo_c', '--quiet', '--no-database', '-g', str(comps), str(repo)], check=True)
    return Distro(repo, rpms)
