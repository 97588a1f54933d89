# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Builds a verified, precedence-proof side repository from resolved Koji RPMs.

Input is the package list from ``koji_client.KojiResolver.resolve``. Steps:

* Content-addressed cache: a file is stored under its Koji identity
  (payloadhash = header sigmd5, plus sigkey) or, for scratch output, its task
  and file name. A second run with the same inputs downloads nothing.
* Parallel, bounded downloads (``ThreadPoolExecutor``) to ``.part`` names with
  retries and exponential backoff for transient failures (connection errors,
  timeouts, HTTP 5xx/429, short reads).
* Verification before anything enters the cache: size against Koji's record
  (unsigned copies), the header digest against Koji's ``payloadhash``, the
  MD5 over header + payload recomputed from the bytes (catches a tampered
  payload of the same size, which ``koji download-build`` does not), and with
  ``gpgkeys`` ``rpmkeys --checksig`` requiring a valid signature. A mismatch
  is retried once, then fails naming the file.
* The repo: ``Packages/`` hard-linked (or copied) from the cache, repodata from
  createrepo_c (Python bindings, else the CLI), ``koji-manifest.json``, and a
  ``.repo`` file whose side-repo stanza has a better priority than the distro
  repos plus ``excludepkgs=`` on the base repos given, so pinned builds win even
  against newer distro builds (kickstart ``repo`` has no priority).
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from http.client import HTTPException
from urllib.error import HTTPError, URLError

from ansible.module_utils.api import retry_with_delays_and_condition
from ansible.module_utils.urls import open_url

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils import koji_client
from ansible_collections.ondemand.fedora_build.plugins.module_utils.koji_client import DEFAULT_EXCLUDE, use_candidate
from ansible_collections.ondemand.fedora_build.plugins.module_utils.side_repo_args import (
    RESOLVED_BUILD_KEYS, RESOLVED_CANDIDATE_KEYS, RESOLVED_PACKAGE_KEYS, check_repo_options)
from ansible_collections.ondemand.fedora_build.plugins.module_utils.fileutil import (
    atomic_write, check_tree_path, read_text, remove_quietly, sha256_file)
from ansible_collections.ondemand.fedora_build.plugins.module_utils.rpm_verify import (
    GpgVerifier, VerifyError, gpg_fingerprint, last_line, verify_rpm)

try:
    import createrepo_c as cr
    HAS_CREATEREPO_BINDINGS = True
except ImportError:
    cr = None
    HAS_CREATEREPO_BINDINGS = False

MANIFEST = 'koji-manifest.json'
PACKAGES_DIR = 'Packages'
CHUNK = 256 * 1024


class TransientError(Exception):
    """A failure worth retrying with backoff (network, 5xx, short read)."""


class NotFound(FedoraBuildError):
    """The file server has no such file (HTTP 404/410): for a signed copy, the next acceptable copy serves."""


