"""Greedy baseline: shifts by priority, best marginal score first, every hard rule respected."""

from __future__ import annotations

from collections.abc import Iterable

from matching.candidates import InfeasibleProblem, PairTable


class Schedule:
    """A set of assigned pairs with O(shifts of the person) checks of rules 8-11.

    Rules 1-7 hold because only eligible pairs exist in the `PairTable`.
    """

    def __init__(self, table: PairTable) -> None:
        self.table = table
        self.pairs: set[int] = set()
        self.person_shifts: dict[int, list[int]] = {}
        self.load = [0] * len(table.people)
        self.day_count: dict[tuple[int, int], int] = {}
        self.staff = [0] * len(table.positions)
        self.buffer = table.problem.travel_buffer_minutes * 60

    def conflict(self, i: int) -> str | None:
        """Why pair i cannot be added now (rules 8-10 and the `count` of rule 11), or None."""
        t = self.table
        p, q, s = t.pair_person[i], t.pair_position[i], t.pair_shift[i]
        if self.staff[q] >= t.positions[q].count:
            return "position full"
        person = t.people[p]
        if (
            person.max_minutes is not None
            and self.load[p] + t.shift_minutes[s] > person.max_minutes
        ):
            return "max_minutes"
        limit = person.max_shifts_per_day
        if limit is not None and self.day_count.get((p, t.shift_day[s]), 0) >= limit:
            return "max_shifts_per_day"
        start, end = t.shift_start[s], t.shift_end[s]
        for other in self.person_shifts.get(p, ()):
            if other == s:
                return "one position per shift"
            o_start, o_end = t.shift_start[other], t.shift_end[other]
            if start < o_end and o_start < end:
                return "overlap"
            gap = start - o_end if o_end <= start else o_start - end
            if gap < self.buffer and t.locations_differ(s, other):
                return "travel buffer"
        return None

    def marginal(self, i: int) -> int:
        """Objective change (1/36000 units) of adding pair i, fairness included."""
        t = self.table
        p = t.pair_person[i]
        recent = t.person_recent[p] + self.load[p]
        return t.pair_score[i] - t.fairness.extra(recent, t.shift_minutes[t.pair_shift[i]])

    def add(self, i: int) -> None:
        t = self.table
        p, s = t.pair_person[i], t.pair_shift[i]
        self.pairs.add(i)
        self.person_shifts.setdefault(p, []).append(s)
        self.load[p] += t.shift_minutes[s]
        key = (p, t.shift_day[s])
        self.day_count[key] = self.day_count.get(key, 0) + 1
        self.staff[t.pair_position[i]] += 1

    def remove(self, i: int) -> None:
        t = self.table
        p, s = t.pair_person[i], t.pair_shift[i]
        self.pairs.discard(i)
        self.person_shifts[p].remove(s)
        self.load[p] -= t.shift_minutes[s]
        self.day_count[(p, t.shift_day[s])] -= 1
        self.staff[t.pair_position[i]] -= 1

    def value(self) -> int:
        """Scores minus extra fairness of the assigned pairs (constant fairness excluded)."""
        t = self.table
        scores = sum(t.pair_score[i] for i in self.pairs)
        extra = sum(
            t.fairness.extra(t.person_recent[p], load) for p, load in enumerate(self.load) if load
        )
        return scores - extra


def start_with_fixed(table: PairTable) -> Schedule:
    """A schedule holding exactly the fixed pairs; raises `InfeasibleProblem` if they clash."""
    schedule = Schedule(table)
    for i in table.fixed_pairs:
        why = schedule.conflict(i)
        if why is not None:
            person = table.people[table.pair_person[i]].id
            position = table.positions[table.pair_position[i]].id
            raise InfeasibleProblem(
                f'fixed pair person "{person}" / position "{position}" cannot hold '
                f"together with the other fixed pairs ({why})"
            )
        schedule.add(i)
    return schedule


