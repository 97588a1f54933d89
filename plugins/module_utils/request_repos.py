# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A request's repositories (``repos``): presets expanded on the mirror, extra repositories, the resolved list.

A ``file://`` URL (``repos.mirror``, ``repos.extra[].baseurl``) names a directory on the build node, which dnf,
lorax and pungi read as root: a request may only name one inside the operator's ``fedora_build_node_repo_dirs``
(``defaults.node_repo_dirs``; none by default), judged on the URL's path with its percent-escapes decoded and no
".." segment. Nothing here looks at the node (the validator runs on the controller). Modules keep accepting any
``file://`` URL: the operator's tasks call them. Pure stdlib, Python 3.8+.
"""

from __future__ import annotations

from ansible_collections.ondemand.fedora_build.plugins.module_utils.fileutil import SYSTEM_DIRS, SYSTEM_TREES
from ansible_collections.ondemand.fedora_build.plugins.module_utils.request_checks import (
    INVALID, _abs_path, _bounded, _each, _inside, _join, _opt, _text, _url, show)
from ansible_collections.ondemand.fedora_build.plugins.module_utils.request_model import (
    DEFAULT_PRESETS, DEFAULT_RAWHIDE_PRESETS, METALINK, PRESET_REPO_NAMES, PRESETS, PRIMARY_MIRROR, REPO_URL_KEYS,
    SECONDARY_ARCHES, SECONDARY_MIRROR)
from ansible_collections.ondemand.fedora_build.plugins.module_utils.validate import check_name, file_url_inside

NODE_REPO_DIRS = 'fedora_build_node_repo_dirs'


def _node_repo_dir(p, value, path):
    """One of the operator's node repository directories: an absolute directory on the build node (not looked up
    here, the controller is not the node), normalized, not a system directory or anything under /etc, /usr, ..."""
    text = _abs_path(p, value, path, 'an absolute directory on the build node')
    if text is INVALID:
        return text
    if text in SYSTEM_DIRS or any(_inside(text, tree) for tree in SYSTEM_TREES):
        return p.add(path, '%s is a system directory; list the node directories that hold only repositories a '
                           'requester may build from.' % show(value, 300))
    return text


def _node_repo_url(p, url, path, dirs):
    """A request's repository URL: a file:// one names a directory on the build node, which must be inside one of
    the operator's node repository directories (``dirs``, normalized absolute paths), judged on its path with the
    percent-escapes decoded (what dnf opens) and without any ".." segment. Other schemes pass unchanged."""
    if url is INVALID or not url.lower().startswith('file:'):
        return url
    lead = '%s: a file:// repository is a directory on the build node; only the operator\'s %s may be named' % (
        path, NODE_REPO_DIRS)
    if not dirs:
        p.items.append('%s (none are set).' % lead)
        return INVALID
    if not file_url_inside(url, dirs):
        p.items.append('%s (%s), and %s is not a path inside one (no host, "..", query or escaped "%%").'
                       % (lead, ', '.join(dirs), show(url, 300)))
        return INVALID
    return url


def preset_url(preset, release, arch, source, mirror):
    """(url key, URL) of one repository preset."""
    if source == 'metalink':
        repo = {'release': 'fedora-%s', 'updates': 'updates-released-f%s',
                'updates-testing': 'updates-testing-f%s', 'rawhide': 'rawhide'}[preset]
        return 'metalink', '%s?repo=%s&arch=%s' % (METALINK, repo % release if '%s' in repo else repo, arch)
    tail = {'release': 'releases/%s/Everything/%s/os/' % (release, arch),
            'updates': 'updates/%s/Everything/%s/' % (release, arch),
            'updates-testing': 'updates/testing/%s/Everything/%s/' % (release, arch),
            'rawhide': 'development/rawhide/Everything/%s/os/' % arch}[preset]
    return 'baseurl', '%s/%s' % (mirror.rstrip('/'), tail)


def default_mirror(arch):
    return SECONDARY_MIRROR if arch in SECONDARY_ARCHES else PRIMARY_MIRROR


def _extra_repo(p, data, path, node_repo_dirs=()):
    """One extra repository; exactly one URL key: the validator's (the model's mutually_exclusive/required_one_of).
    A file:// baseurl must lie in one of the operator's node repository directories (``node_repo_dirs``)."""
    start = len(p)
    out = {}
    name = data['name']
    if _text(p, name, _join(path, 'name'), 128) is not INVALID:
        out['name'] = p.check(check_name, name, field=_join(path, 'name'))
    for key in REPO_URL_KEYS:
        if key in data:
            out[key] = _node_repo_url(p, _url(p, data[key], _join(path, key),
                                              ('http', 'https', 'ftp', 'file') if key == 'baseurl' else ('http', 'https')),
                                      _join(path, key), node_repo_dirs)
    out['cost'] = _opt(p, data, 'cost', path, _bounded, 0, 1000000)
    out['priority'] = _opt(p, data, 'priority', path, _bounded, 1, 99)
    return out if len(p) == start and INVALID not in (name,) + tuple(out.values()) else INVALID


