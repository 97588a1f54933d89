# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers shared by the koji_side_repo functional tests."""

from __future__ import annotations

import json
import os

from ansible_collections.ondemand.fedora_build.plugins.module_utils.koji_client import KojiResolver, make_session
from ansible_collections.ondemand.fedora_build.plugins.module_utils.side_repo import SideRepo, build_side_repo
from support.ansible_run import LOCALHOST, run_module

MODULE = 'ondemand.fedora_build.koji_side_repo'


def direct(hub, tmp_path, check_mode=False, builds=(), tasks=(), tag_latest=(), arches=('x86_64',), exclude=None,
           sigkeys=('',), dest=None, cache=None, hub_url=None, **repo_kw):
    """Run the module's library code in-process (fast) against the hub stand-in."""
    repo_kw.setdefault('backoff', 0.05)
    repo_kw.setdefault('retries', 3)
    session, url, top = make_session(hub_url=hub_url or hub.url, topurl=hub.topurl, retries=repo_kw['retries'],
                                     retry_interval=0.05, timeout=repo_kw.get('timeout', 20))
    resolver = KojiResolver(session, url, top)
    repo = SideRepo(str(dest or tmp_path / 'repo'), str(cache or tmp_path / 'cache'), **repo_kw)
    return build_side_repo(resolver, repo, builds=builds, tasks=tasks, tag_latest=tag_latest, arches=arches,
                           exclude=exclude, sigkeys=sigkeys, check_mode=check_mode)


def via_ansible(hub, tmp_path, check=False, diff=False, **args):
    """Run the real module through ansible-playbook on localhost (venv python: koji + rpm)."""
    args.setdefault('hub_url', hub.url)
    args.setdefault('topurl', hub.topurl)
    args.setdefault('dest', str(tmp_path / 'repo'))
    args.setdefault('cache_dir', str(tmp_path / 'cache'))
    args.setdefault('backoff', 0.05)
    return run_module(MODULE, args, inventory=LOCALHOST, check=check, diff=diff)


def manifest(repo_dir):
    with open(os.path.join(str(repo_dir), 'koji-manifest.json')) as handle:
        return json.load(handle)


def nvras(result):
    return sorted(p['nvra'] for p in result['packages'])


def leftovers(*dirs):
    """Temporary (.part) files anywhere under dirs."""
    found = []
    for top in dirs:
        for root, _dirs, files in os.walk(str(top)):
            found.extend(os.path.join(root, f) for f in files if f.endswith('.part'))
    return found
