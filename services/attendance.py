"""Service records: a person's own check-in and check-out, the organization's record of each
assignment (completed, no_show, excused), and which records are overdue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from models import Assignment, AttendanceRecord, Need, Shift, User
from models.attendance import ATTENDANCE_OUTCOMES
from models.db import utcnow
from services import audit, ledger
from services.access import assignment_condition
from services.errors import Conflict, Invalid, NotFound
from services.intervals import whole_minutes
from services.permissions import Reach
from services.workdays import WorkCalendar

# What an outcome makes of the assignment: an excused absence frees the seat like a cancellation.
OUTCOME_STATUS = {"completed": "completed", "no_show": "no_show", "excused": "cancelled"}
# Working days after the shift within which the organization confirms the record.
DEFAULT_DUE_WORKING_DAYS = 10
# A person may check in this long before the shift starts (arriving early to set up).
EARLY_CHECK_IN = timedelta(hours=2)
# ...and check out this long after it ends (forgetting to tap out is common).
LATE_CHECK_OUT = timedelta(hours=12)
MAX_MINUTES = 24 * 60


@dataclass(frozen=True)
class PendingRecord:
    """A past shift's assignment still waiting for the organization's record."""

    assignment: Assignment
    record: AttendanceRecord | None
    due_on: date
    overdue: bool


def _locked_assignment(session: Session, assignment_id: int) -> Assignment:
    # FOR UPDATE serialises two staff recording the same assignment on PostgreSQL (SQLite's
    # BEGIN IMMEDIATE already serialises writers).
    assignment = session.scalar(
        select(Assignment).where(Assignment.id == assignment_id).with_for_update()
    )
    if assignment is None:
        raise NotFound(f"no assignment {assignment_id}")
    return assignment


def _own_assignment(session: Session, assignment_id: int, person_id: int) -> Assignment:
    assignment = _locked_assignment(session, assignment_id)
    if assignment.person_id != person_id:
        # Someone else's seat is reported as missing, as in services/offers.py.
        raise NotFound(f"no assignment {assignment_id} of yours")
    return assignment


def _record_of(session: Session, assignment: Assignment) -> AttendanceRecord | None:
    return session.get(AttendanceRecord, assignment.id)


def _check_self_report(assignment: Assignment, record: AttendanceRecord | None) -> None:
    if record is not None and record.outcome is not None:
        raise Conflict(
            f"assignment {assignment.id} was already recorded as {record.outcome}",
            errors={"assignment_id": ["already recorded by the organization"]},
        )
    if assignment.status != "confirmed":
        raise Conflict(
            f"assignment {assignment.id} is {assignment.status}, not confirmed",
            errors={"status": ["only a confirmed seat can be checked into"]},
        )
    if assignment.shift.cancelled:
        raise Conflict(
            f"shift {assignment.shift_id} was cancelled", errors={"shift_id": ["cancelled"]}
        )


def check_in(
    *, session: Session, assignment_id: int, person_id: int, now: datetime | None = None
) -> AttendanceRecord:
    """The person says they arrived; checking in again keeps the first time."""
    now = now or utcnow()
    assignment = _own_assignment(session, assignment_id, person_id)
    record = _record_of(session, assignment)
    _check_self_report(assignment, record)
    shift = assignment.shift
    if now < shift.starts_at - EARLY_CHECK_IN or now > shift.ends_at:
        raise Conflict(
            f"check-in for shift {shift.id} is open from 2 hours before it starts until it ends",
            errors={"checked_in_at": ["outside the shift"]},
        )
    if record is None:
        record = AttendanceRecord(assignment_id=assignment.id, person_id=person_id)
        session.add(record)
    if record.checked_in_at is None:
        record.checked_in_at = now
    session.commit()
    return record


def check_out(
    *, session: Session, assignment_id: int, person_id: int, now: datetime | None = None
) -> AttendanceRecord:
    """The person says they left; the organization approves or corrects the minutes."""
    now = now or utcnow()
    assignment = _own_assignment(session, assignment_id, person_id)
    record = _record_of(session, assignment)
    _check_self_report(assignment, record)
    if record is None or record.checked_in_at is None:
        raise Conflict(
            f"assignment {assignment_id} has no check-in",
            errors={"checked_in_at": ["check in first"]},
        )
    if now <= record.checked_in_at or now > assignment.shift.ends_at + LATE_CHECK_OUT:
        raise Conflict(
            "check-out must be after check-in and at most 12 hours after the shift ends",
            errors={"checked_out_at": ["outside the allowed time"]},
        )
    record.checked_out_at = now
    session.commit()
    return record


def get_record(*, session: Session, assignment_id: int) -> AttendanceRecord:
    """The assignment's record; an assignment with none yet gets an empty one (not stored)."""
    assignment = session.get(Assignment, assignment_id)
    if assignment is None:
        raise NotFound(f"no assignment {assignment_id}")
    record = _record_of(session, assignment)
    if record is None:
        record = AttendanceRecord(assignment_id=assignment.id, person_id=assignment.person_id)
        record.assignment = assignment
    return record


def self_reported_minutes(record: AttendanceRecord | None) -> int | None:
    """Whole minutes between the person's check-in and check-out, if both exist."""
    if record is None or record.checked_in_at is None or record.checked_out_at is None:
        return None
    return whole_minutes(record.checked_in_at, record.checked_out_at)


def shift_minutes(shift: Shift) -> int:
    return whole_minutes(shift.starts_at, shift.ends_at)


