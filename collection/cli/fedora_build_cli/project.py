# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where things are: the repo checkout (playbooks, ansible.cfg), the collection, the status dir."""

import configparser
import importlib
import os
import sys
from pathlib import Path

from .errors import CLIError, INFRA

COLLECTION = 'ondemand.fedora_build'
REQUEST_MODULE = 'ansible_collections.ondemand.fedora_build.plugins.module_utils.request'


def _is_repo(path):
    return (path / 'playbooks' / 'build.yml').is_file() and (path / 'galaxy.yml').is_file()


class Project:
    """A checkout of the collection used in place (the project dir of every runner job)."""

    def __init__(self, root):
        self.root = Path(root).resolve()
        self.playbooks = self.root / 'playbooks'
        self.ansible_cfg = self.root / 'ansible.cfg'

    @classmethod
    def find(cls, start=None):
        """FEDORA_BUILD_PROJECT, else the checkout this package sits in, else cwd and its parents."""
        env = os.environ.get('FEDORA_BUILD_PROJECT')
        if env:
            if not _is_repo(Path(env)):
                raise CLIError('FEDORA_BUILD_PROJECT: %s is not a checkout of %s (no playbooks/build.yml and galaxy.yml).'
                               % (env, COLLECTION), INFRA)
            return cls(env)
        here = Path(__file__).resolve()
        candidates = list(here.parents)
        cwd = Path(start or os.getcwd()).resolve()
        candidates += [cwd] + list(cwd.parents)
        for path in candidates:
            if _is_repo(path):
                return cls(path)
        raise CLIError('cannot find the %s checkout (playbooks/build.yml): run from inside it or set FEDORA_BUILD_PROJECT.'
                       % COLLECTION, INFRA)

    def playbook(self, name):
        path = self.playbooks / name
        if not path.is_file():
            raise CLIError('playbook %s is missing from the checkout %s.' % (name, self.root), INFRA)
        return path

    def default_inventory(self):
        """The inventory ansible.cfg names ([defaults] inventory), resolved against the repo."""
        value = self._cfg('inventory')
        if not value:
            return None
        return str(self._resolve(value.split(',')[0]))

    def collections_paths(self):
        """ANSIBLE_COLLECTIONS_PATH, else ansible.cfg's collections_path, as absolute existing dirs."""
        value = os.environ.get('ANSIBLE_COLLECTIONS_PATH') or self._cfg('collections_path') or self._cfg('collections_paths') or ''
        out = []
        for item in value.split(os.pathsep):
            if item.strip():
                path = self._resolve(item.strip())
                if path.is_dir() and str(path) not in out:
                    out.append(str(path))
        return out

    def default_status_dir(self):
        return str(self.root / 'staging' / 'status')

    def runner_env(self):
        """Environment for runner jobs: this checkout's ansible.cfg and collections, whatever the cwd."""
        env = {'ANSIBLE_CONFIG': str(self.ansible_cfg)} if self.ansible_cfg.is_file() else {}
        paths = self.collections_paths()
        if paths:
            env['ANSIBLE_COLLECTIONS_PATH'] = os.pathsep.join(paths)
        env['ANSIBLE_ROLES_PATH'] = str(self.root / 'roles')
        # ansible-playbook from the same environment as this Python (a venv is often not on PATH)
        here = os.path.dirname(sys.executable)
        path = os.environ.get('PATH', os.defpath)
        if here not in path.split(os.pathsep):
            path = here + os.pathsep + path
        env['PATH'] = path
        return env

    def _cfg(self, key):
        if not self.ansible_cfg.is_file():
            return None
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(str(self.ansible_cfg))
        except configparser.Error:
            return None
        return parser.get('defaults', key, fallback=None)

    def _resolve(self, value):
        path = Path(os.path.expanduser(value))
        return path if path.is_absolute() else (self.root / path).resolve()


def status_dir(option, project):
    """--status-dir, else FEDORA_BUILD_STATUS_DIR, else <repo>/staging/status."""
    value = option or os.environ.get('FEDORA_BUILD_STATUS_DIR') or project.default_status_dir()
    return str(Path(value).expanduser().resolve())


def collection_module(project, name=REQUEST_MODULE):
    """Import a module of the collection (module_utils) the way Ansible would find it."""
    for path in project.collections_paths():
        if path not in sys.path:
            sys.path.append(path)
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise CLIError('cannot import %s from the collection (%s); run collection/setup.sh.' % (name, exc), INFRA)
