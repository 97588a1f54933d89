# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`import-conf`: the 2012 service's imagebuild.conf (INI) as a request (docs/request.md).

The 2012 file: ``[DEFAULT]`` (type, arch, release, staging, email) plus one section per image
type (``[boot]`` lorax, ``[dvd]`` pungi, ``[live]`` livecd-creator); only the section named by
``type`` was used. Its parser (``SafeConfigParser``) copied every ``[DEFAULT]`` key into every
section, so ``[live] arch`` or ``[boot] release`` came from ``[DEFAULT]`` unless the section set
them; this converter does the same, explicitly. Keys the new pipeline has no use for (fixed work
and output dirs, log files, pungi --force, ...) are dropped with one warning line each.
"""

import configparser
import re
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import yaml

from .errors import CLIError, FAILED, NOT_FOUND

IMAGE_TYPES = ('boot', 'dvd', 'live')
DEFAULT_KEYS = ('type', 'arch', 'release', 'staging', 'email')

# keys that meant something in 2012 and nothing now: key -> why
OBSOLETE = {
    'boot': {
        'outdir': 'lorax output dir; every build now gets its own work dir on the node',
        'workdir': 'side-repo work dir; every build now gets its own work dir on the node',
    },
    'dvd': {
        'destdir': 'pungi --destdir; every build now gets its own work dir on the node',
        'cachedir': 'pungi --cachedir; the node cache dir is fedora_build_cache_dir',
        'workdir': 'side-repo work dir; every build now gets its own work dir on the node',
        'force': 'pungi --force; every build starts from an empty destination (the request field force: true is something else: rebuild a staged build)',
    },
    'live': {
        'tmpdir': 'livecd-creator -t; every build now gets its own work dir on the node',
        'cachedir': 'livecd-creator --cache; the node cache dir is fedora_build_cache_dir',
        'logfile': 'livecd-creator --logfile; the tool logs are staged under <build_id>/logs/',
        'title': 'livecd-creator --title; livemedia-creator has no title, the boot menu shows builder.project and the release',
    },
}
STAGES = {'all': None, '-G': 'gather', '-C': 'createrepo', '-B': 'buildinstall', '-I': 'createiso'}
TRUE = ('1', 'yes', 'true', 'on')
FALSE = ('0', 'no', 'false', 'off', '')
PRESET_TAILS = {
    'release': 'releases/{rel}/Everything/{arch}/os',
    'updates': 'updates/{rel}/Everything/{arch}',
    'updates-testing': 'updates/testing/{rel}/Everything/{arch}',
    'rawhide': 'development/rawhide/Everything/{arch}/os',
}
PRESET_KEYS = {'release': '{rel}', 'updates': '{rel}-updates', 'updates-testing': '{rel}-updates-testing',
               'rawhide': '{rel}'}
PRESET_NAMES = {'release': 'fedora', 'updates': 'updates', 'updates-testing': 'updates-testing', 'rawhide': 'rawhide'}


class Conversion:
    def __init__(self, path):
        self.path = Path(path)
        self.warnings = []
        self.errors = []
        self.budget = MAX_EXPANDED
        self.arch_from = None   # (conf arch, request arch) when they differ: URLs are rewritten
        self.rewritten = []     # the keys whose URLs named the old arch (rewritten)
        self.i386_urls = []     # the keys whose URLs name i386/i686 (as read)

    def warn(self, text):
        self.warnings.append(text)

    def error(self, text):
        if text not in self.errors:
            self.errors.append(text)


def read_ini(path):
    """{'DEFAULT': {...}, '<section>': {...keys set in that section only...}}, values as written."""
    path = Path(path)
    try:
        with open(path, 'rb') as handle:
            data = handle.read(MAX_FILE + 1)
        if len(data) > MAX_FILE:
            raise CLIError('%s: more than %d bytes; an imagebuild.conf is a few hundred.' % (path, MAX_FILE), FAILED)
        text = data.decode('utf-8')
    except FileNotFoundError:
        raise CLIError('%s: no such file.' % path, NOT_FOUND)
    except (OSError, UnicodeDecodeError) as exc:
        raise CLIError('%s: cannot read it (%s).' % (path, exc), FAILED)
    # DEFAULT as a plain section: inheritance is applied by hand (convert), so we know what a section set
    raw = configparser.RawConfigParser(default_section='\x00none', strict=False, interpolation=None)
    try:
        raw.read_string(text, source=str(path))
    except configparser.Error as exc:
        raise CLIError('%s: not an INI file (%s).' % (path, str(exc).splitlines()[0]), FAILED)
    return dict((name, dict((k, v.strip()) for k, v in raw.items(name))) for name in raw.sections())


_REF = re.compile(r'%\(([^)]+)\)s')
MAX_DEPTH = 10             # configparser's MAX_INTERPOLATION_DEPTH: the 2012 parser's own limit
MAX_EXPANDED = 64 * 1024   # characters: all values of the file together, after expansion
MAX_FILE = 1024 * 1024     # bytes of an imagebuild.conf


class _TooBig(Exception):
    pass


def _expand(conv, key, values):
    """One value with its %(name)s references expanded; spends conv.budget; _TooBig, or None when too deep."""
    text = values[key]
    for dummy in range(MAX_DEPTH + 1):
        if not _REF.search(text):
            return text

        def sub(match):
            name = match.group(1).lower()
            if name not in values:
                return match.group(0)
            conv.budget -= len(values[name])
            if conv.budget < 0:
                raise _TooBig()
            return values[name]
        new = _REF.sub(sub, text)
        if new == text:
            return text
        text = new
    return None


def interpolate(conv, section, values):
    """SafeConfigParser's %(name)s references (against the section plus DEFAULT) and %% escapes.

    A lone "%" made the 2012 parser fail; here the value is kept as written, with a warning.
    Growth is bounded: references nested deeper than MAX_DEPTH (the 2012 parser's limit too) or
    expanding the file's values beyond MAX_EXPANDED characters in all are refused, one sentence.
    """
    out = {}
    for key, value in values.items():
        if conv.budget < 0:  # reported once; the conversion fails anyway
            out[key] = value
            continue
        try:
            text = _expand(conv, key, values)
        except _TooBig:
            conv.error('[%s] %s: its %%(name)s references expand the file beyond %d characters; refused '
                       '(a value that grows like that is no build setting).' % (section, key, MAX_EXPANDED))
            text = None
        else:
            if text is None:
                conv.error('[%s] %s: %%(name)s references nested deeper than %d levels (a loop?); the 2012 parser '
                           'refused it too.' % (section, key, MAX_DEPTH))
        if text is None:
            out[key] = value
            continue
        rest = _REF.sub('', text).replace('%%', '')
        if '%' in rest:
            conv.warn('[%s] %s: a "%%" that is not %%(name)s or %%%% (the 2012 parser failed on it); kept as written.'
                      % (section, key))
            out[key] = value
        else:
            out[key] = text.replace('%%', '%')
    return out


def _bool(conv, section, key, value):
    text = str(value).strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    conv.error('[%s] %s: %r is not 1 or 0.' % (section, key, value))
    return None


def _list(value):
    return [item.strip() for item in str(value or '').split(';') if item.strip()]


def _staging(conv, value):
    value = value.strip()
    if not value:
        conv.warn('[DEFAULT] staging: empty; the service default staging target (fedora_build_staging) is used.')
        return None
    if value.startswith('file://'):
        path = urlsplit(value).path or '/'
        if not path.startswith('/'):
            conv.error('[DEFAULT] staging: %r is not a file:/// URL with an absolute path.' % value)
            return None
        return [{'type': 'local', 'path': path.rstrip('/') or '/'}]
    if '://' in value:
        parts = urlsplit(value)
        if parts.scheme == 'ftp' and parts.hostname:
            target = {'type': 'ftp', 'host': parts.hostname, 'path': parts.path or '/pub'}
            if parts.port:
                target['port'] = parts.port
            return [target]
        conv.error('[DEFAULT] staging: %r is neither file:///path nor an FTP host.' % value)
        return None
    if re.match(r'^([A-Za-z0-9_.-]+@)?[A-Za-z0-9_.-]+:/', value):  # the May-2012 scp form host:/path
        user, dummy, rest = value.rpartition('@') if '@' in value.split(':', 1)[0] else ('', '', value)
        host, path = rest.split(':', 1)
        conv.warn('[DEFAULT] staging: %r is the old scp form; converted to an ssh (sftp) staging target.' % value)
        target = {'type': 'ssh', 'host': host, 'path': path}
        if user:
            target['user'] = user
        return [target]
    if not re.match(r'^[A-Za-z0-9_.:-]+$', value):
        conv.error('[DEFAULT] staging: %r is neither file:///path nor an FTP host.' % value)
        return None
    conv.warn('[DEFAULT] staging: FTP host %s: the 2012 service logged in anonymously and stored files in pub/; '
              'converted to an ftp target (user anonymous, path /pub) - set user/password_env if the server needs them.'
              % value)
    return [{'type': 'ftp', 'host': value, 'path': '/pub'}]


def _koji(conv, section, values):
    builds = []
    for nvr in _list(values.get('nvr')):
        builds.append(nvr)
    for bid in _list(values.get('bid')):
        if bid.isdigit():
            builds.append(int(bid))
        else:
            conv.error('[%s] bid: %r is not a Koji build ID (a number).' % (section, bid))
    return {'builds': builds} if builds else None


def _kickstart(conv, section, value):
    value = (value or '').strip()
    if not value:
        return None
    if re.match(r'^(https?|ftp)://', value, re.I):
        if 'fedorahosted.org' in value:
            conv.warn('[%s] config: %s is on fedorahosted.org, which was shut down in 2017; point kickstart.src '
                      'at a reachable copy (e.g. https://pagure.io/fedora-kickstarts).' % (section, value))
        return {'src': value}
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = (conv.path.parent / path).resolve()
        conv.warn('[%s] config: the relative kickstart path %s is taken relative to the conf file: %s.'
                  % (section, value, path))
    return {'src': str(path)}


def _release(conv, section, values, key, default_release):
    value = values.get(key) or default_release
    if value and default_release and str(value) != str(default_release):
        conv.warn('[%s] %s=%s differs from [DEFAULT] release=%s (which chose the 2012 build queue); '
                  'the request builds release %s.' % (section, key, value, default_release, value))
    return value


def _repos(conv, section, values, release, arch):
    """updates / updates-testing and the <release>_url / _mirror keys as repos: presets, mirror, extra."""
    if release == 'rawhide':
        presets = ['rawhide']
    else:
        presets = ['release']
        if _bool(conv, section, 'updates', values.get('updates', '0')):
            presets.append('updates')
        if _bool(conv, section, 'updates-testing', values.get('updates-testing', '0')):
            presets.append('updates-testing')
    mirrors, extra, used = set(), [], set()
    for preset in list(presets):
        key = PRESET_KEYS[preset].format(rel=release)
        url = _rearch(conv, key + '_url', values.get(key + '_url'))
        metalink = _rearch(conv, key + '_mirror', values.get(key + '_mirror'))
        used.update((key + '_url', key + '_mirror'))
        if not url and not metalink:
            if preset != 'release' and preset != 'rawhide':
                conv.warn('[%s] %s=1 but %s_url and %s_mirror are missing (the 2012 service failed with KeyError); '
                          'the %s preset is used.' % (section, preset, key, key, preset))
            continue
        tail = PRESET_TAILS[preset].format(rel=release, arch=url_arch(arch))
        if url and url.rstrip('/').endswith('/' + tail):
            mirrors.add(url.rstrip('/')[:-len(tail) - 1])
        elif url:
            presets.remove(preset)
            extra.append({'name': PRESET_NAMES[preset], 'baseurl': url})
            if metalink:
                conv.warn('[%s] %s_mirror: dropped; the repository comes from %s_url (the 2012 service used both, '
                          'a duplicate repository).' % (section, key, key))
            continue
        elif metalink:
            presets.remove(preset)
            extra.append({'name': PRESET_NAMES[preset], 'metalink': metalink})
            continue
        if metalink:
            conv.warn('[%s] %s_mirror: dropped; %s_url is the same repository (the 2012 service used both, a duplicate '
                      'repository).' % (section, key, key))
    for key in sorted(values):
        if re.match(r'^.+-?(_url|_mirror)$', key) and key not in used:
            conv.warn('[%s] %s: not used (only the keys of release %s and its enabled update repos were read).'
                      % (section, key, release))
    repos = {'presets': presets}
    if len(mirrors) == 1:
        mirror = mirrors.pop()
        repos['mirror'] = mirror
    elif len(mirrors) > 1:
        conv.warn('[%s] the repository URLs use different mirrors (%s); the first is used for every preset.'
                  % (section, ', '.join(sorted(mirrors))))
        repos['mirror'] = sorted(mirrors)[0]
    if extra:
        repos['extra'] = extra
    return repos


def url_arch(arch):
    """The arch as Fedora's repository trees name it (i686 packages lived under i386/)."""
    return 'i386' if arch in ('i686', 'i386') else arch


def _rearch(conv, key, url):
    """``url`` with the conf's arch (path components, ``arch=`` in the query) changed to the request's."""
    if not url:
        return url
    old = conv.arch_from[0] if conv.arch_from else None
    new = conv.arch_from[1] if conv.arch_from else None
    olds = set((old, url_arch(old))) if old else set()
    parts = urlsplit(url)
    query_archs = [item.partition('=')[2] for item in parts.query.split('&') if item.partition('=')[0] == 'arch']
    names = set(parts.path.split('/')) | set(query_archs)
    if names & set(('i386', 'i686')):
        conv.i386_urls.append(key)
    if not olds & names or new is None:
        return url
    path = '/'.join(url_arch(new) if seg in olds else seg for seg in parts.path.split('/'))
    query = '&'.join(('arch=' + url_arch(new)) if item.partition('=')[0] == 'arch' and item.partition('=')[2] in olds
                     else item for item in parts.query.split('&')) if parts.query else parts.query
    conv.rewritten.append(key)
    return urlunsplit((parts.scheme, parts.netloc, path, query, parts.fragment))


def _obsolete(conv, section, values):
    for key, why in OBSOLETE[section].items():
        if key in values:
            conv.warn('[%s] %s: no longer used (%s).' % (section, key, why))


KNOWN = {
    'boot': ('product', 'release', 'version', 'updates', 'updates-testing', 'proxy', 'nvr', 'bid', 'outdir', 'workdir',
             'arch'),
    'dvd': ('name', 'version', 'flavor', 'nvr', 'bid', 'destdir', 'cachedir', 'workdir', 'bugurl', 'nosource',
            'sourceisos', 'force', 'stage', 'config', 'arch'),
    'live': ('label', 'title', 'product', 'releasever', 'nvr', 'bid', 'tmpdir', 'cachedir', 'logfile', 'config',
             'arch'),
}


SPLIT_LAYOUT = ('%s: the May 2012 split-file layout ([DEFAULT] only: imagebuild.conf with type/arch/staging/email '
                'and the builder keys in a separate boot.conf, pungi.conf or live.conf) is not supported; merge them into '
                'one file with [DEFAULT] and a [boot], [dvd] or [live] section (the layout from June 2012 on) and convert that.')
ARCH = re.compile(r'^[a-z0-9_]{1,16}$')


def convert(sections, path='imagebuild.conf', arch=None):
    """(request dict, warnings) from the parsed INI; CLIError (all problems) when it cannot be converted.

    ``arch`` (--arch): the request's arch instead of the conf's; by default an i686/i386 conf
    becomes x86_64 (Fedora builds no i686 images). Repository URLs that name the conf's arch
    (``.../updates/17/i386``, ``metalink?...&arch=i386``) are rewritten to the request's.
    """
    if arch is not None and not ARCH.match(arch):
        raise CLIError('--arch %r: not an architecture name (x86_64, aarch64, ppc64le, s390x).' % arch, FAILED)
    if not any(name in sections for name in IMAGE_TYPES) and set(sections) <= set(['DEFAULT']):
        raise CLIError(SPLIT_LAYOUT % path, FAILED)
    conv = Conversion(path)
    default = sections.get('DEFAULT', {})
    for key in default:
        if key not in DEFAULT_KEYS:
            conv.warn('[DEFAULT] %s: unknown key, ignored.' % key)
    image_type = (default.get('type') or '').strip()
    if not image_type:
        typed = [s for s in IMAGE_TYPES if s in sections]
        if len(typed) == 1:
            image_type = typed[0]
            conv.warn('[DEFAULT] type: missing; the file has only [%s], so image_type is %s.' % (image_type, image_type))
    if image_type not in IMAGE_TYPES:
        raise CLIError('%s: [DEFAULT] type: %s; give boot, dvd or live.'
                       % (path, ('%r is not an image type' % image_type) if image_type else 'missing'), FAILED)
    if image_type not in sections:
        raise CLIError('%s: [%s]: missing; type=%s needs the [%s] section.' % (path, image_type, image_type, image_type),
                       FAILED)
    for name in sections:
        if name not in ('DEFAULT', image_type):
            conv.warn('[%s]: ignored (type is %s; the 2012 service read only that section).' % (name, image_type))
    merged = dict(default)  # the DEFAULT-inheritance quirk: DEFAULT keys show through every section
    merged.update(sections[image_type])
    values = interpolate(conv, image_type, merged)
    own = dict((k, values[k]) for k in sections[image_type])
    default = interpolate(conv, 'DEFAULT', default)
    for key in own:
        if key not in KNOWN[image_type] and not re.match(r'^.+(_url|_mirror)$', key):
            conv.warn('[%s] %s: unknown key, ignored.' % (image_type, key))

    request = {'image_type': image_type}
    default_release = default.get('release')
    conf_arch, wanted = values.get('arch'), arch
    arch = wanted or ('x86_64' if conf_arch in ('i686', 'i386') else conf_arch)
    if conf_arch and arch != conf_arch:
        conv.arch_from = (conf_arch, arch)
    if 'arch' in own and default.get('arch') and own['arch'] != default['arch']:
        conv.warn('[%s] arch=%s overrides [DEFAULT] arch=%s (which chose the 2012 build node).'
                  % (image_type, own['arch'], default['arch']))
    koji = _koji(conv, image_type, values)
    if image_type == 'boot':
        release = _release(conv, 'boot', own, 'release', default_release)
        version = own.get('version')
        if version and version != release:
            conv.warn('[boot] version=%s: lorax -v now follows the release (%s).' % (version, release))
        builder = {}
        if own.get('product'):
            builder['product'] = own['product']
        proxy = own.get('proxy', '')
        if proxy:
            conv.warn('[boot] proxy: the 2012 service read it but never used it; now passed to lorax as builder.proxy.')
            builder['proxy'] = proxy
        elif 'proxy' in own:
            conv.warn('[boot] proxy: empty, dropped (no proxy; the 2012 service never used this key).')
        kickstart = None
        repos = _repos(conv, 'boot', values, release, arch) if release else None
    elif image_type == 'dvd':
        release = _release(conv, 'dvd', own, 'version', default_release)
        builder = {}
        for key in ('name', 'flavor', 'bugurl'):
            if own.get(key):
                builder[key] = own[key]
        for key in ('nosource', 'sourceisos'):
            if key in own:
                flag = _bool(conv, 'dvd', key, own[key])
                if flag is not None:
                    builder[key] = flag
        stage = own.get('stage', 'all').strip()
        if stage not in STAGES:
            conv.error('[dvd] stage: %r is not all, -G, -C, -B or -I (the 2012 service failed with "Invalid stage '
                       'entered").' % stage)
        elif STAGES[stage]:
            builder['stages'] = [STAGES[stage]]
        kickstart = _kickstart(conv, 'dvd', own.get('config'))
        if kickstart is None:
            conv.error('[dvd] config: missing; a DVD build needs a kickstart path or URL.')
        repos = None
    else:
        release = _release(conv, 'live', own, 'releasever', default_release)
        builder = {'backend': 'livemedia-creator'}
        conv.warn('[live] livecd-creator is gone; the request uses livemedia-creator (--no-virt) with the same kickstart.')
        if own.get('label'):
            builder['fs_label'] = own['label']
            request['name'] = own['label']
        if own.get('product'):
            builder['project'] = own['product']
        kickstart = _kickstart(conv, 'live', own.get('config'))
        if kickstart is None:
            conv.error('[live] config: missing; a live build needs a kickstart path or URL.')
        repos = None
    _obsolete(conv, image_type, own)

    if release:
        request['release'] = str(release).strip().lower()
    else:
        conv.error('[DEFAULT] release: missing; give the Fedora release (e.g. 41 or rawhide).')
    if arch:
        request['arch'] = arch
        _arch_warning(conv, conf_arch, arch, wanted)
    else:
        conv.warn('[DEFAULT] arch: missing; the request uses the default (x86_64).')
    if kickstart:
        request['kickstart'] = kickstart
    if koji:
        request['koji'] = koji
    if repos:
        request['repos'] = repos
    if builder:
        request['builder'] = builder
    staging = _staging(conv, default.get('staging', '')) if 'staging' in default else None
    if staging:
        request['staging'] = staging
    email = (default.get('email') or '').strip()
    if email:
        request['notify'] = {'email': [email]}
    if conv.errors:
        raise CLIError('%s: %s' % (path, ' '.join(conv.errors)), FAILED, problems=conv.errors)
    return request, conv.warnings


def _arch_warning(conv, conf_arch, arch, wanted):
    """One warning on the arch: what changed, and the repository URLs that changed with it (or still name i386)."""
    urls = ''
    if conv.rewritten:
        urls = ' The repository URLs that named %s now name %s (%s).' % (
            url_arch(conf_arch), url_arch(arch), ', '.join(conv.rewritten))
    elif conv.i386_urls and arch in ('i686', 'i386'):
        urls = ' The repository URLs name i386 too (%s).' % ', '.join(conv.i386_urls)
    if arch in ('i686', 'i386'):
        conv.warn('arch %s: Fedora has built no i686 images since Fedora 31; the request keeps it%s, give --arch '
                  '(x86_64, aarch64, ...).%s' % (arch, ' (--arch)' if wanted else '', urls))
    elif conv.arch_from and wanted:
        conv.warn('arch: %s (--arch) instead of the conf\'s %s.%s' % (arch, conf_arch, urls))
    elif conv.arch_from:
        conv.warn('arch %s: Fedora has built no i686 images since Fedora 31; the request builds %s instead '
                  '(choose another with --arch).%s' % (conf_arch, arch, urls))


def convert_file(path, arch=None):
    return convert(read_ini(path), path, arch)


def to_yaml(request, source=None):
    head = '# Converted from %s by fedora-build import-conf; check it with: fedora-build validate FILE\n' % (
        source or 'imagebuild.conf')
    return head + yaml.safe_dump({'fedora_build_request': request}, sort_keys=False, default_flow_style=False)
