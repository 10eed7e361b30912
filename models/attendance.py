"""Attendance of an assignment: the person's check-in and check-out, the organization's record."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, func, select
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from models.assignment import Assignment
from models.db import UTCDateTime, db, utcnow
from models.ledger import HoursEntry
from models.person import Person

ATTENDANCE_OUTCOMES = ("completed", "no_show", "excused")


class AttendanceRecord(db.Model):
    """One per assignment. `outcome` is null while only the person's self-report exists.

    The outcome moves the assignment to completed, no_show or (excused) cancelled; the hours
    themselves live in the hours ledger, not here.
    """

    __tablename__ = "attendance_records"
    __table_args__ = (
        CheckConstraint(
            "outcome IS NULL OR outcome IN ('completed', 'no_show', 'excused')", name="outcome"
        ),
        CheckConstraint("minutes IS NULL OR minutes >= 0", name="minutes_not_negative"),
        CheckConstraint(
            "checked_out_at IS NULL OR checked_in_at IS NULL OR checked_out_at > checked_in_at",
            name="check_out_after_check_in",
        ),
    )

    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignments.id", ondelete="RESTRICT"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"), index=True)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(12), index=True)
    # Minutes served as recorded by the organization (completed only).
    minutes: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(String(300))
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    assignment: Mapped[Assignment] = relationship()


class StarAward(db.Model):
    """The moment a person reached a star level: shown to them and to coordinators."""

    __tablename__ = "star_awards"
    __table_args__ = (
        CheckConstraint("level BETWEEN 1 AND 5", name="level"),
        db.UniqueConstraint("person_id", "level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    level: Mapped[int] = mapped_column(Integer)
    # Cumulative recorded minutes when the level was reached.
    minutes: Mapped[int] = mapped_column(Integer)
    reached_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# A person's cumulative recorded minutes (service entries plus corrections), loaded only when
# asked for (`undefer` it in lists): star levels are shown wherever the person is.
Person.recorded_minutes = column_property(
    select(func.coalesce(func.sum(HoursEntry.minutes), 0))
    .where(HoursEntry.person_id == Person.id)
    .correlate_except(HoursEntry)
    .scalar_subquery(),
    deferred=True,
)
