# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check every relative link of the Markdown docs: the file must exist, and a #fragment must name a
heading (GitHub's anchor for it) or an ``id=`` of the target page.

    docs/check_links.py [FILE.md ...]     (default: README.md, CONTRIBUTING.md and docs/**/*.md)

Links to other schemes (https:, mailto:, ...) are not fetched. Text inside code blocks and code spans
is not a link. Prints one line per broken link (file:line: target: what is wrong) and exits 1.
"""

from __future__ import annotations

import glob
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FENCE_RE = re.compile(r'^\s*(```|~~~)')
CODE_SPAN_RE = re.compile(r'(`+)(?:(?!\1).)+?\1')
MD_LINK_RE = re.compile(r'!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)')
HREF_RE = re.compile(r'\bhref="([^"]+)"')
ID_RE = re.compile(r'\bid="([^"]+)"')
HEADING_RE = re.compile(r'^(#{1,6})\s+(.*?)\s*#*\s*$')
SCHEME_RE = re.compile(r'^[A-Za-z][A-Za-z0-9+.-]*:')
ESCAPE_RE = re.compile(r'\\([!-/:-@\[-`{-~])')


def slug(text):
    """GitHub's heading anchor: rendered text, lower case, punctuation dropped, spaces to '-'."""
    text = re.sub(r'\[([^\]]*)\]\([^)]*\)', r'\1', text)     # links -> their text
    text = re.sub(r'<[^>]+>', '', text)                       # inline HTML
    text = ESCAPE_RE.sub(r'\1', text).replace('`', '')
    text = text.strip().lower()
    text = re.sub(r'[^\w\- ]', '', text)
    return text.replace(' ', '-')


def scan(path):
    """(links as (line, target), anchors) of one Markdown file."""
    links, anchors, seen = [], set(), {}
    in_fence = None
    with open(path, encoding='utf-8') as handle:
        for number, line in enumerate(handle, 1):
            fence = FENCE_RE.match(line)
            if fence:
                if in_fence is None:
                    in_fence = fence.group(1)
                elif fence.group(1) == in_fence:
                    in_fence = None
                continue
            if in_fence:
                continue
            heading = HEADING_RE.match(line)
            if heading:
                base = slug(heading.group(2))
                count = seen.get(base, 0)
                seen[base] = count + 1
                anchors.add(base if count == 0 else '%s-%d' % (base, count))
            anchors.update(ID_RE.findall(line))
            text = CODE_SPAN_RE.sub('', line)
            for target in MD_LINK_RE.findall(text) + HREF_RE.findall(text):
                links.append((number, target))
    return links, anchors


def check(files):
    problems = []
    cache = {}

    def info(path):
        if path not in cache:
            cache[path] = scan(path)
        return cache[path]

    for path in files:
        for number, raw in info(path)[0]:
            if SCHEME_RE.match(raw) or raw.startswith('//'):
                continue
            target = ESCAPE_RE.sub(r'\1', raw).replace('&amp;', '&')
            file_part, _sep, fragment = target.partition('#')
            where = '%s:%d: %s' % (os.path.relpath(path, ROOT), number, raw)
            dest = os.path.normpath(os.path.join(os.path.dirname(path), file_part)) if file_part else path
            if not os.path.exists(dest):
                problems.append('%s: %s does not exist' % (where, os.path.relpath(dest, ROOT)))
                continue
            if not os.path.relpath(path, ROOT).startswith('..') and os.path.relpath(dest, ROOT).startswith('..'):
                problems.append('%s: points outside the repository' % where)
                continue
            if fragment and dest.endswith('.md'):
                if fragment not in info(dest)[1]:
                    problems.append('%s: %s has no heading or id for #%s' % (where, os.path.relpath(dest, ROOT), fragment))
    return problems


def main(argv):
    files = [os.path.abspath(f) for f in argv] or sorted(
        glob.glob(os.path.join(ROOT, '*.md')) + glob.glob(os.path.join(ROOT, 'docs', '**', '*.md'), recursive=True))
    problems = check(files)
    for problem in problems:
        print(problem)
    print('check_links: %d files, %d broken links' % (len(files), len(problems)), file=sys.stderr)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
