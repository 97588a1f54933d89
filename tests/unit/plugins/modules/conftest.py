# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module unit tests run the module code as it runs on a node.

Importing any controller code (a filter plugin's ``ansible.errors``, for instance, in an earlier test of the
same process) turns ansible-core's module_utils into controller mode, where ``module.warn`` prints to the
display instead of returning the warning with the result; reset it for every module test.
"""

from __future__ import annotations

import pytest

from ansible.module_utils import _internal


@pytest.fixture(autouse=True)
def node_side_module_utils(monkeypatch):
    monkeypatch.setattr(_internal, 'is_controller', False)
