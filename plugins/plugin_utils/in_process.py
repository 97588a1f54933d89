# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a controller-side module's logic in the controller's own process (the action plugins of build_request,
build_plan and build_status: ``InProcessAction``), with the data crossing exactly as it would cross a module's JSON
(``run_module_logic``; build_status hands its own result back).

The arguments go through the encoder and decoder Ansible uses for module arguments and the result through the ones
for module results (the ``legacy`` profile): the module_utils code sees what the module would see (tuples as lists,
dates as text, no Ansible data tags), and the result the playbook gets is what the module would return. That matters
for trust: a request is untrusted input, and a module result read back from JSON is never trusted as a template
(ansible-core 2.19); a result handed back in process keeps whatever tags its values carry, and a value copied from a
trusted string (an operator's extra var) would stay ``TrustedAsTemplate``, so Jinja in it would be rendered when a
later task reads it. After the round trip no value of the result carries a tag (the result encoder refuses any).
"""

from __future__ import annotations

import json

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.errors import UnsupportedError
from ansible.module_utils.common.json import Direction, get_module_decoder, get_module_encoder
from ansible.plugins.action import ActionBase

PROFILE = 'legacy'


def _cross(data, direction):
    """``data`` after the JSON trip of a module's arguments (CONTROLLER_TO_MODULE) or result (MODULE_TO_CONTROLLER)."""
    return json.loads(json.dumps(data, cls=get_module_encoder(PROFILE, direction)),
                      cls=get_module_decoder(PROFILE, direction))


def run_module_logic(name, args, argument_spec, run, **validator_options):
    """The result of ``run(params)`` for the task arguments ``args``, checked against the module's own argument spec
    with AnsibleModule's messages (``name``: the module's, for "Unsupported parameters for (name) module: ...");
    ``run`` returns the module's result dict (``failed`` on failure)."""
    validated = ArgumentSpecValidator(argument_spec, **validator_options).validate(_cross(args, Direction.CONTROLLER_TO_MODULE))
    if validated.error_messages:
        msg = validated.errors.msg
        if isinstance(validated.errors[0], UnsupportedError):
            msg = 'Unsupported parameters for (%s) module: %s' % (name, msg)
        return dict(failed=True, msg=msg)
    return _cross(run(validated.validated_parameters), Direction.MODULE_TO_CONTROLLER)


class InProcessAction(ActionBase):
    """An action plugin for a module whose task runs on the controller: there (local connection, no become) its
    logic runs in this process (``in_process``), anywhere else the module ``MODULE`` runs as usual."""

    TRANSFERS_FILES = False
    MODULE = None  # the module's fully qualified name

    def run(self, tmp=None, task_vars=None):
        result = super(InProcessAction, self).run(tmp, task_vars)
        if self._connection.transport != 'local' or self._play_context.become:
            result.update(self._execute_module(module_name=self.MODULE, module_args=self._task.args, task_vars=task_vars))
        else:
            result.update(self.in_process())
        return result

    def in_process(self):
        """The module's result for ``self._task``, computed here."""
        raise NotImplementedError()
