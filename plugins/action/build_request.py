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

from ansible_collections.ondemand.fedora_build.plugins.module_utils import build_request
from ansible_collections.ondemand.fedora_build.plugins.plugin_utils.in_process import InProcessAction, run_module_logic


class ActionModule(InProcessAction):

    MODULE = 'ondemand.fedora_build.build_request'

    def in_process(self):
        return run_module_logic('build_request', self._task.args, build_request.ARGUMENT_SPEC, build_request.run,
                                mutually_exclusive=build_request.MUTUALLY_EXCLUSIVE,
                                required_one_of=build_request.REQUIRED_ONE_OF)
