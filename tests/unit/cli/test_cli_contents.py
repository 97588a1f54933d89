# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""fedora-build status shows the content check: "N of M pinned builds verified in the image"."""

import io
import json

from fedora_build_cli import display, main as cli

CONTENTS = {'verified': 2, 'total': 3, 'counts': {'installed': 2, 'shadowed': 0, 'absent': 1}, 'source': 'rpmdb',
            'packages': 412, 'summary': '2 of 3 pinned builds verified in the image', 'absent': 'report'}


def record(status_dir, request_id, **fields):
    rec = {'request_id': request_id, 'build_id': 'live-41-x86_64-111111111111', 'state': 'succeeded', 'phase': 'done',
           'image_type': 'live', 'release': '41', 'arch': 'x86_64', 'name': 'live', 'node': 'n1',
           'submitted': '2026-12-03T05:00:00Z', 'updated': '2026-12-03T06:00:00Z', 'staging': [], 'artifacts': [],
           'history': []}
    rec.update(fields)
    status_dir.mkdir(parents=True, exist_ok=True)
    (status_dir / ('%s.json' % request_id)).write_text(json.dumps(rec))


def run_cli(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def test_status_of_one_build_says_how_many_pinned_builds_were_verified(tmp_path):
    status = tmp_path / 'status'
    record(status, 'rq-aaaaaaaaaaaa', contents=CONTENTS)
    code, out, dummy = run_cli('status', '--status-dir', str(status), 'rq-aaaaaaaaaaaa')
    assert code == 0
    assert 'contents:   2 of 3 pinned builds verified in the image (1 absent)\n' in out
    code, out, dummy = run_cli('status', '--status-dir', str(status))
    assert out.splitlines()[0].split()[-1] == 'PINNED' and out.splitlines()[1].split()[-1] == '2/3'


def test_a_build_before_the_check_or_with_a_bad_record_shows_nothing(tmp_path):
    status = tmp_path / 'status'
    record(status, 'rq-aaaaaaaaaaaa', state='running', phase='build')
    record(status, 'rq-bbbbbbbbbbbb', contents={'verified': '1; rm -rf /', 'total': 1})
    for rid in ('rq-aaaaaaaaaaaa', 'rq-bbbbbbbbbbbb'):
        code, out, dummy = run_cli('status', '--status-dir', str(status), rid)
        assert code == 0 and 'contents:' not in out
    assert display.contents_line({'verified': 0, 'total': 0}) == '0 of 0 pinned builds verified in the image'
    assert display.contents_line({'verified': 0, 'total': 1, 'counts': {'shadowed': 1}}) == (
        '0 of 1 pinned builds verified in the image (1 shadowed)')
