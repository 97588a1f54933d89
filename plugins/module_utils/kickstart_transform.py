# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The requested changes to a parsed kickstart: repos, url, the side repo, %packages.

Works with the handler of every kickstart syntax version pykickstart knows. Old
versions lack parts of the ``repo`` command (FC3-FC5 and RHEL3-RHEL4 have none;
FC6, F7 and RHEL5 have no ``--cost``, ``--includepkgs`` or ``--excludepkgs``;
only F27+ and RHEL8+ have ``--metalink``) and of ``url`` (``--mirrorlist``
from F18 and RHEL7, ``--metalink`` from F27 and RHEL8). What the handler's own
data classes have decides; a change the version cannot express is refused in
one sentence naming the field and the version.
"""

from __future__ import annotations

import re

from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils.validate import check_name, check_url, file_url_inside

try:
    from pykickstart.version import versionToString
except ImportError:  # pragma: no cover - the kickstart module reports the missing library first
    versionToString = None  # type: ignore

REPO_SCHEMES = ('http', 'https', 'ftp', 'file', 'nfs')
URL_SCHEMES = ('http', 'https', 'ftp', 'file', 'nfs')
REPO_OPTIONS = ('baseurl', 'mirrorlist', 'metalink', 'cost', 'includepkgs', 'excludepkgs')
# A %packages entry: a package name, glob, or name.arch / name-version; '@group' and '@^environment' allowed
# where groups make sense. No whitespace, no leading '-', no shell or kickstart syntax characters.
PACKAGE_RE = re.compile(r'^[A-Za-z0-9_+*?\[\]][A-Za-z0-9_.+*?\[\]:~^-]*$')
GROUP_RE = re.compile(r'^@\^?[A-Za-z0-9_][A-Za-z0-9_.+-]*$')


def syntax_name(handler):
    """The handler's version as pykickstart names it (F41, RHEL7, ...)."""
    try:
        return versionToString(handler.version, skipDevel=True)
    except Exception:  # pylint: disable=broad-except  # only for a message
        return str(getattr(handler, 'version', '?'))


def repo_options(handler):
    """The repo options the handler's version has, or None when it has no repo command."""
    if getattr(handler, 'repo', None) is None or not hasattr(handler, 'RepoData'):
        return None
    data = handler.RepoData()
    return set(option for option in REPO_OPTIONS if hasattr(data, option))


def _repo_list(handler):
    repo = getattr(handler, 'repo', None)
    return repo.repoList if repo is not None else []


def _no_repo_command(handler, field, what):
    return FedoraBuildError('%s: kickstart syntax %s has no repo command, so %s cannot be added (repo came with FC6 '
                            'and RHEL5).' % (field, syntax_name(handler), what))


def _no_option(handler, field, option, why=''):
    return FedoraBuildError('%s: the repo command of kickstart syntax %s has no --%s option%s.'
                            % (field, syntax_name(handler), option, why))


def _check_packages(values, field, groups=True):
    result = []
    for value in values or []:
        text = value.strip() if isinstance(value, str) else ''
        ok = PACKAGE_RE.match(text) or (groups and GROUP_RE.match(text))
        if not ok:
            raise FedoraBuildError('%s: %r is not a package name or glob%s.'
                                   % (field, value, ' (or @group / @^environment)' if groups else ''))
        if text not in result:
            result.append(text)
    return result


def _check_cost(value, field):
    if value is None or value == '':
        return None
    try:
        cost = int(value)
    except (TypeError, ValueError):
        cost = -1
    if isinstance(value, bool) or cost < 0 or str(cost) != str(value).strip():
        raise FedoraBuildError('%s: %r is not a non-negative whole number.' % (field, value))
    return cost


def repo_summary(repo):
    """A plain dict describing a RepoData object (options the version lacks are None or [])."""
    return {
        'name': repo.name,
        'baseurl': getattr(repo, 'baseurl', None) or None,
        'mirrorlist': getattr(repo, 'mirrorlist', None) or None,
        'metalink': getattr(repo, 'metalink', None) or None,
        'cost': getattr(repo, 'cost', None),
        'includepkgs': list(getattr(repo, 'includepkgs', None) or []),
        'excludepkgs': list(getattr(repo, 'excludepkgs', None) or []),
    }


def _new_repo(handler, spec, field):
    if not isinstance(spec, dict):
        raise FedoraBuildError('%s: each item must be a mapping with name and baseurl (or metalink or mirrorlist).' % field)
    name = check_name(spec.get('name'), '%s.name' % field)
    given = [key for key in ('baseurl', 'metalink', 'mirrorlist') if spec.get(key)]
    if len(given) != 1:
        raise FedoraBuildError('%s: give exactly one of baseurl, metalink and mirrorlist (got %s).'
                               % (field, ', '.join(given) or 'none'))
    if given[0] == 'baseurl':
        url = check_url(spec['baseurl'], REPO_SCHEMES, '%s.baseurl' % field)
    else:
        # Mirror services are web services: only http(s), never file/nfs.
        url = check_url(spec[given[0]], ('http', 'https'), '%s.%s' % (field, given[0]))
    cost = _check_cost(spec.get('cost'), '%s.cost' % field)
    include = _check_packages(spec.get('includepkgs'), '%s.includepkgs' % field, groups=False)
    exclude = _check_packages(spec.get('excludepkgs'), '%s.excludepkgs' % field, groups=False)
    options = repo_options(handler)
    if options is None:
        raise _no_repo_command(handler, field, 'repos')
    wanted = [(given[0], url), ('cost', cost), ('includepkgs', include), ('excludepkgs', exclude)]
    for option, value in wanted:
        if value not in (None, []) and option not in options:
            raise _no_option(handler, '%s.%s' % (field, option), option)
    repo = handler.RepoData(name=name, **{given[0]: url})
    for option, value in wanted[1:]:
        if option in options:
            setattr(repo, option, value)
    return repo


