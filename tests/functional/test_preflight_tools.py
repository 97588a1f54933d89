# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""preflight reads builder versions the way the real CLIs print them.

The stand-ins in tests/support/standins parse argv with the real option sets:
lorax's --version is the product version (it needs a value), and only -V
prints the program version.
"""

from __future__ import annotations

import os
import shutil
import subprocess

from ansible_collections.ondemand.fedora_build.plugins.module_utils import preflight

STANDINS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'support', 'standins')


def run(argv):
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def test_versions_of_standin_builders():
    def which(name):
        return shutil.which(name, path=STANDINS)

    report = preflight.probe_tools(['lorax', 'livemedia-creator', 'pungi', 'pungi-koji'], which, run)
    assert report['lorax']['version'] == '42.4'
    assert report['livemedia-creator']['version'] == '42.4'
    assert report['pungi']['version'] == '4.1.7'   # the legacy command (pungi-legacy)
    assert report['pungi-koji']['version'] == '4.6.0'
    assert all('error' not in entry for entry in report.values())
