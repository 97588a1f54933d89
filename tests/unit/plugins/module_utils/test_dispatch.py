# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The dispatch planner: balance, determinism, capacity, arches, errors."""

from __future__ import annotations

import itertools
import random

import pytest

from ansible_collections.ondemand.fedora_build.plugins.module_utils.dispatch import DEFAULT_ESTIMATES, plan
from ansible_collections.ondemand.fedora_build.plugins.module_utils.errors import FedoraBuildError

LAB = [{'name': 'node-x86a', 'arch': 'x86_64'}, {'name': 'node-x86b', 'arch': 'x86_64'},
       {'name': 'node-arm', 'arch': 'aarch64'}]


def req(n, image_type='boot', arch='x86_64', **extra):
    data = {'request_id': 'rq-%012x' % n, 'image_type': image_type, 'release': '41', 'arch': arch}
    data.update(extra)
    return data


def queues(result):
    return {s['host']: s['queue'] for s in result['slots']}


def test_spreads_over_nodes_before_second_slot():
    nodes = [{'name': 'b', 'arch': 'x86_64', 'capacity': 2}, {'name': 'a', 'arch': 'x86_64', 'capacity': 2},
             {'name': 'c', 'arch': 'x86_64', 'capacity': 2}]
    three = plan([req(i) for i in range(3)], nodes)
    assert queues(three) == {'a#1': [req(0)['request_id']], 'b#1': [req(1)['request_id']], 'c#1': [req(2)['request_id']]}
    four = plan([req(i) for i in range(4)], nodes)
    assert sorted(queues(four)) == ['a#1', 'a#2', 'b#1', 'c#1']
    assert four['makespan_estimate'] == DEFAULT_ESTIMATES['boot']
    assert four['assignments'][req(3)['request_id']] == {
        'node': 'a', 'slot': 2, 'slot_host': 'a#2', 'arch': 'x86_64', 'position': 1, 'estimate': 1200.0,
        'start_estimate': 0.0, 'finish_estimate': 1200.0}


def test_twelve_equal_builds_over_three_nodes_are_ideal():
    result = plan([req(i, arch='x86_64') for i in range(12)],
                  [{'name': n, 'arch': 'x86_64'} for n in ('n1', 'n2', 'n3')])
    assert sorted(len(q) for q in queues(result).values()) == [4, 4, 4]
    assert result['makespan_estimate'] == 4 * DEFAULT_ESTIMATES['boot']
    # within a slot the queue keeps batch order
    for queue in queues(result).values():
        assert queue == sorted(queue)


def test_longest_first_balances_mixed_lengths():
    # dvd 3600, live 2400, boot 1200 on two slots: LPT puts dvd alone, live+boot together (3600 each).
    requests = [req(1, 'boot'), req(2, 'live'), req(3, 'dvd')]
    result = plan(requests, [{'name': 'x1', 'arch': 'x86_64'}, {'name': 'x2', 'arch': 'x86_64'}])
    assert result['makespan_estimate'] == 3600
    assert queues(result) == {'x1#1': [req(3)['request_id']], 'x2#1': [req(2)['request_id'], req(1)['request_id']]}
    # a batch-order (round-robin) plan would give 4800 or more here
    assert result['assignments'][req(1)['request_id']]['start_estimate'] == 2400


def test_lpt_is_within_its_bound_of_the_optimum():
    rng = random.Random(7)
    types = list(DEFAULT_ESTIMATES)
    for _round in range(30):
        requests = [req(i, rng.choice(types)) for i in range(rng.randint(1, 9))]
        nodes = [{'name': 'n%d' % k, 'arch': 'x86_64'} for k in range(rng.randint(1, 3))]
        result = plan(requests, nodes)
        durations = [DEFAULT_ESTIMATES[r['image_type']] for r in requests]
        best = min(max(sum(d for d, s in zip(durations, combo) if s == k) for k in range(len(nodes)))
                   for combo in itertools.product(range(len(nodes)), repeat=len(durations)))
        m = len(nodes)
        assert result['makespan_estimate'] <= best * (4.0 / 3 - 1.0 / (3 * m)) + 1e-9
        assert sorted(itertools.chain(*queues(result).values())) == sorted(r['request_id'] for r in requests)


