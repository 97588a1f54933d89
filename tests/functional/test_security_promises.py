# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The promises of docs/security.md, each with a test.

One pipeline build (playbooks/build.yml, this machine as the node, as in
test_pipeline_local.py) uses every secret the service knows, each bound to a
destination the operator defined by name (docs/security.md, "Trust model") and
named by the request: a Koji password login (the hub stand-in checks it), an
FTP staging target whose password comes from ``password_env`` in the
controller's environment, an SMTP relay that requires AUTH with the password
from ``FEDORA_BUILD_SMTP_PASSWORD``, and a webhook with the token from
``FEDORA_BUILD_WEBHOOK_TOKEN``.  Each secret is proven delivered (the server saw
it), then every file the run produced and the ``-vvv`` output are searched for
it.  A second build has the request define its own Koji hub and webhook (the
operator allowing it) with the same secrets configured: neither gets one.
File modes are checked with ``os.stat``.
"""

from __future__ import annotations

import json
import platform
import stat
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from support.ansible_run import REPO, run_playbook

ARCH = platform.machine()
KOJI_PW = 'kojiPW-3f9c1e7a-secret'
FTP_PW = 'ftpPW-91d2b4c8-secret'
SMTP_PW = 'smtpPW-5e6a7d20-secret'
HOOK_TOKEN = 'hookTOKEN-c0ffee42-secret'
SECRETS = (KOJI_PW, FTP_PW, SMTP_PW, HOOK_TOKEN)


class HookReceiver(object):
    """Records each POST's headers and body."""

    def __init__(self):
        owner = self
        self.posts = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                length = int(self.headers.get('Content-Length') or 0)
                owner.posts.append({'headers': dict(self.headers), 'body': self.rfile.read(length).decode('utf-8')})
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={'poll_interval': 0.05}, daemon=True)
        self.thread.start()
        self.url = 'http://127.0.0.1:%d/hooks/fedora-build' % self.httpd.server_address[1]

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def hook():
    receiver = HookReceiver()
    yield receiver
    receiver.stop()


def files_under(*roots):
    for root in roots:
        root = Path(root)
        if root.is_file():
            yield root
            continue
        for path in sorted(root.rglob('*')) if root.exists() else ():
            if path.is_file() and not path.is_symlink():
                yield path


def leaks(paths, secrets=SECRETS):
    found = []
    for path in paths:
        data = path.read_bytes()
        for secret in secrets:
            if secret.encode() in data:
                found.append((str(path), secret))
    return found


