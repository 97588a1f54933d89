# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""fedora-build: command line and dispatch (docs/cli.md)."""

import argparse
import os
import sys

import yaml

from . import __version__, display, errors, import_conf, inventory_settings, logs, requests_io, runner, safe, secrets_channel, watch
from .errors import CLIError
from .project import Project, status_dir as resolve_status_dir
from .status import FINAL_STATES, Store, now_iso

EPILOG = 'exit codes:\n' + '\n'.join('  %-4d %s' % pair for pair in errors.EXIT_CODES) + '''

status dir: --status-dir, else $FEDORA_BUILD_STATUS_DIR, else <checkout>/staging/status.
The checkout (playbooks, ansible.cfg) is the one this package is installed from, else
$FEDORA_BUILD_PROJECT, else the current directory or a parent. Reference: docs/cli.md.'''


def build_parser():
    parser = argparse.ArgumentParser(prog='fedora-build', formatter_class=argparse.RawDescriptionHelpFormatter,
                                     description='Submit, watch and manage ondemand.fedora_build image builds.',
                                     epilog=EPILOG)
    parser.add_argument('--version', action='version', version='%(prog)s ' + __version__)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument('--json', action='store_true', default=argparse.SUPPRESS,
                        help='machine-readable JSON on stdout (errors too, as {"error": ..., "exit_code": ...})')
    common.add_argument('--status-dir', metavar='DIR', default=argparse.SUPPRESS,
                        help='status records and runs (default: $FEDORA_BUILD_STATUS_DIR or <checkout>/staging/status)')
    parser.add_argument('--json', action='store_true', default=False, help=argparse.SUPPRESS)
    parser.add_argument('--status-dir', metavar='DIR', default=None, help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest='command', metavar='COMMAND')
    sub.required = True

    def cmd(name, help_text):
        return sub.add_parser(name, parents=[common], help=help_text, description=help_text, epilog=EPILOG,
                              formatter_class=argparse.RawDescriptionHelpFormatter)

    p = cmd('submit', 'validate a request file and start playbooks/build.yml through ansible-runner')
    p.add_argument('request', metavar='REQUEST.yml')
    p.add_argument('--wait', action='store_true', help='show each build\'s phase until the run ends; exit 1 if a build failed')
    p.add_argument('--inventory', '-i', metavar='INV',
                   help='inventory (default: the one ansible.cfg names); its service settings take part in validation')
    p.add_argument('--extra-vars', '-e', metavar='K=V|@FILE', action='append', default=[],
                   help='extra variable for the playbook (repeatable); wins over the inventory')

    p = cmd('status', 'show one build (request ID, build ID or run ID; unique prefix accepted) or all builds')
    p.add_argument('id', metavar='ID', nargs='?')

    p = cmd('list', 'recent builds: state, image type, release, arch, age, size')
    p.add_argument('--limit', '-n', type=int, default=20, metavar='N', help='at most N builds (default 20, 0 = all)')
    p.add_argument('--state', choices=('submitted', 'queued', 'running') + FINAL_STATES, help='only builds in this state')

    p = cmd('logs', 'staged logs of a finished build; the runner output (ansible-playbook) of a running one')
    p.add_argument('id', metavar='ID')
    p.add_argument('--follow', '-f', action='store_true',
                   help='keep printing the runner output as it grows until the run ends')

    p = cmd('cancel', 'stop the run that carries a build (SIGINT, then SIGTERM), then run playbooks/cancel.yml')
    p.add_argument('id', metavar='ID')
    p.add_argument('--grace', type=float, default=None, metavar='SECONDS',
                   help='time ansible-playbook gets after SIGINT before SIGTERM (default $FEDORA_BUILD_CANCEL_GRACE or 15)')
    p.add_argument('--inventory', '-i', metavar='INV',
                   help='the inventory that holds the build node (default: the one the run was submitted with, '
                        'else the one ansible.cfg names); needed for a build this CLI did not start')
    p.add_argument('--extra-vars', '-e', metavar='K=V|@FILE', action='append', default=[],
                   help='service settings as submit got them, e.g. the node directories (fedora_build_lock_dir, '
                        'fedora_build_work_dir) when they are not in the inventory (repeatable)')

    p = cmd('validate', 'check a request file; print every problem at once')
    p.add_argument('request', metavar='REQUEST.yml')
    p.add_argument('--inventory', '-i', metavar='INV',
                   help='read the service settings (e.g. the named destinations) from this inventory, as submit '
                        'would run with it (default: the one ansible.cfg names)')
    p.add_argument('--extra-vars', '-e', metavar='K=V|@FILE', action='append', default=[],
                   help='service settings as submit would pass them; win over the inventory (repeatable)')

    p = cmd('import-conf', 'convert a 2012 imagebuild.conf into a request file')
    p.add_argument('conf', metavar='imagebuild.conf')
    p.add_argument('--output', '-o', metavar='FILE', help='write the request YAML here (default: stdout)')
    p.add_argument('--arch', metavar='ARCH', help='build this arch instead of the conf\'s (default: the conf\'s; '
                   'i686 becomes x86_64); repository URLs naming the old arch are rewritten')
    return parser


