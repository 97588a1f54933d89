# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Generate the Markdown plugin reference (docs/modules/) from the plugins' own documentation.

Reads every module, filter and role of the collection with ``ansible-doc --json`` (offline, from the
checkout, through a private collections path that links to it) and renders the Ansible markup (``C()``, ``O()``,
``M()``, ...) with antsibull-docs-parser (a dependency of antsibull-changelog). Fails, naming the plugin
and field, when ansible-doc cannot load a plugin's docs or a description has broken markup.

    docs/gen_reference.py [--dest docs/modules] [--root COLLECTION_ROOT]
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

import re

from antsibull_docs_parser import dom
from antsibull_docs_parser import md as md_render
from antsibull_docs_parser.md import LinkProvider, md_escape, to_md
from antsibull_docs_parser.parser import Context, parse

# antsibull-docs-parser escapes every punctuation mark (`lock\_dir\.`), which is valid but unreadable in the
# Markdown source; escaping only what Markdown (and a table cell) would misread renders the same.
md_render._MD_ESCAPE = re.compile(r'([\\`*_\[\]<>|])')


class Formatter(md_render.MDFormatter):
    """Links to plugins as code with a plain target (our page names need no escaping)."""

    def format_module(self, part, url):
        return '[`%s`](%s)' % (part.fqcn, url) if url else '`%s`' % part.fqcn

    def format_plugin(self, part, url):
        return '[`%s`](%s)' % (part.plugin.fqcn, url) if url else '`%s`' % part.plugin.fqcn


FORMATTER = Formatter()

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NS = 'ondemand.fedora_build'
TYPES = ('module', 'filter', 'role')


class ReferenceError(Exception):
    """A plugin's documentation cannot be rendered."""


_WORK = []


def collections_dir():
    """A private collections path holding only this checkout (no install, no stale copies elsewhere)."""
    if not _WORK:
        work = tempfile.mkdtemp(prefix='gen-reference-')
        os.makedirs(os.path.join(work, 'collections', 'ansible_collections', 'ondemand'))
        os.symlink(ROOT, os.path.join(work, 'collections', 'ansible_collections', 'ondemand', 'fedora_build'))
        with open(os.path.join(work, 'ansible.cfg'), 'w') as handle:
            handle.write('[defaults]\n')
        _WORK.append(work)
    return _WORK[0]


def ansible_doc(args):
    work = collections_dir()
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith('ANSIBLE_'))
    env.update({'ANSIBLE_CONFIG': os.path.join(work, 'ansible.cfg'), 'ANSIBLE_NOCOLOR': '1',
                'ANSIBLE_COLLECTIONS_PATH': os.path.join(work, 'collections'), 'ANSIBLE_HOME': os.path.join(work, 'home')})
    exe = os.path.join(os.path.dirname(sys.executable), 'ansible-doc')
    proc = subprocess.run([exe if os.path.exists(exe) else 'ansible-doc'] + args, cwd=ROOT, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=False)
    problems = [line for line in proc.stderr.splitlines() if 'ERROR' in line or 'WARNING' in line]
    if proc.returncode != 0 or problems:
        raise ReferenceError('ansible-doc %s failed (rc %s): %s' % (' '.join(args), proc.returncode,
                                                                    ' '.join(problems) or proc.stderr.strip()))
    return json.loads(proc.stdout)


def expected_names(kind):
    """Plugin names from the tree, so a plugin that ansible-doc skips is noticed."""
    if kind == 'module':
        files = glob.glob(os.path.join(ROOT, 'plugins', 'modules', '*.py'))
        return sorted(os.path.splitext(os.path.basename(f))[0] for f in files if not f.endswith('__init__.py'))
    if kind == 'filter':
        names = []
        for path in glob.glob(os.path.join(ROOT, 'plugins', 'filter', '*.py')):
            with open(path) as handle:
                if 'DOCUMENTATION' in handle.read():
                    names.append(os.path.splitext(os.path.basename(path))[0])
        return sorted(names)
    return sorted(os.path.basename(os.path.dirname(os.path.dirname(p)))
                  for p in glob.glob(os.path.join(ROOT, 'roles', '*', 'meta', 'argument_specs.yml')))