@pytest.fixture
def secret_build(tmp_path, node, koji_world, fedora_repo, builder_standins, ftp_server, smtp_sink_factory, hook):
    """One build through playbooks/build.yml that uses every secret; returns what it produced."""
    w = koji_world
    w.hub.add_user('carol', password=KOJI_PW)
    ftp_root = tmp_path / 'ftp-root'
    (ftp_root / 'pub').mkdir(parents=True)
    ftp = ftp_server(ftp_root, user='stage', password=FTP_PW)
    smtp = smtp_sink_factory(users={'mailer': SMTP_PW})
    request = {
        'image_type': 'boot', 'release': '41', 'arch': ARCH, 'name': 'secret-test',
        'repos': {'presets': [], 'extra': [{'name': 'fedora', 'baseurl': 'file://%s/' % fedora_repo}]},
        # the request names the operator's destinations; it cannot say where a secret comes from or goes
        'koji': {'hub': 'team', 'builds': ['hello-2.0-1.fc41'], 'sigkeys': [w.key1.sigkey]},
        'staging': ['controller', 'team-ftp'],
        'notify': {'email': ['qa@example.org'], 'webhook': 'team-hook'},
    }
    extra_vars = {
        'fedora_build_request': request,
        # the documented way: the operator names the destinations; the passwords stay in the controller's
        # environment (AWX credential)
        'fedora_build_staging_targets': {
            'controller': {'type': 'local', 'path': str(node['staging'])},
            'team-ftp': {'type': 'ftp', 'host': ftp.host, 'port': ftp.port, 'user': 'stage',
                         'password_env': 'FB_TEST_FTP_PASSWORD', 'path': '/pub'}},
        'fedora_build_koji_hubs': {'team': {'hub_url': w.hub.url, 'topurl': w.hub.topurl, 'auth': 'password',
                                            'username': 'carol', 'password_env': 'FB_TEST_KOJI_PASSWORD'}},
        'fedora_build_webhooks': {'team-hook': {'url': hook.url, 'token_env': 'FEDORA_BUILD_WEBHOOK_TOKEN'}},
        'fedora_build_smtp': {'host': smtp.host, 'port': smtp.port, 'security': 'none', 'username': 'mailer',
                              'sender': 'builds@example.org'},
        'fedora_build_status_dir': str(node['staging'] / 'status'),
        'fedora_build_environment': builder_standins.environment,
        'fedora_build_preflight_require': ['root', 'tools', 'arch'],
        'fedora_build_poll': 1,
    }
    env = {'FB_TEST_FTP_PASSWORD': FTP_PW, 'FB_TEST_KOJI_PASSWORD': KOJI_PW, 'FEDORA_BUILD_SMTP_PASSWORD': SMTP_PW,
           'FEDORA_BUILD_WEBHOOK_TOKEN': HOOK_TOKEN}
    workdir = tmp_path / 'run'
    run = run_playbook(str(REPO / 'playbooks' / 'build.yml'), inventory=node['inventory'], extra_vars=extra_vars,
                       env=env, verbosity=3, workdir=workdir)
    smtp.wait_for(2)
    return dict(run=run, node=node, ftp=ftp, ftp_root=ftp_root, smtp=smtp, hook=hook, hub=w.hub, workdir=workdir,
                tmp_path=tmp_path)


def test_secrets_are_used_but_never_written(secret_build):
    b = secret_build
    run = b['run']
    run.assert_ok()
    # Every secret was delivered to the server that needs it ...
    assert ('login', 'carol', 0) in [(m, u, 0) for (m, u, _t) in b['hub'].logins], b['hub'].logins
    staged_ftp = [p for p in (b['ftp_root'] / 'pub').iterdir() if p.name.startswith('boot-41-')]
    assert staged_ftp, 'nothing reached the FTP target'
    assert b['smtp'].envelopes, 'no mail'
    assert [e for e in b['smtp'].envelopes if e.get('login') == 'mailer'], b['smtp'].envelopes
    assert b['hook'].posts and all(p['headers'].get('Authorization') == 'Bearer %s' % HOOK_TOKEN
                                   for p in b['hook'].posts), b['hook'].posts
    # ... and is nowhere in what the run wrote or printed: staging (local and FTP), status
    # records, build.json, CHECKSUM, the node's work/cache/lock dirs, Ansible's own temp and
    # home dirs, the -vvv output, mails, webhook bodies.
    node = b['node']
    produced = list(files_under(node['staging'], b['ftp_root'], node['work'], node['cache'], node['lock'],
                                b['workdir'] / 'ansible-home'))
    assert any(p.name == 'build.json' for p in produced) and any(p.name == 'CHECKSUM' for p in produced)
    assert any(p.parent.name == 'status' for p in produced)
    assert leaks(produced) == []
    for secret in SECRETS:
        assert secret not in run.stdout and secret not in run.stderr, secret
        for envelope in b['smtp'].envelopes:
            assert secret not in str(envelope['message']), secret
        for post in b['hook'].posts:
            assert secret not in post['body'], secret
    # Every task result (what AWX and ansible-runner keep as job events): the passwords and the token
    # that come from the controller's environment never appear; in particular no env facts are gathered.
    assert leaks([b['workdir'] / 'results.json'], (FTP_PW, SMTP_PW, HOOK_TOKEN)) == []
    # Records and job events name the operator's destinations (team-ftp, team), not where their secrets live:
    # the environment variables' names are read by the step that uses them and go no further.
    names = ('FB_TEST_FTP_PASSWORD', 'FB_TEST_KOJI_PASSWORD', 'FEDORA_BUILD_WEBHOOK_TOKEN')
    assert leaks(produced + [b['workdir'] / 'results.json'], names) == []
    for name in names:
        assert name not in run.stdout, name
        for envelope in b['smtp'].envelopes:
            assert name not in str(envelope['message']), name
    (build_json,) = [p for p in produced if p.name == 'build.json' and node['staging'] in p.parents]
    recorded = json.loads(build_json.read_text())['request']
    assert [item.get('target') for item in recorded['staging']] == ['controller', 'team-ftp']
    assert recorded['koji']['hub'] == 'team'


