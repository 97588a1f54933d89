# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""No Koji login on a build node, over SSH (docs/security.md, "Secrets"): a build whose request names the
operator's hub with a password login, on node-x86a of the lab. The hub stand-in records the client address of
every session (hub.conf CheckClientIP): the one login comes from the controller's address on the lab bridge, not
from the node's, while the node still fetched the RPMs into a verified side repository."""

from __future__ import annotations

import pytest

from support.ansible_run import run_playbook
from support.lab_pipeline import PLAYBOOK, lab_inventory, service
from support.plugin_koji import KojiWorld

pytestmark = pytest.mark.lab

PASSWORD = 'labKojiPW-7d1e2a-secret'


@pytest.fixture
def world(lab, koji_hub_factory, rpm_factory, gpg_key, gpg_key2):
    return KojiWorld(koji_hub_factory(host=lab.controller_address), rpm_factory, gpg_key, gpg_key2)


def test_the_koji_login_is_made_from_the_controller_not_the_node(lab, tmp_path, world, fedora_repo, builder_standins):
    world.hub.add_user('carol', password=PASSWORD)
    koji_hubs = {'lab': {'hub_url': world.hub.url, 'topurl': world.hub.topurl, 'auth': 'password',
                         'username': 'carol', 'password_env': 'FB_LAB_KOJI_PASSWORD'}}
    request = {'image_type': 'boot', 'release': '41', 'arch': 'x86_64', 'name': 'login-lab',
               'repos': {'presets': [], 'extra': [{'name': 'fedora', 'baseurl': 'file://%s/' % fedora_repo}]},
               'koji': {'hub': 'lab', 'builds': ['hello-2.0-1.fc41'], 'sigkeys': [world.key1.sigkey]}}
    inventory = lab_inventory(lab, tmp_path / 'inventory.yml', only=['node-x86a'])
    extra = dict(service(lab, tmp_path, builder_standins, fedora_build_koji_hubs=koji_hubs),
                 fedora_build_request=request)
    run = run_playbook(PLAYBOOK, inventory=inventory, extra_vars=extra, env={'FB_LAB_KOJI_PASSWORD': PASSWORD},
                       verbosity=3, workdir=tmp_path / 'run')
    run.assert_ok()
    sessions = list(world.hub.auth_sessions.values())
    assert [(s['hostip'], s['closed']) for s in sessions] == [(lab.controller_address, True)], sessions
    assert lab.hosts['node-x86a']['address'] != lab.controller_address
    assert world.hub.logins == [('login', 'carol', 0)]
    # the node downloaded the signed copies (the controller only asked the hub)
    assert [rel for method, rel in world.hub.file_requests if method == 'GET' and 'hello-2.0' in rel]
    (staged,) = [p for p in (tmp_path / 'staging').iterdir() if p.name.startswith('boot-41-')]
    assert list(staged.rglob('koji-manifest.json'))
    assert PASSWORD not in run.stdout + run.stderr
    assert PASSWORD not in (tmp_path / 'run' / 'results.json').read_text()
