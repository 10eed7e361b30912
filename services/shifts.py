"""Shifts: dated occurrences of needs, one-off or generated from a recurrence."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from models import Assignment, Need, Position, PositionSkill, Shift
from models.assignment import ACTIVE_STATUSES, BOOKED_STATUSES
from models.db import utcnow
from services.access import need_condition
from services.assignments import (
    has_service_records,
    is_double_booking,
    overlap_conflict,
    overlapping_assignment,
)
from services.errors import Conflict, Invalid, NotFound
from services.permissions import Reach
from services.positions import (
    annotate_filled,
    build_position,
    check_skill_codes,
    copy_position,
    skill_ids_by_code,
)
from services.recurrence import expand_rule
from services.versions import check_version

MAX_HORIZON_DAYS = 62
_GENERATE_ATTEMPTS = 3


def _with_positions():
    return (
        selectinload(Shift.positions)
        .selectinload(Position.requirements)
        .selectinload(PositionSkill.skill)
    )


def annotate_shifts(*, session: Session, shifts: Iterable[Shift]) -> None:
    """Set `filled` on every position of the shifts, for output."""
    annotate_filled(session=session, positions=[p for s in shifts for p in s.positions])


def _query(filters: Mapping[str, Any], need_id: int | None) -> Select[tuple[Shift]]:
    stmt = select(Shift).join(Need, Shift.need_id == Need.id)
    if need_id is not None:
        stmt = stmt.where(Shift.need_id == need_id)
    if filters.get("starts_from") is not None:
        stmt = stmt.where(Shift.starts_at >= filters["starts_from"])
    if filters.get("starts_to") is not None:
        stmt = stmt.where(Shift.starts_at < filters["starts_to"])
    if filters.get("need_kind") is not None:
        stmt = stmt.where(Need.kind == filters["need_kind"])
    if filters.get("community_id") is not None:
        stmt = stmt.where(Need.community_id == filters["community_id"])
    if filters.get("organization_id") is not None:
        stmt = stmt.where(Need.organization_id == filters["organization_id"])
    if filters.get("cancelled") is not None:
        stmt = stmt.where(Shift.cancelled.is_(filters["cancelled"]))
    return stmt


def list_shifts(
    *,
    session: Session,
    filters: Mapping[str, Any],
    need_id: int | None = None,
    offset: int = 0,
    limit: int | None = None,
    reach: Reach | None = None,
) -> tuple[list[Shift], int]:
    """One page of shifts (of one need, if given) by start time, and the total."""
    if need_id is not None and session.get(Need, need_id) is None:
        raise NotFound(f"need {need_id} not found")
    stmt = _query(filters, need_id).where(need_condition(reach))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    if offset >= total:
        # Past the end (or a page number too large for the database's OFFSET): nothing.
        return [], total
    page = stmt.options(_with_positions()).order_by(Shift.starts_at, Shift.id)
    shifts = list(session.scalars(page.offset(offset).limit(limit)))
    annotate_shifts(session=session, shifts=shifts)
    return shifts, total


def _get_shift(session: Session, shift_id: int) -> Shift:
    shift = session.get(Shift, shift_id)
    if shift is None:
        raise NotFound(f"shift {shift_id} not found")
    return shift


def get_shift(*, session: Session, shift_id: int) -> Shift:
    shift = _get_shift(session, shift_id)
    annotate_shifts(session=session, shifts=[shift])
    return shift


def _starts_taken(session: Session, need_id: int, starts_at: datetime, shift_id: int | None = None):
    stmt = select(Shift.id).where(Shift.need_id == need_id, Shift.starts_at == starts_at)
    if shift_id is not None:
        stmt = stmt.where(Shift.id != shift_id)
    return session.scalar(stmt) is not None


def add_shift(
    *,
    session: Session,
    need: Need,
    starts_at: datetime,
    ends_at: datetime,
    positions: Iterable[Position],
    generated: bool = False,
) -> Shift:
    """Add (flush, not commit) a shift with ready-made positions."""
    shift = Shift(need_id=need.id, starts_at=starts_at, ends_at=ends_at, generated=generated)
    shift.positions = list(positions)
    session.add(shift)
    return shift


def create_shift(*, session: Session, need_id: int, data: Mapping[str, Any]) -> Shift:
    """A one-off shift of a need; without `positions`, a recurring need's template is copied."""
    need = session.get(Need, need_id)
    if need is None:
        raise NotFound(f"need {need_id} not found")
    specs = data.get("positions")
    known = skill_ids_by_code(
        session=session, codes=[c for spec in specs or () for c in spec.get("skills") or {}]
    )
    errors = check_skill_codes(
        ((f"positions[{i}].", spec) for i, spec in enumerate(specs or ())), known
    )
    if errors:
        raise Invalid("unknown skills", errors=errors)
    if _starts_taken(session, need.id, data["starts_at"]):
        raise Conflict(
            f"need {need_id} already has a shift starting at {data['starts_at'].isoformat()}",
            errors={"starts_at": ["another shift of this need starts at this time"]},
        )
    if specs is None:
        positions = [copy_position(p) for p in need.template_positions]
    else:
        positions = [build_position(need_id=need.id, spec=s, skill_ids=known) for s in specs]
    shift = add_shift(
        session=session,
        need=need,
        starts_at=data["starts_at"],
        ends_at=data["ends_at"],
        positions=positions,
    )
    session.commit()
    annotate_shifts(session=session, shifts=[shift])
    return shift


