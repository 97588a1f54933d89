# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one exception type that module_utils raise for user-facing failures.

Library code raises FedoraBuildError with one sentence that names the field or
file and what is wrong; only a module's main() turns it into fail_json, so the
user never sees a traceback.
"""

from __future__ import annotations


class FedoraBuildError(Exception):
    """A failure to report to the user as one sentence, with optional result data."""

    def __init__(self, msg, **result):
        super(FedoraBuildError, self).__init__(msg)
        self.msg = msg
        self.result = result

    def fail(self, module, **extra):
        """Report this error through module.fail_json (does not return)."""
        data = dict(self.result)
        data.update(extra)
        module.fail_json(msg=self.msg, **data)