def _repos(p, value, path, release, arch, image_type, node_repo_dirs=()):
    """node_repo_dirs: the operator's node directories a file:// mirror or baseurl may name (defaults.node_repo_dirs)."""
    start = len(p)
    data = {} if value is None else value
    if data is INVALID:
        return data
    rawhide = release == 'rawhide'
    known_release = release not in (None, INVALID)
    presets = data.get('presets')
    if presets is None:
        presets = list(DEFAULT_RAWHIDE_PRESETS if rawhide else DEFAULT_PRESETS)
    else:
        if presets is not INVALID and INVALID not in presets:
            presets = [name for name in PRESETS if name in presets]
            if known_release and rawhide and set(presets) - {'rawhide'}:
                p.add(_join(path, 'presets'), '%s do not apply to release rawhide (use the rawhide preset).'
                      % ', '.join(name for name in presets if name != 'rawhide'))
            if known_release and not rawhide and 'rawhide' in presets:
                p.add(_join(path, 'presets'), 'rawhide only applies to release rawhide, not to release %s.' % release)
    mirror = data.get('mirror')
    if mirror is None:
        mirror = default_mirror(arch) if arch not in (None, INVALID) else INVALID
    else:
        mirror = _node_repo_url(p, _url(p, mirror, _join(path, 'mirror'), ('http', 'https', 'ftp', 'file')),
                                _join(path, 'mirror'), node_repo_dirs)
        if mirror is not INVALID:
            mirror = mirror.rstrip('/')
    source = data.get('source', 'baseurl')
    extra = _each(p, data.get('extra'), _join(path, 'extra'),
                  lambda p_, item, where: _extra_repo(p_, item, where, node_repo_dirs))
    if (len(p) != start or not known_release or arch in (None, INVALID)
            or INVALID in (presets, mirror, source, extra) or INVALID in presets):
        return INVALID
    resolved = []
    for preset in presets:
        key, url = preset_url(preset, release, arch, source, mirror)
        resolved.append({'name': PRESET_REPO_NAMES[preset], key: url})
    names = [repo['name'] for repo in resolved]
    for index, repo in enumerate(extra):
        if repo['name'] in names:
            p.add(_join(_join(_join(path, 'extra'), index), 'name'),
                  '%r is used twice (repository names must be unique; presets use fedora, updates, '
                  'updates-testing and rawhide).' % repo['name'])
        names.append(repo['name'])
        resolved.append(dict((key, repo[key]) for key in ('name',) + REPO_URL_KEYS if key in repo))
    if image_type == 'boot' and not resolved:
        p.add(path, 'image_type boot needs at least one repository (a preset or an extra repository).')
    out = {'presets': presets, 'mirror': mirror, 'source': source, 'extra': extra, 'resolved': resolved}
    if data.get('resolved') is not None and data['resolved'] != resolved:
        p.add(_join(path, 'resolved'), 'is computed from presets, mirror, source and extra; leave it out.')
    return out if len(p) == start else INVALID