# ----------------------------------------------------------------- download
class Downloader(object):
    """Fetch one URL to a file with retries; counts bytes."""

    def __init__(self, retries=4, backoff=0.5, timeout=60, ca_cert=None, validate_certs=True):
        self.retries = retries
        self.backoff = backoff
        self.timeout = timeout
        self.ca_cert = ca_cert
        self.validate_certs = validate_certs
        self.bytes = 0
        self.requests = 0
        self._lock = threading.Lock()
        self.stop = threading.Event()

    def fetch(self, url, dest):
        """One attempt: stream url into dest; raises TransientError, FedoraBuildError."""
        with self._lock:
            self.requests += 1
        try:
            response = open_url(url, timeout=self.timeout, validate_certs=self.validate_certs, ca_path=self.ca_cert,
                                http_agent='ondemand.fedora_build/koji_side_repo', follow_redirects='safe')
        except HTTPError as exc:
            if exc.code >= 500 or exc.code in (408, 429):
                raise TransientError('HTTP %d' % exc.code)
            cls = NotFound if exc.code in (404, 410) else FedoraBuildError
            raise cls('topurl: %s could not be downloaded (HTTP %d %s).' % (url, exc.code, exc.reason))
        except (URLError, socket.timeout, HTTPException, ssl.SSLError, OSError) as exc:
            reason = getattr(exc, 'reason', exc)
            if isinstance(reason, ssl.SSLCertVerificationError):  # retrying cannot help
                raise FedoraBuildError('ca_cert: the TLS certificate of the file server for %s could not be verified '
                                       '(%s); %s' % (url, reason.verify_message or reason, 'is ca_cert the CA that signed it?'
                                                     if self.ca_cert else 'set ca_cert to the CA that signed it.'))
            raise TransientError(str(reason))
        got = 0
        try:
            declared = response.headers.get('Content-Length')
            with open(dest, 'wb') as handle:
                while not self.stop.is_set():
                    try:
                        block = response.read(CHUNK)
                    except (socket.timeout, HTTPException, OSError) as exc:
                        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
                            raise
                        raise TransientError('read failed after %d bytes: %s' % (got, exc))
                    if not block:
                        break
                    handle.write(block)
                    got += len(block)
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise FedoraBuildError('cache_dir: no space left on the device while writing %s.' % os.path.basename(dest))
            raise FedoraBuildError('cache_dir: cannot write %s: %s.' % (dest, exc.strerror))
        finally:
            response.close()
            with self._lock:
                self.bytes += got
        if declared is not None and got != int(declared):
            raise TransientError('short read: %d of %s bytes' % (got, declared))
        return got


# -------------------------------------------------------------------- cache
def cache_relpath(pkg):
    """Content address of a package in the cache."""
    fname = pkg['nvra'] + '.rpm'
    if pkg.get('payloadhash'):
        ident = re.sub(r'[^A-Za-z0-9]', '_', pkg['payloadhash'])
        return os.path.join('ident', ident[:2], ident, pkg['sigkey'] or 'unsigned', fname)
    return os.path.join('tasks', str(pkg['task_id']), fname)


