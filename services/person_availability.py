"""A person's weekly windows and dated exceptions, and their expansion into intervals."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session

from models import AvailabilityException, AvailabilityWindow, Person
from services.availability import DatedException, WeeklyWindow, expand_availability
from services.errors import Invalid, NotFound
from services.intervals import Interval
from services.queries import lookup

DEFAULT_HORIZON = timedelta(days=7)
MAX_HORIZON = timedelta(days=62)


def _person(session: Session, person_id: int) -> Person:
    person = lookup(session, Person, person_id)
    if person is None:
        raise NotFound(f"person {person_id} not found")
    return person


def weekly_window(window: AvailabilityWindow) -> WeeklyWindow:
    return WeeklyWindow(
        weekday=window.weekday,
        start=window.start_time,
        end=window.end_time,
        valid_from=window.valid_from,
        valid_until=window.valid_until,
    )


def dated_exception(exception: AvailabilityException) -> DatedException:
    return DatedException(
        kind=exception.kind, starts_at=exception.starts_at, ends_at=exception.ends_at
    )


# --- weekly windows -----------------------------------------------------------------------


def list_windows(*, session: Session, person_id: int) -> Sequence[AvailabilityWindow]:
    _person(session, person_id)
    return session.scalars(
        select(AvailabilityWindow)
        .where(AvailabilityWindow.person_id == person_id)
        .order_by(AvailabilityWindow.weekday, AvailabilityWindow.start_time, AvailabilityWindow.id)
    ).all()


def get_window(*, session: Session, person_id: int, window_id: int) -> AvailabilityWindow:
    window = lookup(session, AvailabilityWindow, window_id)
    if window is None or window.person_id != person_id:
        _person(session, person_id)
        raise NotFound(f"person {person_id} has no availability window {window_id}")
    return window


def _check_valid_range(valid_from: date | None, valid_until: date | None) -> None:
    if valid_from is not None and valid_until is not None and valid_until < valid_from:
        raise Invalid(
            "window validity ends before it starts",
            errors={"valid_until": ["must be on or after valid_from"]},
        )


def create_window(*, session: Session, person_id: int, data: dict[str, Any]) -> AvailabilityWindow:
    person = _person(session, person_id)
    _check_valid_range(data.get("valid_from"), data.get("valid_until"))
    window = AvailabilityWindow(person=person, **data)
    session.add(window)
    session.commit()
    return window


def update_window(
    *, session: Session, person_id: int, window_id: int, data: dict[str, Any]
) -> AvailabilityWindow:
    window = get_window(session=session, person_id=person_id, window_id=window_id)
    _check_valid_range(
        data.get("valid_from", window.valid_from), data.get("valid_until", window.valid_until)
    )
    for name, value in data.items():
        setattr(window, name, value)
    session.commit()
    return window


def delete_window(*, session: Session, person_id: int, window_id: int) -> None:
    session.delete(get_window(session=session, person_id=person_id, window_id=window_id))
    session.commit()


# --- dated exceptions ---------------------------------------------------------------------


def list_exceptions(*, session: Session, person_id: int) -> Sequence[AvailabilityException]:
    _person(session, person_id)
    return session.scalars(
        select(AvailabilityException)
        .where(AvailabilityException.person_id == person_id)
        .order_by(AvailabilityException.starts_at, AvailabilityException.id)
    ).all()


def get_exception(*, session: Session, person_id: int, exception_id: int) -> AvailabilityException:
    exception = lookup(session, AvailabilityException, exception_id)
    if exception is None or exception.person_id != person_id:
        _person(session, person_id)
        raise NotFound(f"person {person_id} has no availability exception {exception_id}")
    return exception


def _check_order(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise Invalid(
            "exception ends before it starts", errors={"ends_at": ["must be after starts_at"]}
        )


def create_exception(
    *, session: Session, person_id: int, data: dict[str, Any]
) -> AvailabilityException:
    person = _person(session, person_id)
    _check_order(data["starts_at"], data["ends_at"])
    exception = AvailabilityException(person=person, **data)
    session.add(exception)
    session.commit()
    return exception


def update_exception(
    *, session: Session, person_id: int, exception_id: int, data: dict[str, Any]
) -> AvailabilityException:
    exception = get_exception(session=session, person_id=person_id, exception_id=exception_id)
    _check_order(data.get("starts_at", exception.starts_at), data.get("ends_at", exception.ends_at))
    for name, value in data.items():
        setattr(exception, name, value)
    session.commit()
    return exception


def delete_exception(*, session: Session, person_id: int, exception_id: int) -> None:
    session.delete(get_exception(session=session, person_id=person_id, exception_id=exception_id))
    session.commit()


# --- expansion ----------------------------------------------------------------------------


def resolve_horizon(
    start: datetime | None, end: datetime | None, *, now: datetime | None = None
) -> tuple[datetime, datetime]:
    """The horizon asked for: by default the coming 7 days; at most 62 days long."""
    if start is None:
        start = (now or datetime.now(UTC)).replace(microsecond=0)
        if end is not None and end <= start:
            raise Invalid(
                "empty horizon", errors={"end": ["must be in the future when start is omitted"]}
            )
    if end is None:
        end = start + DEFAULT_HORIZON
    if end <= start:
        raise Invalid("empty horizon", errors={"end": ["must be after start"]})
    if end - start > MAX_HORIZON:
        raise Invalid(
            "horizon too long",
            errors={"end": [f"the horizon may span at most {MAX_HORIZON.days} days"]},
        )
    return start, end


def expanded_availability(
    *,
    session: Session,
    person_id: int,
    start: datetime | None,
    end: datetime | None,
    timezone: str,
) -> dict[str, Any]:
    """The person's concrete free intervals in the horizon, in `timezone`."""
    person = _person(session, person_id)
    start, end = resolve_horizon(start, end)
    tz = ZoneInfo(timezone)
    intervals = expand_availability(
        [weekly_window(w) for w in person.windows],
        [dated_exception(e) for e in person.exceptions],
        start=start,
        end=end,
        timezone=timezone,
    )
    return {
        "person_id": person.id,
        "timezone": timezone,
        "start": start.astimezone(tz),
        "end": end.astimezone(tz),
        "intervals": [{"start": s, "end": e} for s, e in intervals],
    }