def test_request_defined_destinations_get_no_secret(tmp_path, node, koji_world, fedora_repo, builder_standins, hook):
    """A request that writes its own Koji hub and webhook URL: refused by default; where the operator allows
    request-defined destinations, the build runs, but the hub sees no login and the webhook no token,
    although the operator's Koji login (fedora_build_koji, for that very hub) and the webhook token are set."""
    w = koji_world
    w.hub.add_user('carol', password=KOJI_PW)
    request = {
        'image_type': 'boot', 'release': '41', 'arch': ARCH, 'name': 'own-destinations',
        'koji': {'hub_url': w.hub.url, 'topurl': w.hub.topurl, 'builds': ['hello-2.0-1.fc41'],
                 'sigkeys': [w.key1.sigkey]},
        'repos': {'presets': [], 'extra': [{'name': 'fedora', 'baseurl': 'file://%s/' % fedora_repo}]},
        'staging': [{'type': 'local', 'path': str(node['staging'])}],
        'notify': {'webhook': hook.url},
    }
    extra_vars = {
        'fedora_build_request': request,
        'fedora_build_koji': {'hub_url': w.hub.url, 'topurl': w.hub.topurl, 'auth': 'password',
                              'username': 'carol', 'password_env': 'FB_TEST_KOJI_PASSWORD'},
        'fedora_build_status_dir': str(node['staging'] / 'status'),
        'fedora_build_environment': builder_standins.environment,
        'fedora_build_preflight_require': ['root', 'tools', 'arch'],
        'fedora_build_poll': 1,
    }
    env = {'FB_TEST_KOJI_PASSWORD': KOJI_PW, 'FEDORA_BUILD_WEBHOOK_TOKEN': HOOK_TOKEN}
    # off by default: validation refuses each request-defined destination, naming the field
    run = run_playbook(str(REPO / 'playbooks' / 'build.yml'), inventory=node['inventory'], extra_vars=extra_vars,
                       env=env, workdir=tmp_path / 'refused')
    assert run.rc != 0
    problems = run.result('Validate every request (all problems at once)')['problems']
    assert [p.split(': ', 1)[0] for p in problems] == ['requests[0].koji', 'requests[0].staging[0]',
                                                       'requests[0].notify.webhook'], problems
    assert not hook.posts and not w.hub.logins
    # allowed: built, but no secret went to the request's destinations
    extra_vars['fedora_build_allow_request_destinations'] = True
    run = run_playbook(str(REPO / 'playbooks' / 'build.yml'), inventory=node['inventory'], extra_vars=extra_vars,
                       env=env, verbosity=3, workdir=tmp_path / 'allowed')
    run.assert_ok()
    assert [p for p in node['staging'].iterdir() if p.name.startswith('boot-41-')], 'not staged'
    assert w.hub.logins == [], w.hub.logins
    assert len(hook.posts) == 2, hook.posts  # submitted, succeeded
    for post in hook.posts:
        assert 'authorization' not in [name.lower() for name in post['headers']], post['headers']
    for secret in (KOJI_PW, HOOK_TOKEN):
        assert secret not in run.stdout + run.stderr


def test_koji_password_stays_out_of_task_results(secret_build):
    b = secret_build
    b['run'].assert_ok()
    assert leaks([b['workdir'] / 'results.json'], (KOJI_PW,)) == []
    assert KOJI_PW not in b['run'].stdout