class Context:
    def __init__(self, args, stdout=None, stderr=None):
        self.args = args
        self.json = bool(getattr(args, 'json', False))
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self._project = None
        self._status_dir = None

    @property
    def project(self):
        if self._project is None:
            self._project = Project.find()
        return self._project

    @property
    def status_dir(self):
        if self._status_dir is None:
            option = getattr(self.args, 'status_dir', None)
            if option or os.environ.get('FEDORA_BUILD_STATUS_DIR'):
                self._status_dir = resolve_status_dir(option, None)
            else:
                self._status_dir = resolve_status_dir(None, self.project)
        return self._status_dir

    @property
    def store(self):
        return Store(self.status_dir)

    def out(self, text=''):
        """One line on stdout; escaped (safe.escape): it may hold a reason or ID a build wrote."""
        self.stdout.write(safe.escape(text) + '\n')

    def warn(self, text):
        self.stderr.write(safe.escape(text) + '\n')


def parse_extra_vars(items):
    out = {}
    for item in items:
        if item.startswith('@'):
            try:
                with open(item[1:], encoding='utf-8') as handle:
                    data = safe.load_yaml(handle.read(), '-e ' + item)
            except FileNotFoundError:
                raise CLIError('-e %s: no such file.' % item, errors.NOT_FOUND)
            except (OSError, yaml.YAMLError) as exc:
                raise CLIError('-e %s: cannot read it as YAML (%s).' % (item, exc), errors.FAILED)
            if not isinstance(data, dict):
                raise CLIError('-e %s: the file must hold a mapping of variables.' % item, errors.FAILED)
            out.update(data)
        elif '=' in item and item.split('=', 1)[0].strip():
            key, value = item.split('=', 1)
            out[key.strip()] = value
        else:
            raise CLIError('-e %r: use KEY=VALUE or @FILE.' % item, errors.USAGE)
    return out


def resolve_inventory(ctx):
    """--inventory (must exist; made absolute), else the one the checkout's ansible.cfg names (or None)."""
    inventory = getattr(ctx.args, 'inventory', None)
    if inventory:
        if not os.path.exists(inventory):
            raise CLIError('--inventory %s: no such file or directory.' % inventory, errors.NOT_FOUND)
        return os.path.abspath(inventory)
    return ctx.project.default_inventory()


def service_defaults(ctx, inventory, extra):
    """The validation defaults: the operator's settings from the inventory (localhost, as build.yml reads
    them), -e over them; notes about what was not read or decrypted go to stderr."""
    settings = inventory_settings.read(ctx.project, inventory, extra)
    for note in settings.notes():
        ctx.warn('note: %s' % note)
    return requests_io.service_defaults(ctx.status_dir, extra, settings.values)


# --------------------------------------------------------------------------- commands

def cmd_validate(ctx):
    raw = requests_io.load(ctx.args.request)
    extra = parse_extra_vars(ctx.args.extra_vars)
    inventory = resolve_inventory(ctx)
    normalized, problems = requests_io.validate(ctx.project, raw, defaults=service_defaults(ctx, inventory, extra))
    if ctx.json:
        display.emit_json({'valid': not problems, 'problems': problems,
                           'requests': [requests_io.summary(r) for r in normalized] if not problems else []}, ctx.stdout)
    elif problems:
        display.problems(problems, ctx.stderr)
        ctx.warn('%s: %d problem%s.' % (ctx.args.request, len(problems), '' if len(problems) == 1 else 's'))
    else:
        for req in normalized:
            ctx.out('ok  %(request_id)s  %(image_type)s %(release)s %(arch)s  %(name)s' % _fmt(requests_io.summary(req)))
    return errors.FAILED if problems else errors.OK


