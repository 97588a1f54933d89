# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Real package installs for the builder stand-ins (stdlib + subprocess only).

The stand-ins resolve and install packages with the host's dnf (Debian's dnf 4
here) from exactly the repositories they were given, into a root with a real
RPM database at ``<root>/usr/lib/sysimage/rpm``, like lorax, anaconda and
pungi do on Fedora.  Nothing outside the given repositories is used: dnf gets
a generated configuration with an empty ``reposdir``, no plugins, its cache in
a temporary directory, and only the given repos with their priority, cost,
excludepkgs and includepkgs.

Nothing is fetched from the network: :func:`check_url` refuses mirrorlists,
metalinks and every URL that is not local (``file://``, an absolute path, or
http(s)/ftp on a loopback host or on a host listed in
``FB_STANDIN_LOCAL_HOSTS``, space separated: the SSH lab's controller bridge
address where the tests serve the Koji stand-in and its repos).

``FB_STANDIN_LOSE_PRIORITY=1`` (a fault switch for the tests) gives every
repository dnf's default priority 99 and cost 1000 and drops the repositories'
excludepkgs, like a tool that loses them on the way.

API::

    StandinError                                 # a refusal or a failed step; one sentence
    check_url(url, what)                         # raises StandinError unless local; returns url
    refuse_mirrorlist(kind, url, what)           # always raises: mirrorlists/metalinks need the network
    Repo(id, baseurl, priority=99, cost=1000, excludepkgs=(), includepkgs=(), gpgcheck=False, gpgkey=(), enabled=True)
    Repo.from_options(id, conf, what)            # one .repo section (dict of strings)
    Repo.from_repo_file(path)  -> [Repo]         # a dnf .repo file (mirrorlist/metalink refused)
    Repo.from_source(url, index) -> Repo         # lorax --source (id lorax-repo-<index>)
    Repo.from_kickstart(handler) -> [Repo]       # pykickstart handler: url (id anaconda) + repo lines
    install(root, repos, packages, arch, releasever, excludes=(), log=None) -> [package dicts]
    download(repos, packages, dest, arch, releasever, excludes=(), log=None) -> [rpm paths]
    installed(root) -> [package dicts]           # read the root's rpmdb with rpm
    package_files(root, names) -> [paths]        # files (not dirs) the installed packages own
    squashfs(src_dir, image, compression='xz', args=())
    squashfs_args(arch, compression='xz')        # lorax's -Xbcj filter per arch
    mkext4(src_dir, image, label, size_gib=None) # mkfs.ext4 -d (None: sized to the content)
    pack_rootfs(root, image, rootfs_type, arch, workdir, label='Anaconda', size_gib=None)
    make_iso(path, content_dir, volid)           # a real ISO 9660 (Rock Ridge, Joliet) with xorriso
    host_arch()
    main_guard(main)                             # StandinError -> 'ERROR: ...' on stderr, exit 1

