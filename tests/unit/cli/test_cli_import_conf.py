# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""import-conf: the 2012 imagebuild.conf samples and every key of seed.md §2.1."""

import io
import textwrap
from pathlib import Path

import pytest
import yaml

from fedora_build_cli import errors, import_conf, main as cli
from fedora_build_cli.errors import CLIError

DATA = Path(__file__).resolve().parent / 'data'


def convert_text(tmp_path, text, name='imagebuild.conf'):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return import_conf.convert_file(path)


def has(warnings, *parts):
    return any(all(p in w for p in parts) for w in warnings)


def test_boot_sample():
    request, warnings = import_conf.convert_file(DATA / 'boot_imagebuild.conf')
    assert request == {
        'image_type': 'boot', 'release': '17', 'arch': 'x86_64',
        'koji': {'builds': ['wget-1.13.4-4.fc17']},
        'repos': {'presets': ['release'], 'mirror': 'http://download.fedoraproject.org/pub/fedora/linux'},
        'builder': {'product': 'fedora'},
        'staging': [{'type': 'ftp', 'host': '10.0.0.27', 'path': '/pub'}],
        'notify': {'email': ['amitsaha.in@gmail.com']},
    }
    assert has(warnings, '[boot] outdir', 'no longer used')
    assert has(warnings, '[boot] workdir', 'no longer used')
    assert has(warnings, '[boot] proxy', 'empty')
    assert has(warnings, '[boot] 17_mirror', 'dropped')
    assert has(warnings, 'staging', 'FTP host 10.0.0.27')
    assert all('\n' not in w for w in warnings)


def test_dvd_sample():
    request, warnings = import_conf.convert_file(DATA / 'dvd_imagebuild.conf')
    assert request == {
        'image_type': 'dvd', 'release': '17', 'arch': 'x86_64',
        'kickstart': {'src': 'http://git.fedorahosted.org/git/?p=spin-kickstarts.git;a=blob_plain;'
                             'f=fedora-install-fedora.ks;hb=HEAD'},
        'koji': {'builds': ['python-2.7.3-7.1.fc17']},
        'builder': {'name': 'fedora', 'flavor': 'Desktop', 'bugurl': 'http://bugzilla.redhat.com',
                    'nosource': True, 'sourceisos': False},
        'staging': [{'type': 'local', 'path': '/tmp/staging'}],
        'notify': {'email': ['amitsaha.in@gmail.com']},
    }
    for key in ('destdir', 'cachedir', 'workdir', 'force'):
        assert has(warnings, '[dvd] %s' % key, 'no longer used'), key
    assert has(warnings, 'arch i686', 'builds x86_64 instead')
    assert has(warnings, 'fedorahosted.org')


def test_live_sample():
    request, warnings = import_conf.convert_file(DATA / 'live_imagebuild.conf')
    assert request == {
        'image_type': 'live', 'name': 'FedoraDesktop', 'release': 'rawhide', 'arch': 'x86_64',
        'kickstart': {'src': 'http://git.fedorahosted.org/cgit/spin-kickstarts.git/plain/fedora-live-mini.ks'},
        'builder': {'backend': 'livemedia-creator', 'fs_label': 'FedoraDesktop', 'project': 'fedora'},
        'staging': [{'type': 'ftp', 'host': '10.0.0.27', 'path': '/pub'}],
        'notify': {'email': ['amitsaha.in@gmail.com']},
    }
    for key in ('tmpdir', 'cachedir', 'logfile', 'title'):
        assert has(warnings, '[live] %s' % key, 'no longer used'), key
    assert 'koji' not in request  # nvr= and bid= are empty


def test_default_inheritance_quirk(tmp_path):
    request, warnings = convert_text(tmp_path, """\
        [DEFAULT]
        type=live
        arch=x86_64
        release=41
        staging=file:///srv/staging
        [live]
        label=Mini
        config=/srv/ks/mini.ks
        """)
    # arch and release come from [DEFAULT] (the section does not set them)
    assert request['arch'] == 'x86_64' and request['release'] == '41'
    assert request['staging'] == [{'type': 'local', 'path': '/srv/staging'}]
    request, warnings = convert_text(tmp_path, """\
        [DEFAULT]
        type=live
        arch=x86_64
        release=40
        [live]
        arch=aarch64
        releasever=41
        config=/srv/ks/mini.ks
        """)
    assert request['arch'] == 'aarch64' and request['release'] == '41'
    assert has(warnings, '[live] arch=aarch64 overrides [DEFAULT] arch=x86_64')
    assert has(warnings, '[live] releasever=41 differs from [DEFAULT] release=40')


