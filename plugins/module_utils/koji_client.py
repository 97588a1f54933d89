# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Koji client layer for the side repository: session set-up and batched resolution.

Session handling follows koji-ansible's ``common_koji.py``: a hub URL and a
top URL, or a koji profile name read like the koji CLI does
(``koji.read_config``); anonymous by default, with optional CA and
SSL-certificate / Kerberos / password login.

Resolution turns the user's items (NVRs, build IDs, scratch-build task IDs,
latest-in-tag requests) into a list of RPM files to fetch, with a handful of
multicalls no matter how many items there are:

1. ``getBuild`` / ``getLatestBuilds`` / ``getTaskInfo`` for every item,
2. ``listRPMs`` for every build and ``getTaskDescendents`` for every task,
3. ``queryRPMSigs`` and ``getRPMChecksums`` for every RPM (when a sigkey is
   wanted) and ``listTaskOutput`` for every buildArch task.

Every build must be COMPLETE, every task CLOSED. A signed copy is chosen by
the order of ``sigkeys``; an empty string in that list allows the unsigned
copy at that place. Each RPM keeps the whole ordered list of acceptable copies
(``candidates``): when the hub records a signature whose signed copy was never
written (the file server answers 404), the side repo takes the next one.
Paths come from ``koji.PathInfo`` so build volumes are honoured.

Build and task IDs travel as XML-RPC integers; the koji client sends values
above 2**31 as ``<i8>``, so an ID above 2**63-1 cannot be sent at all and is
refused here, naming the field.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import logging
import os
import re
import shutil
import tempfile

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils.validate import check_nvr
from ansible_collections.ondemand.fedora_build.plugins.module_utils.side_repo_args import DEFAULT_EXCLUDE

try:
    import koji
    HAS_KOJI = True
    KOJI_IMPORT_ERROR = None
except ImportError as _exc:  # pragma: no cover - exercised on nodes without koji
    koji = None
    HAS_KOJI = False
    KOJI_IMPORT_ERROR = _exc

SIGKEY_RE = re.compile(r'^[0-9a-f]{8,40}$')
# multicalls are split so one request never grows without bound
BATCH = 500
# the largest integer koji.xmlrpcplus can send (<i8>); Koji build and task IDs are bounded by it
MAX_ID = 2 ** 63 - 1


def normalize_sigkeys(sigkeys):
    """Lower-case sigkeys and check them; '' means 'the unsigned copy is acceptable here'."""
    out = []
    for key in sigkeys if sigkeys is not None else ['']:
        key = '' if key is None else str(key).strip().lower()
        if key and not SIGKEY_RE.match(key):
            raise FedoraBuildError('sigkeys: %r is not a Koji signing key id (8 or more hex digits, '
                                   'or "" to allow unsigned copies).' % key)
        if key not in out:
            out.append(key)
    if not out:
        raise FedoraBuildError('sigkeys: the list is empty; give key ids in order of preference, or "" to allow unsigned copies.')
    return out


def parse_build_item(item, field='builds'):
    """Return an int build ID or a validated NVR string for one entry of ``builds``."""
    if isinstance(item, bool):
        raise FedoraBuildError('%s: %r is neither an NVR nor a numeric build ID.' % (field, item))
    if isinstance(item, int):
        if item <= 0:
            raise FedoraBuildError('%s: %r is not a valid build ID (a positive number).' % (field, item))
        if item > MAX_ID:
            raise FedoraBuildError('%s: %d is larger than any Koji build ID can be (XML-RPC i8, at most %d).'
                                   % (field, item, MAX_ID))
        return item
    text = str(item).strip()
    if text.isdigit():
        return parse_build_item(int(text), field)
    check_nvr(text, field=field)
    return text


