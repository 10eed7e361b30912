"""Hard rules 1-7 (who may take which position), computed once and indexed by time and place."""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from matching.domain import (
    FUNNEL_STAGES,
    Location,
    Person,
    Position,
    Problem,
    Shift,
    haversine_km,
)

# Index granularity. An hour bucket keeps the availability lists short; a 0.05 degree cell
# (about 5.5 km north-south) keeps the distance lists short for city-sized travel radii.
_BUCKET_SECONDS = 3600
_CELL_DEG = 0.05
# A person whose reach covers more cells than this is cheaper to check directly everywhere.
_MAX_CELLS_PER_PERSON = 400
# haversine_km rounds to 0.1 km, so a true distance up to R + 0.05 still passes `km <= R`.
_ROUNDING_SLACK_KM = 0.1
# Conservative km per degree of latitude (the true value with R=6371 is 111.19).
_KM_PER_DEG = 111.0

ELIGIBILITY_STAGES: tuple[str, ...] = FUNNEL_STAGES[:7]


# --- the rules, one small function each (shared by the index and by the funnel) ---


def passes_role(person: Person, position: Position) -> bool:
    """Rule 1: the position accepts any role or exactly the person's role."""
    return position.role == "any" or position.role == person.role


def passes_skills(person: Person, position: Position) -> bool:
    """Rule 2: the person holds every required skill at least at the required level."""
    skills = person.skills
    return all(skills.get(name, 0) >= level for name, level in position.skills.items())


def passes_background_check(person: Person, shift: Shift) -> bool:
    """Rule 4: a shift that requires a background check needs a checked person."""
    return person.background_checked or not shift.requires_background_check


def passes_language(person: Person, shift: Shift) -> bool:
    """Rule 5: a shift with a language needs a person who speaks it."""
    return shift.language is None or shift.language in person.languages


def passes_distance(person: Person, shift: Shift) -> bool:
    """Rule 6: rounded haversine km <= max_travel_km when both locations and the limit are set."""
    if person.location is None or shift.location is None or person.max_travel_km is None:
        return True
    return haversine_km(person.location, shift.location) <= person.max_travel_km


class _Availability:
    """One person's availability as sorted starts with a running maximum of ends.

    `[a, b)` lies inside one interval iff some interval with start <= a ends at or after b; the
    running maximum of ends over intervals sorted by start answers that with one bisect.
    Intervals are never merged: the spec asks for ONE interval containing the shift.
    """

    __slots__ = ("starts", "max_ends")

    def __init__(self, intervals: Iterable[tuple[float, float]]) -> None:
        ordered = sorted(intervals)
        self.starts = [start for start, _ in ordered]
        self.max_ends: list[float] = []
        best = -math.inf
        for _, end in ordered:
            best = max(best, end)
            self.max_ends.append(best)

    def covers(self, start: float, end: float) -> bool:
        k = bisect_right(self.starts, start)
        return k > 0 and self.max_ends[k - 1] >= end


def _availability_of(person: Person) -> _Availability:
    return _Availability((a.timestamp(), b.timestamp()) for a, b in person.availability)


def passes_availability(person: Person, shift: Shift) -> bool:
    """Rule 3: `[shift.start, shift.end)` lies inside one of the person's intervals."""
    return any(a <= shift.start and shift.end <= b for a, b in person.availability)


# --- the index ---


def _cell(location: Location) -> tuple[int, int]:
    return (math.floor(location.lat / _CELL_DEG), math.floor(location.lon / _CELL_DEG))


def _reach_cells(location: Location, radius_km: float) -> list[tuple[int, int]] | None:
    """Grid cells a disk of `radius_km` around `location` may touch, or None if too many."""
    dlat = (radius_km + _ROUNDING_SLACK_KM) / _KM_PER_DEG
    lat_lo, lat_hi = location.lat - dlat, location.lat + dlat
    if lat_hi >= 89.0 or lat_lo <= -89.0:
        return None
    dlon = dlat / math.cos(math.radians(max(abs(lat_lo), abs(lat_hi))))
    lon_lo, lon_hi = location.lon - dlon, location.lon + dlon
    if lon_lo <= -180.0 or lon_hi >= 180.0:
        return None
    rows = range(math.floor(lat_lo / _CELL_DEG), math.floor(lat_hi / _CELL_DEG) + 1)
    cols = range(math.floor(lon_lo / _CELL_DEG), math.floor(lon_hi / _CELL_DEG) + 1)
    if len(rows) * len(cols) > _MAX_CELLS_PER_PERSON:
        return None
    return [(r, c) for r in rows for c in cols]


