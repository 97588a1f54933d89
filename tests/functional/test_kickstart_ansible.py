# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kickstart module through the real ansible-playbook on localhost: check mode, diff mode,
idempotence, a controller-side tree copied by the playbook, an HTTP source, and a clean failure."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from support.ansible_run import run_module, run_playbook

from ansible_collections.ondemand.fedora_build.plugins.module_utils import kickstart as ks
from support.skips import require_module

require_module('pykickstart')

DATA = Path(__file__).resolve().parent / 'data' / 'kickstarts'
SIDE = {'name': 'fb-side', 'baseurl': 'file:///var/lib/fedora-build/job7/side', 'cost': 10,
        'packages': ['anaconda', 'dracut-live']}


def args_for(src, dest, **extra):
    args = {'src': str(src), 'dest': str(dest), 'version': '41', 'side_repo': SIDE, 'packages': ['vim-enhanced']}
    args.update(extra)
    return args


def test_check_mode_diff_mode_and_idempotence(tmp_path):
    dest = tmp_path / 'final.ks'
    args = args_for(DATA / 'fedora-live-workstation.ks', dest)
    expected = ks.prepare(str(DATA / 'fedora-live-workstation.ks'), version='41', side_repo=SIDE,
                          packages=['vim-enhanced'])['text']

    run = run_module('ondemand.fedora_build.kickstart', args, check=True, diff=True).assert_ok()
    res = run.result('module')
    assert run.status('module') == 'changed' and not dest.exists()
    assert res['diff']['after'] == expected and res['diff']['before'] == ''
    assert '+repo --name="fb-side" --baseurl=file:///var/lib/fedora-build/job7/side --cost=10' in run.stdout

    run = run_module('ondemand.fedora_build.kickstart', args).assert_ok()
    res = run.result('module')
    assert run.status('module') == 'changed'
    assert dest.read_text() == expected
    assert res['sha256'] == hashlib.sha256(expected.encode()).hexdigest()
    assert res['version'] == 'F41' and res['packages_added'] == ['vim-enhanced']
    assert [r['name'] for r in res['repos']] == ['fedora', 'updates', 'fb-side']
    assert res['repos'][0]['excludepkgs'] == ['anaconda', 'dracut-live']
    assert res['kickstart_warnings'][0] == ('%s line 13: A partition with the mountpoint / has already been defined.'
                                            % (DATA / 'fedora-live-workstation.ks'))
    assert res['kickstart_warnings'][1].startswith('url: the installation source https://mirrors.fedoraproject.org/')
    assert len(res['kickstart_warnings']) == 2
    assert 'A partition with the mountpoint / has already been defined.' in run.stdout + run.stderr  # shown as a warning

    mtime = dest.stat().st_mtime_ns
    run = run_module('ondemand.fedora_build.kickstart', args, diff=True).assert_ok()
    assert run.status('module') == 'ok' and 'diff' not in run.result('module')
    assert dest.stat().st_mtime_ns == mtime

    # a changed input in diff + check mode: only the new line differs, nothing is written
    run = run_module('ondemand.fedora_build.kickstart', dict(args, packages=['vim-enhanced', 'tmux']),
                     check=True, diff=True).assert_ok()
    res = run.result('module')
    assert run.status('module') == 'changed'
    assert res['diff']['before'] == expected
    assert res['diff']['after'] == expected.replace('\nvim-enhanced\n', '\ntmux\nvim-enhanced\n')
    assert '\n+tmux\n' in run.stdout
    assert dest.read_text() == expected


def test_controller_tree_copied_then_prepared_from_http_and_file(tmp_path, file_server):
    """The documented workflow: copy the controller's kickstart tree to the node, then prepare it;
    and the same spin read over HTTP gives the same kickstart."""
    node_dir = tmp_path / 'node' / 'ks'
    http = file_server(DATA)
    plays = [{
        'name': 'prepare kickstarts', 'hosts': 'localhost', 'gather_facts': False,
        'tasks': [
            {'name': 'copy tree', 'ansible.builtin.copy': {'src': str(DATA) + '/', 'dest': str(node_dir) + '/',
                                                           'mode': '0644', 'directory_mode': '0755'}},
            {'name': 'from file', 'ondemand.fedora_build.kickstart': args_for(
                node_dir / 'fedora-live-minimal.ks', tmp_path / 'from-file.ks')},
            {'name': 'from http', 'ondemand.fedora_build.kickstart': args_for(
                http.url_for('fedora-live-minimal.ks'), tmp_path / 'from-http.ks', timeout=10, max_size=65536)},
        ],
    }]
    run = run_playbook(plays).assert_ok()
    assert run.status('from file') == 'changed' and run.status('from http') == 'changed'
    assert (tmp_path / 'from-file.ks').read_text() == (tmp_path / 'from-http.ks').read_text()
    assert 'timezone Europe/Prague --utc' in (tmp_path / 'from-file.ks').read_text()
    assert run.result('from http')['sources'][:2] == [http.url_for('fedora-live-minimal.ks'),
                                                      http.url_for('snippets/site-settings.ks')]