def parse_task_item(item, field='tasks'):
    """Return a task ID as int."""
    text = str(item).strip()
    if isinstance(item, bool) or not text.isdigit() or int(text) <= 0:
        raise FedoraBuildError('%s: %r is not a valid task ID (a positive number).' % (field, item))
    if int(text) > MAX_ID:
        raise FedoraBuildError('%s: %s is larger than any Koji task ID can be (XML-RPC i8, at most %d).'
                               % (field, text, MAX_ID))
    return int(text)


def make_session(hub_url=None, topurl=None, profile=None, ca_cert=None, auth='none', client_cert=None,
                 principal=None, keytab=None, username=None, password=None, timeout=60, retries=3,
                 retry_interval=2.0, validate_certs=True):
    """Return (session, hub_url, topurl) for the given settings; logs in only when auth != 'none'."""
    if not HAS_KOJI:
        raise FedoraBuildError('koji: the koji Python library is not installed on this host.')
    # koji logs failed logins at ERROR; without a handler Python would print them on stderr
    logging.getLogger('koji').addHandler(logging.NullHandler())
    opts = {}
    if profile:
        try:
            config = koji.read_config(profile)
        except koji.ConfigurationError as exc:
            raise FedoraBuildError('koji_profile: %s.' % str(exc).rstrip('.'))
        opts = koji.grab_session_options(config)
        hub_url = hub_url or config.get('server')
        topurl = topurl or config.get('topurl')
        if ca_cert is None and config.get('serverca'):
            ca_cert = config.get('serverca')
    if not hub_url:
        raise FedoraBuildError('hub_url: no Koji hub URL given (set hub_url or koji_profile).')
    if not topurl:
        raise FedoraBuildError('topurl: no Koji top URL given (set topurl or use a koji_profile that has one).')
    opts.update({'anon_retry': True, 'max_retries': retries, 'retry_interval': retry_interval, 'timeout': timeout})
    if not validate_certs:
        # no verification at all, even with a ca_cert (koji would prefer serverca over no_ssl_verify)
        ca_cert = None
        opts.pop('serverca', None)
        opts['no_ssl_verify'] = True
    elif ca_cert:
        _readable(ca_cert, 'ca_cert')
        opts['serverca'] = ca_cert
    if username:
        opts['user'] = username
    if password:
        opts['password'] = password
    session = koji.ClientSession(hub_url, opts)
    try:
        if auth == 'ssl':
            if not client_cert:
                raise FedoraBuildError('client_cert: auth is "ssl" but no client certificate was given.')
            _check_client_cert(client_cert)
            session.ssl_login(client_cert, None, ca_cert)
        elif auth == 'kerberos':
            if getattr(koji, 'reqgssapi', None) is None:
                raise FedoraBuildError('auth: kerberos login needs the requests-gssapi Python library '
                                       '(python3-requests-gssapi), which is not installed on this host.')
            kwargs = {}
            if principal:
                kwargs['principal'] = principal
            scratch = None
            if keytab:
                _readable(keytab, 'keytab')
                kwargs['keytab'], scratch = keytab_file(keytab)
            try:
                session.gssapi_login(**kwargs)
            finally:
                if scratch:
                    shutil.rmtree(scratch, ignore_errors=True)
        elif auth == 'password':
            if not username or not password:
                raise FedoraBuildError('username: auth is "password" but username or password is missing.')
            session.login()
    except FedoraBuildError:
        raise
    except Exception as exc:  # pylint: disable=broad-except
        raise login_error(exc, hub_url, auth, ca_cert, client_cert)
    return session, hub_url.rstrip('/'), topurl.rstrip('/')


def close_session(session):
    """Log out of the hub if logged in (a real hub keeps a session row per login otherwise)."""
    if session is not None and getattr(session, 'logged_in', False):
        try:
            session.logout()
        except Exception:  # pylint: disable=broad-except
            pass


def _readable(path, field):
    if not os.path.isfile(path) or not os.access(path, os.R_OK):
        raise FedoraBuildError('%s: %s does not exist or is not readable.' % (field, path))


KEYTAB_MAX = 1024 * 1024