def test_deterministic_and_independent_of_node_order():
    requests = [req(i, t) for i, t in enumerate(['boot', 'dvd', 'live', 'boot', 'live', 'dvd', 'boot'])]
    nodes = [{'name': 'n3', 'arch': 'x86_64'}, {'name': 'n1', 'arch': 'x86_64', 'capacity': 2},
             {'name': 'n2', 'arch': 'x86_64'}]
    first = plan(requests, nodes)
    for _round in range(5):
        shuffled = list(nodes)
        random.shuffle(shuffled)
        assert plan(requests, shuffled) == first
    assert [s['host'] for s in first['slots']] == ['n1#1', 'n1#2', 'n2#1', 'n3#1']


def test_capacity_limits_and_drained_nodes():
    nodes = [{'name': 'big', 'arch': 'x86_64', 'capacity': 3}, {'name': 'off', 'arch': 'x86_64', 'capacity': 0}]
    result = plan([req(i) for i in range(7)], nodes)
    assert sorted(queues(result)) == ['big#1', 'big#2', 'big#3']
    assert sorted(len(q) for q in queues(result).values()) == [2, 2, 3]
    assert result['nodes'] == ['big']
    assert plan([req(1)], [{'name': 'one', 'arch': 'x86_64', 'capacity': '2'}])['slots'][0]['host'] == 'one#1'


def test_weight_favours_faster_nodes():
    nodes = [{'name': 'slow', 'arch': 'x86_64'}, {'name': 'fast', 'arch': 'x86_64', 'weight': 2}]
    result = plan([req(i) for i in range(6)], nodes)
    assert len(queues(result)['fast#1']) == 4 and len(queues(result)['slow#1']) == 2
    assert result['makespan_estimate'] == 2400


def test_multiple_arches_stay_on_their_nodes():
    requests = [req(1, arch='aarch64'), req(2), req(3, 'live', arch='aarch64'), req(4, 'dvd')]
    result = plan(requests, LAB)
    by_host = {s['host']: s for s in result['slots']}
    assert by_host['node-arm#1']['queue'] == [req(3)['request_id'], req(1)['request_id']]
    assert by_host['node-arm#1']['arch'] == 'aarch64'
    assert by_host['node-x86a#1']['queue'] == [req(4)['request_id']]
    assert by_host['node-x86b#1']['queue'] == [req(2)['request_id']]
    assert result['makespan_estimate'] == 3600 and result['unserved'] == []


def test_builder_timeout_caps_the_estimate_and_estimates_override():
    requests = [req(1, 'dvd', builder={'timeout': 600}), req(2, 'boot'), req(3, 'boot')]
    result = plan(requests, [{'name': 'a', 'arch': 'x86_64'}, {'name': 'b', 'arch': 'x86_64'}])
    assert result['assignments'][req(1)['request_id']]['estimate'] == 600
    result = plan([req(1, 'boot'), req(2, 'boot')], [{'name': 'a', 'arch': 'x86_64'}], estimates={'boot': '10'})
    assert result['makespan_estimate'] == 20


def test_separator_and_empty_batch():
    result = plan([req(1)], LAB, slot_separator='@')
    assert result['slots'][0]['host'] == 'node-x86a@1'
    assert plan([], LAB) == {'slots': [], 'assignments': {}, 'makespan_estimate': 0.0, 'unserved': [], 'nodes': []}


def test_unserved_arches_are_all_reported_at_once():
    requests = [req(1), req(2, arch='s390x'), req(3, arch='ppc64le'), req(4, arch='ppc64le')]
    with pytest.raises(FedoraBuildError) as err:
        plan(requests, LAB)
    assert err.value.result['errors'] == [
        'requests[1].arch: no build node serves s390x; the inventory has aarch64, x86_64.',
        'requests[2].arch: no build node serves ppc64le; the inventory has aarch64, x86_64.',
        'requests[3].arch: no build node serves ppc64le; the inventory has aarch64, x86_64.',
    ]
    assert err.value.msg == ' '.join(err.value.result['errors'])
    assert err.value.result['unserved'] == ['ppc64le', 's390x']


