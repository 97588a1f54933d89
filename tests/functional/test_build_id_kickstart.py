# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A changed kickstart (same file name, other content) gives a new build ID.

The role's path through real ansible-playbook: the kickstart module prepares the file, its identity_sha256
goes into the build_id filter (roles/build/tasks/identity.yml). The request names the kickstart by
path only, so the content reaches the ID through that hash alone.
"""

from __future__ import annotations

from support.ansible_run import run_playbook

REQUEST = {'request_id': 'rq-0123456789ab', 'image_type': 'live', 'release': '41', 'arch': 'x86_64', 'name': 'live',
           'kickstart': {'src': '/srv/ks/live.ks'}, 'force': False, 'notify': {}, 'staging': []}
KICKSTARTS = {
    'a': 'lang en_US.UTF-8\nkeyboard us\ntimezone UTC\n%packages\n@core\n%end\n',
    'b': 'lang de_DE.UTF-8\nkeyboard de\ntimezone UTC\n%packages\n@core\n%end\n',
}


def one_build_id(tmp_path, label, text):
    src = tmp_path / 'request.ks'  # the same name every time
    return [
        {'name': 'write %s' % label, 'ansible.builtin.copy': {'content': text, 'dest': str(src), 'mode': '0600'}},
        {'name': 'prepare %s' % label, 'ondemand.fedora_build.kickstart': {
            'src': str(src), 'dest': str(tmp_path / 'live.ks'), 'version': '41'}, 'register': 'ks_%s' % label},
        {'name': 'id %s' % label, 'ansible.builtin.set_fact': {
            'id_%s' % label: "{{ request | ondemand.fedora_build.build_id(packages=[], kickstart_sha256=ks_%s.identity_sha256, "
                             "tool='livemedia-creator', tool_version='41.3') }}" % label}},
        {'name': 'show %s' % label, 'ansible.builtin.debug': {'msg': '{{ id_%s }}' % label}},
    ]


def test_changed_kickstart_content_changes_the_build_id(tmp_path):
    tasks = (one_build_id(tmp_path, 'a', KICKSTARTS['a']) + one_build_id(tmp_path, 'b', KICKSTARTS['b'])
             + one_build_id(tmp_path, 'again', KICKSTARTS['a']))
    run = run_playbook([{'name': 'ids', 'hosts': 'localhost', 'gather_facts': False, 'vars': {'request': REQUEST},
                         'tasks': tasks}])
    run.assert_ok()
    sha = {label: run.result('prepare %s' % label)['sha256'] for label in ('a', 'b', 'again')}
    ids = {label: run.result('show %s' % label)['msg'] for label in ('a', 'b', 'again')}
    assert sha['a'] != sha['b'] and sha['a'] == sha['again']
    assert ids['a'].startswith('live-41-x86_64-')
    assert ids['a'] != ids['b'], 'a changed kickstart must give a new build ID: %s' % ids
    assert ids['a'] == ids['again'], 'the same kickstart must give the same build ID: %s' % ids
