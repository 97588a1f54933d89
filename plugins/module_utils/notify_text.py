# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The text of build notifications: the build description, the subject and the plain-text body.

Pure functions, no I/O; module_utils/notify.py validates the options, sends the
email and the webhook. The checksum lines of a success email are exactly what
``sha256sum -c`` reads when run in the staged build directory (the one holding
CHECKSUM): each names the file by its path relative to that directory.
"""

from __future__ import annotations

import datetime
import json
import re

from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, make_msgid

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError

EVENTS = ('submitted', 'succeeded', 'failed', 'cancelled')
DEFAULT_LOG_LINES = 40
MAX_LOG_LINE = 500
SUBJECT_PREFIX = '[fedora-build]'
CONTROL_RE = re.compile(r'[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]')
ALL_CONTROL_RE = re.compile(r'[\x00-\x1f\x7f-\x9f\u2028\u2029]')

# What the subject says after the prefix, and the first sentence of the body.
OUTCOME = {
    'submitted': ('submitted', 'was submitted and is queued.'),
    'succeeded': ('succeeded', 'SUCCEEDED.'),
    'failed': ('FAILED', 'FAILED.'),
    'cancelled': ('CANCELLED', 'was CANCELLED.'),
}
# A succeeded build whose identical result was already staged: nothing was rebuilt.
REUSED = ('succeeded (reused)', 'SUCCEEDED: the same build (same request, packages, kickstart and builder) '
          'was already in staging and is reused; nothing was rebuilt.')


# --------------------------------------------------------------------------- text helpers


def one_line(value, limit=200):
    """``value`` as one line of text: control characters (CR, LF, tab, ...) become spaces, runs collapse."""
    if value is None:
        return ''
    text = ALL_CONTROL_RE.sub(' ', value if isinstance(value, str) else str(value))
    text = ' '.join(text.split())
    if len(text) > limit:
        text = text[:limit - 3] + '...'
    return text


def clean_line(value, limit=MAX_LOG_LINE):
    """A log line for a plain-text body: tabs kept, other control characters (escape sequences, CR) shown as '?'."""
    text = value if isinstance(value, str) else str(value)
    text = CONTROL_RE.sub('?', text.rstrip('\r\n'))
    if len(text) > limit:
        text = text[:limit] + ' [...]'
    return text


# --------------------------------------------------------------------------- the build description


def _str_or_none(value):
    if value is None or value == '':
        return None
    return value if isinstance(value, str) else str(value)


def normalize_build(build, log_lines=DEFAULT_LOG_LINES):
    """The build description reduced to the known keys, with types checked (one sentence per problem).

    Unknown keys (a status record's ``history``, ``updated``...) are ignored, so a status record
    can be passed as it is.
    """
    if build is None:
        build = {}
    if not isinstance(build, dict):
        raise FedoraBuildError('build: must be a dictionary describing the build, not %s.' % type(build).__name__)
    out = {}
    for key in ('request_id', 'build_id', 'name', 'image_type', 'release', 'arch', 'node', 'state', 'phase',
                'reason', 'submitted', 'started', 'finished', 'status_url', 'requested_by'):
        value = build.get(key)
        if isinstance(value, (dict, list)):
            raise FedoraBuildError('build.%s: must be a single value, not a %s.' % (key, type(value).__name__))
        out[key] = _str_or_none(value)
    staging = build.get('staging') or []
    if isinstance(staging, str):
        staging = [staging]
    if not isinstance(staging, list) or not all(isinstance(s, str) for s in staging):
        raise FedoraBuildError('build.staging: must be a list of URLs or paths.')
    out['staging'] = [one_line(s, 1000) for s in staging if s]
    artifacts = build.get('artifacts') or []
    if not isinstance(artifacts, list):
        raise FedoraBuildError('build.artifacts: must be a list of {name, size, sha256}.')
    out['artifacts'] = []
    for index, item in enumerate(artifacts):
        if not isinstance(item, dict) or not item.get('name'):
            raise FedoraBuildError('build.artifacts[%d]: must be a dictionary with at least a name.' % index)
        sha = item.get('sha256')
        if sha is not None and not re.match(r'^[0-9a-fA-F]{64}$', str(sha)):
            raise FedoraBuildError('build.artifacts[%d].sha256: %r is not a SHA-256 hex digest.' % (index, sha))
        size = item.get('size')
        if size is not None:
            try:
                size = int(size)
            except (TypeError, ValueError):
                raise FedoraBuildError('build.artifacts[%d].size: %r is not a number of bytes.' % (index, size))
        relpath = item.get('relpath')
        if relpath is not None and (not isinstance(relpath, str) or not _checkable_path(relpath)):
            raise FedoraBuildError('build.artifacts[%d].relpath: %r is not a path relative to the staged build '
                                   'directory (no leading "/", "..", backslash or control characters).' % (index, relpath))
        entry = {'name': one_line(item['name'], 300), 'size': size, 'sha256': str(sha).lower() if sha else None}
        if relpath:
            entry['relpath'] = relpath
        out['artifacts'].append(entry)
    duration = build.get('duration')
    if isinstance(duration, bool) or (duration is not None and not isinstance(duration, (int, float, str))):
        raise FedoraBuildError('build.duration: must be seconds or a text, not %s.' % type(duration).__name__)
    out['duration'] = duration
    tail = build.get('log_tail')
    if tail is None:
        lines = []
    elif isinstance(tail, str):
        lines = tail.splitlines()
    elif isinstance(tail, list):
        lines = []
        for item in tail:
            lines.extend(str(item).splitlines() or [''])
    else:
        raise FedoraBuildError('build.log_tail: must be a list of lines or a text.')
    out['log_total'] = len(lines)
    out['log_tail'] = [clean_line(line) for line in lines[-log_lines:]] if log_lines > 0 else []
    reused = build.get('reused') or False
    if isinstance(reused, str) and reused.lower() in ('true', 'false'):
        reused = reused.lower() == 'true'
    if not isinstance(reused, bool):
        raise FedoraBuildError('build.reused: must be true or false, not %r.' % (reused,))
    out['reused'] = reused
    out['contents'] = contents_line(build.get('contents'))
    request = build.get('request')
    if request is not None and not isinstance(request, dict):
        raise FedoraBuildError('build.request: must be a dictionary (the normalized request).')
    out['request'] = request or {}
    return out


def contents_line(contents):
    """``N of M pinned builds verified in the image`` from the content check's summary (build.json's ``contents``),
    or None before the check ran."""
    if contents in (None, '', {}):
        return None
    if isinstance(contents, str):
        return one_line(contents, 300)
    if not isinstance(contents, dict):
        raise FedoraBuildError('build.contents: must be the content check summary (a dictionary), not %s.'
                               % type(contents).__name__)
    numbers = []
    for key in ('verified', 'total'):
        value = contents.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise FedoraBuildError('build.contents.%s: %r is not a number of pinned builds.' % (key, value))
        numbers.append(value)
    return '%d of %d pinned builds verified in the image' % tuple(numbers)


def _checkable_path(path):
    """True for a relative path that ``sha256sum -c`` reads back as it is (no escaping needed)."""
    return (bool(path) and not path.startswith('/') and '\\' not in path and not ALL_CONTROL_RE.search(path)
            and '..' not in path.split('/') and path == path.strip())


def checksum_lines(artifacts):
    """``SHA256 (<relpath>) = <hex>`` for each artifact with a sha256, as CHECKSUM has it.

    The path is the artifact's ``relpath`` (relative to the staged build directory, the one
    holding CHECKSUM), so ``sha256sum -c`` run there checks exactly these files; an artifact
    without ``relpath`` falls back to its bare name.
    """
    return ['SHA256 (%s) = %s' % (item.get('relpath') or item['name'], item['sha256'])
            for item in artifacts if item.get('sha256')]


def describe(build):
    """``live 41 x86_64 (live-41-x86_64-abc123)``: what the subject names."""
    words = [one_line(build.get(k), 40) for k in ('image_type', 'release', 'arch') if build.get(k)]
    ident = one_line(build.get('build_id') or build.get('request_id') or build.get('name'), 120)
    text = ' '.join(words) or 'image build'
    if ident:
        text += ' (%s)' % ident
    return text


def _outcome(event, build):
    """(subject word, first sentence): a reused build says so in both."""
    if event == 'succeeded' and build.get('reused'):
        return REUSED
    return OUTCOME[event]


def make_subject(event, build):
    """The subject line: it states the outcome as its first word."""
    return one_line('%s %s: %s' % (SUBJECT_PREFIX, _outcome(event, build)[0], describe(build)), 250)


def _human_size(size):
    if size is None:
        return 'size unknown'
    value = float(size)
    for unit in ('bytes', 'KiB', 'MiB', 'GiB', 'TiB'):
        if value < 1024 or unit == 'TiB':
            if unit == 'bytes':
                return '%d bytes' % size
            return '%.1f %s (%d bytes)' % (value, unit, size)
        value /= 1024.0
    return '%d bytes' % size  # pragma: no cover


def _human_duration(value):
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return one_line(value, 60)
    seconds = int(round(value))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return '%dh %02dm %02ds' % (hours, minutes, secs)
    if minutes:
        return '%dm %02ds' % (minutes, secs)
    return '%ds' % secs


def _field_lines(pairs):
    width = max(len(pair[0]) for pair in pairs) + 1
    return ['  %s %s' % ((label + ':').ljust(width), value) for label, value in pairs if value not in (None, '')]


def _join_url(base, tail):
    return base.rstrip('/') + '/' + tail


def make_body(event, build):
    """The plain-text body: outcome, what was requested, where the results are, checksums, reason, log tail."""
    who = 'Your Fedora image build %s' % describe(build)
    name = build.get('name')
    lines = ['%s %s' % (who, _outcome(event, build)[1]), '']

    lines.append('What was requested:')
    lines.extend(_field_lines([
        ('Name', one_line(name)),
        ('Image type', one_line(build.get('image_type'))),
        ('Release', one_line(build.get('release'))),
        ('Architecture', one_line(build.get('arch'))),
    ]) or ['  (no details given)'])
    for key in sorted(build.get('request') or {}):
        value = build['request'][key]
        if value in (None, '', [], {}):
            continue
        text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
        lines.append('  %s: %s' % (one_line(key, 40), one_line(text, 300)))
    lines.append('')

    lines.append('Build:')
    lines.extend(_field_lines([
        ('Request ID', one_line(build.get('request_id'))),
        ('Build ID', one_line(build.get('build_id'))),
        ('State', one_line(build.get('state') or ('queued' if event == 'submitted' else event))),
        ('Phase', one_line(build.get('phase'))),
        ('Node', one_line(build.get('node'))),
        ('Requested by', one_line(build.get('requested_by'))),
        ('Submitted', one_line(build.get('submitted'))),
        ('Started', one_line(build.get('started'))),
        ('Finished', one_line(build.get('finished'))),
        ('Duration', _human_duration(build.get('duration'))),
        ('Contents', build.get('contents')),
    ]))
    lines.append('')

    if event in ('failed', 'cancelled'):
        reason = build.get('reason')
        lines.append('Reason:')
        lines.append('  %s' % (one_line(reason, 2000) if reason else '(no reason was recorded; see the log below)'))
        lines.append('')

    staging = build.get('staging') or []
    if event != 'submitted':
        if staging:
            lines.append('Results (staging):' if event == 'succeeded' else 'Logs and build.json (staging):')
            for url in staging:
                lines.append('  %s' % url)
            lines.append('  (logs in %s, the manifest in %s, checksums in %s)'
                         % (_join_url(staging[0], 'logs/'), _join_url(staging[0], 'build.json'),
                            _join_url(staging[0], 'CHECKSUM')))
        else:
            lines.append('Results (staging):')
            lines.append('  (nothing was staged)')
        lines.append('')

    artifacts = build.get('artifacts') or []
    if artifacts:
        lines.append('Files:')
        for item in artifacts:
            lines.append('  %s  %s' % (item['name'], _human_size(item['size'])))
        lines.append('')
        sums = checksum_lines(artifacts)
        if sums:
            if all(a.get('relpath') for a in artifacts if a.get('sha256')):
                lines.append('Checksums (SHA-256, lines of the CHECKSUM file; save them to a file and check with')
                lines.append('"sha256sum -c <file>" in the build\'s staging directory):')
            else:
                lines.append('Checksums (SHA-256):')
            lines.extend(sums)
            lines.append('')

    tail = build.get('log_tail') or []
    if event in ('failed', 'cancelled') and (tail or build.get('log_note')):
        total = build.get('log_total') or len(tail)
        source = ' of %s' % one_line(build['log_source'], 300) if build.get('log_source') else ''
        if not tail:
            lines.append('Log tail%s:' % source)
        elif total > len(tail):
            lines.append('Log tail (last %d of %d lines%s):' % (len(tail), total, source))
        else:
            lines.append('Log tail (last %d lines%s):' % (len(tail), source))
        if build.get('log_note'):
            lines.append('  (%s)' % one_line(build['log_note'], 300))
        lines.extend('  | %s' % line for line in tail)
        lines.append('')

    lines.append('Status:')
    if build.get('status_url'):
        lines.append('  %s' % one_line(build['status_url'], 1000))
    elif build.get('request_id'):
        lines.append('  The status record is status/%s.json in the service\'s status directory'
                     % one_line(build['request_id'], 80))
        lines.append('  (fedora_build_status_dir, by default under the first local staging target).')
    if event == 'submitted':
        lines.append('  You will get another email when the build has succeeded or failed.')
    lines.append('')
    lines.append('-- ')
    lines.append('ondemand.fedora_build, on-demand Fedora image builds. This message was sent automatically.')
    return '\n'.join(lines) + '\n'


def build_email(event, build, recipients, sender, now=None, msgid_domain=None):
    """The EmailMessage for ``event``: explicit subject, plain-text utf-8 body, Date/Message-ID/From/To."""
    if event not in EVENTS:
        raise FedoraBuildError('event: %r is not one of %s.' % (event, ', '.join(EVENTS)))
    now = now or datetime.datetime.now(datetime.timezone.utc)
    domain = msgid_domain or sender.domain or 'localhost'
    # 7bit: no reliance on 8BITMIME/SMTPUTF8; lines up to the RFC 5322 limit, so a long subject is not folded
    # into a leading space and an ASCII body stays readable as it is on the wire
    msg = EmailMessage(policy=SMTP_POLICY.clone(cte_type='7bit', max_line_length=998))
    msg['Subject'] = make_subject(event, build)
    msg['From'] = sender
    msg['To'] = list(recipients)
    msg['Date'] = format_datetime(now)
    msg['Message-ID'] = make_msgid(idstring='fedora-build', domain=domain)
    msg['Auto-Submitted'] = 'auto-generated'
    msg['X-Fedora-Build-Event'] = event
    request_id = one_line(build.get('request_id'), 80)
    if request_id and re.match(r'^[A-Za-z0-9._+-]+$', request_id):
        msg['X-Fedora-Build-Request-ID'] = request_id
        # every email about one request shares a thread root
        msg['References'] = '<%s@%s>' % (request_id, domain)
    build_id = one_line(build.get('build_id'), 120)
    if build_id and re.match(r'^[A-Za-z0-9._+-]+$', build_id):
        msg['X-Fedora-Build-ID'] = build_id
    msg.set_content(make_body(event, build), subtype='plain', charset='utf-8')
    return msg
