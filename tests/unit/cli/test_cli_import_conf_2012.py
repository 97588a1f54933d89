# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""import-conf on every 2012 configuration file of the old project's history, the arch in URLs, bounds.

The files are not in this repository: they are in ``shared/data/fbs2012/confs/`` beside the
checkout (CI copies ``shared/`` next to its clone; a git worktree finds it beside the main
checkout). Under ``CI=true`` a missing directory fails the test instead of skipping it.
"""

import io
import json
import os
import subprocess
import textwrap
from pathlib import Path

import pytest

from fedora_build_cli import errors, import_conf, main as cli, requests_io
from fedora_build_cli.errors import CLIError
from fedora_build_cli.project import Project

REPO = Path(__file__).resolve().parents[3]
# the May 2012 layout: [DEFAULT] only, the builder keys in a second file
SPLIT = ('data_config_', 'image_builder_')


def _candidates():
    yield REPO.parent / 'shared' / 'data' / 'fbs2012'
    try:
        common = subprocess.run(['git', 'rev-parse', '--path-format=absolute', '--git-common-dir'], cwd=str(REPO),
                                capture_output=True, text=True, timeout=30, check=False).stdout.strip()
    except OSError:
        common = ''
    if common:  # a worktree: shared/ lies beside the main checkout
        yield Path(common).parent.parent / 'shared' / 'data' / 'fbs2012'


def fbs2012():
    for path in _candidates():
        if (path / 'confs').is_dir():
            return path / 'confs'
    where = ', '.join(str(p) for p in _candidates())
    if os.environ.get('CI') == 'true':
        pytest.fail('the 2012 configuration files are missing: expected shared/data/fbs2012/confs beside the checkout '
                    '(%s); CI must copy shared/ next to its clone.' % where)
    pytest.skip('no shared/data/fbs2012 beside the checkout (%s)' % where)


def conf_files():
    return sorted(fbs2012().glob('*.conf'))


def test_every_2012_conf_converts_to_a_valid_request_or_is_refused_in_one_sentence(tmp_path):
    files = conf_files()
    assert len(files) >= 24, 'expected every 2012 version (24 files), found %d' % len(files)
    project = Project.find()
    # the converted staging target is the request's own: valid where the operator allows request-defined destinations
    # the 2012 confs name kickstarts beside them, which are not kept: a copy of each name in the operator's directory
    # of requested kickstarts (fedora_build_kickstart_dirs) stands for it
    ks_dir = tmp_path / 'kickstarts'
    ks_dir.mkdir()
    defaults = requests_io.service_defaults(str(tmp_path / 'status'), {'fedora_build_allow_request_destinations': True,
                                                                       'fedora_build_kickstart_dirs': [str(ks_dir)]})
    converted = refused = 0
    for path in files:
        if path.name.startswith(SPLIT):
            with pytest.raises(CLIError) as err:
                import_conf.convert_file(path)
            msg = err.value.msg
            assert 'May 2012 split-file layout' in msg and '\n' not in msg and msg.count('. ') == 0, (path.name, msg)
            assert err.value.code == errors.FAILED
            refused += 1
            continue
        request, warnings = import_conf.convert_file(path)
        src = (request.get('kickstart') or {}).get('src', '')
        if src.startswith('/'):
            (ks_dir / os.path.basename(src)).write_text('lang en_US.UTF-8\n')
            request['kickstart']['src'] = str(ks_dir / os.path.basename(src))
        normalized, problems = requests_io.validate(project, [request], defaults=defaults)
        if [p for p in problems if 'request-defined ssh target' in p] == problems != []:
            # an SSH target is always the operator's (docs/security.md, "Trust model"): named in the request instead
            request['staging'] = ['ssh-%d' % index for index, _unused in enumerate(request['staging'])]
            named = dict(defaults, staging_targets=dict(('ssh-%d' % index, target) for index, target
                                                        in enumerate(import_conf.convert_file(path)[0]['staging'])))
            normalized, problems = requests_io.validate(project, [request], defaults=named)
        assert problems == [], (path.name, problems)
        assert normalized[0]['arch'] == request['arch'] == 'x86_64', path.name
        # no repository URL still names the 2012 arch once the arch changed
        assert 'i386' not in json.dumps(request.get('repos') or {}), (path.name, request['repos'])
        assert all('\n' not in w for w in warnings)
        converted += 1
    assert converted >= 13 and refused >= 10


def test_urls_that_carry_the_arch_follow_it():
    path = fbs2012() / 'cli_imagebuild_boot@b87bc63.conf'
    request, warnings = import_conf.convert_file(path)
    assert request['arch'] == 'x86_64'
    assert request['repos'] == {'presets': ['release'], 'mirror': 'http://download.fedoraproject.org',
                                'extra': [{'name': 'updates', 'baseurl': 'http://download.fedoraproject.org/updates/17/x86_64'}]}
    line = [w for w in warnings if w.startswith('arch i686')]
    assert len(line) == 1 and 'now name x86_64 (17_url, 17_mirror, 17-updates_url, 17-updates_mirror)' in line[0]
    # --arch: the operator's choice, the URLs follow it too
    request, warnings = import_conf.convert_file(path, 'aarch64')
    assert request['arch'] == 'aarch64'
    assert request['repos']['extra'] == [{'name': 'updates', 'baseurl': 'http://download.fedoraproject.org/updates/17/aarch64'}]
    assert any('aarch64 (--arch) instead of' in w and '17-updates_url' in w for w in warnings)
    # --arch i686 keeps it; the warning names the URLs that say i386 as well
    request, warnings = import_conf.convert_file(path, 'i686')
    assert request['arch'] == 'i686'
    assert request['repos']['extra'][0]['baseurl'].endswith('/17/i386')
    assert any(w.startswith('arch i686') and 'URLs name i386 too (17_url, 17_mirror, 17-updates_url' in w for w in warnings)


def test_arch_in_metalink_query_and_an_x86_64_conf(tmp_path):
    path = tmp_path / 'imagebuild.conf'
    path.write_text(textwrap.dedent("""\
        [DEFAULT]
        type=boot
        arch=x86_64
        release=17
        [boot]
        updates=1
        17-updates_mirror=https://mirrors.fedoraproject.org/metalink?repo=updates-released-f17&arch=x86_64
        """))
    request, dummy = import_conf.convert_file(path)
    assert request['repos']['extra'] == [
        {'name': 'updates', 'metalink': 'https://mirrors.fedoraproject.org/metalink?repo=updates-released-f17&arch=x86_64'}]
    request, dummy = import_conf.convert_file(path, 's390x')
    assert request['repos']['extra'][0]['metalink'].endswith('&arch=s390x')
    with pytest.raises(CLIError) as err:
        import_conf.convert_file(path, '../x')
    assert err.value.msg.startswith('--arch')


def test_command_arch_option(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(['import-conf', '--json', '--arch', 'aarch64', str(fbs2012() / 'conf_boot_imagebuild@38b274a.conf'),
                     '--status-dir', str(tmp_path)], out, err)
    data = json.loads(out.getvalue())
    assert code == 0 and data['request']['arch'] == 'aarch64'
    assert not [w for w in data['warnings'] if 'needs editing' in w]


@pytest.mark.parametrize('body, message', [
    # each level doubles: 2**40 characters if nothing stopped it
    ('\n'.join(['a0=xxxxxxxxxxxxxxxx'] + ['a%d=%%(a%d)s%%(a%d)s' % (i, i - 1, i - 1) for i in range(1, 41)]),
     'expand the file beyond 65536 characters'),
    ('a=%(b)s\nb=%(a)s', 'nested deeper than 10 levels'),
])
def test_interpolation_growth_is_bounded(tmp_path, body, message):
    path = tmp_path / 'bomb.conf'
    path.write_text('[DEFAULT]\ntype=boot\nrelease=41\n[boot]\n' + body + '\n')
    with pytest.raises(CLIError) as err:
        import_conf.convert_file(path)
    assert message in err.value.msg
    assert len(err.value.msg) < 2000


def test_an_oversized_conf_is_refused(tmp_path):
    path = tmp_path / 'big.conf'
    path.write_text('[DEFAULT]\ntype=boot\n[boot]\nx=' + 'y' * (import_conf.MAX_FILE + 1) + '\n')
    with pytest.raises(CLIError) as err:
        import_conf.convert_file(path)
    assert 'more than' in err.value.msg