Package dicts: ``{'name', 'epoch', 'version', 'release', 'arch'}`` (epoch an
int, 0 when the package has none), sorted by name.
"""

import ipaddress
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from urllib.parse import urlsplit

DBPATH = '/usr/lib/sysimage/rpm'
LOCAL_HOSTS_ENV = 'FB_STANDIN_LOCAL_HOSTS'
LOSE_PRIORITY_ENV = 'FB_STANDIN_LOSE_PRIORITY'
QUERY = '%{NAME}\\t%{EPOCHNUM}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\n'


class StandinError(Exception):
    """A stand-in refuses its input or its build failed; the message is one sentence for the log."""


def host_arch():
    machine = os.uname().machine
    return {'armv7l': 'armhfp', 'i386': 'i686', 'i586': 'i686'}.get(machine, machine)


def _local_host(host):
    if not host:
        return False
    host = host.strip('[]').lower()
    if host == 'localhost' or host.endswith('.localhost'):
        return True
    if host in os.environ.get(LOCAL_HOSTS_ENV, '').lower().split():
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url, what):
    """Refuse ``url`` (a repository of ``what``) unless the stand-in can use it without the network.

    Allowed: ``file://`` URLs, absolute paths, and http/https/ftp on a loopback host or a host in
    FB_STANDIN_LOCAL_HOSTS.  Everything else raises StandinError: the real tool would go to the network.
    """
    if not url:
        raise StandinError('%s has no URL.' % what)
    if url.startswith('/'):
        return url
    parts = urlsplit(url)
    if parts.scheme == 'file':
        return url
    if parts.scheme in ('http', 'https', 'ftp'):
        if _local_host(parts.hostname):
            return url
        raise StandinError('%s: %s is not a local URL; the stand-in does not use the network (the real tool would '
                           'fetch it), serve it on a loopback host or list the host in %s.'
                           % (what, url, LOCAL_HOSTS_ENV))
    raise StandinError('%s: %s is not a URL dnf can use (file://, http://, https:// or ftp://).' % (what, url))


def refuse_mirrorlist(kind, url, what):
    """--mirrorlist / metalink: the real tools fetch the list from the network, the stand-ins refuse."""
    raise StandinError('%s: %s %s needs the network (the real tool would fetch it); the stand-ins take only local '
                       'baseurl repositories.' % (what, kind, url))


def _words(value):
    if not value:
        return []
    if isinstance(value, (list, tuple)):
        items = value
    else:
        items = value.replace(',', ' ').split()
    return [item.strip() for item in items if item and item.strip()]


def _flag(value, default=False):
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ('1', 'yes', 'true', 'on')


class Repo(object):
    """One repository as dnf sees it."""

    def __init__(self, id, baseurl, priority=99, cost=1000, excludepkgs=(), includepkgs=(),  # pylint: disable=redefined-builtin
                 gpgcheck=False, gpgkey=(), enabled=True):
        self.id = id
        self.baseurl = baseurl
        self.priority = int(priority)
        self.cost = int(cost)
        self.excludepkgs = _words(excludepkgs)
        self.includepkgs = _words(includepkgs)
        self.gpgcheck = bool(gpgcheck)
        self.gpgkey = _words(gpgkey)
        self.enabled = bool(enabled)
        check_url(baseurl, 'repo %s' % id)
        for key in self.gpgkey:
            check_url(key, 'repo %s gpgkey' % id)

    def __repr__(self):
        return ('Repo(%r, %r, priority=%d, cost=%d, excludepkgs=%r, includepkgs=%r, gpgcheck=%r)'
                % (self.id, self.baseurl, self.priority, self.cost, self.excludepkgs, self.includepkgs, self.gpgcheck))

    def describe(self):
        return 'repo %s: baseurl=%s priority=%d cost=%d excludepkgs=%s includepkgs=%s' % (
            self.id, self.baseurl, self.priority, self.cost, ','.join(self.excludepkgs), ','.join(self.includepkgs))

    @classmethod
    def from_options(cls, repo_id, conf, what):
        """A Repo from dnf .repo options (a dict of strings)."""
        for kind in ('mirrorlist', 'metalink'):
            if conf.get(kind):
                refuse_mirrorlist(kind, conf[kind], what)
        baseurls = _words(conf.get('baseurl', '').replace('\n', ' '))
        if not baseurls:
            raise StandinError('%s: repo %s has no baseurl.' % (what, repo_id))
        return cls(repo_id, baseurls[0], priority=conf.get('priority') or 99, cost=conf.get('cost') or 1000,
                   excludepkgs=conf.get('excludepkgs', conf.get('exclude', '')),
                   includepkgs=conf.get('includepkgs', ''), gpgcheck=_flag(conf.get('gpgcheck')),
                   gpgkey=conf.get('gpgkey', ''), enabled=_flag(conf.get('enabled'), True))

    @classmethod
    def from_repo_file(cls, path):
        """Every repository of a dnf .repo file (disabled ones included, with enabled False)."""
        import configparser  # pylint: disable=import-outside-toplevel
        parser = configparser.ConfigParser(interpolation=None)
        try:
            with open(path) as handle:
                parser.read_file(handle)
        except (IOError, OSError, configparser.Error) as exc:
            raise StandinError('Failed to load repo file %s: %s' % (path, str(exc).splitlines()[0]))
        return [cls.from_options(section, dict(parser.items(section)), 'repo file %s' % path)
                for section in parser.sections()]

    @classmethod
    def from_source(cls, url, index):
        """lorax --source URL number ``index`` (lorax names them lorax-repo-<n>)."""
        return cls('lorax-repo-%d' % index, url)

    @classmethod
    def from_kickstart(cls, handler):
        """The kickstart's install source (``url``, id anaconda) and its ``repo`` lines, as anaconda uses them."""
        repos = []
        url = handler.url
        if getattr(url, 'mirrorlist', None):
            refuse_mirrorlist('url --mirrorlist', url.mirrorlist, 'kickstart')
        if getattr(url, 'metalink', None):
            refuse_mirrorlist('url --metalink', url.metalink, 'kickstart')
        if getattr(url, 'url', None):
            repos.append(cls('anaconda', url.url))
        for data in handler.repo.repoList:
            what = 'kickstart repo %s' % data.name
            if data.mirrorlist:
                refuse_mirrorlist('--mirrorlist', data.mirrorlist, what)
            if data.metalink:
                refuse_mirrorlist('--metalink', data.metalink, what)
            if not data.baseurl:
                raise StandinError('%s has no --baseurl, --mirrorlist or --metalink; anaconda cannot use it.' % what)
            repos.append(cls(data.name, data.baseurl, cost=data.cost if data.cost is not None else 1000,
                             excludepkgs=data.excludepkgs or (), includepkgs=data.includepkgs or ()))
        return repos


