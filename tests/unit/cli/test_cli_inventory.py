# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""fedora-build validate/submit read the operator's service settings from the inventory they run with
(docs/cli.md, "Service settings"): the settings of localhost, as playbooks/build.yml validates with them."""

import io
import json
import shutil
from pathlib import Path

import pytest
import yaml

from fedora_build_cli import errors, inventory_settings, main as cli

REPO = Path(__file__).resolve().parents[3]
SECRET = 'pa55-in-the-vault'

pytest.importorskip('ansible')


def run_cli(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = cli.main([str(a) for a in argv], out, err)
    return code, out.getvalue(), err.getvalue()


def write_yaml(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data))
    return path


OPERATOR = {
    'fedora_build_staging_targets': {'releng': {'type': 'local', 'path': '/srv/releng'}},
    'fedora_build_koji_hubs': {'stg': {'hub_url': 'https://koji.stg.example.org/kojihub',
                                       'topurl': 'https://koji.stg.example.org/kojifiles'}},
}
REQUEST = {'image_type': 'boot', 'release': 41, 'arch': 'x86_64', 'staging': ['releng'], 'koji': {'hub': 'stg'}}


def inventory_dir(base, group_vars, host_vars=None):
    """An inventory directory: hosts.yml (one builder and localhost) and group_vars/all.yml."""
    write_yaml(base / 'hosts.yml', {'all': {'children': {'builders': {'hosts': {
        'localhost': {'ansible_connection': 'local'}, 'node-x86': {'fedora_build_capacity': 2}}}}}})
    write_yaml(base / 'group_vars' / 'all.yml', group_vars)
    for host, data in (host_vars or {}).items():
        write_yaml(base / 'host_vars' / ('%s.yml' % host), data)
    return base


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A checkout whose ansible.cfg names an inventory that defines the destinations in group_vars only."""
    root = tmp_path / 'project'
    (root / 'playbooks').mkdir(parents=True)
    shutil.copy(REPO / 'playbooks' / 'build.yml', root / 'playbooks' / 'build.yml')
    (root / 'galaxy.yml').write_text('namespace: ondemand\nname: fedora_build\n')
    (root / 'ansible.cfg').write_text('[defaults]\ninventory = inventory\ncollections_path = %s\n' % (REPO / '.collections'))
    inventory_dir(root / 'inventory', OPERATOR)
    monkeypatch.setenv('FEDORA_BUILD_PROJECT', str(root))
    monkeypatch.delenv('FEDORA_BUILD_STATUS_DIR', raising=False)
    return root


def request_file(tmp_path, *requests):
    return write_yaml(tmp_path / 'request.yml', {'fedora_build_requests': list(requests)})


def validate(*argv):
    code, out, err = run_cli('validate', '--json', *argv)
    return code, json.loads(out), err


def test_destinations_from_the_inventory_ansible_cfg_names(project, tmp_path):
    """No -e: the staging target and Koji hub defined only in the inventory's group_vars are known."""
    code, out, err = run_cli('validate', '--status-dir', tmp_path / 'status', request_file(tmp_path, REQUEST))
    assert code == errors.OK, err
    assert out.startswith('ok  rq-') and 'boot 41 x86_64' in out


def test_destinations_from_the_inventory_option(tmp_path, project):
    other = inventory_dir(tmp_path / 'other', {'fedora_build_staging_targets': {'mirror': {'type': 'local', 'path': '/srv/m'}}})
    req = request_file(tmp_path, dict(REQUEST, staging=['mirror'], koji={}))
    code, data, err = validate('--status-dir', tmp_path / 'status', '--inventory', other, req)
    assert code == errors.OK and data['valid'], (data, err)
    # the default inventory does not define it: the option decides which inventory is read
    code, data, dummy = validate('--status-dir', tmp_path / 'status', req)
    assert code == errors.FAILED
    assert any(p.startswith('requests[0].staging[0]:') and 'mirror' in p for p in data['problems'])


def test_unknown_names_are_still_refused(project, tmp_path):
    req = request_file(tmp_path, dict(REQUEST, staging=['nowhere'], koji={'hub': 'prod'}))
    code, data, dummy = validate('--status-dir', tmp_path / 'status', req)
    assert code == errors.FAILED and not data['valid']
    assert any(p.startswith('requests[0].staging[0]:') and 'releng' in p for p in data['problems'])  # the known names
    assert any(p.startswith('requests[0].koji.hub:') for p in data['problems'])


