# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 13 item 2: a requested kickstart is confined.

``%include`` and ``%ksappend`` resolve only inside the kickstart's own source (the directory of
the top kickstart on the node, or the same scheme, host, port and directory of its URL) or the
operator's ``include_path``. An absolute node path, ``..`` out of it, a symlink leading out, or
another host is refused in one sentence naming the file, the line and the include, before
anything is opened or fetched. Credentials in a kickstart URL appear in no result, message or
``-vvv`` output.
"""

from __future__ import annotations

import base64
import json
import os
import sys

import pytest

from support.ansible_run import run_playbook

from ansible_collections.ondemand.fedora_build.plugins.module_utils import kickstart as ks
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from support.skips import require_module

require_module('pykickstart')

SECRET = 'rootpw --plaintext leaked-from-the-node\n'
OPENED = []      # paths opened while WATCH is on (an audit hook cannot be removed, so it is switched)
WATCH = [False]


def _audit(event, args):
    if WATCH[0] and event == 'open' and args and isinstance(args[0], (str, bytes)):
        OPENED.append(os.fsdecode(args[0]))


sys.addaudithook(_audit)


def prepare_watched(*args, **kwargs):
    """ks.prepare, recording every file the process opens meanwhile; returns (result or error, opened)."""
    del OPENED[:]
    WATCH[0] = True
    try:
        outcome = ks.prepare(*args, **kwargs)
    except FedoraBuildError as exc:
        outcome = exc
    finally:
        WATCH[0] = False
    return outcome, list(OPENED)


def refused(label, lineno, directive, name, allowed):
    return ("%s line %d: %s %s is refused: it is outside the kickstart's own source and the operator's include_path "
            "(%s), so it was not read." % (label, lineno, directive, name, allowed))


@pytest.fixture
def layout(tmp_path):
    """job/ks/ holds the requested kickstart; secret/ is a node directory outside it."""
    (tmp_path / 'job' / 'ks' / 'snippets').mkdir(parents=True)
    (tmp_path / 'secret').mkdir()
    (tmp_path / 'secret' / 'shadow.ks').write_text(SECRET)
    (tmp_path / 'job' / 'ks' / 'base.ks').write_text('lang en_US.UTF-8\nkeyboard us\n')
    (tmp_path / 'job' / 'ks' / 'snippets' / 'tz.ks').write_text('timezone UTC\n%include ../base.ks\n')
    return tmp_path


def top(layout, text):
    path = layout / 'job' / 'ks' / 'top.ks'
    path.write_text(text)
    return path


# --- from a path on the node -------------------------------------------------------------------
@pytest.mark.parametrize('directive', ['%include', '%ksappend'])
@pytest.mark.parametrize('how', ['absolute', 'dotdot', 'etc', 'symlink'])
def test_path_source_cannot_reach_node_files(layout, directive, how):
    if how == 'symlink':
        os.symlink(str(layout / 'secret' / 'shadow.ks'), str(layout / 'job' / 'ks' / 'link.ks'))
    name = {'absolute': str(layout / 'secret' / 'shadow.ks'), 'dotdot': '../../secret/shadow.ks',
            'etc': '/etc/passwd', 'symlink': 'link.ks'}[how]
    src = top(layout, 'lang en_US.UTF-8\n%s %s\n' % (directive, name))
    outcome, opened = prepare_watched(str(src), version='F41')
    assert isinstance(outcome, FedoraBuildError), 'the include was read: %r' % outcome
    assert outcome.msg == refused(src, 2, directive, name, '%s/' % (layout / 'job' / 'ks'))
    # nothing outside the kickstart's directory was opened (the top kickstart itself was)
    assert [p for p in opened if 'secret' in p or p.startswith('/etc/') or p.endswith('link.ks')] == []


def test_include_path_is_the_operators_way_out(layout):
    """The same file is readable when the operator lists its directory in include_path."""
    src = top(layout, 'lang en_US.UTF-8\n%%include %s\n' % (layout / 'secret' / 'shadow.ks'))
    result = ks.prepare(str(src), version='F41', include_path=[str(layout / 'secret')])
    assert 'leaked-from-the-node' in result['text']
    # ... and only that directory: ../ out of it is refused too
    src = top(layout, 'lang en_US.UTF-8\n%include ../job/base.ks\n')
    err = prepare_watched(str(src), version='F41', include_path=[str(layout / 'secret')])[0]
    assert err.msg == refused(src, 2, '%include', '../job/base.ks',
                              '%s/ and %s/' % (layout / 'job' / 'ks', layout / 'secret'))


def test_includes_that_stay_inside_work(layout):
    src = top(layout, 'lang en_US.UTF-8\n%%include snippets/tz.ks\n%%include %s\n'
              % (layout / 'job' / 'ks' / 'base.ks'))
    result = ks.prepare(str(src), version='F41')
    assert result['sources'] == [str(src), str(layout / 'job' / 'ks' / 'snippets' / 'tz.ks'),
                                 str(layout / 'job' / 'ks' / 'base.ks'), str(layout / 'job' / 'ks' / 'base.ks')]
    assert 'timezone UTC' in result['text'] and 'keyboard' in result['text']
    (layout / 'job' / 'ks' / 'snippets' / 'net.ks').write_text('network --hostname=confined.example.org\n')
    src = top(layout, '%ksappend snippets/net.ks\nlang en_US.UTF-8\n')
    assert 'confined.example.org' in ks.prepare(str(src), version='F41')['text']


# --- over HTTP ---------------------------------------------------------------------------------
@pytest.fixture
def web(layout, file_server):
    """An HTTP server whose root holds ks/ (the kickstart's directory) and private/ beside it."""
    root = layout / 'web'
    (root / 'ks' / 'snippets').mkdir(parents=True)
    (root / 'private').mkdir()
    (root / 'private' / 'other.ks').write_text(SECRET)
    (root / 'ks' / 'base.ks').write_text('lang en_US.UTF-8\nkeyboard us\n')
    (root / 'ks' / 'snippets' / 'tz.ks').write_text('timezone UTC\n%include ../base.ks\n')
    return root, file_server(root)


@pytest.mark.parametrize('directive', ['%include', '%ksappend'])
@pytest.mark.parametrize('how', ['node-absolute', 'node-etc', 'dotdot', 'encoded-dotdot', 'other-dir', 'other-host'])
def test_http_source_cannot_leave_its_directory(layout, web, directive, how):
    root, http = web
    name = {'node-absolute': str(layout / 'secret' / 'shadow.ks'), 'node-etc': '/etc/passwd',
            'dotdot': '../private/other.ks', 'encoded-dotdot': '%2e%2e/private/other.ks',
            'other-dir': http.url_for('private/other.ks'),
            'other-host': http.url_for('ks/base.ks').replace('127.0.0.1', 'localhost')}[how]
    (root / 'ks' / 'top.ks').write_text('lang en_US.UTF-8\n%s %s\n' % (directive, name))
    src = http.url_for('ks/top.ks')
    outcome, opened = prepare_watched(src, version='F41')
    assert isinstance(outcome, FedoraBuildError), 'the include was read: %r' % outcome
    assert outcome.msg == refused(src, 2, directive, name, '%s/' % http.url_for('ks'))
    assert [path for _method, path, _headers in http.requests] == ['/ks/top.ks']    # only the top kickstart
    assert [p for p in opened if 'secret' in p or p.startswith('/etc/passwd')] == []


def test_http_includes_that_stay_inside_work(web):
    root, http = web
    (root / 'ks' / 'top.ks').write_text('%ksappend base.ks\n%include snippets/tz.ks\n%include ' +
                                        http.url_for('ks/base.ks') + '\n')
    result = ks.prepare(http.url_for('ks/top.ks'), version='F41')
    assert result['sources'] == [http.url_for(n) for n in ('ks/top.ks', 'ks/base.ks', 'ks/snippets/tz.ks',
                                                           'ks/base.ks', 'ks/base.ks')]
    assert 'timezone UTC' in result['text']


# --- credentials in the kickstart URL ----------------------------------------------------------
PASSWORD = 'Pw-4711-never-shown'


def test_credentials_are_sent_as_basic_auth_and_never_shown(web):
    root, http = web
    (root / 'ks' / 'top.ks').write_text('lang en_US.UTF-8\n%include snippets/tz.ks\n')
    src = http.url_for('ks/top.ks').replace('http://', 'http://builder:%s@' % PASSWORD)
    result = ks.prepare(src, version='F41')
    assert result['sources'][0] == http.url_for('ks/top.ks')
    assert PASSWORD not in json.dumps(result)
    expected = 'Basic ' + base64.b64encode(('builder:' + PASSWORD).encode()).decode()
    # every request of the kickstart's own source carries the credentials, in the header only
    assert [(p, h.get('Authorization')) for _m, p, h in http.requests] == [
        ('/ks/top.ks', expected), ('/ks/snippets/tz.ks', expected), ('/ks/base.ks', expected)]


@pytest.mark.parametrize('case', ['ok', 'missing-include', 'refused-include', 'not-found', 'refused-connection'])
def test_credentials_never_reach_results_or_vvv_output(tmp_path, web, case):
    root, http = web
    (root / 'ks' / 'top.ks').write_text('lang en_US.UTF-8\n%include snippets/tz.ks\n')
    (root / 'ks' / 'missing.ks').write_text('lang en_US.UTF-8\n%include nope.ks\n')
    (root / 'ks' / 'out.ks').write_text('lang en_US.UTF-8\n%include ../private/other.ks\n')
    name = {'ok': 'top.ks', 'missing-include': 'missing.ks', 'refused-include': 'out.ks', 'not-found': 'gone.ks',
            'refused-connection': 'top.ks'}[case]
    src = http.url_for('ks/' + name).replace('http://', 'http://builder:%s@' % PASSWORD)
    if case == 'refused-connection':
        http.stop()
    dest = tmp_path / 'final.ks'
    play = {'name': 'kickstart', 'hosts': 'localhost', 'gather_facts': False,
            'tasks': [{'name': 'module', 'ondemand.fedora_build.kickstart': {
                'src': src, 'dest': str(dest), 'version': 'F41', 'timeout': 5}}]}
    run = run_playbook([play], verbosity=3)
    res = run.result('module')
    if case == 'ok':
        assert run.status('module') == 'changed', run.describe()
        assert res['sources'][0] == http.url_for('ks/top.ks')
    else:
        assert run.status('module') == 'failed', run.describe()
        assert res['msg'].count('\n') == 0 and 'Traceback' not in run.stdout + run.stderr
    assert 'invocation' in res              # -vvv echoes the module arguments: the password is masked there
    assert PASSWORD not in run.stdout + run.stderr, run.describe()
    assert PASSWORD not in json.dumps(res)
    if dest.exists():
        assert PASSWORD not in dest.read_text()
