# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter ``ssh_source``: a node's Ansible SSH connection as ``stage``'s ``src_host``."""

from __future__ import annotations

import shlex

DOCUMENTATION = r"""
name: ssh_source
author: ondemand.fedora_build developers (@ondemand)
version_added: 0.2.0
short_description: A build node's SSH connection variables as the src_host of the stage module
description:
  - Turns a host's connection variables (C(ansible_host), C(ansible_port), C(ansible_user),
    C(ansible_ssh_private_key_file), C(ansible_ssh_args), C(ansible_ssh_common_args), C(ansible_ssh_extra_args), in
    that order like the ssh connection plugin) into the O(ondemand.fedora_build.stage#module:src_host) of
    M(ondemand.fedora_build.stage), so the controller pulls from the node the way Ansible reaches it, also through a
    jump host (C(-J), C(ProxyJump), C(ProxyCommand)).
  - C(-o UserKnownHostsFile=...) (or C(GlobalKnownHostsFile)) becomes C(known_hosts_file), C(-i ...)
    C(identity_file), C(-p ...) C(port), C(-l ...) C(user) (the C(ansible_) variables win) and C(-o ProxyCommand=...)
    C(proxy_command). C(StrictHostKeyChecking) is dropped because the stage module always checks host keys strictly;
    the connection sharing options (C(ControlMaster), C(ControlPath), C(ControlPersist)) are dropped because the
    stage module keeps its own.
  - Returns V(null) for C(ansible_connection=local), where the files are on the controller already.
options:
  _input:
    description: The host's variables, e.g. C(hostvars[inventory_hostname]).
    type: dict
    required: true
  name:
    description: The host's name, used when C(ansible_host) is not set.
    type: str
"""

EXAMPLES = r"""
- name: Pull the build to the controller
  ondemand.fedora_build.stage:
    src: /var/lib/fedora-build/work/slot-0/tree
    build_id: "{{ build_id }}"
    target: {type: local, path: /srv/staging}
    src_host: "{{ hostvars[inventory_hostname] | ondemand.fedora_build.ssh_source(inventory_hostname) }}"
  delegate_to: localhost
"""

RETURN = r"""
_value:
  description: C({host, port, user, identity_file, known_hosts_file, proxy_command, ssh_args}) with only the keys that are set,
    or V(null).
  type: dict
  sample: {host: 10.77.0.11, port: 22, user: root, identity_file: /lab/id_ed25519, known_hosts_file: /lab/known_hosts,
           ssh_args: [-o, IdentitiesOnly=yes]}
"""

DROPPED = ('stricthostkeychecking', 'controlmaster', 'controlpath', 'controlpersist')
KNOWN_HOSTS = ('userknownhostsfile', 'globalknownhostsfile')
WITH_VALUE = ('-o', '-i', '-p', '-l')


def _options(words):
    """Split ssh arguments into the stage module's fields and the ssh_args it passes on."""
    out, rest = {}, []
    words = list(words)
    while words:
        word = words.pop(0)
        if word in WITH_VALUE and words:
            value = words.pop(0)
        elif word[:2] in WITH_VALUE and len(word) > 2:
            word, value = word[:2], word[2:]
        else:
            rest.append(word)
            continue
        if word == '-i':
            out.setdefault('identity_file', value)
            continue
        if word == '-p':
            out.setdefault('port', int(value))
            continue
        if word == '-l':
            out.setdefault('user', value)
            continue
        key, sep, setting = value.partition('=')
        if not sep:
            key, _sp, setting = value.partition(' ')
        key, setting = key.strip().lower(), setting.strip()
        if key in KNOWN_HOSTS:
            if setting.split() and 'known_hosts_file' not in out:
                out['known_hosts_file'] = setting.split()[0]   # ssh reads several files; stage takes one
        elif key == 'proxycommand':
            out['proxy_command'] = setting
        elif key not in DROPPED:
            rest += ['-o', value]
    if rest:
        out['ssh_args'] = rest
    return out


def ssh_source(hostvars, name=None):
    if (hostvars.get('ansible_connection') or 'ssh') == 'local':
        return None
    words = []
    for var in ('ansible_ssh_args', 'ansible_ssh_common_args', 'ansible_ssh_extra_args'):
        words += shlex.split(hostvars.get(var) or '')
    src = _options(words)
    src['host'] = hostvars.get('ansible_host') or hostvars.get('ansible_ssh_host') or name
    port = hostvars.get('ansible_port') or hostvars.get('ansible_ssh_port')
    if port:
        src['port'] = int(port)
    user = hostvars.get('ansible_user') or hostvars.get('ansible_ssh_user')
    if user:
        src['user'] = user
    key = hostvars.get('ansible_ssh_private_key_file') or hostvars.get('ansible_private_key_file')
    if key:
        src['identity_file'] = key
    return src


class FilterModule:
    """SSH source of a node."""

    def filters(self):
        return {'ssh_source': ssh_source}
