"""Lagrangian bound: position counts priced out, each person's week solved exactly."""

from __future__ import annotations

import time
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from matching.candidates import PairTable

# A day with more candidate shifts than this is bounded by interval scheduling (with the day's
# shift limit, without the travel buffer) instead of enumerating its compatible subsets.
ENUMERATE_MAX_SHIFTS = 8

Front = dict[int, tuple[int, tuple[int, ...]]]  # load -> (best value, its pairs)


@dataclass(frozen=True, slots=True)
class LagrangianBound:
    """The best bound found and what produced it.

    value: an upper bound of the variable part of the objective (scores minus extra fairness,
        1/36000 units, constant fairness excluded), like `FlowRelaxation.value`.
    value_by_person: each person's share of `value` except the position prices (for bounding
        components separately, add the prices of the component's positions).
    prices: the position prices (>= 0) of the best bound.
    iterations: passes made (evaluations of the dual function).
    """

    value: int
    value_by_person: dict[int, int]
    prices: list[int]
    iterations: int


def lagrangian_bound(
    table: PairTable,
    prices: Sequence[int],
    target: int,
    deadline: float,
    max_iterations: int = 30,
    pairs: Iterable[int] | None = None,
    step_scale: float = 0.25,
    abandon_at: float = float("inf"),
) -> LagrangianBound | None:
    """Improve `prices` by subgradient steps towards `target` (a known feasible value) until
    `deadline` or `max_iterations`; returns the smallest bound seen (None: not available).
    A pass still running at `abandon_at` (a `time.perf_counter()` value) is dropped: with no
    finished pass the result is None. `pairs` (default: every eligible pair) restricts the
    problem; the result then bounds only the restricted problem.

    For any prices y >= 0, relaxing rule 11 to `sum(x over q) <= count(q)` (min_count and fixed
    pairs dropped, which only enlarges the feasible set) and moving those constraints into the
    objective gives sum_q y_q*count_q + sum_p max over p's feasible weeks of
    (sum (score - y_q) - extra fairness): weak duality, so an upper bound of the exact optimum.
    Each person's maximum is computed exactly per calendar day (overlap, travel buffer,
    max_shifts_per_day) and combined across days under max_minutes with the exact convex
    fairness cost; what it leaves out (a shift overlapping one of the next day, the buffer
    across midnight, the buffer on very busy days) only raises the maximum, so it stays a bound.
    """
    if table.fairness.factor < 0:
        return None  # a concave cost: not needed (CP-SAT models it exactly), not handled here
    solver = _PersonSolver(table, pairs)
    y = [max(0, int(v)) for v in prices][: len(table.positions)]
    y += [0] * (len(table.positions) - len(y))
    best: LagrangianBound | None = None
    stall = 0
    passes = 0
    for _ in range(max_iterations):
        result = solver.evaluate(y, abandon_at)
        if result is None:
            break
        value, by_person, used = result
        passes += 1
        if best is None or value < best.value:
            best = LagrangianBound(value, by_person, list(y), passes)
            stall = 0
        else:
            stall += 1
            if stall >= 2:
                step_scale /= 2
                stall = 0
        if time.perf_counter() >= deadline or value <= target:
            break
        # Subgradient of the dual function: count - usage per position.
        grad = [table.positions[q].count - used.get(q, 0) for q in range(len(y))]
        norm = sum(g * g for q, g in enumerate(grad) if g < 0 or y[q] > 0)
        if norm == 0:
            break  # prices are optimal for this relaxation
        step = step_scale * (value - target) / norm
        y = [max(0, round(y[q] - step * g)) for q, g in enumerate(grad)]
    if best is None:
        return None
    return LagrangianBound(best.value, best.value_by_person, best.prices, passes)


