# -*- coding: utf-8 -*-
# Copyright: ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for koji_side_repo: a Koji hub login stays on the controller.

A build runs the requester's code as root on the build node (a kickstart's %pre and
%post --nochroot, RPM scriptlets of requested packages), so a secret on the node is a secret
the requester can read (docs/security.md). With a login (``auth`` other than ``none``) this
plugin logs in and resolves the request against the hub here, in the controller's process
(``side_repo.resolve_with_login``, which the module uses when it resolves itself), logs out, and runs the module
on the node with the resolved builds and packages (``resolved``) and without any login option:
the node only downloads from the anonymous file server (``topurl``) and verifies. ``client_cert``,
``keytab``, ``ca_cert`` and a ``koji_profile`` used with a login are controller paths; the CA
bundle's text goes to the node in ``resolved`` for the downloads over https (it is no secret).

Anonymous reads (``auth: none``, the default) resolve on the node as before: no secret is
involved, and a ``koji_profile`` then names a profile on the node.
"""

from __future__ import annotations

import json

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

from ansible_collections.ondemand.fedora_build.plugins.module_utils.builders import MACHINE_TO_ARCH
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils.side_repo_args import argument_spec, precheck

MODULE = 'ondemand.fedora_build.koji_side_repo'
# what only the hub session needs: never sent to the node
CONTROLLER_ONLY = ('auth', 'client_cert', 'principal', 'keytab', 'username', 'password', 'koji_profile', 'hub_url',
                   'topurl', 'ca_cert')
# what only a login uses: never sent to the node, also not when the reads are anonymous
LOGIN_ONLY = ('client_cert', 'principal', 'keytab', 'username', 'password')
# a CA bundle's text travels in ``resolved``; anything larger is not one
MAX_CA_BYTES = 1024 * 1024


class ActionModule(ActionBase):

    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        args = dict(self._task.args)
        if args.get('auth') in (None, 'none'):
            # anonymous: the node resolves itself (a koji_profile names a profile there); a login given anyway is
            # not used for anonymous reads, and not sent to the node either
            args = dict((key, value) for key, value in args.items() if key not in LOGIN_ONLY)
            result.update(self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars))
            return result
        spec = argument_spec()
        # the same checks and messages as AnsibleModule's
        validated = ArgumentSpecValidator(spec).validate(args)
        if validated.error_messages:
            result.update(failed=True, msg=validated.errors.msg)
            return result
        # plain Python values: ansible-core 2.19 tags strings, and the koji library cannot marshal those
        params = json.loads(json.dumps(validated.validated_parameters))
        try:
            precheck(params, spec)
            arches = params['arches'] or [self._node_arch(task_vars or {})]
            # imported here, not at the top: it brings the koji library, which an anonymous task's worker never needs
            from ansible_collections.ondemand.fedora_build.plugins.module_utils.side_repo import (  # pylint: disable=import-outside-toplevel
                resolve_with_login)
            resolved = resolve_with_login(params, arches)  # log in, resolve, log out: all here
            if params['ca_cert'] and params['validate_certs']:
                resolved['ca_pem'] = _read_ca(params['ca_cert'])
        except FedoraBuildError as err:
            result.update(err.result, failed=True, msg=err.msg)
            return result
        node_args = dict((key, value) for key, value in args.items() if key not in CONTROLLER_ONLY)
        node_args.update(arches=arches, resolved=resolved)  # a resolved given in the task is replaced
        result.update(self._execute_module(module_name=MODULE, module_args=node_args, task_vars=task_vars))
        return result

    def _node_arch(self, task_vars):
        """The node's architecture in Fedora naming (the module's default for ``arches``), asked of the node."""
        machine = (task_vars.get('ansible_facts') or {}).get('architecture')
        if not machine:
            answer = self._low_level_execute_command('uname -m')
            machine = (answer.get('stdout') or '').strip()
            if answer.get('rc') != 0 or not machine:
                raise FedoraBuildError('arches: not given, and the node did not say its architecture (uname -m).')
        return MACHINE_TO_ARCH.get(machine, machine)


def _read_ca(path):
    """The text of the controller's CA bundle ``path``, for the node's downloads over https (no secret)."""
    try:
        with open(path, 'rb') as handle:
            data = handle.read(MAX_CA_BYTES + 1)
    except (IOError, OSError) as exc:
        raise FedoraBuildError('ca_cert: %s cannot be read: %s.' % (path, exc.strerror or exc))
    text = data.decode('ascii', 'replace')
    if len(data) > MAX_CA_BYTES or '-----BEGIN CERTIFICATE-----' not in text:
        raise FedoraBuildError('ca_cert: %s is not a PEM CA bundle (-----BEGIN CERTIFICATE-----).' % path)
    return text