def _fmt(summary):
    return dict((k, '-' if v is None else v) for k, v in summary.items())


def cmd_submit(ctx):
    args = ctx.args
    raw = requests_io.load(args.request)
    extra = parse_extra_vars(args.extra_vars)
    inventory = resolve_inventory(ctx)
    normalized, problems = requests_io.validate(ctx.project, raw, defaults=service_defaults(ctx, inventory, extra))
    if problems:
        if ctx.json:
            display.emit_json({'submitted': False, 'problems': problems}, ctx.stdout)
        else:
            display.problems(problems, ctx.stderr)
            ctx.warn('%s: not submitted, %d problem%s.' % (args.request, len(problems), '' if len(problems) == 1 else 's'))
        return errors.FAILED
    # an omitted arch is made explicit: the playbook would default it to its first reachable node's arch,
    # and the request ID (and record name) must be the one printed here
    submitted = [dict(req, arch=norm['arch']) if isinstance(req, dict) and req.get('arch') is None else req
                 for req, norm in zip(raw, normalized)]
    extravars = {'fedora_build_requests': submitted, 'fedora_build_status_dir': ctx.status_dir}
    extravars.update(extra)
    ids = [r['request_id'] for r in normalized]
    run = runner.start(ctx.project, ctx.status_dir, ctx.project.playbook('build.yml'), inventory, extravars, ids, normalized)
    if not args.wait:
        if ctx.json:
            display.emit_json({'submitted': True, 'run_id': run.run_id, 'run_dir': str(run.path),
                               'requests': [requests_io.summary(r) for r in normalized]}, ctx.stdout)
        else:
            for req in normalized:
                ctx.out('%(request_id)s  %(image_type)s %(release)s %(arch)s  %(name)s' % _fmt(requests_io.summary(req)))
            ctx.warn('submitted as %s; follow with: fedora-build status %s' % (run.run_id, ids[0] if len(ids) == 1 else run.run_id))
        return errors.OK
    if not ctx.json:
        for req in normalized:
            ctx.out('%(request_id)s  %(image_type)s %(release)s %(arch)s  %(name)s' % _fmt(requests_io.summary(req)))
        ctx.stdout.flush()
    try:
        views, run, events = watch.watch(ctx.store, run, ids, stream=ctx.stdout, quiet=ctx.json)
    except KeyboardInterrupt:
        ctx.warn('stopped watching; the build keeps running (fedora-build status %s, fedora-build cancel %s).'
                 % (run.run_id, run.run_id))
        return errors.INTERRUPTED
    code = _run_exit_code(views, run)
    if ctx.json:
        display.emit_json({'submitted': True, 'run_id': run.run_id, 'runner_status': run.runner_status,
                           'rc': run.worker.get('rc'), 'failures': events.failures, 'builds': views,
                           'exit_code': code}, ctx.stdout)
    else:
        display.table(views, display.STATUS_COLUMNS, ctx.stdout)
        for view in views:
            if view['state'] != 'succeeded' and view.get('reason'):
                ctx.warn('%s %s: %s' % (view['request_id'], view['state'], view['reason']))
        if code == errors.INFRA:
            ctx.warn('run %s: the runner ended %s (rc %s) without a failed build; see fedora-build logs %s.'
                     % (run.run_id, run.runner_status, run.worker.get('rc'), run.run_id))
    return code


def _run_exit_code(views, run):
    """0 all succeeded; 1 a build failed or was cancelled (its record says so); 4 the run broke otherwise."""
    if views and all(v['state'] == 'succeeded' for v in views) and run.runner_status == 'successful':
        return errors.OK
    if run.cancel or any(v.get('record_state') in ('failed', 'cancelled') for v in views):
        return errors.FAILED
    return errors.INFRA


def cmd_status(ctx):
    store = ctx.store
    builds = store.resolve(ctx.args.id) if ctx.args.id else store.builds()
    views = [b.view() for b in builds]
    if ctx.json:
        display.emit_json(views[0] if ctx.args.id and len(views) == 1 else views, ctx.stdout)
    elif ctx.args.id and len(views) == 1:
        display.details(views[0], ctx.stdout)
    elif views:
        display.table(views, display.STATUS_COLUMNS, ctx.stdout)
    else:
        ctx.warn('no builds in %s' % store.dir)
    return errors.OK


