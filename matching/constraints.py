"""Hard rules 8-12 on a `MatchingModel`, one add_<rule>() each (rules 1-7: eligibility)."""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterator

from ortools.sat.python import cp_model

from matching.candidates import PairTable
from matching.model import MatchingModel


def add_all_rules(mm: MatchingModel) -> None:
    """Every hard rule. Rules 1-7 hold by construction: only eligible pairs have variables."""
    add_one_position_per_shift(mm)  # rule 8
    add_no_overlap(mm)  # rule 9
    add_max_minutes(mm)  # rule 10a
    add_max_shifts_per_day(mm)  # rule 10b
    add_position_count(mm)  # rule 11
    add_fixed(mm)  # rule 12


def add_one_position_per_shift(mm: MatchingModel) -> None:
    """Rule 8: a person holds at most one position per shift."""
    for shifts in mm.by_person.values():
        for pairs in shifts.values():
            if len(pairs) > 1:
                mm.model.add_at_most_one(mm.x[i] for i in pairs)


def add_no_overlap(mm: MatchingModel) -> None:
    """Rule 9: a person's shifts neither overlap nor break the travel buffer between places.

    Overlap is an interval graph per person, so one at-most-one per maximal clique of mutually
    overlapping candidate shifts covers every overlapping pair. The buffer only applies where
    two shifts are a positive distance apart, which is not transitive, so those conflicts
    (shifts that do not overlap but are closer than the buffer) get one pairwise constraint each.
    """
    table = mm.table
    buffer = table.problem.travel_buffer_minutes * 60
    for shifts in mm.by_person.values():
        if len(shifts) < 2:
            continue
        order = sorted(shifts, key=lambda s: (table.shift_start[s], table.shift_end[s]))
        for clique in overlap_cliques(order, table.shift_start, table.shift_end):
            if len(clique) > 1:
                mm.model.add_at_most_one(mm.x[i] for s in clique for i in shifts[s])
        if buffer > 0:
            for a, b in buffer_conflicts(order, table, buffer):
                mm.model.add_at_most_one(mm.x[i] for i in (*shifts[a], *shifts[b]))


def overlap_cliques(order: list[int], start: list[int], end: list[int]) -> Iterator[list[int]]:
    """Maximal cliques of overlapping intervals, for shifts sorted by (start, end).

    Sweep: the shifts still running at a start form a clique; emit it just before a shift
    leaves, when something joined since the last emission (that is exactly when it is maximal).
    Intervals are half-open, so shifts touching end-to-start do not overlap.
    """
    active: list[int] = []
    first_end = math.inf  # the earliest end among active shifts
    grown = False
    for s in order:
        t = start[s]
        if first_end <= t:
            if grown:
                yield list(active)
                grown = False
            active = [a for a in active if end[a] > t]
            first_end = min((end[a] for a in active), default=math.inf)
        active.append(s)
        first_end = min(first_end, end[s])
        grown = True
    if grown:
        yield active


def buffer_conflicts(order: list[int], table: PairTable, buffer: int) -> Iterator[tuple[int, int]]:
    """Pairs of non-overlapping shifts (sorted by start) closer in time than `buffer` seconds
    and a positive distance apart."""
    start, end = table.shift_start, table.shift_end
    starts = [start[s] for s in order]
    for k, a in enumerate(order):
        lo = bisect_left(starts, end[a], lo=k + 1)
        for b in order[lo:]:
            if start[b] >= end[a] + buffer:
                break
            if table.locations_differ(a, b):
                yield a, b
    # Shifts that start before `a` ends were handled as overlaps; a later-starting shift that
    # ends before `a` starts cannot exist in start order, so each gap is seen once.


def add_max_minutes(mm: MatchingModel) -> None:
    """Rule 10a: a person's assigned minutes stay within max_minutes."""
    table = mm.table
    for person, shifts in mm.by_person.items():
        limit = mm.minutes_limit(person)
        if limit is not None and sum(table.shift_minutes[s] for s in shifts) > limit:
            mm.model.add(mm.load(person) <= limit)


def add_max_shifts_per_day(mm: MatchingModel) -> None:
    """Rule 10b: at most max_shifts_per_day shifts starting on one calendar day (problem tz)."""
    table = mm.table
    for person, shifts in mm.by_person.items():
        if table.people[person].max_shifts_per_day is None:
            continue
        days: dict[int, list[int]] = {}
        for s in shifts:
            days.setdefault(table.shift_day[s], []).append(s)
        for day, day_shifts in days.items():
            limit = mm.day_limit(person, day)
            if limit is not None and len(day_shifts) > limit:
                pairs = [i for s in day_shifts for i in shifts[s]]
                mm.model.add(cp_model.LinearExpr.sum([mm.x[i] for i in pairs]) <= limit)


def add_position_count(mm: MatchingModel) -> None:
    """Rule 11: at most `count` people, and either none or at least `min_count`."""
    for q, pairs in mm.by_position.items():
        position = mm.table.positions[q]
        staff = cp_model.LinearExpr.sum([mm.x[i] for i in pairs])
        if position.min_count <= 1:
            if len(pairs) > position.count:
                mm.model.add(staff <= position.count)
            continue
        if len(pairs) < position.min_count:
            for i in pairs:  # can never reach min_count: stays empty
                mm.model.add(mm.x[i] == 0)
            continue
        # Linear (no enforcement literals) so that the LP sees it:
        # min_count*active <= staff <= cap*active and x <= active (each seat needs the
        # position open). With count == min_count the two sides meet: staff == count*active.
        active = mm.model.new_bool_var(f"active_{q}")
        mm.active[q] = active
        cap = min(position.count, len(pairs))
        if cap == position.min_count:
            mm.model.add(staff == cap * active)
        else:
            mm.model.add(staff >= position.min_count * active)
            mm.model.add(staff <= cap * active)
        for i in pairs:
            mm.model.add_implication(mm.x[i], active)


def add_fixed(mm: MatchingModel) -> None:
    """Rule 12: every fixed pair is assigned."""
    for i in mm.table.fixed_pairs:
        var = mm.x.get(i)
        if var is not None:
            mm.model.add(var == 1)
