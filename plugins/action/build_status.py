# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for build_status: the update in the controller's own process when the task runs there.

The pipeline records a build's status six times (docs/pipeline.md), each time delegated to
localhost; as a module every one of them would start a Python interpreter and unpack the module
on the controller, which is most of what a status update costs and what a batch of short builds
pays per build (bench/batch_bench.py). On any other connection, or with become, the module runs
as usual.
"""

from __future__ import annotations

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.ondemand.fedora_build.plugins.module_utils import build_status
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.plugin_utils.in_process import InProcessAction


class ActionModule(InProcessAction):

    MODULE = 'ondemand.fedora_build.build_status'

    def in_process(self):
        # the same checks and messages as AnsibleModule's
        validated = ArgumentSpecValidator(build_status.ARGUMENT_SPEC).validate(self._task.args)
        if validated.error_messages:
            return dict(failed=True, msg=validated.errors.msg)
        params = validated.validated_parameters
        try:
            return build_status.run(params, check_mode=bool(self._task.check_mode), diff=bool(self._task.diff))
        except FedoraBuildError as err:
            return dict(err.result, failed=True, msg=err.msg)
        except (IOError, OSError) as err:
            return dict(failed=True, msg='status_dir: %s: %s.' % (err.filename or params['status_dir'], err.strerror))