@dataclass(frozen=True, slots=True)
class _Indexes:
    """Sets of person indexes by hour bucket, grid cell, role, skill, language and check.

    Sets let CPython intersect the lists at C speed; only the survivors get exact checks.
    """

    by_bucket: dict[int, set[int]]
    by_cell: dict[tuple[int, int], set[int]]
    everywhere: set[int]  # no distance rule applies, or reach too wide for the grid
    by_role: dict[str, set[int]]
    by_skill: dict[str, set[int]]
    by_language: dict[str, set[int]]
    checked: set[int]


def _build_indexes(people: tuple[Person, ...]) -> _Indexes:
    idx = _Indexes({}, {}, set(), {}, {}, {}, set())
    for i, person in enumerate(people):
        for a, b in person.availability:
            start, end = a.timestamp(), b.timestamp()
            first, last = int(start // _BUCKET_SECONDS), int((end - 1) // _BUCKET_SECONDS)
            for bucket in range(first, last + 1):
                idx.by_bucket.setdefault(bucket, set()).add(i)
        cells = None
        if person.location is not None and person.max_travel_km is not None:
            cells = _reach_cells(person.location, person.max_travel_km)
        if cells is None:
            idx.everywhere.add(i)
        else:
            for cell in cells:
                idx.by_cell.setdefault(cell, set()).add(i)
        idx.by_role.setdefault(person.role, set()).add(i)
        for name in person.skills:
            idx.by_skill.setdefault(name, set()).add(i)
        for language in person.languages:
            idx.by_language.setdefault(language, set()).add(i)
        if person.background_checked:
            idx.checked.add(i)
    return idx


class Eligibility:
    """Which people pass hard rules 1-7 for which positions, with km and the rule funnel.

    Attributes:
        candidates: position id -> ids of people passing rules 1-7, in problem people order.
        pairs_count: the number of (person, position) pairs passing rules 1-7.
        km: (person id, shift id) -> rounded km for every eligible pair (None: a location is
            missing), so a solver need not recompute distances.
    """

    def __init__(
        self,
        problem: Problem,
        candidates: dict[str, tuple[str, ...]],
        km: dict[tuple[str, str], float | None],
    ) -> None:
        self.problem = problem
        self.candidates = candidates
        self.km = km
        self.pairs_count = sum(len(ids) for ids in candidates.values())
        self._positions = {q.id: (s, q) for s in problem.shifts for q in s.positions}
        self._forbidden = {(f.person_id, f.shift_id) for f in problem.forbidden}
        self._by_person: dict[str, tuple[str, ...]] | None = None
        self._funnels: dict[str, dict[str, int]] = {}
        self._sets: dict[str, frozenset[str]] = {}

    def shift_of(self, position_id: str) -> Shift:
        """The shift a position belongs to."""
        return self._positions[position_id][0]

    def position(self, position_id: str) -> Position:
        """The position with this id."""
        return self._positions[position_id][1]

    def is_eligible(self, person_id: str, position_id: str) -> bool:
        """True iff the person passes rules 1-7 for the position."""
        if position_id not in self._sets:
            self._sets[position_id] = frozenset(self.candidates[position_id])
        return person_id in self._sets[position_id]

    def positions_for(self, person_id: str) -> tuple[str, ...]:
        """Position ids the person is eligible for, in problem order (built on first use)."""
        if self._by_person is None:
            by_person: dict[str, list[str]] = {p.id: [] for p in self.problem.people}
            for shift in self.problem.shifts:
                for q in shift.positions:
                    for pid in self.candidates[q.id]:
                        by_person[pid].append(q.id)
            self._by_person = {pid: tuple(ids) for pid, ids in by_person.items()}
        return self._by_person.get(person_id, ())

    def funnel(self, position_id: str) -> dict[str, int]:
        """Cumulative counts of people passing rules 1..k, k = 1..7 (stages role .. not_forbidden).

        O(people) per position, computed on demand: only unfilled positions need it.
        """
        if position_id not in self._funnels:
            shift, position = self._positions[position_id]
            self._funnels[position_id] = _funnel_counts(
                self.problem.people, shift, position, self._forbidden
            )
        return dict(self._funnels[position_id])


def _stage_checks(
    shift: Shift, position: Position, forbidden: set[tuple[str, str]]
) -> list[tuple[str, Callable[[Person], bool]]]:
    """The seven rules as (stage name, predicate) in funnel order."""
    return [
        ("role", lambda p: passes_role(p, position)),
        ("skills", lambda p: passes_skills(p, position)),
        ("availability", lambda p: passes_availability(p, shift)),
        ("background_check", lambda p: passes_background_check(p, shift)),
        ("language", lambda p: passes_language(p, shift)),
        ("distance", lambda p: passes_distance(p, shift)),
        ("not_forbidden", lambda p: (p.id, shift.id) not in forbidden),
    ]


def _funnel_counts(
    people: Iterable[Person], shift: Shift, position: Position, forbidden: set[tuple[str, str]]
) -> dict[str, int]:
    checks = _stage_checks(shift, position, forbidden)
    counts = dict.fromkeys(ELIGIBILITY_STAGES, 0)
    for person in people:
        for stage, check in checks:
            if not check(person):
                break
            counts[stage] += 1
    return counts


def compute_eligibility(problem: Problem) -> Eligibility:
    """Evaluate rules 1-7 for every position of `problem`; returns an `Eligibility`.

    Work grows with the people near each shift in time and place (intersected by index sets),
    not with people x positions.
    """
    people = problem.people
    avail = [_availability_of(p) for p in people]
    indexes = _build_indexes(people)
    index_of = {p.id: i for i, p in enumerate(people)}
    forbidden: dict[str, set[int]] = {}
    for f in problem.forbidden:
        if f.person_id in index_of:
            forbidden.setdefault(f.shift_id, set()).add(index_of[f.person_id])
    candidates: dict[str, tuple[str, ...]] = {}
    km: dict[tuple[str, str], float | None] = {}
    for shift in problem.shifts:
        passing = _shift_level_pass(shift, people, avail, indexes, forbidden.get(shift.id, set()))
        eligible: set[int] = set()
        for position in shift.positions:
            chosen = sorted(_position_pass(position, people, passing.keys(), indexes))
            candidates[position.id] = tuple(people[i].id for i in chosen)
            eligible.update(chosen)
        for i in eligible:
            km[(people[i].id, shift.id)] = passing[i]
    return Eligibility(problem, candidates, km)


def _shift_candidates(shift: Shift, indexes: _Indexes, forbidden: set[int]) -> set[int]:
    """A superset of the people passing rules 3-7 for `shift`, from set intersections."""
    # An interval containing the shift contains its start, so it sits in that hour's bucket.
    found = indexes.by_bucket.get(int(shift.start.timestamp() // _BUCKET_SECONDS), set())
    if shift.location is not None:
        near = indexes.by_cell.get(_cell(shift.location), set())
        found = (found & near) | (found & indexes.everywhere)
    if shift.requires_background_check:
        found = found & indexes.checked
    if shift.language is not None:
        found = found & indexes.by_language.get(shift.language, set())
    return found - forbidden if forbidden else found


def _shift_level_pass(
    shift: Shift,
    people: tuple[Person, ...],
    avail: list[_Availability],
    indexes: _Indexes,
    forbidden: set[int],
) -> dict[int, float | None]:
    """Person index -> km (None: a location is missing) for people passing rules 3-7."""
    start, end = shift.start.timestamp(), shift.end.timestamp()
    here = shift.location
    out: dict[int, float | None] = {}
    for i in _shift_candidates(shift, indexes, forbidden):
        if not avail[i].covers(start, end):
            continue
        person = people[i]
        distance = None
        if here is not None and person.location is not None:
            distance = haversine_km(person.location, here)
            if person.max_travel_km is not None and distance > person.max_travel_km:
                continue
        out[i] = distance
    return out


def _position_pass(
    position: Position, people: tuple[Person, ...], passing: Iterable[int], indexes: _Indexes
) -> list[int]:
    """Indexes among `passing` that also pass rules 1-2 for `position`."""
    found = set(passing)
    if position.role != "any":
        found &= indexes.by_role.get(position.role, set())
    for name, level in position.skills.items():
        if level > 0:  # a level-0 requirement is met by everyone, holder or not
            found &= indexes.by_skill.get(name, set())
    return [i for i in found if passes_skills(people[i], position)]
