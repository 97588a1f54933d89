# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`submit --wait`: follow the status records and the runner's job events until the run ends."""

import json
import sys
import time

from . import display
from .status import Build, Run

try:
    import rich.console
    import rich.live
    import rich.table
except ImportError:  # rich is optional
    pass


class Events:
    """New ansible-runner job events of a run (artifacts/main/job_events/<counter>-<uuid>.json)."""

    def __init__(self, run):
        self.dir = run.artifacts / 'job_events'
        self.seen = set()
        self.task = None
        self.failures = []

    def poll(self):
        if not self.dir.is_dir():
            return []
        new = []
        for path in self.dir.glob('*.json'):
            if path.name in self.seen:
                continue
            try:
                event = json.loads(path.read_text(encoding='utf-8'))
            except (OSError, ValueError):
                continue  # still being written
            self.seen.add(path.name)
            new.append(event)
        new.sort(key=lambda e: e.get('counter', 0))
        for event in new:
            data = event.get('event_data') or {}
            if event.get('event') == 'playbook_on_task_start':
                self.task = data.get('task')
            elif event.get('event') in ('runner_on_failed', 'runner_on_unreachable') and not data.get('ignore_errors'):
                res = data.get('res') or {}
                self.failures.append('%s: task "%s" %s: %s' % (
                    data.get('host'), data.get('task'),
                    'unreachable' if event['event'] == 'runner_on_unreachable' else 'failed',
                    str(res.get('msg', '')).splitlines()[0] if res.get('msg') else ''))
        return new


def _views(store, run, request_ids):
    return [Build(rid, store.record(rid), run).view() for rid in request_ids]


def _rich_table(views, run, events):
    tab = rich.table.Table(box=None, header_style='bold', title='run %s  (runner: %s)' % (run.run_id, run.runner_status))
    for key, head in display.STATUS_COLUMNS[:4] + (('node', 'NODE'),):
        tab.add_column(head, min_width=27 if key == 'build_id' else 15 if key == 'request_id' else None, overflow='fold')
    for view in views:
        tab.add_row(*[display.cell(view, k) for k in ('request_id', 'build_id', 'state', 'phase', 'node')])
    if events.task:
        tab.caption = 'task: %s' % events.task
    return tab


def watch(store, run, request_ids, interval=1.0, stream=None, quiet=False):
    """Block until the run ends; return the final build views."""
    stream = stream or sys.stdout
    events = Events(run)
    live = None
    if not quiet and display.use_rich(stream):
        live = rich.live.Live(console=rich.console.Console(file=stream), refresh_per_second=4, transient=False)
        live.start()
    shown = {}
    reported = 0
    try:
        while True:
            run = Run(run.path)
            events.poll()
            if run.request_ids != list(request_ids):
                if not quiet:
                    sys.stderr.write('note: the playbook computed other request IDs (other service defaults): %s\n'
                                     % ', '.join('%s -> %s' % pair for pair in zip(request_ids, run.request_ids)))
                request_ids = run.request_ids
            views = _views(store, run, request_ids)
            if live is not None:
                live.update(_rich_table(views, run, events))
            elif not quiet:
                for view in views:
                    key = (view['state'], view['phase'], view.get('build_id'))
                    if shown.get(view['request_id']) != key:
                        shown[view['request_id']] = key
                        stream.write('%s  %s  %s  %s%s%s\n' % (
                            time.strftime('%H:%M:%S'), view['request_id'], view['state'], view['phase'] or '-',
                            ('  ' + view['build_id']) if view.get('build_id') else '',
                            ('  on ' + view['node']) if view.get('node') else ''))
                        stream.flush()
                for line in events.failures[reported:]:
                    stream.write('%s  %s\n' % (time.strftime('%H:%M:%S'), line))
                reported = len(events.failures)
            if run.finished:
                events.poll()
                return _views(store, run, request_ids), run, events
            time.sleep(interval)
    finally:
        if live is not None:
            live.stop()
