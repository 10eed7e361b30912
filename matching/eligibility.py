"""Hard rules 1-7 (who may take which position), computed once and indexed by time and place."""

from __future__ import annotations

import gc
import math
from dataclasses import dataclass, field

from matching.domain import (
    EARTH_RADIUS_KM,
    FUNNEL_STAGES,
    Location,
    Person,
    Position,
    Problem,
    Shift,
    haversine_km,
)

# Index granularity. Distinct availability intervals are listed per hour they overlap; a
# 0.02 degree cell (about 2.2 km north-south) keeps the distance candidates close to the truth
# for city-sized travel radii.
_BUCKET_SECONDS = 3600
_CELL_DEG = 0.02
# A person whose reach covers more cells than this is cheaper to check directly everywhere.
_MAX_CELLS_PER_PERSON = 2500
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


def passes_availability(person: Person, shift: Shift) -> bool:
    """Rule 3: `[shift.start, shift.end)` lies inside one of the person's intervals."""
    return any(a <= shift.start and shift.end <= b for a, b in person.availability)


# --- the index ---


def _cell(location: Location) -> tuple[int, int]:
    return (math.floor(location.lat / _CELL_DEG), math.floor(location.lon / _CELL_DEG))


def _reach_cells(location: Location, radius_km: float) -> list[tuple[int, int]] | None:
    """Grid cells a disk of `radius_km` around `location` may touch, or None if too many.

    Conservative: a cell is dropped only when even its nearest point is clearly out of reach
    (flat-earth distance, exact enough at city scale, shrunk by 1% for safety).
    """
    reach = radius_km + _ROUNDING_SLACK_KM
    dlat = reach / _KM_PER_DEG
    lat_lo, lat_hi = location.lat - dlat, location.lat + dlat
    if lat_hi >= 89.0 or lat_lo <= -89.0:
        return None
    cos_min = math.cos(math.radians(max(abs(lat_lo), abs(lat_hi))))
    dlon = dlat / cos_min
    lon_lo, lon_hi = location.lon - dlon, location.lon + dlon
    if lon_lo <= -180.0 or lon_hi >= 180.0:
        return None
    rows = range(math.floor(lat_lo / _CELL_DEG), math.floor(lat_hi / _CELL_DEG) + 1)
    cols = range(math.floor(lon_lo / _CELL_DEG), math.floor(lon_hi / _CELL_DEG) + 1)
    if len(rows) * len(cols) > _MAX_CELLS_PER_PERSON:
        return None
    cells = []
    # Per row of cells, the east-west reach left at that row's nearest latitude.
    km_per_deg_lon = _KM_PER_DEG * cos_min
    for r in rows:
        near_lat = min(max(location.lat, r * _CELL_DEG), (r + 1) * _CELL_DEG)
        dy = abs(near_lat - location.lat) * _KM_PER_DEG
        left = (reach / 0.99) ** 2 - dy * dy
        if left < 0:
            continue
        half = math.sqrt(left) / km_per_deg_lon
        first = math.floor((location.lon - half) / _CELL_DEG)
        last = math.floor((location.lon + half) / _CELL_DEG)
        cells.extend((r, c) for c in range(max(first, cols.start), min(last, cols.stop - 1) + 1))
    return cells


@dataclass(frozen=True, slots=True)
class _Indexes:
    """Sets of person indexes by availability interval, grid cell, role, skill, language and
    check.

    Sets let CPython intersect and unite them at C speed; only distance needs a per-person
    check afterwards. Availability is exact through the sets: people are grouped by identical
    interval, and the intervals that contain a shift are found among the few distinct ones
    overlapping the hour it starts in.
    """

    people_by_interval: dict[tuple[float, float], set[int]]
    intervals_by_hour: dict[int, list[tuple[float, float]]]
    by_cell: dict[tuple[int, int], set[int]]
    everywhere: set[int]  # no distance rule applies, or reach too wide for the grid
    by_role: dict[str, set[int]]
    by_skill: dict[tuple[str, int], set[int]]  # (skill, level) -> people with level >= it
    by_language: dict[str, set[int]]
    checked: set[int]


