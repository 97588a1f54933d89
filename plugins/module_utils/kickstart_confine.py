# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where a kickstart's ``%include`` and ``%ksappend`` lines may read from.

A kickstart comes from a request, which is untrusted, while the kickstart
module runs as root on the build node. So an include resolves only inside:

* the kickstart's own source: for a file on the node, the directory of the
  top kickstart (symlinks resolved); for a URL, the same scheme, host and port
  and a path under the directory of the top kickstart's URL;
* the directories of ``include_path``, which the operator sets (the role fills
  it from ``fedora_build_kickstart_include_path``, never from the request).

Anything else (an absolute node path such as ``/etc/shadow``, ``..`` out of the
directory, a symlink that leads out, another host, a node path named by a
kickstart read over HTTP) is refused before it is opened or fetched.
"""

from __future__ import annotations

import os
import re

from urllib.parse import unquote, urlsplit

from ansible_collections.ondemand.fedora_build.plugins.module_utils.kickstart_fetch import display_url, is_remote

DEFAULT_PORTS = {'http': 80, 'https': 443, 'ftp': 21}


def _url_key(url):
    """(scheme, host, port, decoded path) of url, or None when it cannot be parsed."""
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        port = parts.port or DEFAULT_PORTS.get(scheme)
    except ValueError:
        return None
    return scheme, (parts.hostname or '').lower(), port, unquote(parts.path or '/')


def _inside(path, root):
    return path == root or path.startswith(root.rstrip('/') + '/')


class Confinement(object):
    """The places a kickstart read from ``src`` may include from."""

    def __init__(self, src, include_path=None):
        self.roots = []          # real directories on the node
        self.url_root = None     # (scheme, host, port, directory path ending in '/')
        self.descriptions = []
        if src and is_remote(src):
            key = _url_key(src)
            if key is not None:
                directory = key[3][:key[3].rfind('/') + 1] or '/'
                self.url_root = key[:3] + (directory,)
                netloc = urlsplit(display_url(src)).netloc
                self.descriptions.append('%s://%s%s' % (key[0], netloc, directory))
        elif src:
            directory = os.path.realpath(os.path.dirname(os.path.abspath(src)))
            self.roots.append(directory)
            self.descriptions.append(directory + '/')
        for directory in include_path or []:
            real = os.path.realpath(directory)
            self.roots.append(real)
            self.descriptions.append(real.rstrip('/') + '/')

    def describe(self):
        """The allowed places, for a message."""
        if not self.descriptions:
            return 'nothing'
        return ' and '.join(self.descriptions)

    def allows(self, location):
        """True when location (a node path or URL) is inside the kickstart's source or include_path.

        Only names are looked at (and symlinks resolved): nothing is opened or fetched.
        """
        if is_remote(location):
            if self.url_root is None:
                return False
            key = _url_key(location)
            if key is None or key[:3] != self.url_root[:3]:
                return False
            segments = re.split(r'[/\\]', key[3])
            if '..' in segments or '.' in segments:
                return False
            return key[3].startswith(self.url_root[3])
        if '\x00' in location:
            return False
        real = os.path.realpath(os.path.abspath(location))
        return any(_inside(real, root) for root in self.roots)