def keytab_file(path):
    """(keytab path, scratch dir to remove after the login or None): a keytab file as it is; the file AWX's
    credential type writes (the keytab's base64 text: AWX stores text only) decoded into a private scratch dir."""
    with open(path, 'rb') as handle:
        data = handle.read(KEYTAB_MAX + 1)
    if data[:1] == b'\x05':  # a keytab's version bytes (5, then 1 or 2)
        return path, None
    try:
        raw = base64.b64decode(b''.join(data.split()), validate=True)
    except (binascii.Error, ValueError):
        raw = b''
    if len(data) > KEYTAB_MAX or raw[:2] not in (b'\x05\x01', b'\x05\x02'):
        raise FedoraBuildError('keytab: %s is neither a keytab nor the base64 text of one.' % path)
    scratch = tempfile.mkdtemp(prefix='fedora-build-keytab-')  # 0700, the login's own
    decoded = os.path.join(scratch, 'koji.keytab')
    fd = os.open(decoded, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, 'wb') as handle:
        handle.write(raw)
    return decoded, scratch


def _check_client_cert(path):
    _readable(path, 'client_cert')
    with open(path, 'rb') as handle:
        data = handle.read()
    if b'-----BEGIN CERTIFICATE-----' not in data or b'PRIVATE KEY-----' not in data:
        raise FedoraBuildError('client_cert: %s must be one PEM file holding the client certificate and its '
                               'private key (as for koji --cert).' % path)


def _flat(text):
    return ' '.join(str(text).split())


def _tls_reason(text):
    """The certificate-verification reason in an exception text (or None)."""
    if 'CERTIFICATE_VERIFY_FAILED' not in text:
        return None
    found = re.search(r'certificate verify failed: (.+?) \(_ssl', text)
    return found.group(1) if found else 'certificate verify failed'


def cert_error(exc, url, ca_cert, field='ca_cert'):
    """FedoraBuildError for a server certificate that did not verify, or None for other errors."""
    reason = _tls_reason(_flat(exc))
    if reason is None:
        return None
    if ca_cert:
        how = 'with the CA bundle %s' % ca_cert
        fix = 'is that the CA that signed it?'
    else:
        how = "with the system's CA certificates"
        fix = 'set ca_cert to the CA that signed it.'
    return FedoraBuildError('%s: the TLS certificate of %s could not be verified %s (%s); %s'
                            % (field, url, how, reason, fix))


def login_error(exc, hub_url, auth, ca_cert=None, client_cert=None):
    """One sentence for a failed login (koji wraps the cause in several lines of text)."""
    text = _flat(exc)
    tls = cert_error(exc, 'the Koji hub at %s' % hub_url, ca_cert)
    if tls is not None:
        return tls
    for prefix in ('unable to obtain a session', '(ssl auth failed:', '(gssapi auth failed:'):
        if text.startswith(prefix):
            text = text[len(prefix):].strip()
    text = text.split(' Use following documentation to debug kerberos')[0].strip().rstrip(')').strip()
    text = re.sub(r'^(koji\.)?[A-Za-z]+Error: ', '', text)
    if auth == 'ssl' and ('SSLError' in text or 'alert' in text.lower() or 'ConnectionError' in text):
        return FedoraBuildError('client_cert: the Koji hub at %s ended the TLS handshake when given the client '
                                'certificate %s; the hub does not accept it (is it issued by the CA the hub trusts '
                                'for clients, and still valid?).' % (hub_url, client_cert))
    if auth == 'kerberos' and '401' in text:
        return FedoraBuildError('auth: the Koji hub at %s did not accept a Kerberos login (HTTP 401): no valid ticket '
                                'for the hub (check klist, or give principal and keytab).' % hub_url)
    what = {'ssl': 'a client certificate', 'kerberos': 'Kerberos (GSSAPI)', 'password': 'a password'}.get(auth, auth)
    return FedoraBuildError('auth: logging in to the Koji hub at %s with %s failed: %s.'
                            % (hub_url, what, (text or exc.__class__.__name__).rstrip('.')[:300]))