def _served_minutes(
    outcome: str, minutes: int | None, assignment: Assignment, record: AttendanceRecord | None
) -> int | None:
    if outcome != "completed":
        if minutes is not None:
            raise Invalid(
                "minutes are for completed service",
                errors={"minutes": [f"not allowed with outcome {outcome}"]},
            )
        return None
    if minutes is None:
        # Approving the person's own report, else the shift's length.
        minutes = self_reported_minutes(record)
    if minutes is None:
        minutes = shift_minutes(assignment.shift)
    if not 0 <= minutes <= MAX_MINUTES:
        raise Invalid("bad minutes", errors={"minutes": [f"must be 0 to {MAX_MINUTES}"]})
    return minutes


def record_outcome(
    *,
    session: Session,
    assignment_id: int,
    outcome: str,
    minutes: int | None = None,
    note: str | None = None,
    actor: User | None = None,
    now: datetime | None = None,
) -> AttendanceRecord:
    """The organization's record of a past shift's assignment; committed.

    `completed` credits hours and points in the same transaction (exactly once: recording the
    same outcome again returns the first record unchanged); `minutes` defaults to the person's
    own check-in/check-out, else the shift's length. A different outcome after the first is a
    conflict: hours are corrected through the ledger, not by re-recording.
    """
    if outcome not in ATTENDANCE_OUTCOMES:
        raise Invalid(
            "bad outcome", errors={"outcome": [f"one of {', '.join(ATTENDANCE_OUTCOMES)}"]}
        )
    now = now or utcnow()
    assignment = _locked_assignment(session, assignment_id)
    record = _record_of(session, assignment)
    if record is not None and record.outcome is not None:
        if record.outcome == outcome:
            return record
        raise Conflict(
            f"assignment {assignment_id} was already recorded as {record.outcome}",
            errors={"outcome": [f"already {record.outcome}; correct hours through the ledger"]},
        )
    if assignment.status != "confirmed":
        raise Conflict(
            f"assignment {assignment_id} is {assignment.status}; only a confirmed seat is recorded",
            errors={"status": [f"{assignment.status}: nothing to record"]},
        )
    shift = assignment.shift
    if shift.cancelled:
        raise Conflict(f"shift {shift.id} was cancelled", errors={"shift_id": ["cancelled"]})
    if now < shift.ends_at:
        raise Conflict(
            f"shift {shift.id} ends at {shift.ends_at.isoformat()}; record it after it ends",
            errors={"outcome": ["the shift has not ended yet"]},
        )
    served = _served_minutes(outcome, minutes, assignment, record)
    if record is None:
        record = AttendanceRecord(assignment_id=assignment.id, person_id=assignment.person_id)
        session.add(record)
    record.outcome = outcome
    record.minutes = served
    record.note = note
    record.recorded_at = now
    record.recorded_by_user_id = actor.id if actor else None
    assignment.status = OUTCOME_STATUS[outcome]
    session.flush()
    if outcome == "completed":
        ledger.record_completion(
            session=session, assignment=assignment, minutes=served, actor=actor
        )
    audit.record(
        session=session,
        actor=actor,
        action=f"attendance.{outcome}",
        subject=assignment,
        details={"minutes": served} if served is not None else None,
    )
    try:
        session.commit()
    except IntegrityError:
        # A concurrent record of the same assignment won: report what it recorded.
        session.rollback()
        winner = session.get(AttendanceRecord, assignment_id)
        if winner is None or winner.outcome != outcome:
            raise Conflict(
                f"assignment {assignment_id} was recorded concurrently",
                errors={"outcome": ["recorded by someone else at the same time; reload"]},
            ) from None
        return winner
    return record


def due_on(shift: Shift, *, calendar: WorkCalendar, timezone: str, working_days: int) -> date:
    """The last day on which the record of `shift` is on time (local date)."""
    ended = shift.ends_at.astimezone(ZoneInfo(timezone)).date()
    return calendar.add_working_days(ended, working_days)


def pending_records(
    *,
    session: Session,
    reach: Reach | None,
    calendar: WorkCalendar,
    timezone: str,
    working_days: int = DEFAULT_DUE_WORKING_DAYS,
    overdue_only: bool = False,
    organization_id: int | None = None,
    now: datetime | None = None,
) -> list[PendingRecord]:
    """Confirmed seats on shifts that have ended with no record yet, oldest first."""
    now = now or utcnow()
    today = now.astimezone(ZoneInfo(timezone)).date()
    stmt = (
        select(Assignment, AttendanceRecord)
        .join(Shift, Assignment.shift_id == Shift.id)
        .outerjoin(AttendanceRecord, AttendanceRecord.assignment_id == Assignment.id)
        .options(joinedload(Assignment.shift).joinedload(Shift.need))
        .where(
            Assignment.status == "confirmed",
            Shift.cancelled.is_(False),
            Shift.ends_at <= now,
            assignment_condition(reach),
        )
        .order_by(Shift.ends_at, Assignment.id)
    )
    if organization_id is not None:
        stmt = stmt.where(Shift.need.has(Need.organization_id == organization_id))
    pending = []
    for assignment, record in session.execute(stmt).unique():
        due = due_on(
            assignment.shift, calendar=calendar, timezone=timezone, working_days=working_days
        )
        late = today > due
        if late or not overdue_only:
            pending.append(PendingRecord(assignment, record, due, late))
    return pending
