"""Min-cost-flow relaxation: a proven upper bound and a warm start in one exact flow solve."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from matching.candidates import PairTable


@dataclass(frozen=True, slots=True)
class FlowRelaxation:
    """The optimum of the relaxation over a set of pairs.

    Attributes:
        value: the relaxed optimum of scores minus extra fairness (1/36000 units, constant
            fairness excluded), an upper bound of the same quantity for any feasible solution.
        pairs: the pairs the flow uses (may break rules 8-12; a warm start to repair).
        value_by_person: each person's share of `value` (pair arcs and load arcs), so that
            components can be bounded separately; people without flow are absent (0).
    """

    value: int
    pairs: list[int]
    value_by_person: dict[int, int]


def solve_flow(table: PairTable, pairs: Iterable[int] | None = None) -> FlowRelaxation | None:
    """Solve the relaxation over `pairs` (default: every eligible pair); None if undefined.

    The relaxation keeps rule 11's `count` and, per person, an upper bound on how many shifts
    they can take; it drops rules 8 (partly), 9, 10 (partly), 11's min_count and 12, which only
    enlarges the feasible set. Fairness 10*W*(R+L)^2 with L = sum of the person's shift minutes
    m_1..m_n is bounded below by a separable cost: since L^2 >= sum m_i^2 + n(n-1)*mmin^2,
    extra(R, L) >= sum_i extra(R, m_i) + 10*W*mmin^2*n(n-1); the first part sits on each pair's
    arc, the second on n parallel person arcs of increasing marginal cost 10*W*mmin^2*2(k-1).
    A min-cost flow is integral, so its optimum is the exact optimum of this relaxation.
    Returns None for a negative fairness weight (the cost is then concave: no such bound).
    """
    cost = table.fairness
    if cost.factor < 0:
        return None
    candidates = range(table.pair_count) if pairs is None else pairs
    arcs = _useful_arcs(table, candidates)
    if not arcs:
        return FlowRelaxation(0, [], {})
    return _solve(table, arcs)


def _useful_arcs(table: PairTable, pairs: Iterable[int]) -> list[tuple[int, int]]:
    """(pair, net value) for pairs worth more than their own fairness cost.

    A pair whose net value is <= 0 can only lower the relaxed objective (person arcs cost
    >= 0), so dropping it leaves the optimum unchanged.
    """
    score, person, shift = table.pair_score, table.pair_person, table.pair_shift
    minutes, recent, extra = table.shift_minutes, table.person_recent, table.fairness.extra
    out = []
    for i in pairs:
        net = score[i] - extra(recent[person[i]], minutes[shift[i]])
        if net > 0:
            out.append((i, net))
    return out


def _person_capacity(table: PairTable, shifts: set[int], shortest: int, person: int) -> int:
    """An upper bound on how many of `shifts` the person can take under rules 8 and 10."""
    p = table.people[person]
    cap = len(shifts)
    if p.max_minutes is not None:
        cap = min(cap, p.max_minutes // shortest)
    if p.max_shifts_per_day is not None:
        days = {table.shift_day[s] for s in shifts}
        cap = min(cap, p.max_shifts_per_day * len(days))
    return cap


def _solve(table: PairTable, arcs: list[tuple[int, int]]) -> FlowRelaxation:
    person_of, position_of, shift_of = table.pair_person, table.pair_position, table.pair_shift
    minutes = table.shift_minutes
    # Group arcs by person, and by (person, shift) where a person could take two positions.
    person_shifts: dict[int, dict[int, list[int]]] = {}
    for k, (i, _) in enumerate(arcs):
        person_shifts.setdefault(person_of[i], {}).setdefault(shift_of[i], []).append(k)
    source, sink = 0, 1
    position_node: dict[int, int] = {}
    next_node = 2
    tails: list[int] = []
    heads: list[int] = []
    caps: list[int] = []
    costs: list[int] = []
    owner: list[int] = []  # person owning each arc (-1: not attributed)
    pair_arc: dict[int, int] = {}  # arc index -> pair

    def arc(tail: int, head: int, cap: int, cost: int, who: int) -> int:
        tails.append(tail)
        heads.append(head)
        caps.append(cap)
        costs.append(cost)
        owner.append(who)
        return len(tails) - 1

    supply = 0
    for i, _ in arcs:
        q = position_of[i]
        if q not in position_node:
            position_node[q] = next_node
            next_node += 1
            count = table.positions[q].count
            supply += count
            arc(source, position_node[q], count, 0, -1)
    value_of = dict(arcs)
    for p, shifts in person_shifts.items():
        person_node = next_node
        next_node += 1
        for group in shifts.values():
            target = person_node
            if len(group) > 1:  # rule 8 kept exactly: one unit per (person, shift)
                target = next_node
                next_node += 1
                arc(target, person_node, 1, 0, p)
            for k in group:
                i = arcs[k][0]
                pair_arc[arc(position_node[position_of[i]], target, 1, -value_of[i], p)] = i
        shortest = min(minutes[s] for s in shifts)
        step = table.fairness.of(shortest) if table.fairness.integral else 0
        for n in range(_person_capacity(table, set(shifts), shortest, p)):
            arc(person_node, sink, 1, step * 2 * n, p)
    arc(source, sink, supply, 0, -1)  # leaving a seat empty is free
    flow = min_cost_flow.SimpleMinCostFlow()
    ids = flow.add_arcs_with_capacity_and_unit_cost(
        np.array(tails, dtype=np.int64),
        np.array(heads, dtype=np.int64),
        np.array(caps, dtype=np.int64),
        np.array(costs, dtype=np.int64),
    )
    supplies = np.zeros(next_node, dtype=np.int64)
    supplies[source], supplies[sink] = supply, -supply
    flow.set_nodes_supplies(np.arange(next_node, dtype=np.int64), supplies)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow relaxation failed with status {status}")
    flows = flow.flows(ids)
    used = np.nonzero(flows)[0]
    by_person: dict[int, int] = {}
    for a in used.tolist():
        who = owner[a]
        if who >= 0:
            by_person[who] = by_person.get(who, 0) - costs[a] * int(flows[a])
    chosen = [pair_arc[a] for a in used.tolist() if a in pair_arc]
    return FlowRelaxation(-flow.optimal_cost(), chosen, by_person)
