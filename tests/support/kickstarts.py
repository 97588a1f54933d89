# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The spin kickstarts of tests/functional/data/kickstarts, made to install from the test distribution."""

from __future__ import annotations

import shutil

from support.ansible_run import REPO

KICKSTARTS = REPO / 'tests' / 'functional' / 'data' / 'kickstarts'


def local_kickstarts(dest_parent, fedora_repo):
    """A copy of the spin kickstarts with fedora-repo.ks pointing at the test distribution instead of Fedora's
    mirrorlists; returns its directory (``dest_parent/kickstarts``).

    The pipeline keeps a kickstart's own ``url`` install source and its other ``repo`` lines (it replaces only
    repos of the request's names), and the stand-ins, like the real tools, would fetch those mirrorlists from
    the network: they refuse them loudly instead.
    """
    dest = dest_parent / 'kickstarts'
    shutil.copytree(str(KICKSTARTS), str(dest))
    (dest / 'fedora-repo.ks').write_text('url --url=file://%s/\nrepo --name=fedora --baseurl=file://%s/\n'
                                         % (fedora_repo, fedora_repo))
    return dest
