"""Assignments of people to positions, from proposal to completion."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

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