def update_shift(
    *,
    session: Session,
    shift_id: int,
    changes: Mapping[str, Any],
    expected_version: int | None = None,
) -> Shift:
    """Move or cancel a shift; a move must not double-book the people already on it.

    A move carries the shift's seats along (their denormalised times) in the same
    transaction; cancelling cancels its open seats (completed ones are service records), and
    cancelling again later does not revive them.

    A generated shift keeps its start: generation knows an occurrence by its start, so a
    moved one would be generated again. Cancel it and add a one-off shift instead.
    """
    shift = _get_shift(session, shift_id)
    check_version(shift, expected_version, what="shift")
    if shift.generated and changes.get("starts_at", shift.starts_at) != shift.starts_at:
        raise Conflict(
            f"shift {shift_id} was generated from its need's recurrence and keeps its start",
            errors={"starts_at": ["cancel this occurrence and add a one-off shift instead"]},
        )
    starts_at = changes.get("starts_at", shift.starts_at)
    ends_at = changes.get("ends_at", shift.ends_at)
    if ends_at <= starts_at:
        field = "ends_at" if "ends_at" in changes else "starts_at"
        raise Invalid(
            "the shift would end before it starts",
            errors={field: [f"ends_at ({ends_at.isoformat()}) must be after starts_at"]},
        )
    if ends_at - starts_at > timedelta(hours=24):
        raise Invalid("shift too long", errors={"ends_at": ["a shift lasts at most 24 hours"]})
    if "starts_at" in changes and _starts_taken(session, shift.need_id, starts_at, shift.id):
        raise Conflict(
            f"need {shift.need_id} already has a shift starting at {starts_at.isoformat()}",
            errors={"starts_at": ["another shift of this need starts at this time"]},
        )
    if changes.get("cancelled") and not shift.cancelled:
        _cancel_seats(session, shift.id)
    moved = starts_at != shift.starts_at or ends_at != shift.ends_at
    if moved:
        _check_move(session, shift.id, starts_at, ends_at)
    for name in ("starts_at", "ends_at", "cancelled"):
        if name in changes:
            setattr(shift, name, changes[name])
    if moved:
        session.execute(
            update(Assignment)
            .where(Assignment.shift_id == shift.id)
            .values(starts_at=starts_at, ends_at=ends_at)
        )
    try:
        session.commit()
    except IntegrityError as error:
        # A concurrent booking of someone on this shift won between our check and the move.
        session.rollback()
        if moved and is_double_booking(error):
            _check_move(session, shift_id, starts_at, ends_at, statuses=BOOKED_STATUSES)
            raise Conflict(
                f"moving shift {shift_id} would double-book someone on it (a concurrent change)",
                errors={"starts_at": ["overlaps another booked assignment of someone on it"]},
            ) from None
        raise
    annotate_shifts(session=session, shifts=[shift])
    return shift


# Seats that a cancelled shift takes away; completed ones are records of hours served.
CANCELLED_WITH_SHIFT = ("proposed", "offered", "confirmed")


def _cancel_seats(session: Session, shift_id: int) -> None:
    session.execute(
        update(Assignment)
        .where(Assignment.shift_id == shift_id, Assignment.status.in_(CANCELLED_WITH_SHIFT))
        .values(status="cancelled", updated_at=utcnow())
    )


def _check_move(
    session: Session,
    shift_id: int,
    starts_at: datetime,
    ends_at: datetime,
    statuses: tuple[str, ...] = ACTIVE_STATUSES,
) -> None:
    """Conflict naming the first person on the shift whom the new times double-book."""
    people = session.scalars(
        select(Assignment.person_id)
        .where(Assignment.shift_id == shift_id, Assignment.status.in_(statuses))
        .order_by(Assignment.person_id)
    ).all()
    for person_id in people:
        clash = overlapping_assignment(
            session=session,
            person_id=person_id,
            starts_at=starts_at,
            ends_at=ends_at,
            shift_id=shift_id,
            statuses=statuses,
        )
        if clash is not None:
            raise overlap_conflict(person_id, clash, shift_id)


def delete_shift(*, session: Session, shift_id: int) -> None:
    """Remove a shift with its positions and assignments, unless someone served on it.

    A generated shift is cancelled rather than deleted: a deleted occurrence would be
    generated again by the next horizon.
    """
    shift = _get_shift(session, shift_id)
    if shift.generated:
        raise Conflict(
            f"shift {shift_id} was generated from its need's recurrence; cancel it instead",
            errors={"shift_id": ["generated shifts are cancelled, not deleted"]},
        )
    if has_service_records(session=session, criterion=Shift.id == shift_id):
        raise Conflict(
            f"shift {shift_id} has completed assignments, kept as service records; cancel it",
            errors={"shift_id": ["has completed assignments"]},
        )
    session.delete(shift)
    session.commit()