def may_cover(person_id: Any, start: datetime, timezone: str) -> ColumnElement[bool]:
    """SQL prefilter: the person has something that could cover the instant `start`.

    Whoever is free for the whole of [start, end) is free at `start`, and a weekly window
    lasts at most a day, so it must begin on `start`'s local date or the day before; or an
    `available` exception must contain `start`. Necessary, not sufficient: expand to be sure.
    """
    day = start.astimezone(ZoneInfo(timezone)).date()
    previous = day - timedelta(days=1)
    window = exists().where(
        AvailabilityWindow.person_id == person_id,
        AvailabilityWindow.weekday.in_({day.weekday(), previous.weekday()}),
        or_(AvailabilityWindow.valid_from.is_(None), AvailabilityWindow.valid_from <= day),
        or_(AvailabilityWindow.valid_until.is_(None), AvailabilityWindow.valid_until >= previous),
    )
    extra = exists().where(
        AvailabilityException.person_id == person_id,
        AvailabilityException.kind == "available",
        and_(AvailabilityException.starts_at <= start, AvailabilityException.ends_at > start),
    )
    return or_(window, extra)


def free_throughout(
    session: Session, person_ids: Iterable[int], start: datetime, end: datetime, timezone: str
) -> set[int]:
    """The ids among `person_ids` whose expanded availability covers all of [start, end)."""
    ids = list(person_ids)
    windows: dict[int, list[WeeklyWindow]] = {i: [] for i in ids}
    exceptions: dict[int, list[DatedException]] = {i: [] for i in ids}
    # Chunked IN lists stay under SQLite's bound-parameter limit.
    for offset in range(0, len(ids), 500):
        chunk = ids[offset : offset + 500]
        for w in session.scalars(
            select(AvailabilityWindow).where(AvailabilityWindow.person_id.in_(chunk))
        ):
            windows[w.person_id].append(weekly_window(w))
        for e in session.scalars(
            select(AvailabilityException).where(
                AvailabilityException.person_id.in_(chunk),
                AvailabilityException.starts_at < end,
                AvailabilityException.ends_at > start,
            )
        ):
            exceptions[e.person_id].append(dated_exception(e))
    free = set()
    for person_id in ids:
        intervals: list[Interval] = expand_availability(
            windows[person_id], exceptions[person_id], start=start, end=end, timezone=timezone
        )
        if len(intervals) == 1 and intervals[0][0] <= start and intervals[0][1] >= end:
            free.add(person_id)
    return free


def load_rules(
    session: Session, person_ids: Any, *, start: datetime, end: datetime
) -> tuple[dict[int, list[WeeklyWindow]], dict[int, list[DatedException]]]:
    """Weekly windows and the dated exceptions touching [start, end) of many people at once,
    by person id (`person_ids`: ids or a subquery of ids)."""
    windows: dict[int, list[WeeklyWindow]] = defaultdict(list)
    for person_id, *window in session.execute(
        select(
            AvailabilityWindow.person_id,
            AvailabilityWindow.weekday,
            AvailabilityWindow.start_time,
            AvailabilityWindow.end_time,
            AvailabilityWindow.valid_from,
            AvailabilityWindow.valid_until,
        ).where(AvailabilityWindow.person_id.in_(person_ids))
    ):
        windows[person_id].append(WeeklyWindow(*window))
    exceptions: dict[int, list[DatedException]] = defaultdict(list)
    for person_id, kind, starts_at, ends_at in session.execute(
        select(
            AvailabilityException.person_id,
            AvailabilityException.kind,
            AvailabilityException.starts_at,
            AvailabilityException.ends_at,
        ).where(
            AvailabilityException.person_id.in_(person_ids),
            AvailabilityException.starts_at < end,
            AvailabilityException.ends_at > start,
        )
    ):
        exceptions[person_id].append(DatedException(kind, starts_at, ends_at))
    return windows, exceptions
