# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for build_request: the validation in the controller's own process when the task runs there.

The playbook validates every request on localhost before anything else; as a module that starts a Python
interpreter and unpacks the module, about a second of every run, also of a reuse answered in a few seconds
(bench/reuse_bench.py). The arguments and the result cross as a module's JSON would (plugin_utils/in_process.py):
the result carries no trust, so request strings are never templated. On any other connection, or with become, the
module runs as usual.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.ondemand.fedora_build.plugins.module_utils import build_request
from ansible_collections.ondemand.fedora_build.plugins.plugin_utils.in_process import run_module_logic

MODULE = 'ondemand.fedora_build.build_request'


class ActionModule(ActionBase):

    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        if self._connection.transport != 'local' or self._play_context.become:
            result.update(self._execute_module(module_name=MODULE, module_args=self._task.args, task_vars=task_vars))
            return result
        result.update(run_module_logic('build_request', self._task.args, build_request.ARGUMENT_SPEC, build_request.run,
                                       mutually_exclusive=build_request.MUTUALLY_EXCLUSIVE,
                                       required_one_of=build_request.REQUIRED_ONE_OF))
        return result
