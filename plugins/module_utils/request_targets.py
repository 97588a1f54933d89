# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks of the request parts that name where secrets go: ``koji`` (login, password/password_env),
``staging`` targets and ``notify`` (webhook). Moved verbatim from request.py so that the change to
operator-defined named destinations (issue 13, item 1) applies here alone.

Semantic checks only: they get the clean copy of request_shape.check_input (ArgumentSpecValidator decided the
fields, types and choices; a value that did not fit is INVALID, already reported).
"""

from __future__ import annotations

import copy

from ansible_collections.ondemand.fedora_build.plugins.module_utils import destinations
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils.request_checks import (
    INVALID, _abs_path, _bounded, _each, _email, _host, _join, _matching, _opt, _secret, _text, _url, _user,
    _build_item, _task_item, _tag_latest, _sigkey, _gpgkey, _glob, _ENV_RE, show)
from ansible_collections.ondemand.fedora_build.plugins.module_utils.request_model import (
    FEDORA_KOJI_HUB, FEDORA_KOJI_TOPURL, KOJI_CONNECTION, KOJI_DEFAULT_EXCLUDE, KOJI_FIELDS, KOJI_OPTIONAL,
    KOJI_REQUEST_FIELDS, NOTIFY_EVENTS)
from ansible_collections.ondemand.fedora_build.plugins.module_utils.request_shape import check_input
from ansible_collections.ondemand.fedora_build.plugins.module_utils.validate import check_name


def _koji_part(p, data, path, gpgkeys=()):
    """Check the fields present in a koji mapping; returns {key: clean value} of the fields given. gpgkeys: the
    names of the operator's public keys (fedora_build_koji_gpgkeys), the values koji.gpgkeys may take."""
    out = {}
    checks = {
        'hub': lambda v, f: _text(p, v, f, 64),
        'profile': lambda v, f: p.check(check_name, v, field=f) if _text(p, v, f, 128) is not INVALID else INVALID,
        'hub_url': lambda v, f: _url(p, v, f, ('http', 'https')),
        'topurl': lambda v, f: _url(p, v, f, ('http', 'https')),
        'ca_cert': lambda v, f: _abs_path(p, v, f, 'an absolute path on the build node'),
        'validate_certs': lambda v, f: v,
        'auth': lambda v, f: v,
        'client_cert': lambda v, f: _abs_path(p, v, f, 'an absolute path on the build node'),
        'principal': lambda v, f: _text(p, v, f, 256),
        'keytab': lambda v, f: _abs_path(p, v, f, 'an absolute path on the build node'),
        'username': lambda v, f: _text(p, v, f, 256),
        'password': lambda v, f: _secret(p, v, f),
        # the password read from the controller's environment at build time (operator settings only)
        'password_env': lambda v, f: _env_name(p, v, f),
        'timeout': lambda v, f: _bounded(p, v, f, 1, 3600),
        'retries': lambda v, f: _bounded(p, v, f, 0, 20),
        'parallel': lambda v, f: _bounded(p, v, f, 1, 64),
        'builds': lambda v, f: _each(p, v, f, _build_item),
        'tasks': lambda v, f: _each(p, v, f, _task_item),
        'tag_latest': lambda v, f: _each(p, v, f, _tag_latest),
        'sigkeys': lambda v, f: _each(p, v, f, _sigkey),
        'gpgkeys': lambda v, f: _each(p, v, f, lambda p_, item, field: _gpgkey(p_, item, field, gpgkeys)),
        'multilib': lambda v, f: v,
        'exclude': lambda v, f: _each(p, v, f, _glob),
    }
    for key in KOJI_FIELDS:
        if key in data and data[key] is not None:
            out[key] = data[key] if data[key] is INVALID else checks[key](data[key], _join(path, key))
    if out.get('sigkeys') == []:
        out['sigkeys'] = p.add(_join(path, 'sigkeys'), 'is empty; give key IDs in order of preference, '
                                                       'or [""] to allow unsigned copies.')
    return out


