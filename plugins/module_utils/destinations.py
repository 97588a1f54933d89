# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Operator-defined destinations: where secrets may go (docs/security.md, "Trust model").

A build request is untrusted input. Staging targets with credentials, Koji hubs with a login and
webhooks with a token are defined by the OPERATOR under names (role variables
``fedora_build_staging_targets``, ``fedora_build_koji_hubs``, ``fedora_build_webhooks``); a request
refers to them by name. A request may define a destination itself (a staging mapping, a Koji
``hub_url``/``topurl``, a webhook URL) only where the operator allows it
(``fedora_build_allow_request_destinations``, off by default), and such a destination never gets a
secret: no password, token, client certificate, keytab, principal, SSH key or trust file, neither
its own (the request cannot carry them) nor one of the operator's.

Pure stdlib, no I/O: the request validator (module_utils/request.py) and the ``webhook_destination``
filter call it on the controller.
"""

from __future__ import annotations

import os
import re

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError

# Fields that hold a secret or name its source (an environment variable or a file): only the operator sets them.
STAGING_SECRET_FIELDS = ('password', 'password_env', 'identity_file', 'known_hosts_file')
KOJI_SECRET_FIELDS = ('auth', 'username', 'password', 'password_env', 'client_cert', 'principal', 'keytab',
                      'ca_cert', 'validate_certs')
WEBHOOK_SECRET_FIELDS = ('token', 'token_env', 'ca_file')
# What a normalized request keeps of a destination it names: the name and the connection, never the login or where
# the login lives (an environment variable name, a key file). The step that uses the destination reads these from
# the operator's definition by name (stage_target, koji_login), so no record or job event of the request shows them.
STAGING_LOGIN_FIELDS = STAGING_SECRET_FIELDS
KOJI_LOGIN_FIELDS = ('auth', 'username', 'password', 'password_env', 'client_cert', 'principal', 'keytab')
WEBHOOK_FIELDS = ('url', 'token', 'token_env', 'timeout', 'validate_certs', 'ca_file')
# request-defined staging targets may be of these types only: an SSH login would use the build node's own keys
REQUEST_STAGING_TYPES = ('local', 'ftp')

KINDS = {
    'staging': ('staging target', 'fedora_build_staging_targets'),
    'koji': ('Koji hub', 'fedora_build_koji_hubs'),
    'webhook': ('webhook', 'fedora_build_webhooks'),
}
ALLOW_SETTING = 'fedora_build_allow_request_destinations'
NAME_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$')
_ENV_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_]{0,127}$')


def is_name(value):
    """True when value is a destination name (not a URL, not a mapping)."""
    return isinstance(value, str) and NAME_RE.match(value) is not None


def _known(names):
    names = sorted(names)
    return ', '.join(names) if names else 'none are defined'


def operator_names(value, setting):
    """The names of an operator setting given as a mapping {name: definition} or a list of names."""
    if value is None:
        return {}
    if isinstance(value, (list, tuple)):
        value = dict.fromkeys(value)
    if not isinstance(value, dict):
        raise FedoraBuildError('%s: must be a mapping of names to definitions (got %s).'
                               % (setting, type(value).__name__))
    for name in value:
        if not is_name(name):
            raise FedoraBuildError('%s: %r is not a destination name (letters, digits, ".", "_", "-"; up to 64, '
                                   'starting with a letter or digit).' % (setting, name))
    return value


def allow_setting(value):
    """The operator's fedora_build_allow_request_destinations (default false)."""
    if value is None:
        return False
    if not isinstance(value, bool):
        raise FedoraBuildError('%s: must be true or false (got %r).' % (ALLOW_SETTING, value))
    return value


def refer(kind, ref, path, defined):
    """Check a request's reference to a destination by name; returns the name.

    ``defined`` is the operator's mapping (or list) of names for ``kind`` (staging, koji, webhook).
    """
    what, setting = KINDS[kind]
    if not is_name(ref):
        raise FedoraBuildError('%s: %s is not a %s name; name one the operator defined in %s (%s).'
                               % (path, _show(ref), what, setting, _known(defined or {})))
    if ref not in (defined or {}):
        raise FedoraBuildError('%s: %r is not a %s the operator defined in %s; known names: %s.'
                               % (path, ref, what, setting, _known(defined or {})))
    return ref


def own_destination(kind, path, defined, allow, fields=()):
    """Check that a request may define its own destination of ``kind``; raises when it may not.

    ``fields`` are the fields the request gave: a secret-bearing field is always refused, naming it.
    """
    what, setting = KINDS[kind]
    secret_fields = {'staging': STAGING_SECRET_FIELDS, 'koji': KOJI_SECRET_FIELDS,
                     'webhook': WEBHOOK_SECRET_FIELDS}[kind]
    for field in fields:
        if field in secret_fields:
            raise FedoraBuildError('%s.%s: a request cannot give credentials or their source; the operator defines '
                                   'a %s with its login in %s, and the request names it.' % (path, field, what, setting))
    if not allow:
        raise FedoraBuildError('%s: a request cannot define its own %s here (%s is off); name one the operator '
                               'defined in %s (%s).' % (path, what, ALLOW_SETTING, setting, _known(defined or {})))


