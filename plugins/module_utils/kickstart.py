# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""From a user's kickstart to the exact, validated kickstart a builder gets.

Everything goes through pykickstart's real parser and version handlers:

* flatten: ``%include`` (and top-level ``%ksappend``, as anaconda and
  ksvalidator preprocess it) are read and the result is ``str(handler)``,
  which is what ``ksflatten`` writes. Only include resolution differs from
  pykickstart: a relative name is looked up beside the including file (its
  directory, or its URL) and then in ``include_path``, never in the process's
  current directory, and every read goes through the Fetcher (limits, allowed
  schemes). Include loops are refused instead of recursing forever.
* validate: errors name the file, the line and the problem; parse warnings
  are errors (as in ksvalidator); deprecation warnings are returned.
* transform: repos added/removed/replaced, ``url`` override, the side repo
  plus ``--excludepkgs`` of its pinned package names on every other repo (the
  kickstart ``repo`` command has ``--cost`` but no priority), and %packages
  additions/exclusions.
* write: atomically, only when the text changes.
* identity: ``identity_sha256`` is the sha256 of the final text with the side
  repo's baseurl (a directory of the node's build slot) written as a fixed
  token, so the build ID does not depend on the slot a build got; the side
  repo's content is in the build ID through its pinned packages.

The kickstart comes from ``src`` (a node path or a URL) or, as ``content``,
from the caller (the role reads a kickstart kept on the controller there):
text has no directory of its own, so its includes resolve in ``include_path``
only.
"""

from __future__ import annotations

import os
import re
import shlex
import warnings

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils.fileutil import atomic_write, read_text, sha256_bytes
from ansible_collections.ondemand.fedora_build.plugins.module_utils.kickstart_fetch import (
    DEFAULT_MAX_SIZE, DEFAULT_TIMEOUT, Fetcher, NotFound, check_location, display_url, hide_secrets, is_remote,
    parse_checksum, strip_userinfo)
from ansible_collections.ondemand.fedora_build.plugins.module_utils.kickstart_confine import Confinement
from ansible_collections.ondemand.fedora_build.plugins.module_utils.kickstart_transform import (
    check_node_sources, repo_summary, transform)
from ansible_collections.ondemand.fedora_build.plugins.module_utils.validate import check_release, check_text

try:
    from pykickstart import __version__ as _PYKICKSTART_VERSION  # pylint: disable=unused-import
except ImportError:
    _PYKICKSTART_VERSION = None

try:
    from pykickstart.errors import (KickstartDeprecationWarning, KickstartError, KickstartParseWarning,
                                    KickstartVersionError)
    from pykickstart.parser import KickstartParser
    from pykickstart.version import makeVersion, stringToVersion, versionMap, versionToString
    HAS_PYKICKSTART = True
    PYKICKSTART_IMPORT_ERROR = None
except ImportError as _exc:  # pragma: no cover - exercised only on nodes without pykickstart
    HAS_PYKICKSTART = False
    PYKICKSTART_IMPORT_ERROR = _exc
    KickstartParser = object  # type: ignore
    KickstartError = KickstartParseWarning = KickstartDeprecationWarning = KickstartVersionError = Exception  # type: ignore

LINE_IN_MSG_RE = re.compile(r'\bline (\d+)')
# The side repo's baseurl in the text identity_sha256 is computed over: the real one names the build slot's directory.
SIDE_REPO_TOKEN = 'file:///fedora-build/side-repo'
CONTENT_LABEL = 'content'
MAX_INCLUDES = 1000   # files read through %include in one kickstart (each is also size-limited)


def _clean(message):
    """One line, ending with a period."""
    text = ' '.join(str(message or '').split())
    if text and text[-1] not in '.!?':
        text += '.'
    return text


class _Located(Exception):
    """A kickstart problem at a known file (and line when known)."""

    def __init__(self, label, lineno, problem):
        super(_Located, self).__init__(problem)
        self.label = label
        self.lineno = lineno
        self.problem = _clean(problem)

    def to_error(self):
        where = self.label if self.lineno is None else '%s line %d' % (self.label, self.lineno)
        return FedoraBuildError(strip_userinfo('%s: %s' % (where, self.problem)), file=self.label, line=self.lineno)


# ---------------------------------------------------------------------------
# version
# ---------------------------------------------------------------------------
def _newest_fedora():
    return max(int(key[1:]) for key in versionMap if re.match(r'^F\d+$', key))


def resolve_version(value, text=''):
    """Return (handler constant, name such as 'F41', warnings) for a version option.

    value may be a pykickstart name (F41, DEVEL, RHEL9), a Fedora release
    number (41) or 'rawhide'; when empty, the '#version=' line of text is used
    (as pykickstart's versionFromFile does), else DEVEL.
    """
    notes = []
    source = 'version'
    if value is None or str(value).strip() == '':
        value = 'DEVEL'
        for line in text.splitlines():
            if line[:9] == '#version=':
                value = line[9:].strip()
                source = 'the #version= line of src'
                break
    text_value = str(value).strip()
    if re.match(r'^[0-9]+$', text_value) or text_value.lower() == 'rawhide':
        release = check_release(text_value, 'version')
        if release == 'rawhide':
            text_value = 'DEVEL'
        else:
            newest = _newest_fedora()
            if int(release) > newest:
                notes.append('version: Fedora %s is newer than pykickstart %s knows; validating with F%d (DEVEL).'
                             % (release, _PYKICKSTART_VERSION, newest))
                text_value = 'DEVEL'
            else:
                text_value = 'F%s' % release
    try:
        constant = stringToVersion(text_value)
    except KickstartVersionError:
        raise FedoraBuildError('%s: %r is not a kickstart syntax version known to pykickstart %s '
                               '(use e.g. F41, DEVEL, RHEL9, a Fedora release number or rawhide).'
                               % (source, value, _PYKICKSTART_VERSION))
    return constant, versionToString(constant, skipDevel=True), notes


# ---------------------------------------------------------------------------
# reading and flattening
# ---------------------------------------------------------------------------
class _Resolver(object):
    """Finds %include / %ksappend targets: beside the including file, then include_path.

    Every candidate must be inside the kickstart's own source or include_path (see
    kickstart_confine); one that is not is never opened or fetched.
    """

    def __init__(self, fetcher, include_path, confinement, detached=()):
        self.fetcher = fetcher
        self.include_path = list(include_path or [])
        self.confinement = confinement
        self.detached = set(detached)   # labels of text given as content: no directory to look beside

    def candidates(self, name, parent):
        if is_remote(name) or os.path.isabs(name):
            return [name]
        found = [] if parent in self.detached else [self.fetcher.join(parent, name)]
        found.extend(os.path.join(directory, name) for directory in self.include_path)
        return found

    def load(self, directive, name, parent, lineno, where=None):
        """Return (label, text); errors are reported at (where or parent, lineno)."""
        where = where or parent
        tried = []
        refused = []
        for candidate in self.candidates(name, parent):
            if not self.confinement.allows(candidate):
                refused.append(candidate)
                continue
            tried.append(display_url(candidate))
            try:
                # a redirect must stay inside the same confinement
                return self.fetcher.load(candidate, field=directive, allow=self.confinement.allows)
            except NotFound:
                continue
            except FedoraBuildError as exc:
                raise _Located(where, lineno, '%s %s cannot be read: %s' % (directive, display_url(name), exc.msg))
        if refused:
            raise _Located(where, lineno, '%s %s is refused: it is outside the kickstart\'s own source and the '
                                          'operator\'s include_path (%s), so it was not read'
                           % (directive, display_url(name), self.confinement.describe()))
        raise _Located(where, lineno, '%s file %s was not found (looked for %s)'
                       % (directive, display_url(name), ', '.join(tried)))


class _FlatteningParser(KickstartParser):
    """pykickstart's KickstartParser, with includes read through _Resolver.

    Only _handleInclude is replaced; it does what the original does
    (depth + 1, read the file's text with reset=False, depth - 1) except that
    the text comes from the resolver and a file already on the stack is a
    loop error. The state machine, sections and handlers are pykickstart's.
    """

    def __init__(self, handler, resolver, strict=False):
        KickstartParser.__init__(self, handler, followIncludes=True, errorsAreFatal=True,
                                 missingIncludeIsFatal=True, unknownSectionIsFatal=True)
        self.resolver = resolver
        self.stack = []
        self.texts = {}
        self.linemaps = {}
        self.sources = []
        self.strict = strict
        self.command_line = (None, None)
        self.include_calls = {}
        self.deprecations = []
        self.parse_warnings = []

    # -- helpers ------------------------------------------------------------
    def _where(self, label, lineno):
        """Map a line of the (preprocessed) top-level text back to its real file."""
        linemap = self.linemaps.get(label)
        if linemap and lineno is not None and 0 < lineno <= len(linemap):
            return linemap[lineno - 1]
        return label, lineno

    def _find_line(self, label, predicate, nth=1):
        for number, line in enumerate((self.texts.get(label) or '').splitlines(), 1):
            if predicate(line):
                nth -= 1
                if nth == 0:
                    return number
        return None

    def _include_lineno(self, label, name):
        def is_include(line):
            try:
                args = shlex.split(line)
            except ValueError:
                return False
            return len(args) > 1 and args[0] == '%include' and args[1] == name
        # includes are handled in text order, so the n-th call for a name is its n-th %include line
        key = (label, name)
        self.include_calls[key] = self.include_calls.get(key, 0) + 1
        return self._find_line(label, is_include, self.include_calls[key])

    def _locate(self, exc):
        label = self.stack[-1]
        lineno = getattr(exc, 'lineno', None)
        if isinstance(exc, KickstartError):
            problem = exc.message or 'cannot be parsed'
        else:
            problem = str(exc)
            match = LINE_IN_MSG_RE.search(problem)
            if match:
                lineno = int(match.group(1))
            elif isinstance(exc, ValueError) and self._line:
                current = self._line
                lineno = self._find_line(label, lambda line: line == current.rstrip('\n'))
                problem = '%s (in %r)' % (problem, current.strip())
        label, lineno = self._where(label, lineno)
        return _Located(label, lineno, problem)

    def _show_warning(self, message, category, filename, lineno, file=None, line=None):  # pylint: disable=unused-argument
        if not issubclass(category, KickstartParseWarning):
            return
        text = str(message)
        label = self.stack[-1] if self.stack else '?'
        match = LINE_IN_MSG_RE.search(text)
        lineno = int(match.group(1)) if match else None
        if lineno is None and self.command_line[0] == label:
            lineno = self.command_line[1]
        where_label, where_line = self._where(label, lineno)
        prefix = where_label if where_line is None else '%s line %d' % (where_label, where_line)
        if issubclass(category, KickstartDeprecationWarning):
            self.deprecations.append('%s: %s' % (prefix, _clean(text)))
        elif self.strict:
            # ksvalidator turns every other parse warning into an error.
            raise _Located(where_label, where_line, text)
        else:
            self.parse_warnings.append('%s: %s' % (prefix, _clean(text)))

    def _read(self, label, text):
        self.stack.append(label)
        self.texts[label] = text
        try:
            self.readKickstartFromString(text, reset=False)
        except _Located:
            raise
        except (KickstartError, ValueError) as exc:
            raise self._locate(exc)
        self.stack.pop()

    # -- pykickstart hooks --------------------------------------------------
    def handleCommand(self, lineno, args):
        self.command_line = (self.stack[-1] if self.stack else None, lineno)
        return KickstartParser.handleCommand(self, lineno, args)

    def _handleInclude(self, f):
        parent = self.stack[-1]
        parent_line = self._include_lineno(parent, f)
        where_label, where_line = self._where(parent, parent_line)
        label, text = self.resolver.load('%include', f, parent, where_line, where=where_label)
        if label in self.stack:
            chain = ' -> '.join(self.stack[self.stack.index(label):] + [label])
            raise _Located(where_label, where_line, 'include loop: %%include %s reads a file that is already being '
                                                    'read (%s)' % (f, chain))
        if len(self.sources) >= MAX_INCLUDES:
            raise _Located(where_label, where_line, '%%include %s is more than %d included files in one kickstart'
                           % (f, MAX_INCLUDES))
        self.sources.append(label)
        self._includeDepth += 1
        self._read(label, text)
        self._includeDepth -= 1

    # -- entry point --------------------------------------------------------
    def parse_top(self, label, text, linemap):
        self._reset()
        self.linemaps[label] = linemap
        self.sources.append(label)
        with warnings.catch_warnings():
            warnings.simplefilter('always')
            warnings.showwarning = self._show_warning
            self._read(label, text)


def preprocess(label, text, resolver, sources):
    """Inline top-level %ksappend lines, as pykickstart's preprocessKickstart does.

    Returns (text, linemap) where linemap[i] is (file, line) of output line i+1.
    """
    out = []
    linemap = []
    for number, line in enumerate(text.splitlines(True), 1):
        stripped = line.strip()
        if not stripped.startswith('%ksappend'):
            out.append(line)
            linemap.append((label, number))
            continue
        parts = stripped.split()
        if len(parts) < 2:
            raise _Located(label, number, '%ksappend needs a file name or URL')
        alabel, atext = resolver.load('%ksappend', parts[1], label, number)
        sources.append(alabel)
        lines = atext.splitlines(True)
        if lines and not lines[-1].endswith('\n'):
            lines[-1] += '\n'
        for anumber, aline in enumerate(lines, 1):
            out.append(aline)
            linemap.append((alabel, anumber))
    return ''.join(out), linemap


def _require_pykickstart():
    if not HAS_PYKICKSTART:
        raise FedoraBuildError('pykickstart is not installed on the node (pip install pykickstart, or dnf install '
                               'python3-kickstart): %s.' % PYKICKSTART_IMPORT_ERROR)


def load_content(content, label, checksum, max_size):
    """(label, text) of a kickstart given as text, checked as a file would be: size, checksum (of its UTF-8 bytes)."""
    if not isinstance(content, str):
        raise FedoraBuildError('content: must be the kickstart text (got %s).' % type(content).__name__)
    try:
        data = content.encode('utf-8')
    except UnicodeEncodeError as exc:
        raise FedoraBuildError('content: %s is not UTF-8 text (character %d).' % (label, exc.start))
    if len(data) > max_size:
        raise FedoraBuildError('content: %s is %d bytes, more than the limit of %d bytes (max_size).'
                               % (label, len(data), max_size))
    if checksum:
        actual = sha256_bytes(data)
        if actual != checksum:
            raise FedoraBuildError('content: sha256 of %s is %s, not the expected %s.' % (label, actual, checksum))
    return label, content


def flatten(src, fetcher, include_path=None, version=None, checksum=None, strict=False, content=None,
            content_label=None):
    """Read src (or take content) with its includes; return dict(handler, version, version_name, sources, warnings, text).

    content: the kickstart's text instead of src; it has no directory of its own, so its relative includes are looked
    up in include_path only (the confinement then holds include_path alone).
    """
    _require_pykickstart()
    checksum = parse_checksum(checksum)
    if content is not None:
        label, text = load_content(content, content_label or CONTENT_LABEL, checksum, fetcher.max_size)
        resolver = _Resolver(fetcher, include_path, Confinement(None, include_path), detached=[label])
    else:
        label, text = fetcher.load(src, checksum=checksum, field='src')
        resolver = _Resolver(fetcher, include_path, Confinement(src, include_path))
    constant, name, notes = resolve_version(version, text)
    sources = []
    try:
        pre_text, linemap = preprocess(label, text, resolver, sources)
        handler = makeVersion(constant)
        parser = _FlatteningParser(handler, resolver, strict=strict)
        parser.parse_top(label, pre_text, linemap)
    except _Located as exc:
        raise exc.to_error()
    except RecursionError:
        raise FedoraBuildError('src: %s nests %%include files too deeply.' % label)
    return {
        'handler': handler,
        'version': constant,
        'version_name': name,
        'sources': [label] + sources + parser.sources[1:],
        'warnings': notes + parser.deprecations + parser.parse_warnings,
        'text': str(handler),
    }


def validate_text(text, version, label='generated kickstart', strict=False):
    """Parse text with a fresh handler as ksvalidator would; returns its deprecation warnings."""
    _require_pykickstart()
    parser = _FlatteningParser(makeVersion(version), _Resolver(Fetcher(), [], Confinement(None)), strict=strict)
    try:
        parser.parse_top(label, text, None)
    except _Located as exc:
        raise exc.to_error()
    return parser.deprecations


# ---------------------------------------------------------------------------
# the whole job
# ---------------------------------------------------------------------------
def _identity_text(handler, side_repo):
    """str(handler) with the side repo's baseurl written as SIDE_REPO_TOKEN (the handler is left as it was)."""
    repos = [repo for repo in getattr(getattr(handler, 'repo', None), 'repoList', [])
             if side_repo and repo.name == side_repo.get('name')]
    if not repos:
        return str(handler)
    before = [repo.baseurl for repo in repos]
    try:
        for repo in repos:
            repo.baseurl = SIDE_REPO_TOKEN
        return str(handler)
    finally:
        for repo, baseurl in zip(repos, before):
            repo.baseurl = baseurl


def prepare(src, include_path=None, version=None, checksum=None, repos=None, remove_repos=None, url=None,
            side_repo=None, packages=None, exclude_packages=None, timeout=DEFAULT_TIMEOUT, max_size=DEFAULT_MAX_SIZE,
            validate_certs=True, strict=False, content=None, content_label=None, node_repo_dirs=None):
    """Flatten, transform and validate; return the final text, its identity text and what the module reports.

    ``node_repo_dirs`` (None: not confined): the build node directories the kickstart's own sources may name."""
    if src is not None and content is not None:
        raise FedoraBuildError('content: give src or content, not both.')
    if src is None and content is None:
        raise FedoraBuildError('src: give src (a path on the node or a URL) or content (the kickstart text).')
    if content_label is not None:
        check_text(content_label, 'content_label')
    fetcher = Fetcher(timeout=timeout, max_size=max_size, validate_certs=validate_certs)
    for index, directory in enumerate(include_path or []):
        if not os.path.isabs(directory) or '..' in directory.split('/'):
            raise FedoraBuildError('include_path[%d]: %r is not an absolute path without "..".' % (index, directory))
        if not os.path.isdir(directory):
            raise FedoraBuildError('include_path[%d]: %s is not a directory on the node.' % (index, directory))
    for index, directory in enumerate(node_repo_dirs or []):
        if not os.path.isabs(directory) or '..' in directory.split('/'):
            raise FedoraBuildError('node_repo_dirs[%d]: %r is not an absolute path without "..".' % (index, directory))
    if node_repo_dirs is not None:
        node_repo_dirs = [os.path.normpath(d) for d in node_repo_dirs]
    if content is None:
        check_location(src, 'src')
    parse_checksum(checksum)
    if version is not None:
        resolve_version(version)
    # The changes are checked on an empty kickstart first, so a bad value fails before anything is fetched.
    _require_pykickstart()
    transform(makeVersion(), repos=repos, remove_repos=remove_repos, url=url, side_repo=side_repo,
              packages=packages, exclude_packages=exclude_packages)
    flat = flatten(src, fetcher, include_path=include_path, version=version, checksum=checksum, strict=strict,
                   content=content, content_label=content_label)
    handler = flat['handler']
    if node_repo_dirs is not None:  # the kickstart's own sources, before the pipeline adds its repositories
        check_node_sources(handler, node_repo_dirs, 'src' if content is None else 'content')
    added, notes = transform(handler, repos=repos, remove_repos=remove_repos, url=url, side_repo=side_repo,
                             packages=packages, exclude_packages=exclude_packages)
    text = str(handler)
    validate_text(text, flat['version'], strict=strict)
    return {
        'text': text,
        'identity_text': _identity_text(handler, side_repo),
        'version': flat['version_name'],
        'sources': flat['sources'],
        'repos': [repo_summary(repo) for repo in getattr(getattr(handler, 'repo', None), 'repoList', [])],
        'packages_added': added,
        'warnings': flat['warnings'] + notes,
    }


def _check_dest(dest):
    if not dest:
        raise FedoraBuildError('dest: a path on the node is required.')
    if os.path.isdir(dest):
        raise FedoraBuildError('dest: %s is a directory; give the path of the kickstart file to write.' % dest)
    parent = os.path.dirname(os.path.abspath(dest))
    if not os.path.isdir(parent):
        raise FedoraBuildError('dest: directory %s does not exist.' % parent)


def write(dest, text, check_mode=False):
    """Write text to dest atomically when it differs; return (changed, diff)."""
    _check_dest(dest)
    before = read_text(dest) if os.path.exists(dest) else None
    changed = before != text
    if changed and not check_mode:
        try:
            atomic_write(dest, text)
        except (IOError, OSError) as exc:
            raise FedoraBuildError('dest: %s cannot be written (%s).' % (dest, exc.strerror or exc))
    diff = {'before': before or '', 'after': text, 'before_header': dest if before is not None else '/dev/null',
            'after_header': dest}
    return changed, diff


def run(params, check_mode=False):
    """Module entry: prepare + write (without dest, nothing is written); returns the module result (without 'diff')."""
    dest = params.get('dest')
    if dest is not None:
        _check_dest(dest)
    src = params.get('src')
    try:
        result = prepare(
            src, content=params.get('content'), content_label=params.get('content_label'),
            include_path=params.get('include_path'), version=params.get('version'),
            checksum=params.get('checksum'), repos=params.get('repos'), remove_repos=params.get('remove_repos'),
            url=params.get('url'), side_repo=params.get('side_repo'), packages=params.get('packages'),
            exclude_packages=params.get('exclude_packages'),
            timeout=DEFAULT_TIMEOUT if params.get('timeout') is None else params['timeout'],
            max_size=DEFAULT_MAX_SIZE if params.get('max_size') is None else params['max_size'],
            validate_certs=params.get('validate_certs', True), strict=params.get('strict', False),
            node_repo_dirs=params.get('node_repo_dirs'))
    except FedoraBuildError as exc:
        # the credentials of a src URL never reach a message (labels already drop them; this is the last guard)
        raise FedoraBuildError(hide_secrets(exc.msg, src or ''), **exc.result)
    result['warnings'] = [hide_secrets(note, src or '') for note in result['warnings']]
    changed, diff = write(dest, result['text'], check_mode=check_mode) if dest is not None else (False, None)
    return {
        'changed': changed,
        'dest': dest,
        'sha256': sha256_bytes(result['text']),
        'identity_sha256': sha256_bytes(result['identity_text']),
        'version': result['version'],
        'sources': result['sources'],
        'repos': result['repos'],
        'packages_added': result['packages_added'],
        'warnings': result['warnings'],
    }, diff