def check_horizon(start: datetime, end: datetime) -> None:
    """Aware, ordered and at most MAX_HORIZON_DAYS long; Invalid names `start`/`end`."""
    errors = {
        name: ["give a time with a UTC offset"]
        for name, value in (("start", start), ("end", end))
        if value.tzinfo is None
    }
    if errors:
        raise Invalid("naive horizon", errors=errors)
    if end <= start:
        raise Invalid("empty horizon", errors={"end": ["end must be after start"]})
    if end - start > timedelta(days=MAX_HORIZON_DAYS):
        raise Invalid(
            "horizon too long", errors={"end": [f"a horizon spans at most {MAX_HORIZON_DAYS} days"]}
        )


def _generate(
    session: Session, need: Need, start: datetime, end: datetime, timezone: str
) -> list[Shift]:
    # Flushes only: the public callers commit once for the whole horizon.
    assert need.recurrence_rule and need.recurrence_start and need.recurrence_minutes
    try:
        occurrences = expand_rule(
            need.recurrence_rule,
            dtstart=need.recurrence_start,
            minutes=need.recurrence_minutes,
            timezone=timezone,
            start=start,
            end=end,
        )
    except (ValueError, IndexError, OverflowError) as error:
        # A stored rule that dateutil cannot expand is the need's fault, not the server's.
        raise Invalid(
            f"need {need.id}: its recurrence cannot be expanded",
            errors={"recurrence_rule": [f"need {need.id}: {error}"]},
        ) from None
    if not occurrences:
        return []
    first, last = occurrences[0][0], occurrences[-1][0]
    for attempt in range(_GENERATE_ATTEMPTS):
        existing = {
            s.starts_at.astimezone(UTC): s
            for s in session.scalars(
                select(Shift).where(
                    Shift.need_id == need.id, Shift.starts_at >= first, Shift.starts_at <= last
                )
            )
        }
        template = need.template_positions
        try:
            # A savepoint: a concurrent generator may insert the same start first.
            with session.begin_nested():
                result = []
                for begin, finish in occurrences:
                    shift = existing.get(begin.astimezone(UTC))
                    if shift is None:
                        shift = add_shift(
                            session=session,
                            need=need,
                            starts_at=begin,
                            ends_at=finish,
                            positions=[copy_position(p) for p in template],
                            generated=True,
                        )
                    result.append(shift)
            return result
        except IntegrityError:
            if attempt == _GENERATE_ATTEMPTS - 1:
                raise Conflict(
                    f"shifts of need {need.id} are being generated by another request; retry",
                    errors={"need_id": ["concurrent generation"]},
                ) from None
    raise AssertionError("unreachable")


def generate_shifts(
    *, session: Session, need: Need, start: datetime, end: datetime, timezone: str
) -> list[Shift]:
    """The recurring need's shifts starting in [start, end), creating the missing ones.

    Idempotent: shifts that exist (even cancelled or edited ones) are kept and returned,
    never duplicated; new shifts get a copy of the template positions and their skills.
    Commits.
    """
    check_horizon(start, end)
    if need.recurrence_rule is None:
        raise Conflict(
            f"need {need.id} is one-off: it has no recurrence to generate from",
            errors={"need_id": ["not a recurring need"]},
        )
    if not need.active:
        raise Conflict(f"need {need.id} is inactive", errors={"need_id": ["inactive need"]})
    shifts = _generate(session, need, start, end, timezone)
    session.commit()
    annotate_shifts(session=session, shifts=shifts)
    return shifts


def generate_need_shifts(
    *, session: Session, need_id: int, start: datetime, end: datetime, timezone: str
) -> list[Shift]:
    """`generate_shifts` for the need with this id (NotFound if there is none). Commits."""
    need = session.get(Need, need_id)
    if need is None:
        raise NotFound(f"need {need_id} not found")
    return generate_shifts(session=session, need=need, start=start, end=end, timezone=timezone)


def generate_shifts_for_horizon(
    *,
    session: Session,
    start: datetime,
    end: datetime,
    timezone: str,
    community_id: int | None = None,
    commit: bool = True,
) -> list[Shift]:
    """`generate_shifts` for every active recurring need (of one community, if given).

    Commits, unless `commit` is False: then the shifts are only flushed, so that a caller's
    failure (a matching run that does not solve) rolls them back with everything else.
    """
    check_horizon(start, end)
    stmt = select(Need).where(Need.active.is_(True), Need.recurrence_rule.is_not(None))
    if community_id is not None:
        stmt = stmt.where(Need.community_id == community_id)
    shifts: list[Shift] = []
    for need in session.scalars(stmt.order_by(Need.id)).all():
        shifts.extend(_generate(session, need, start, end, timezone))
    if commit:
        session.commit()
    else:
        session.flush()
    return shifts
