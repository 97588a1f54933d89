# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The build_node role through the real playbooks/provision.yml on localhost.

This machine is Debian, so the role takes its "no dnf here" path: it must say
so (listing the packages the enabled backends need) and still create the
directories and write the Koji profile. Everything goes under tmp_path.
"""

from __future__ import annotations

import grp
import os
import stat
import subprocess
import sys

import koji
import pytest

from support.ansible_run import REPO, run_playbook

PLAYBOOK = str(REPO / 'playbooks' / 'provision.yml')
SKIP_TASK = 'ondemand.fedora_build.build_node : Say that package installation is skipped on this OS'
SELINUX_REPORT = 'ondemand.fedora_build.build_node : Report the SELinux mode for the enabled backends'
GROUP = 'nogroup'


def inventory():
    """localhost as the one member of builders_x86_64, a child of builders (like inventory/hosts)."""
    return {'all': {'children': {'builders': {'children': {'builders_x86_64': {'hosts': {'localhost': {
        'ansible_connection': 'local',
        'ansible_python_interpreter': sys.executable,
    }}}}}}}}


def node_vars(root, **extra):
    data = {
        'build_node_work_dir': str(root / 'srv' / 'fb' / 'work'),
        'build_node_cache_dir': str(root / 'cache' / 'fedora-build'),
        'build_node_lock_dir': str(root / 'srv' / 'fb' / 'lock'),
        'build_node_koji_config_dir': str(root / 'etc' / 'koji.conf.d'),
    }
    data.update(extra)
    return data


def provision(tmp_path, extra_vars, name='run', check=False):
    return run_playbook(PLAYBOOK, inventory(), extra_vars=extra_vars, check=check, diff=check,
                        workdir=tmp_path / ('ansible-' + name), timeout=300)


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(scope='module')
def ca_pem(tmp_path_factory):
    """A real self-signed CA certificate made with openssl."""
    where = tmp_path_factory.mktemp('ca')
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=fb test CA',
                    '-keyout', str(where / 'ca.key'), '-out', str(where / 'ca.pem')],
                   check=True, capture_output=True)
    return (where / 'ca.pem').read_text(encoding='ascii')


def test_provision_creates_dirs_and_koji_profile_then_changes_nothing(tmp_path, ca_pem):
    root = tmp_path / 'node'
    ca_path = root / 'etc' / 'pki' / 'koji-ca.pem'
    extra = node_vars(
        root,
        build_node_dir_group=GROUP,
        build_node_lock_dir_mode='2770',
        build_node_koji_profile='lab-koji',
        build_node_koji_server='http://127.0.0.1:8080/kojihub',
        build_node_koji_weburl='',
        build_node_koji_topurl='http://127.0.0.1:8080/kojifiles',
        build_node_koji_serverca=str(ca_path),
        build_node_koji_serverca_content=ca_pem,
        build_node_koji_extra_options={'max_retries': 5, 'use_fast_upload': False, 'timeout': 120},
    )

    # check mode first: reports the changes, creates nothing
    dry = provision(tmp_path, extra, 'check', check=True).assert_ok()
    assert dry.stats['localhost']['changed'] > 0
    assert not root.exists(), 'check mode created %s' % sorted(str(p) for p in root.rglob('*'))

    first = provision(tmp_path, extra, 'first').assert_ok()
    assert first.stats['localhost']['changed'] > 0
    assert first.stats['localhost']['failures'] == 0

    second = provision(tmp_path, extra, 'second').assert_ok()
    changed = [r.task for r in second.results if r.status == 'changed']
    assert second.stats['localhost']['changed'] == 0, 'second run changed: %s' % changed

    nogroup = grp.getgrnam(GROUP).gr_gid
    for path, mode in ((extra['build_node_work_dir'], 0o750), (extra['build_node_cache_dir'], 0o755),
                       (extra['build_node_lock_dir'], 0o2770)):
        info = os.stat(path)
        assert stat.S_ISDIR(info.st_mode), path
        assert stat.S_IMODE(info.st_mode) == mode, '%s has mode %o, wanted %o' % (path, stat.S_IMODE(info.st_mode), mode)
        assert (info.st_uid, info.st_gid) == (0, nogroup), path
    # new parents are 0755 root:root, not the leaf's mode and group
    for parent in (root / 'srv' / 'fb', root / 'srv', root / 'cache'):
        info = os.stat(parent)
        assert (stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid) == (0o755, 0, 0), parent

    conf = root / 'etc' / 'koji.conf.d' / 'lab-koji.conf'
    assert mode_of(conf) == 0o644
    text = conf.read_text(encoding='utf-8')
    assert '[lab-koji]' in text
    assert 'weburl' not in text
    # the koji library's own loader reads the profile
    opts = koji.read_config('lab-koji', user_config=str(conf))
    assert opts['server'] == 'http://127.0.0.1:8080/kojihub'
    assert opts['topurl'] == 'http://127.0.0.1:8080/kojifiles'
    assert opts['authtype'] == 'noauth'
    assert opts['serverca'] == str(ca_path)
    assert opts['max_retries'] == 5
    assert opts['use_fast_upload'] is False
    assert opts['timeout'] == 120
    assert ca_path.read_text(encoding='ascii') == ca_pem.strip() + '\n'
    assert mode_of(ca_path) == 0o644

    # Debian: packages skipped with a message naming them; SELinux reported, not changed
    msg = first.result(SKIP_TASK, 'localhost')['msg']
    assert 'Skipping package installation' in msg and 'Debian' in msg
    for pkg in ('lorax', 'pungi', 'lorax-lmc-novirt', 'kiwi-cli', 'createrepo_c', 'python3-koji', 'xorriso'):
        assert pkg in msg.replace(',', ' ').split(), pkg
    assert 'The role does not change the SELinux mode' in first.result(SELINUX_REPORT, 'localhost')['msg']


def test_a_changed_mode_is_put_back(tmp_path):
    extra = node_vars(tmp_path / 'node')
    provision(tmp_path, extra, 'first').assert_ok()
    os.chmod(extra['build_node_work_dir'], 0o777)
    again = provision(tmp_path, extra, 'again').assert_ok()
    assert again.stats['localhost']['changed'] == 1
    assert mode_of(extra['build_node_work_dir']) == 0o750


def test_backend_toggles_pick_the_packages(tmp_path):
    extra = node_vars(tmp_path / 'node', build_node_enable_kiwi=False, build_node_enable_pungi=False,
                      build_node_packages_extra=['mkksiso-helper'])
    run = provision(tmp_path, extra, check=True).assert_ok()
    words = run.result(SKIP_TASK, 'localhost')['msg'].replace(',', ' ').replace('.', ' ').split()
    assert 'lorax' in words and 'lorax-lmc-novirt' in words and 'mkksiso-helper' in words
    assert 'kiwi-cli' not in words and 'pungi' not in words and 'python3-productmd' not in words


def test_unsupported_os_can_be_made_fatal(tmp_path):
    extra = node_vars(tmp_path / 'node', build_node_unsupported_os_action='fail')
    run = provision(tmp_path, extra)
    assert run.rc != 0
    assert 'is not Fedora or EL, so the builder tools cannot be installed with dnf' in run.stdout + run.stderr
    assert not (tmp_path / 'node').exists()


@pytest.mark.parametrize('bad, message', [
    ({'build_node_work_dir': 'relative/work'},
     "build_node_work_dir must be an absolute path (starting with /), got 'relative/work'."),
    ({'build_node_koji_authtype': 'password'},
     'value of build_node_koji_authtype must be one of: noauth, ssl, kerberos, got: password'),
    ({'build_node_enable_kiwi': 'maybe'},
     "argument 'build_node_enable_kiwi' is of type str and we were unable to convert to bool"),
    ({'build_node_cache_dir_mode': 'rwxr-xr-x'},
     'build_node_cache_dir_mode must be an octal mode written as a quoted string such as "0750"'),
    ({'build_node_koji_authtype': 'ssl', 'build_node_koji_cert': '/etc/pki/koji/client.pem'},
     "build_node_koji_authtype is no longer supported: no Koji login goes to a build node (a build runs the "
     "requester's code as root there); give the login (auth) in fedora_build_koji_hubs or fedora_build_koji, "
     "whose paths are on the controller."),
    ({'build_node_koji_topurl': 'kojipkgs.example.org'},
     "build_node_koji_topurl must be an http:// or https:// URL without spaces, got 'kojipkgs.example.org'."),
    ({'build_node_koji_profile': 'a b'},
     'build_node_koji_profile must be letters, digits'),
    ({'build_node_koji_extra_options': {'server': 'http://elsewhere/kojihub'}},
     "build_node_koji_extra_options key 'server' is not usable"),
    ({'build_node_koji_extra_options': {'user': 'carol'}},
     "build_node_koji_extra_options key 'user' is not usable"),
    ({'build_node_dir_group': 'no-such-group-fb'},
     "build_node_dir_group 'no-such-group-fb' must exist on localhost; create it first"),
    ({'build_node_lock_dir': '/x/work/', 'build_node_work_dir': '/x/work'},
     'build_node_work_dir, build_node_cache_dir and build_node_lock_dir must be three different directories'),
])
def test_bad_values_are_refused_before_any_change(tmp_path, bad, message):
    extra = node_vars(tmp_path / 'node')
    extra.update(bad)
    run = provision(tmp_path, extra)
    assert run.rc != 0, run.describe()
    assert message in run.stdout + run.stderr, run.describe()
    assert 'Traceback' not in run.stdout + run.stderr
    assert not (tmp_path / 'node').exists()


@pytest.mark.parametrize('variable, value', [
    ('build_node_koji_authtype', 'kerberos'),
    ('build_node_koji_cert', '/etc/pki/koji/client.pem'),
    ('build_node_koji_principal', 'builder@EXAMPLE.ORG'),
    ('build_node_koji_keytab', '/etc/koji.keytab'),
])
def test_no_koji_login_goes_to_a_node(tmp_path, variable, value):
    """A build runs the requester's code as root on the node: the role refuses every Koji login setting in one
    sentence naming the variable, before anything changes; the profile it writes is anonymous."""
    extra = node_vars(tmp_path / 'node', **{variable: value})
    run = provision(tmp_path, extra)
    assert run.rc != 0, run.describe()
    assert '%s is no longer supported: no Koji login goes to a build node' % variable in run.stdout + run.stderr
    assert 'Traceback' not in run.stdout + run.stderr
    assert not (tmp_path / 'node').exists()


def test_the_node_koji_profile_has_no_login(tmp_path):
    extra = node_vars(tmp_path / 'node')
    provision(tmp_path, extra).assert_ok()
    conf = tmp_path / 'node' / 'etc' / 'koji.conf.d' / 'fedora_build.conf'
    opts = koji.read_config('fedora_build', user_config=str(conf))
    assert opts['authtype'] == 'noauth'
    keys = [line.split('=')[0].strip() for line in conf.read_text(encoding='utf-8').splitlines()
            if '=' in line and not line.startswith('#')]
    assert not set(keys) & {'cert', 'principal', 'keytab', 'user', 'password'}, keys


ENFORCING = {'status': 'enabled', 'mode': 'enforcing', 'type': 'targeted'}


@pytest.mark.parametrize('selinux, lorax, extra, fails, says', [
    # EL8's lorax 28 refuses enforcing: lorax, pungi and livemedia-creator would all fail
    (ENFORCING, '28.14.70', {}, True, 'enabled backends would fail: lorax, pungi, livemedia_creator'),
    # same node told to only warn
    (ENFORCING, '28.14.70', {'build_node_selinux_enforcing_action': 'warn'}, False,
     'refuses to run while SELinux is enforcing, which breaks: lorax, pungi, livemedia_creator'),
    # only kiwi enabled: an old lorax does not matter
    (ENFORCING, '28.14.70', {'build_node_enable_lorax': False, 'build_node_enable_pungi': False,
                             'build_node_enable_livemedia_creator': False}, False, 'kiwi has no SELinux mode requirement'),
    # lorax 30.7 and later run enforcing
    (ENFORCING, '41.3', {}, False, 'lorax 41.3 (>= 30.7) runs lorax'),
    ({'status': 'enabled', 'mode': 'permissive'}, '28.14.70', {}, False, 'No backend needs a change'),
    ({'status': 'Missing selinux Python library'}, '', {}, False, 'Ansible cannot read the SELinux state here'),
])
def test_selinux_check_says_what_breaks(tmp_path, selinux, lorax, extra, fails, says):
    # The observed SELinux state and lorax version are injected (this machine has neither);
    # the decision and the messages are the role's own.
    data = node_vars(tmp_path / 'node', __build_node_test_selinux=selinux, __build_node_test_lorax_version=lorax, **extra)
    run = provision(tmp_path, data)
    out = run.stdout + run.stderr
    assert (run.rc != 0) is fails, run.describe()
    assert says in ' '.join(out.split()), run.describe()
    if fails:
        assert 'This role does not change the SELinux mode' in ' '.join(out.split())
        assert 'build_node_selinux_enforcing_action' in out


def test_the_real_koji_cli_uses_the_written_profile(tmp_path, koji_world):
    """The profile the role writes drives the real koji CLI: the hub (server) and the files (topurl)."""
    hub = koji_world.hub
    root = tmp_path / 'node'
    extra = node_vars(root, build_node_koji_profile='standin', build_node_koji_server=hub.url,
                      build_node_koji_topurl=hub.topurl, build_node_koji_weburl='',
                      build_node_koji_extra_options={'max_retries': 2, 'retry_interval': 1})
    provision(tmp_path, extra).assert_ok()
    conf = str(root / 'etc' / 'koji.conf.d' / 'standin.conf')
    koji_cli = os.path.join(os.path.dirname(sys.executable), 'koji')
    env = dict(os.environ, HOME=str(tmp_path))  # no ~/.koji of the caller

    version = subprocess.run([koji_cli, '-c', conf, '-p', 'standin', 'version'], capture_output=True, text=True,
                             timeout=60, check=False, env=env)
    assert version.returncode == 0, version.stdout + version.stderr
    assert version.stdout.split() == ['Client:', '1.36.1', 'Hub:', '1.36.1']
    assert 'getKojiVersion' in hub.method_calls()

    cwd = tmp_path / 'download'
    cwd.mkdir()
    fetched = subprocess.run([koji_cli, '-c', conf, '-p', 'standin', 'download-build', '--arch=noarch', '--noprogress',
                              'pydata-0.5-2.fc41'], cwd=str(cwd), capture_output=True, text=True, timeout=120,
                             check=False, env=env)
    assert fetched.returncode == 0, fetched.stdout + fetched.stderr
    assert os.listdir(str(cwd)) == ['pydata-0.5-2.fc41.noarch.rpm']
    # the file came from topurl: the hub's /kojifiles/ tree served it
    assert any(rel.endswith('/pydata-0.5-2.fc41.noarch.rpm') for _verb, rel in hub.file_requests), hub.file_requests