class SideRepo(object):
    """Plans, fetches and assembles the side repository."""

    def __init__(self, dest, cache_dir, repo_name='koji-side', repo_file=None, repo_baseurl=None, priority=10,
                 base_repos=(), gpgkeys=(), parallel=8, retries=4, backoff=0.5, timeout=60, ca_cert=None,
                 validate_certs=True, createrepo='auto'):
        # the same checks precheck makes before the hub is asked anything (one place for them)
        base_repos = check_repo_options(dest, cache_dir, repo_name, repo_file, priority, base_repos, gpgkeys, parallel,
                                        retries)
        self.dest = os.path.normpath(check_tree_path(dest, 'dest'))
        self.cache_dir = os.path.normpath(cache_dir)
        self.repo_name = repo_name
        self.repo_file = repo_file or os.path.join(self.dest, '%s.repo' % repo_name)
        self.repo_baseurl = repo_baseurl or 'file://%s' % self.dest
        self.priority = priority
        self.base_repos = base_repos
        self.gpgkeys = list(gpgkeys or [])
        self.parallel = parallel
        self.retries = retries
        self.backoff = backoff
        self.timeout = timeout
        self.ca_cert = ca_cert
        self.validate_certs = validate_certs
        self.createrepo = createrepo
        self.downloader = None
        self._hashed = {}
        self._hash_lock = threading.Lock()

    # ------------------------------------------------------------ planning
    def plan(self, packages):
        """Annotate packages with cache path and whether they are cached (verified before, bytes intact)."""
        gpg_fp = gpg_fingerprint(self.gpgkeys)
        for pkg in packages:
            pkg['cache_path'] = os.path.join(self.cache_dir, cache_relpath(pkg))
            pkg['cached'] = False
            meta = self._cache_entry(pkg)
            if meta is None:
                continue
            if gpg_fp and gpg_fp not in meta.get('gpg_checked', []):
                continue  # verified, but not yet against these keys: re-check locally in fetch
            pkg['cached'] = True
            pkg['sha256'] = meta['sha256']
            pkg['size'] = meta['size']
        return packages

    def _sha256(self, path):
        """sha256 of a file, hashed once per run and inode (a repo file hard-linked to its cache entry counts once)."""
        st = os.stat(path)
        key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
        with self._hash_lock:
            known = self._hashed.get(key)
        if known is None:
            known = sha256_file(path)
            with self._hash_lock:
                self._hashed[key] = known
        return known

    def _cache_entry(self, pkg):
        """The cache record of pkg's current copy when its file is still the verified bytes, else None.

        A damaged or truncated entry (sha256 no longer the one recorded after verification) is removed,
        so that it is fetched again and never served.
        """
        path = pkg['cache_path']
        meta = _load_json(path + '.json')
        if not meta or meta.get('url') != pkg['url'] or not os.path.isfile(path):
            return None
        if os.path.getsize(path) != meta.get('size') or self._sha256(path) != meta.get('sha256'):
            remove_quietly(path)
            remove_quietly(path + '.json')
            return None
        return meta

    # ------------------------------------------------------------ fetching
    def fetch(self, packages):
        """Download and verify every package not in the cache; returns (bytes, cache_hits)."""
        todo = [p for p in packages if not p['cached']]
        self.downloader = Downloader(retries=self.retries, backoff=self.backoff, timeout=self.timeout,
                                     ca_cert=self.ca_cert, validate_certs=self.validate_certs)
        verifier = GpgVerifier(self.gpgkeys)
        try:
            if todo:
                with ThreadPoolExecutor(max_workers=min(self.parallel, len(todo))) as pool:
                    futures = [pool.submit(self._fetch_one, pkg, verifier) for pkg in todo]
                    try:
                        for future in as_completed(futures):
                            future.result()
                    except BaseException:
                        self.downloader.stop.set()
                        for future in futures:
                            future.cancel()
                        raise
        finally:
            verifier.close()
        return self.downloader.bytes, sum(1 for p in packages if p['cached'])

    def _fetch_one(self, pkg, verifier):
        """Fetch pkg's first acceptable copy that the file server has (``sigkeys`` order)."""
        candidates = pkg.get('candidates') or [None]
        for number, candidate in enumerate(candidates):
            if candidate is not None:
                use_candidate(pkg, candidate)
                pkg['cache_path'] = os.path.join(self.cache_dir, cache_relpath(pkg))
            try:
                return self._fetch_copy(pkg, verifier)
            except NotFound:
                try:
                    os.rmdir(os.path.dirname(pkg['cache_path']))  # made for this copy, left empty
                except OSError:
                    pass
                if number + 1 == len(candidates):
                    raise
                # Koji records the signature, but this signed copy was never written: take the next key

    def _fetch_copy(self, pkg, verifier):
        path = pkg['cache_path']
        directory = os.path.dirname(path)
        try:
            os.makedirs(directory, exist_ok=True)
        except OSError as exc:
            raise FedoraBuildError('cache_dir: cannot create %s: %s.' % (directory, exc.strerror))
        meta = self._cache_entry(pkg)
        if meta:
            # cached and verified before (bytes unchanged), only the signature keys are new: check locally
            try:
                verifier.check(path)
            except VerifyError as exc:
                raise FedoraBuildError('gpgkeys: %s (%s) is not signed by any of the given keys: %s.'
                                       % (pkg['nvra'], pkg['url'], exc))
            self._store_meta(pkg, path, meta['sha256'], meta['size'], meta.get('gpg_checked', []))
            pkg['sha256'] = meta['sha256']
            pkg['size'] = meta['size']
            pkg['cached'] = True
            return
        # transient failures: ansible-core's retry helper with exponential backoff; a verification
        # failure: one more download, then refused
        delays = [self.backoff * 2 ** n for n in range(self.retries)]
        attempt = retry_with_delays_and_condition(
            delays, should_retry_error=lambda exc: isinstance(exc, TransientError) and not self.downloader.stop.is_set())(
                self._download_verified)
        for mismatch in (1, 2):
            try:
                return attempt(pkg, verifier, path, directory)
            except TransientError as exc:
                raise FedoraBuildError('topurl: downloading %s failed after %d attempts: %s.'
                                       % (pkg['url'], len(delays) + 1, exc))
            except VerifyError as exc:
                if mismatch == 2:
                    field = 'gpgkeys' if str(exc).startswith('signature check failed') else 'topurl'
                    raise FedoraBuildError('%s: the downloaded file %s (%s) failed verification twice: %s.'
                                           % (field, pkg['nvra'] + '.rpm', pkg['url'], exc))

    def _download_verified(self, pkg, verifier, path, directory):
        """One download to a temporary name, verified, then renamed into the cache; nothing left on failure."""
        if self.downloader.stop.is_set():
            return
        fd, tmp = tempfile.mkstemp(prefix='.%s.' % os.path.basename(path), suffix='.part', dir=directory)
        os.close(fd)
        try:
            self.downloader.fetch(pkg['url'], tmp)
            digests = verify_rpm(tmp, payloadhash=pkg.get('payloadhash'), expected_size=pkg.get('size_expected'),
                                 sighash=pkg.get('sighash'), file_sha256=pkg.get('file_sha256'), nvra=pkg['nvra'])
            verifier.check(tmp)
            size = os.path.getsize(tmp)
            os.chmod(tmp, 0o644)
            os.rename(tmp, path)
        except BaseException:
            remove_quietly(tmp)
            raise
        self._store_meta(pkg, path, digests['file_sha256'], size, [])
        pkg['sha256'] = digests['file_sha256']
        pkg['size'] = size

    def _store_meta(self, pkg, path, digest, size, gpg_checked):
        checked = list(gpg_checked)
        fp = gpg_fingerprint(self.gpgkeys)
        if fp and fp not in checked:
            checked.append(fp)
        meta = {'nvra': pkg['nvra'], 'sha256': digest, 'size': size, 'url': pkg['url'],
                'payloadhash': pkg.get('payloadhash'), 'sigkey': pkg.get('sigkey'), 'gpg_checked': checked}
        atomic_write(path + '.json', json.dumps(meta, sort_keys=True, indent=1) + '\n')

    # ---------------------------------------------------------- assembling
    def manifest(self, hub_url, topurl, builds, packages):
        fields = ('nvra', 'name', 'epoch', 'version', 'release', 'arch', 'nvr', 'build_id', 'task_id', 'sigkey',
                  'payloadhash', 'sha256', 'size', 'url')
        return {
            'format': 1,
            'hub_url': hub_url,
            'topurl': topurl,
            'repo_name': self.repo_name,
            'builds': [{k: b[k] for k in ('nvr', 'build_id', 'task_id', 'volume', 'source', 'packages')} for b in builds],
            'packages': [dict([(k, p.get(k)) for k in fields], filename='%s/%s.rpm' % (PACKAGES_DIR, p['nvra']))
                         for p in packages],
        }

    def exclude_names(self, packages):
        return sorted(set(p['name'] for p in packages))

    def repo_file_text(self, packages):
        lines = ['# Generated by ondemand.fedora_build.koji_side_repo; do not edit.',
                 '[%s]' % self.repo_name,
                 'name=Koji side repository %s' % self.repo_name,
                 'baseurl=%s' % self.repo_baseurl,
                 'enabled=1',
                 'priority=%d' % self.priority,
                 'cost=100',
                 'module_hotfixes=1',
                 'skip_if_unavailable=0']
        signed = all(p.get('sigkey') for p in packages)
        if self.gpgkeys and signed:
            lines.append('gpgcheck=1')
            lines.append('gpgkey=%s' % ' '.join('file://%s' % k for k in self.gpgkeys))
        else:
            lines.append('gpgcheck=0')
        names = ' '.join(self.exclude_names(packages))
        for repo in self.base_repos:
            lines += ['', '[%s]' % repo['name'], 'name=%s' % repo.get('description', repo['name'])]
            for key in ('baseurl', 'metalink', 'mirrorlist'):
                if repo.get(key):
                    lines.append('%s=%s' % (key, repo[key]))
            lines.append('enabled=1')
            lines.append('priority=%d' % int(repo.get('priority', 99)))
            if repo.get('gpgkey'):
                lines.append('gpgcheck=1')
                lines.append('gpgkey=%s' % repo['gpgkey'])
            else:
                lines.append('gpgcheck=%d' % (1 if repo.get('gpgcheck') else 0))
            lines.append('excludepkgs=%s' % names)
        return '\n'.join(lines) + '\n'

    def repo_state_matches(self, manifest_text):
        """True when dest already holds exactly this manifest, its files and repodata."""
        if read_text(os.path.join(self.dest, MANIFEST)) != manifest_text:
            return False
        if not os.path.isfile(os.path.join(self.dest, 'repodata', 'repomd.xml')):
            return False
        data = json.loads(manifest_text)
        for pkg in data['packages']:
            path = os.path.join(self.dest, pkg['filename'])
            if not os.path.isfile(path) or os.path.getsize(path) != pkg['size'] or self._sha256(path) != pkg['sha256']:
                return False
        wanted = set(os.path.basename(p['filename']) for p in data['packages'])
        present = set(f for f in _listdir(os.path.join(self.dest, PACKAGES_DIR)) if f.endswith('.rpm'))
        return wanted == present

    def assemble(self, packages, manifest_text):
        """Populate dest/Packages from the cache, run createrepo_c, write the manifest."""
        pkgdir = os.path.join(self.dest, PACKAGES_DIR)
        try:
            os.makedirs(pkgdir, exist_ok=True)
            wanted = {}
            for pkg in packages:
                wanted[pkg['nvra'] + '.rpm'] = pkg
            for fname in _listdir(pkgdir):
                if fname.endswith('.rpm') and fname not in wanted or fname.endswith('.part'):
                    remove_quietly(os.path.join(pkgdir, fname))
            for fname, pkg in wanted.items():
                target = os.path.join(pkgdir, fname)
                if os.path.isfile(target) and os.path.getsize(target) == pkg['size'] and self._sha256(target) == pkg['sha256']:
                    continue
                tmp = target + '.part'
                remove_quietly(tmp)
                try:
                    os.link(pkg['cache_path'], tmp)
                except OSError:
                    shutil.copyfile(pkg['cache_path'], tmp)
                os.rename(tmp, target)
            self.createrepo_run(sorted(wanted))
            atomic_write(os.path.join(self.dest, MANIFEST), manifest_text)
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise FedoraBuildError('dest: no space left on the device while writing the side repository %s.' % self.dest)
            raise FedoraBuildError('dest: cannot write the side repository %s: %s.' % (self.dest, exc.strerror or exc))

    def createrepo_run(self, filenames):
        use_bindings = self.createrepo in ('auto', 'bindings') and HAS_CREATEREPO_BINDINGS
        if self.createrepo == 'bindings' and not HAS_CREATEREPO_BINDINGS:
            raise FedoraBuildError('createrepo: the createrepo_c Python bindings are not installed on this node.')
        if use_bindings:
            _createrepo_bindings(self.dest, filenames)
            return
        exe = shutil.which('createrepo_c')
        if not exe:
            raise FedoraBuildError('createrepo: neither the createrepo_c Python bindings nor the createrepo_c '
                                   'command are installed on this node.')
        proc = subprocess.run([exe, '--quiet', '--no-database', '--general-compress-type', 'gz', self.dest],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
        if proc.returncode != 0:
            raise FedoraBuildError('createrepo: createrepo_c failed on %s: %s.' % (self.dest, last_line(proc)))


def _createrepo_bindings(dest, filenames):
    """Write repodata for dest/Packages/<filenames> with the createrepo_c bindings, swapped in atomically."""
    tmpdir = tempfile.mkdtemp(prefix='.repodata.', dir=dest)
    try:
        paths = {}
        writers = {}
        for kind, cls in (('primary', cr.PrimaryXmlFile), ('filelists', cr.FilelistsXmlFile), ('other', cr.OtherXmlFile)):
            paths[kind] = os.path.join(tmpdir, '%s.xml.gz' % kind)
            writers[kind] = cls(paths[kind], cr.GZ_COMPRESSION)
            writers[kind].set_num_of_pkgs(len(filenames))
        for fname in filenames:
            full = os.path.join(dest, PACKAGES_DIR, fname)
            pkg = cr.package_from_rpm(full)
            pkg.location_href = '%s/%s' % (PACKAGES_DIR, fname)
            for writer in writers.values():
                writer.add_pkg(pkg)
        for writer in writers.values():
            writer.close()
        repomd = cr.Repomd()
        for kind in ('primary', 'filelists', 'other'):
            record = cr.RepomdRecord(kind, paths[kind])
            record.fill(cr.SHA256)
            record.rename_file()
            repomd.set_record(record)
        with open(os.path.join(tmpdir, 'repomd.xml'), 'w') as handle:
            handle.write(repomd.xml_dump())
        final = os.path.join(dest, 'repodata')
        old = None
        if os.path.isdir(final):
            old = tempfile.mkdtemp(prefix='.repodata-old.', dir=dest)
            os.rmdir(old)
            os.rename(final, old)
        os.rename(tmpdir, final)
        tmpdir = None
        if old:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)