def page_name(kind, name):
    return '%s.md' % name if kind == 'module' else '%s_%s.md' % (kind, name)


def has_path(tree, path):
    for part in path:
        if not isinstance(tree, dict) or part not in tree:
            return False
        spec = tree[part] or {}
        tree = spec.get('suboptions') or spec.get('options') or spec.get('contains') or {}
    return True


class Links(LinkProvider):
    """Links between the generated pages; an O()/RV() naming no option or return value is an error."""

    def __init__(self, docs):
        self.known = {key: page_name(key[0], key[1].split('.')[-1]) for key in docs}
        self.trees = {}
        for (kind, fqcn), data in docs.items():
            if kind == 'role':
                for entry, spec in (data.get('entry_points') or {}).items():
                    self.trees[(kind, fqcn, entry, 'option')] = spec.get('options') or {}
            else:
                self.trees[(kind, fqcn, None, 'option')] = (data.get('doc') or {}).get('options') or {}
                self.trees[(kind, fqcn, None, 'retval')] = data.get('return') or {}
        self.errors = []

    def _page(self, plugin):
        page = self.known.get((plugin.type, plugin.fqcn))
        if page is None and plugin.fqcn.startswith(NS + '.'):
            self.errors.append('there is no %s %s' % (plugin.type, plugin.fqcn))
        return page              # None for another collection's plugin: no page here

    def plugin_link(self, plugin):
        return self._page(plugin)

    def plugin_option_like_link(self, plugin, entrypoint, what, name, current_plugin):
        page = self._page(plugin)
        if page is None:
            return None
        tree = self.trees.get((plugin.type, plugin.fqcn, entrypoint if plugin.type == 'role' else None, what))
        if tree is None or not has_path(tree, name):
            label = 'option' if what == 'option' else 'return value'
            self.errors.append('%s %s has no %s %s' % (plugin.type, plugin.fqcn, label, '.'.join(name)))
            return None
        return '%s#%s' % ('' if current_plugin else page, anchor(what, name))


def anchor(what, path):
    return '%s-%s' % ('option' if what == 'option' else 'return', '-'.join(path).lower().replace('_', '-'))


class Renderer:
    def __init__(self, kind, fqcn, links):
        self.kind, self.fqcn, self.links = kind, fqcn, links
        self.plugin = dom.PluginIdentifier(fqcn=fqcn, type=kind)

    def text(self, value, where, role_entrypoint=None):
        if value is None:
            return ''
        items = value if isinstance(value, list) else [value]
        items = [str(i) for i in items]
        try:
            pars = parse(items, Context(current_plugin=self.plugin, role_entrypoint=role_entrypoint), errors='exception',
                         strict=True)
        except Exception as exc:  # the parser raises plain ValueError-like errors
            raise ReferenceError('%s %s, %s: %s' % (self.kind, self.fqcn, where, exc))
        return to_md(pars, formatter=FORMATTER, link_provider=self.links, current_plugin=self.plugin)

    def cell(self, value, where, role_entrypoint=None):
        return self.text(value, where, role_entrypoint).replace('\n\n', '<br><br>').replace('\n', ' ').replace('|', '\\|')


def code(value):
    text = json.dumps(value) if not isinstance(value, str) else value
    return '`%s`' % text.replace('|', '\\|').replace('`', "'") if text != '' else '`""`'


def option_rows(rend, options, prefix, what, role_entrypoint=None):
    rows = []
    for name in sorted(options):
        spec = options[name] or {}
        path = prefix + [name]
        kind = spec.get('type', 'str')
        if spec.get('elements'):
            kind = '%s / elements=%s' % (kind, spec['elements'])
        where = '%s %s' % (what, '.'.join(path))
        desc = rend.cell(spec.get('description'), where, role_entrypoint)
        facts = []
        if what == 'option':
            if spec.get('required'):
                facts.append('**required**')
            if spec.get('choices'):
                facts.append('choices: ' + ', '.join(code(c) for c in spec['choices']))
            if 'default' in spec and spec['default'] is not None:
                facts.append('default: ' + code(spec['default']))
            if spec.get('aliases'):
                facts.append('aliases: ' + ', '.join(code(a) for a in spec['aliases']))
            if spec.get('version_added'):
                facts.append('added in %s' % spec['version_added'])
        else:
            if spec.get('returned'):
                facts.append('returned: ' + rend.cell(spec['returned'], where + ' returned'))
            if 'sample' in spec:
                sample = json.dumps(spec['sample'], sort_keys=True)
                facts.append('sample: ' + code(sample if len(sample) <= 160 else sample[:157] + '...'))
        label = '<a id="%s"></a>`%s`' % (anchor(what, path), '.'.join(path))
        rows.append('| %s | %s | %s |' % (label, kind, '<br>'.join([desc] + facts) if desc else '<br>'.join(facts)))
        subs = spec.get('suboptions') or spec.get('options') or spec.get('contains') or {}
        rows.extend(option_rows(rend, subs, path, what, role_entrypoint))
    return rows


