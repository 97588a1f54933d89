# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`submit --wait`: follow the status records and the runner's job events until the run ends."""

import calendar
import json
import sys
import time

from . import display
from .safe import escape
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
    tab = rich.table.Table(box=None, header_style='bold',
                           title=display.text(escape('run %s  (runner: %s)' % (run.run_id, run.runner_status))))
    for key, head in display.STATUS_COLUMNS[:4] + (('node', 'NODE'),):
        tab.add_column(head, min_width=27 if key == 'build_id' else 15 if key == 'request_id' else None, overflow='fold')
    for view in views:
        tab.add_row(*[display.text(display.cell(view, k)) for k in ('request_id', 'build_id', 'state', 'phase', 'node')])
    if events.task:
        tab.caption = display.text(escape('task: %s' % events.task))
    return tab


def _epoch(text):
    try:
        return calendar.timegm(time.strptime((text or '')[:19], '%Y-%m-%dT%H:%M:%S'))
    except ValueError:
        return None


def _clock(text):
    epoch = _epoch(text)
    return time.strftime('%H:%M:%S', time.localtime(epoch)) if epoch is not None else time.strftime('%H:%M:%S')


def _new_history(record, since, shown, request_id):
    """The record's history entries from this run (at or after ``since``) not printed yet."""
    fresh = [h for h in record.get('history') or [] if (_epoch(h.get('time')) or 0) >= int(since)]
    done = shown.get(request_id, 0)
    shown[request_id] = len(fresh)
    return fresh[done:]


def watch(store, run, request_ids, interval=1.0, stream=None, quiet=False):
    """Block until the run ends; return the final build views."""
    stream = stream or sys.stdout
    events = Events(run)
    live = None
    if not quiet and display.use_rich(stream):
        live = rich.live.Live(console=rich.console.Console(file=stream), refresh_per_second=4, transient=False)
        live.start()
    shown = {}
    since = time.time() - 1  # history entries of this run, not of earlier runs of the same request
    reported = 0
    try:
        while True:
            run = Run(run.path)
            events.poll()
            if run.request_ids != list(request_ids):
                if not quiet:
                    sys.stderr.write(escape('note: the playbook computed other request IDs (other service defaults): %s'
                                            % ', '.join('%s -> %s' % pair for pair in zip(request_ids, run.request_ids)))
                                     + '\n')
                request_ids = run.request_ids
            views = _views(store, run, request_ids)
            if live is not None:
                live.update(_rich_table(views, run, events))
            elif not quiet:
                for view in views:
                    # every phase change from the record's history, so none is missed between two polls
                    entries = _new_history(store.record(view['request_id']) or {}, since, shown, view['request_id'])
                    for entry in entries:
                        stream.write(escape('%s  %s  %s  %s%s%s' % (
                            _clock(entry.get('time')), view['request_id'], entry.get('state'), entry.get('phase') or '-',
                            ('  %s' % view['build_id']) if view.get('build_id') else '',
                            ('  on %s' % view['node']) if view.get('node') else '')) + '\n')
                    if entries:
                        stream.flush()
                for line in events.failures[reported:]:
                    stream.write('%s  %s\n' % (time.strftime('%H:%M:%S'), escape(line)))
                reported = len(events.failures)
            if run.finished:
                events.poll()
                return _views(store, run, request_ids), run, events
            time.sleep(interval)
    finally:
        if live is not None:
            live.stop()