def _load_json(path):
    text = read_text(path)
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _listdir(path):
    try:
        return sorted(os.listdir(path))
    except OSError:
        return []


def resolve_side_repo(resolver, builds=(), tasks=(), tag_latest=(), arches=('x86_64',), exclude=None, sigkeys=('',)):
    """Ask the hub (``resolver``: a koji_client.KojiResolver); return the ``resolved`` mapping that
    ``assemble_side_repo`` takes: hub_url, topurl, builds and packages (only the keys the later steps read)."""
    build_records, packages = resolver.resolve(builds=builds, tasks=tasks, tag_latest=tag_latest, arches=arches,
                                               exclude=DEFAULT_EXCLUDE if exclude is None else exclude,
                                               sigkeys=sigkeys)
    out = []
    for pkg in packages:
        record = dict((key, pkg.get(key)) for key in RESOLVED_PACKAGE_KEYS)
        record['candidates'] = [dict((key, c.get(key)) for key in RESOLVED_CANDIDATE_KEYS)
                                for c in pkg.get('candidates') or []]
        out.append(record)
    return {'hub_url': resolver.hub_url, 'topurl': resolver.topurl,
            'builds': [dict((key, b.get(key)) for key in RESOLVED_BUILD_KEYS) for b in build_records],
            'packages': out}


