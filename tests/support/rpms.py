# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Real RPMs for tests: built with rpmbuild at test time, signed with rpmsign.

Nothing here is faked: every package is a genuine RPM that rpm, dnf and
createrepo_c accept. ``RpmFactory.build`` produces one Koji-style build (one
source, several binary packages incl. ``-debuginfo``) per requested arch and
caches the result for the whole session, so asking for the same build twice
costs nothing.

Signing follows ``shared/reference/rpm_side.sh``: a throw-away GPG key made
with ``gpg --batch --gen-key``; Debian's rpm macros point ``%__gpg`` at
``/usr/bin/gpg2`` which bookworm lacks, so ``__gpg`` is defined explicitly;
``rpmsign`` starts a gpg-agent that ``GpgKey.close`` kills.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading

SPEC = """\
Name:           {name}
Version:        {version}
Release:        {release}
{epoch_line}Summary:        Test package {name}
License:        MIT
{buildarch_line}
%description
Test package {name}-{version}-{release} made by tests/support/rpms.py.

{subpackages}
%prep
%build
%install
mkdir -p %{{buildroot}}/usr/share/{name}
echo "{name} {version}-{release} %{{_target_cpu}} {payload}" > %{{buildroot}}/usr/share/{name}/VERSION
{sub_install}
%files
/usr/share/{name}/VERSION
{sub_files}
"""

SUBPACKAGE = """\
%package {suffix}
Summary: {suffix} of {name}
%description {suffix}
{suffix} subpackage of {name}.
"""


class BuiltRpm(object):
    """One binary RPM on disk: unsigned path plus signed copies by key id."""

    def __init__(self, path, name, version, release, arch, epoch=None):
        self.path = path
        self.name = name
        self.version = version
        self.release = release
        self.arch = arch
        self.epoch = epoch
        self.signed = {}

    @property
    def nvra(self):
        return '%s-%s-%s.%s' % (self.name, self.version, self.release, self.arch)

    @property
    def filename(self):
        return os.path.basename(self.path)

    def __repr__(self):
        return '<BuiltRpm %s signed=%s>' % (self.nvra, sorted(self.signed))


class GpgKey(object):
    """A test signing key in its own GNUPGHOME."""

    def __init__(self, workdir, email='sidetest@example.invalid', real_name='Side Repo Test Key'):
        self.home = os.path.join(workdir, 'gnupg')
        os.makedirs(self.home, mode=0o700)
        self.email = email
        self.env = dict(os.environ, GNUPGHOME=self.home)
        params = ('%%no-protection\nKey-Type: RSA\nKey-Length: 2048\nKey-Usage: sign\n'
                  'Name-Real: %s\nName-Email: %s\nExpire-Date: 0\n%%commit\n' % (real_name, email))
        subprocess.run(['gpg', '--batch', '--quiet', '--gen-key'], input=params.encode(), env=self.env,
                       check=True, capture_output=True)
        out = subprocess.run(['gpg', '--batch', '--with-colons', '--list-keys', email], env=self.env,
                             check=True, capture_output=True, text=True).stdout
        fpr = [line.split(':')[9] for line in out.splitlines() if line.startswith('fpr:')][0]
        self.fingerprint = fpr
        # Koji sigkeys are the last 8 hex digits of the key id, lower case.
        self.sigkey = fpr[-8:].lower()
        self.public_key = os.path.join(workdir, 'RPM-GPG-KEY-%s' % self.sigkey)
        armored = subprocess.run(['gpg', '--batch', '--armor', '--export', email], env=self.env,
                                 check=True, capture_output=True).stdout
        with open(self.public_key, 'wb') as handle:
            handle.write(armored)
        self._lock = threading.Lock()

    def sign(self, path):
        """Sign an RPM in place with rpmsign."""
        with self._lock:
            subprocess.run(['rpmsign', '--addsign', '--define', '__gpg /usr/bin/gpg',
                            '--define', '_gpg_name %s' % self.email, path],
                           env=self.env, check=True, capture_output=True)

    def close(self):
        """Kill the gpg-agent rpmsign started for this GNUPGHOME."""
        subprocess.run(['gpgconf', '--kill', 'gpg-agent'], env=self.env, check=False, capture_output=True)


