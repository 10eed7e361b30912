"""Eligible (person, position) pairs as flat integer tables, and their pruning per position."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from matching import objective
from matching.domain import Location, Person, Position, Problem, Shift, km_between
from matching.eligibility import Eligibility


class InfeasibleProblem(ValueError):
    """The hard rules cannot all hold (e.g. a `fixed` pair breaks one); `.reason` says why."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(slots=True)
class PairTable:
    """Every eligible pair as parallel int lists (no per-pair objects), with index lookups.

    People, shifts and positions are numbered by their order in the problem; pair i joins
    person `pair_person[i]` to position `pair_position[i]` of shift `pair_shift[i]` and is
    worth `pair_score[i]` (the per-assignment terms, 1/36000 units).
    """

    problem: Problem
    eligibility: Eligibility
    fairness: objective.FairnessCost
    people: tuple[Person, ...]
    shifts: tuple[Shift, ...]
    positions: list[Position]
    person_index: dict[str, int]
    shift_index: dict[str, int]
    position_index: dict[str, int]
    position_shift: list[int]
    shift_start: list[int]  # epoch seconds
    shift_end: list[int]
    shift_minutes: list[int]
    shift_day: list[int]  # proleptic ordinal of the start's calendar day in the timezone
    shift_location: list[Location | None]
    person_recent: list[int]
    pair_person: list[int] = field(default_factory=list)
    pair_position: list[int] = field(default_factory=list)
    pair_shift: list[int] = field(default_factory=list)
    pair_score: list[int] = field(default_factory=list)
    fixed_pairs: list[int] = field(default_factory=list)
    continuity_pairs: set[int] = field(default_factory=set)
    by_position: list[list[int]] = field(default_factory=list)
    by_person: list[list[int]] = field(default_factory=list)
    _shift_km: dict[tuple[int, int], bool] = field(default_factory=dict)

    @property
    def pair_count(self) -> int:
        return len(self.pair_person)

    def locations_differ(self, a: int, b: int) -> bool:
        """True iff shifts a and b are a positive (rounded) distance apart; needs both locations."""
        key = (a, b) if a < b else (b, a)
        hit = self._shift_km.get(key)
        if hit is None:
            km = km_between(self.shift_location[a], self.shift_location[b])
            hit = km is not None and km > 0
            self._shift_km[key] = hit
        return hit

    def constant_fairness(self) -> int:
        """Sum over all people of the fairness cost of their recent minutes alone."""
        return sum(self.fairness.of(r) for r in self.person_recent)


def build_pair_table(problem: Problem, eligibility: Eligibility) -> PairTable:
    """Number the problem and score every eligible pair; returns the `PairTable`.

    Raises `InfeasibleProblem` when a `fixed` pair fails rules 1-7 (a confirmed assignment
    that breaks a hard rule makes every solution infeasible).
    """
    tz = ZoneInfo(problem.timezone)
    shifts = problem.shifts
    positions = [q for s in shifts for q in s.positions]
    table = PairTable(
        problem=problem,
        eligibility=eligibility,
        fairness=objective.FairnessCost(problem.weights),
        people=problem.people,
        shifts=shifts,
        positions=positions,
        person_index={p.id: i for i, p in enumerate(problem.people)},
        shift_index={s.id: i for i, s in enumerate(shifts)},
        position_index={q.id: i for i, q in enumerate(positions)},
        position_shift=[si for si, s in enumerate(shifts) for _ in s.positions],
        shift_start=[int(s.start.timestamp()) for s in shifts],
        shift_end=[int(s.end.timestamp()) for s in shifts],
        shift_minutes=[s.minutes for s in shifts],
        shift_day=[s.start.astimezone(tz).date().toordinal() for s in shifts],
        shift_location=[s.location for s in shifts],
        person_recent=[p.recent_minutes for p in problem.people],
    )
    _add_pairs(table, problem, eligibility)
    _add_fixed(table, problem)
    return table