def _write_config(path, tmp, repos, excludes):
    lines = ['[main]', 'reposdir=', 'cachedir=%s' % os.path.join(tmp, 'cache'), 'install_weak_deps=0',
             'keepcache=0', 'gpgcheck=0', 'skip_if_unavailable=0', 'metadata_expire=0', 'best=1',
             'plugins=0', 'debuglevel=2']
    if excludes:
        lines.append('excludepkgs=%s' % ','.join(excludes))
    # Fault switch (tests): a tool that drops the repositories' priorities, costs and excludes (the pipeline keeps
    # a pinned build in by the side repo's priority and by excludepkgs of its names on the other repos).
    lose = os.environ.get(LOSE_PRIORITY_ENV) == '1'
    for repo in repos:
        lines += ['', '[%s]' % repo.id, 'name=%s' % repo.id, 'baseurl=%s' % repo.baseurl,
                  'enabled=%d' % int(repo.enabled), 'priority=%d' % (99 if lose else repo.priority),
                  'cost=%d' % (1000 if lose else repo.cost),
                  'gpgcheck=%d' % int(repo.gpgcheck)]
        if repo.gpgkey:
            lines.append('gpgkey=%s' % ' '.join(repo.gpgkey))
        if repo.excludepkgs and not lose:
            lines.append('excludepkgs=%s' % ','.join(repo.excludepkgs))
        if repo.includepkgs:
            lines.append('includepkgs=%s' % ','.join(repo.includepkgs))
    with open(path, 'w') as handle:
        handle.write('\n'.join(lines) + '\n')


def _run_dnf(tmp, installroot, repos, args, arch, releasever, excludes, log):
    if not shutil.which('dnf'):
        raise StandinError('dnf is missing on this host (apt-get install dnf); the stand-ins install with it.')
    if not [r for r in repos if r.enabled]:
        raise StandinError('no enabled repository was given; dnf would have nothing to install from.')
    conf = os.path.join(tmp, 'dnf.conf')
    _write_config(conf, tmp, repos, excludes)
    home = os.path.join(tmp, 'home')
    os.makedirs(home, exist_ok=True)
    with open(os.path.join(home, '.rpmmacros'), 'w') as handle:
        # Debian's librpm keeps its database in ~/.rpmdb; the roots get Fedora's place.
        handle.write('%%_dbpath %s\n' % DBPATH)
    env = dict(os.environ, HOME=home, LC_ALL='C.UTF-8', LANG='C.UTF-8')
    argv = ['dnf', '-c', conf, '--installroot', installroot, '--releasever', str(releasever),
            '--setopt=reposdir=', '--noplugins', '-y']
    if arch and arch not in (host_arch(), 'noarch'):
        argv += ['--forcearch', arch]
    argv += args
    if log is not None:
        log.write('Running... %s\n' % ' '.join(argv))
        log.flush()
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          env=env, check=False)
    out = proc.stdout.decode('utf-8', 'replace')
    if log is not None:
        log.write(out)
        log.flush()
    if proc.returncode != 0:
        # dnf's own summary first ("Error: Failed to download metadata for repo 'x': ...", "No match for
        # argument: y"), then the depsolver's problems: the last line of a build log is what users see.
        lines = [line.strip() for line in out.splitlines()]
        errors = [line[len('Error:'):].strip() for line in lines if line.startswith('Error:')]
        nomatch = [line for line in lines if line.startswith('No match for argument')]
        problems = [line for line in lines if line.startswith(('Problem', '- '))] if any(
            line.startswith('Problem') for line in lines) else []
        found = nomatch + [e for e in errors if e] + problems
        raise StandinError('dnf failed with exit code %d: %s' % (
            proc.returncode, ' '.join(found[:6]) or (lines or ['no output'])[-1]))
    return out