def test_drained_arch_and_no_nodes():
    with pytest.raises(FedoraBuildError, match=r'^requests\[0\]\.arch: no build node serves aarch64: its nodes '
                                               r'\(node-arm\) have capacity 0\.$'):
        plan([req(1, arch='aarch64')], [{'name': 'node-arm', 'arch': 'aarch64', 'capacity': 0}])
    with pytest.raises(FedoraBuildError, match=r'^requests\[0\]\.arch: no build node serves x86_64; the inventory has '
                                               r'no build nodes\.$'):
        plan([req(1)], [])


@pytest.mark.parametrize('requests,nodes,kwargs,message', [
    ([req(1), req(1)], LAB, {}, 'requests[1].request_id: rq-000000000001 is in the batch twice (also requests[0]); '
                                'submit each request once.'),
    ([req(1, 'cloud')], LAB, {}, "requests[0].image_type: 'cloud' has no build time estimate (estimates has boot, dvd, live)."),
    ([req(1, arch='x86-64')], LAB, {}, "requests[0].arch: 'x86-64' is not a supported architecture"),
    ([{'image_type': 'boot', 'arch': 'x86_64'}], LAB, {}, 'requests[0].request_id: None is not a valid name'),
    ([req(1, builder={'timeout': -5})], LAB, {}, 'requests[0].builder.timeout: -5 is not a positive number of seconds.'),
    (['rq-1'], LAB, {}, 'requests[0]: expected a normalized request (a mapping), got str.'),
    ('rq-1', LAB, {}, 'requests: expected a list of normalized requests, got str.'),
    ([req(1)], LAB + [{'name': 'node-arm', 'arch': 'x86_64'}], {},
     'nodes[3].name: node node-arm is listed twice (also nodes[2]); a node builds for one architecture.'),
    ([req(1)], [{'name': 'a#1', 'arch': 'x86_64'}], {}, "nodes[0].name: 'a#1' contains the slot separator '#'"),
    ([req(1)], [{'name': 'a b', 'arch': 'x86_64'}], {}, "nodes[0].name: 'a b' is not an inventory hostname"),
    ([req(1)], [{'name': 'a', 'arch': 'x86_64', 'capacity': -1}], {}, 'nodes[0].capacity: -1 is not a number'),
    ([req(1)], [{'name': 'a', 'arch': 'x86_64', 'weight': 0}], {}, 'nodes[0].weight: 0 is not a positive relative speed'),
    ([req(1)], [{'name': 'a', 'arch': 'x86_64', 'cpus': 4}], {}, 'nodes[0]: unknown key cpus (allowed: name, arch, capacity, weight).'),
    ([req(1)], [{'name': 'a', 'arch': 'vax'}], {}, "nodes[0].arch: 'vax' is not a supported architecture"),
    ([req(1)], LAB, {'estimates': {'boot': 0}}, 'estimates.boot: 0 is not a positive number of seconds.'),
    ([req(1)], LAB, {'slot_separator': '-'}, "slot_separator: '-' must not contain letters, digits"),
    ([req(1)], LAB, {'slot_separator': ''}, "slot_separator: '' must be a non-empty string without spaces."),
])
def test_bad_input_is_one_sentence_naming_the_field(requests, nodes, kwargs, message):
    with pytest.raises(FedoraBuildError) as err:
        plan(requests, nodes, **kwargs)
    assert message in err.value.msg
    assert err.value.msg.endswith('.') and '\n' not in err.value.msg


def test_problems_of_requests_and_nodes_together():
    with pytest.raises(FedoraBuildError) as err:
        plan([req(1, 'cloud'), req(2, arch='vax')], [{'name': 'a', 'arch': 'x86_64', 'capacity': -2}])
    assert [e.split(':')[0] for e in err.value.result['errors']] == [
        'nodes[0].capacity', 'requests[0].image_type', 'requests[1].arch']