def _put_repo(handler, repo):
    repos = handler.repo.repoList
    for index, existing in enumerate(repos):
        if existing.name == repo.name:
            repos[index] = repo
            return
    repos.append(repo)
    handler.repo.seen = True


def _add_side_repo(handler, side_repo, notes):
    if repo_options(handler) is None:
        raise _no_repo_command(handler, 'side_repo', 'the side repo')
    side = _new_repo(handler, dict((k, v) for k, v in side_repo.items() if k != 'packages'), 'side_repo')
    # names, or koji_side_repo's package dicts (their 'name')
    names = [item.get('name') if isinstance(item, dict) else item for item in side_repo.get('packages') or []]
    pinned = _check_packages(names, 'side_repo.packages', groups=False)
    others = [repo for repo in handler.repo.repoList if repo.name != side.name]
    if pinned and others and 'excludepkgs' not in repo_options(handler):
        raise _no_option(handler, 'side_repo.packages', 'excludepkgs',
                         ', so the pinned packages cannot be kept out of the other repos')
    for repo in others:
        repo.excludepkgs = list(repo.excludepkgs or []) + [p for p in pinned if p not in (repo.excludepkgs or [])]
    _put_repo(handler, side)
    source = getattr(handler.url, 'url', None) or getattr(handler.url, 'mirrorlist', None) or \
        getattr(handler.url, 'metalink', None)
    if pinned and source:
        notes.append('url: the installation source %s cannot carry --excludepkgs, so builds of the pinned packages '
                     '(%s) found there compete with side repo %r by version.' % (source, ', '.join(pinned), side.name))


def _node_sources(handler):
    """(what, URL or path) of every installation source the kickstart itself names: its repo lines, url,
    liveimg, ostreesetup and ostreecontainer; harddrive (a partition of the node) as (what, None)."""
    for repo in _repo_list(handler):
        if getattr(repo, 'baseurl', None):
            yield 'repo %s --baseurl' % repo.name, repo.baseurl
    for command, attrs in (('url', ('url', 'mirrorlist', 'metalink')), ('liveimg', ('url',)),
                           ('ostreesetup', ('url',)), ('ostreecontainer', ('url',))):
        data = getattr(handler, command, None)
        if data is not None and getattr(data, 'seen', False):
            for attr in attrs:
                if getattr(data, attr, None):
                    yield '%s --%s' % (command, attr), getattr(data, attr)
    harddrive = getattr(handler, 'harddrive', None)
    if harddrive is not None and getattr(harddrive, 'seen', False):
        yield 'harddrive', None


def check_node_sources(handler, dirs, field='src'):
    """A kickstart's own sources may name a build node path (a file:// URL, an absolute path, a harddrive
    partition) only inside ``dirs``, the operator's node repository directories: the same rule the request
    validator applies to a request's repositories (validate.file_url_inside)."""
    for what, value in _node_sources(handler):
        if value is not None:
            is_file = value.lower().startswith('file:')
            if not (is_file or value.startswith('/')) or is_file and file_url_inside(value, dirs):
                continue
        raise FedoraBuildError('%s: the kickstart\'s %s %s names the build node\'s own files; only the operator\'s node '
                               'repository directories (node_repo_dirs) may be named (%s).'
                               % (field, what, '(a node disk partition)' if value is None else repr(value),
                                  ', '.join(dirs) if dirs else 'none are set'))


def transform(handler, repos=None, remove_repos=None, url=None, side_repo=None,
              packages=None, exclude_packages=None):
    """Apply the requested changes to a parsed handler; return (packages_added, warnings)."""
    notes = []
    repo_list = _repo_list(handler)

    for name in remove_repos or []:
        check_name(name, 'remove_repos')
        before = len(repo_list)
        repo_list[:] = [repo for repo in repo_list if repo.name != name]
        if len(repo_list) == before:
            notes.append('remove_repos: the kickstart has no repo named %r.' % name)

    for index, spec in enumerate(repos or []):
        _put_repo(handler, _new_repo(handler, spec, 'repos[%d]' % index))

    if url:
        check_url(url, URL_SCHEMES, 'url')
        handler.url.url = url
        for attr in ('mirrorlist', 'metalink'):
            if hasattr(handler.url, attr):
                setattr(handler.url, attr, None)
        handler.url.seen = True

    if side_repo:
        _add_side_repo(handler, side_repo, notes)

    add = _check_packages(packages, 'packages')
    drop = _check_packages(exclude_packages, 'exclude_packages')
    both = [name for name in add if name in drop]
    if both:
        raise FedoraBuildError('packages and exclude_packages both name %s.' % ', '.join(both))
    pkgs = handler.packages
    present = set(pkgs.packageList) | set('@' + group.name for group in pkgs.groupList)
    if getattr(pkgs, 'environment', None):
        present.add('@^' + pkgs.environment)
    added = [name for name in add if name not in present]
    if add:
        pkgs.add(add)
        pkgs.seen = True
    if drop:
        pkgs.add(['-' + name for name in drop])
        pkgs.seen = True
    return added, notes
