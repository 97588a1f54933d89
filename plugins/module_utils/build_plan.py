# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``build_plan`` task: its argument spec and its result, shared by the module and its action plugin.

The plan itself is :func:`dispatch.plan`; the module (``plugins/modules/build_plan.py``) runs this in a Python
process of its own, the action plugin (``plugins/action/build_plan.py``) in the controller's process.
"""

from __future__ import annotations

from ansible_collections.ondemand.fedora_build.plugins.module_utils import dispatch
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError

ARGUMENT_SPEC = dict(
    requests=dict(type='list', elements='dict', required=True),
    nodes=dict(type='list', elements='dict', required=True, options=dict(
        name=dict(type='str', required=True),
        arch=dict(type='str', required=True),
        capacity=dict(type='int', default=1),
        weight=dict(type='float', default=1.0),
    )),
    estimates=dict(type='dict', default={}),
    slot_separator=dict(type='str', default='#'),
)


def run(params):
    """The task's result for validated ``params``: the plan, or ``failed`` with every problem (``unserved`` always)."""
    try:
        result = dispatch.plan(params['requests'], params['nodes'], estimates=params['estimates'],
                               slot_separator=params['slot_separator'])
    except FedoraBuildError as exc:
        out = dict(exc.result, failed=True, msg=exc.msg)
        out.setdefault('unserved', [])
        return out
    return dict(result, changed=False)