def cmd_list(ctx):
    views = [b.view() for b in ctx.store.builds()]
    if ctx.args.state:
        views = [v for v in views if v['state'] == ctx.args.state]
    if ctx.args.limit and ctx.args.limit > 0:
        views = views[:ctx.args.limit]
    if ctx.json:
        display.emit_json(views, ctx.stdout)
    elif views:
        display.table(views, display.LIST_COLUMNS, ctx.stdout)
    else:
        ctx.warn('no builds in %s' % ctx.status_dir)
    return errors.OK


def cmd_logs(ctx):
    builds = ctx.store.resolve(ctx.args.id)
    build = builds[0]
    try:
        what = logs.plan(build, ctx.status_dir)
    except CLIError:
        if not (ctx.args.follow and build.run is not None and not build.run.finished):
            raise
        what = logs.wait_for_runner_output(build, ctx.status_dir)
    what['request_id'] = build.request_id
    what['build_id'] = build.build_id
    if ctx.json:
        display.emit_json(what, ctx.stdout)
        return errors.OK
    try:
        if what['source'] == 'staged':
            logs.show_staged(what['files'], ctx.stdout)
        elif ctx.args.follow:
            logs.follow(what['path'], build.run, ctx.stdout)
            fresh = type(build)(build.request_id, ctx.store.record(build.request_id), build.run)
            dummy, files = logs.staged_logs(fresh, ctx.status_dir)
            if files:
                ctx.warn('staged logs: %s' % files[0].parent)
        else:
            logs.show_file(what['path'], ctx.stdout)
    except KeyboardInterrupt:
        return errors.INTERRUPTED
    return errors.OK


def cmd_cancel(ctx):
    service = parse_extra_vars(ctx.args.extra_vars)  # a bad -e or --inventory is refused before anything is stopped
    # --inventory wins: a build started by ansible-playbook or AWX has no run here to say which inventory it used
    given_inventory = resolve_inventory(ctx) if ctx.args.inventory else None
    store = ctx.store
    builds = store.resolve(ctx.args.id)
    run = builds[0].run
    if run is not None:  # a run carries every request submitted with it
        builds = [type(builds[0])(rid, store.record(rid), run) for rid in run.request_ids]
    open_builds = [b for b in builds if b.record.get('state') not in FINAL_STATES]
    if not open_builds:
        states = sorted(set(b.state for b in builds))
        msg = '%s: already %s; nothing to cancel.' % (ctx.args.id, '/'.join(states))
        if states == ['cancelled']:
            if ctx.json:
                display.emit_json({'cancelled': [], 'message': msg}, ctx.stdout)
            else:
                ctx.out(msg)
            return errors.OK
        raise CLIError(msg, errors.FAILED)
    result = {'requested': now_iso(), 'by_pid': os.getpid(), 'id': ctx.args.id, 'signals': [], 'cleanup': {}}
    if run is not None:
        runner.atomic_json(run.path / 'cancel.json', result)
        result['signals'] = runner.stop(run, ctx.args.grace)
        secrets_channel.leftovers(run.path)  # a killed runner process may leave its (empty) FIFO
        runner.atomic_json(run.path / 'cancel.json', result)
        base = run.path
    else:
        ctx.warn('%s: no run of this CLI carries it (started elsewhere?); cleaning up and marking it cancelled only.'
                 % builds[0].request_id)
        base = store.runs_dir / ('cancel-%s' % builds[0].request_id)
        base.mkdir(parents=True, exist_ok=True, mode=0o700)
    playbook = ctx.project.playbook('cancel.yml')
    # --inventory first: a build started by ansible-playbook or AWX has no run here to say which inventory it used
    inventory = given_inventory or (run.info.get('inventory') if run else None) or ctx.project.default_inventory()
    code = errors.OK
    for build in open_builds:
        record = store.record(build.request_id) or {}
        if record.get('state') in FINAL_STATES:
            result['cleanup'][build.request_id] = {'skipped': 'already %s' % record['state']}
            continue
        # the service settings first (the run's -e are not kept: they may hold secrets), then what cancel fixes
        extravars = dict(service)
        extravars.update({'fedora_build_status_dir': ctx.status_dir,
                          'fedora_build_cancel': {'request_id': build.request_id, 'build_id': record.get('build_id'),
                                                  'node': record.get('node'),
                                                  'reason': 'cancelled with fedora-build cancel at %s'
                                                            % result['requested']}})
        done = runner.run_sync(ctx.project, base, 'cancel-%s' % build.request_id, playbook, inventory, extravars)
        result['cleanup'][build.request_id] = {'status': done.status, 'rc': done.rc}
        if done.status != 'successful':
            code = errors.INFRA
    if run is not None:
        runner.atomic_json(run.path / 'cancel.json', result)
    views = [b.view() for b in (store.resolve(build.request_id)[0] for build in builds)]
    if ctx.json:
        display.emit_json({'cancelled': [b.request_id for b in open_builds], 'result': result, 'builds': views,
                           'exit_code': code}, ctx.stdout)
    else:
        for view in views:
            ctx.out('%s  %s  %s' % (view['request_id'], view['state'], view.get('reason') or ''))
        for rid, res in result['cleanup'].items():
            if res.get('status') not in (None, 'successful'):
                ctx.warn('%s: cancel.yml ended %s (rc %s); see %s/artifacts/cancel-%s/stdout'
                         % (rid, res['status'], res['rc'], base, rid))
    return code