def position_order(table: PairTable) -> list[int]:
    """Positions by shift priority (most urgent first), then start time, then problem order."""
    shift = table.position_shift
    return sorted(
        range(len(table.positions)),
        key=lambda q: (-table.shifts[shift[q]].priority, table.shift_start[shift[q]], q),
    )


def fill(schedule: Schedule, by_position: list[list[int]]) -> bool:
    """Add pairs greedily position by position; returns False if a fixed position's
    min_count could not be reached (then that position is left as the fixed pairs made it).

    A position below min_count is staffed only if enough people are free and the group's
    marginal sum is positive (or fixed people already sit there, which makes it mandatory).
    """
    table = schedule.table
    complete = True
    for q in position_order(table):
        position = table.positions[q]
        room = position.count - schedule.staff[q]
        if room <= 0 or not by_position[q]:
            continue
        options = sorted(
            ((schedule.marginal(i), i) for i in by_position[q] if i not in schedule.pairs),
            reverse=True,
        )
        chosen: list[int] = []
        for m, i in options:
            if m <= 0 or len(chosen) == room:
                break
            if schedule.conflict(i) is None:
                chosen.append(i)
        need = position.min_count - schedule.staff[q]
        if len(chosen) < need:
            chosen = _reach_min_count(schedule, options, need, mandatory=schedule.staff[q] > 0)
            if chosen is None:
                complete = complete and schedule.staff[q] == 0
                continue
        for i in chosen:
            schedule.add(i)
    return complete


def _reach_min_count(
    schedule: Schedule, options: list[tuple[int, int]], need: int, mandatory: bool
) -> list[int] | None:
    """The best `need` free pairs if they exist and pay off (or are mandatory), else None."""
    free = [(m, i) for m, i in options if schedule.conflict(i) is None][:need]
    if len(free) < need or (not mandatory and sum(m for m, _ in free) <= 0):
        return None
    return [i for _, i in free]


def greedy_schedule(table: PairTable, pairs: Iterable[int] | None = None) -> Schedule:
    """The greedy solution over `pairs` (default: every eligible pair), fixed pairs first.

    Raises `InfeasibleProblem` when the fixed pairs clash or a fixed position cannot reach its
    min_count greedily.
    """
    schedule = start_with_fixed(table)
    by_position = _group(table, pairs)
    if not fill(schedule, by_position):
        raise InfeasibleProblem(_short_positions(schedule))
    return schedule


def repair(
    table: PairTable, preferred: Iterable[int], pairs: Iterable[int] | None = None
) -> Schedule:
    """A feasible schedule from a possibly infeasible pair set (e.g. a relaxation's solution).

    Keeps fixed pairs, then `preferred` pairs by score while they fit, empties positions left
    below min_count, and completes greedily over `pairs`.
    """
    schedule = start_with_fixed(table)
    score = table.pair_score
    for i in sorted(set(preferred) - schedule.pairs, key=score.__getitem__, reverse=True):
        if schedule.conflict(i) is None:
            schedule.add(i)
    fixed = set(table.fixed_pairs)
    members: dict[int, list[int]] = {}
    for i in schedule.pairs:
        members.setdefault(table.pair_position[i], []).append(i)
    for q, group in members.items():
        # A position holding a fixed pair must reach min_count anyway: fill() completes it.
        if len(group) < table.positions[q].min_count and not fixed.intersection(group):
            for i in group:
                schedule.remove(i)
    fill(schedule, _group(table, pairs))
    return schedule


def _group(table: PairTable, pairs: Iterable[int] | None) -> list[list[int]]:
    if pairs is None:
        return table.by_position
    by_position: list[list[int]] = [[] for _ in table.positions]
    for i in pairs:
        by_position[table.pair_position[i]].append(i)
    return by_position


def _short_positions(schedule: Schedule) -> str:
    table = schedule.table
    short = [
        table.positions[q].id
        for q in range(len(table.positions))
        if 0 < schedule.staff[q] < table.positions[q].min_count
    ]
    return (
        "fixed pairs leave positions below min_count that the greedy solver could not "
        f"complete: {', '.join(short)}"
    )
