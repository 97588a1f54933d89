# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared fixtures of the module_utils tests."""

from __future__ import annotations

import importlib

import pytest

MODULES = 'ansible_collections.ondemand.fedora_build.plugins.modules.'


@pytest.fixture
def module_spec(monkeypatch):
    """``module_spec(name)`` -> (module, the argument spec its main() passes to AnsibleModule).

    main() is stopped right there, so the spec is the one the module really uses, not a copy of it."""
    def capture(name):
        module = importlib.import_module(MODULES + name)
        captured = {}

        class Stop(Exception):
            pass

        def fake(argument_spec, **kwargs):
            captured.update(argument_spec)
            raise Stop()

        monkeypatch.setattr(module, 'AnsibleModule', fake)
        with pytest.raises(Stop):
            module.main()
        return module, captured
    return capture