def test_nvr_and_bid_lists(tmp_path):
    request, dummy = convert_text(tmp_path, """\
        [DEFAULT]
        type=boot
        arch=x86_64
        release=41
        [boot]
        nvr=bash-5.2.26-3.fc41; ;kernel-6.11.4-301.fc41;
        bid=2412345;;2412346
        """)
    assert request['koji'] == {'builds': ['bash-5.2.26-3.fc41', 'kernel-6.11.4-301.fc41', 2412345, 2412346]}
    with pytest.raises(CLIError) as err:
        convert_text(tmp_path, """\
            [DEFAULT]
            type=boot
            release=41
            [boot]
            bid=12;abc
            stage=all
            """)
    assert err.value.code == errors.FAILED
    assert "[boot] bid: 'abc' is not a Koji build ID" in err.value.msg


def test_updates_repos(tmp_path):
    request, warnings = convert_text(tmp_path, """\
        [DEFAULT]
        type=boot
        arch=x86_64
        release=41
        [boot]
        updates=1
        updates-testing=1
        41_url=https://dl.fedoraproject.org/pub/fedora/linux/releases/41/Everything/x86_64/os/
        41-updates_url=https://dl.fedoraproject.org/pub/fedora/linux/updates/41/Everything/x86_64/
        41-updates-testing_mirror=https://mirrors.fedoraproject.org/metalink?repo=updates-testing-f41&arch=x86_64
        40_url=http://example.org/40
        """)
    assert request['repos'] == {
        'presets': ['release', 'updates'],
        'mirror': 'https://dl.fedoraproject.org/pub/fedora/linux',
        'extra': [{'name': 'updates-testing',
                   'metalink': 'https://mirrors.fedoraproject.org/metalink?repo=updates-testing-f41&arch=x86_64'}],
    }
    assert has(warnings, '[boot] 40_url: not used')
    # the 2012 layout of the updates tree (no Everything/) is not a preset: it stays as an extra repo
    request, dummy = convert_text(tmp_path, """\
        [DEFAULT]
        type=boot
        arch=x86_64
        release=17
        [boot]
        updates=1
        17_url=http://download.fedoraproject.org/pub/fedora/linux/releases/17/Everything/x86_64/os
        17-updates_url=http://download.fedoraproject.org/updates/17/x86_64
        """)
    assert request['repos']['presets'] == ['release']
    assert request['repos']['extra'] == [{'name': 'updates', 'baseurl': 'http://download.fedoraproject.org/updates/17/x86_64'}]


def test_updates_flag_without_urls_and_rawhide(tmp_path):
    request, warnings = convert_text(tmp_path, """\
        [DEFAULT]
        type=boot
        release=rawhide
        [boot]
        updates=1
        """)
    assert request['repos'] == {'presets': ['rawhide']}
    request, warnings = convert_text(tmp_path, """\
        [DEFAULT]
        type=boot
        release=41
        [boot]
        updates=1
        """)
    assert request['repos'] == {'presets': ['release', 'updates']}
    assert has(warnings, 'updates=1 but 41-updates_url and 41-updates_mirror are missing')


@pytest.mark.parametrize('value, target', [
    ('file:///srv/fedora/staging/', {'type': 'local', 'path': '/srv/fedora/staging'}),
    ('ftp.example.org', {'type': 'ftp', 'host': 'ftp.example.org', 'path': '/pub'}),
    ('ftp://ftp.example.org:2121/incoming', {'type': 'ftp', 'host': 'ftp.example.org', 'port': 2121, 'path': '/incoming'}),
    ('gene@stage.example.org:/srv/images', {'type': 'ssh', 'host': 'stage.example.org', 'user': 'gene', 'path': '/srv/images'}),
])
def test_staging_forms(tmp_path, value, target):
    request, dummy = convert_text(tmp_path, """\
        [DEFAULT]
        type=boot
        release=41
        staging=%s
        [boot]
        """ % value)
    assert request['staging'] == [target]


def test_bad_staging(tmp_path):
    with pytest.raises(CLIError) as err:
        convert_text(tmp_path, "[DEFAULT]\ntype=boot\nrelease=41\nstaging=http://x/y\n[boot]\n")
    assert '[DEFAULT] staging' in err.value.msg


def test_interpolation(tmp_path):
    request, warnings = convert_text(tmp_path, """\
        [DEFAULT]
        type=boot
        arch=x86_64
        release=41
        base=https://mirror.example.org/fedora
        [boot]
        41_url=%(base)s/releases/41/Everything/x86_64/os
        41_mirror=https://mirrors.example.org/metalink?repo=fedora-41&arch=x86_64%
        """)
    assert request['repos']['mirror'] == 'https://mirror.example.org/fedora'
    assert has(warnings, '[DEFAULT] base: unknown key')
    assert has(warnings, '[boot] 41_mirror', '"%"')


