# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only callback: write every task result of a run to a JSON file.

Enabled by tests/support/ansible_run.py with ANSIBLE_CALLBACK_PLUGINS pointing
at this directory, ANSIBLE_CALLBACKS_ENABLED=fb_results and FB_RESULTS_FILE set
to the output path. The normal stdout callback keeps printing for humans.
"""

from __future__ import annotations

import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: fb_results
type: aggregate
short_description: Write task results as JSON for the test helpers
description:
  - Writes every task result and the play stats as JSON to the file named by E(FB_RESULTS_FILE) when the run ends.
options: {}
"""


def _plain(data):
    """Round-trip through JSON so the file holds only plain types."""
    return json.loads(json.dumps(data, default=str, ensure_ascii=False))


class CallbackModule(CallbackBase):
    """Collect task results and write them at the end of the run."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'fb_results'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._results = []
        self._play = None
        self._path = os.environ.get('FB_RESULTS_FILE')

    def v2_playbook_on_play_start(self, play):
        self._play = play.get_name()

    def _add(self, result, status):
        data = getattr(result, 'result', None)
        if data is None:
            data = result._result  # pylint: disable=protected-access
        task = result.task
        self._results.append({
            'play': self._play,
            'host': result.host.get_name(),
            'task': task.get_name(),
            'action': task.action,
            'status': status,
            'result': _plain(dict(data)),
        })

    def v2_runner_on_ok(self, result):
        data = getattr(result, 'result', None) or {}
        self._add(result, 'changed' if data.get('changed') else 'ok')

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._add(result, 'ignored' if ignore_errors else 'failed')

    def v2_runner_on_skipped(self, result):
        self._add(result, 'skipped')

    def v2_runner_on_unreachable(self, result):
        self._add(result, 'unreachable')

    def v2_playbook_on_stats(self, stats):
        if not self._path:
            return
        summary = {host: stats.summarize(host) for host in sorted(stats.processed)}
        tmp = '%s.tmp' % self._path
        with open(tmp, 'w', encoding='utf-8') as handle:
            json.dump({'results': self._results, 'stats': _plain(summary),
                       'custom': _plain(getattr(stats, 'custom', {}) or {})}, handle, indent=1, default=str)
        os.replace(tmp, self._path)
