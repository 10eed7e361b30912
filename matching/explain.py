"""Why positions stay unfilled (the funnel), and assembling the final solution file."""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from zoneinfo import ZoneInfo

from matching.domain import (
    FORMAT_VERSION,
    FUNNEL_STAGES,
    Assignment,
    Person,
    Position,
    Problem,
    Shift,
    Solution,
    Stats,
    Unfilled,
    km_between,
)
from matching.eligibility import Eligibility, compute_eligibility
from matching.validation import compute_objective, fairness_summary


class _Workload:
    """What each person already holds in a solution: shifts, minutes, shifts per day."""

    def __init__(self, problem: Problem, assignments: Sequence[Assignment]) -> None:
        self.problem = problem
        self.zone = ZoneInfo(problem.timezone)
        shifts = {s.id: s for s in problem.shifts}
        self.shifts: dict[str, list[Shift]] = defaultdict(list)
        self.minutes: Counter[str] = Counter()
        self.per_day: Counter[tuple[str, date]] = Counter()
        # Rule 9 between two shifts depends on the shifts alone: cached per (held, asked) pair.
        self._clashes: dict[tuple[str, str], bool] = {}
        for a in assignments:
            shift = shifts.get(a.shift_id)
            if shift is None:
                continue
            self.shifts[a.person_id].append(shift)
            self.minutes[a.person_id] += shift.minutes
            self.per_day[(a.person_id, self.day(shift))] += 1

    def day(self, shift: Shift) -> date:
        return shift.start.astimezone(self.zone).date()

    def count_free(self, people: Iterable[Person], shift: Shift) -> int:
        """How many of `people` could join `shift` without breaking rules 8-10."""
        minutes, day = shift.minutes, self.day(shift)
        held = self.shifts
        free = 0
        for person in people:
            if person.id in held:
                free += self.could_join(person, shift, minutes, day)
            else:  # holds nothing yet: only the limits themselves can stop them
                free += (person.max_minutes is None or minutes <= person.max_minutes) and (
                    person.max_shifts_per_day is None or person.max_shifts_per_day >= 1
                )
        return free

    def could_join(self, person: Person, shift: Shift, minutes: int, day: date) -> bool:
        """Rules 8-10: the person is not on `shift` and can add it (of `minutes`, starting on
        `day`) to what they hold."""
        own = self.shifts.get(person.id, [])
        clashes, sid = self._clashes, shift.id
        for s in own:
            key = (s.id, sid)
            hit = clashes.get(key)
            if hit is None:
                hit = clashes[key] = s.id == sid or self._clash(s, shift)
            if hit:
                return False
        total = self.minutes[person.id] + minutes
        if person.max_minutes is not None and total > person.max_minutes:
            return False
        if person.max_shifts_per_day is None:
            return True
        return self.per_day[(person.id, day)] + 1 <= person.max_shifts_per_day

    def _clash(self, a: Shift, b: Shift) -> bool:
        """Rule 9: overlap, or a gap shorter than the travel buffer between different places."""
        buffer = self.problem.travel_buffer_minutes
        if buffer >= 0:  # the distance matters only for a gap shorter than the buffer
            a_start, a_end = a.start.timestamp(), a.end.timestamp()
            b_start, b_end = b.start.timestamp(), b.end.timestamp()
            if not (a_end <= b_start or b_end <= a_start):
                return True  # overlap
            gap = b_start - a_end if a_end <= b_start else a_start - b_end
            if gap >= 60 * buffer:
                return False
        km = km_between(a.location, b.location)
        buffer = self.problem.travel_buffer_minutes if km is not None and km > 0 else 0
        gap_ok = a.end.timestamp() + 60 * buffer <= b.start.timestamp()
        return not (gap_ok or b.end.timestamp() + 60 * buffer <= a.start.timestamp())


def _reason(funnel: dict[str, int], assigned: int, position: Position) -> str:
    """First stage at 0; else `min_count` when the free people cannot lift an empty position to
    min_count; else `objective` (free people exist, the solver chose not to add them)."""
    for stage in FUNNEL_STAGES:
        if funnel[stage] == 0:
            return stage
    if assigned == 0 and funnel["free"] < position.min_count:
        return "min_count"
    return "objective"


def explain_unfilled(
    problem: Problem, assignments: Sequence[Assignment], eligibility: Eligibility | None = None
) -> tuple[Unfilled, ...]:
    """One `Unfilled` per position with fewer than `count` people, in problem order.

    The funnel holds the seven rule stages of `eligibility` (computed when not given) and `free`:
    eligible people not on this shift who could join without breaking rules 8-10 given the rest
    of `assignments`.
    """
    eligibility = eligibility or compute_eligibility(problem)
    filled = Counter(a.position_id for a in assignments)
    workload = _Workload(problem, assignments)
    people = {p.id: p for p in problem.people}
    out = []
    for shift in problem.shifts:
        for position in shift.positions:
            assigned = filled[position.id]
            if assigned >= position.count:
                continue
            funnel = eligibility.funnel(position.id)
            candidates = (people[pid] for pid in eligibility.candidates[position.id])
            funnel["free"] = workload.count_free(candidates, shift)
            out.append(
                Unfilled(
                    position_id=position.id,
                    missing=position.count - assigned,
                    funnel=funnel,
                    reason=_reason(funnel, assigned, position),
                )
            )
    return tuple(out)


def people_with_eligible_position(problem: Problem, eligibility: Eligibility) -> set[str]:
    """Ids of people who pass rules 1-7 for at least one position."""
    return {pid for ids in eligibility.candidates.values() for pid in ids}


def sort_assignments(problem: Problem, assignments: Sequence[Assignment]) -> tuple[Assignment, ...]:
    """Assignments in problem order of positions, then of people (unknown ids last, by id)."""
    position_rank = {q.id: k for k, q in enumerate(q for s in problem.shifts for q in s.positions)}
    person_rank = {p.id: k for k, p in enumerate(problem.people)}
    big = len(position_rank) + len(person_rank)

    def key(a: Assignment) -> tuple[int, int, str, str, str]:
        return (
            position_rank.get(a.position_id, big),
            person_rank.get(a.person_id, big),
            a.position_id,
            a.person_id,
            a.shift_id,
        )

    return tuple(sorted(assignments, key=key))


def build_solution(
    problem: Problem,
    assignments: Sequence[Assignment],
    stats: Stats,
    eligibility: Eligibility | None = None,
) -> Solution:
    """The solution file for `assignments`: sorted assignments, exact objective, unfilled funnel,
    fairness, and `stats` with `gap = (bound - total) / max(1, |bound|)` (None without bound)."""
    eligibility = eligibility or compute_eligibility(problem)
    ordered = sort_assignments(problem, assignments)
    objective = compute_objective(problem, ordered)
    gap = None
    if stats.bound is not None:
        gap = (stats.bound - objective.total) / max(1.0, abs(stats.bound))
    return Solution(
        version=FORMAT_VERSION,
        assignments=ordered,
        unfilled=explain_unfilled(problem, ordered, eligibility),
        objective=objective,
        fairness=fairness_summary(
            problem, ordered, people_with_eligible_position(problem, eligibility)
        ),
        stats=dataclasses.replace(stats, gap=gap),
    )