def cmd_import_conf(ctx):
    request, warnings = import_conf.convert_file(ctx.args.conf, ctx.args.arch)
    text = import_conf.to_yaml(request, os.path.basename(ctx.args.conf))
    problems = []
    try:
        # the 2012 file's staging target becomes the request's own: valid only where the operator allows
        # request-defined destinations (docs/security.md, "Trust model"), which the warning below says
        defaults = requests_io.service_defaults(ctx.status_dir, {'fedora_build_allow_request_destinations': True})
        dummy, problems = requests_io.validate(ctx.project, [request], defaults=defaults)
        if isinstance(request.get('staging'), list) and any(isinstance(t, dict) for t in request['staging']):
            warnings.append('staging: the converted target is the request\'s own; it is accepted only with '
                            'fedora_build_allow_request_destinations: true, else replace it by the name of a target '
                            'the operator defined in fedora_build_staging_targets.')
    except CLIError as exc:
        warnings.append('not validated: %s' % exc.msg)
    warnings.extend('the request needs editing: %s' % p for p in problems)
    if ctx.args.output:
        try:
            runner.atomic_write_text(ctx.args.output, text)
        except OSError as exc:
            raise CLIError('-o %s: cannot write it (%s).' % (ctx.args.output, exc.strerror or exc), errors.FAILED)
    if ctx.json:
        display.emit_json({'request': request, 'warnings': warnings, 'output': ctx.args.output}, ctx.stdout)
    elif not ctx.args.output:
        ctx.stdout.write(text)
    if not ctx.json:
        for line in warnings:
            ctx.warn('warning: %s' % line)
    return errors.OK


COMMANDS = {'submit': cmd_submit, 'status': cmd_status, 'list': cmd_list, 'logs': cmd_logs, 'cancel': cmd_cancel,
            'validate': cmd_validate, 'import-conf': cmd_import_conf}


def main(argv=None, stdout=None, stderr=None):
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else errors.USAGE
    ctx = Context(args, stdout, stderr)
    try:
        code = COMMANDS[args.command](ctx)
    except CLIError as exc:
        if ctx.json:
            data = dict(exc.details)
            data.update({'error': exc.msg, 'exit_code': exc.code})
            display.emit_json(data, ctx.stdout)
        if exc.details.get('problems'):
            display.problems(exc.details['problems'], ctx.stderr)
            count = len(exc.details['problems'])
            ctx.warn('fedora-build %s: %d problem%s.' % (args.command, count, '' if count == 1 else 's'))
        else:
            ctx.warn('fedora-build %s: %s' % (args.command, exc.msg))
        code = exc.code
    except KeyboardInterrupt:
        ctx.warn('fedora-build %s: interrupted.' % args.command)
        code = errors.INTERRUPTED
    ctx.stdout.flush()
    return code


def entry():
    sys.exit(main())


if __name__ == '__main__':
    entry()