def render_plugin(kind, fqcn, data, links):
    rend = Renderer(kind, fqcn, links)
    name = fqcn.split('.')[-1]
    doc = data.get('doc') or {}
    out = ['<!-- generated by docs/gen_reference.py from the plugin docs; do not edit -->', '']
    if kind == 'role':
        return render_role(rend, fqcn, name, data, out)
    out.append('# %s' % fqcn)
    out.append('')
    out.append(rend.text(doc.get('short_description'), 'short_description'))
    out.append('')
    source = os.path.relpath(os.path.join(ROOT, 'plugins', 'modules' if kind == 'module' else kind, name + '.py'),
                             os.path.join(ROOT, 'docs', 'modules'))
    meta = ['%s plugin' % kind if kind != 'module' else 'module']
    if doc.get('version_added'):
        meta.append('added in %s' % doc['version_added'])
    meta.append('source: [%s](%s)' % (os.path.basename(source), source))
    out += ['*%s*' % ' · '.join(meta[:-1]) + ' · ' + meta[-1], '']
    out += [rend.text(doc.get('description'), 'description'), '']
    if doc.get('requirements'):
        out += ['## Requirements', ''] + ['- ' + rend.text(r, 'requirements') for r in doc['requirements']] + ['']
    if doc.get('options'):
        out += ['## Options', '', '| option | type | description |', '|---|---|---|']
        out += option_rows(rend, doc['options'], [], 'option') + ['']
    if doc.get('attributes'):
        out += ['## Attributes', '', '| attribute | support | details |', '|---|---|---|']
        for attr in sorted(doc['attributes']):
            spec = doc['attributes'][attr]
            details = rend.cell(spec.get('details') or spec.get('description'), 'attribute ' + attr)
            out.append('| `%s` | %s | %s |' % (attr, spec.get('support', ''), details))
        out.append('')
    if doc.get('notes'):
        out += ['## Notes', ''] + ['- ' + rend.cell(n, 'notes') for n in doc['notes']] + ['']
    if doc.get('seealso'):
        out += ['## See also', '']
        for item in doc['seealso']:
            if 'module' in item:
                page = links.known.get(('module', item['module']))
                label = '`%s`' % item['module']
                out.append('- %s%s' % ('[%s](%s)' % (label, page) if page else label,
                                       ': ' + rend.cell(item['description'], 'seealso') if item.get('description') else ''))
            elif 'link' in item:
                out.append('- [%s](%s)' % (md_escape(item.get('name', item['link'])), item['link']))
        out.append('')
    examples = data.get('examples')
    if examples:
        out += ['## Examples', '', '```yaml', examples.strip('\n'), '```', '']
    returns = data.get('return') or {}
    if returns:
        title = 'Return value' if kind == 'filter' else 'Return values'
        out += ['## %s' % title, '', '| key | type | description |', '|---|---|---|']
        out += option_rows(rend, returns, [], 'return') + ['']
    return '\n'.join(out).rstrip('\n') + '\n'