def test_modes_of_what_a_build_creates(secret_build):
    b = secret_build
    b['run'].assert_ok()
    node = b['node']
    staging = node['staging']
    status = staging / 'status'
    records = list(status.glob('rq-*.json'))
    assert records
    for path in records:
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path
    (build_dir,) = [p for p in staging.iterdir() if p.name.startswith('boot-41-')]
    for path in files_under(build_dir):
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path
    for path in [build_dir] + [p for p in build_dir.rglob('*') if p.is_dir()]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o755, path
    for name in ('work', 'cache', 'lock'):
        assert stat.S_IMODE(node[name].stat().st_mode) == 0o750, name
    assert not list(node['work'].glob('slot-*')), 'the slot dir (0700 while it lives) is removed'
    for path in files_under(node['lock']):
        assert not stat.S_IMODE(path.stat().st_mode) & 0o022, path


def test_ssh_source_cannot_turn_off_host_key_checking(tmp_path):
    """A node's Ansible connection variables cannot weaken the controller's pull over SSH."""
    from ansible_collections.ondemand.fedora_build.plugins.filter.ssh_source import ssh_source
    from ansible_collections.ondemand.fedora_build.plugins.module_utils import staging
    from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError

    hostvars = {'ansible_host': '10.77.0.11', 'ansible_user': 'root',
                'ansible_ssh_common_args': '-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null',
                'ansible_ssh_extra_args': '-oStrictHostKeyChecking=accept-new'}
    src = ssh_source(hostvars, 'node-1')
    assert 'stricthostkeychecking' not in json.dumps(src).lower(), src
    assert src['known_hosts_file'] == '/dev/null'
    # /dev/null is no known_hosts file: the pull refuses it instead of accepting any key
    with pytest.raises(FedoraBuildError, match=r'known_hosts_file: /dev/null does not exist'):
        staging.SshConnection(src, 'src_host', 10, 'node')
    # with a real known_hosts file, ssh always runs with strict checking, no user config and batch mode
    known = tmp_path / 'known_hosts'
    known.write_text('10.77.0.11 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDummy\n')
    conn = staging.SshConnection(dict(src, known_hosts_file=str(known)), 'src_host', 10, 'node')
    argv = conn.base_argv()
    assert argv[:3] == ['ssh', '-F', '/dev/null']
    assert 'StrictHostKeyChecking=yes' in argv and 'BatchMode=yes' in argv
    assert 'UserKnownHostsFile=%s' % known in argv and 'GlobalKnownHostsFile=/dev/null' in argv
    assert not [a for a in argv if a.lower().startswith('stricthostkeychecking=') and a != 'StrictHostKeyChecking=yes']
    # the remote script is one quoted argument of sh -c
    remote = conn.argv("cat -- '/srv/it'\"'\"'s; id'")
    assert remote[-3:-1] == ['10.77.0.11', '--'] and remote[-1].startswith('sh -c ')