def _koji(p, value, path, defaults, arch, dest=None, gpgkeys=()):
    """A request's koji (dest: the operator's destinations) over the operator's defaults (already checked);
    gpgkeys: the names of the operator's public keys."""
    start = len(p)
    dest = dest or _NO_DESTINATIONS
    data = {} if value is None else value
    if data is INVALID:
        return data
    for key in data:
        if key in destinations.KOJI_SECRET_FIELDS:  # a login or its source: the operator's alone
            p.check(destinations.own_destination, 'koji', path, dest['koji_hubs'], True, [key])
    given = _koji_part(p, dict((k, v) for k, v in data.items() if k in KOJI_REQUEST_FIELDS), path, gpgkeys)
    base = dict(defaults or {})
    if 'hub' in given or any(key in given for key in KOJI_CONNECTION):
        # the request picks the connection: nothing of the default connection or its login stays
        base = destinations.strip_secrets('koji', base)
        for key in ('hub',) + KOJI_CONNECTION:
            base.pop(key, None)
    # hub together with a connection field is the validator's problem (RAW koji: mutually_exclusive)
    connection = any(key in given for key in KOJI_CONNECTION)
    if given.get('hub') not in (None, INVALID) and not connection:
        if p.check(destinations.refer, 'koji', given['hub'], _join(path, 'hub'), dest['koji_hubs']) is not INVALID:
            base.update(dest['koji_hubs'][given['hub']])
    elif 'hub' not in given and ('hub_url' in given or 'topurl' in given):
        p.check(destinations.own_destination, 'koji', path, dest['koji_hubs'], dest['allow'])
    merged = dict(base)
    merged.update(given)
    if not any(merged.get(key) for key in KOJI_CONNECTION):
        merged['hub_url'], merged['topurl'] = FEDORA_KOJI_HUB, FEDORA_KOJI_TOPURL
    if len(p) == start and not merged.get('profile') and bool(merged.get('hub_url')) != bool(merged.get('topurl')):
        p.add(_join(path, 'topurl' if merged.get('hub_url') else 'hub_url'),
              'missing; without a profile give both hub_url and topurl.')
    if merged.get('password') is not None and merged.get('password_env') is not None:
        p.add(path, 'give password or password_env, not both.')
    if merged.get('multilib') is True and arch not in (None, INVALID, 'x86_64'):
        p.add(_join(path, 'multilib'), 'only applies to arch x86_64 (adds i686 packages), not to %s.' % arch)
    if len(p) != start or INVALID in given.values():
        return INVALID
    out = {
        'profile': merged.get('profile'),
        'hub_url': merged.get('hub_url'),
        'topurl': merged.get('topurl'),
        'builds': merged.get('builds', []),
        'tasks': merged.get('tasks', []),
        'tag_latest': merged.get('tag_latest', []),
        'sigkeys': merged.get('sigkeys', ['']),
        'gpgkeys': merged.get('gpgkeys', []),
        'multilib': merged.get('multilib', False),
        'exclude': merged.get('exclude', list(KOJI_DEFAULT_EXCLUDE)),
    }
    for key in ('hub',) + KOJI_OPTIONAL:
        if merged.get(key) is not None:
            out[key] = merged[key]
    return out


def _staging_target(p, value, path, dest=None, trusted=True):
    """One staging target: a mapping, or a name of dest's staging_targets; trusted False: a request's mapping."""
    if isinstance(value, str) and dest is not None:  # the name of a target the operator defined
        name = p.check(destinations.refer, 'staging', value, path, dest['staging_targets'])
        # the name stays with the entry: records show it, and the stage step reads the login by it
        return INVALID if name is INVALID else dict(copy.deepcopy(dest['staging_targets'][name]), target=name)
    kind_ = value['type']
    if kind_ is INVALID:
        return INVALID
    start = len(p)
    if not trusted:  # a request-defined target: allowed only by the operator, and never with a secret
        p.check(destinations.own_destination, 'staging', path, dest['staging_targets'], dest['allow'], list(value))
        if kind_ not in destinations.REQUEST_STAGING_TYPES:
            p.add(_join(path, 'type'), 'a request-defined %s target would log in with the build node\'s own keys; the '
                                       'operator defines it in fedora_build_staging_targets and the request names it.'
                  % kind_)
        # the other fields are still checked, so every problem is reported at once
        value = destinations.strip_secrets('staging', value)
    out = {'type': kind_}
    if kind_ != 'local':
        out['host'] = _host(p, value['host'], _join(path, 'host'))  # required (required_if): the validator's
        port = value.get('port')
        out['port'] = 22 if kind_ == 'ssh' else 21
        if port is not None:
            out['port'] = _bounded(p, port, _join(path, 'port'), 1, 65535)
        out['user'] = _opt(p, value, 'user', path, _user)
    where = 'on the %s server' % kind_ if kind_ != 'local' else 'on the controller'
    out['path'] = _abs_path(p, value['path'], _join(path, 'path'), 'an absolute path %s' % where)
    if out['path'] == '/':
        p.add(_join(path, 'path'), 'must not be "/".')
    if kind_ == 'ssh':
        for key in ('identity_file', 'known_hosts_file'):
            out[key] = _opt(p, value, key, path, _abs_path, 'an absolute path on the controller')
    if kind_ == 'ftp':
        if out['user'] is None:
            out['user'] = 'anonymous'
        out['password'] = _opt(p, value, 'password', path, _secret)
        out['password_env'] = _opt(p, value, 'password_env', path, _env_name)
        out['tls'] = value.get('tls', False)
    return out if len(p) == start and INVALID not in out.values() else INVALID