@pytest.mark.parametrize('name,args,message', [
    ('loop', {'src': str(DATA / 'broken' / 'loop-a.ks')},
     '%s line 3: include loop: %%include loop-a.ks reads a file that is already being read'
     % (DATA / 'broken' / 'loop-b.ks')),
    ('scheme', {'src': 'file://' + str(DATA / 'fedora-repo.ks')},
     "src: URL scheme 'file' is not allowed for kickstart sources"),
])
def test_failure_is_one_sentence(tmp_path, name, args, message):
    run = run_module('ondemand.fedora_build.kickstart', dict(args, dest=str(tmp_path / (name + '.ks'))))
    assert run.rc != 0
    res = run.result('module')
    assert run.status('module') == 'failed'
    assert res['msg'].startswith(message) and res['msg'].count('\n') == 0
    assert 'Traceback' not in run.stdout + run.stderr
    assert not (tmp_path / (name + '.ks')).exists()


def test_a_kickstart_url_credential_reaches_the_fetch_but_no_task_result(tmp_path, file_server):
    """docs/security.md: build_request returns the request with kickstart.src without its user:password@; the role's
    kickstart step (here in check mode, as the quick reuse runs it) reads the credential from the request as given
    (build_request_given, as playbooks/build.yml passes it) into the module's no_log url_username/url_password.
    The server requires HTTP Basic authentication, for the kickstart and its relative include; the password (with
    characters that need percent-encoding) is in no output at -vvv nor in any result. Without the request as given
    the server refuses the fetch: the credential is what got it."""
    password = 'pw+4c1d/@not-shown'
    http = file_server(DATA, auth=('alice', password))
    given_url = http.url_for('fedora-live-minimal.ks').replace('http://', 'http://alice:pw+4c1d%2F%40not-shown@')
    raw = {'image_type': 'live', 'release': '41', 'arch': 'x86_64', 'name': 'cred', 'kickstart': given_url}
    ks_tasks = str(Path(__file__).resolve().parents[2] / 'roles' / 'build' / 'tasks' / 'kickstart.yml')

    def play(given):
        return [{'name': 'kickstart credential', 'hosts': 'localhost', 'gather_facts': False, 'tasks': [
            {'name': 'validate', 'ondemand.fedora_build.build_request': {
                'requests': [raw], 'defaults': {'staging': [{'type': 'local', 'path': str(tmp_path / 'staging')}]}},
             'register': 'valid'},
            {'name': 'kickstart step', 'ansible.builtin.include_tasks': ks_tasks,
             'vars': dict({'build_request': '{{ valid.requests[0] }}', 'build_ks_check': True}, **given)},
        ]}]

    run = run_playbook(play({'build_request_given': raw}), verbosity=3).assert_ok()
    normalized = run.result('validate')['requests'][0]
    assert normalized['kickstart']['src'] == http.url_for('fedora-live-minimal.ks')
    prepared = run.result('Flatten the kickstart, add the repos and the side repo')
    assert prepared['sources'][:2] == [http.url_for('fedora-live-minimal.ks'), http.url_for('snippets/site-settings.ks')]
    assert sorted(http.url + path for _m, path, _h in http.requests) == sorted(prepared['sources'])  # all with the login
    for secret in (password, 'pw+4c1d%2F%40not-shown', 'pw%2B4c1d%2F%40not-shown'):
        assert secret not in run.stdout + run.stderr
        assert secret not in json.dumps([r.result for r in run.results])

    run = run_playbook(play({}))
    assert not run.ok and 'HTTP 401' in run.result('Flatten the kickstart, add the repos and the side repo')['msg']