def resolve_with_login(params, arches):
    """Log in to the hub with the koji_side_repo options ``params``, resolve (``resolve_side_repo``) and log out:
    the ``resolved`` mapping. The module (a node resolving itself) and its action plugin (a login, on the
    controller) both resolve through it."""
    session, hub_url, topurl = koji_client.make_session(
        hub_url=params['hub_url'], topurl=params['topurl'], profile=params['koji_profile'],
        ca_cert=params['ca_cert'], auth=params['auth'], client_cert=params['client_cert'],
        principal=params['principal'], keytab=params['keytab'], username=params['username'],
        password=params['password'], timeout=params['timeout'], retries=params['retries'],
        retry_interval=params['backoff'], validate_certs=params['validate_certs'])
    try:
        return resolve_side_repo(koji_client.KojiResolver(session, hub_url, topurl), builds=params['builds'],
                                 tasks=params['tasks'], tag_latest=params['tag_latest'], arches=arches,
                                 exclude=params['exclude'], sigkeys=params['sigkeys'])
    finally:
        koji_client.close_session(session)


def build_side_repo(resolver, repo, builds=(), tasks=(), tag_latest=(), arches=('x86_64',), exclude=None,
                    sigkeys=('',), check_mode=False):
    """Resolve, fetch, verify and assemble; return the module result dict."""
    resolved = resolve_side_repo(resolver, builds=builds, tasks=tasks, tag_latest=tag_latest, arches=arches,
                                 exclude=exclude, sigkeys=sigkeys)
    return assemble_side_repo(resolved, repo, check_mode=check_mode)


