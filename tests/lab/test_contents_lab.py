# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 14 on the SSH lab, through playbooks/build.yml: the pinned Koji build is proved inside the image.

One batch over the three lab nodes builds every image type with every backend (boot with lorax, live with
livemedia-creator and with kiwi, DVD with legacy pungi and with pungi-koji), each with hello-2.0-1.fc41 pinned
from the Koji hub stand-in while the test distribution holds a NEWER hello (9.0): only the side repo's priority
keeps the pinned build in. The stand-ins really install with dnf from exactly the repositories they are given,
so what the content check reads is what dnf put there. Each build stages ``contents.json`` (hello: installed)
and a valid SPDX 2.3 ``sbom.spdx.json``, and its status record says "1 of 1 pinned builds verified".

Then the same live request runs with the side repo's priority lost on the way (the stand-ins' fault switch
``FB_STANDIN_LOSE_PRIORITY``: every repository at the same priority and cost, as a tool that drops the
kickstart's ``--priority`` would do): dnf takes the newer hello from the distribution, and the build fails
with the shadowing sentence, its logs and contents.json staged.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from support.ansible_run import run_playbook
from support.kickstarts import local_kickstarts
from support.lab_pipeline import PLAYBOOK, check_local, lab_inventory, records, service
from support.plugin_koji import KojiWorld
from support.spdx import parse_valid_sbom

pytestmark = pytest.mark.lab

PIN = 'hello-2.0-1.fc41'


@pytest.fixture
def world(lab, koji_hub_factory, rpm_factory, gpg_key, gpg_key2):
    return KojiWorld(koji_hub_factory(host=lab.controller_address), rpm_factory, gpg_key, gpg_key2)


def validate_sbom(path):
    parse_valid_sbom(path)
    return json.loads(Path(path).read_text())


def base_repo(fedora_repo, dest):
    """The test distribution without its newer builds of the pinned names: the kickstarts' ``url`` source.

    An install source (``url``) cannot carry ``--excludepkgs`` (kickstart.py says so in a warning), so a newer
    hello there would compete with the pin by version; the full distribution is the kickstart's ``fedora``
    repo, which the pipeline gives ``--excludepkgs=hello`` for the pinned build.
    """
    dest.mkdir(parents=True)
    for rpm in Path(fedora_repo).glob('*.rpm'):
        if not rpm.name.startswith(('hello-', 'pydata-', 'archtool-')):
            (dest / rpm.name).symlink_to(rpm)
    comps = sorted(Path(fedora_repo).glob('repodata/*comps*.xml'))
    subprocess.run(['createrepo_c', '--quiet', '--no-database'] + (['-g', str(comps[0])] if comps else []) + [str(dest)],
                   check=True)
    return dest


def lab_kickstarts(tmp_path, fedora_repo):
    kickstarts = local_kickstarts(tmp_path, fedora_repo)
    base = base_repo(fedora_repo, tmp_path / 'base')
    (kickstarts / 'fedora-repo.ks').write_text('url --url=file://%s/\nrepo --name=fedora --baseurl=file://%s/\n'
                                               % (base, fedora_repo))
    # pungi-koji takes groups from a comps file the operator sets, not from the repositories: a DVD of packages
    (kickstarts / 'dvd-packages.ks').write_text('%include fedora-repo.ks\n%packages\nbash\nkernel\nhello\n%end\n')
    return kickstarts


def requests_for(world, fedora_repo, base, kickstart, dvd_kickstart):
    full = {'presets': [], 'extra': [{'name': 'fedora', 'baseurl': 'file://%s/' % fedora_repo}]}
    koji = {'hub': 'lab', 'sigkeys': [world.key1.sigkey, ''], 'builds': [PIN]}
    ks = {'src': str(kickstart), 'packages': ['hello']}
    dvd_ks = {'src': str(dvd_kickstart)}
    common = {'release': '41', 'arch': 'x86_64', 'repos': full, 'koji': koji, 'staging': ['controller']}
    return [
        dict(common, image_type='boot', name='boot-lorax', builder={'installpkgs': ['hello']}),
        dict(common, image_type='live', name='live-lmc', kickstart=ks),
        dict(common, image_type='live', name='live-kiwi', arch='aarch64',
             builder={'backend': 'kiwi', 'description': 'lab-minimal', 'profiles': ['Minimal-Live'],
                      'image_type': 'iso'}),
        dict(common, image_type='dvd', name='dvd-pungi', kickstart=dvd_ks, builder={'backend': 'pungi'}),
        # pungi's pkgset_repos have no priorities or excludes: pungi-koji keeps the newest build of a name, so its
        # release repo here is the distribution without the newer hello (docs/builders.md, pungi-koji)
        dict(common, image_type='dvd', name='dvd-pungi-koji', kickstart=dvd_ks, builder={'backend': 'pungi-koji'},
             repos={'presets': [], 'extra': [{'name': 'fedora', 'baseurl': 'file://%s/' % base}]}),
    ]


