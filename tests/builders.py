"""Plain builders for matching dataclasses: small valid defaults, override what a test is about."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

from matching.domain import (
    Assignment,
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

CST = timezone(timedelta(hours=8))  # Asia/Shanghai has no DST: a fixed offset is exact
WEEK_START = datetime(2026, 11, 30, tzinfo=CST)  # a Monday
HERE = Location(lat=23.1291, lon=113.2644)


def at(day: int = 0, hour: int = 0, minute: int = 0) -> datetime:
    """A +08:00 time `day` days after Monday 2026-11-30 at hour:minute."""
    return WEEK_START + timedelta(days=day, hours=hour, minutes=minute)


def whole_week() -> tuple[tuple[datetime, datetime], ...]:
    """One availability interval covering the default week."""
    return ((WEEK_START, WEEK_START + timedelta(days=7)),)


def make_person(id: str = "p1", **overrides: Any) -> Person:
    """A volunteer at HERE, available all week, background checked, speaking yue and cmn."""
    values: dict[str, Any] = {
        "role": "volunteer",
        "skills": {},
        "languages": ("yue", "cmn"),
        "location": HERE,
        "max_travel_km": None,
        "max_minutes": None,
        "max_shifts_per_day": None,
        "availability": whole_week(),
        "background_checked": True,
    }
    values.update(overrides)
    return Person(id=id, **values)


def make_position(id: str = "s1/vol", shift_id: str = "s1", **overrides: Any) -> Position:
    """A single-seat position open to any role, with no skills."""
    values: dict[str, Any] = {"role": "any", "skills": {}, "count": 1, "min_count": 1}
    values.update(overrides)
    return Position(id=id, shift_id=shift_id, **values)


def make_shift(
    id: str = "s1",
    start: datetime | None = None,
    end: datetime | None = None,
    positions: tuple[Position, ...] | None = None,
    **overrides: Any,
) -> Shift:
    """A two-hour shift at HERE on Monday 14:00 with one default position (ids `<id>/vol`)."""
    start = start or at(0, 14)
    end = end or start + timedelta(hours=2)
    if positions is None:
        positions = (make_position(f"{id}/vol", id),)
    positions = tuple(replace(q, shift_id=id) for q in positions)
    values: dict[str, Any] = {
        "request_id": f"r-{id}",
        "organization_id": "o1",
        "kind": "elderly_visit",
        "location": HERE,
        "priority": 3,
        "requires_background_check": False,
        "language": None,
    }
    values.update(overrides)
    return Shift(id=id, start=start, end=end, positions=positions, **values)


def make_problem(
    people: tuple[Person, ...] | list[Person] = (),
    shifts: tuple[Shift, ...] | list[Shift] = (),
    *,
    fixed: tuple[tuple[str, str], ...] = (),
    forbidden: tuple[tuple[str, str], ...] = (),
    history: tuple[tuple[str, str, int], ...] = (),
    weights: Weights | None = None,
    **overrides: Any,
) -> Problem:
    """A one-week Asia/Shanghai problem; pairs are given as plain tuples of ids."""
    values: dict[str, Any] = {
        "version": 1,
        "timezone": "Asia/Shanghai",
        "horizon_start": WEEK_START,
        "horizon_end": WEEK_START + timedelta(days=7),
        "travel_buffer_minutes": 30,
    }
    values.update(overrides)
    return Problem(
        weights=weights or Weights(),
        people=tuple(people),
        shifts=tuple(shifts),
        fixed=tuple(PersonPosition(p, q) for p, q in fixed),
        forbidden=tuple(PersonShift(p, s) for p, s in forbidden),
        history=tuple(History(p, r, c) for p, r, c in history),
        **values,
    )


def assign(person_id: str, position_id: str, shift_id: str | None = None) -> Assignment:
    """An assignment; the shift id defaults to the part of the position id before '/'."""
    return Assignment(person_id, position_id, shift_id or position_id.split("/")[0])


def minimal_problem_dict() -> dict[str, Any]:
    """A valid problem file as a dict: one person, one shift with one position."""
    return {
        "version": 1,
        "timezone": "Asia/Shanghai",
        "horizon": {"start": "2026-11-30T00:00:00+08:00", "end": "2026-12-07T00:00:00+08:00"},
        "travel_buffer_minutes": 30,
        "people": [
            {
                "id": "p1",
                "role": "volunteer",
                "skills": {"elderly_care": 3},
                "languages": ["yue"],
                "location": {"lat": 23.1291, "lon": 113.2644},
                "max_travel_km": 5,
                "availability": [["2026-11-30T09:00:00+08:00", "2026-11-30T17:00:00+08:00"]],
                "background_checked": True,
            }
        ],
        "shifts": [
            {
                "id": "s1",
                "request_id": "r1",
                "kind": "elderly_visit",
                "start": "2026-11-30T14:00:00+08:00",
                "end": "2026-11-30T16:00:00+08:00",
                "location": {"lat": 23.131, "lon": 113.27},
                "priority": 4,
                "positions": [
                    {"id": "s1/vol", "role": "volunteer", "skills": {"elderly_care": 2}, "count": 2}
                ],
            }
        ],
    }
