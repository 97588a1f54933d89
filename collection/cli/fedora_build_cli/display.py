# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Output: JSON for scripts, a rich table on a terminal, plain aligned text otherwise."""

import json
import sys

try:
    import rich.console
    import rich.table
    HAS_RICH = True
except ImportError:  # rich is optional
    HAS_RICH = False

LIST_COLUMNS = (('request_id', 'REQUEST'), ('build_id', 'BUILD'), ('state', 'STATE'), ('image_type', 'TYPE'),
                ('release', 'RELEASE'), ('arch', 'ARCH'), ('age', 'AGE'), ('size', 'SIZE'))
STATUS_COLUMNS = (('request_id', 'REQUEST'), ('build_id', 'BUILD'), ('state', 'STATE'), ('phase', 'PHASE'),
                  ('image_type', 'TYPE'), ('release', 'RELEASE'), ('arch', 'ARCH'), ('node', 'NODE'), ('age', 'AGE'))


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
    if key == 'age':
        return human_age(view.get('age_seconds'))
    if key == 'size':
        return human_size(view.get('size'))
    value = view.get(key)
    return '-' if value in (None, '') else str(value)


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
        tab = rich.table.Table(title=title, box=None, header_style='bold')
        for index, (key, head) in enumerate(columns):
            # IDs are for copying: never shortened with an ellipsis
            width = max([len(head)] + [len(r[index]) for r in rows]) if key in ('request_id', 'build_id') else None
            tab.add_column(head, min_width=width, overflow='fold')
        for row in rows:
            tab.add_row(*row)
        console.print(tab)
        return
    for row in [heads] + rows:
        stream.write('  '.join(c.ljust(w) for c, w in zip(row, widths)).rstrip() + '\n')


def details(view, stream=None):
    """One build, field by field (status ID)."""
    stream = stream or sys.stdout
    keys = ('request_id', 'build_id', 'state', 'phase', 'reason', 'image_type', 'release', 'arch', 'name', 'node',
            'submitted', 'started', 'updated', 'finished')
    for key in keys:
        if view.get(key) not in (None, ''):
            stream.write('%-11s %s\n' % (key + ':', view[key]))
    stream.write('%-11s %s\n' % ('age:', human_age(view.get('age_seconds'))))
    for url in view.get('staging') or []:
        stream.write('%-11s %s\n' % ('staged:', url))
    for art in view.get('artifacts') or []:
        stream.write('%-11s %s  %s  %s\n' % ('artifact:', art.get('name'), human_size(art.get('size')), art.get('sha256', '')))
    run = view.get('run')
    if run:
        stream.write('%-11s %s (runner %s, rc %s)\n' % ('run:', run['run_id'], run['runner_status'], run['rc']))


def problems(lines, stream=None):
    stream = stream or sys.stderr
    for line in lines:
        stream.write('%s\n' % line)