class _PersonSolver:
    """Per-person exact weeks for given prices."""

    def __init__(self, table: PairTable, pairs: Iterable[int] | None) -> None:
        self.table = table
        staffable = [
            len(group) >= q.min_count
            for group, q in zip(table.by_position, table.positions, strict=True)
        ]
        by_person: dict[int, list[int]] = {}
        source = range(table.pair_count) if pairs is None else pairs
        for i in source:
            if staffable[table.pair_position[i]]:
                by_person.setdefault(table.pair_person[i], []).append(i)
        self.by_person = by_person
        self.buffer = table.problem.travel_buffer_minutes * 60

    def evaluate(
        self, y: list[int], abandon_at: float = float("inf")
    ) -> tuple[int, dict[int, int], dict[int, int]] | None:
        """(bound, per-person maxima, per-position usage of the maximizers) for prices y, or
        None when `abandon_at` passes first."""
        table = self.table
        total = sum(p * table.positions[q].count for q, p in enumerate(y) if p)
        by_person: dict[int, int] = {}
        used: dict[int, int] = {}
        began = time.perf_counter()
        people = len(self.by_person)
        for n, (person, pairs) in enumerate(self.by_person.items()):
            if n % 256 == 0:
                now = time.perf_counter()
                if now > abandon_at:
                    return None
                # Give up as soon as the pass cannot end in time (projected from its pace
                # after a tenth of the people), not only once it is late.
                if n and n * 10 >= people and began + (now - began) * people / n > abandon_at:
                    return None
            value, chosen = self._person(person, pairs, y)
            if value > 0:
                by_person[person] = value
                total += value
                for i in chosen:
                    q = table.pair_position[i]
                    used[q] = used.get(q, 0) + 1
        return total, by_person, used

    def _person(self, person: int, pairs: list[int], y: list[int]) -> tuple[int, tuple[int, ...]]:
        table = self.table
        cost = table.fairness
        recent = table.person_recent[person]
        score, position, shift_of = table.pair_score, table.pair_position, table.pair_shift
        minutes = table.shift_minutes
        # Rule 8: the best pair per shift; a pair not worth its own fairness never helps
        # (the extra cost of m minutes only grows with the load already held; with a
        # fractional weight the rounding of the cost could break that by a unit).
        exact = cost.integral
        floors: dict[int, int] = {}  # minutes -> own fairness cost
        best: dict[int, tuple[int, int]] = {}
        for i in pairs:
            w = score[i] - y[position[i]]
            if w <= 0:
                continue
            s = shift_of[i]
            m = minutes[s]
            floor = floors.get(m)
            if floor is None:
                floor = floors[m] = cost.extra(recent, m) if exact else 0
            if w > floor and (s not in best or w > best[s][0]):
                best[s] = (w, i)
        if not best:
            return 0, ()
        days: dict[int, list[int]] = {}
        for s in best:
            days.setdefault(table.shift_day[s], []).append(s)
        p = table.people[person]
        cap = p.max_minutes
        week: Front = {0: (0, ())}
        for shifts in days.values():
            day = self._day(shifts, best, p.max_shifts_per_day)
            week = _combine(week, day, cap)
        top, chosen = 0, ()
        for load, (value, members) in week.items():
            net = value - cost.extra(recent, load)
            if net > top:
                top, chosen = net, members
        return top, chosen

    def _day(self, shifts: list[int], best: dict[int, tuple[int, int]], limit: int | None) -> Front:
        """Every non-dominated (load, value) of a compatible set of the day's shifts."""
        table = self.table
        start, end, minutes = table.shift_start, table.shift_end, table.shift_minutes
        order = sorted(shifts, key=lambda s: (start[s], end[s]))
        front: Front = {0: (0, ())}
        if limit is not None and limit <= 0:
            return front
        if len(order) > ENUMERATE_MAX_SHIFTS:
            return _interval_front(order, best, start, end, minutes, limit)
        buffer = self.buffer
        n = len(order)
        # later[j]: the shifts after j (in start order) that j leaves free: no overlap, and the
        # travel buffer where the places differ. Every chosen shift ends before the next
        # starts, so a candidate compatible with each chosen one is found by filtering the
        # last one's list by the earlier ones (a short list: a day holds few shifts).
        later: list[list[int]] = []
        for j in range(n):
            a = order[j]
            row = []
            for k in range(j + 1, n):
                b = order[k]
                if end[a] > start[b]:
                    continue
                if buffer > 0 and start[b] < end[a] + buffer and table.locations_differ(a, b):
                    continue
                row.append(k)
            later.append(row)
        weight = [best[s][0] for s in order]
        pair = [best[s][1] for s in order]
        length = [minutes[s] for s in order]

        def grow(options: list[int], chosen: list[int], load: int, value: int) -> None:
            for k in options:
                new_load, new_value = load + length[k], value + weight[k]
                old = front.get(new_load)
                if old is None or new_value > old[0]:
                    front[new_load] = (new_value, (*(pair[c] for c in chosen), pair[k]))
                if limit is None or len(chosen) + 1 < limit:
                    nxt = later[k]
                    if chosen:
                        nxt = [m for m in nxt if all(m in set_of[c] for c in chosen)]
                    if nxt:
                        chosen.append(k)
                        grow(nxt, chosen, new_load, new_value)
                        chosen.pop()

        set_of = [set(row) for row in later]
        grow(list(range(n)), [], 0, 0)
        return _pareto(front)


def _interval_front(
    order: list[int],
    best: dict[int, tuple[int, int]],
    start: list[int],
    end: list[int],
    minutes: list[int],
    limit: int | None,
) -> Front:
    """Weighted interval scheduling with the load and the number of shifts (up to `limit`) as
    dimensions; no travel buffer, so a relaxation of the day."""
    by_end = sorted(order, key=lambda s: end[s])
    ends = [end[s] for s in by_end]
    counts = 1 if limit is None else limit + 1
    # states[k][c]: the front of compatible sets among the first k shifts (by end) holding c
    # shifts (without a limit, every set sits at c = 0).
    states: list[list[Front]] = [[{0: (0, ())}] + [{} for _ in range(counts - 1)]]
    for k, s in enumerate(by_end):
        w, i = best[s]
        before = states[bisect_right(ends, start[s], hi=k)]
        merged = list(states[k])  # fronts this shift cannot extend are shared, not copied
        for c in range(counts if limit is None else counts - 1):
            if not before[c]:
                continue
            slot = c if limit is None else c + 1
            target = dict(merged[slot])
            for load, (value, members) in before[c].items():
                key = load + minutes[s]
                if key not in target or value + w > target[key][0]:
                    target[key] = (value + w, (*members, i))
            merged[slot] = _pareto(target)
        states.append(merged)
    out: Front = {}
    for front in states[-1]:
        for load, entry in front.items():
            if load not in out or entry[0] > out[load][0]:
                out[load] = entry
    return _pareto(out)


def _combine(a: Front, b: Front, cap: int | None) -> Front:
    """Max-plus combination of two days' fronts under the minutes cap."""
    out: Front = {}
    for la, (va, ma) in a.items():
        for lb, (vb, mb) in b.items():
            load = la + lb
            if cap is not None and load > cap:
                continue
            if load not in out or va + vb > out[load][0]:
                out[load] = (va + vb, ma + mb)
    return _pareto(out)


def _pareto(front: Front) -> Front:
    """Drop entries another with a smaller load and at least the value dominates (the
    fairness cost only grows with the load)."""
    out: Front = {}
    top = None
    for load in sorted(front):
        value = front[load][0]
        if top is None or value > top:
            out[load] = front[load]
            top = value
    return out
