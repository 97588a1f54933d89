# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kickstart module's parameter handling and result shape, run in-process."""

from __future__ import annotations

import json

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.ondemand.fedora_build.plugins.module_utils import kickstart as ks_utils
from ansible_collections.ondemand.fedora_build.plugins.modules import kickstart


def run(capsys, args):
    with patch_module_args(args), pytest.raises(SystemExit):
        kickstart.main()
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def src(tmp_path):
    (tmp_path / 'repo.ks').write_text('repo --name=fedora --baseurl=http://mirror.example.org/f41/\n')
    (tmp_path / 'spin.ks').write_text('#version=F41\nlang en_US.UTF-8\n%include repo.ks\nmodule --name=x --stream=1\n'
                                      '%packages\n@core\n%end\n')
    return tmp_path / 'spin.ks'


def test_result_shape_check_and_diff(capsys, src, tmp_path):
    dest = tmp_path / 'final.ks'
    args = {'src': str(src), 'dest': str(dest), 'packages': ['vim-enhanced'],
            'side_repo': {'name': 'side', 'baseurl': 'file:///srv/side', 'packages': ['bash']},
            '_ansible_check_mode': True, '_ansible_diff': True}
    result = run(capsys, args)
    assert result['changed'] is True and not dest.exists()
    assert result['diff']['before'] == '' and 'repo --name="side" --baseurl=file:///srv/side' in result['diff']['after']
    assert result['version'] == 'F41' and result['packages_added'] == ['vim-enhanced']
    assert result['repos'][0]['excludepkgs'] == ['bash']
    assert len(result['kickstart_warnings']) == 1 and 'module command has been deprecated' in result['kickstart_warnings'][0]
    assert result['kickstart_warnings'][0] in json.dumps(result['warnings'])     # also shown as an Ansible warning
    assert result['sources'] == [str(src), str(src.parent / 'repo.ks')]

    args.pop('_ansible_check_mode')
    result = run(capsys, args)
    assert result['changed'] is True and dest.read_text() == result['diff']['after']
    assert result['sha256'] == ks_utils.sha256_bytes(dest.read_text())

    result = run(capsys, args)
    assert result['changed'] is False and 'diff' not in result


@pytest.mark.parametrize('extra,needle', [
    ({'src': 'file:///etc/hosts'}, "src: URL scheme 'file' is not allowed for kickstart sources"),
    ({'version': 'F4x'}, "version: 'F4x' is not a kickstart syntax version known to pykickstart"),
    ({'checksum': 'sha256:xyz'}, "checksum: 'sha256:xyz' is not a checksum of the form sha256:<64 hex digits>."),
    ({'repos': [{'name': 'x'}]}, 'repos[0]: give exactly one of baseurl, metalink and mirrorlist (got none).'),
    ({'side_repo': {'name': 'side', 'baseurl': 'file:///s', 'packages': ['a;b']}}, "side_repo.packages: 'a;b' is not"),
])
def test_bad_input_one_sentence(capsys, src, tmp_path, extra, needle):
    args = {'src': str(src), 'dest': str(tmp_path / 'final.ks')}
    args.update(extra)
    result = run(capsys, args)
    assert result['failed'] is True
    assert needle in result['msg']
    assert 'Traceback' not in json.dumps(result)
    assert not (tmp_path / 'final.ks').exists()


def test_side_repo_packages_as_koji_side_repo_dicts(capsys, src, tmp_path):
    packages = [{'name': 'bash', 'nvra': 'bash-5.2.26-3.fc40.x86_64', 'arch': 'x86_64'},
                {'name': 'bash-debuginfo', 'nvra': 'bash-debuginfo-5.2.26-3.fc40.x86_64'}, 'glibc']
    result = run(capsys, {'src': str(src), 'dest': str(tmp_path / 'final.ks'),
                          'side_repo': {'name': 'koji-side', 'baseurl': 'file:///srv/side', 'packages': packages}})
    assert result['repos'][0]['excludepkgs'] == ['bash', 'bash-debuginfo', 'glibc']
    result = run(capsys, {'src': str(src), 'dest': str(tmp_path / 'final.ks'),
                          'side_repo': {'name': 'koji-side', 'baseurl': 'file:///srv/side', 'packages': [{'nvr': 'x-1-1'}]}})
    assert result['failed'] is True and result['msg'] == 'side_repo.packages: None is not a package name or glob.'


def test_parse_error_reports_file_and_line(capsys, src, tmp_path):
    (src.parent / 'repo.ks').write_text('repo --name=fedora\n\nbogus-command\n')
    result = run(capsys, {'src': str(src), 'dest': str(tmp_path / 'final.ks')})
    assert result['failed'] is True
    assert result['msg'] == '%s line 3: Unknown command: bogus-command.' % (src.parent / 'repo.ks')
    assert result['file'] == str(src.parent / 'repo.ks') and result['line'] == 3


def test_missing_pykickstart(capsys, src, tmp_path, monkeypatch):
    monkeypatch.setattr(ks_utils, 'HAS_PYKICKSTART', False)
    monkeypatch.setattr(ks_utils, 'PYKICKSTART_IMPORT_ERROR', ImportError('No module named pykickstart'))
    result = run(capsys, {'src': str(src), 'dest': str(tmp_path / 'final.ks')})
    assert result['failed'] is True and 'pykickstart' in result['msg']


def test_content_is_not_logged_and_excludes_src(capsys, tmp_path):
    """A controller's kickstart goes to the module as text (the build role): it may hold a root password, so the
    echoed arguments never show it; without dest nothing is written, and the hashes are there for the build ID."""
    text = '#version=F41\nlang en_US.UTF-8\nrootpw --plaintext S3cret-root-pw\n%packages\n@core\n%end\n'
    result = run(capsys, {'content': text, 'content_label': '/srv/ks/live.ks', '_ansible_check_mode': True})
    assert 'S3cret-root-pw' not in json.dumps(result['invocation'])
    assert result['changed'] is False and result['dest'] is None and list(tmp_path.iterdir()) == []
    assert result['sources'] == ['/srv/ks/live.ks'] and result['identity_sha256'] == result['sha256']
    result = run(capsys, {'content': text, 'src': str(tmp_path / 'x.ks')})
    assert result['failed'] is True and 'mutually exclusive' in result['msg'] and 'content' in result['msg']
    result = run(capsys, {'dest': str(tmp_path / 'x.ks')})
    assert result['failed'] is True and 'src' in result['msg'] and 'content' in result['msg']
