# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading the status store: status records (docs/pipeline.md) and the CLI's runs.

Layout under the status dir::

    <request_id>.json        status record, written by the playbooks (build_status module)
    runs/<run_id>/run.json   what `submit` started: request IDs, requests, inventory, playbook
    runs/<run_id>/worker.json  the runner process: pid, runner status, rc (written by that process)
    runs/<run_id>/cancel.json  a cancel request and what it did
    runs/<run_id>/artifacts/main/  ansible-runner's stdout and job_events/

This module only reads; it never changes a record.
"""

import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit, unquote

from .errors import CLIError, INFRA, NOT_FOUND
from .safe import ID_FORMAT, REQUEST_ID, check_id, inside

FINAL_STATES = ('succeeded', 'failed', 'cancelled')
RUNNER_FINAL = ('successful', 'failed', 'canceled', 'timeout', 'error')
RUNS = 'runs'
IDENT = 'main'


def load_json(path):
    """A JSON file as a dict; None when it does not exist; CLIError when it is not JSON."""
    try:
        with open(path, encoding='utf-8') as handle:
            data = json.load(handle)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise CLIError('%s: cannot read it as JSON (%s).' % (path, exc), INFRA)
    if not isinstance(data, dict):
        raise CLIError('%s: expected a JSON object.' % path, INFRA)
    return data


def parse_time(value):
    if not value:
        return None
    try:
        stamp = datetime.fromisoformat(str(value).replace('Z', '+00:00'))
    except ValueError:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=timezone.utc)
    return stamp.timestamp()


def now_iso():
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def pid_alive(pid, marker='fedora_build_cli'):
    """True when ``pid`` runs and (where /proc tells) is one of our runner processes."""
    if not pid:
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open('/proc/%d/cmdline' % int(pid), 'rb') as handle:
            cmdline = handle.read().replace(b'\0', b' ').decode('utf-8', 'replace')
        with open('/proc/%d/stat' % int(pid), 'rb') as handle:
            if handle.read().rsplit(b')', 1)[-1].split()[0] == b'Z':
                return False
    except OSError:
        return True
    # an empty command line: a process in the middle of exec (or a kernel thread); cannot tell, assume it is ours
    return marker in cmdline if marker and cmdline.strip() else True


def _ids(values):
    """The request IDs of a list, only those of the rq-<12 hex> form (they name files)."""
    return [v for v in values or [] if isinstance(v, str) and REQUEST_ID.match(v)]


class Run:
    """One `submit`: an ansible-runner private data dir under <status_dir>/runs/."""

    def __init__(self, path):
        self.path = Path(path)
        self.run_id = self.path.name
        self.info = load_json(self.path / 'run.json') or {}
        self.worker = load_json(self.path / 'worker.json') or {}
        self.cancel = load_json(self.path / 'cancel.json')

    @property
    def submitted_ids(self):
        """The request IDs `submit` computed and printed."""
        return _ids(self.info.get('request_ids'))

    @property
    def request_ids(self):
        """The request IDs the playbook computed (build_request), once known; until then the submitted ones.

        They differ only when the playbook normalizes with other service defaults than the CLI
        (e.g. an inventory's fedora_build_koji); the playbook's IDs name the status records.
        """
        played = load_json(self.path / 'request_ids.json')
        if played and played.get('request_ids'):
            return _ids(played['request_ids'])
        return self.submitted_ids

    @property
    def artifacts(self):
        return self.path / 'artifacts' / IDENT

    @property
    def created(self):
        return self.info.get('created')

    @property
    def runner_status(self):
        return self.worker.get('status') or 'starting'

    @property
    def finished(self):
        """The runner ended (or its process is gone)."""
        if self.worker.get('status') in RUNNER_FINAL:
            return True
        if self.worker.get('pid') and not pid_alive(self.worker['pid']):
            return True
        if not self.worker and self.info.get('created'):
            # never reported: the worker failed to start at all (give it a minute)
            started = parse_time(self.info['created']) or time.time()
            return time.time() - started > 60 and not pid_alive(self.info.get('worker_pid'))
        return False

    @property
    def pid(self):
        return self.worker.get('pid') or self.info.get('worker_pid')

    def request(self, request_id):
        reqs = self.info.get('requests') or []
        for req in reqs:
            if req.get('request_id') == request_id:
                return req
        ids = self.request_ids
        if request_id in ids and len(ids) == len(reqs):  # same request, ID computed by the playbook
            return reqs[ids.index(request_id)]
        return None

    def summary(self):
        return {'run_id': self.run_id, 'path': str(self.path), 'request_ids': self.request_ids,
                'created': self.created, 'runner_status': self.runner_status, 'rc': self.worker.get('rc'),
                'pid': self.pid, 'finished': self.finished, 'cancel': self.cancel}


class Store:
    """The status dir."""

    def __init__(self, status_dir):
        self.dir = Path(status_dir)
        self.runs_dir = self.dir / RUNS

    def record(self, request_id):
        """The status record of a request ID; None when there is none (or the ID is not one, or it is a link)."""
        if not isinstance(request_id, str) or not REQUEST_ID.match(request_id):
            return None
        path = self.dir / ('%s.json' % request_id)
        return None if path.is_symlink() else load_json(path)

    def records(self):
        out = []
        if self.dir.is_dir():
            for path in sorted(self.dir.glob('rq-*.json')):
                if path.is_symlink() or not REQUEST_ID.match(path.name[:-5]):
                    continue  # the playbooks write plain files named after the request ID, nothing else
                rec = load_json(path)
                if rec:
                    out.append(rec)
        return out

    def runs(self):
        """Every run, newest first."""
        if not self.runs_dir.is_dir():
            return []
        runs = [Run(p) for p in self.runs_dir.iterdir() if self._own(p)]
        runs.sort(key=lambda r: (r.created or '', r.run_id), reverse=True)
        return runs

    def _own(self, path):
        """A run dir this CLI made: a real directory (not a link) inside runs/, holding run.json."""
        return (not path.is_symlink() and path.is_dir() and inside(path, self.runs_dir)
                and not (path / 'run.json').is_symlink() and (path / 'run.json').is_file())

    def run(self, run_id):
        check_id(run_id)
        path = self.runs_dir / run_id
        if path.is_symlink() or (path.exists() and not inside(path, self.runs_dir)):
            raise CLIError('ID %s: %s is a link or lies outside the runs directory %s; refused.'
                           % (run_id, path, self.runs_dir), NOT_FOUND)
        return Run(path) if self._own(path) else None

    def run_for(self, request_id, runs=None):
        for run in runs if runs is not None else self.runs():
            if request_id in run.request_ids:
                return run
        return None

    def builds(self):
        """Every known build (a status record, or a submitted request without one yet), newest first."""
        runs = self.runs()
        seen = {}
        for rec in self.records():
            rid = rec.get('request_id')
            if isinstance(rid, str) and REQUEST_ID.match(rid):
                seen[rid] = Build(rid, rec, self.run_for(rid, runs))
        for run in runs:
            for rid in run.request_ids:
                if rid not in seen:
                    seen[rid] = Build(rid, None, run)
        builds = list(seen.values())
        builds.sort(key=lambda b: b.sort_key(), reverse=True)
        return builds

    def resolve(self, ident):
        """The builds an ID names: a request ID, a build ID, a run ID, or a unique prefix of one."""
        ident = (ident or '').strip()
        if not ident:
            raise CLIError('ID: give a request ID (rq-...), a build ID or a run ID.', NOT_FOUND)
        check_id(ident)
        run = self.run(ident) if ident.startswith('run-') else None
        if run:
            return [Build(rid, self.record(rid), run) for rid in run.request_ids]
        builds = self.builds()
        exact = [b for b in builds if ident in (b.request_id, b.build_id)]
        if exact:
            return exact[:1] if ident.startswith('rq-') else exact
        for run in self.runs():  # an ID submit printed that the playbook computed differently
            submitted, played = run.submitted_ids, run.request_ids
            if ident in submitted and submitted != played and len(submitted) == len(played):
                rid = played[submitted.index(ident)]
                return [Build(rid, self.record(rid), run)]
        if len(ident) >= 6:
            prefix = [b for b in builds if (b.request_id or '').startswith(ident) or (b.build_id or '').startswith(ident)]
            if len(prefix) == 1:
                return prefix
            if len(prefix) > 1:
                raise CLIError('ID %s: matches %d builds (%s); give more of it.'
                               % (ident, len(prefix), ', '.join(b.request_id for b in prefix[:5])), NOT_FOUND)
        raise CLIError('ID %s: no build, request or run with that ID in %s.' % (ident, self.dir), NOT_FOUND)


class Build:
    """A request's status record joined with the run that carries it."""

    def __init__(self, request_id, record, run):
        self.request_id = request_id
        self.record = record or {}
        self.run = run

    @property
    def build_id(self):
        return self.record.get('build_id')

    @property
    def request(self):
        return (self.run.request(self.request_id) if self.run else None) or {}

    def field(self, name):
        value = self.record.get(name)
        if value in (None, ''):
            value = self.request.get(name)
        return value

    @property
    def state(self):
        """The record's state; `submitted` before the first record; `failed` when the runner died under it."""
        state = self.record.get('state')
        if state in FINAL_STATES:
            return state
        if self.run and self.run.finished:
            return 'cancelled' if self.run.cancel else 'failed'
        return state or 'submitted'

    @property
    def phase(self):
        return self.record.get('phase') or ('starting' if not self.record else None)

    @property
    def reason(self):
        reason = self.record.get('reason')
        state = self.record.get('state')
        if state not in FINAL_STATES and self.run and self.run.finished:
            ended = 'the runner ended (%s, rc %s)' % (self.run.runner_status, self.run.worker.get('rc'))
            if self.run.cancel:
                return 'cancel requested; %s before the build finished' % ended
            return '%s before the build %s' % (ended, 'finished' if state else 'wrote a status record (see fedora-build logs)')
        return reason

    @property
    def submitted(self):
        return self.record.get('submitted') or (self.run.created if self.run else None)

    def sort_key(self):
        return self.record.get('updated') or self.submitted or ''

    @property
    def age(self):
        stamp = parse_time(self.submitted)
        return None if stamp is None else max(0, int(time.time() - stamp))

    @property
    def size(self):
        sizes = [a.get('size') for a in self.record.get('artifacts') or [] if isinstance(a.get('size'), int)]
        return sum(sizes) if sizes else None

    def staged_dirs(self, store_dir):
        """Where this build's staged directory may be on a local filesystem, best guess first."""
        out = []
        for url in self.record.get('staging') or []:
            parts = urlsplit(str(url))
            if parts.scheme == 'file':
                out.append(Path(unquote(parts.path)))
        bid = self.build_id
        if isinstance(bid, str) and ID_FORMAT.match(bid) and '..' not in bid:  # a name, never a path
            for target in self.request.get('staging') or []:
                if isinstance(target, dict) and target.get('type', 'local') == 'local' and target.get('path'):
                    out.append(Path(target['path']) / bid)
            out.append(Path(store_dir).parent / bid)
        seen, unique = set(), []
        for path in out:
            if str(path) not in seen:
                seen.add(str(path))
                unique.append(path)
        return unique

    def view(self):
        """A flat dict for --json and the tables."""
        out = dict(self.record)
        out.update({
            'request_id': self.request_id, 'build_id': self.build_id, 'state': self.state, 'phase': self.phase,
            'reason': self.reason, 'image_type': self.field('image_type'), 'release': self.field('release'),
            'arch': self.field('arch'), 'name': self.field('name'), 'submitted': self.submitted,
            'age_seconds': self.age, 'size': self.size, 'record_state': self.record.get('state'),
            'run': self.run.summary() if self.run else None,
        })
        if out.get('release') is not None:
            out['release'] = str(out['release'])
        return out
