"""The one place that turns database rows into a matching problem (the problem-file contract)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from models import Need, Person, Position, Shift
from services.intervals import Interval

PROBLEM_FORMAT_VERSION = 1


# --- ids in problem files: a letter per kind, then the database id ---


def person_key(person_id: int) -> str:
    return f"p{person_id}"


def shift_key(shift_id: int) -> str:
    return f"s{shift_id}"


def position_key(position_id: int) -> str:
    return f"q{position_id}"


def request_key(need_id: int) -> str:
    return f"r{need_id}"


def organization_key(organization_id: int) -> str:
    return f"o{organization_id}"


def database_id(key: str, prefix: str) -> int:
    """The database id inside a problem-file id (`"p17"` -> 17); ValueError when malformed."""
    if not key.startswith(prefix) or not key[len(prefix) :].isdigit():
        raise ValueError(f"not a {prefix}<id> key: {key!r}")
    return int(key[len(prefix) :])


# --- rows gathered by the loader, mapped here ---


# The person columns a problem needs; loaders select just these (rows with attribute access).
PERSON_COLUMNS = (
    Person.id,
    Person.role,
    Person.languages,
    Person.lat,
    Person.lon,
    Person.max_travel_km,
    Person.max_minutes_per_week,
    Person.max_shifts_per_day,
    Person.background_checked,
    Person.preferred_kinds,
    Person.preferred_organization_ids,
)


@dataclass(slots=True)
class PersonRows:
    """One person (a Person, or a row of PERSON_COLUMNS) and the rows about them."""

    person: Any
    skills: dict[str, int] = field(default_factory=dict)
    availability: list[Interval] = field(default_factory=list)
    points: int = 0
    recent_minutes: int = 0
    # Without consent to use a precise location, matching sees it on a ~1 km grid.
    precise_location: bool = False


@dataclass(slots=True)
class ShiftRows:
    """One shift, its need, and its positions with their skill minimums by code."""

    shift: Shift
    need: Need
    positions: list[tuple[Position, dict[str, int]]] = field(default_factory=list)


def _time(moment: datetime, tz: ZoneInfo) -> str:
    return (moment if moment.tzinfo is tz else moment.astimezone(tz)).isoformat()


COARSE_DECIMALS = 2  # 0.01 degree: about 1.1 km north-south, 1 km east-west in Guangzhou


def _location(
    lat: float | None, lon: float | None, *, precise: bool = True
) -> dict[str, float] | None:
    if lat is None or lon is None:
        return None
    if not precise:
        return {
            "lat": round(float(lat), COARSE_DECIMALS),
            "lon": round(float(lon), COARSE_DECIMALS),
        }
    return {"lat": float(lat), "lon": float(lon)}


def person_record(rows: PersonRows, *, tz: ZoneInfo) -> dict:
    """A person of the problem file."""
    person = rows.person
    return {
        "id": person_key(person.id),
        "role": person.role,
        "skills": dict(sorted(rows.skills.items())),
        "languages": [code for code in (person.languages or []) if code],
        "location": _location(person.lat, person.lon, precise=rows.precise_location),
        "max_travel_km": person.max_travel_km,
        "max_minutes": person.max_minutes_per_week,
        "max_shifts_per_day": person.max_shifts_per_day,
        "availability": [[_time(a, tz), _time(b, tz)] for a, b in rows.availability],
        "background_checked": bool(person.background_checked),
        "points": rows.points,
        "recent_minutes": rows.recent_minutes,
        "preferences": {
            "kinds": list(person.preferred_kinds or []),
            "organizations": [organization_key(i) for i in person.preferred_organization_ids or []],
        },
    }


def shift_record(rows: ShiftRows, *, tz: ZoneInfo) -> dict:
    """A shift of the problem file; its fields come from the need, its positions from the rows."""
    shift, need = rows.shift, rows.need
    return {
        "id": shift_key(shift.id),
        "request_id": request_key(need.id),
        "organization_id": organization_key(need.organization_id),
        "kind": need.kind,
        "start": _time(shift.starts_at, tz),
        "end": _time(shift.ends_at, tz),
        "location": _location(need.lat, need.lon),
        "priority": need.priority,
        "requires_background_check": bool(need.requires_background_check),
        "language": need.language or None,
        "positions": [
            {
                "id": position_key(position.id),
                "role": position.role,
                "skills": dict(sorted(skills.items())),
                "count": position.count,
                "min_count": position.min_count,
            }
            for position, skills in rows.positions
        ],
    }


def build_problem(
    *,
    timezone: str,
    start: datetime,
    end: datetime,
    people: Sequence[PersonRows],
    shifts: Sequence[ShiftRows],
    fixed: Iterable[tuple[int, int]],
    forbidden: Iterable[tuple[int, int]],
    history: Mapping[tuple[int, int], int],
    travel_buffer_minutes: int = 30,
) -> dict:
    """The problem file (a JSON-ready dict) from gathered rows.

    `fixed` holds (person id, position id) pairs, `forbidden` (person id, shift id) pairs and
    `history` maps (person id, need id) to a count. Pairs naming people or shifts outside the
    problem, and shifts without positions (nothing to fill), are left out so the file loads.
    """
    tz = ZoneInfo(timezone)
    shift_list = [s for s in shifts if s.positions]
    person_ids = {p.person.id for p in people}
    shift_ids = {s.shift.id for s in shift_list}
    position_ids = {pos.id for s in shift_list for pos, _ in s.positions}
    need_ids = {s.need.id for s in shift_list}
    return {
        "version": PROBLEM_FORMAT_VERSION,
        "timezone": timezone,
        "horizon": {"start": _time(start, tz), "end": _time(end, tz)},
        "travel_buffer_minutes": travel_buffer_minutes,
        "people": [person_record(p, tz=tz) for p in people],
        "shifts": [shift_record(s, tz=tz) for s in shift_list],
        "fixed": [
            {"person_id": person_key(p), "position_id": position_key(q)}
            for p, q in sorted(set(fixed))
            if p in person_ids and q in position_ids
        ],
        "forbidden": [
            {"person_id": person_key(p), "shift_id": shift_key(s)}
            for p, s in sorted(set(forbidden))
            if p in person_ids and s in shift_ids
        ],
        "history": [
            {"person_id": person_key(p), "request_id": request_key(n), "count": count}
            for (p, n), count in sorted(history.items())
            if p in person_ids and n in need_ids and count > 0
        ],
    }
