"""The two append-only ledgers (service hours, incentive points), balances and idempotency keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.db import UTCDateTime, db, utcnow

HOURS_KINDS = ("service", "correction")
POINTS_KINDS = ("earn", "redeem", "adjust", "correction")


class HoursEntry(db.Model):
    """Minutes of service: the legal record. Never edited; a correction is a new entry."""

    __tablename__ = "hours_entries"
    __table_args__ = (
        CheckConstraint("kind IN ('service', 'correction')", name="kind"),
        CheckConstraint("kind = 'correction' OR minutes >= 0", name="service_not_negative"),
        CheckConstraint("kind = 'service' OR reason IS NOT NULL", name="correction_has_reason"),
        # One service entry per assignment, however often completion is recorded.
        Index(
            "uq_hours_entries_service_assignment",
            "assignment_id",
            unique=True,
            sqlite_where=text("kind = 'service'"),
            postgresql_where=text("kind = 'service'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"), index=True)
    assignment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assignments.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[str] = mapped_column(String(12))
    minutes: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(String(300))
    actor_user_id: Mapped[int | None]
    # A correction names the service entry it corrects (by a signed number of minutes).
    corrects_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("hours_entries.id", ondelete="RESTRICT"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PointsEntry(db.Model):
    """Incentive points earned, redeemed or adjusted. Never edited."""

    __tablename__ = "points_entries"
    __table_args__ = (
        CheckConstraint("kind IN ('earn', 'redeem', 'adjust', 'correction')", name="kind"),
        CheckConstraint("kind <> 'earn' OR points >= 0", name="earn_not_negative"),
        CheckConstraint("kind <> 'redeem' OR points < 0", name="redeem_negative"),
        Index(
            "uq_points_entries_earn_assignment",
            "assignment_id",
            unique=True,
            sqlite_where=text("kind = 'earn'"),
            postgresql_where=text("kind = 'earn'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"), index=True)
    assignment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assignments.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[str] = mapped_column(String(12))
    points: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(String(300))
    actor_user_id: Mapped[int | None]
    # A correction names the entry it reverses; the unique index stops a second reversal.
    reverses_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("points_entries.id", ondelete="RESTRICT"), index=True, unique=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PointsAccount(db.Model):
    """The running balance, kept equal to the sum of the person's points entries.

    Debits are one conditional UPDATE (balance >= n); the CHECK is the backstop.
    """

    __tablename__ = "points_accounts"
    __table_args__ = (CheckConstraint("balance >= 0", name="balance_not_negative"),)

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="RESTRICT"), primary_key=True
    )
    balance: Mapped[int] = mapped_column(Integer, default=0)


class IdempotencyKey(db.Model):
    """A write that moves points, remembered by (caller, key) with its request and response."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("caller", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    caller: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(128))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
