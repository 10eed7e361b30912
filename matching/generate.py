"""Seeded, realistic matching problems (Guangzhou communities, one week) for tests, benchmarks."""

from __future__ import annotations

import argparse
import math
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from matching.domain import (
    History,
    Location,
    Person,
    PersonPosition,
    PersonShift,
    Position,
    Problem,
    Shift,
    Weights,
)
from matching.eligibility import (
    passes_availability,
    passes_background_check,
    passes_distance,
    passes_language,
    passes_role,
    passes_skills,
)
from matching.io import dump_json

SIZES: dict[str, tuple[int, int]] = {"S": (300, 80), "M": (3_000, 800), "L": (30_000, 8_000)}
DEFAULT_WEEK_START = date(2026, 11, 30)  # a Monday; fixed so that a seed alone fixes a problem
TIMEZONE = "Asia/Shanghai"
CST = timezone(timedelta(hours=8))  # Asia/Shanghai has had no DST since 1991
CENTER = Location(lat=23.13, lon=113.26)  # Yuexiu, Guangzhou
PEOPLE_PER_COMMUNITY = 300
KM_PER_DEG_LAT = 111.19

SKILLS = (
    "elderly_care",
    "counseling",
    "tutoring",
    "legal",
    "it_help",
    "first_aid",
    "event_support",
)
KINDS = ("elderly_visit", "tutoring", "legal_desk", "counseling_desk", "it_help", "community_event")
# How often each need appears among shifts (DOMAIN.md's typical needs).
KIND_WEIGHTS = (35, 20, 5, 5, 10, 25)
EVENT_NAMES = (
    "flea_market",
    "concert",
    "cantonese_opera",
    "science_festival",
    "river_trail",
    "lantern_festival",
)

# The `kind` values shifts carry (an event is named by what it is).
SHIFT_KINDS = (*KINDS[:-1], *EVENT_NAMES)


@dataclass(frozen=True, slots=True)
class _Community:
    id: str
    center: Location


def _offset(rng: random.Random, at: Location, sigma_km: float) -> Location:
    """A point scattered around `at` by a normal offset of `sigma_km` in each direction."""
    dlat = rng.gauss(0, sigma_km) / KM_PER_DEG_LAT
    dlon = rng.gauss(0, sigma_km) / (KM_PER_DEG_LAT * math.cos(math.radians(at.lat)))
    return Location(lat=round(at.lat + dlat, 5), lon=round(at.lon + dlon, 5))


