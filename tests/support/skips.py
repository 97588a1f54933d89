# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Skip, or fail under CI, when a tool the tests need is missing.

A session fixture that skips (no rpmbuild, no krb5kdc) silently drops every test that uses it. On a
developer's machine that is a convenience; in CI (``CI=true``, set by ``.ci/run``) it would turn a
broken environment into a green run, so there the same condition fails the tests.
"""

from __future__ import annotations

import os

import pytest

TRUE = ('1', 'true', 'yes', 'on')


def in_ci(environ=None):
    """True when the CI environment variable says so (CI=true, as CI services and .ci/run set it)."""
    return (environ if environ is not None else os.environ).get('CI', '').strip().lower() in TRUE


def tool_missing(reason, environ=None):
    """Skip the test (or fixture) with REASON, or fail it under CI=true. Never returns."""
    if in_ci(environ):
        pytest.fail('%s; CI=true: a missing tool fails instead of skipping' % reason, pytrace=False)
    pytest.skip(reason)


def require_module(name, environ=None):
    """Import a Python module the tests need: skip when it is missing (module level too), or under CI=true
    let the ImportError stand, so the collection fails instead of dropping the tests."""
    if in_ci(environ):
        import importlib  # pylint: disable=import-outside-toplevel
        return importlib.import_module(name)
    return pytest.importorskip(name)
