# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Request and build identities (see docs/pipeline.md, "Identity").

The only place that decides what makes two builds "the same": the CLI, the
playbooks (through the ``build_id`` filter) and the modules all call these.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json

from ansible_collections.ondemand.fedora_build.plugins.module_utils.destinations import KOJI_LOGIN_FIELDS
from ansible_collections.ondemand.fedora_build.plugins.module_utils.request_model import strip_secrets

# Keys of a normalized request that do not change what gets built.
NOT_IDENTITY = ('force', 'notify', 'staging', 'request_id')


def canonical_json(obj):
    """Stable JSON text: sorted keys, no whitespace, non-ASCII kept as is."""
    return json.dumps(obj, sort_keys=True, separators=(',', ':'), ensure_ascii=False, default=str)


def digest(obj, length=12):
    """First ``length`` hex digits of sha256 over the canonical JSON of ``obj``."""
    return hashlib.sha256(canonical_json(obj).encode('utf-8')).hexdigest()[:length]


def identity_part(request):
    """The part of a normalized request that decides what gets built.

    Never a secret nor a login: the fields the model marks secret (and a kickstart URL's ``user:password@``)
    are stripped, and so is the Koji login (an operator's default ``fedora_build_koji`` may carry one). Who
    logs in does not change what is built, and a hash of a password must not travel in every record name.
    """
    part = strip_secrets(dict((k, v) for k, v in request.items() if k not in NOT_IDENTITY))
    if isinstance(part.get('koji'), dict):
        part['koji'] = dict((k, v) for k, v in part['koji'].items() if k not in KOJI_LOGIN_FIELDS)
    return part


def request_id(request):
    """``rq-<12 hex>`` for a normalized request: known at submission, names its status record."""
    return 'rq-' + digest(identity_part(request))


def build_id(request, packages=None, kickstart_sha256=None, tool=None, tool_version=None):
    """``<image_type>-<release>-<arch>-<12 hex>`` over the request and the resolved inputs.

    ``packages`` is the side repo's package list (dicts with at least ``nvra``
    and ``sha256``, as ``koji_side_repo`` returns them); order does not matter.
    """
    resolved = sorted('%s %s' % (p.get('nvra', ''), p.get('sha256', '')) for p in (packages or []))
    key = {
        'request': identity_part(request),
        'packages': resolved,
        'kickstart_sha256': kickstart_sha256 or None,
        'tool': tool or None,
        'tool_version': tool_version or None,
    }
    return '%s-%s-%s-%s' % (request['image_type'], request['release'], request['arch'], digest(key))
