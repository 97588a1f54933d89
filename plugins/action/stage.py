# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for stage: the check of a staged build in place on a local target, in the controller's own process.

Both reuse paths ask, on the controller, whether the staged build still matches its CHECKSUM (verify_staged.yml:
check mode, ``verify_existing``, no ``src``). As a module that starts a Python interpreter and unpacks the module for
what a quick reuse answers in a few seconds (bench/reuse_bench.py); for that check of a ``local`` target on a local
connection without become, this plugin runs the module's own logic here, arguments and result crossing as a module's
JSON would (plugin_utils/in_process.py). Everything else (staging, ssh and ftp targets, a password, a node's
connection, async) runs the module as the ``normal`` action plugin does.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase
from ansible.utils.vars import merge_hash

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils.staging import stage
from ansible_collections.ondemand.fedora_build.plugins.module_utils.validate import check_params_text
from ansible_collections.ondemand.fedora_build.plugins.modules.stage import argument_spec
from ansible_collections.ondemand.fedora_build.plugins.plugin_utils.in_process import run_module_logic


def check_in_place(params):
    """The module's answer (main()) for the check of a staged build in place, in check mode."""
    try:
        check_params_text(params, argument_spec())
        for field in ('connect_timeout', 'timeout'):
            if params[field] is not None and params[field] <= 0:
                raise FedoraBuildError('%s: %r is not a positive number of seconds.' % (field, params[field]))
        result = stage(params, check_mode=True)
    except FedoraBuildError as exc:
        return dict(exc.result, failed=True, msg=exc.msg)
    result.pop('diff', None)
    return result


class ActionModule(ActionBase):

    _supports_check_mode = True
    _supports_async = True

    def _in_process(self):
        args = self._task.args
        target = args.get('target')
        return (self._connection.transport == 'local' and not self._play_context.become and self._task.check_mode
                and not self._task.async_val and not self._task.diff and args.get('verify_existing') is True
                and isinstance(target, dict) and target.get('type') == 'local' and not target.get('password')
                and not any(args.get(name) for name in ('src', 'src_host', 'latest', 'restore_latest')))

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        if self._in_process():
            result.update(run_module_logic('stage', self._task.args, argument_spec(), check_in_place))
            return result
        # as the normal action plugin
        wrap_async = self._task.async_val and not self._connection.has_native_async
        result = merge_hash(result, self._execute_module(task_vars=task_vars, wrap_async=wrap_async))
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result