def _communities(rng: random.Random, people: int) -> list[_Community]:
    """Community centres spread over an area that grows with the population (about constant
    density: S ~3 km, M ~10 km, L ~30 km across)."""
    count = max(3, people // PEOPLE_PER_COMMUNITY)
    half_km = 5.0 * math.sqrt(people / 3_000)
    out = []
    for k in range(count):
        dy, dx = rng.uniform(-half_km, half_km), rng.uniform(-half_km, half_km)
        lat = CENTER.lat + dy / KM_PER_DEG_LAT
        lon = CENTER.lon + dx / (KM_PER_DEG_LAT * math.cos(math.radians(CENTER.lat)))
        out.append(_Community(id=f"c{k + 1}", center=Location(round(lat, 5), round(lon, 5))))
    return out


# --- people ---


def _at(week: datetime, day: int, hour: float) -> datetime:
    return week + timedelta(days=day, minutes=round(hour * 60))


def _availability(
    rng: random.Random, week: datetime, life: str
) -> tuple[tuple[datetime, datetime], ...]:
    """Weekly free time by way of life (volunteers give a few hours a week): retirees daytime,
    workers evenings and weekends, students weekends, social workers office hours."""
    slots: list[tuple[int, float, float]] = []
    if life == "social_worker":
        for day in rng.sample(range(5), rng.randint(3, 5)):
            slots.append((day, 9, 18))
        if rng.random() < 0.3:
            slots.append((5, 9, 13))
    elif life == "retiree":
        for day in rng.sample(range(7), rng.randint(1, 3)):
            if rng.random() < 0.15:
                # two adjacent intervals: the spec does not merge them (a 11:00-13:00 shift fails)
                slots += [(day, 8.5, 12), (day, 12, 17)]
            else:
                slots.append((day, *rng.choice(((8.5, 12), (14, 17.5), (9, 17)))))
    elif life == "worker":
        for day in rng.sample(range(5), rng.randint(0, 2)):
            slots.append((day, 18.5, 21.5))
        for day in (5, 6):
            if rng.random() < 0.5:
                slots.append((day, *rng.choice(((9, 13), (14, 18), (9, 18)))))
    else:  # student
        for day in (5, 6):
            if rng.random() < 0.6:
                slots.append((day, *rng.choice(((9, 12), (13, 18), (9, 18)))))
        if rng.random() < 0.3:
            slots.append((4, 18, 22))
    slots.sort()
    return tuple((_at(week, d, a), _at(week, d, b)) for d, a, b in slots)


def _life(rng: random.Random, role: str) -> str:
    if role == "social_worker":
        return "social_worker"
    return rng.choices(("retiree", "worker", "student"), (35, 45, 20))[0]


def _skills(rng: random.Random, role: str, life: str) -> dict[str, int]:
    skills: dict[str, int] = {}
    if role == "social_worker":
        skills["counseling"] = rng.randint(2, 5)
        skills["elderly_care"] = rng.randint(1, 4)
    if life == "retiree" and rng.random() < 0.6:
        skills["elderly_care"] = rng.randint(1, 4)
    if life == "student" and rng.random() < 0.7:
        skills["tutoring"] = rng.randint(1, 4)
    if role == "resident_activist":
        skills["event_support"] = rng.randint(2, 5)
    for name in rng.sample(SKILLS, rng.randint(0, 2)):
        skills.setdefault(name, rng.randint(1, 3))
    if rng.random() < 0.03:  # lawyers are rare: legal desks are hard to fill
        skills["legal"] = rng.randint(3, 5)
    return skills


def _languages(rng: random.Random, life: str) -> tuple[str, ...]:
    yue = rng.random() < (0.9 if life == "retiree" else 0.6)
    cmn = rng.random() < (0.6 if life == "retiree" else 0.95)
    if not yue and not cmn:
        cmn = True
    return tuple(code for code, speaks in (("yue", yue), ("cmn", cmn)) if speaks)


def _person(
    rng: random.Random, k: int, week: datetime, community: _Community
) -> tuple[Person, str]:
    role = rng.choices(("social_worker", "volunteer", "resident_activist"), (10, 70, 20))[0]
    life = _life(rng, role)
    checked_share = {"social_worker": 0.95, "resident_activist": 0.6, "volunteer": 0.4}[role]
    person = Person(
        id=f"p{k + 1}",
        role=role,
        skills=_skills(rng, role, life),
        languages=_languages(rng, life),
        # Few people have no location or no travel limit: they are eligible city-wide.
        location=None if rng.random() < 0.01 else _offset(rng, community.center, 0.8),
        max_travel_km=None if rng.random() < 0.01 else rng.choice((2, 3, 3, 5, 5, 8)),
        max_minutes=rng.choice((240, 360, 480, 480, 600, None)),
        max_shifts_per_day=rng.choice((1, 1, 2, 2, None)),
        availability=_availability(rng, week, life),
        background_checked=rng.random() < checked_share,
        points=min(2_000, int(rng.lognormvariate(5, 1))),
        recent_minutes=rng.choice((0, 0, 60, 120, 180, 240, 360, 480)),
        preferred_kinds=tuple(rng.sample(SHIFT_KINDS, rng.choice((0, 1, 1, 2)))),
        preferred_organizations=(),
    )
    return person, community.id


# --- shifts ---


def _position(pid: str, role: str, skills: dict[str, int], count: int, min_count: int) -> Position:
    return Position(
        id=pid,
        shift_id=pid.split("/")[0],
        role=role,
        skills=skills,
        count=count,
        min_count=min_count,
    )


def _shift_plan(
    rng: random.Random, kind: str, sid: str
) -> tuple[int, float, float, int, bool, str | None, tuple[Position, ...]]:
    """(day, start hour, hours, priority, background check, language, positions) for a need."""
    if kind == "elderly_visit":
        day, hour = (
            rng.randrange(7) if rng.random() < 0.2 else rng.randrange(5),
            rng.choice((9, 10, 14, 15)),
        )
        positions = (
            _position(f"{sid}/lead", "social_worker", {"counseling": 2}, 1, 1),
            _position(f"{sid}/vol", "volunteer", {"elderly_care": 2}, 2, 2),
        )
        return day, hour, 2, rng.randint(3, 5), True, "yue", positions
    if kind == "tutoring":
        day, hour = rng.choice(((rng.randrange(5), 19), (rng.choice((5, 6)), rng.choice((9, 14)))))
        count = rng.randint(1, 3)
        positions = (_position(f"{sid}/tutor", "any", {"tutoring": 2}, count, 1),)
        return day, hour, 2, rng.randint(2, 4), True, rng.choice(("cmn", None)), positions
    if kind == "legal_desk":
        day, hour = rng.choice(((rng.randrange(5), 9.5), (5, 9.5), (rng.randrange(5), 19)))
        positions = (_position(f"{sid}/counsel", "any", {"legal": 3}, 1, 1),)
        return day, hour, 3, rng.randint(2, 4), False, rng.choice(("yue", "cmn", None)), positions
    if kind == "counseling_desk":
        day, hour = rng.randrange(6), rng.choice((9, 14))
        positions = (_position(f"{sid}/counselor", "social_worker", {"counseling": 3}, 1, 1),)
        return day, hour, 3, rng.randint(3, 5), True, rng.choice(("yue", None)), positions
    if kind == "it_help":
        day, hour = rng.choice(((5, 10), (6, 14), (rng.randrange(5), 18.5)))
        positions = (_position(f"{sid}/helper", "any", {"it_help": 2}, 2, 1),)
        return day, hour, 2, rng.randint(1, 3), False, None, positions
    # community event: many volunteers, a resident activist to organize, maybe first aid
    day, hour = (
        (rng.choice((5, 6)) if rng.random() < 0.8 else rng.randrange(5)),
        rng.choice((9, 13.5, 18.5)),
    )
    count = rng.randint(10, 30)
    positions = [
        _position(f"{sid}/org", "resident_activist", {"event_support": 2}, rng.randint(1, 2), 1),
        _position(f"{sid}/vol", "any", {}, count, max(1, math.ceil(0.4 * count))),
    ]
    if rng.random() < 0.5:
        positions.append(_position(f"{sid}/aid", "any", {"first_aid": 2}, 1, 1))
    hours = rng.choice((3, 3.5, 4))
    return day, hour, hours, rng.randint(1, 3), False, None, tuple(positions)


def _shift(
    rng: random.Random,
    k: int,
    week: datetime,
    community: _Community,
    elders: list[tuple[str, Location]],
    organizations: int,
) -> Shift:
    kind = rng.choices(KINDS, KIND_WEIGHTS)[0]
    sid = f"s{k + 1}"
    day, hour, hours, priority, check, language, positions = _shift_plan(rng, kind, sid)
    start = _at(week, day, hour)
    if kind == "elderly_visit":
        # Recurring visits: the same elder (request, home) comes back: continuity matters.
        if elders and rng.random() < 0.5:
            request_id, location = rng.choice(elders)
        else:
            request_id, location = f"r{k + 1}", _offset(rng, community.center, 0.5)
            elders.append((request_id, location))
    else:
        request_id = f"r{k + 1}"
        # Only some tutoring happens online (no location, so no distance rule).
        online = kind == "tutoring" and rng.random() < 0.05
        location = None if online else _offset(rng, community.center, 0.3)
    return Shift(
        id=sid,
        request_id=request_id,
        organization_id=f"o{rng.randint(1, organizations)}",
        kind=kind if kind != "community_event" else rng.choice(EVENT_NAMES),
        start=start,
        end=start + timedelta(minutes=round(hours * 60)),
        location=location,
        priority=priority,
        requires_background_check=check,
        language=language,
        positions=positions,
    )


# --- pairs ---


def _eligible(
    person: Person, shift: Shift, position: Position, forbidden: set[tuple[str, str]]
) -> bool:
    return (
        passes_role(person, position)
        and passes_skills(person, position)
        and passes_availability(person, shift)
        and passes_background_check(person, shift)
        and passes_language(person, shift)
        and passes_distance(person, shift)
        and (person.id, shift.id) not in forbidden
    )


def _history(
    rng: random.Random,
    shifts: Sequence[Shift],
    by_community: dict[str, list[Person]],
    shift_community: dict[str, str],
) -> tuple[History, ...]:
    """Past visits to the same elders by local people (continuity of care)."""
    out: dict[tuple[str, str], History] = {}
    for shift in shifts:
        if shift.kind != "elderly_visit" or rng.random() < 0.4:
            continue
        local = by_community[shift_community[shift.id]]
        for person in rng.sample(local, min(len(local), rng.randint(1, 3))):
            if person.role in ("social_worker", "volunteer"):
                key = (person.id, shift.request_id)
                out.setdefault(key, History(person.id, shift.request_id, rng.randint(1, 12)))
    return tuple(out.values())


def _forbidden(
    rng: random.Random,
    shifts: Sequence[Shift],
    by_community: dict[str, list[Person]],
    shift_community: dict[str, str],
) -> tuple[PersonShift, ...]:
    """A few declined or blocked pairs, among people who live nearby."""
    out: dict[tuple[str, str], PersonShift] = {}
    for shift in shifts:
        if rng.random() < 0.1:
            local = by_community[shift_community[shift.id]]
            person = rng.choice(local)
            out.setdefault((person.id, shift.id), PersonShift(person.id, shift.id))
    return tuple(out.values())


def _fixed(
    rng: random.Random,
    shifts: Sequence[Shift],
    by_community: dict[str, list[Person]],
    shift_community: dict[str, str],
    forbidden: set[tuple[str, str]],
) -> tuple[PersonPosition, ...]:
    """Confirmed assignments that surely fit together: single-seat-minimum positions, one per
    person, each person eligible and within their own limits."""
    out: list[PersonPosition] = []
    used: set[str] = set()
    for shift in shifts:
        if rng.random() >= 0.03:
            continue
        options = [q for q in shift.positions if q.min_count == 1]
        if not options:
            continue
        position = rng.choice(options)
        local = by_community[shift_community[shift.id]]
        for person in rng.sample(local, min(len(local), 60)):
            if person.id in used or not _eligible(person, shift, position, forbidden):
                continue
            if person.max_minutes is not None and person.max_minutes < shift.minutes:
                continue
            used.add(person.id)
            out.append(PersonPosition(person.id, position.id))
            break
    return tuple(out)


def generate_custom(
    people: int,
    shifts: int,
    seed: int = 0,
    week_start: date | None = None,
    weights: Weights | None = None,
    travel_buffer_minutes: int = 30,
) -> Problem:
    """A deterministic problem with `people` people and `shifts` shifts in the week starting
    `week_start` (a Monday by default fixed to 2026-11-30); same arguments, same problem."""
    rng = random.Random(seed)
    week = datetime.combine(week_start or DEFAULT_WEEK_START, datetime.min.time(), tzinfo=CST)
    communities = _communities(rng, people)
    by_community: dict[str, list[Person]] = {c.id: [] for c in communities}
    all_people = []
    for k in range(people):
        person, cid = _person(rng, k, week, rng.choice(communities))
        all_people.append(person)
        by_community[cid].append(person)
    for community in communities:  # a community with nobody would break sampling below
        if not by_community[community.id]:
            by_community[community.id] = all_people[:1]
    elders: dict[str, list[tuple[str, Location]]] = {c.id: [] for c in communities}
    organizations = max(2, len(communities) // 2)
    shift_community: dict[str, str] = {}
    all_shifts = []
    for k in range(shifts):
        community = rng.choice(communities)
        shift = _shift(rng, k, week, community, elders[community.id], organizations)
        shift_community[shift.id] = community.id
        all_shifts.append(shift)
    forbidden = _forbidden(rng, all_shifts, by_community, shift_community)
    forbidden_pairs = {(f.person_id, f.shift_id) for f in forbidden}
    return Problem(
        version=1,
        timezone=TIMEZONE,
        horizon_start=week,
        horizon_end=week + timedelta(days=7),
        travel_buffer_minutes=travel_buffer_minutes,
        weights=weights or Weights(),
        people=tuple(all_people),
        shifts=tuple(all_shifts),
        fixed=_fixed(rng, all_shifts, by_community, shift_community, forbidden_pairs),
        forbidden=forbidden,
        history=_history(rng, all_shifts, by_community, shift_community),
    )


def generate_problem(size: str = "S", seed: int = 0, week_start: date | None = None) -> Problem:
    """A problem of a named size: S (300 people, 80 shifts), M (3,000, 800), L (30,000, 8,000)."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(SIZES)}, got {size!r}")
    people, shifts = SIZES[size]
    return generate_custom(people, shifts, seed=seed, week_start=week_start)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: write a generated problem file; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m matching.generate", description=__doc__)
    parser.add_argument("--size", choices=sorted(SIZES), default="S")
    parser.add_argument("--people", type=int, help="custom size (with --shifts)")
    parser.add_argument("--shifts", type=int, help="custom size (with --people)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--week-start", type=date.fromisoformat, help="a date, e.g. 2026-11-30")
    parser.add_argument("-o", "--output", default="-", help="file path, or - for stdout")
    args = parser.parse_args(argv)
    if (args.people is None) != (args.shifts is None):
        parser.error("--people and --shifts go together")
    if args.people is not None:
        problem = generate_custom(args.people, args.shifts, args.seed, args.week_start)
    else:
        problem = generate_problem(args.size, args.seed, args.week_start)
    dump_json(problem, sys.stdout if args.output == "-" else args.output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
