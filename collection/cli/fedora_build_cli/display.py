# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Output: JSON for scripts, a rich table on a terminal, plain aligned text otherwise."""

import json
import sys

from .safe import escape

try:
    import rich.console
    import rich.table
    import rich.text
    HAS_RICH = True
except ImportError:  # rich is optional
    HAS_RICH = False

LIST_COLUMNS = (('request_id', 'REQUEST'), ('build_id', 'BUILD'), ('state', 'STATE'), ('image_type', 'TYPE'),
                ('release', 'RELEASE'), ('arch', 'ARCH'), ('age', 'AGE'), ('size', 'SIZE'))
STATUS_COLUMNS = (('request_id', 'REQUEST'), ('build_id', 'BUILD'), ('state', 'STATE'), ('phase', 'PHASE'),
                  ('image_type', 'TYPE'), ('release', 'RELEASE'), ('arch', 'ARCH'), ('node', 'NODE'), ('age', 'AGE'),
                  ('pinned', 'PINNED'))


def use_rich(stream=None):
    stream = stream or sys.stdout
    return HAS_RICH and hasattr(stream, 'isatty') and stream.isatty()


def human_size(size):
    if size is None:
        return '-'
    value = float(size)
    for unit in ('B', 'KiB', 'MiB', 'GiB', 'TiB'):
        if value < 1024 or unit == 'TiB':
            return ('%d %s' % (value, unit)) if unit == 'B' else ('%.1f %s' % (value, unit))
        value /= 1024
    return str(size)


def human_age(seconds):
    if seconds is None:
        return '-'
    seconds = int(seconds)
    for unit, length in (('d', 86400), ('h', 3600), ('m', 60)):
        if seconds >= length:
            return '%d%s' % (seconds // length, unit)
    return '%ds' % seconds


def cell(view, key):
    """One table cell: a value from a record (a build wrote it), escaped (safe.escape)."""
    if key == 'age':
        return human_age(view.get('age_seconds'))
    if key == 'size':
        return human_size(view.get('size'))
    if key == 'pinned':  # verified/total pinned Koji builds (the content check)
        contents = view.get('contents')
        if not contents_line(contents):
            return '-'
        return '%d/%d' % (contents['verified'], contents['total'])
    value = view.get(key)
    return '-' if value in (None, '') else escape(value)


def text(value):
    """A rich Text (never parsed as rich markup) of an already escaped string."""
    return rich.text.Text(value)


def emit_json(data, stream=None):
    stream = stream or sys.stdout
    json.dump(data, stream, indent=2, sort_keys=True, default=str)
    stream.write('\n')


def table(views, columns, stream=None, title=None):
    """Rows of build views as a table (rich on a TTY, aligned text otherwise)."""
    stream = stream or sys.stdout
    rows = [[cell(v, key) for key, dummy in columns] for v in views]
    heads = [head for dummy, head in columns]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(heads)]
    console = rich.console.Console(file=stream) if use_rich(stream) else None
    # rich only when the whole table fits: a cropped ID is worse than plain text
    if console is not None and sum(widths) + 3 * len(widths) <= console.width:
        tab = rich.table.Table(title=text(escape(title)) if title else None, box=None, header_style='bold')
        for index, (key, head) in enumerate(columns):
            # IDs are for copying: never shortened with an ellipsis
            width = max([len(head)] + [len(r[index]) for r in rows]) if key in ('request_id', 'build_id') else None
            tab.add_column(head, min_width=width, overflow='fold')
        for row in rows:
            tab.add_row(*[text(c) for c in row])
        console.print(tab)
        return
    for row in [heads] + rows:
        stream.write('  '.join(c.ljust(w) for c, w in zip(row, widths)).rstrip() + '\n')


def contents_line(contents):
    """``N of M pinned builds verified in the image`` from a record's ``contents`` (the content check), or None."""
    if not isinstance(contents, dict):
        return None
    verified, total = contents.get('verified'), contents.get('total')
    if isinstance(verified, bool) or isinstance(total, bool) or not isinstance(verified, int) or not isinstance(total, int):
        return None
    line = '%d of %d pinned builds verified in the image' % (verified, total)
    counts = contents.get('counts') if isinstance(contents.get('counts'), dict) else {}
    more = ['%s %s' % (counts[k], k) for k in ('shadowed', 'absent') if isinstance(counts.get(k), int) and counts[k]]
    return line + (' (%s)' % ', '.join(more) if more else '')


def details(view, stream=None):
    """One build, field by field (status ID)."""
    stream = stream or sys.stdout
    keys = ('request_id', 'build_id', 'state', 'phase', 'reason', 'image_type', 'release', 'arch', 'name', 'node',
            'submitted', 'started', 'updated', 'finished')
    for key in keys:
        if view.get(key) not in (None, ''):
            stream.write('%-11s %s\n' % (key + ':', escape(view[key])))
    stream.write('%-11s %s\n' % ('age:', human_age(view.get('age_seconds'))))
    line = contents_line(view.get('contents'))
    if line:
        stream.write('%-11s %s\n' % ('contents:', escape(line)))
    for url in view.get('staging') or []:
        stream.write('%-11s %s\n' % ('staged:', escape(url)))
    for art in view.get('artifacts') or []:
        if isinstance(art, dict):
            stream.write('%-11s %s  %s  %s\n' % ('artifact:', escape(art.get('name')), human_size(art.get('size')),
                                                 escape(art.get('sha256', ''))))
    run = view.get('run')
    if run:
        line = 'run:        %s (runner %s, rc %s)' % (run['run_id'], run['runner_status'], run['rc'])
        stream.write(escape(line) + '\n')


MAX_LINE = 1000


def problems(lines, stream=None):
    """One line per problem, escaped, and cut at MAX_LINE characters."""
    stream = stream or sys.stderr
    for line in lines:
        line = escape(line)
        stream.write('%s\n' % (line if len(line) <= MAX_LINE else line[:MAX_LINE] + '... (cut)'))
