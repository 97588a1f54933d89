# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The koji_side_repo action plugin is loaded by the controller for every such task (issue 15: the quick reuse runs
one in check mode). An anonymous task only forwards to the node, so loading the plugin imports no koji library and
not the side repo's work (side_repo.py, ansible's urls); only a login (resolved on the controller) imports them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

HEAVY = ('koji', 'ansible.module_utils.urls',
         'ansible_collections.ondemand.fedora_build.plugins.module_utils.side_repo',
         'ansible_collections.ondemand.fedora_build.plugins.module_utils.koji_client')


def loaded_after(statement):
    """Which of HEAVY a fresh interpreter has imported after ``statement`` (this test's sys.path)."""
    code = 'import json, sys\n%s\nprint(json.dumps([m for m in %r if m in sys.modules]))' % (statement, HEAVY)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    out = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_loading_the_action_plugin_imports_no_koji_library():
    assert loaded_after('from ansible_collections.ondemand.fedora_build.plugins.action import koji_side_repo') == []


def test_the_option_checks_import_no_koji_library():
    assert loaded_after('from ansible_collections.ondemand.fedora_build.plugins.module_utils import side_repo_args') == []


def test_the_default_exclude_is_one_list():
    # koji_client re-exports the one side_repo_args defines (the module's default and the client's are the same)
    from ansible_collections.ondemand.fedora_build.plugins.module_utils import koji_client, side_repo_args
    assert koji_client.DEFAULT_EXCLUDE is side_repo_args.DEFAULT_EXCLUDE