def test_extra_vars_win_over_the_inventory(project, tmp_path):
    req = request_file(tmp_path, dict(REQUEST, koji={}))
    code, data, dummy = validate('--status-dir', tmp_path / 'status', req)
    from_inventory = data['requests'][0]['request_id']
    koji = {'hub_url': 'https://koji.example.org/kojihub', 'topurl': 'https://koji.example.org/kojifiles'}
    settings = write_yaml(tmp_path / 'settings.yml', {'fedora_build_koji': koji})
    (project / 'inventory' / 'group_vars' / 'all.yml').write_text(yaml.safe_dump(dict(OPERATOR, fedora_build_koji={
        'hub_url': 'https://koji.inventory.example.org/kojihub', 'topurl': 'https://koji.inventory.example.org/kojifiles'})))
    code, data, dummy = validate('--status-dir', tmp_path / 'status', req)
    from_inventory_koji = data['requests'][0]['request_id']
    assert from_inventory_koji != from_inventory  # the inventory's fedora_build_koji is part of the identity
    code, data, dummy = validate('--status-dir', tmp_path / 'status', '-e', '@%s' % settings, req)
    with_e = data['requests'][0]['request_id']
    # the same -e over an inventory without fedora_build_koji: the -e value alone decides
    empty = inventory_dir(tmp_path / 'empty', OPERATOR)
    code, data, dummy = validate('--status-dir', tmp_path / 'status', '-i', empty, '-e', '@%s' % settings, req)
    assert code == errors.OK
    assert with_e == data['requests'][0]['request_id'] != from_inventory_koji
    # -e KEY=VALUE over the inventory's setting (a name the inventory does not define: refused)
    code, data, dummy = validate('--status-dir', tmp_path / 'status', '-e', 'fedora_build_staging_targets=', req)
    assert code == errors.FAILED


def test_host_vars_of_localhost_and_templates(project, tmp_path):
    """localhost's host_vars win over group_vars/all, and values are templated as in ansible-playbook."""
    inv = inventory_dir(tmp_path / 'inv', dict(OPERATOR, releng_root='/srv/releng-tree'), host_vars={'localhost': {
        'fedora_build_staging_targets': {'tree': {'type': 'local', 'path': '{{ releng_root }}/images'}}}})
    code, data, err = validate('--status-dir', tmp_path / 'status', '-i', inv, request_file(tmp_path, dict(REQUEST, staging=['tree'])))
    assert code == errors.OK, (data, err)
    code, data, dummy = validate('--status-dir', tmp_path / 'status', '-i', inv, request_file(tmp_path, REQUEST))
    assert code == errors.FAILED  # host_vars replaced the group's mapping, as ansible's hash_behaviour=replace does
    settings = inventory_settings.read(cli.Project.find(), str(inv))
    assert settings.values['fedora_build_staging_targets']['tree']['path'] == '/srv/releng-tree/images'


def test_a_broken_inventory_is_one_sentence(project, tmp_path):
    broken = tmp_path / 'broken.yml'
    broken.write_text('all: [\n')
    code, out, err = run_cli('validate', '--status-dir', tmp_path / 'status', '-i', broken, request_file(tmp_path, REQUEST))
    assert code == errors.INFRA and out == ''
    lines = err.strip().splitlines()
    assert len(lines) == 1 and str(broken) in lines[0] and lines[0].endswith('.'), err
    assert lines[0].startswith('fedora-build validate: inventory %s: ' % broken)
    # a broken group_vars file of the default inventory: the same, naming that inventory
    (project / 'inventory' / 'group_vars' / 'all.yml').write_text('fedora_build_koji: {hub_url: [\n')
    code, out, err = run_cli('submit', '--status-dir', tmp_path / 'status', request_file(tmp_path, REQUEST))
    lines = err.strip().splitlines()
    assert code == errors.INFRA and len(lines) == 1 and str(project / 'inventory') in lines[0], err
    assert not (tmp_path / 'status' / 'runs').exists()  # nothing started
    code, out, err = run_cli('validate', '--json', '--status-dir', tmp_path / 'status', '-i', tmp_path / 'nope', request_file(tmp_path, REQUEST))
    assert code == errors.NOT_FOUND and json.loads(out)['exit_code'] == errors.NOT_FOUND


def _encrypt(text):
    from ansible.parsing.vault import VaultLib, VaultSecret  # pylint: disable=import-error
    return VaultLib([('default', VaultSecret(b'vault-password'))]).encrypt(text).decode()


