# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWX/Tower survey answers (flat ``fb_*`` extra vars) -> one build request.

Surveys are flat: every question sets one extra var. ``SURVEY_FIELDS`` says
which request field each survey variable fills and how its answer is read;
``request_from_survey`` applies it. The result is an ordinary request that
``ondemand.fedora_build.build_request`` validates like any other, so a survey
never bypasses validation. tests/functional/test_awx_assets.py checks that
every question of collection/awx/surveys/*.json is listed here and that each
target field (and its choices) exists in roles/build/meta/argument_specs.yml.

An empty answer (AWX sends ``""`` for an optional text question left blank)
means "not given": the field is left out and the request's default applies.
"""

from __future__ import annotations

import re

from urllib.parse import quote, urlsplit, urlunsplit

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError

# survey variable -> (request field as a dotted path, kind of answer)
#   str      text or multiplechoice answer, kept as a string
#   list     words separated by commas, spaces or newlines (or a multiselect list)
#   intlist  like list, each word an integer (Koji task IDs)
#   taglist  like list, each word TAG/PACKAGE; grouped into [{tag, packages: [...]}]
#   bool     yes/no, true/false (a multiplechoice "yes\nno" question)
#   url_user, url_password   the login of the URL the field holds: put into it as user:password@ (a survey
#            "password" question, which AWX keeps encrypted and shows as $encrypted$ in the job's extra vars; the
#            normalized request drops it again and the kickstart step reads it, see docs/security.md)
SURVEY_FIELDS = {
    'fb_image_type': ('image_type', 'str'),
    'fb_release': ('release', 'str'),
    'fb_arch': ('arch', 'str'),
    'fb_name': ('name', 'str'),
    'fb_kickstart_url': ('kickstart.src', 'str'),
    'fb_kickstart_user': ('kickstart.src', 'url_user'),
    'fb_kickstart_password': ('kickstart.src', 'url_password'),
    'fb_koji_builds': ('koji.builds', 'list'),
    'fb_koji_tasks': ('koji.tasks', 'intlist'),
    'fb_koji_tag_latest': ('koji.tag_latest', 'taglist'),
    'fb_repo_presets': ('repos.presets', 'list'),
    'fb_live_backend': ('builder.backend', 'str'),
    'fb_kiwi_description': ('builder.description', 'str'),
    'fb_email': ('notify.email', 'list'),
    'fb_webhook': ('notify.webhook', 'str'),
    'fb_notify_on': ('notify.on', 'list'),
    'fb_force': ('force', 'bool'),
}

#: The batch template's one question: a YAML list of requests.
BATCH_VARIABLE = 'fb_requests'

_SPLIT_RE = re.compile(r'[\s,;]+')
_TRUE = ('yes', 'true', '1', 'on')
_FALSE = ('no', 'false', '0', 'off')


def _words(value, variable):
    if isinstance(value, (list, tuple)):
        items = []
        for item in value:
            if not isinstance(item, (str, int)) or isinstance(item, bool):
                raise FedoraBuildError('%s: %r is not a word; give a list of strings.' % (variable, item))
            items.extend(_words(str(item), variable))
        return items
    if isinstance(value, int) and not isinstance(value, bool):
        return [str(value)]
    if not isinstance(value, str):
        raise FedoraBuildError('%s: expected text (words separated by commas or spaces), got %s.'
                               % (variable, type(value).__name__))
    return [word for word in _SPLIT_RE.split(value) if word]


def _answer(variable, kind, value):
    """Convert one answer; returns (present, converted)."""
    if value is None:
        return False, None
    if kind in ('url_user', 'url_password'):
        if isinstance(value, bool) or not isinstance(value, str):
            raise FedoraBuildError('%s: expected text, got %s.' % (variable, type(value).__name__))
        return bool(value), value  # a password keeps its spaces
    if kind == 'str':
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise FedoraBuildError('%s: expected text, got %s.' % (variable, type(value).__name__))
        text = str(value).strip()
        return bool(text), text
    if kind == 'bool':
        if isinstance(value, bool):
            return True, value
        text = str(value).strip().lower()
        if not text:
            return False, None
        if text in _TRUE:
            return True, True
        if text in _FALSE:
            return True, False
        raise FedoraBuildError('%s: %r is not yes or no.' % (variable, value))
    words = _words(value, variable)
    if kind == 'intlist':
        converted = []
        for word in words:
            if not word.isdigit():
                raise FedoraBuildError('%s: %r is not a Koji task ID (a positive integer).' % (variable, word))
            converted.append(int(word))
        words = converted
    elif kind == 'taglist':
        groups = []
        for word in words:
            tag, sep, package = word.partition('/')
            if not sep or not tag or not package or '/' in package:
                raise FedoraBuildError('%s: %r is not TAG/PACKAGE (e.g. f41-updates-candidate/kernel).' % (variable, word))
            for group in groups:
                if group['tag'] == tag:
                    if package not in group['packages']:
                        group['packages'].append(package)
                    break
            else:
                groups.append({'tag': tag, 'packages': [package]})
        words = groups
    return bool(words), words


def request_from_survey(answers, image_type=None):
    """Build a request dict from survey answers.

    ``answers`` maps survey variables to answers; keys that are not survey
    variables are ignored. ``image_type``, when given, wins over an
    ``fb_image_type`` answer (the per-type job templates force it).
    """
    if not isinstance(answers, dict):
        raise FedoraBuildError('survey answers: expected a mapping of survey variables, got %s.'
                               % type(answers).__name__)
    request = {}
    logins = {}
    for variable in sorted(SURVEY_FIELDS):
        path, kind = SURVEY_FIELDS[variable]
        present, value = _answer(variable, kind, answers.get(variable))
        if not present:
            continue
        if kind in ('url_user', 'url_password'):
            logins.setdefault(path, {})[kind] = (variable, value)
            continue
        node = request
        parts = path.split('.')
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    url = (request.get('kickstart') or {}).get('src')
    if isinstance(url, str) and '@' in urlsplit(url).netloc:
        raise FedoraBuildError(login_in_url('fb_kickstart_url'))
    for path, login in sorted(logins.items()):
        _put_login(request, path, login)
    if image_type:
        request['image_type'] = image_type
    return request


def _put_login(request, path, login):
    """Write a survey's user and password answers into the URL at ``path`` as user:password@."""
    user_var = [v for v, k in SURVEY_FIELDS.items() if k == (path, 'url_user')][0]
    password_var = [v for v, k in SURVEY_FIELDS.items() if k == (path, 'url_password')][0]
    url_var = [v for v, k in SURVEY_FIELDS.items() if k[0] == path and k[1] == 'str'][0]
    node = request
    for part in path.split('.')[:-1]:
        node = node.get(part, {})
    url = node.get(path.split('.')[-1])
    if 'url_user' not in login:
        raise FedoraBuildError('%s: a password needs the login name too (%s).' % (password_var, user_var))
    if not url:
        raise FedoraBuildError('%s: a login needs the URL it is for (%s).' % (user_var, url_var))
    parts = urlsplit(url)
    if parts.scheme.lower() not in ('http', 'https', 'ftp') or not parts.netloc:
        raise FedoraBuildError('%s: a login goes with an http, https or ftp URL in %s, not with %s.'
                               % (user_var, url_var, 'a path' if url.startswith('/') else 'that text'))
    userinfo = quote(login['url_user'][1], safe='')
    if 'url_password' in login:
        userinfo += ':' + quote(login['url_password'][1], safe='')
    node[path.split('.')[-1]] = urlunsplit((parts.scheme, '%s@%s' % (userinfo, parts.netloc), parts.path,
                                            parts.query, parts.fragment))


def login_in_url(where):
    """The sentence for a login typed into a URL answer: AWX shows the job's extra vars to whoever may see the job."""
    return ('%s: the URL holds a login, which the job\'s extra vars show to anyone who may see the job; give it in '
            'fb_kickstart_user and fb_kickstart_password (a password question, kept encrypted) instead.' % where)


def requests_from_batch(data, user=None, password=None):
    """Check the parsed ``fb_requests`` answer and return the list of requests.

    Accepts a list of requests, or a mapping with ``fedora_build_requests``
    (the same file a CLI user passes with ``-e @batch.yml``). ``user`` and ``password`` (the batch survey's
    ``fb_kickstart_user`` and ``fb_kickstart_password``) go into every kickstart URL of the batch as its
    ``user:password@``: the requester's own login, to the kickstart servers the requester named.
    """
    if isinstance(data, dict) and 'fedora_build_requests' in data:
        data = data['fedora_build_requests']
    if not isinstance(data, list) or not data:
        raise FedoraBuildError('%s: expected a YAML list of build requests (each a mapping with image_type, release, '
                               'arch, ...), got %s.' % (BATCH_VARIABLE, 'an empty list' if data == [] else type(data).__name__))
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            raise FedoraBuildError('%s[%d]: expected a mapping (a build request), got %s.'
                                   % (BATCH_VARIABLE, index, type(item).__name__))
    login = {}
    for variable, kind, value in (('fb_kickstart_user', 'url_user', user), ('fb_kickstart_password', 'url_password',
                                                                            password)):
        present, value = _answer(variable, kind, value)
        if present:
            login[kind] = (variable, value)
    with_url = []
    for index, item in enumerate(data):
        kickstart = item.get('kickstart')
        url = kickstart.get('src') if isinstance(kickstart, dict) else kickstart
        if not isinstance(url, str) or urlsplit(url).scheme.lower() not in ('http', 'https', 'ftp'):
            continue
        if '@' in urlsplit(url).netloc:
            raise FedoraBuildError(login_in_url('%s[%d].kickstart%s' % (BATCH_VARIABLE, index,
                                                                        '.src' if isinstance(kickstart, dict) else '')))
        with_url.append(index)
    if not login:
        return data
    if 'url_user' not in login:
        raise FedoraBuildError('fb_kickstart_password: a password needs the login name too (fb_kickstart_user).')
    if not with_url:
        raise FedoraBuildError('fb_kickstart_user: a login needs a request with an http, https or ftp kickstart URL '
                               'in %s.' % BATCH_VARIABLE)
    data = [dict(item) for item in data]
    for index in with_url:
        kickstart = data[index]['kickstart']
        holder = {'kickstart': dict(kickstart) if isinstance(kickstart, dict) else {'src': kickstart}}
        _put_login(holder, 'kickstart.src', login)
        data[index]['kickstart'] = holder['kickstart'] if isinstance(kickstart, dict) else holder['kickstart']['src']
    return data
