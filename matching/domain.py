"""Frozen dataclasses of the matching problem and solution files (format version 1)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

FORMAT_VERSION = 1
PERSON_ROLES = ("social_worker", "volunteer", "resident_activist")
POSITION_ROLES = (*PERSON_ROLES, "any")
TERM_NAMES = ("coverage", "skill", "distance", "preference", "continuity", "incentive", "fairness")
# Linkage's extension for re-planning (docs/problem-format.md): a bonus per kept incumbent pair.
STABILITY = "stability"
FUNNEL_STAGES = (
    "role",
    "skills",
    "availability",
    "background_check",
    "language",
    "distance",
    "not_forbidden",
    "free",
)
EARTH_RADIUS_KM = 6371.0
# Every objective term is a multiple of 1/36000 (spec): km has 1 decimal, h = minutes/60,
# (minutes/60)^2 = minutes^2/3600. Solvers work in integers after multiplying by this.
OBJECTIVE_SCALE = 36000


@dataclass(frozen=True, slots=True)
class Location:
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class Weights:
    coverage: float = 1000
    skill: float = 20
    distance: float = 10
    preference: float = 50
    continuity: float = 100
    fairness: float = 5
    incentive: float = 0
    points_cap: float = 1000
    stability: float = 0  # extension: per assignment that keeps an incumbent pair


@dataclass(frozen=True, slots=True)
class Person:
    id: str
    role: str
    skills: dict[str, int] = field(default_factory=dict)
    languages: tuple[str, ...] = ()
    location: Location | None = None
    max_travel_km: float | None = None
    max_minutes: int | None = None
    max_shifts_per_day: int | None = None
    # Sorted, non-overlapping after io normalisation is NOT guaranteed: keep as given.
    availability: tuple[tuple[datetime, datetime], ...] = ()
    background_checked: bool = False
    points: int = 0
    recent_minutes: int = 0
    preferred_kinds: tuple[str, ...] = ()
    preferred_organizations: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Position:
    id: str
    shift_id: str
    role: str
    skills: dict[str, int] = field(default_factory=dict)
    count: int = 1
    min_count: int = 1


@dataclass(frozen=True, slots=True)
class Shift:
    id: str
    request_id: str
    organization_id: str | None
    kind: str
    start: datetime
    end: datetime
    location: Location | None
    priority: int
    requires_background_check: bool
    language: str | None
    positions: tuple[Position, ...]

    @property
    def minutes(self) -> int:
        return shift_minutes(self.start, self.end)


@dataclass(frozen=True, slots=True)
class PersonPosition:
    person_id: str
    position_id: str


@dataclass(frozen=True, slots=True)
class PersonShift:
    person_id: str
    shift_id: str


@dataclass(frozen=True, slots=True)
class History:
    person_id: str
    request_id: str
    count: int


@dataclass(frozen=True, slots=True)
class Problem:
    version: int
    timezone: str
    horizon_start: datetime
    horizon_end: datetime
    travel_buffer_minutes: int
    weights: Weights
    people: tuple[Person, ...]
    shifts: tuple[Shift, ...]
    fixed: tuple[PersonPosition, ...] = ()
    forbidden: tuple[PersonShift, ...] = ()
    history: tuple[History, ...] = ()
    # Extension: pairs already offered; keeping one earns weights.stability (re-planning).
    incumbents: tuple[PersonPosition, ...] = ()


def term_names(problem: Problem) -> tuple[str, ...]:
    """The objective terms of a problem: the spec's, plus `stability` when it has incumbents."""
    return (*TERM_NAMES, STABILITY) if problem.incumbents else TERM_NAMES


@dataclass(frozen=True, slots=True)
class Assignment:
    person_id: str
    position_id: str
    shift_id: str


@dataclass(frozen=True, slots=True)
class Unfilled:
    position_id: str
    missing: int
    funnel: dict[str, int]  # keys: FUNNEL_STAGES, in that order
    reason: str  # a FUNNEL_STAGES name, "min_count" or "objective"


@dataclass(frozen=True, slots=True)
class Objective:
    total: float
    terms: dict[str, float]  # keys: TERM_NAMES


@dataclass(frozen=True, slots=True)
class FairnessSummary:
    people_assigned: int
    people_available: int
    gini_minutes: float
    jain_minutes: float


@dataclass(frozen=True, slots=True)
class Stats:
    solver: str
    status: str
    bound: float | None
    bound_source: str | None
    gap: float | None
    wall_seconds: float
    variables: int = 0
    constraints: int = 0
    extra: dict[str, object] = field(default_factory=dict)  # written under stats as-is


@dataclass(frozen=True, slots=True)
class Solution:
    version: int
    assignments: tuple[Assignment, ...]
    unfilled: tuple[Unfilled, ...]
    objective: Objective
    fairness: FairnessSummary
    stats: Stats


def shift_minutes(start: datetime, end: datetime) -> int:
    """Whole minutes between two aware datetimes (the spec's `minutes(s)`)."""
    return int((end - start).total_seconds() // 60)


def haversine_km(a: Location, b: Location) -> float:
    """Great-circle distance in km, rounded to one decimal as the spec requires."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return round(2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h))), 1)


def km_between(a: Location | None, b: Location | None) -> float | None:
    """The spec's `km(p, s)`, or None when either location is missing."""
    if a is None or b is None:
        return None
    return haversine_km(a, b)
