# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``build_request`` task: its argument spec and its result, shared by the module and its action plugin.

The module (``plugins/modules/build_request.py``) runs it in a Python process of its own; the action plugin
(``plugins/action/build_request.py``) in the controller's process, which is what the playbook's validation costs
less (docs/pipeline.md, "Reuse").
"""

from __future__ import annotations

from ansible_collections.ondemand.fedora_build.plugins.module_utils.request import (
    IMAGE_TYPES, validate_request, validate_requests)
from ansible_collections.ondemand.fedora_build.plugins.module_utils.request_model import MODEL, hide_secrets

ARGUMENT_SPEC = dict(
    requests=dict(type='list', elements='raw'),
    request=dict(type='raw'),
    defaults=dict(type='dict', default={}),
    image_type=dict(type='str', choices=list(IMAGE_TYPES)),
)
MUTUALLY_EXCLUSIVE = [('requests', 'request')]
REQUIRED_ONE_OF = [('requests', 'request')]


def failure_message(problems):
    """'The build request has a problem: ...' / 'The build request has N problems: a; b; c.'"""
    if len(problems) == 1:
        return 'The build request has a problem: %s' % problems[0]
    return 'The build request has %d problems: %s.' % (len(problems), '; '.join(p.rstrip('.') for p in problems))


def redact(params):
    """A copy of the module arguments with every field the request model marks secret hidden (for ``invocation``)."""
    out = dict(params)
    if out.get('requests') is not None:
        out['requests'] = hide_secrets(out['requests'])
    if out.get('request') is not None:
        out['request'] = hide_secrets(out['request'])
    if isinstance(out.get('defaults'), dict):
        out['defaults'] = dict((name, hide_secrets(part, MODEL[name].get('options') or {}) if name in MODEL else part)
                               for name, part in out['defaults'].items())
        # the operator's named destinations: each a staging target or a Koji hub with its login
        for name, model_name in (('staging_targets', 'staging'), ('koji_hubs', 'koji')):
            if isinstance(out['defaults'].get(name), dict):
                options = MODEL[model_name].get('options') or {}
                out['defaults'][name] = dict((key, hide_secrets(item, options))
                                             for key, item in out['defaults'][name].items())
    return out


def run(params):
    """The task's result for validated ``params``: the normalized requests, or ``failed`` with every problem."""
    if params['requests'] is not None:
        normalized, problems = validate_requests(params['requests'], params['defaults'], params['image_type'])
    else:
        one, problems = validate_request(params['request'], params['defaults'], params['image_type'])
        normalized = [one]
    invocation = {'module_args': redact(params)}
    if problems:
        return dict(failed=True, msg=failure_message(problems), problems=problems, invocation=invocation)
    return dict(changed=False, requests=normalized, count=len(normalized),
                request_ids=[item['request_id'] for item in normalized], problems=[], invocation=invocation)
