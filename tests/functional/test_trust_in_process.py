# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 15: build_request and build_plan run as action plugins in the controller's process
(plugins/plugin_utils/in_process.py); a request validated there is still never templated, through the rest of
playbooks/build.yml and the build role (docs/security.md, "Input").

A module's result comes back as JSON and is never trusted as a template (ansible-core 2.19); a result returned in
process keeps the tags of the values it holds. The request goes the CLI's way (its strings marked unsafe) with Jinja
in its kickstart path, which the kickstart step also gives the node as the kickstart's label; this machine is the
build node (ansible_connection local), and the build goes through the lock, preflight, the kickstart, the build ID,
the builder (missing here: the build fails) and the failure path.
"""

from __future__ import annotations

import os
import sys

from support.ansible_run import REPO, run_playbook

CLI = REPO / 'collection' / 'cli'
if str(CLI) not in sys.path:
    sys.path.insert(0, str(CLI))

from fedora_build_cli import secrets_channel  # noqa: E402  pylint: disable=wrong-import-position

KICKSTART = 'ondemand.fedora_build.build : Flatten the kickstart, add the repos and the side repo'


def test_a_request_through_the_in_process_steps_and_the_role_is_never_templated(tmp_path):
    """Watched failing with the plugins' result marked TrustedAsTemplate (every string of it, in_process.py):
    the marker file was made."""
    marker = tmp_path / 'templated-on-the-controller'
    ks_dir = tmp_path / 'ks'
    src = '%s/%s.ks' % (ks_dir, "{{ lookup('pipe', 'touch %s') }}" % marker)
    os.makedirs(os.path.dirname(src))
    with open(src, 'w') as handle:
        handle.write('lang en_US.UTF-8\n%packages\n@core\n%end\n')
    node = {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}
    node.update(('fedora_build_%s_dir' % name, str(tmp_path / 'node' / name)) for name in ('work', 'cache', 'lock'))
    inventory = {'all': {'children': {'builders': {'hosts': {'localhost': node}}}}}
    extravars = {
        'fedora_build_staging': [{'type': 'local', 'path': str(tmp_path / 'staging')}],
        'fedora_build_kickstart_dirs': [str(ks_dir)],
        'fedora_build_preflight_require': [],
        'fedora_build_poll': 0,
        'fedora_build_requests': [{'image_type': 'live', 'release': '41', 'name': 'audit', 'kickstart': {'src': src},
                                   'repos': {'presets': [], 'extra': [{'name': 'fedora',
                                                                      'baseurl': 'https://repo.example.org/f41/'}]}}],
    }
    vars_file = tmp_path / 'extravars.json'
    vars_file.write_bytes(secrets_channel.extravars_payload(extravars))
    run = run_playbook(str(REPO / 'playbooks' / 'build.yml'), inventory=inventory, args=('-e', '@%s' % vars_file),
                       workdir=tmp_path / 'run')
    assert not marker.exists(), 'the request was templated on the controller'
    assert run.result('Validate every request (all problems at once)')['requests'][0]['kickstart']['src'] == src
    # the role read the request from the plugins' result: the node got the path as its label, as text
    kickstart = run.result(KICKSTART, 'localhost#1')
    assert kickstart.get('failed') is not True, kickstart
    assert kickstart['invocation']['module_args']['content_label'] == src
    # and the build went on to the builder (missing here) and the failure path
    (outcome,) = run.result('Gather the outcomes')['ansible_facts']['fedora_build_outcomes']
    assert outcome['state'] == 'failed' and outcome['name'] == 'audit', outcome
