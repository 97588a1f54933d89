# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Request files: read the YAML, validate with the collection's request model (module_utils/request.py)."""

from pathlib import Path

import yaml

from .errors import CLIError, FAILED, INFRA, NOT_FOUND
from .project import collection_module
from .safe import load_yaml

WRAPPERS = ('fedora_build_requests', 'fedora_build_request')


def load(path):
    """The list of requests in a request file.

    Accepted shapes: ``fedora_build_requests: [...]``, ``fedora_build_request: {...}`` (the
    playbooks' extra vars, what ``import-conf`` writes), a bare request mapping, a bare list.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding='utf-8')
    except FileNotFoundError:
        raise CLIError('%s: no such request file.' % path, NOT_FOUND)
    except (OSError, UnicodeDecodeError) as exc:
        raise CLIError('%s: cannot read it (%s).' % (path, exc), FAILED)
    try:
        data = load_yaml(text, path)
    except yaml.YAMLError as exc:
        mark = getattr(exc, 'problem_mark', None)
        where = (' line %d' % (mark.line + 1)) if mark is not None else ''
        raise CLIError('%s:%s is not valid YAML (%s).' % (path, where, getattr(exc, 'problem', None) or exc), FAILED)
    if isinstance(data, dict) and 'fedora_build_requests' in data:
        data = data['fedora_build_requests']
        if not isinstance(data, list):
            raise CLIError('%s: fedora_build_requests must be a list of requests.' % path, FAILED)
    elif isinstance(data, dict) and 'fedora_build_request' in data:
        data = [data['fedora_build_request']]
    elif isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not data:
        raise CLIError('%s: expected a request (mapping), a list of requests, or fedora_build_request(s): ...' % path, FAILED)
    return data


def service_defaults(status_dir, extravars=None, inventory=None):
    """The service defaults validate_requests() needs, as the playbook will see them.

    Each setting comes from -e (``extravars``), else from the inventory (``inventory``: the operator's
    settings of localhost, inventory_settings.read()), as in ansible-playbook. Staging:
    ``fedora_build_staging``, else the local target that holds the status dir (``<target>/status``, the
    pipeline's default); Koji: ``fedora_build_koji``; ``fedora_build_timeout``; the names of
    ``fedora_build_kiwi_descriptions`` (``builder.description`` must be one of them); the controller directories
    of ``fedora_build_kickstart_dirs`` (a request's kickstart path must lie in one); the node directories of
    ``fedora_build_node_repo_dirs`` (a request's file:// repository must lie in one); the names of
    ``fedora_build_koji_gpgkeys`` (what ``koji.gpgkeys`` may name); the operator's named
    destinations (``fedora_build_staging_targets``, ``fedora_build_koji_hubs``, the names of
    ``fedora_build_webhooks``, ``fedora_build_allow_request_destinations``).
    """
    merged = dict(inventory or {})
    merged.update(extravars or {})
    extravars = merged
    defaults = {'staging': extravars.get('fedora_build_staging')
                or [{'type': 'local', 'path': str(Path(status_dir).parent)}]}
    if extravars.get('fedora_build_koji'):
        defaults['koji'] = extravars['fedora_build_koji']
    if extravars.get('fedora_build_timeout') is not None:
        defaults['timeout'] = extravars['fedora_build_timeout']  # the model takes "3600" (-e KEY=VALUE) too
    if isinstance(extravars.get('fedora_build_kiwi_descriptions'), dict):  # builder.description names these
        defaults['kiwi_descriptions'] = sorted(extravars['fedora_build_kiwi_descriptions'])
    if extravars.get('fedora_build_kickstart_dirs'):
        defaults['kickstart_dirs'] = extravars['fedora_build_kickstart_dirs']
    if extravars.get('fedora_build_node_repo_dirs'):
        defaults['node_repo_dirs'] = extravars['fedora_build_node_repo_dirs']
    if isinstance(extravars.get('fedora_build_koji_gpgkeys'), dict):  # koji.gpgkeys names these
        defaults['koji_gpgkeys'] = sorted(extravars['fedora_build_koji_gpgkeys'])
    # the operator's named destinations (docs/security.md, "Trust model"): a request names them
    for key in ('staging_targets', 'koji_hubs', 'webhooks', 'allow_request_destinations'):
        if extravars.get('fedora_build_' + key) is not None:
            defaults[key] = extravars['fedora_build_' + key]
    if isinstance(defaults.get('allow_request_destinations'), str):  # -e KEY=VALUE gives a string (the playbook: | bool)
        defaults['allow_request_destinations'] = defaults['allow_request_destinations'].strip().lower() in (
            'true', 'yes', 'on', '1')
    if isinstance(defaults.get('webhooks'), dict):
        defaults['webhooks'] = sorted(defaults['webhooks'])  # names only: the notify step reads the rest
    return defaults


def validate(project, requests, image_type=None, defaults=None):
    """(normalized requests, problems) from the collection's validate_requests()."""
    module = collection_module(project)
    func = getattr(module, 'validate_requests', None)
    if func is None:
        raise CLIError('the collection has no request.validate_requests(); update the checkout.', INFRA)
    normalized, problems = func(requests, defaults=defaults, image_type=image_type, prefix='requests')
    return list(normalized or []), [str(p) for p in problems or []]


def summary(request):
    return dict((k, request.get(k)) for k in ('request_id', 'image_type', 'release', 'arch', 'name'))
