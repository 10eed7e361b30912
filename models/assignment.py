"""Assignments of people to positions, from proposal to completion."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, event, select, text
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship
from sqlalchemy.orm.util import identity_key

from models.db import UTCDateTime, db, utcnow
from models.need import Position, Shift
from models.person import Person

ASSIGNMENT_STATUSES = (
    "proposed",
    "offered",
    "confirmed",
    "declined",
    "cancelled",
    "completed",
    "no_show",
)
# Statuses that hold the person's time: a person cannot hold two of these on one shift.
ACTIVE_STATUSES = ("proposed", "offered", "confirmed", "completed")
ASSIGNMENT_SOURCES = ("auto", "manual")

_ACTIVE_SQL = "status IN ('proposed', 'offered', 'confirmed', 'completed')"

# Statuses that make a seat real, so that the database refuses two of them overlapping in
# time for one person (migration 0007: an exclusion constraint on PostgreSQL, triggers on
# SQLite). `proposed` is a run's unpublished draft: two runs of different scopes may draft
# the same person, and only publishing (proposed -> offered) makes the seat real.
BOOKED_STATUSES = ("offered", "confirmed", "completed")
# What the database calls a double booking: the PostgreSQL constraint's name, and the text
# the SQLite triggers raise. services/ and api/errors.py recognise violations by these.
NO_DOUBLE_BOOKING = "ex_assignments_no_double_booking"
DOUBLE_BOOKING_MESSAGE = "assignment overlaps another booked assignment of the same person"


class Assignment(db.Model):
    __tablename__ = "assignments"
    __table_args__ = (
        CheckConstraint(
            "status IN ('proposed', 'offered', 'confirmed', 'declined', 'cancelled', "
            "'completed', 'no_show')",
            name="status",
        ),
        CheckConstraint("source IN ('auto', 'manual')", name="source"),
        # Rule 8 of the matching contract, held by the database: one active seat per shift.
        Index(
            "uq_assignments_active_person_shift",
            "person_id",
            "shift_id",
            unique=True,
            sqlite_where=text(_ACTIVE_SQL),
            postgresql_where=text(_ACTIVE_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    position_id: Mapped[int] = mapped_column(
        ForeignKey("positions.id", ondelete="CASCADE"), index=True
    )
    # Denormalised from the position so that per-shift rules need no join.
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id", ondelete="CASCADE"), index=True)
    # Denormalised from the shift so that the database can refuse overlapping bookings
    # (constraints cannot join); filled on insert below, moved with the shift by
    # services/shifts.py in the same transaction.
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="proposed", index=True)
    source: Mapped[str] = mapped_column(String(8), default="manual")
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    decline_reason: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The matching run that offered this seat (null for manual assignments).
    matching_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("matching_runs.id", ondelete="SET NULL"), index=True
    )

    person: Mapped[Person] = relationship()
    position: Mapped[Position] = relationship()
    shift: Mapped[Shift] = relationship()


@event.listens_for(Assignment, "before_insert")
def _copy_shift_times(_mapper: Any, connection: Any, target: Assignment) -> None:
    # Every insert gets its shift's times, whoever writes it (services, seed, factories).
    if target.starts_at is not None and target.ends_at is not None:
        return
    shift = target.__dict__.get("shift")
    if shift is None:
        # A shift already in the session costs no query (a run writes thousands of seats).
        session = object_session(target)
        key = identity_key(Shift, target.shift_id)
        shift = session.identity_map.get(key) if session is not None else None
    # Read the loaded state only: an expired attribute would load in the middle of a flush.
    loaded = shift.__dict__ if shift is not None else {}
    if loaded.get("starts_at") is not None and loaded.get("ends_at") is not None:
        target.starts_at, target.ends_at = loaded["starts_at"], loaded["ends_at"]
        return
    row = connection.execute(
        select(Shift.starts_at, Shift.ends_at).where(Shift.id == target.shift_id)
    ).one_or_none()
    if row is not None:
        target.starts_at, target.ends_at = row