def test_cli_runner_artifacts_hold_no_secret(tmp_path, builder_standins, fedora_repo, ftp_server, smtp_sink_factory,
                                             hook):
    """The same secrets through the CLI (ansible-runner): the run dir (job events, stdout, the runner's
    command record, run.json) and everything staged stay free of them; run dirs are 0700."""
    from support.cli_helpers import cli

    ftp_root = tmp_path / 'ftp-root'
    (ftp_root / 'pub').mkdir(parents=True)
    ftp = ftp_server(ftp_root, user='stage', password=FTP_PW)
    smtp = smtp_sink_factory(users={'mailer': SMTP_PW})
    node = tmp_path / 'node'
    staging = tmp_path / 'staging'
    host = {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable,
            'fedora_build_environment': builder_standins.environment, 'fedora_build_work_dir': str(node / 'work'),
            'fedora_build_cache_dir': str(node / 'cache'), 'fedora_build_lock_dir': str(node / 'lock'),
            'fedora_build_preflight_require': ['tools'], 'fedora_build_poll': 1,
            'fedora_build_node_repo_dirs': [str(tmp_path)],  # where the request's file:// repository lies
            'fedora_build_smtp': {'host': smtp.host, 'port': smtp.port, 'security': 'none', 'username': 'mailer',
                                  'sender': 'builds@example.org'}}
    inventory = tmp_path / 'inventory.yml'
    inventory.write_text(json.dumps({'all': {'children': {'builders': {'hosts': {'localhost': host}}}}}))
    request = tmp_path / 'boot.yml'
    request.write_text(json.dumps({'fedora_build_request': {
        'image_type': 'boot', 'release': 41, 'arch': ARCH, 'name': 'clisecret',
        'repos': {'presets': [], 'extra': [{'name': 'local', 'baseurl': 'file://%s' % fedora_repo}]},
        'staging': ['controller', 'team-ftp'],
        'notify': {'email': ['qa@example.org'], 'webhook': 'team-hook'}}}))
    # the operator's named destinations (settings the operator gives, here with -e; the request only names them)
    destinations = tmp_path / 'destinations.json'
    destinations.write_text(json.dumps({
        'fedora_build_staging_targets': {
            'controller': {'type': 'local', 'path': str(staging)},
            'team-ftp': {'type': 'ftp', 'host': ftp.host, 'port': ftp.port, 'user': 'stage',
                         'password_env': 'FB_TEST_FTP_PASSWORD', 'path': '/pub'}},
        'fedora_build_staging': [{'type': 'local', 'path': str(staging)}],
        'fedora_build_webhooks': {'team-hook': {'url': hook.url, 'token_env': 'FEDORA_BUILD_WEBHOOK_TOKEN'}}}))
    env = {'FEDORA_BUILD_STATUS_DIR': str(staging / 'status'), 'FEDORA_BUILD_PROJECT': str(REPO),
           'FB_TEST_FTP_PASSWORD': FTP_PW, 'FEDORA_BUILD_SMTP_PASSWORD': SMTP_PW, 'FEDORA_BUILD_WEBHOOK_TOKEN': HOOK_TOKEN}
    proc = cli('submit', request, '--wait', '-i', inventory, '-e', '@%s' % destinations, env=env, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    smtp.wait_for(2)
    assert [p for p in (ftp_root / 'pub').iterdir() if p.name.startswith('boot-41-')], 'nothing reached FTP'
    assert [e for e in smtp.envelopes if e.get('login') == 'mailer'], smtp.envelopes
    assert hook.posts and hook.posts[0]['headers'].get('Authorization') == 'Bearer %s' % HOOK_TOKEN
    runs = staging / 'status' / 'runs'
    (run_dir,) = [p for p in runs.iterdir() if p.name.startswith('run-')]
    assert stat.S_IMODE(run_dir.stat().st_mode) == 0o700
    events = list((run_dir / 'artifacts').rglob('job_events/*.json'))
    assert events, sorted(str(p) for p in run_dir.rglob('*'))[:50]
    produced = list(files_under(run_dir, staging, ftp_root, node))
    assert leaks(produced, (FTP_PW, SMTP_PW, HOOK_TOKEN)) == []
    for secret in (FTP_PW, SMTP_PW, HOOK_TOKEN):
        assert secret not in proc.stdout + proc.stderr


SIDE_REPO_TASK = 'ondemand.fedora_build.build : Fetch, verify and index the Koji builds'
KOJI_LOGIN_OPTIONS = ('auth', 'username', 'password', 'client_cert', 'principal', 'keytab', 'koji_profile')


@pytest.mark.parametrize('auth', ['ssl', 'password'])
def test_no_secret_reaches_a_build_node(tmp_path, node, koji_tls_world, koji_pki, fedora_repo, builder_standins, auth):
    """docs/security.md: a build runs the requester's code as root on the node, so no Koji login goes there.
    A build through playbooks/build.yml logs in to the operator's HTTPS hub (client certificate, or password from
    the controller's environment): the controller logs in and resolves (koji_side_repo's action plugin); the
    node's Python cannot even import koji, so the node made no hub call, yet the side repo is made and verified
    there. With ssl (no no_log) the job event shows the node's module arguments: no login among them. Neither the
    private key nor the password is in any file the node holds or in the output. Watched failing without the action
    plugin (the node's module needs koji and gets the login)."""
    w = koji_tls_world
    w.hub.add_user('carol', password=KOJI_PW)
    cert = koji_pki.client('alice')
    with open(cert) as handle:
        key_line = [line for line in handle.read().splitlines() if line and '-----' not in line][-2]
    login = {'auth': 'ssl', 'client_cert': cert} if auth == 'ssl' else \
        {'auth': 'password', 'username': 'carol', 'password_env': 'FB_TEST_KOJI_PASSWORD'}
    blocker = tmp_path / 'no-koji' / 'koji'
    blocker.mkdir(parents=True)
    (blocker / '__init__.py').write_text("raise ImportError('koji is not on this build node')\n")
    python = tmp_path / 'node-python'
    python.write_text('#!/bin/sh\nPYTHONPATH=%s exec %s "$@"\n' % (blocker.parent, sys.executable))
    python.chmod(0o755)
    inventory = json.loads(json.dumps(node['inventory']))
    inventory['all']['children']['builders']['hosts']['localhost']['ansible_python_interpreter'] = str(python)
    request = {
        'image_type': 'boot', 'release': '41', 'arch': ARCH, 'name': 'no-secret-on-node',
        'repos': {'presets': [], 'extra': [{'name': 'fedora', 'baseurl': 'file://%s/' % fedora_repo}]},
        'koji': {'hub': 'team', 'builds': ['hello-2.0-1.fc41'], 'sigkeys': [w.key1.sigkey]},
        'staging': [{'type': 'local', 'path': str(node['staging'])}],
    }
    extra_vars = {
        'fedora_build_request': request,
        'fedora_build_allow_request_destinations': True,
        'fedora_build_koji_hubs': {'team': dict(login, hub_url=w.hub.url, topurl=w.hub.topurl,
                                                ca_cert=koji_pki.ca_cert)},
        'fedora_build_status_dir': str(node['staging'] / 'status'),
        'fedora_build_environment': builder_standins.environment,
        'fedora_build_preflight_require': ['root', 'tools', 'arch'],
        'fedora_build_poll': 1,
    }
    workdir = tmp_path / 'run'
    run = run_playbook(str(REPO / 'playbooks' / 'build.yml'), inventory=inventory, extra_vars=extra_vars,
                       env={'FB_TEST_KOJI_PASSWORD': KOJI_PW}, verbosity=3, workdir=workdir)
    run.assert_ok()
    user = 'alice' if auth == 'ssl' else 'carol'
    assert [u for _m, u, _t in w.hub.logins] == [user] and w.hub.open_sessions() == []
    (built,) = [p for p in node['staging'].iterdir() if p.name.startswith('boot-41-')]
    manifest = json.loads(next(built.rglob('koji-manifest.json')).read_text())
    assert [p['nvra'] for p in manifest['packages'] if p['name'] == 'hello'] == ['hello-2.0-1.fc41.' + ARCH]
    assert {p['sigkey'] for p in manifest['packages']} == {w.key1.sigkey}
    if auth == 'ssl':
        node_args = run.result(SIDE_REPO_TASK)['invocation']['module_args']
        given = dict((k, node_args.get(k)) for k in KOJI_LOGIN_OPTIONS if node_args.get(k) not in (None, 'none'))
        assert given == {} and node_args['resolved']['packages'], given
        assert node_args['ca_cert'] is None and 'BEGIN CERTIFICATE' in node_args['resolved']['ca_pem']
    produced = list(files_under(node['work'], node['cache'], node['lock'], node['staging']))
    assert leaks(produced, (KOJI_PW, key_line)) == []
    assert KOJI_PW not in run.stdout + run.stderr and key_line not in run.stdout + run.stderr
    assert leaks([workdir / 'results.json'], (KOJI_PW, key_line, 'FB_TEST_KOJI_PASSWORD')) == []