def _build_indexes(people: tuple[Person, ...]) -> _Indexes:
    idx = _Indexes({}, {}, {}, set(), {}, {}, {}, set())
    for i, person in enumerate(people):
        for a, b in person.availability:
            key = (a.timestamp(), b.timestamp())
            if key not in idx.people_by_interval:
                idx.people_by_interval[key] = set()
                first, last = int(key[0] // _BUCKET_SECONDS), int((key[1] - 1) // _BUCKET_SECONDS)
                for hour in range(first, last + 1):
                    idx.intervals_by_hour.setdefault(hour, []).append(key)
            idx.people_by_interval[key].add(i)
        cells = None
        if person.location is not None and person.max_travel_km is not None:
            cells = _reach_cells(person.location, person.max_travel_km)
        if cells is None:
            idx.everywhere.add(i)
        else:
            for cell in cells:
                idx.by_cell.setdefault(cell, set()).add(i)
        idx.by_role.setdefault(person.role, set()).add(i)
        for name, held in person.skills.items():
            for level in range(1, held + 1):
                idx.by_skill.setdefault((name, level), set()).add(i)
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
        km: dict[tuple[str, str], float | None] | None,
        tables: _Tables | None = None,
        columns: dict[str, tuple[list[int], list[float | None]]] | None = None,
    ) -> None:
        self.problem = problem
        self._tables = tables
        self.candidates = candidates
        self._km = km
        # position id -> (person indexes, km) aligned with `candidates` (when computed here).
        self._columns = columns
        self.pairs_count = sum(len(ids) for ids in candidates.values())
        self._positions = {q.id: (s, q) for s in problem.shifts for q in s.positions}
        self._by_person: dict[str, tuple[str, ...]] | None = None
        self._funnels: dict[str, dict[str, int]] = {}
        self._sets: dict[str, frozenset[str]] = {}

    @property
    def km(self) -> dict[tuple[str, str], float | None]:
        """(person id, shift id) -> rounded km of every eligible pair (built on first use)."""
        if self._km is None:
            km: dict[tuple[str, str], float | None] = {}
            for position_id, (_, kms) in (self._columns or {}).items():
                sid = self._positions[position_id][0].id
                km.update(
                    zip([(pid, sid) for pid in self.candidates[position_id]], kms, strict=True)
                )
            self._km = km
        return self._km

    def candidate_columns(self, position_id: str) -> tuple[list[int], list[float | None]]:
        """The position's candidates as person indexes (problem order) and their km."""
        if self._columns is not None:
            return self._columns[position_id]
        index_of = {p.id: i for i, p in enumerate(self.problem.people)}
        sid = self._positions[position_id][0].id
        ids = self.candidates.get(position_id, ())
        return [index_of[pid] for pid in ids], [self.km.get((pid, sid)) for pid in ids]

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

        Computed on demand (only unfilled positions need it) by narrowing the index sets stage
        by stage; no per-person loop except distances for forbidden people.
        """
        if position_id not in self._funnels:
            if self._tables is None:
                self._tables = _Tables.of(self.problem)
            shift, position = self._positions[position_id]
            self._funnels[position_id] = _funnel_counts(
                self._tables, shift, position, len(self.candidates[position_id])
            )
        return dict(self._funnels[position_id])


def _funnel_counts(
    tables: _Tables, shift: Shift, position: Position, eligible: int
) -> dict[str, int]:
    """The seven stage counts; `eligible` is the number of people passing all seven."""
    idx, columns = tables.indexes, tables.columns
    counts: dict[str, int] = {}
    with_role, found = tables.qualified(position)
    counts["role"] = len(with_role)
    counts["skills"] = len(found)
    chain = tables.shift_chain(shift)
    if found is tables.everyone:  # role any, no skills: the shift's own chain is the answer
        counts["availability"], counts["background_check"] = len(chain[0]), len(chain[1])
        found = chain[2]
    else:
        found = found & chain[0]
        counts["availability"] = len(found)
        if shift.requires_background_check:
            found = found & idx.checked
        counts["background_check"] = len(found)
        if shift.language is not None:
            found = found & idx.by_language.get(shift.language, set())
    counts["language"] = len(found)
    # Passing rule 6 = passing all seven + the forbidden ones passing rule 6, so distances are
    # needed only for the (few) forbidden people left at this stage.
    blocked = found & tables.forbidden.get(shift.id, set())
    if shift.location is not None:
        blocked = _reachable_among(shift, columns, blocked)
    counts["distance"] = eligible + len(blocked)
    counts["not_forbidden"] = eligible
    return counts


@dataclass(frozen=True, slots=True)
class _Tables:
    """Everything the index-based checks read, built once per problem."""

    indexes: _Indexes
    columns: _Columns
    everyone: set[int]
    forbidden: dict[str, set[int]]  # shift id -> person indexes
    # The last shift's chain: the funnels of a shift's positions are asked in a row.
    _last: dict[str, tuple[set[int], set[int], set[int]]] = field(default_factory=dict)
    _qualified: dict[tuple[str, tuple[tuple[str, int], ...]], tuple[set[int], set[int]]] = field(
        default_factory=dict
    )

    def qualified(self, position: Position) -> tuple[set[int], set[int]]:
        """People passing rule 1, and rules 1-2, for `position`; cached per distinct
        requirement (many positions ask the same role and skills)."""
        key = (position.role, tuple(sorted(position.skills.items())))
        if key not in self._qualified:
            idx = self.indexes
            # Index sets are shared and never mutated, so they are read without copying.
            found = (
                self.everyone if position.role == "any" else idx.by_role.get(position.role, set())
            )
            with_role = found
            for name, level in position.skills.items():
                if level > 0:  # a level-0 requirement is met by everyone, holder or not
                    found = found & idx.by_skill.get((name, level), set())
            self._qualified[key] = (with_role, found)
        return self._qualified[key]

    def shift_chain(self, shift: Shift) -> tuple[set[int], set[int], set[int]]:
        """People passing rule 3, rules 3-4 and rules 3-5 for `shift` (cached for the last
        shift asked)."""
        if shift.id not in self._last:
            available = _available(shift, self.indexes)
            checked = available
            if shift.requires_background_check:
                checked = available & self.indexes.checked
            spoken = checked
            if shift.language is not None:
                spoken = checked & self.indexes.by_language.get(shift.language, set())
            self._last.clear()
            self._last[shift.id] = (available, checked, spoken)
        return self._last[shift.id]

    @classmethod
    def of(cls, problem: Problem) -> _Tables:
        index_of = {p.id: i for i, p in enumerate(problem.people)}
        forbidden: dict[str, set[int]] = {}
        for f in problem.forbidden:
            if f.person_id in index_of:
                forbidden.setdefault(f.shift_id, set()).add(index_of[f.person_id])
        return cls(
            indexes=_build_indexes(problem.people),
            columns=_Columns.of(problem.people),
            everyone=set(range(len(problem.people))),
            forbidden=forbidden,
        )


def compute_eligibility(problem: Problem) -> Eligibility:
    """Evaluate rules 1-7 for every position of `problem`; returns an `Eligibility`.

    Per shift, C-speed set operations on the indexes (people grouped by availability interval,
    by grid cell, background check and language, then role and skill level per position) leave
    the people who pass every rule except possibly distance; only they get an exact distance
    check. Work grows with the people near each shift in time and place, not with
    people x positions.
    """
    # Millions of small tuples and no reference cycles: the cyclic GC would only rescan the
    # growing heap again and again (it dominated the L instance's time).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _compute(problem)
    finally:
        if was_enabled:
            gc.enable()


@dataclass(frozen=True, slots=True)
class _Columns:
    """Per-person data the exact checks read, as flat lists (fast to index in a hot loop)."""

    geo: list[_Geo]
    limit: list[float | None]  # max_travel_km
    locations: list[Location | None]

    @classmethod
    def of(cls, people: tuple[Person, ...]) -> _Columns:
        return cls(
            geo=[_radians(p.location) for p in people],
            limit=[p.max_travel_km for p in people],
            locations=[p.location for p in people],
        )


def _compute(problem: Problem) -> Eligibility:
    people = problem.people
    tables = _Tables.of(problem)
    person_ids = [p.id for p in people]
    candidates: dict[str, tuple[str, ...]] = {}
    columns: dict[str, tuple[list[int], list[float | None]]] = {}
    for shift in problem.shifts:
        base = _shift_candidates(shift, tables.indexes, tables.forbidden.get(shift.id, set()))
        coarse = [_position_candidates(q, base, tables.indexes) for q in shift.positions]
        either = coarse[0] if len(coarse) == 1 else set().union(*coarse)
        passing = _exact_shift_pass(shift, tables.columns, either)
        for position, found in zip(shift.positions, coarse, strict=True):
            # Role and skill levels are settled by the index sets, rules 3 and 6 by `passing`.
            chosen = sorted(found.intersection(passing))
            candidates[position.id] = tuple([person_ids[i] for i in chosen])
            columns[position.id] = (chosen, [passing[i] for i in chosen])
    return Eligibility(problem, candidates, None, tables, columns)


def _available(shift: Shift, indexes: _Indexes) -> set[int]:
    """People with one availability interval containing the shift (rule 3), exactly."""
    start, end = shift.start.timestamp(), shift.end.timestamp()
    # An interval containing the shift contains its start, so it overlaps that hour.
    keys = indexes.intervals_by_hour.get(int(start // _BUCKET_SECONDS), [])
    return set().union(
        *(indexes.people_by_interval[k] for k in keys if k[0] <= start and end <= k[1])
    )


def _shift_candidates(shift: Shift, indexes: _Indexes, forbidden: set[int]) -> set[int]:
    """People passing rules 3, 4, 5 and 7 for `shift` and possibly rule 6 (those whose reach
    covers the shift's grid cell), from set operations alone."""
    found = _available(shift, indexes)
    if shift.location is not None:
        near = indexes.by_cell.get(_cell(shift.location), set())
        found = (found & near) | (found & indexes.everywhere)
    if shift.requires_background_check:
        found = found & indexes.checked
    if shift.language is not None:
        found = found & indexes.by_language.get(shift.language, set())
    return found - forbidden if forbidden else found


def _position_candidates(position: Position, base: set[int], indexes: _Indexes) -> set[int]:
    """People in `base` with the position's role and holding every required skill."""
    found = base
    if position.role != "any":
        found = found & indexes.by_role.get(position.role, set())
    for name, level in position.skills.items():
        if level > 0:  # a level-0 requirement is met by everyone, holder or not
            found = found & indexes.by_skill.get((name, level), set())
    return found


_Geo = tuple[float, float, float] | None  # (lat, lon) in radians and cos(lat)


def _radians(location: Location | None) -> _Geo:
    if location is None:
        return None
    lat = math.radians(location.lat)
    return lat, math.radians(location.lon), math.cos(lat)


def _exact_shift_pass(shift: Shift, columns: _Columns, found: set[int]) -> dict[int, float | None]:
    """Person index -> km (None: a location is missing) for those of `found` passing the exact
    distance check (rule 6).

    The hot loop of the whole module: names are bound locally and the haversine is inlined
    (the very same floating-point operations in the same order as domain.haversine_km, with
    each point's radians and cosine computed once, hence the same rounded km).
    """
    here = _radians(shift.location)
    if here is None:
        return dict.fromkeys(found)
    geo, limits = columns.geo, columns.limit
    sin, asin, sqrt = math.sin, math.asin, math.sqrt
    diameter = 2 * EARTH_RADIUS_KM
    out: dict[int, float | None] = {}
    for i in found:
        there = geo[i]
        if there is None:
            out[i] = None
            continue
        h = (
            sin((here[0] - there[0]) / 2) ** 2
            + there[2] * here[2] * sin((here[1] - there[1]) / 2) ** 2
        )
        root = sqrt(h)
        if root > 1.0:  # min(1.0, root) without the call
            root = 1.0
        distance = round(diameter * asin(root), 1)
        limit = limits[i]
        if limit is None or distance <= limit:
            out[i] = distance
    return out


def _reachable_among(shift: Shift, columns: _Columns, found: set[int]) -> set[int]:
    """Those of `found` passing the distance rule for `shift` (rule 6)."""
    here = shift.location
    out = set()
    for i in found:
        location, limit = columns.locations[i], columns.limit[i]
        if (
            location is None
            or limit is None
            or here is None
            or haversine_km(location, here) <= limit
        ):
            out.add(i)
    return out