def _add_pairs(table: PairTable, problem: Problem, eligibility: Eligibility) -> None:
    """Score every eligible pair: the terms of objective.py, inlined for speed on the hot loop
    (tests check the table against `objective.assignment_terms`)."""
    units = objective.Units(problem.weights)
    person_of = table.person_index
    history: dict[str, set[int]] = {}  # request id -> people linked to it
    for h in problem.history:
        if h.person_id in person_of:
            history.setdefault(h.request_id, set()).add(person_of[h.person_id])
    incumbents: dict[str, set[int]] = {}  # position id -> incumbent people
    for inc in problem.incumbents:
        if inc.person_id in person_of:
            incumbents.setdefault(inc.position_id, set()).add(person_of[inc.person_id])
    table.by_position = by_position = [[] for _ in table.positions]
    table.by_person = by_person = [[] for _ in table.people]
    people = table.people
    pair_person, pair_position, pair_shift = (
        table.pair_person,
        table.pair_position,
        table.pair_shift,
    )
    pair_score, linked_pairs = table.pair_score, table.continuity_pairs
    skill_unit, tenth_km = units.skill, units.distance_per_tenth_km
    preference, continuity, stability = units.preference, units.continuity, units.stability
    int_km = isinstance(tenth_km, int)
    incentive = [
        objective.incentive_for_level(units, objective.incentive_level(problem.weights, p), 1)
        if units.incentive_per_minute == 0 or isinstance(units.incentive_per_minute, int)
        else None
        for p in people
    ]
    skills_of = [p.skills for p in people]
    kinds_of = [p.preferred_kinds for p in people]
    no_set: set[int] = set()
    for qi, position in enumerate(table.positions):
        si = table.position_shift[qi]
        shift = table.shifts[si]
        base, minutes = objective.coverage(units, shift), table.shift_minutes[si]
        needs = tuple(position.skills.items())
        kind = shift.kind
        linked_people = history.get(shift.request_id, no_set)
        incumbent_people = incumbents.get(position.id, no_set)
        chosen, kms = eligibility.candidate_columns(position.id)
        first = len(pair_person)
        for n, (pi, km) in enumerate(zip(chosen, kms, strict=True)):
            score = base
            if needs:
                skills = skills_of[pi]
                surplus = sum(skills.get(name, 0) - level for name, level in needs)
                if surplus:
                    score += objective._times(skill_unit, surplus)
            if km is not None:
                tenths = round(km * 10)
                score -= tenth_km * tenths if int_km else objective._times(tenth_km, tenths)
            if kind in kinds_of[pi]:
                score += preference
            linked = pi in linked_people
            if linked:
                score += continuity
            # An incumbent (an open offer being re-planned) is kept by pruning like continuity.
            if pi in incumbent_people:
                score += stability
                linked = True
            per_minute = incentive[pi]
            if per_minute is None:  # a weight that is not a whole number of units per minute
                level = objective.incentive_level(problem.weights, people[pi])
                score += objective.incentive_for_level(units, level, minutes)
            elif per_minute:
                score += per_minute * minutes
            pair_score.append(score)
            by_person[pi].append(first + n)
            if linked:
                linked_pairs.add(first + n)
        count = len(chosen)
        pair_person.extend(chosen)
        pair_position.extend([qi] * count)
        pair_shift.extend([si] * count)
        by_position[qi] = list(range(first, first + count))


def _add_fixed(table: PairTable, problem: Problem) -> None:
    elig = table.eligibility
    for f in problem.fixed:
        pi = table.person_index[f.person_id]
        qi = table.position_index[f.position_id]
        i = next((j for j in table.by_position[qi] if table.pair_person[j] == pi), None)
        if i is None:
            funnel = _failed_rule(elig, f.person_id, f.position_id)
            raise InfeasibleProblem(
                f'fixed pair person "{f.person_id}" / position "{f.position_id}" '
                f"breaks hard rule {funnel}"
            )
        table.fixed_pairs.append(i)


def _failed_rule(elig: Eligibility, person_id: str, position_id: str) -> str:
    """The first of rules 1-7 the person fails for the position, by name."""
    from matching import eligibility as rules  # local: only needed to explain a failure

    problem = elig.problem
    person = next(p for p in problem.people if p.id == person_id)
    shift, position = elig.shift_of(position_id), elig.position(position_id)
    forbidden = {(f.person_id, f.shift_id) for f in problem.forbidden}
    checks = [
        ("1 (role)", rules.passes_role(person, position)),
        ("2 (skills)", rules.passes_skills(person, position)),
        ("3 (availability)", rules.passes_availability(person, shift)),
        ("4 (background check)", rules.passes_background_check(person, shift)),
        ("5 (language)", rules.passes_language(person, shift)),
        ("6 (distance)", rules.passes_distance(person, shift)),
        ("7 (forbidden)", (person_id, shift.id) not in forbidden),
    ]
    return next((name for name, ok in checks if not ok), "1-7")


@dataclass(frozen=True, slots=True)
class Pruning:
    """The pairs kept for the CP-SAT model and whether each person/position lost any."""

    kept: list[int]
    pruned: bool  # True iff at least one pair was dropped
    touched_people: set[int]  # people that lost a pair
    touched_positions: set[int]  # positions that lost a pair


def prune(table: PairTable, k: int, pinned: Iterable[int] = ()) -> Pruning:
    """Keep per position its best `k` pairs by score, plus every fixed, continuity-linked or
    pinned pair (e.g. those of a warm start) and every pair of a person's only eligible position.

    Returns a `Pruning`; with k <= 0 nothing is dropped.
    """
    n = table.pair_count
    if k <= 0:
        return Pruning(list(range(n)), False, set(), set())
    keep = bytearray(n)
    for i in (*table.fixed_pairs, *table.continuity_pairs, *pinned):
        keep[i] = 1
    for pairs in table.by_person:
        if len(pairs) == 1:
            keep[pairs[0]] = 1
    score = table.pair_score
    for pairs in table.by_position:
        if len(pairs) <= k:
            for i in pairs:
                keep[i] = 1
        else:
            for i in sorted(pairs, key=score.__getitem__, reverse=True)[:k]:
                keep[i] = 1
    kept = [i for i in range(n) if keep[i]]
    touched_people = {table.pair_person[i] for i in range(n) if not keep[i]}
    touched_positions = {table.pair_position[i] for i in range(n) if not keep[i]}
    return Pruning(kept, len(kept) < n, touched_people, touched_positions)
