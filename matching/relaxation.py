"""Min-cost-flow relaxation: a proven upper bound and a warm start in one exact flow solve."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from ortools.graph.python import min_cost_flow

from matching.candidates import PairTable
from matching.constraints import overlap_cliques


@dataclass(frozen=True, slots=True)
class FlowRelaxation:
    """The optimum of the relaxation over a set of pairs.

    Attributes:
        value: the relaxed optimum of scores minus extra fairness (1/36000 units, constant
            fairness excluded), an upper bound of the same quantity for any feasible solution.
        pairs: the pairs the flow uses (may break rules 8-12; a warm start to repair).
        value_by_person: each person's share of `value` (pair arcs and load arcs), so that
            components can be bounded separately; people without flow are absent (0).
        prices: per position, the worth of one more seat there (>= 0): the flow's dual of the
            position's count, from shortest paths in the residual network (see `_seat_prices`);
            only a starting point for `matching.lagrangian` (any prices >= 0 give it a bound).
    """

    value: int
    pairs: list[int]
    value_by_person: dict[int, int]
    prices: list[int] = field(default_factory=list)


def solve_flow(
    table: PairTable, pairs: Iterable[int] | None = None, clique_paths: bool = True
) -> FlowRelaxation | None:
    """Solve the relaxation over `pairs` (default: every eligible pair); None if undefined.

    With `clique_paths`, each person-day's overlapping shifts also pass a path of clique
    nodes (see `_clique_path`): a tighter bound for a larger network.

    The relaxation keeps rules 8 and 11's `count`, and per person and per calendar day an upper
    bound on how many shifts can be taken (max_shifts_per_day, the largest set of mutually
    non-overlapping candidate shifts, max_minutes over the shortest shift); it drops the rest
    of rules 9-10, min_count and rule 12, which only enlarges the feasible set.
    Fairness K*(R+L)^2 (K = 10*W) with L = m_1 + ... + m_n, the person's shift minutes, is
    bounded below by a separable cost: extra(R, L) = sum_i extra(R, m_i) + K * cross with
    cross = sum_{i != j} m_i m_j, which only grows when any m_i grows, so it is at least its
    value for the n shortest candidate durations d_1 <= d_2 <= ...: (d_1+..+d_n)^2 -
    (d_1^2+..+d_n^2). The first part sits on each pair's arc, the second on n parallel person
    arcs whose k-th costs 2*K*d_k*(d_1+..+d_(k-1)), increasing in k.
    A min-cost flow is integral, so its optimum is the exact optimum of this relaxation.
    Returns None for a negative fairness weight (the cost is then concave: no such bound).
    """
    cost = table.fairness
    if cost.factor < 0:
        return None
    candidates = range(table.pair_count) if pairs is None else pairs
    ids, net = _useful_arcs(table, candidates)
    if ids.size == 0:
        return FlowRelaxation(0, [], {}, [0] * len(table.positions))
    return _solve(table, ids, net, clique_paths)


def _useful_arcs(table: PairTable, pairs: Iterable[int]) -> tuple[np.ndarray, np.ndarray]:
    """(pairs, net values) of the pairs worth more than their own fairness cost.

    A pair whose net value is <= 0 can only lower the relaxed objective (person arcs cost
    >= 0), so dropping it leaves the optimum unchanged. So does dropping the pairs of a
    position with fewer eligible people than its min_count: it can never be staffed.
    """
    ids = np.fromiter(pairs, dtype=np.int64)
    if ids.size == 0:
        return ids, ids
    minutes = np.asarray(table.shift_minutes, dtype=np.int64)[np.asarray(table.pair_shift)[ids]]
    recent = np.asarray(table.person_recent, dtype=np.int64)[np.asarray(table.pair_person)[ids]]
    score = np.asarray(table.pair_score, dtype=np.int64)[ids]
    cost = table.fairness
    if cost.integral:
        net = score - int(cost.factor) * (2 * recent * minutes + minutes * minutes)
    else:
        net = score - np.array(
            [cost.extra(int(r), int(m)) for r, m in zip(recent, minutes, strict=True)],
            dtype=np.int64,
        )
    sizes = np.array([len(g) for g in table.by_position], dtype=np.int64)
    needs = np.array([q.min_count for q in table.positions], dtype=np.int64)
    staffable = (sizes >= needs)[np.asarray(table.pair_position)[ids]]
    keep = (net > 0) & staffable
    return ids[keep], net[keep]


def _max_disjoint(shifts: list[int], start: list[int], end: list[int]) -> int:
    """The most pairwise non-overlapping shifts among `shifts` (interval scheduling by end)."""
    taken, free_from = 0, None
    for s in sorted(shifts, key=end.__getitem__):
        if free_from is None or start[s] >= free_from:
            taken += 1
            free_from = end[s]
    return taken


def _day_capacities(table: PairTable, shifts: list[int], person: int) -> dict[int, int]:
    """Per calendar day, an upper bound on the shifts the person can take that day: at most
    max_shifts_per_day, and at most the largest set of non-overlapping candidate shifts."""
    days: dict[int, list[int]] = {}
    for s in shifts:
        days.setdefault(table.shift_day[s], []).append(s)
    limit = table.people[person].max_shifts_per_day
    out = {}
    for day, group in days.items():
        cap = _max_disjoint(group, table.shift_start, table.shift_end)
        out[day] = cap if limit is None else min(cap, limit)
    return out


def _person_capacity(table: PairTable, shifts: list[int], durations: list[int], person: int) -> int:
    """An upper bound on how many of `shifts` the person can take under rules 8-10:
    non-overlapping ones, and no more than the shortest durations that fit in max_minutes."""
    p = table.people[person]
    cap = _max_disjoint(shifts, table.shift_start, table.shift_end)
    if p.max_minutes is not None:
        fit, total = 0, 0
        for d in durations:  # sorted ascending
            total += d
            if total > p.max_minutes:
                break
            fit += 1
        cap = min(cap, fit)
    return cap


def _clique_path(
    table: PairTable,
    shifts: list[int],
    exit_node: int,
    next_node: int,
    arcs: _Arcs,
    entry: dict[int, int],
    person: int,
) -> int:
    """Rule 9 (overlap) for one person's shifts of one day as a path of clique nodes.

    The maximal cliques of overlapping shifts, in time order, each get a node of capacity 1;
    a shift enters at its first clique, may run along the chain and leaves at its last one.
    Non-overlapping shifts use disjoint cliques, so every feasible choice is a flow; units are
    anonymous (one may leave early through another shift's exit), so this only relaxes the
    rule — enough to stop two overlapping shifts from both being taken. Returns the next free
    node and fills `entry` (shift -> node its units enter).
    """
    start, end = table.shift_start, table.shift_end
    order = sorted(shifts, key=lambda sh: (start[sh], end[sh]))
    cliques = list(overlap_cliques(order, start, end))
    if all(len(c) == 1 for c in cliques):
        return next_node  # nothing overlaps: the day node alone is exact
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    for j, clique in enumerate(cliques):
        for sh in clique:
            first.setdefault(sh, j)
            last[sh] = j
    inputs = list(range(next_node, next_node + len(cliques)))
    outputs = list(range(next_node + len(cliques), next_node + 2 * len(cliques)))
    for j in range(len(cliques)):
        arcs.add(inputs[j], outputs[j], 1, 0, person)
        if j + 1 < len(cliques):
            arcs.add(outputs[j], inputs[j + 1], 1, 0, person)
    for j in sorted(set(last.values())):
        arcs.add(outputs[j], exit_node, 1, 0, person)
    for sh, j in first.items():
        entry[sh] = inputs[j]
    return next_node + 2 * len(cliques)


class _Arcs:
    """Arc columns of the flow network, appended in blocks (numpy) or one by one."""

    def __init__(self) -> None:
        self.blocks: list[tuple[np.ndarray, ...]] = []
        self.rows: list[tuple[int, int, int, int, int, int]] = []

    def add(self, tail: int, head: int, cap: int, cost: int, owner: int, pair: int = -1) -> None:
        self.rows.append((tail, head, cap, cost, owner, pair))

    def add_block(self, *columns: np.ndarray) -> None:
        self.blocks.append(tuple(np.asarray(c, dtype=np.int64) for c in columns))

    def columns(self) -> tuple[np.ndarray, ...]:
        """tails, heads, caps, costs, owners, pairs."""
        parts = list(self.blocks)
        if self.rows:
            parts.append(tuple(np.array(c, dtype=np.int64) for c in zip(*self.rows, strict=True)))
        return tuple(np.concatenate([b[k] for b in parts]) for k in range(6))


def _solve(
    table: PairTable, ids: np.ndarray, net: np.ndarray, clique_paths: bool
) -> FlowRelaxation:
    n_shifts = len(table.shifts)
    person = np.asarray(table.pair_person, dtype=np.int64)[ids]
    shift = np.asarray(table.pair_shift, dtype=np.int64)[ids]
    position = np.asarray(table.pair_position, dtype=np.int64)[ids]
    source, sink = 0, 1
    arcs = _Arcs()
    # Position nodes, fed by the source up to `count`.
    positions, position_slot = np.unique(position, return_inverse=True)
    position_node = 2 + np.arange(positions.size)
    counts = np.array([table.positions[q].count for q in positions.tolist()], dtype=np.int64)
    supply = int(counts.sum())
    none = np.full(positions.size, -1)
    arcs.add_block(
        np.zeros(positions.size), position_node, counts, np.zeros(positions.size), none, none
    )
    next_node = 2 + positions.size
    # One entry per distinct (person, shift); sorted by person then shift.
    keys, key_slot, key_size = np.unique(
        person * n_shifts + shift, return_inverse=True, return_counts=True
    )
    key_person, key_shift = (keys // n_shifts).tolist(), (keys % n_shifts).tolist()
    entry = np.empty(keys.size, dtype=np.int64)  # node a pair arc of that key points to
    minutes, day_of = table.shift_minutes, table.shift_day
    k = 0
    while k < keys.size:
        p = key_person[k]
        end = k
        while end < keys.size and key_person[end] == p:
            end += 1
        shifts = key_shift[k:end]
        person_node = next_node
        next_node += 1
        # Rules 9-10 per day, relaxed to a capacity: a day node where the day's candidate
        # shifts are more than the person can take that day.
        day_caps = _day_capacities(table, shifts, p)
        day_sizes: dict[int, int] = {}
        for s in shifts:
            day_sizes[day_of[s]] = day_sizes.get(day_of[s], 0) + 1
        day_node: dict[int, int] = {}
        for day, cap in day_caps.items():
            if cap < day_sizes[day]:
                day_node[day] = next_node
                next_node += 1
                arcs.add(day_node[day], person_node, cap, 0, p)
        shift_entry: dict[int, int] = {}
        by_day: dict[int, list[int]] = {}
        for sh in shifts:
            by_day.setdefault(day_of[sh], []).append(sh)
        for day, group in by_day.items() if clique_paths else ():
            exit_node = day_node.get(day, person_node)
            next_node = _clique_path(table, group, exit_node, next_node, arcs, shift_entry, p)
        for j in range(k, end):
            target = shift_entry.get(key_shift[j]) or day_node.get(
                day_of[key_shift[j]], person_node
            )
            if key_size[j] > 1:  # rule 8 kept exactly: one unit per (person, shift)
                arcs.add(next_node, target, 1, 0, p)
                target = next_node
                next_node += 1
            entry[j] = target
        durations = sorted(minutes[s] for s in shifts)
        capacity = min(_person_capacity(table, shifts, durations, p), sum(day_caps.values()))
        # The k-th shift adds at least 2*K*d_k*(d_1 + ... + d_(k-1)) of cross terms (shortest
        # durations first), an increasing marginal cost: see solve_flow.
        k_factor = int(table.fairness.factor) if table.fairness.integral else 0
        before = 0
        for d in durations[:capacity]:
            arcs.add(person_node, sink, 1, 2 * k_factor * d * before, p)
            before += d
        k = end
    arcs.add_block(
        position_node[position_slot], entry[key_slot], np.ones(ids.size), -net, person, ids
    )
    arcs.add(source, sink, supply, 0, -1)  # leaving a seat empty is free
    tails, heads, caps, costs, owners, pairs = arcs.columns()
    # Costs share a large common factor (36000-based units); dividing it out keeps the
    # cost-scaling algorithm's number of phases down without changing the optimum.
    scale = int(np.gcd.reduce(np.abs(costs))) or 1
    flow = min_cost_flow.SimpleMinCostFlow()
    arc_ids = flow.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs // scale)
    supplies = np.zeros(next_node, dtype=np.int64)
    supplies[source], supplies[sink] = supply, -supply
    flow.set_nodes_supplies(np.arange(next_node, dtype=np.int64), supplies)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow relaxation failed with status {status}")
    flows = np.asarray(flow.flows(arc_ids), dtype=np.int64)
    used = flows > 0
    gains = -costs[used] * flows[used]
    by_person: dict[int, int] = {}
    for who, gain in zip(owners[used].tolist(), gains.tolist(), strict=True):
        if who >= 0:
            by_person[who] = by_person.get(who, 0) + gain
    chosen = pairs[used & (pairs >= 0)].tolist()
    distance = _distances_to(tails, heads, caps, costs // scale, flows, next_node, sink)
    prices = [0] * len(table.positions)
    top = int(distance[source])
    for q, node in zip(positions.tolist(), position_node.tolist(), strict=True):
        prices[q] = max(0, top - int(distance[node])) * scale
    return FlowRelaxation(-flow.optimal_cost() * scale, chosen, by_person, prices)


def _distances_to(
    tails: np.ndarray,
    heads: np.ndarray,
    caps: np.ndarray,
    costs: np.ndarray,
    flows: np.ndarray,
    nodes: int,
    target: int,
    max_rounds: int = 400,
) -> np.ndarray:
    """Shortest-path distances to `target` in the residual network of an optimal flow
    (Bellman-Ford on the reversed arcs, vectorized; no negative cycle exists at optimality).

    A seat more at a position is a unit from the source through its node to the sink instead
    of the source's direct path: distance(source) - distance(position) is the value of that
    seat, the dual price of the position's count. Unreached nodes (and rounds cut short) only
    lower prices, and any prices >= 0 give the Lagrangian a valid bound.
    """
    forward = flows < caps
    backward = flows > 0
    # Reversed residual arcs: a residual arc u -> v of cost c relaxes distance[u] from v.
    tail = np.concatenate([heads[forward], tails[backward]])
    head = np.concatenate([tails[forward], heads[backward]])
    cost = np.concatenate([costs[forward], -costs[backward]])
    unreached = np.iinfo(np.int64).max // 4
    distance = np.full(nodes, unreached, dtype=np.int64)
    distance[target] = 0
    for _ in range(max_rounds):
        reach = distance[tail] < unreached
        candidate = distance[tail[reach]] + cost[reach]
        updated = distance.copy()
        np.minimum.at(updated, head[reach], candidate)
        if np.array_equal(updated, distance):
            break
        distance = updated
    return distance
