# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""live_image: exact livemedia-creator / kiwi-ng argv per option (cases in test_live_image.yaml)."""

from __future__ import annotations

import pytest

from ansible_collections.ondemand.fedora_build.plugins.modules import live_image
from ansible_collections.ondemand.fedora_build.tests.unit.plugins.modules.builder_helper import load_cases, run_case


CASES = load_cases(__file__)


@pytest.mark.parametrize('case', CASES)
def test_case(case, tmp_path, capsys, monkeypatch):
    tool = 'kiwi-ng' if (case.get('input') or {}).get('backend') == 'kiwi' else 'livemedia-creator'
    run_case(live_image, tool, case, tmp_path, capsys, monkeypatch)
