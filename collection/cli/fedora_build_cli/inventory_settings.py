# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The operator's service settings as ansible-playbook resolves them from the inventory (docs/cli.md).

playbooks/build.yml validates the requests in its ``hosts: localhost`` play, with the ``fedora_build_*``
settings of ``localhost`` (the inventory's, or the implicit localhost, which still gets ``group_vars/all``).
``read()`` resolves the same settings with ansible-core's own InventoryManager, VariableManager and
DataLoader in a child process (so the checkout's ansible.cfg and collections apply, as in the runner jobs,
and ansible's global config and warnings stay out of the CLI). Only the settings in ``SETTINGS`` are read;
nothing in a request chooses what is read.

Vault: nothing is decrypted and no vault password is asked for. An encrypted value (``!vault``) stands as
``ENCRYPTED`` (a string: shapes and names are what validation needs); a vars file that is encrypted as a
whole is not read, and the CLI says so.
"""

import json
import os
import subprocess
import sys

from .errors import CLIError, INFRA

# what build.yml's "Validate every request" task reads (its ``defaults``), all from localhost
SETTINGS = ('fedora_build_staging', 'fedora_build_koji', 'fedora_build_staging_targets', 'fedora_build_koji_hubs',
            'fedora_build_webhooks', 'fedora_build_allow_request_destinations', 'fedora_build_kiwi_descriptions',
            'fedora_build_timeout', 'fedora_build_kickstart_dirs', 'fedora_build_node_repo_dirs',
            'fedora_build_koji_gpgkeys')
# settings where a vault-encrypted value is expected (credentials of destinations): no note about them
SECRET_HOLDERS = ('fedora_build_staging', 'fedora_build_staging_targets', 'fedora_build_koji_hubs',
                  'fedora_build_webhooks')
# the Koji login of the default fedora_build_koji: not part of any request ID (build_identity.identity_part)
KOJI_LOGIN = ('auth', 'username', 'password', 'password_env', 'client_cert', 'principal', 'keytab')
ENCRYPTED = 'ENCRYPTED'  # stands for a vault-encrypted value; never its plaintext
HOST = 'localhost'
TIMEOUT = 300  # seconds: an inventory script that hangs must not hang validate


class Settings:
    """The settings read (``values``), and what was not: ``encrypted`` setting paths, ``unread`` files."""

    def __init__(self, inventory, values=None, encrypted=(), unread=()):
        self.inventory = inventory
        self.values = dict(values or {})
        self.encrypted = list(encrypted)
        self.unread = list(unread)

    def notes(self):
        """One line each about what was not read or not decrypted (paths and setting names, never values)."""
        out = ['%s: vault-encrypted, not read (the CLI has no vault password): settings defined only there are '
               'unknown to validation; encrypt single values (ansible-vault encrypt_string) instead.' % path
               for path in self.unread]
        noted = [path for path in self.encrypted if path.split('.', 1)[0].split('[', 1)[0] not in SECRET_HOLDERS
                 and not _is_koji_login(path)]
        if noted:
            out.append('%s: vault-encrypted in the inventory, validated as the text %s (not decrypted): a request ID '
                       'that depends on it may differ from the playbook\'s.' % (', '.join(noted), ENCRYPTED))
        return out


def _is_koji_login(path):
    parts = path.split('.')
    return len(parts) == 2 and parts[0] == 'fedora_build_koji' and parts[1] in KOJI_LOGIN


def read(project, inventory, extravars=None):
    """Settings for ``localhost`` from ``inventory`` (a path, or None: nothing is read).

    ``extravars`` (the -e values) take part in templating as in ansible-playbook; they are not in the result
    (the caller lays them over it). A broken inventory is a CLIError naming it.
    """
    if not inventory:
        return Settings(None)
    from .runner import _package_path  # pylint: disable=import-outside-toplevel
    env = dict(os.environ)
    env.update(project.runner_env())
    env['PYTHONPATH'] = os.pathsep.join([_package_path()] + [p for p in env.get('PYTHONPATH', '').split(os.pathsep) if p])
    env.pop('ANSIBLE_VAULT_PASSWORD_FILE', None)  # never decrypt: not needed to validate
    env.pop('ANSIBLE_VAULT_IDENTITY_LIST', None)
    request = {'inventory': str(inventory), 'playbook_dir': str(project.playbooks), 'extravars': extravars or {}}
    try:
        proc = subprocess.run([sys.executable, '-m', 'fedora_build_cli.inventory_settings'],
                              input=json.dumps(request, default=str).encode('utf-8'), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, cwd=str(project.root), env=env, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise CLIError('inventory %s: reading it took longer than %d seconds.' % (inventory, TIMEOUT), INFRA)
    except OSError as exc:
        raise CLIError('inventory %s: cannot start ansible to read it (%s).' % (inventory, exc), INFRA)
    try:
        answer = json.loads(proc.stdout.decode('utf-8'))
    except ValueError:
        tail = proc.stderr.decode('utf-8', 'replace').strip().splitlines()
        raise CLIError('inventory %s: cannot read it (%s).' % (inventory, tail[-1] if tail else 'rc %s' % proc.returncode),
                       INFRA)
    if answer.get('error'):
        raise CLIError('inventory %s: %s' % (inventory, answer['error']), INFRA)
    return Settings(inventory, answer.get('settings'), answer.get('encrypted', ()), answer.get('unread', ()))


# --------------------------------------------------------------------------- the child process (ansible-core)

def _one_line(exc):
    text = str(getattr(exc, 'message', None) or exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    return line.rstrip('.')


def _hide_encrypted(value, path, found, seen=None):
    """``value`` with every vault-encrypted leaf replaced by ENCRYPTED (nothing is decrypted); paths in ``found``."""
    from ansible.parsing.vault import VaultHelper  # pylint: disable=import-outside-toplevel,import-error
    seen = set() if seen is None else seen
    if VaultHelper.get_ciphertext(value, with_tags=False) is not None:
        found.append(path)
        return ENCRYPTED
    if isinstance(value, (dict, list, tuple)):
        if id(value) in seen:
            return value
        seen = seen | {id(value)}
        if isinstance(value, dict):
            return dict((k, _hide_encrypted(v, '%s.%s' % (path, k) if path else str(k), found, seen))
                        for k, v in value.items())
        return [_hide_encrypted(v, '%s[%d]' % (path, i), found, seen) for i, v in enumerate(value)]
    return value


def _plain(value):
    """JSON-ready copy (ansible's tagged types become their native ones)."""
    if isinstance(value, dict):
        return dict((str(k), _plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    for kind in (int, float, str):
        if isinstance(value, kind):
            return kind(value)
    return str(value)


def _failure(inventory, messages):
    """The one reason an inventory source did not parse, from ansible's warnings."""
    ext = os.path.splitext(inventory)[1]
    prefer = ('yaml',) if ext in ('.yml', '.yaml', '.json') else ('ini', 'yaml')
    for plugin in prefer:
        for name, text in messages:
            if name == plugin:
                return text
    return messages[0][1] if messages else 'no inventory plugin could parse it'


def resolve(inventory, playbook_dir, extravars):
    """{settings, encrypted, unread} or {error}: the settings of localhost as ansible-playbook sees them."""
    # pylint: disable=import-outside-toplevel,import-error
    from ansible.errors import AnsibleError
    from ansible.inventory.manager import InventoryManager
    from ansible.parsing.dataloader import DataLoader
    from ansible.parsing.vault import is_encrypted
    from ansible.template import Templar
    from ansible.utils.display import Display
    from ansible.vars.manager import VariableManager

    unread = []

    class Loader(DataLoader):
        """Reads a vars file that is vault-encrypted as a whole as empty (and notes it) instead of decrypting."""

        def _get_file_contents(self, file_name):
            path = self.path_dwim(file_name)
            try:
                with open(path, 'rb') as handle:
                    head = handle.read()
            except OSError:
                head = b''
            if is_encrypted(head):
                if path not in unread:
                    unread.append(path)
                return b'', False
            return super()._get_file_contents(file_name)

    failures = []
    display = Display()

    def error_as_warning(msg, exception=None, **kwargs):  # pylint: disable=unused-argument
        plugin = msg.split("'")[1] if msg.count("'") >= 2 else ''
        failures.append((plugin, _one_line(exception) if exception is not None else msg))

    display.error_as_warning = error_as_warning
    display.warning = lambda *args, **kwargs: None  # the answer says what matters; no ansible noise on the terminal

    try:
        loader = Loader()
        loader.set_basedir(playbook_dir)  # playbook-adjacent group_vars/host_vars, playbook_dir
        inventory_manager = InventoryManager(loader=loader, sources=[inventory], parse=False)
        inventory_manager.parse_sources(cache=False)
        if not inventory_manager._inventory.processed_sources:  # pylint: disable=protected-access
            if os.path.abspath(inventory) in unread:
                return {'error': 'it is vault-encrypted as a whole; the CLI reads inventories without a vault '
                                 'password, so encrypt single values (ansible-vault encrypt_string) instead.'}
            return {'error': 'cannot read it as an inventory (%s).' % _failure(inventory, failures)}
        variables = VariableManager(loader=loader, inventory=inventory_manager)
        host = inventory_manager.get_host(HOST)
        all_vars = variables.get_vars(host=host, include_hostvars=False)
        all_vars.update(extravars or {})  # extra vars win, as in ansible-playbook
        encrypted = []
        context = dict((k, _hide_encrypted(v, k, [])) for k, v in all_vars.items())
        templar = Templar(loader=loader, variables=context)
        settings = {}
        for key in SETTINGS:
            if key not in all_vars or key in (extravars or {}):
                continue
            value = _hide_encrypted(all_vars[key], key, encrypted)
            try:
                settings[key] = _plain(templar.template(value))
            except AnsibleError as exc:
                return {'error': '%s: cannot resolve its value as ansible-playbook would (%s).' % (key, _one_line(exc))}
    except AnsibleError as exc:
        return {'error': 'cannot read it (%s).' % _one_line(exc)}
    return {'settings': settings, 'encrypted': encrypted, 'unread': unread}


def child():
    request = json.load(sys.stdin)
    try:
        answer = resolve(request['inventory'], request['playbook_dir'], request.get('extravars') or {})
    except Exception as exc:  # pylint: disable=broad-except
        answer = {'error': 'cannot read it (%s: %s).' % (type(exc).__name__, _one_line(exc))}
    sys.stdout.write(json.dumps(answer))
    sys.stdout.flush()


if __name__ == '__main__':
    child()