def test_relative_kickstart(tmp_path):
    request, warnings = convert_text(tmp_path, """\
        [DEFAULT]
        type=dvd
        release=41
        [dvd]
        config=ks/fedora-install.ks
        stage=-B
        """)
    assert request['kickstart'] == {'src': str(tmp_path / 'ks' / 'fedora-install.ks')}
    assert request['builder'] == {'stages': ['buildinstall']}
    assert has(warnings, 'relative kickstart path')


@pytest.mark.parametrize('text, message', [
    ('[DEFAULT]\narch=x86_64\n[boot]\n[live]\n', '[DEFAULT] type: missing'),
    ('[DEFAULT]\ntype=iso\n[boot]\n', "[DEFAULT] type: 'iso' is not an image type"),
    ('[DEFAULT]\ntype=live\nrelease=41\n[boot]\n', '[live]: missing; type=live needs the [live] section'),
    ('[DEFAULT]\ntype=dvd\nrelease=41\n[dvd]\nstage=-X\n', "[dvd] stage: '-X' is not all"),
    ('[DEFAULT]\ntype=dvd\nrelease=41\n[dvd]\nnosource=maybe\n', "[dvd] nosource: 'maybe' is not 1 or 0"),
    ('no section header\n', 'not an INI file'),
])
def test_bad_files(tmp_path, text, message):
    path = tmp_path / 'bad.conf'
    path.write_text(text)
    with pytest.raises(CLIError) as err:
        import_conf.convert_file(path)
    assert message in err.value.msg
    assert err.value.code == errors.FAILED


def test_type_from_single_section(tmp_path):
    request, warnings = convert_text(tmp_path, '[DEFAULT]\nrelease=41\n[live]\nconfig=/ks/a.ks\n')
    assert request['image_type'] == 'live'
    assert has(warnings, 'type: missing; the file has only [live]')


def test_other_sections_and_unknown_keys(tmp_path):
    dummy, warnings = convert_text(tmp_path, """\
        [DEFAULT]
        type=boot
        release=41
        colour=blue
        [boot]
        shiny=1
        [live]
        label=x
        """)
    assert has(warnings, '[live]: ignored (type is boot')
    assert has(warnings, '[boot] shiny: unknown key')
    assert has(warnings, '[DEFAULT] colour: unknown key')


def test_command_writes_yaml_and_warns(tmp_path):
    out = tmp_path / 'request.yml'
    stdout, stderr = io.StringIO(), io.StringIO()
    code = cli.main(['import-conf', str(DATA / 'boot_imagebuild.conf'), '-o', str(out),
                     '--status-dir', str(tmp_path / 'status')], stdout, stderr)
    assert code == 0
    assert stdout.getvalue() == ''
    data = yaml.safe_load(out.read_text())
    assert data['fedora_build_request']['image_type'] == 'boot'
    lines = stderr.getvalue().splitlines()
    assert lines and all(line.startswith('warning: ') for line in lines)
    assert any('[boot] outdir' in line for line in lines)


def test_command_unwritable_output(tmp_path):
    stderr = io.StringIO()
    code = cli.main(['import-conf', str(DATA / 'boot_imagebuild.conf'), '-o', str(tmp_path / 'no' / 'dir.yml'),
                     '--status-dir', str(tmp_path)], io.StringIO(), stderr)
    assert code == errors.FAILED and 'cannot write it' in stderr.getvalue() and 'Traceback' not in stderr.getvalue()


def test_command_missing_file(tmp_path):
    stderr = io.StringIO()
    assert cli.main(['import-conf', str(tmp_path / 'nope.conf')], io.StringIO(), stderr) == errors.NOT_FOUND
    assert 'no such file' in stderr.getvalue()


def test_command_json(tmp_path):
    stdout = io.StringIO()
    code = cli.main(['import-conf', '--json', str(DATA / 'live_imagebuild.conf'), '--status-dir', str(tmp_path)],
                    stdout, io.StringIO())
    assert code == 0
    import json
    data = json.loads(stdout.getvalue())
    assert data['request']['image_type'] == 'live'
    assert not [w for w in data['warnings'] if 'needs editing' in w]  # i686 became x86_64: the validator accepts it
    code = cli.main(['import-conf', '--json', '--arch', 'i686', str(DATA / 'live_imagebuild.conf'),
                     '--status-dir', str(tmp_path)], stdout, io.StringIO())
    data = json.loads(stdout.getvalue().split('\n}\n', 1)[1])
    assert any("arch: 'i686' is not one of" in w for w in data['warnings'])  # the modern validator's verdict