def assemble_side_repo(resolved, repo, check_mode=False):
    """Fetch, verify and assemble what ``resolve_side_repo`` (or ``check_resolved``) gave; no hub contact.

    Returns the module result dict.
    """
    hub_url, topurl = resolved['hub_url'], resolved['topurl']
    build_records = [dict(b) for b in resolved['builds']]
    packages = [dict(p, candidates=[dict(c) for c in p.get('candidates') or []]) for p in resolved['packages']]
    repo.plan(packages)
    result = {'repo_path': repo.dest, 'repo_file': repo.repo_file, 'changed': False, 'bytes_downloaded': 0,
              'cache_hits': sum(1 for p in packages if p['cached']),
              'exclude_packages': repo.exclude_names(packages)}
    repo_text = repo.repo_file_text(packages)
    old_repo_text = read_text(repo.repo_file)
    if check_mode:
        todo = [p for p in packages if not p['cached']]
        result['would_download'] = [p['url'] for p in todo]
        result['packages'] = [_public(p) for p in packages]
        result['builds'] = build_records
        known = all(p.get('cached') or p.get('size_expected') is not None for p in packages)
        manifest_text = None
        if not todo:
            manifest_text = json.dumps(repo.manifest(hub_url, topurl, build_records, packages),
                                       sort_keys=True, indent=1) + '\n'
        result['changed'] = bool(todo) or not known or old_repo_text != repo_text or \
            manifest_text is None or not repo.repo_state_matches(manifest_text)
        result['diff'] = {'before': old_repo_text or '', 'after': repo_text,
                          'before_header': repo.repo_file, 'after_header': repo.repo_file}
        return result
    downloaded, hits = repo.fetch(packages)
    result['bytes_downloaded'] = downloaded
    result['cache_hits'] = hits
    manifest_text = json.dumps(repo.manifest(hub_url, topurl, build_records, packages),
                               sort_keys=True, indent=1) + '\n'
    if not repo.repo_state_matches(manifest_text):
        repo.assemble(packages, manifest_text)
        result['changed'] = True
    if old_repo_text != repo_text:
        try:
            directory = os.path.dirname(repo.repo_file)
            if not os.path.isdir(directory):
                os.makedirs(directory)
            atomic_write(repo.repo_file, repo_text)
        except OSError as exc:
            raise FedoraBuildError('repo_file: cannot write %s: %s.' % (repo.repo_file, exc.strerror or exc))
        result['changed'] = True
    result['diff'] = {'before': old_repo_text or '', 'after': repo_text,
                      'before_header': repo.repo_file, 'after_header': repo.repo_file}
    result['packages'] = [_public(p) for p in packages]
    result['builds'] = build_records
    return result


def _public(pkg):
    keys = ('nvra', 'name', 'epoch', 'version', 'release', 'arch', 'nvr', 'build_id', 'task_id', 'sigkey',
            'sha256', 'size', 'url', 'cached')
    return dict((k, pkg.get(k)) for k in keys)
