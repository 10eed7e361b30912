"""Weekly matching runs, the scheduler's exactly-once claims, and coordinators' pins and forbids."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.db import UTCDateTime, db, utcnow

RUN_STATUSES = ("queued", "solving", "solved", "failed", "published", "discarded")
RUN_KINDS = ("weekly", "repair")
RUN_SOURCES = ("api", "cli", "scheduler")
OVERRIDE_KINDS = ("pin", "forbid")


class MatchingRun(db.Model):
    """One solve of one scope and ISO week, from queue to publication."""

    __tablename__ = "matching_runs"
    __table_args__ = (
        CheckConstraint(
            "status IN ('queued', 'solving', 'solved', 'failed', 'published', 'discarded')",
            name="status",
        ),
        CheckConstraint("kind IN ('weekly', 'repair')", name="kind"),
        CheckConstraint("source IN ('api', 'cli', 'scheduler')", name="source"),
        CheckConstraint("time_limit_s > 0", name="time_limit_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # "community:<id>", "street:<name>" or "all".
    scope: Mapped[str] = mapped_column(String(120), index=True)
    week: Mapped[str] = mapped_column(String(8), index=True)  # ISO week, "2026-W49"
    kind: Mapped[str] = mapped_column(String(8), default="weekly")
    status: Mapped[str] = mapped_column(String(12), default="queued", index=True)
    source: Mapped[str] = mapped_column(String(10), default="api")
    weights: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    time_limit_s: Mapped[float] = mapped_column(Float, default=30.0)
    problem: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    solution: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    # The solver's last report while solving: {"objective", "bound", "elapsed_s", "at"}.
    progress: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RunClaim(db.Model):
    """A scheduled period claimed once: the unique key makes a second claim fail."""

    __tablename__ = "run_claims"
    __table_args__ = (UniqueConstraint("job_name", "period_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_name: Mapped[str] = mapped_column(String(120))
    period_key: Mapped[str] = mapped_column(String(40))
    run_id: Mapped[int] = mapped_column(ForeignKey("matching_runs.id", ondelete="CASCADE"))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MatchingOverride(db.Model):
    """A coordinator's pin (person must hold position) or forbid (person not on shift)."""

    __tablename__ = "matching_overrides"
    __table_args__ = (
        CheckConstraint("kind IN ('pin', 'forbid')", name="kind"),
        CheckConstraint(
            "(kind = 'pin' AND position_id IS NOT NULL)"
            " OR (kind = 'forbid' AND shift_id IS NOT NULL)",
            name="target_matches_kind",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    position_id: Mapped[int | None] = mapped_column(ForeignKey("positions.id", ondelete="CASCADE"))
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("shifts.id", ondelete="CASCADE"))
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str | None] = mapped_column(String(200))