def _short(exc):
    text = str(exc).strip().splitlines()
    return (text[-1] if text else exc.__class__.__name__).rstrip('.')[:300]


class KojiResolver(object):
    """Resolves builds, tasks and tag_latest items into RPM download plans."""

    def __init__(self, session, hub_url, topurl):
        self.session = session
        self.hub_url = hub_url
        self.topurl = topurl
        self.pathinfo = koji.PathInfo(topdir=topurl)
        self.multicalls = 0

    # ----------------------------------------------------------------- calls
    def batch(self, calls):
        """Run [(method, args, kwargs)] as multicalls; return [(ok, value_or_exception)]."""
        out = []
        for start in range(0, len(calls), BATCH):
            chunk = calls[start:start + BATCH]
            try:
                with self.session.multicall(strict=False) as mc:
                    pending = [getattr(mc, method)(*args, **kwargs) for method, args, kwargs in chunk]
            except Exception as exc:  # pylint: disable=broad-except
                tls = cert_error(exc, 'the Koji hub at %s' % self.hub_url, self.session.opts.get('serverca'))
                if tls is not None:
                    raise tls
                if isinstance(exc, koji.AuthError):
                    raise FedoraBuildError('auth: the Koji hub at %s refused the session: %s.'
                                           % (self.hub_url, _short(exc)))
                raise FedoraBuildError('hub_url: the Koji hub at %s is unreachable or failing after retries: %s.'
                                       % (self.hub_url, _short(exc)))
            self.multicalls += 1
            for call in pending:
                try:
                    out.append((True, call.result))
                except Exception as exc:  # pylint: disable=broad-except
                    out.append((False, exc))
        return out

    # ------------------------------------------------------------- resolving
    def resolve(self, builds=(), tasks=(), tag_latest=(), arches=('x86_64',), exclude=DEFAULT_EXCLUDE,
                sigkeys=('',)):
        """Return (build_records, package_records) for all items; raises FedoraBuildError."""
        arches = list(dict.fromkeys(list(arches) + ['noarch']))
        sigkeys = normalize_sigkeys(sigkeys)
        build_items = [parse_build_item(b) for b in builds]
        task_items = [parse_task_item(t) for t in tasks]
        tag_items = []
        for entry in tag_latest:
            tag = entry.get('tag') if isinstance(entry, dict) else None
            packages = entry.get('packages') if isinstance(entry, dict) else None
            if not tag or not isinstance(tag, str):
                raise FedoraBuildError('tag_latest: every entry needs a "tag" (a Koji tag name).')
            if not packages or not isinstance(packages, list):
                raise FedoraBuildError('tag_latest: entry for tag %r needs a non-empty "packages" list.' % tag)
            for pkg in packages:
                tag_items.append((tag, str(pkg)))
        if not (build_items or task_items or tag_items):
            raise FedoraBuildError('builds: nothing to fetch; give at least one of builds, tasks or tag_latest.')

        calls = [('getBuild', (item,), {}) for item in build_items]
        calls += [('getLatestBuilds', (tag,), {'package': pkg}) for tag, pkg in tag_items]
        calls += [('getTaskInfo', (task,), {'request': True}) for task in task_items]
        answers = self.batch(calls)
        build_answers = answers[:len(build_items)]
        tag_answers = answers[len(build_items):len(build_items) + len(tag_items)]
        task_answers = answers[len(build_items) + len(tag_items):]

        builds_found = []  # (origin, buildinfo)
        for item, (ok, value) in zip(build_items, build_answers):
            if not ok:
                raise FedoraBuildError('builds: looking up %r on the Koji hub failed: %s.' % (item, _short(value)))
            if not value:
                raise FedoraBuildError('builds: build %r does not exist on the Koji hub at %s.' % (item, self.hub_url))
            builds_found.append(('build %s' % item, value))
        for (tag, pkg), (ok, value) in zip(tag_items, tag_answers):
            if not ok and str(getattr(value, 'faultString', value)).startswith('No such entry in table tag:'):
                raise FedoraBuildError('tag_latest: tag %r does not exist on the Koji hub at %s.' % (tag, self.hub_url))
            if not ok:
                raise FedoraBuildError('tag_latest: tag %r could not be read on the Koji hub: %s.' % (tag, _short(value)))
            if not value:
                raise FedoraBuildError('tag_latest: package %r has no build tagged in %r.' % (pkg, tag))
            builds_found.append(('latest %s in %s' % (pkg, tag), value[0]))
        for origin, info in builds_found:
            state = info.get('state')
            if state != koji.BUILD_STATES['COMPLETE']:
                raise FedoraBuildError('builds: build %s (%s) is %s, not COMPLETE.'
                                       % (info.get('nvr'), origin, koji.BUILD_STATES.get(state, state)))
        tasks_found = []
        for task, (ok, value) in zip(task_items, task_answers):
            if not ok:
                raise FedoraBuildError('tasks: looking up task %s on the Koji hub failed: %s.' % (task, _short(value)))
            if not value:
                raise FedoraBuildError('tasks: task %s does not exist on the Koji hub at %s.' % (task, self.hub_url))
            if value.get('state') != koji.TASK_STATES['CLOSED']:
                raise FedoraBuildError('tasks: task %s is %s, not CLOSED (finished successfully).'
                                       % (task, koji.TASK_STATES.get(value.get('state'), value.get('state'))))
            if value.get('method') not in ('build', 'buildArch'):
                raise FedoraBuildError('tasks: task %s is a %r task, not a build or buildArch task.' % (task, value.get('method')))
            tasks_found.append(value)

        # unique builds, input order
        unique = {}
        for origin, info in builds_found:
            unique.setdefault(info['id'], (origin, info))
        build_list = list(unique.values())

        calls = [('listRPMs', (), {'buildID': info['id']}) for _origin, info in build_list]
        calls += [('getTaskDescendents', (task['id'],), {}) for task in tasks_found]
        answers = self.batch(calls)
        rpm_answers = answers[:len(build_list)]
        desc_answers = answers[len(build_list):]

        packages = []
        build_records = []
        for (origin, info), (ok, value) in zip(build_list, rpm_answers):
            if not ok:
                raise FedoraBuildError('builds: listing the RPMs of %s failed: %s.' % (info['nvr'], _short(value)))
            chosen = [r for r in value if r['arch'] in arches and not _excluded(r['name'], exclude)]
            if not chosen:
                have = sorted(set(r['arch'] for r in value)) or ['none']
                raise FedoraBuildError('builds: build %s has no RPMs for %s after exclude filters (it has: %s).'
                                       % (info['nvr'], ', '.join(arches), ', '.join(have)))
            build_records.append({'nvr': info['nvr'], 'build_id': info['id'], 'task_id': info.get('task_id'),
                                  'volume': info.get('volume_name') or 'DEFAULT', 'source': origin,
                                  'packages': []})
            for rinfo in chosen:
                packages.append(self._package_record(info, rinfo, origin))

        child_tasks = []
        for task, (ok, value) in zip(tasks_found, desc_answers):
            if not ok:
                raise FedoraBuildError('tasks: listing the subtasks of task %s failed: %s.' % (task['id'], _short(value)))
            children = [task] if task['method'] == 'buildArch' else []
            for kids in value.values():
                children.extend(k for k in kids if k.get('method') == 'buildArch')
            if not children:
                raise FedoraBuildError('tasks: task %s has no buildArch subtasks with output.' % task['id'])
            child_tasks.append((task, children))
        calls = [('listTaskOutput', (child['id'],), {'stat': True, 'all_volumes': True})
                 for _task, children in child_tasks for child in children]
        answers = iter(self.batch(calls))
        for task, children in child_tasks:
            record = {'nvr': None, 'build_id': None, 'task_id': task['id'], 'volume': 'DEFAULT',
                      'source': 'task %s' % task['id'], 'packages': []}
            found = []
            seen_arches = set()
            for child in children:
                ok, value = next(answers)
                if not ok:
                    raise FedoraBuildError('tasks: listing the output of task %s failed: %s.' % (child['id'], _short(value)))
                for fname, vols in sorted(value.items()):
                    if not fname.endswith('.rpm') or fname.endswith('.src.rpm') and 'src' not in arches:
                        continue
                    nvra = koji.parse_NVRA(fname[:-4])
                    seen_arches.add(nvra['arch'])
                    if nvra['arch'] not in arches or _excluded(nvra['name'], exclude):
                        continue
                    found.append(self._task_record(task, child, fname, nvra, vols))
            if not found:
                raise FedoraBuildError('tasks: task %s has no RPMs for %s after exclude filters (it has: %s).'
                                       % (task['id'], ', '.join(arches), ', '.join(sorted(seen_arches)) or 'none'))
            # a scratch build has no NVR of its own: name it after its main (shortest-named) package
            record['nvr'] = min((p['nvr'] for p in found), key=lambda n: (len(n), n))
            build_records.append(record)
            packages.extend(found)

        self._pick_signatures(packages, sigkeys)
        packages = _dedupe(packages)
        for record in build_records:
            record['packages'] = sorted(p['nvra'] for p in packages if p['origin'] == record['source'])
        return build_records, packages

    def _package_record(self, binfo, rinfo, origin):
        return {
            'nvra': '%(name)s-%(version)s-%(release)s.%(arch)s' % rinfo,
            'name': rinfo['name'], 'epoch': rinfo.get('epoch'), 'version': rinfo['version'],
            'release': rinfo['release'], 'arch': rinfo['arch'], 'rpm_id': rinfo['id'],
            'build_id': binfo['id'], 'nvr': binfo['nvr'], 'task_id': None,
            'payloadhash': rinfo.get('payloadhash'), 'db_size': rinfo.get('size'),
            'builddir': self.pathinfo.build(binfo), 'relpath_unsigned': self.pathinfo.rpm(rinfo),
            'rinfo': {k: rinfo[k] for k in ('name', 'version', 'release', 'arch')},
            'origin': origin, 'sigkey': None, 'url': None, 'size': None,
        }

    def _task_record(self, task, child, fname, nvra, vols):
        if isinstance(vols, dict) and vols and isinstance(next(iter(vols.values())), dict):
            volume = 'DEFAULT' if 'DEFAULT' in vols else sorted(vols)[0]
            stat = vols[volume]
        else:  # an older hub without all_volumes
            volume, stat = 'DEFAULT', vols
        url = '%s/%s/%s' % (self.pathinfo.work(volume), self.pathinfo.taskrelpath(child['id']), fname)
        return {
            'nvra': fname[:-4], 'name': nvra['name'], 'epoch': None, 'version': nvra['version'],
            'release': nvra['release'], 'arch': nvra['arch'], 'rpm_id': None, 'build_id': None,
            'nvr': '%(name)s-%(version)s-%(release)s' % nvra, 'task_id': child['id'], 'payloadhash': None,
            'db_size': int(stat.get('st_size')) if stat.get('st_size') is not None else None,
            'origin': 'task %s' % task['id'], 'sigkey': '', 'url': url, 'size': None,
            'size_expected': int(stat['st_size']) if stat.get('st_size') is not None else None,
        }

    def _pick_signatures(self, packages, sigkeys):
        """Order the acceptable copies of each build RPM by ``sigkeys``; unsigned only where '' is listed.

        ``pkg['candidates']``: [{sigkey, url, size_expected, sighash, file_sha256}] in preference order,
        the first one is tried first; later ones serve when a recorded signed copy was never written.
        """
        wanted = [k for k in sigkeys if k]
        build_pkgs = [p for p in packages if p['rpm_id'] is not None]
        sigs = {}
        sums = {}
        if wanted and build_pkgs:
            calls = []
            for pkg in build_pkgs:
                calls.append(('queryRPMSigs', (), {'rpm_id': pkg['rpm_id']}))
                calls.append(('getRPMChecksums', (pkg['rpm_id'],), {'checksum_types': ['sha256'], 'cacheonly': True}))
            answers = self.batch(calls)
            for index, pkg in enumerate(build_pkgs):
                ok, value = answers[2 * index]
                if not ok:
                    raise FedoraBuildError('sigkeys: querying the signatures of %s failed: %s.' % (pkg['nvra'], _short(value)))
                sigs[pkg['rpm_id']] = dict((s['sigkey'].lower(), s.get('sighash')) for s in value)
                # a hub without getRPMChecksums (before koji 1.34), or without a cached checksum: no whole-file sum
                ok, value = answers[2 * index + 1]
                sums[pkg['rpm_id']] = dict((str(k).lower(), (v or {}).get('sha256')) for k, v in value.items()) \
                    if ok and isinstance(value, dict) else {}
        unsigned_task = [p for p in packages if p['rpm_id'] is None]
        if unsigned_task and '' not in sigkeys:
            raise FedoraBuildError('sigkeys: scratch-build output of task(s) %s is never signed; add "" to sigkeys '
                                   'to accept unsigned copies.' % ', '.join(sorted(set(str(p['origin'][5:]) for p in unsigned_task))))
        for pkg in unsigned_task:
            pkg['candidates'] = [{'sigkey': '', 'url': pkg['url'], 'size_expected': pkg['size_expected'],
                                  'sighash': None, 'file_sha256': None}]
        missing = []
        for pkg in build_pkgs:
            have = sigs.get(pkg['rpm_id'], {})
            candidates = []
            for key in sigkeys:
                if key == '':
                    candidates.append({'sigkey': '', 'url': '%s/%s' % (pkg['builddir'], pkg['relpath_unsigned']),
                                       'size_expected': pkg['db_size'], 'sighash': None, 'file_sha256': None})
                    break  # the unsigned copy always exists: nothing after it can be needed
                if key in have:
                    # Koji stores the size of the unsigned copy only
                    candidates.append({'sigkey': key, 'url': '%s/%s' % (pkg['builddir'], self.pathinfo.signed(pkg['rinfo'], key)),
                                       'size_expected': None, 'sighash': have[key],
                                       'file_sha256': sums.get(pkg['rpm_id'], {}).get(key)})
            if not candidates:
                missing.append(pkg['nvr'])
                continue
            pkg['candidates'] = candidates
            use_candidate(pkg, candidates[0])
        if missing:
            raise FedoraBuildError('sigkeys: no copy signed with %s exists for %s.'
                                   % (' or '.join(wanted), ', '.join(sorted(set(missing)))))


def use_candidate(pkg, candidate):
    """Make one of a package's acceptable copies the one to fetch."""
    for key in ('sigkey', 'url', 'size_expected', 'sighash', 'file_sha256'):
        pkg[key] = candidate[key]


def _excluded(name, patterns):
    return any(fnmatch.fnmatchcase(name, pat) for pat in patterns or ())


def _dedupe(packages):
    """Drop repeated NVRAs; refuse two different builds of one package name."""
    by_nvra = {}
    names = {}
    for pkg in packages:
        by_nvra.setdefault(pkg['nvra'], pkg)
    for pkg in by_nvra.values():
        key = (pkg['name'], pkg['arch'])
        if key in names and names[key]['nvr'] != pkg['nvr']:
            raise FedoraBuildError('builds: package %s.%s comes from two different builds (%s and %s); pin only one.'
                                   % (pkg['name'], pkg['arch'], names[key]['nvr'], pkg['nvr']))
        names[key] = pkg
    return sorted(by_nvra.values(), key=lambda p: p['nvra'])
