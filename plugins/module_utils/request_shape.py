# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shape checks of the request with ansible-core's ArgumentSpecValidator, along request_model.MODEL.

The validator runs one mapping at a time (its own errors name nested fields without list indexes), and every
error becomes one sentence that starts with the field path (``requests[1].staging[0].port: ...``):

- ``request_checks.unknown_fields`` (used by request_checks._mapping for the request a user wrote): the keys of
  a mapping the model does not have, what the validator calls unsupported parameters.
- ``check_shape``: a value against a MODEL subtree: types, choices, required, mutually_exclusive,
  required_one_of, required_if, nested options and list elements. request.py runs it on every normalized
  request, which is exactly what the role's argument spec validation (generated from the same MODEL) will see.

Types are checked strictly (a bool is not an int, a string is not a list): ansible's own converters would turn
``"yes"`` into true, ``"a,b"`` into a list and true into 1, which a request from an untrusted form must not get.
"""

from __future__ import annotations

import re

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.ondemand.fedora_build.plugins.module_utils.request_checks import _join, kind, show
from ansible_collections.ondemand.fedora_build.plugins.module_utils.request_model import MODEL

_CONSTRAINTS = ('mutually_exclusive', 'required_one_of', 'required_if', 'required_together', 'required_by')
_WHAT = {'str': 'a string', 'path': 'a string (a path)', 'int': 'a whole number', 'bool': 'true or false',
         'list': 'a list', 'dict': 'a mapping', 'float': 'a number'}


def _is(type_name, value):
    if type_name == 'raw':
        return True
    if type_name in ('str', 'path'):
        return isinstance(value, str)
    if type_name == 'int':
        return isinstance(value, int) and not isinstance(value, bool)
    if type_name == 'float':
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if type_name == 'bool':
        return isinstance(value, bool)
    if type_name == 'list':
        return isinstance(value, list)
    if type_name == 'dict':
        return isinstance(value, dict)
    return False


def _strict(type_name):
    def check(value):
        if not _is(type_name, value):
            raise TypeError('must be %s' % _WHAT.get(type_name, type_name))
        return value
    check.__name__ = 'strict_%s' % type_name
    return check


def _names(text):
    return [name.strip() for name in re.split(r'[,|]', text) if name.strip()]


def _translate(error, path, fields):
    """One ArgumentSpecValidator error -> [(path, sentence)]."""
    name = type(error).__name__
    message = error.error_message
    if name == 'RequiredError':
        match = re.search(r'missing required arguments: (.*)$', message)
        return [(_join(path, key), 'missing.') for key in _names(match.group(1) if match else '')] or [(path, message)]
    if name == 'ArgumentTypeError':
        match = re.search(r"argument '([^']+)' is of type", message)
        if match and match.group(1) in fields:
            return [(_join(path, match.group(1)), None)]  # filled in by the caller, which has the value
    if name == 'ArgumentValueError':
        match = re.search(r'value of (\S+) must be', message)
        if match and match.group(1) in fields:
            return [(_join(path, match.group(1)), None)]
    if name == 'MutuallyExclusiveError':
        match = re.search(r'mutually exclusive: (.*)$', message)
        keys = _names(match.group(1)) if match else []
        return [(path, 'give %s, not both.' % ' or '.join(keys) if len(keys) == 2 else
                 'give only one of %s.' % ', '.join(keys))]
    if name == 'RequiredOneOfError':
        match = re.search(r'one of the following is required: (.*)$', message)
        return [(path, 'give one of %s.' % ', '.join(_names(match.group(1)) if match else []))]
    if name == 'RequiredIfError':
        match = re.search(r'^(\S+) is (.+) but (?:all|any) of the following are missing: (.*)$', message)
        if match:
            return [(_join(path, key), 'missing; needed when %s is %s.' % (match.group(1), match.group(2)))
                    for key in _names(match.group(3))]
    return [(path, '%s.' % message.rstrip('.'))]


def _value_problem(spec, value):
    """Why a value of one field does not fit its spec (type, then choices), or None."""
    if not _is(spec.get('type', 'str'), value):
        return 'must be %s (got %s).' % (_WHAT.get(spec.get('type', 'str'), spec.get('type')), kind(value))
    choices = spec.get('choices')
    if choices and spec.get('type') != 'list' and value not in choices:
        return '%s is not one of %s.' % (show(value), ', '.join(str(choice) for choice in choices))
    return None


def check_shape(value, tree=None, path='request', constraints=None):
    """Problems (one sentence each, starting with the field path) of a mapping against a MODEL subtree."""
    tree = MODEL if tree is None else tree
    if not isinstance(value, dict):
        return ['%s: must be a mapping (got %s).' % (path, kind(value))]
    spec = {}
    for name, field in tree.items():
        entry = {'type': _strict(field.get('type', 'str'))}
        if field.get('required'):
            entry['required'] = True
        if field.get('choices') and field.get('type') != 'list':
            entry['choices'] = list(field['choices'])
        spec[name] = entry
    constraints = constraints or {}
    validator = ArgumentSpecValidator(spec, **dict((key, constraints[key]) for key in _CONSTRAINTS if key in constraints))
    strings = dict((key, item) for key, item in value.items() if isinstance(key, str))
    result = validator.validate(strings)
    problems = ['%s: unknown field; known fields are %s.' % (_join(path, key), ', '.join(tree))
                for key in value if not isinstance(key, str) or key in result.unsupported_parameters]
    for error in result.errors:
        if type(error).__name__ == 'UnsupportedError':
            continue
        for where, text in _translate(error, path, tree):
            if text is None:
                key = where.rsplit('.', 1)[-1]
                text = _value_problem(tree[key], value.get(key)) or 'is not valid.'
            problems.append('%s: %s' % (where, text))
    bad = set(problem.split(': ', 1)[0] for problem in problems)
    for name, field in tree.items():
        item = value.get(name)
        where = _join(path, name)
        if item is None or where in bad or not _is(field.get('type', 'str'), item):
            continue
        sub = field.get('options')
        nested = dict((key, field[key]) for key in _CONSTRAINTS if key in field)
        if field.get('type') == 'dict' and sub:
            problems.extend(check_shape(item, sub, where, nested))
        elif field.get('type') == 'list':
            element = {'type': field.get('elements', 'str'), 'choices': field.get('choices')}
            for index, entry in enumerate(item):
                here = _join(where, index)
                text = _value_problem(element, entry)
                if text:
                    problems.append('%s: %s' % (here, text))
                elif element['type'] == 'dict' and sub:
                    problems.extend(check_shape(entry, sub, here, nested))
    return problems