def operator_vars(lab, tmp_path, world, builder_standins, kiwi_description, kickstarts, fault=False):
    environment = builder_standins.environment_for(lab.controller_address)
    if fault:
        environment['FB_STANDIN_LOSE_PRIORITY'] = '1'
    return dict(service(lab, tmp_path, builder_standins),
                fedora_build_environment=environment,
                fedora_build_kiwi_descriptions={'lab-minimal': str(kiwi_description)},
                fedora_build_kickstart_include_path=[str(kickstarts)],
                fedora_build_staging_targets={'controller': {'type': 'local', 'path': str(tmp_path / 'staging')}},
                fedora_build_koji_hubs={'lab': {'hub_url': world.hub.url, 'topurl': world.hub.topurl}})


def test_every_backend_proves_the_pinned_build_inside_its_image_and_a_lost_priority_fails(
        lab, tmp_path, world, fedora_repo, builder_standins, kiwi_description):
    kickstarts = lab_kickstarts(tmp_path, fedora_repo)
    inventory = lab_inventory(lab, tmp_path / 'inventory.yml')
    requests = requests_for(world, fedora_repo, tmp_path / 'base', kickstarts / 'fedora-live-minimal.ks',
                            kickstarts / 'dvd-packages.ks')
    extra = dict(operator_vars(lab, tmp_path, world, builder_standins, kiwi_description, kickstarts),
                 fedora_build_requests=requests)
    run = run_playbook(PLAYBOOK, inventory=inventory, extra_vars=extra, workdir=tmp_path / 'run1')
    status = {r['name']: r for r in records(tmp_path / 'staging' / 'status').values()}
    assert sorted(status) == sorted(r['name'] for r in requests), run.stdout[-3000:]
    for name, record in sorted(status.items()):
        assert record['state'] == 'succeeded', (name, record.get('reason'))
        staged = tmp_path / 'staging' / record['build_id']
        check_local(staged)
        contents = json.loads((staged / 'contents.json').read_text())
        pinned = {p['nevra']: p for p in contents['pinned']}
        hello = [p for n, p in pinned.items() if n.startswith('hello-2.0-1.fc41.')]
        assert hello and all(p['status'] == 'installed' for p in hello), (name, contents['pinned'])
        assert contents['verified'] >= 1 and record['contents']['summary'].endswith('pinned builds verified in the image')
        sbom = validate_sbom(staged / 'sbom.spdx.json')
        purls = [ref['referenceLocator'] for pkg in sbom['packages'] for ref in pkg.get('externalRefs', [])]
        assert any(p.startswith('pkg:rpm/fedora/hello@2.0-1.fc41') for p in purls), (name, purls[:5])
    assert run.rc == 0, run.stdout[-3000:]

    # The boot request with the side repo's priority lost on the way (the stand-ins' fault switch), and the
    # pungi-koji request with the full distribution as its release repo (pungi keeps the newest hello): in both
    # images the distribution's newer hello shadows the pin, and the check fails the build in one sentence.
    lost = [dict(requests[0], name='boot-lorax-lost-priority'),
            dict(requests[4], name='dvd-pungi-koji-newer-release', repos=requests[0]['repos'])]
    extra = dict(operator_vars(lab, tmp_path, world, builder_standins, kiwi_description, kickstarts, fault=True),
                 fedora_build_requests=lost)
    run = run_playbook(PLAYBOOK, inventory=inventory, extra_vars=extra, workdir=tmp_path / 'run2')
    assert run.rc == 2
    status = {r['name']: r for r in records(tmp_path / 'staging' / 'status').values()}
    for name in ('boot-lorax-lost-priority', 'dvd-pungi-koji-newer-release'):
        record = status[name]
        assert record['state'] == 'failed', (name, record)
        assert 'hello: the image holds hello-9.0-1.fc42.' in record['reason'], record['reason']
        assert 'instead of the pinned hello-2.0-1.fc41.' in record['reason'], record['reason']
        failed = tmp_path / 'staging' / record['build_id']
        assert json.loads((failed / 'build.json').read_text())['result']['state'] == 'failed'
        assert list((failed / 'logs').iterdir())
        # the failed build's images are not staged: contents.json and the SBOM say what was in them
        assert not (failed / 'output').exists()
        assert [p['status'] for p in json.loads((failed / 'contents.json').read_text())['pinned']
                if p['nevra'].startswith('hello-2.0-1.fc41.')] == ['shadowed']
        validate_sbom(failed / 'sbom.spdx.json')
