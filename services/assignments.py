"""Manual assignments: put a person on a position, move them through their statuses."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from models import Assignment, Person, Position, Shift, User
from models.assignment import (
    ACTIVE_STATUSES,
    BOOKED_STATUSES,
    DOUBLE_BOOKING_MESSAGE,
    NO_DOUBLE_BOOKING,
)
from models.db import utcnow
from services import attendance
from services.access import assignment_condition
from services.errors import Conflict, Invalid, NotFound
from services.permissions import Reach

# Who may move an assignment where; declined, cancelled, completed and no_show are final.
TRANSITIONS: dict[str, frozenset[str]] = {
    "proposed": frozenset({"offered", "cancelled"}),
    "offered": frozenset({"confirmed", "declined", "cancelled"}),
    "confirmed": frozenset({"cancelled", "completed", "no_show"}),
    "declined": frozenset(),
    "cancelled": frozenset(),
    "completed": frozenset(),
    "no_show": frozenset(),
}
# The person answered the offer: keep when.
RESPONSE_STATUSES = ("confirmed", "declined")
# Statuses that record attendance, set through services/attendance.py.
OUTCOME_STATUSES = ("completed", "no_show")
ACTIVE_SEAT_INDEX = "uq_assignments_active_person_shift"


# Seats organizations and people see: a proposal stays the coordinators' draft until published.
PUBLISHED_STATUSES = ("offered", "confirmed", "completed")


def filled_counts(
    *,
    session: Session,
    position_ids: Iterable[int],
    statuses: tuple[str, ...] = ACTIVE_STATUSES,
) -> dict[int, int]:
    """Assignments per position in `statuses` (by default every seat that holds capacity)."""
    ids = list(set(position_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(Assignment.position_id, func.count())
        .where(Assignment.position_id.in_(ids), Assignment.status.in_(statuses))
        .group_by(Assignment.position_id)
    )
    return {position_id: count for position_id, count in rows}


def has_service_records(*, session: Session, criterion: ColumnElement[bool]) -> bool:
    """Whether completed assignments match: they are the legal record of hours served."""
    found = session.scalar(
        select(Assignment.id)
        .join(Shift, Assignment.shift_id == Shift.id)
        .join(Position, Assignment.position_id == Position.id)
        .where(Assignment.status == "completed", criterion)
        .limit(1)
    )
    return found is not None


def _query(filters: dict[str, Any]) -> Select[tuple[Assignment]]:
    stmt = select(Assignment).join(Shift, Assignment.shift_id == Shift.id)
    for name in ("person_id", "shift_id", "source", "pinned"):
        if filters.get(name) is not None:
            stmt = stmt.where(getattr(Assignment, name) == filters[name])
    if filters.get("need_id") is not None:
        stmt = stmt.where(Shift.need_id == filters["need_id"])
    if filters.get("status"):
        stmt = stmt.where(Assignment.status.in_(filters["status"]))
    if filters.get("starts_from") is not None:
        stmt = stmt.where(Shift.starts_at >= filters["starts_from"])
    if filters.get("starts_to") is not None:
        stmt = stmt.where(Shift.starts_at < filters["starts_to"])
    return stmt


def list_assignments(
    *,
    session: Session,
    filters: dict[str, Any],
    offset: int = 0,
    limit: int | None = None,
    reach: Reach | None = None,
) -> tuple[list[Assignment], int]:
    """One page of assignments matching `filters` and in `reach`, by shift start; the total."""
    stmt = _query(filters).where(assignment_condition(reach))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    if offset >= total:
        # Past the end (or a page number too large for the database's OFFSET): nothing.
        return [], total
    page = (
        stmt.options(joinedload(Assignment.shift))
        .order_by(Shift.starts_at, Assignment.id)
        .offset(offset)
        .limit(limit)
    )
    return list(session.scalars(page)), total


def get_assignment(*, session: Session, assignment_id: int) -> Assignment:
    assignment = session.get(Assignment, assignment_id)
    if assignment is None:
        raise NotFound(f"assignment {assignment_id} not found")
    return assignment


def _lock(session: Session, model: type, object_id: int):
    # Serialises concurrent bookings of one person or one position on PostgreSQL
    # (a no-op on SQLite, whose BEGIN IMMEDIATE already serialises writers).
    return session.scalar(select(model).where(model.id == object_id).with_for_update())


def _load_references(session: Session, person_id: int, position_id: int) -> tuple[Person, Position]:
    errors: dict[str, list[str]] = {}
    person = _lock(session, Person, person_id)
    if person is None:
        errors["person_id"] = [f"no person with id {person_id}"]
    elif not person.active:
        errors["person_id"] = [f"person {person_id} is inactive"]
    position = _lock(session, Position, position_id)
    if position is None:
        errors["position_id"] = [f"no position with id {position_id}"]
    elif position.shift_id is None:
        errors["position_id"] = [
            f"position {position_id} is a recurring need's template; assign to a shift's position"
        ]
    compatible = person is None or position is None or position.role in ("any", person.role)
    if not errors and not compatible:
        errors["position_id"] = [
            f"position {position_id} needs a {position.role}; person {person_id} is a {person.role}"
        ]
    if errors:
        raise Invalid("the assignment is not valid", errors=errors)
    assert person is not None and position is not None
    return person, position


def _check_same_shift(session: Session, person: Person, shift: Shift) -> None:
    clash = session.scalar(
        select(Assignment).where(
            Assignment.person_id == person.id,
            Assignment.shift_id == shift.id,
            Assignment.status.in_(ACTIVE_STATUSES),
        )
    )
    if clash is not None:
        raise Conflict(
            f"person {person.id} already holds position {clash.position_id} on shift {shift.id} "
            f"(assignment {clash.id}, {clash.status})",
            errors={"person_id": [f"already on shift {shift.id} through assignment {clash.id}"]},
        )


def overlapping_assignment(
    *,
    session: Session,
    person_id: int,
    starts_at: datetime,
    ends_at: datetime,
    shift_id: int,
    statuses: Iterable[str] = ACTIVE_STATUSES,
    exclude_id: int | None = None,
) -> Assignment | None:
    """The person's earliest assignment in `statuses` on another shift overlapping the times.

    Times are half-open, as in the database: a shift ending at 11:00 does not overlap one
    starting at 11:00.
    """
    stmt = select(Assignment).where(
        Assignment.person_id == person_id,
        Assignment.status.in_(tuple(statuses)),
        Assignment.shift_id != shift_id,
        Assignment.starts_at < ends_at,
        Assignment.ends_at > starts_at,
    )
    if exclude_id is not None:
        stmt = stmt.where(Assignment.id != exclude_id)
    return session.scalar(stmt.order_by(Assignment.starts_at, Assignment.id).limit(1))


def overlap_conflict(person_id: int, clash: Assignment, shift_id: int) -> Conflict:
    """A readable 409 naming the conflicting assignment and its times."""
    when = f"{clash.starts_at.isoformat()} to {clash.ends_at.isoformat()}"
    return Conflict(
        f"person {person_id} is already busy from {when} (assignment {clash.id}, "
        f"{clash.status}, on shift {clash.shift_id}), which overlaps shift {shift_id}",
        errors={
            "person_id": [f"overlaps assignment {clash.id} ({when})"],
            "conflicting_assignment_id": [str(clash.id)],
        },
    )


def is_double_booking(error: IntegrityError) -> bool:
    """Whether the database refused a write because it double-books a person."""
    diag = getattr(error.orig, "diag", None)
    if diag is not None and getattr(diag, "constraint_name", None) == NO_DOUBLE_BOOKING:
        return True
    return DOUBLE_BOOKING_MESSAGE in str(error.orig)


def double_booking_conflict(
    *, session: Session, person_id: int, starts_at: datetime, ends_at: datetime, shift_id: int
) -> Conflict:
    """The 409 for a booking the database refused (after the rollback): names the clash
    that won, or says so plainly if it is gone again."""
    clash = overlapping_assignment(
        session=session,
        person_id=person_id,
        starts_at=starts_at,
        ends_at=ends_at,
        shift_id=shift_id,
        statuses=BOOKED_STATUSES,
    )
    if clash is not None:
        return overlap_conflict(person_id, clash, shift_id)
    return Conflict(
        f"person {person_id} was booked at an overlapping time by a concurrent request "
        f"(shift {shift_id}, {starts_at.isoformat()} to {ends_at.isoformat()})",
        errors={"person_id": ["overlaps another booked assignment"]},
    )


def _check_overlap(session: Session, person: Person, shift: Shift) -> None:
    clash = overlapping_assignment(
        session=session,
        person_id=person.id,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        shift_id=shift.id,
    )
    if clash is not None:
        raise overlap_conflict(person.id, clash, shift.id)


def _check_capacity(session: Session, position: Position) -> None:
    filled = filled_counts(session=session, position_ids=[position.id]).get(position.id, 0)
    if filled >= position.count:
        raise Conflict(
            f"position {position.id} is full ({filled} of {position.count})",
            errors={"position_id": [f"full: {filled} of {position.count} seats taken"]},
        )


def _is_active_seat_violation(error: IntegrityError) -> bool:
    diag = getattr(error.orig, "diag", None)
    if diag is not None and getattr(diag, "constraint_name", None) == ACTIVE_SEAT_INDEX:
        return True
    # SQLite names the columns, not the index.
    return "assignments.person_id, assignments.shift_id" in str(error.orig)


def create_assignment(
    *,
    session: Session,
    person_id: int,
    position_id: int,
    status: str = "proposed",
    pinned: bool = False,
) -> Assignment:
    """A manual assignment, after the checks a coordinator expects to be told about."""
    person, position = _load_references(session, person_id, position_id)
    shift = position.shift
    assert shift is not None
    if shift.cancelled:
        raise Conflict(
            f"shift {shift.id} is cancelled", errors={"position_id": ["its shift is cancelled"]}
        )
    _check_same_shift(session, person, shift)
    _check_overlap(session, person, shift)
    _check_capacity(session, position)
    now = utcnow()
    assignment = Assignment(
        person_id=person.id,
        position_id=position.id,
        shift_id=shift.id,
        status=status,
        source="manual",
        pinned=pinned,
        responded_at=now if status in RESPONSE_STATUSES else None,
    )
    session.add(assignment)
    try:
        session.commit()
    except IntegrityError as error:
        # A concurrent request took the seat between our check and the insert.
        session.rollback()
        if _is_active_seat_violation(error):
            raise Conflict(
                f"person {person_id} already holds an active position on shift {shift.id}",
                errors={"person_id": [f"already on shift {shift.id}"]},
            ) from None
        if is_double_booking(error):
            raise double_booking_conflict(
                session=session,
                person_id=person_id,
                starts_at=shift.starts_at,
                ends_at=shift.ends_at,
                shift_id=shift.id,
            ) from None
        raise
    return assignment


def update_assignment(
    *,
    session: Session,
    assignment_id: int,
    changes: dict[str, Any],
    actor: User | None = None,
) -> Assignment:
    """Change status (along TRANSITIONS), pinned or decline_reason.

    Completed and no_show are service records: they go through `attendance.record_outcome`
    (after the shift ends; completed credits hours and points).
    """
    assignment = get_assignment(session=session, assignment_id=assignment_id)
    new_status = changes.get("status")
    if new_status is not None and new_status != assignment.status:
        old = assignment.status
        if new_status not in TRANSITIONS[old]:
            allowed = ", ".join(sorted(TRANSITIONS[old])) or "nothing (final)"
            raise Conflict(
                f"an assignment cannot go from {old} to {new_status}",
                errors={"status": [f"cannot go from {old} to {new_status}; allowed: {allowed}"]},
            )
        if new_status in OUTCOME_STATUSES:
            attendance.record_outcome(
                session=session, assignment_id=assignment_id, outcome=new_status, actor=actor
            )
            rest = {k: v for k, v in changes.items() if k != "status"}
            return update_assignment(
                session=session, assignment_id=assignment_id, changes=rest, actor=actor
            )
        if new_status in BOOKED_STATUSES and old not in BOOKED_STATUSES:
            _check_booking(session, assignment)
        assignment.status = new_status
        if new_status in RESPONSE_STATUSES:
            assignment.responded_at = utcnow()
    if "pinned" in changes:
        assignment.pinned = changes["pinned"]
    if "decline_reason" in changes:
        assignment.decline_reason = changes["decline_reason"]
    commit_booking(session=session, assignment=assignment)
    return assignment


def _check_booking(session: Session, assignment: Assignment) -> None:
    # A proposal becoming an offer books the person's time: the database refuses an overlap
    # anyway, but this names the clash before we try.
    clash = overlapping_assignment(
        session=session,
        person_id=assignment.person_id,
        starts_at=assignment.starts_at,
        ends_at=assignment.ends_at,
        shift_id=assignment.shift_id,
        statuses=BOOKED_STATUSES,
        exclude_id=assignment.id,
    )
    if clash is not None:
        raise overlap_conflict(assignment.person_id, clash, assignment.shift_id)


def commit_booking(*, session: Session, assignment: Assignment) -> None:
    """Commit a change of `assignment`; a double booking the database refuses is a 409."""
    person_id, shift_id = assignment.person_id, assignment.shift_id
    starts_at, ends_at = assignment.starts_at, assignment.ends_at
    try:
        session.commit()
    except IntegrityError as error:
        session.rollback()
        if not is_double_booking(error):
            raise
        raise double_booking_conflict(
            session=session,
            person_id=person_id,
            starts_at=starts_at,
            ends_at=ends_at,
            shift_id=shift_id,
        ) from None


def delete_assignment(*, session: Session, assignment_id: int) -> None:
    """Remove a mistaken assignment; a completed one is a service record and stays."""
    assignment = get_assignment(session=session, assignment_id=assignment_id)
    if assignment.status == "completed":
        raise Conflict(
            f"assignment {assignment_id} is completed: it is a record of hours served",
            errors={"status": ["completed assignments are kept as service records"]},
        )
    session.delete(assignment)
    session.commit()
