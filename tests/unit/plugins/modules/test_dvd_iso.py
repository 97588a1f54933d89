# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""dvd_iso: exact pungi argv per option and pungi's output layout (cases in test_dvd_iso.yaml)."""

from __future__ import annotations

import pytest

from ansible_collections.ondemand.fedora_build.plugins.modules import dvd_iso
from ansible_collections.ondemand.fedora_build.tests.unit.plugins.modules.builder_helper import load_cases, run_case


@pytest.mark.parametrize('case', load_cases(__file__))
def test_case(case, tmp_path, capsys, monkeypatch):
    run_case(dvd_iso, 'pungi', case, tmp_path, capsys, monkeypatch)