def _remove_inside(root, path):
    """Remove ``path`` as dnf created it under ``root`` (dnf prefixes its cache dir with the installroot)."""
    inside = os.path.join(root, path.lstrip('/'))
    shutil.rmtree(inside, ignore_errors=True)
    parent = os.path.dirname(inside)
    while parent.startswith(root.rstrip('/') + '/') and parent.rstrip('/') != root.rstrip('/'):
        try:
            os.rmdir(parent)
        except OSError:
            break
        parent = os.path.dirname(parent)


def _checkpoint(dbdir):
    """Fold the sqlite WAL into rpmdb.sqlite, as rpm does when it closes the database cleanly."""
    path = os.path.join(dbdir, 'rpmdb.sqlite')
    if os.path.isfile(path):
        conn = sqlite3.connect(path)
        try:
            conn.execute('PRAGMA wal_checkpoint(TRUNCATE)')
        finally:
            conn.close()


def installed(root):
    """Every package of the rpmdb under ``root`` (rpm --root --dbpath), gpg-pubkey entries left out."""
    proc = subprocess.run(['rpm', '--root', os.path.abspath(root), '--dbpath', DBPATH, '-qa', '--qf', QUERY],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if proc.returncode != 0:
        raise StandinError('rpm cannot read the database of %s: %s' % (
            root, proc.stderr.decode('utf-8', 'replace').strip()))
    packages = []
    for line in proc.stdout.decode('utf-8', 'replace').splitlines():
        name, epoch, version, release, arch = line.split('\t')
        if name == 'gpg-pubkey':
            continue
        packages.append({'name': name, 'epoch': int(epoch or 0), 'version': version, 'release': release,
                         'arch': arch})
    return sorted(packages, key=lambda p: (p['name'], p['arch']))


def install(root, repos, packages, arch, releasever, excludes=(), log=None):
    """Install ``packages`` (names, globs, @groups) and their dependencies into ``root`` from ``repos`` only.

    ``excludes``: global excludepkgs (lorax --excludepkgs, kickstart ``-name`` lines).  Writes a real RPM
    database at <root>/usr/lib/sysimage/rpm and returns its packages.  A package no given repo provides
    fails the way dnf does ("No match for argument: X") with StandinError.
    """
    root = os.path.abspath(root)
    os.makedirs(root, exist_ok=True)
    if not packages:
        raise StandinError('nothing to install into %s: the package list is empty.' % root)
    tmp = tempfile.mkdtemp(prefix='standin-dnf-')
    try:
        _run_dnf(tmp, root, repos, ['install'] + list(packages), arch, releasever, list(excludes), log)
        _remove_inside(root, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    dbdir = os.path.join(root, DBPATH.lstrip('/'))
    if not os.path.isfile(os.path.join(dbdir, 'rpmdb.sqlite')):
        raise StandinError('dnf left no RPM database at %s (check the %%_dbpath macro).' % dbdir)
    _checkpoint(dbdir)
    return installed(root)


def download(repos, packages, dest, arch, releasever, excludes=(), log=None):
    """Resolve ``packages`` with their dependencies from ``repos`` only (into an empty root) and download
    the RPM files into ``dest``; returns their paths."""
    dest = os.path.abspath(dest)
    os.makedirs(dest, exist_ok=True)
    if not packages:
        return []
    tmp = tempfile.mkdtemp(prefix='standin-dnf-')
    try:
        before = set(os.listdir(dest))
        _run_dnf(tmp, os.path.join(tmp, 'root'), repos,
                 ['install', '--downloadonly', '--destdir', dest] + list(packages), arch, releasever,
                 list(excludes), log)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    got = sorted(os.path.join(dest, name) for name in set(os.listdir(dest)) - before if name.endswith('.rpm'))
    if not got and not before:
        raise StandinError('dnf downloaded nothing into %s.' % dest)
    return got


# lorax's ArchData.bcj_arch: the xz BCJ filter mksquashfs gets per base arch (none for aarch64, s390x).
SQUASHFS_BCJ = {'x86_64': 'x86', 'i686': 'x86', 'i386': 'x86', 'armhfp': 'arm', 'ppc64le': 'powerpc',
                'ppc64': 'powerpc'}


def squashfs_args(arch, compression='xz'):
    """The compression arguments lorax gives mksquashfs for ``arch`` (``-Xbcj`` only with xz)."""
    bcj = SQUASHFS_BCJ.get(arch)
    return ['-Xbcj', bcj] if compression == 'xz' and bcj else []


def package_files(root, names):
    """The files (not directories) the installed packages ``names`` own under ``root``, as absolute paths in it."""
    if not names:
        return []
    proc = subprocess.run(['rpm', '--root', os.path.abspath(root), '--dbpath', DBPATH, '-ql'] + list(names),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    files = []
    for line in proc.stdout.decode('utf-8', 'replace').splitlines():
        if line.startswith('/') and not os.path.isdir(os.path.join(root, line.lstrip('/'))):
            files.append(line)
    return files


def _tree_size(path):
    total = 0
    for top, dirs, files in os.walk(path):
        total += 4096 * (len(dirs) + 1)
        for name in files:
            try:
                total += os.lstat(os.path.join(top, name)).st_size + 4096
            except OSError:
                pass
    return total


def mkext4(src_dir, image, label, size_gib=None):
    """An ext4 image of ``src_dir`` (mkfs.ext4 -d into a sparse file), like lorax's mkrootfsimg.

    size_gib: the file's size (lorax: --rootfs-size, 2 GiB); None sizes it to the content (at least 32 MiB),
    which keeps the stand-ins fast: mksquashfs reads every block of the image.
    """
    if not shutil.which('mkfs.ext4'):
        raise StandinError('mkfs.ext4 is missing on this host (apt-get install e2fsprogs).')
    os.makedirs(os.path.dirname(os.path.abspath(image)), exist_ok=True)
    with open(image, 'wb') as handle:
        handle.truncate(int(size_gib * 1024 ** 3) if size_gib else max(32 * 1024 ** 2, 2 * _tree_size(src_dir)))
    proc = subprocess.run(['mkfs.ext4', '-q', '-F', '-L', label[:16], '-d', src_dir, image],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    if proc.returncode != 0:
        raise StandinError('mkfs.ext4 failed with exit code %d: %s' % (
            proc.returncode, proc.stdout.decode('utf-8', 'replace').strip()[-500:]))
    return image


def pack_rootfs(root, image, rootfs_type, arch, workdir, label='Anaconda', size_gib=None):
    """Pack ``root`` into the squashfs ``image`` the way lorax/livemedia-creator do for ``rootfs_type``:
    squashfs (the root itself) or squashfs-ext4 (LiveOS/rootfs.img, an ext4 image, inside the squashfs).
    erofs types need mkfs.erofs, which this host lacks: refused loudly."""
    args = squashfs_args(arch)
    if rootfs_type == 'squashfs':
        return squashfs(root, image, 'xz', args)
    if rootfs_type == 'squashfs-ext4':
        top = os.path.join(workdir, 'runtime-workdir')
        os.makedirs(os.path.join(top, 'LiveOS'))
        mkext4(root, os.path.join(top, 'LiveOS', 'rootfs.img'), label, size_gib)
        try:
            return squashfs(top, image, 'xz', args)
        finally:
            shutil.rmtree(top, ignore_errors=True)
    if not shutil.which('mkfs.erofs'):
        raise StandinError('rootfs type %s needs mkfs.erofs, which is missing on this host (erofs-utils).' % rootfs_type)
    raise StandinError('rootfs type %s is not implemented by the stand-in.' % rootfs_type)


def squashfs(src_dir, image, compression='xz', args=()):
    """mksquashfs ``src_dir`` into ``image`` (``-comp compression`` plus ``args``), like lorax's imgutils."""
    if not shutil.which('mksquashfs'):
        raise StandinError('mksquashfs is missing on this host (apt-get install squashfs-tools).')
    os.makedirs(os.path.dirname(os.path.abspath(image)), exist_ok=True)
    if os.path.exists(image):
        os.unlink(image)
    argv = ['mksquashfs', src_dir, image, '-no-progress', '-quiet']
    if compression and compression != 'default':
        argv += ['-comp', compression]
    argv += list(args)
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    if proc.returncode != 0:
        raise StandinError('mksquashfs failed with exit code %d: %s' % (
            proc.returncode, proc.stdout.decode('utf-8', 'replace').strip()[-500:]))
    return image


def make_iso(path, content_dir, volid):
    """A real ISO 9660 (+Rock Ridge, Joliet) image of content_dir."""
    subprocess.run(['xorriso', '-as', 'mkisofs', '-quiet', '-o', path, '-V', volid[:32], '-J', '-R', content_dir],
                   check=True, stdout=sys.stdout, stderr=sys.stdout)


def main_guard(func):
    """Run a stand-in main(); a StandinError is printed as ``ERROR: ...`` and exits 1."""
    try:
        return func()
    except StandinError as exc:
        print('ERROR: %s' % exc, file=sys.stderr, flush=True)
        return 1
