# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write what is generated from the request model (plugins/module_utils/request_model.py).

- roles/build/meta/argument_specs.yml: the ``build_request`` option's sub-options (the service settings around
  it are kept as they are in the file);
- docs/request.md: the field tables between ``<!-- generated: NAME -->`` and ``<!-- end generated: NAME -->``;
- collection/awx/surveys/*.json: the choices of every multiple-choice question and the longest answer of every
  text question that fills a request field (module_utils/survey.py says which field), from the field's choices
  and max_len.

    python3 tools/gen_request_artifacts.py           # rewrite both files
    python3 tools/gen_request_artifacts.py --check   # exit 1 (and say which) when a checked-in file is stale

tests/unit/plugins/module_utils/test_request_model.py runs the check, so CI fails on a stale file.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import sys
import tempfile

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
ARGSPEC = os.path.join(ROOT, 'roles', 'build', 'meta', 'argument_specs.yml')
SURVEYS = os.path.join(ROOT, 'collection', 'awx', 'surveys')
DOC = os.path.join(ROOT, 'docs', 'request.md')
HEADER = ('# The build_request option is generated from plugins/module_utils/request_model.py by\n'
          '# tools/gen_request_artifacts.py (a unit test fails when it is stale); edit the model, then run it.\n')


def load_survey_fields():
    load_model()
    from ansible_collections.ondemand.fedora_build.plugins.module_utils import survey
    return survey.SURVEY_FIELDS


def load_model():
    """Import request_model from this checkout (not from an installed collection)."""
    try:
        from ansible_collections.ondemand.fedora_build.plugins.module_utils import request_model
        if os.path.realpath(request_model.__file__).startswith(ROOT + os.sep):
            return request_model
    except ImportError:
        pass
    top = tempfile.mkdtemp(prefix='gen-request-')
    os.makedirs(os.path.join(top, 'ansible_collections', 'ondemand'))
    os.symlink(ROOT, os.path.join(top, 'ansible_collections', 'ondemand', 'fedora_build'))
    sys.path.insert(0, top)
    for name in list(sys.modules):
        if name.startswith('ansible_collections'):
            del sys.modules[name]
    from ansible_collections.ondemand.fedora_build.plugins.module_utils import request_model
    return request_model


class _Dumper(yaml.SafeDumper):
    """Block style, lists indented under their key (yamllint's default), long strings folded at 120."""

    def increase_indent(self, flow=False, indentless=False):
        return super(_Dumper, self).increase_indent(flow, False)


def _str(dumper, value):
    # a long text with ': ' would be single-quoted on one line (too long for yamllint): double quotes fold
    style = '"' if ': ' in value and len(value) > 80 else None
    return dumper.represent_scalar('tag:yaml.org,2002:str', value, style=style)


_Dumper.add_representer(str, _str)


def render_argspec(text, model):
    data = yaml.safe_load(text)
    option = data['argument_specs']['main']['options']['build_request']
    option['options'] = model.argument_spec()
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=100, allow_unicode=True,
                     explicit_start=True)
    return HEADER + body


def _cell(text):
    return text.replace('\n', ' ')


def field_table(model, tree):
    rows = ['| field | type | default | meaning |', '|---|---|---|---|']
    for name, node in tree.items():
        doc = node[model.META].get('doc')
        if doc:
            rows.append('| `%s` | %s | %s | %s |' % (name, _cell(doc[0]), _cell(doc[1]), _cell(doc[2])))
    return '\n'.join(rows)


BUILDER_NOTES = {
    'timeout': 'seconds, 1 to %d; default `fedora_build_timeout`, else 14400',
    'product': 'default `Fedora`',
    'backend': '`livemedia-creator` (default) or `kiwi`',
    'description': "required: the name of one of the operator's `fedora_build_kiwi_descriptions`",
    'image_type': "kiwi's `--type`",
}


def builder_table(model):
    def names(keys):
        out = []
        for key in keys:
            note = BUILDER_NOTES.get(key)
            if note and key == 'timeout':
                note = note % model.MAX_TIMEOUT
            out.append('`%s`%s' % (key, ' (%s)' % note if note else ''))
        return ', '.join(out)
    options = model.BUILDER_OPTIONS
    rows = ['| image type | module | options |', '|---|---|---|',
            '| all | | %s |' % names(['timeout']),
            '| `boot` | `boot_iso` (lorax) | %s |' % names(k for k in options['boot'] if k != 'timeout'),
            '| `dvd` | `dvd_iso` (pungi) | %s |' % names(k for k in options['dvd'] if k != 'timeout'),
            '| `live` | `live_image` | %s |' % names(['backend']),
            '| `live`, livemedia-creator | | %s |' % names(k for k in options['live'] if k in model.LMC_ONLY),
            '| `live`, kiwi | | %s |' % names(k for k in options['live'] if k in model.KIWI_ONLY)]
    return '\n'.join(rows)


def tables(model):
    return {
        'request': field_table(model, model.MODEL),
        'kickstart': field_table(model, model.field('kickstart')['options']),
        'koji': field_table(model, model.field('koji')['options']),
        'repos': field_table(model, model.field('repos')['options']),
        'builder': builder_table(model),
        'notify': field_table(model, model.field('notify')['options']),
    }


def render_doc(text, model):
    for name, table in tables(model).items():
        pattern = re.compile(r'(<!-- generated: %s [^\n]*-->\n).*?(\n<!-- end generated: %s -->)'
                             % (re.escape(name), re.escape(name)), re.S)
        if not pattern.search(text):
            raise SystemExit('%s: no <!-- generated: %s ... --> / <!-- end generated: %s --> markers' % (DOC, name, name))
        text = pattern.sub(lambda match: match.group(1) + table + match.group(2), text)
    return text


def survey_image_type(path):
    """The image type a survey builds (collection/awx/surveys/build_<type>.json), else None."""
    match = re.match(r'^build_([a-z]+)\.json$', os.path.basename(path))
    return match.group(1) if match else None


def render_survey(text, model, image_type=None):
    data = json.loads(text)
    fields = load_survey_fields()
    for question in data.get('spec', []):
        if question.get('variable') not in fields:
            continue
        path, kind = fields[question['variable']]
        try:
            field = model.field(path)
        except KeyError:
            raise SystemExit('survey question %s fills %s, which the request model does not have'
                             % (question['variable'], path))
        choices = field.get('choices')
        if path == 'builder.backend' and image_type in model.IMAGE_TYPES:
            # a survey of one image type offers that type's backends only (the registry's), never another type's
            choices = model.backend_registry.names(image_type)
        if choices and question.get('type') in ('multiplechoice', 'multiselect'):
            question['choices'] = '\n'.join(choices)
        max_len = field[model.META].get('max_len')
        if kind == 'str' and max_len and question.get('type') == 'text' and 'max' in question:
            question['max'] = max_len
    return json.dumps(data, indent=2, ensure_ascii=False) + '\n'


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--check', action='store_true', help='only report stale files (exit 1)')
    args = parser.parse_args(argv)
    model = load_model()
    stale = []
    targets = [(ARGSPEC, render_argspec), (DOC, render_doc)]
    targets += [(path, lambda text, model, path=path: render_survey(text, model, survey_image_type(path)))
                for path in sorted(glob.glob(os.path.join(SURVEYS, '*.json')))]
    for path, render in targets:
        with open(path, encoding='utf-8') as handle:
            text = handle.read()
        new = render(text, model)
        if new != text:
            stale.append(os.path.relpath(path, ROOT))
            if not args.check:
                with open(path + '.tmp', 'w', encoding='utf-8') as handle:
                    handle.write(new)
                os.rename(path + '.tmp', path)
    if args.check and stale:
        print('stale, run tools/gen_request_artifacts.py: %s' % ', '.join(stale))
        return 1
    for path in stale:
        print('wrote %s' % path)
    return 0


if __name__ == '__main__':
    sys.exit(main())
