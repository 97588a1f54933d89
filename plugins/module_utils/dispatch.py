# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ondemand.fedora_build contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The dispatch planner: which build slot of which node runs which request (docs/pipeline.md, "Plan").

A node of architecture A serves requests of arch A and runs ``capacity`` builds at once; each of
those is a *slot*, which the playbook turns into an in-memory inventory host ``<node>#<n>`` that
works through its queue. Requests are spread with the longest-processing-time-first rule: longest
estimated build first, each onto the slot where it would finish earliest; ties go to the slot whose
node has the least work so far, then the lower slot number, then the node name. So a batch spreads
over all nodes before any node gets work on its second slot, and the same input always gives the
same plan.

Pure: no I/O, nothing but the standard library and the backend registry's declarations.
"""

from __future__ import annotations

from ansible_collections.ondemand.fedora_build.plugins.module_utils import backend_registry
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError
from ansible_collections.ondemand.fedora_build.plugins.module_utils.validate import check_arch, check_name

#: Seconds a build of each image type is assumed to take when the caller gives no estimate
#: (the estimate its default backend declares).
DEFAULT_ESTIMATES = backend_registry.estimates()
DEFAULT_SEPARATOR = '#'


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _plural(count, word):
    return '%d %s%s' % (count, word, '' if count == 1 else 's')


def merge_estimates(estimates):
    """DEFAULT_ESTIMATES updated with ``estimates``; each value a positive number of seconds."""
    merged = dict(DEFAULT_ESTIMATES)
    if estimates is None:
        return merged
    if not isinstance(estimates, dict):
        raise FedoraBuildError('estimates: expected a mapping of image type to seconds, got %s.' % type(estimates).__name__)
    for key, value in sorted(estimates.items(), key=lambda kv: str(kv[0])):
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                pass
        if not _is_number(value) or value <= 0:
            raise FedoraBuildError('estimates.%s: %r is not a positive number of seconds.' % (key, value))
        merged[str(key)] = value
    return merged


def _check_nodes(nodes, separator):
    """Validate the node list; returns ([node dict], [error sentence])."""
    errors = []
    checked = []
    if not isinstance(nodes, list):
        return [], ['nodes: expected a list of nodes ({name, arch, capacity}), got %s.' % type(nodes).__name__]
    seen = {}
    for index, node in enumerate(nodes):
        field = 'nodes[%d]' % index
        if not isinstance(node, dict):
            errors.append('%s: expected a mapping with name and arch, got %s.' % (field, type(node).__name__))
            continue
        unknown = sorted(set(node) - {'name', 'arch', 'capacity', 'weight'})
        if unknown:
            errors.append('%s: unknown key%s %s (allowed: name, arch, capacity, weight).'
                          % (field, 's' if len(unknown) > 1 else '', ', '.join(unknown)))
            continue
        name = node.get('name')
        if not isinstance(name, str) or not name.strip():
            errors.append('%s.name: a node needs a name (its inventory hostname).' % field)
            continue
        if separator in name:
            errors.append('%s.name: %r contains the slot separator %r; pick another slot_separator.' % (field, name, separator))
            continue
        if any(c.isspace() for c in name) or ',' in name:
            errors.append('%s.name: %r is not an inventory hostname (no spaces or commas).' % (field, name))
            continue
        if name in seen:
            errors.append('%s.name: node %s is listed twice (also nodes[%d]); a node builds for one architecture.'
                          % (field, name, seen[name]))
            continue
        seen[name] = index
        try:
            arch = check_arch(node.get('arch'), field='%s.arch' % field)
        except FedoraBuildError as exc:
            errors.append(exc.msg)
            continue
        capacity = node.get('capacity')
        if capacity is None:
            capacity = 1
        if isinstance(capacity, str) and capacity.strip().isdigit():
            capacity = int(capacity)
        if not isinstance(capacity, int) or isinstance(capacity, bool) or capacity < 0:
            errors.append('%s.capacity: %r is not a number of builds at once (0 or more).' % (field, node.get('capacity')))
            continue
        weight = node.get('weight')
        if weight is None:
            weight = 1.0
        if isinstance(weight, str):
            try:
                weight = float(weight)
            except ValueError:
                pass
        if not _is_number(weight) or weight <= 0:
            errors.append('%s.weight: %r is not a positive relative speed (1 = normal, 2 = twice as fast).'
                          % (field, node.get('weight')))
            continue
        checked.append({'name': name, 'arch': arch, 'capacity': capacity, 'weight': float(weight)})
    return checked, errors


def _request_estimate(request, field, estimates, errors):
    image_type = request.get('image_type')
    if not isinstance(image_type, str) or image_type not in estimates:
        errors.append('%s.image_type: %r has no build time estimate (estimates has %s).'
                      % (field, image_type, ', '.join(sorted(estimates))))
        return None
    estimate = float(estimates[image_type])
    builder = request.get('builder')
    if isinstance(builder, dict) and builder.get('timeout') is not None:
        timeout = builder['timeout']
        if not _is_number(timeout) or timeout <= 0:
            errors.append('%s.builder.timeout: %r is not a positive number of seconds.' % (field, timeout))
            return None
        # A build cannot take longer than its timeout.
        estimate = min(estimate, float(timeout))
    return estimate


def _check_requests(requests, estimates):
    """Validate the requests; returns ([job dict], [error sentence])."""
    if not isinstance(requests, list):
        return [], ['requests: expected a list of normalized requests, got %s.' % type(requests).__name__]
    jobs = []
    errors = []
    seen = {}
    for index, request in enumerate(requests):
        field = 'requests[%d]' % index
        if not isinstance(request, dict):
            errors.append('%s: expected a normalized request (a mapping), got %s.' % (field, type(request).__name__))
            continue
        problems = []
        request_id = request.get('request_id')
        try:
            check_name(request_id, field='%s.request_id' % field)
        except FedoraBuildError as exc:
            problems.append(exc.msg)
            request_id = None
        if request_id is not None:
            if request_id in seen:
                problems.append('%s.request_id: %s is in the batch twice (also requests[%d]); submit each request once.'
                                % (field, request_id, seen[request_id]))
            else:
                seen[request_id] = index
        try:
            arch = check_arch(request.get('arch'), field='%s.arch' % field)
        except FedoraBuildError as exc:
            problems.append(exc.msg)
            arch = None
        estimate = _request_estimate(request, field, estimates, problems)
        if problems:
            errors.extend(problems)
            continue
        jobs.append({'index': index, 'field': field, 'request_id': request_id, 'arch': arch,
                     'image_type': request['image_type'], 'estimate': estimate})
    return jobs, errors


def _unserved(jobs, nodes):
    """Error sentences and the sorted arches for requests that no node (with capacity) serves."""
    have = sorted({n['arch'] for n in nodes})
    working = {n['arch'] for n in nodes if n['capacity'] > 0}
    errors = []
    unserved = set()
    for job in jobs:
        if job['arch'] in working:
            continue
        unserved.add(job['arch'])
        if job['arch'] in have:
            drained = ', '.join(n['name'] for n in nodes if n['arch'] == job['arch'])
            errors.append('%s.arch: no build node serves %s: its nodes (%s) have capacity 0.'
                          % (job['field'], job['arch'], drained))
        else:
            errors.append('%s.arch: no build node serves %s; the inventory has %s.'
                          % (job['field'], job['arch'], ', '.join(have) if have else 'no build nodes'))
    return errors, sorted(unserved)


def plan(requests, nodes, estimates=None, slot_separator=DEFAULT_SEPARATOR):
    """Assign every request to a build slot.

    Returns ``{'slots': [...], 'assignments': {...}, 'makespan_estimate': s, 'unserved': []}``
    (see the build_plan module's RETURN); raises FedoraBuildError naming every problem at once,
    with ``errors`` (the sentences) and ``unserved`` (arches without nodes) in its result.
    """
    if not isinstance(slot_separator, str) or not slot_separator or any(c.isspace() for c in slot_separator):
        raise FedoraBuildError('slot_separator: %r must be a non-empty string without spaces.' % (slot_separator,))
    if any(c.isalnum() or c in '.-_:,[]' for c in slot_separator):
        raise FedoraBuildError('slot_separator: %r must not contain letters, digits or any of . - _ : , [ ] '
                               '(they occur in host names and host patterns).' % (slot_separator,))
    errors = []
    try:
        estimates = merge_estimates(estimates)
    except FedoraBuildError as exc:
        errors.append(exc.msg)
        estimates = dict(DEFAULT_ESTIMATES)
    checked_nodes, node_errors = _check_nodes(nodes, slot_separator)
    jobs, request_errors = _check_requests(requests, estimates)
    errors.extend(node_errors)
    errors.extend(request_errors)
    unserved_errors, unserved = _unserved(jobs, checked_nodes) if not node_errors else ([], [])
    errors.extend(unserved_errors)
    if errors:
        raise FedoraBuildError(' '.join(errors), errors=errors, unserved=unserved)

    # One slot per unit of capacity.
    slots = []
    for node in checked_nodes:
        for number in range(1, node['capacity'] + 1):
            slots.append({'node': node['name'], 'slot': number, 'arch': node['arch'], 'weight': node['weight'],
                          'load': 0.0, 'queue': []})
    node_load = dict((n['name'], 0.0) for n in checked_nodes)
    by_arch = {}
    for slot in slots:
        by_arch.setdefault(slot['arch'], []).append(slot)

    # Longest first; equal estimates keep batch order.
    assignments = {}
    for job in sorted(jobs, key=lambda j: (-j['estimate'], j['index'])):
        def finish_key(slot, job=job):
            return (slot['load'] + job['estimate'] / slot['weight'], node_load[slot['node']], slot['slot'], slot['node'])
        best = min(by_arch[job['arch']], key=finish_key)
        duration = job['estimate'] / best['weight']
        best['load'] += duration
        node_load[best['node']] += duration
        best['queue'].append(job['request_id'])
        host = '%s%s%d' % (best['node'], slot_separator, best['slot'])
        assignments[job['request_id']] = {
            'node': best['node'], 'slot': best['slot'], 'slot_host': host, 'arch': job['arch'],
            'position': len(best['queue']), 'estimate': round(duration, 3),
            'start_estimate': round(best['load'] - duration, 3), 'finish_estimate': round(best['load'], 3),
        }

    used = []
    for slot in sorted(slots, key=lambda s: (s['node'], s['slot'])):
        if not slot['queue']:
            continue
        used.append({'host': '%s%s%d' % (slot['node'], slot_separator, slot['slot']), 'node': slot['node'],
                     'slot': slot['slot'], 'arch': slot['arch'], 'queue': slot['queue'],
                     'estimate': round(slot['load'], 3)})
    makespan = max([s['estimate'] for s in used] or [0.0])
    return {'slots': used, 'assignments': assignments, 'makespan_estimate': makespan, 'unserved': [],
            'nodes': sorted({s['node'] for s in used})}