def _env_name(p, value, path):
    return _matching(p, value, path, 128, _ENV_RE, 'an environment variable name')


def _staging(p, value, path, default, dest=None, trusted=False):
    if value is None:
        if default is None:
            return p.add(path, 'missing; give at least one staging target (or set the service default, '
                               'fedora_build_staging).')
        return default
    dest = dest or _NO_DESTINATIONS
    targets = _each(p, value, path, lambda p_, v, f: _staging_target(p_, v, f, dest, trusted))
    if targets == []:
        return p.add(path, 'is empty; give at least one staging target, or leave the field out for the service '
                           'default.')
    return targets


def _webhook(p, value, path, dest):
    """notify.webhook: the name of an operator webhook, or (only when the operator allows it) a URL, given no token."""
    if destinations.is_name(value):
        return p.check(destinations.refer, 'webhook', value, path, dest['webhooks'])
    if '://' not in value:
        return p.add(path, '%s is neither the name of a webhook the operator defined in fedora_build_webhooks (%s) '
                           'nor a URL.' % (show(value), ', '.join(sorted(dest['webhooks'])) or 'none are defined'))
    if p.check(destinations.own_destination, 'webhook', path, dest['webhooks'], dest['allow']) is INVALID:
        return INVALID
    return _url(p, value, path, ('http', 'https'))


def yaml_on(value):
    """notify as written: YAML 1.1 (PyYAML, Ansible) reads a plain `on:` key as the boolean true, which JSON then
    makes "true"; taken back before the shape check."""
    if isinstance(value, dict) and 'on' not in value and sum(1 for key in value if key is True or key == 'true') == 1:
        value = dict((('on' if key is True or key == 'true' else key), item) for key, item in value.items())
    return value


def _notify(p, value, path, dest=None):
    start = len(p)
    data = {} if value is None else value
    if data is INVALID:
        return data
    email = data.get('email')
    if isinstance(email, str):
        email = [email]
    out = {'email': _each(p, email, _join(path, 'email'), _email),
           'webhook': _opt(p, data, 'webhook', path, _webhook, dest or _NO_DESTINATIONS)}
    events = data.get('on')
    if events is None:
        out['on'] = list(NOTIFY_EVENTS)
    else:
        out['on'] = INVALID if events is INVALID or INVALID in events else [name for name in NOTIFY_EVENTS
                                                                            if name in events]
    return out if len(p) == start and INVALID not in out.values() else INVALID


_NO_DESTINATIONS = {'staging_targets': {}, 'koji_hubs': {}, 'webhooks': {}, 'allow': False}


def _destinations(p, data, path):
    """The operator's named destinations (settings, trusted): {staging_targets, koji_hubs, webhooks, allow}."""
    out = copy.deepcopy(_NO_DESTINATIONS)
    for key, setting in (('staging_targets', 'staging'), ('koji_hubs', 'koji'), ('webhooks', 'webhook')):
        field = _join(path, key)
        try:
            named = destinations.operator_names(data.get(key), field)
        except FedoraBuildError as exc:
            p.add(field, exc.msg.split(': ', 1)[1])
            continue
        for name, item in named.items():
            if setting == 'staging':
                item, problems = check_input(item, 'staging_target', _join(field, name))
                p.items.extend(problems)
                target = INVALID if item is INVALID else _staging_target(p, item, _join(field, name))
                if target is not INVALID:
                    out['staging_targets'][name] = target
            elif setting == 'koji':
                item, problems = check_input(item, 'koji_hub', _join(field, name))
                p.items.extend(problems)
                if item is INVALID:
                    continue
                hub = _koji_part(p, item, _join(field, name))
                if not hub.get('profile') and not (hub.get('hub_url') and hub.get('topurl')):
                    p.add(_join(field, name), 'give profile, or hub_url and topurl.')
                out['koji_hubs'][name] = dict(hub, hub=name)
            else:
                out['webhooks'][name] = None  # only the names: the notify step reads the definitions
    if data.get('allow_request_destinations') is not None:
        out['allow'] = data['allow_request_destinations']
    return out
