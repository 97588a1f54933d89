# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter ``side_repo_args`` (logic in module_utils/request_args.py)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.ondemand.fedora_build.plugins.module_utils import request_args
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError

DOCUMENTATION = r"""
name: side_repo_args
author: ondemand.fedora_build developers (@ondemand)
version_added: 0.3.0
short_description: The koji_side_repo module's arguments for a request
description:
  - Turns a normalized request into the arguments of M(ondemand.fedora_build.koji_side_repo) - the request's C(koji)
    fields of the same name, C(profile) as C(koji_profile), C(arches) (plus C(i686) with C(multilib) on x86_64),
    C(dest), C(cache_dir) and C(base_repos) (the request's resolved repositories).
  - When C(koji.hub) names a hub the operator defined, its login comes from O(koji_hubs); a password named by
    C(password_env) is read from the controller's environment. The variable's name is not among the arguments.
  - C(koji.gpgkeys) names the operator's public keys; each becomes its node path from O(gpgkeys). A name that is
    not there (or a path) fails the task in one sentence that lists the known names.
options:
  _input:
    description: A normalized request, as returned by M(ondemand.fedora_build.build_request).
    type: dict
    required: true
  pipe:
    description: The build's pipeline directory on the node; the side repo goes to C(<pipe>/side-repo).
    type: str
    required: true
  cache_dir:
    description: The node's cache directory; downloads are kept in C(<cache_dir>/koji).
    type: str
    required: true
  koji_hubs:
    description: The operator's Koji hubs (C(fedora_build_koji_hubs)).
    type: dict
  gpgkeys:
    description: The operator's public key files on the node by name (C(fedora_build_koji_gpgkeys)).
    type: dict
"""

EXAMPLES = r"""
- name: Compute the side repo arguments
  ansible.builtin.set_fact:
    build_args: "{{ build_request | ondemand.fedora_build.side_repo_args(build_pipe, build_cache_dir,
                    fedora_build_koji_hubs | default({}), fedora_build_koji_gpgkeys | default({})) }}"
"""

RETURN = r"""
_value:
  description: The module arguments.
  type: dict
  sample: {koji_profile: fedora, builds: [bash-5.2.32-1.fc41], arches: [x86_64], dest: /var/lib/fedora-build/work/x/side-repo,
           cache_dir: /var/cache/fedora-build/koji, base_repos: []}
"""


def _side_repo_args(request, pipe, cache_dir, koji_hubs=None, gpgkeys=None):
    try:
        return request_args.side_repo_args(request, pipe, cache_dir, koji_hubs, gpgkeys=gpgkeys)
    except FedoraBuildError as exc:
        raise AnsibleFilterError(exc.msg)


class FilterModule:
    """Arguments of the side repo step."""

    def filters(self):
        return {
            'side_repo_args': _side_repo_args,
        }
