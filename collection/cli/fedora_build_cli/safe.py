# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What reaches the operator is safe (docs/cli.md, "Safety"): terminal escaping, IDs, YAML.

- ``escape``: the one function every text that came from a build (records, job events, logs)
  goes through before it is printed: terminal control sequences (ESC, CSI, OSC, C0/C1 controls,
  DEL) and bidi/zero-width format characters become visible ``\\xNN``/``\\uNNNN`` text.
- ``check_id``: an ID from the command line names something inside the CLI's own status dir.
- ``load_yaml``: YAML that refuses duplicate keys and bounds alias expansion; ``short``:
  a bad value shown in a message, without walking a huge structure.
"""

import re

import yaml

from .errors import CLIError, FAILED, NOT_FOUND

# C0 controls but TAB/LF, DEL, C1 controls, and the bidi/zero-width format characters
_FORMAT = '\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb'
_UNSAFE_LINES = re.compile('[\x00-\x08\x0b-\x1f\x7f-\x9f%s]' % _FORMAT)
_UNSAFE_LINE = re.compile('[\x00-\x1f\x7f-\x9f%s]' % _FORMAT)
# ansible-playbook's colours and cursor moves (CSI ... final byte): dropped from logs
_CSI = re.compile(r'\x1b\[[0-9;:?<=>]*[ -/]*[@-~]')


def _visible(match):
    code = ord(match.group(0))
    return '\\x%02x' % code if code < 0x100 else '\\u%04x' % code


def escape(text, lines=False):
    """``text`` with every terminal control and bidi/zero-width character made visible.

    ``lines=True`` (a log): line breaks and tabs are kept, CRLF becomes LF, and CSI sequences
    (colours) are dropped; everything else (a lone ESC, OSC, CR, BEL, C1, bidi) is escaped.
    ``lines=False`` (a value in a table, a reason): newlines are escaped too, one value stays one line.
    """
    if text is None:
        return ''
    text = text if isinstance(text, str) else str(text)
    if lines:
        text = _CSI.sub('', text.replace('\r\n', '\n'))
        return _UNSAFE_LINES.sub(_visible, text)
    return _UNSAFE_LINE.sub(_visible, text)


# --------------------------------------------------------------------------- IDs from the command line

ID_FORMAT = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.+-]{0,127}$')
RUN_ID = re.compile(r'^run-[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}$')
REQUEST_ID = re.compile(r'^rq-[0-9a-f]{12}$')


def check_id(ident):
    """Refuse an ID that could name a path: '/', '..', absolute, or not the ID format."""
    if not isinstance(ident, str) or not ID_FORMAT.match(ident) or '..' in ident:
        raise CLIError('ID %s: not a request, build or run ID (letters, digits, "-", "_", "." and "+", no "/" or '
                       '"..", at most 128 characters).' % short(ident), NOT_FOUND)
    return ident


def inside(path, root):
    """``path`` resolved (links followed) lies inside ``root`` resolved."""
    try:
        real, base = path.resolve(), root.resolve()
    except (OSError, RuntimeError):
        return False
    return real == base or base in real.parents


# --------------------------------------------------------------------------- YAML

MAX_YAML_NODES = 100000   # nodes after alias expansion (a billion-laughs file is refused)
MAX_YAML_BYTES = 4 * 1024 * 1024
MAX_YAML_CHARS = 4 * MAX_YAML_BYTES  # characters of scalars after alias expansion (one long string, aliased)


class _Loader(yaml.SafeLoader):  # pylint: disable=too-many-ancestors
    """SafeLoader that refuses duplicate mapping keys and counts nodes through aliases."""

    def __init__(self, stream):
        super().__init__(stream)
        self.budget = MAX_YAML_NODES
        self.chars = MAX_YAML_CHARS
        self.source = None

    def _spend(self, node):
        """Count the nodes of ``node`` as expanded (an alias counts as the whole tree it names)."""
        stack = [node]
        while stack:
            item = stack.pop()
            self.budget -= 1
            if isinstance(item, yaml.ScalarNode):
                self.chars -= len(item.value)
            if self.budget < 0 or self.chars < 0:
                raise CLIError('%s: line %d: aliases expand to more than %d values or %d characters (a "billion laughs" '
                               'file?); refused.' % (self.source, node.start_mark.line + 1, MAX_YAML_NODES, MAX_YAML_CHARS),
                               FAILED)
            if isinstance(item, yaml.SequenceNode):
                stack.extend(item.value)
            elif isinstance(item, yaml.MappingNode):
                for key, value in item.value:
                    stack.append(key)
                    stack.append(value)

    def construct_document(self, node):
        self._spend(node)
        return super().construct_document(node)

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            keys = {}
            for key_node, dummy in node.value:
                if key_node.tag == 'tag:yaml.org,2002:merge':
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    hash(key)
                except TypeError:
                    continue  # SafeLoader reports an unhashable key itself
                if key in keys:
                    raise CLIError('%s: line %d: duplicate key %s (first at line %d); give each key once.'
                                   % (self.source, key_node.start_mark.line + 1, short(key), keys[key]), FAILED)
                keys[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def load_yaml(text, source):
    """Parse YAML like yaml.safe_load, refusing duplicate keys and alias bombs (CLIError, one sentence)."""
    if len(text) > MAX_YAML_BYTES:
        raise CLIError('%s: %d bytes, more than the %d a request file may have.' % (source, len(text), MAX_YAML_BYTES),
                       FAILED)
    loader = _Loader(text)
    loader.source = source
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def short(value, limit=80):
    """A bounded one-line repr of ``value`` for a message: never walks more than a few items of it."""
    if isinstance(value, (dict, list, tuple, set)):
        kind = type(value).__name__
        return '<%s of %d item%s>' % (kind, len(value), '' if len(value) == 1 else 's')
    if isinstance(value, str):
        text = value if len(value) <= limit else value[:limit] + '...'
        return escape(repr(text))
    text = repr(value)
    return escape(text if len(text) <= limit else text[:limit] + '...')
