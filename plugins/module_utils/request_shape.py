# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shape checks with ansible-core's ArgumentSpecValidator, along request_model.MODEL.

The validator decides, one mapping at a time, the unknown fields (its unsupported parameters), types, choices,
required, mutually_exclusive, required_one_of and required_if; this module walks the nested options and list
elements (the elements' types with the same strict type functions the validator gets) and turns every error into
one sentence that starts with the field path (``requests[1].staging[0].port: ...``):

- ``check_input``: the raw input (a request, the service defaults, an operator's Koji hub or staging target) along
  MODEL and its RAW differences (request_model.INPUTS), run FIRST; returns a clean copy for the semantic checks
  (request_checks.py, request_targets.py), in which a value that did not fit is INVALID.
- ``check_shape``: a normalized request against MODEL, what the role's argument spec validation (generated from
  the same MODEL) will see; request.py runs it on every normalized request.

Types are checked strictly (a bool is not an int, a string is not a list): ansible's own converters would turn
``"yes"`` into true, ``"a,b"`` into a list and true into 1, which a request from an untrusted form must not get.
The one leniency is the raw input's whole numbers, which may be strings of digits (``port: "2121"``).
"""

from __future__ import annotations

import re

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.ondemand.fedora_build.plugins.module_utils.request_checks import INVALID, _join, kind, show
from ansible_collections.ondemand.fedora_build.plugins.module_utils.request_model import (
    INPUTS, MAX_LIST, META, MODEL)

_CONSTRAINTS = ('mutually_exclusive', 'required_one_of', 'required_if', 'required_together', 'required_by')
_WHAT = {'str': 'a string', 'path': 'a string (a path)', 'int': 'a whole number', 'bool': 'true or false',
         'list': 'a list', 'dict': 'a mapping', 'float': 'a number'}


def _strict(types, raw=False):
    """The validator's type of a field: a check that accepts exactly the given types (no conversion)."""
    def check(value):
        if not _fits(types, value, raw):
            raise TypeError('must be %s' % ' or '.join(_WHAT.get(name, name) for name in types))
        return value
    check.__name__ = 'strict_%s' % '_'.join(types)
    return check


def _names(text):
    return [name.strip() for name in re.split(r'[,|]', text) if name.strip()]


def _translate(error, path, fields):
    """One ArgumentSpecValidator error -> [(path, field name or None, sentence or None)]; a None sentence: a
    type or choices error of that field, which the caller words (it has the value)."""
    name = type(error).__name__
    message = error.error_message
    if name == 'RequiredError':
        match = re.search(r'missing required arguments: (.*)$', message)
        keys = [key for key in _names(match.group(1) if match else '') if key in fields]
        return [(_join(path, key), key, 'missing; %s' % fields[key]['missing'] if fields[key]['missing'] else 'missing.')
                for key in keys] or [(path, None, message)]
    if name == 'ArgumentTypeError':
        match = re.search(r"argument '([^']+)' is of type", message)
        if match and match.group(1) in fields:
            return [(_join(path, match.group(1)), match.group(1), None)]
    if name == 'ArgumentValueError':
        match = re.search(r'value of (\S+) must be', message)
        if match and match.group(1) in fields:
            return [(_join(path, match.group(1)), match.group(1), None)]
    if name == 'MutuallyExclusiveError':
        match = re.search(r'mutually exclusive: (.*)$', message)
        groups = [group.split('|') for group in match.group(1).split(', ')] if match else []  # 'a|b, a|c'
        return [(path, None, 'give %s, not both.' % ' or '.join(keys) if len(keys) == 2 else
                 'give only one of %s.' % ', '.join(keys)) for keys in groups]
    if name == 'RequiredOneOfError':
        match = re.search(r'one of the following is required: (.*)$', message)
        return [(path, None, 'give one of %s.' % ', '.join(_names(match.group(1)) if match else []))]
    if name == 'RequiredIfError':
        match = re.search(r'^(\S+) is (.+) but (?:all|any) of the following are missing: (.*)$', message)
        if match:
            return [(_join(path, key), key, 'missing; needed when %s is %s.' % (match.group(1), match.group(2)))
                    for key in _names(match.group(3)) if key in fields]
    return [(path, None, '%s.' % message.rstrip('.'))]


def _problem(node, value, raw):
    """Why a value does not fit its node (type, then choices), or None."""
    choices = node['choices'] and node['kind'] != 'list'
    if not _fits(node['types'], value, raw) and not choices:
        return 'must be %s (got %s).' % (_what(node), kind(value))
    if choices and (not _fits(node['types'], value, raw) or value not in node['choices']):
        return '%s is not one of %s.' % (show(value), ', '.join(str(choice) for choice in node['choices']))
    return None


def check_shape(value, tree=None, path='request'):
    """Problems (one sentence each, starting with the field path) of a normalized request (or a part of it)
    against a MODEL subtree: what the role's argument spec validation will see."""
    tree = MODEL if tree is None else tree
    node = _NORMALIZED.get(id(tree))
    if node is None:
        node = _NORMALIZED[id(tree)] = _compile({'type': 'dict', 'options': tree}, None, '')
    problems = []
    _walk(value, node, path, problems, False)
    return problems


def check_input(value, which='request', path='request'):
    """The raw input's shape (``which``: request, defaults or koji_hub) along MODEL and request_model.RAW (or
    DEFAULTS_RAW, KOJI_HUB_RAW, STAGING_TARGET_RAW: request_model.INPUTS): returns (clean copy, problems).

    The copy holds the given fields that fit (unknown ones dropped, None ones too), INVALID in place of a value
    that does not fit (already reported) or of a missing required one, INVALID as a whole when the input is not
    a mapping. The semantic checks run on the copy.
    """
    node = _ROOTS.get(which)
    if node is None:
        field, raw = INPUTS[which]
        node = _ROOTS[which] = _compile(field, raw, '')
    problems = []
    return _walk(value, node, path, problems, True), problems


_ROOTS = {}
_NORMALIZED = {}


def _compile(field, raw, here):
    """A MODEL field (with its RAW differences when raw is not None) as a node the walker runs on."""
    extra = (raw or {}).get(here, {})
    kind = field.get('type', 'str')
    node = {'types': tuple(extra.get('types') or (kind,)), 'kind': kind, 'any': bool(extra.get('any')),
            'required': extra.get('required', False) if raw is not None else bool(field.get('required')),
            'missing': extra.get('missing'), 'what': extra.get('what'), 'element_what': extra.get('element_what'),
            'choices': field.get('choices'), 'by': extra.get('by'),
            'constraints': dict((key, field[key]) for key in _CONSTRAINTS if key in field), 'raw': raw is not None}
    for key, rules in extra.get('constraints', {}).items():
        node['constraints'][key] = list(node['constraints'].get(key, [])) + list(rules)
    if kind == 'list':
        node['elements'] = tuple(extra.get('elements') or (field.get('elements', 'str'),))
    options = field.get('options')
    if options:
        names = list(extra.get('fields') or options)
        accepted = names + [name for name in extra.get('also', ()) if name not in names]
        if raw is not None and not extra.get('fields'):  # computed fields: refused unless given as input
            accepted = [name for name in accepted if not options[name].get(META, {}).get('computed')
                        or raw.get(_dot(here, name), {}).get('input')]
            names = [name for name in names if name in accepted and not options[name].get(META, {}).get('computed')]
        node['listed'] = tuple(names)
        node['options'] = dict((name, _compile(options[name], raw, _dot(here, name))) for name in accepted)
        node['validator'], node['by_validator'] = _validator(node), {}
    if kind == 'list':
        elements = node['elements']
        node['element'] = dict(node, types=elements, kind=elements[0] if len(elements) == 1 else 'raw',
                               what=node['element_what'], by_validator={})
    return node


def _dot(here, name):
    return '%s.%s' % (here, name) if here else name


def _validator(node, names=None):
    spec = {}
    for name in (node['options'] if names is None else names):
        child = node['options'][name]
        entry = {'type': _strict(('raw',) if child['any'] else child['types'], node['raw'])}
        if child['required']:
            entry['required'] = True
        if child['choices'] and child['kind'] != 'list' and not child['any']:
            entry['choices'] = list(child['choices'])
        spec[name] = entry
    # a validator of some fields only (a staging target of one type) keeps the constraints; of the 'by' key alone not
    constraints = node['constraints'] if names is None or len(spec) > 1 else {}
    return ArgumentSpecValidator(spec, **constraints)


def _what(node, types=None):
    types = node['types'] if types is None else types
    if node.get('what'):
        return node['what']
    if types == ('dict',) and node.get('listed'):
        return 'a mapping with the fields %s' % ', '.join(node['listed'])
    return ' or '.join(_WHAT.get(name, name) for name in types)


def _walk(value, node, path, problems, raw, checked=False):
    """value checked along node (its type and choices already by the validator when checked); returns its clean
    copy or INVALID (problems added)."""
    if node['any']:
        return value
    text = None if checked else _problem(node, value, raw)
    if text:
        problems.append('%s: %s' % (path, text))
        return INVALID
    if isinstance(value, dict) and node.get('options'):
        return _mapping(value, node, path, problems, raw)
    if isinstance(value, list) and node['kind'] == 'list':
        return _list(value, node, path, problems, raw)
    return value


def _list(value, node, path, problems, raw):
    if len(value) > MAX_LIST:
        problems.append('%s: has %d entries; at most %d are allowed.' % (path, len(value), MAX_LIST))
        return INVALID
    element = node['element']
    out, bad = [], False
    for index, item in enumerate(value):
        clean = _walk(item, element, '%s[%d]' % (path, index), problems, raw)
        bad = bad or clean is INVALID
        out.append(clean)
    return INVALID if bad and not raw else out


def _mapping(value, node, path, problems, raw):
    validator, listed = node['validator'], node['listed']
    if node['by']:  # the accepted keys follow one key's value (a staging target's type)
        key, fields = node['by']
        if isinstance(value.get(key), str) and value[key] in fields:
            listed = fields[value[key]]
            validator = node['by_validator'].get(value[key])
            if validator is None:
                validator = node['by_validator'][value[key]] = _validator(node, listed)
        else:  # no or a bad type: only the type is checked (the other fields mean nothing yet)
            listed, value = (key,), dict((k, v) for k, v in value.items() if k == key)
            validator = node['by_validator'].get(None) or _validator(node, (key,))
            node['by_validator'][None] = validator
    given = dict((key, item) for key, item in value.items() if isinstance(key, str) and item is not None)
    result = validator.validate(dict((key, _stub(item)) for key, item in given.items()))
    unknown = set(result.unsupported_parameters)
    out, bad, seen = {}, set(), set()
    start = len(problems)
    for key in value:
        if not isinstance(key, str) or key in unknown:
            problems.append('%s: unknown field; known fields are %s.' % (_join(path, key), ', '.join(listed)))
    for error in result.errors:
        if type(error).__name__ == 'UnsupportedError':
            continue
        for where, key, text in _translate(error, path, node['options']):
            if key is not None:  # None: a rule of the mapping (mutually exclusive...); its fields are still checked
                bad.add(key)
                if text is None:  # a type or choices error, worded with the value
                    text = _problem(node['options'][key], given.get(key), raw) or 'is not valid.'
            if (where, text) not in seen:
                seen.add((where, text))
                problems.append('%s: %s' % (where, text))
    for key, item in given.items():
        if key not in unknown and key not in bad:
            out[key] = _walk(item, node['options'][key], _join(path, key), problems, raw, checked=True)
    for key in bad:
        out[key] = INVALID
    # the raw input's copy goes on to the semantic checks even after a problem (every problem is reported at once;
    # the request is refused for the problems it has)
    return INVALID if not raw and len(problems) != start else out


def _stub(item):
    """What the validator gets of a value: the value, a container as an empty one of its type.

    The validator deep-copies what it validates: a deeply nested value would exhaust the recursion limit there (and a
    big one cost a copy at every level). Its decisions about one mapping (a type, choices, required, a constraint)
    only look at a value's type and at scalars, so an empty container of the same type decides the same; what is
    inside is checked on the way down, element by element, one level at a time.
    """
    for kind_ in (list, dict, tuple, set):
        if isinstance(item, kind_):
            return kind_()
    return item


def _fits(types, value, raw):
    return any(_is(name, value, raw) for name in types)


def _is(type_name, value, raw=False):
    if type_name == 'raw':
        return True
    if type_name in ('str', 'path'):
        return isinstance(value, str)
    if type_name == 'int':
        return (isinstance(value, int) and not isinstance(value, bool)
                or raw and isinstance(value, str) and _DIGITS_RE.fullmatch(value) is not None)
    if type_name == 'float':
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if type_name == 'bool':
        return isinstance(value, bool)
    if type_name == 'list':
        return isinstance(value, list)
    if type_name == 'dict':
        return isinstance(value, dict)
    return False


# the raw input's whole numbers may be written as strings of digits (the semantic checks convert them)
_DIGITS_RE = re.compile(r'\s*-?[0-9]{1,19}\s*')