def strip_secrets(kind, destination):
    """A copy of a destination without any secret-bearing field (for request-defined destinations)."""
    secret_fields = {'staging': STAGING_SECRET_FIELDS, 'koji': KOJI_SECRET_FIELDS,
                     'webhook': WEBHOOK_SECRET_FIELDS}[kind]
    return dict((key, value) for key, value in (destination or {}).items() if key not in secret_fields)


def by_name(request):
    """A normalized request whose named destinations (``koji.hub``, ``staging[].target``) keep their name and
    connection only: the login fields and their sources are dropped (they stay in the operator's settings)."""
    out = dict(request)
    koji = out.get('koji')
    if isinstance(koji, dict) and koji.get('hub'):
        out['koji'] = dict((key, value) for key, value in koji.items() if key not in KOJI_LOGIN_FIELDS)
    if isinstance(out.get('staging'), list):
        out['staging'] = [dict((key, value) for key, value in item.items() if key not in STAGING_LOGIN_FIELDS)
                          if isinstance(item, dict) and item.get('target') else item for item in out['staging']]
    return out


def _definition(kind, name, defined):
    what, setting = KINDS[kind]
    definition = (defined or {}).get(name) if isinstance(defined, dict) else None
    if not isinstance(definition, dict):
        raise FedoraBuildError('%s: %r is not a %s the operator defined in %s (known names: %s).'
                               % ({'staging': 'staging.target', 'koji': 'koji.hub'}[kind], name, what, setting,
                                  _known(defined if isinstance(defined, dict) else {})))
    return definition


def _password(out, environ):
    """out with ``password`` read from the controller's environment variable ``password_env`` names (which goes)."""
    name = out.pop('password_env', None)
    if name and not out.get('password'):
        out['password'] = environ.get(name, '')
    return out


def stage_target(entry, staging_targets=None, environ=None):
    """The stage module's ``target`` for a normalized staging entry: a named target gets its login fields from the
    operator's definition (fedora_build_staging_targets) and a password named by ``password_env`` is read from
    ``environ`` (the controller's); neither the name nor the variable's name goes to the module."""
    environ = os.environ if environ is None else environ
    out = dict(entry)
    name = out.pop('target', None)
    if name:
        definition = _definition('staging', name, staging_targets)
        for key in STAGING_LOGIN_FIELDS:
            if definition.get(key) is not None:
                out[key] = definition[key]
    return _password(out, environ)


def koji_login(koji, koji_hubs=None, environ=None):
    """A normalized request's ``koji`` with its login: from the operator's hub when it names one
    (fedora_build_koji_hubs), the password read from the controller's environment when ``password_env`` names it."""
    environ = os.environ if environ is None else environ
    out = dict(koji or {})
    if out.get('hub'):
        definition = _definition('koji', out['hub'], koji_hubs)
        for key in KOJI_LOGIN_FIELDS:
            if definition.get(key) is not None:
                out[key] = definition[key]
    return _password(out, environ)


def webhook_args(ref, webhooks=None, allow=False, environ=None):
    """The notify module's ``webhook`` argument for a normalized request's ``notify.webhook``.

    A name gives the operator's definition (url, token, ca_file, ...), a token named by ``token_env`` read
    from ``environ`` (the controller's; the variable's name is not passed on, so no job event shows it); a URL
    (only when the operator allows request-defined destinations) gives ``{url}`` and nothing else, so
    no token is ever sent to it. None gives None (no webhook).
    """
    if ref is None or ref == '':
        return None
    webhooks = operator_names(webhooks, KINDS['webhook'][1])
    if is_name(ref):
        refer('webhook', ref, 'notify.webhook', webhooks)
        definition = webhooks[ref]
        if isinstance(definition, str):
            definition = {'url': definition}
        if not isinstance(definition, dict) or not definition.get('url'):
            raise FedoraBuildError('%s.%s: must be a mapping with url (and token_env for a token).'
                                   % (KINDS['webhook'][1], ref))
        unknown = sorted(set(definition) - set(WEBHOOK_FIELDS))
        if unknown:
            raise FedoraBuildError('%s.%s.%s: unknown field; known fields are %s.'
                                   % (KINDS['webhook'][1], ref, unknown[0], ', '.join(WEBHOOK_FIELDS)))
        token_env = definition.get('token_env')
        if token_env is not None and (not isinstance(token_env, str) or not _ENV_RE.match(token_env)):
            raise FedoraBuildError('%s.%s.token_env: %s is not an environment variable name.'
                                   % (KINDS['webhook'][1], ref, _show(token_env)))
        out = dict((key, value) for key, value in definition.items() if value is not None and key != 'token_env')
        if token_env and not out.get('token'):
            token = (os.environ if environ is None else environ).get(token_env)
            if token:
                out['token'] = token
        return out
    if not isinstance(ref, str) or '://' not in ref:
        raise FedoraBuildError('notify.webhook: %s is neither a webhook name nor a URL.' % _show(ref))
    own_destination('webhook', 'notify.webhook', webhooks, allow_setting(allow))
    return {'url': ref}


def _show(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + '...'
