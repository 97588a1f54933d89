# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The request IDs fedora-build validate prints are those playbooks/build.yml computes with the same
inventory: its own "Validate every request" task (build_request, with the play's defaults expression)
runs through the real ansible-playbook against an inventory whose group_vars set fedora_build_koji,
a Koji hub, a staging target and a builder timeout."""

import json

import yaml

from support.ansible_run import REPO, run_playbook
from support.cli_helpers import cli

VALIDATE_TASK = 'Validate every request'
OPERATOR = {
    'fedora_build_koji': {'hub_url': 'https://koji.inventory.example.org/kojihub',
                          'topurl': 'https://koji.inventory.example.org/kojifiles', 'sigkeys': ['a15b79cc']},
    'fedora_build_koji_hubs': {'stg': {'hub_url': 'https://koji.stg.example.org/kojihub',
                                       'topurl': 'https://koji.stg.example.org/kojifiles'}},
    'fedora_build_staging_targets': {'releng': {'type': 'local', 'path': '/srv/releng'}},
    'fedora_build_timeout': 7200,
}
REQUESTS = [
    {'image_type': 'boot', 'release': 41, 'arch': 'x86_64', 'staging': ['releng']},
    {'image_type': 'live', 'release': 41, 'arch': 'x86_64', 'koji': {'hub': 'stg'},
     'kickstart': {'src': 'https://example.org/live.ks'}},
]


def build_validation_play():
    """build.yml's controller play with only its validation task (the same defaults expression)."""
    plays = yaml.safe_load((REPO / 'playbooks' / 'build.yml').read_text())
    play = next(p for p in plays if p['hosts'] == 'localhost' and any(t.get('name', '').startswith(VALIDATE_TASK) for t in p['tasks']))
    play = dict(play, tasks=[t for t in play['tasks'] if t.get('name', '').startswith(VALIDATE_TASK)])
    return [play]


TASK_NAME = next(t['name'] for t in build_validation_play()[0]['tasks'])


def write_inventory(base):
    (base / 'group_vars').mkdir(parents=True)
    (base / 'hosts.yml').write_text(yaml.safe_dump({'all': {'hosts': {'localhost': {
        'ansible_connection': 'local', 'ansible_python_interpreter': '{{ ansible_playbook_python }}'}}}}))
    (base / 'group_vars' / 'all.yml').write_text(yaml.safe_dump(OPERATOR))
    return base


def test_validate_prints_the_playbooks_request_ids(tmp_path):
    inventory = write_inventory(tmp_path / 'inventory')
    request = tmp_path / 'requests.yml'
    request.write_text(yaml.safe_dump({'fedora_build_requests': REQUESTS}))
    proc = cli('--json', 'validate', request, '--inventory', inventory, '--status-dir', tmp_path / 'status')
    assert proc.returncode == 0, proc.stdout + proc.stderr
    printed = [r['request_id'] for r in json.loads(proc.stdout)['requests']]

    run = run_playbook(build_validation_play(), inventory=str(inventory), extra_vars={'fedora_build_requests': REQUESTS})
    run.assert_ok()
    result = run.result(TASK_NAME)
    assert printed == result['request_ids']
    assert result['requests'][0]['koji']['hub_url'] == OPERATOR['fedora_build_koji']['hub_url']  # the inventory's

    # without the inventory's settings the IDs differ (fedora_build_koji and the timeout are part of them):
    # the comparison above would catch a CLI that ignored the inventory
    empty = tmp_path / 'empty'
    empty.mkdir()
    (empty / 'hosts.yml').write_text(yaml.safe_dump({'all': {'hosts': {'localhost': {}}}}))
    plain = [dict(r, staging=None) if r.get('staging') else dict(r, koji=None) for r in REQUESTS]
    request.write_text(yaml.safe_dump({'fedora_build_requests': plain}))
    proc = cli('--json', 'validate', request, '--inventory', empty, '--status-dir', tmp_path / 'status')
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not set(r['request_id'] for r in json.loads(proc.stdout)['requests']) & set(printed)