def render_role(rend, fqcn, name, data, out):
    out += ['# %s (role)' % fqcn, '']
    source = os.path.relpath(os.path.join(ROOT, 'roles', name, 'meta', 'argument_specs.yml'),
                             os.path.join(ROOT, 'docs', 'modules'))
    out += ['*role* · argument spec: [argument_specs.yml](%s)' % source, '']
    for entry in sorted(data.get('entry_points', {})):
        spec = data['entry_points'][entry]
        out += ['## Entry point `%s`' % entry, '']
        out += [rend.text(spec.get('short_description'), 'short_description', entry), '']
        if spec.get('description'):
            out += [rend.text(spec['description'], 'description', entry), '']
        if spec.get('options'):
            out += ['| variable | type | description |', '|---|---|---|']
            out += option_rows(rend, spec['options'], [], 'option', entry) + ['']
    return '\n'.join(out).rstrip('\n') + '\n'


def generate(dest):
    docs = {}
    for kind in TYPES:
        names = ['%s.%s' % (NS, n) for n in expected_names(kind)]
        if not names:
            continue
        try:
            got = ansible_doc(['-t', kind, '--json'] + names)
        except ReferenceError:
            # name every plugin whose docs do not load, not only the first
            failures = []
            for fqcn in names:
                try:
                    ansible_doc(['-t', kind, '--json', fqcn])
                except ReferenceError as exc:
                    failures.append(str(exc))
            raise ReferenceError('\n'.join(failures) or 'ansible-doc failed for the %s plugins' % kind)
        missing = sorted(set(names) - set(got))
        if missing:
            raise ReferenceError('ansible-doc returned no documentation for %s %s' % (kind, ', '.join(missing)))
        for fqcn in names:
            docs[(kind, fqcn)] = got[fqcn]
    links = Links(docs)
    pages = {}
    for (kind, fqcn), data in sorted(docs.items()):
        pages[page_name(kind, fqcn.split('.')[-1])] = render_plugin(kind, fqcn, data, links)
        if links.errors:
            raise ReferenceError('%s %s: its docs refer to what does not exist: %s'
                                 % (kind, fqcn, '; '.join(sorted(set(links.errors)))))
    index = ['<!-- generated by docs/gen_reference.py from the plugin docs; do not edit -->', '',
             '# Plugin reference', '',
             'Generated from each plugin\'s own documentation (`ansible-doc`), so it matches what',
             '`ansible-doc -t module ondemand.fedora_build.NAME` shows. Regenerate with `tests/docs-build.sh`.', '']
    for kind, title in (('module', 'Modules'), ('filter', 'Filters'), ('role', 'Roles')):
        entries = [(fqcn, data) for (k, fqcn), data in sorted(docs.items()) if k == kind]
        if not entries:
            continue
        index += ['## %s' % title, '', '| name | description |', '|---|---|']
        for fqcn, data in entries:
            if kind == 'role':
                short = '; '.join((ep.get('short_description') or '') for ep in data.get('entry_points', {}).values())
            else:
                short = (data.get('doc') or {}).get('short_description', '')
            rend = Renderer(kind, fqcn, links)
            index.append('| [`%s`](%s) | %s |' % (fqcn, page_name(kind, fqcn.split('.')[-1]), rend.cell(short, 'short_description')))
        index.append('')
    pages['README.md'] = '\n'.join(index).rstrip('\n') + '\n'

    tmp = dest.rstrip('/') + '.tmp'
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    for page, text in pages.items():
        with open(os.path.join(tmp, page), 'w') as handle:
            handle.write(text)
    shutil.rmtree(dest, ignore_errors=True)
    os.rename(tmp, dest)
    return sorted(pages)


def main(argv=None):
    global ROOT  # pylint: disable=global-statement
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--dest', default=None, help='output directory (replaced as a whole; default docs/modules)')
    parser.add_argument('--root', default=ROOT, help='the collection to document (default: this checkout)')
    args = parser.parse_args(argv)
    ROOT = os.path.abspath(args.root)
    args.dest = args.dest or os.path.join(ROOT, 'docs', 'modules')
    try:
        pages = generate(os.path.abspath(args.dest))
    except ReferenceError as exc:
        print('gen_reference: %s' % exc, file=sys.stderr)
        return 1
    finally:
        for work in _WORK:
            shutil.rmtree(work, ignore_errors=True)
    print('gen_reference: %d pages in %s' % (len(pages), os.path.relpath(os.path.abspath(args.dest))))
    return 0


if __name__ == '__main__':
    sys.exit(main())
