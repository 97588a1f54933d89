# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for build_plan: the plan in the controller's own process when the task runs there.

The plan reads and changes nothing; as a module it would start a Python interpreter and unpack the module on the
controller for a few milliseconds of work, about a second of every run (bench/reuse_bench.py). The arguments and the
result cross as a module's JSON would (plugin_utils/in_process.py). On any other connection, or with become, the
module runs as usual.
"""

from __future__ import annotations

from ansible_collections.ondemand.fedora_build.plugins.module_utils import build_plan
from ansible_collections.ondemand.fedora_build.plugins.plugin_utils.in_process import InProcessAction, run_module_logic


class ActionModule(InProcessAction):

    MODULE = 'ondemand.fedora_build.build_plan'

    def in_process(self):
        return run_module_logic('build_plan', self._task.args, build_plan.ARGUMENT_SPEC, build_plan.run)