def test_vault_values_are_not_decrypted_nor_needed(project, tmp_path):
    """An inline !vault value stands as text (validation needs names and shapes); a whole encrypted file is
    skipped with a note. No vault password is given, nothing secret is printed."""
    inv = tmp_path / 'vaulted'
    inventory_dir(inv, {})
    ciphertext = _encrypt(SECRET)
    text = yaml.safe_dump(dict(OPERATOR, fedora_build_staging_targets={'upload': {
        'type': 'ftp', 'host': 'ftp.example.org', 'path': '/pub', 'user': 'up', 'password': 'PLACEHOLDER'}}))
    text = text.replace('PLACEHOLDER', '!vault |\n' + ''.join('        %s\n' % line for line in ciphertext.splitlines()))
    (inv / 'group_vars' / 'all.yml').write_text(text)
    (inv / 'group_vars' / 'arm.yml').write_text(_encrypt(yaml.safe_dump({'fedora_build_capacity': 3})))
    code, out, err = run_cli('validate', '--status-dir', tmp_path / 'status', '-i', inv,
                             request_file(tmp_path, dict(REQUEST, staging=['upload'])))
    assert code == errors.OK, err
    assert SECRET not in out + err and ciphertext.splitlines()[1] not in out + err
    assert 'arm.yml' not in err  # a group localhost is not in: not read for localhost by ansible-playbook either
    # a whole encrypted group_vars file of localhost's groups: not read, and the CLI says so
    (inv / 'group_vars' / 'all.yml').write_text(_encrypt(yaml.safe_dump(OPERATOR)))
    code, out, err = run_cli('validate', '--status-dir', tmp_path / 'status', '-i', inv, request_file(tmp_path, REQUEST))
    assert code == errors.FAILED
    assert 'note: %s: vault-encrypted, not read' % (inv / 'group_vars' / 'all.yml') in err
    # an encrypted Koji login (fedora_build_koji.password) is no part of a request ID: validated, no note
    koji = yaml.safe_dump({'fedora_build_koji': {'hub_url': 'https://k.example.org/kojihub', 'topurl': 'https://k.example.org/files',
                                                 'auth': 'password', 'username': 'u', 'password': 'PLACEHOLDER'}})
    (inv / 'group_vars' / 'all.yml').write_text(koji.replace(
        'PLACEHOLDER', '!vault |\n' + ''.join('      %s\n' % line for line in ciphertext.splitlines())))
    code, out, err = run_cli('validate', '--status-dir', tmp_path / 'status', '-i', inv,
                             request_file(tmp_path, dict(REQUEST, staging=None, koji=None)))
    assert code == errors.OK, err
    assert 'vault-encrypted' not in err and SECRET not in out + err
    # an encrypted value that enters the request ID (fedora_build_koji.profile): validated, with a note
    (inv / 'group_vars' / 'all.yml').write_text(koji.replace('password: PLACEHOLDER', 'profile: PLACEHOLDER').replace(
        'PLACEHOLDER', '!vault |\n' + ''.join('      %s\n' % line for line in ciphertext.splitlines())))
    code, out, err = run_cli('validate', '--status-dir', tmp_path / 'status', '-i', inv,
                             request_file(tmp_path, dict(REQUEST, staging=None, koji=None)))
    assert 'fedora_build_koji.profile: vault-encrypted' in err and SECRET not in out + err


def test_the_request_cannot_choose_what_is_read(project, tmp_path):
    """Request fields are data: a request naming an inventory or a variable reads nothing more."""
    req = request_file(tmp_path, dict(REQUEST, staging=['{{ lookup("file", "/etc/hostname") }}']))
    code, data, dummy = validate('--status-dir', tmp_path / 'status', req)
    assert code == errors.FAILED
    assert any(p.startswith('requests[0].staging[0]:') for p in data['problems'])


def test_group_vars_next_to_the_playbook(project, tmp_path):
    """ansible-playbook also reads group_vars/ next to playbooks/build.yml: so does the CLI."""
    write_yaml(project / 'playbooks' / 'group_vars' / 'all.yml',
               {'fedora_build_staging_targets': dict(OPERATOR['fedora_build_staging_targets'],
                                                     beside={'type': 'local', 'path': '{{ playbook_dir }}/out'})})
    code, data, err = validate('--status-dir', tmp_path / 'status', request_file(tmp_path, dict(REQUEST, staging=['beside'])))
    assert code == errors.OK, (data, err)
    settings = inventory_settings.read(cli.Project.find(), str(project / 'inventory'))
    assert settings.values['fedora_build_staging_targets']['beside']['path'] == '%s/out' % (project / 'playbooks')


def test_inventory_without_localhost(project, tmp_path):
    """Real inventories (inventory/hosts) list only the build nodes: the implicit localhost of the controller play
    still gets group_vars/all, and a node's host_vars are not localhost's."""
    inv = tmp_path / 'nodes'
    write_yaml(inv / 'hosts.yml', {'all': {'children': {'builders': {'hosts': {'node-x86': {}}}}}})
    write_yaml(inv / 'group_vars' / 'all.yml', OPERATOR)
    write_yaml(inv / 'host_vars' / 'node-x86.yml', {'fedora_build_staging_targets': {}})
    write_yaml(inv / 'group_vars' / 'builders.yml', {'fedora_build_koji_hubs': {}})
    code, data, err = validate('--status-dir', tmp_path / 'status', '-i', inv / 'hosts.yml', request_file(tmp_path, REQUEST))
    assert code == errors.OK, (data, err)


def test_node_repo_dirs_from_the_inventory(project, tmp_path):
    """A request's file:// repository is held to the inventory's fedora_build_node_repo_dirs, as build.yml holds
    it: refused without the setting, accepted inside it (watched failing with the setting not read)."""
    req = request_file(tmp_path, dict(REQUEST, repos={'presets': [], 'extra': [
        {'name': 'local', 'baseurl': 'file:///srv/node-repos/fedora/'}]}))
    code, data, err = validate('--status-dir', tmp_path / 'status', req)
    assert code == errors.FAILED
    assert 'fedora_build_node_repo_dirs may be named (none are set)' in json.dumps(data) + err
    (project / 'inventory' / 'group_vars' / 'all.yml').write_text(yaml.safe_dump(dict(
        OPERATOR, fedora_build_node_repo_dirs=['/srv/node-repos'])))
    code, data, err = validate('--status-dir', tmp_path / 'status', req)
    assert code == errors.OK, (data, err)
