"""A person's own seats: what they were offered, and their answer."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from models import Assignment, Shift
from models.db import utcnow
from services.assignments import commit_booking
from services.errors import Conflict, NotFound

VISIBLE_TO_PERSON = ("offered", "confirmed", "declined", "cancelled", "completed", "no_show")


def my_assignments(*, session: Session, person_id: int) -> Sequence[Assignment]:
    """The person's seats, soonest first; proposals are internal until published."""
    return (
        session.scalars(
            select(Assignment)
            .join(Shift, Assignment.shift_id == Shift.id)
            .options(joinedload(Assignment.shift).joinedload(Shift.need))
            .where(Assignment.person_id == person_id, Assignment.status.in_(VISIBLE_TO_PERSON))
            .order_by(Shift.starts_at, Assignment.id)
        )
        .unique()
        .all()
    )


def respond(
    *, session: Session, assignment_id: int, person_id: int, accept: bool, reason: str | None = None
) -> Assignment:
    """Accept (confirmed: fixed in later problems) or decline (forbidden in later problems)."""
    assignment = session.get(Assignment, assignment_id)
    # Someone else's seat is reported as missing: its existence is not the caller's business.
    if assignment is None or assignment.person_id != person_id:
        raise NotFound(f"no assignment {assignment_id} of yours")
    if assignment.shift.cancelled:
        raise Conflict(
            f"shift {assignment.shift_id} was cancelled",
            errors={"status": ["the offer can no longer be answered"]},
        )
    if assignment.status != "offered":
        raise Conflict(
            f"assignment {assignment_id} is {assignment.status}, not an open offer",
            errors={"status": [f"{assignment.status}: only offers can be answered"]},
        )
    assignment.status = "confirmed" if accept else "declined"
    assignment.decline_reason = None if accept else reason
    assignment.responded_at = utcnow()
    # Accepting keeps the seat booked; the database still has the last word on overlaps.
    commit_booking(session=session, assignment=assignment)
    return assignment