class RpmFactory(object):
    """Builds RPMs with rpmbuild and caches them per session."""

    def __init__(self, workdir):
        self.workdir = workdir
        os.makedirs(workdir, exist_ok=True)
        self._cache = {}
        self._count = 0
        self._lock = threading.Lock()

    def build(self, name, version='1.0', release='1.fc41', arches=('noarch',), subpackages=('libs',),
              debuginfo=True, epoch=None, sign_with=(), payload=''):
        """Build one Koji-style build and return the list of BuiltRpm (all arches).

        ``arches``: 'noarch' or real arches (x86_64, aarch64, i686, ...), one rpmbuild per arch.
        ``subpackages``: extra binary packages ``<name>-<suffix>``; ``debuginfo`` adds ``<name>-debuginfo``
        for non-noarch arches. ``sign_with``: GpgKey objects; each gives a signed copy in ``rpm.signed``.
        """
        key = (name, version, release, tuple(arches), tuple(subpackages), debuginfo, epoch,
               tuple(k.sigkey for k in sign_with), payload)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
            self._count += 1
            top = os.path.join(self.workdir, 'b%03d-%s' % (self._count, name))
        result = []
        for arch in arches:
            result.extend(self._rpmbuild(top, name, version, release, arch, subpackages, debuginfo, epoch, payload))
        for gpg in sign_with:
            for rpm in result:
                signed_dir = os.path.join(top, 'signed', gpg.sigkey)
                os.makedirs(signed_dir, exist_ok=True)
                dest = os.path.join(signed_dir, rpm.filename)
                shutil.copy2(rpm.path, dest)
                gpg.sign(dest)
                rpm.signed[gpg.sigkey] = dest
        with self._lock:
            self._cache[key] = result
        return result

    def _rpmbuild(self, top, name, version, release, arch, subpackages, debuginfo, epoch, payload):
        top_arch = os.path.join(top, arch)
        os.makedirs(os.path.join(top_arch, 'SPECS'), exist_ok=True)
        suffixes = list(subpackages)
        if debuginfo and arch != 'noarch':
            suffixes.append('debuginfo')
        subs = ''.join(SUBPACKAGE.format(suffix=s, name=name) for s in suffixes)
        sub_install = '\n'.join('echo %s > %%{buildroot}/usr/share/%s/%s.txt' % (s, name, s) for s in suffixes)
        sub_files = ''.join('%%files %s\n/usr/share/%s/%s.txt\n' % (s, name, s) for s in suffixes)
        spec = SPEC.format(name=name, version=version, release=release,
                           epoch_line='Epoch: %d\n' % epoch if epoch is not None else '',
                           buildarch_line='BuildArch: noarch\n' if arch == 'noarch' else '',
                           subpackages=subs, sub_install=sub_install, sub_files=sub_files, payload=payload)
        spec_path = os.path.join(top_arch, 'SPECS', '%s.spec' % name)
        with open(spec_path, 'w') as handle:
            handle.write(spec)
        argv = ['rpmbuild', '-bb', '--quiet', '--define', '_topdir %s' % top_arch,
                '--define', '_dbpath %s' % os.path.join(self.workdir, 'rpmdb-build'),
                '--define', 'debug_package %{nil}', '--define', '_build_id_links none']
        if arch != 'noarch':
            argv += ['--target', arch]
        argv.append(spec_path)
        proc = subprocess.run(argv, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError('rpmbuild failed for %s.%s: %s' % (name, arch, proc.stderr[-2000:]))
        out_dir = os.path.join(top_arch, 'RPMS', arch)
        rpms = []
        for fname in sorted(os.listdir(out_dir)):
            pkg = fname[:-len('.%s.rpm' % arch)]
            pkg_name = pkg[:-len('-%s-%s' % (version, release))]
            rpms.append(BuiltRpm(os.path.join(out_dir, fname), pkg_name, version, release, arch, epoch))
        return rpms
