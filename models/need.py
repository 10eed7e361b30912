"""Needs posted by organizations, their shifts and the positions to fill on each shift."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.db import UTCDateTime, db, utcnow
from models.person import Skill

# Service requests, then community activities (../shared/DOMAIN.md).
NEED_KINDS = (
    "elderly_visit",
    "tutoring",
    "legal_desk",
    "counselling_desk",
    "it_help",
    "flea_market",
    "concert",
    "opera",
    "science_festival",
    "river_cleanup",
    "lantern_festival",
    "other",
)
POINTS_TIERS = {"ordinary": 1.0, "skilled": 1.5, "hard_to_fill": 2.0}
POSITION_ROLES = ("social_worker", "volunteer", "resident_activist", "any")


class Need(db.Model):
    __tablename__ = "needs"
    __table_args__ = (
        CheckConstraint("priority >= 1 AND priority <= 5", name="priority_range"),
        CheckConstraint(
            "points_tier IN ('ordinary', 'skilled', 'hard_to_fill')", name="points_tier"
        ),
        CheckConstraint("points_per_hour >= 0", name="points_per_hour"),
        CheckConstraint(
            "recurrence_rule IS NULL OR (recurrence_start IS NOT NULL "
            "AND recurrence_minutes IS NOT NULL AND recurrence_minutes > 0)",
            name="recurrence_complete",
        ),
        CheckConstraint("lat IS NULL OR (lat >= -90 AND lat <= 90)", name="lat_range"),
        CheckConstraint("lon IS NULL OR (lon >= -180 AND lon <= 180)", name="lon_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    community_id: Mapped[int | None] = mapped_column(
        ForeignKey("communities.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(40), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    priority: Mapped[int] = mapped_column(Integer, default=3)
    requires_background_check: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str | None] = mapped_column(String(16))
    points_tier: Mapped[str] = mapped_column(String(20), default="ordinary")
    points_per_hour: Mapped[int] = mapped_column(Integer, default=10)
    # A recurring need: an RFC 5545 RRULE (python-dateutil), the first start in the
    # configured timezone, and each occurrence's length. Shifts are generated per horizon.
    recurrence_rule: Mapped[str | None] = mapped_column(String(500))
    recurrence_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recurrence_minutes: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Optimistic locking: every ORM update bumps it, and an update of a row that changed
    # since it was read raises StaleDataError (a stale edit is a 409).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}

    shifts: Mapped[list[Shift]] = relationship(
        back_populates="need", cascade="all, delete-orphan", order_by="Shift.starts_at"
    )
    # Positions with no shift are the template copied into each generated shift.
    template_positions: Mapped[list[Position]] = relationship(
        primaryjoin="and_(Need.id == Position.need_id, Position.shift_id.is_(None))",
        viewonly=True,
    )


class Shift(db.Model):
    __tablename__ = "shifts"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        UniqueConstraint("need_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    generated: Mapped[bool] = mapped_column(Boolean, default=False)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    # Optimistic locking: every ORM update bumps it, and an update of a row that changed
    # since it was read raises StaleDataError (a stale edit is a 409).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}

    need: Mapped[Need] = relationship(back_populates="shifts")
    positions: Mapped[list[Position]] = relationship(
        back_populates="shift", cascade="all, delete-orphan", order_by="Position.id"
    )


class Position(db.Model):
    __tablename__ = "positions"
    __table_args__ = (
        CheckConstraint("min_count >= 1", name="min_count_positive"),
        CheckConstraint("count >= min_count", name="count_covers_min"),
        CheckConstraint(
            "role IN ('social_worker', 'volunteer', 'resident_activist', 'any')", name="role"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"), index=True)
    shift_id: Mapped[int | None] = mapped_column(
        ForeignKey("shifts.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(String(60), default="")
    role: Mapped[str] = mapped_column(String(32))
    count: Mapped[int] = mapped_column(Integer, default=1)
    min_count: Mapped[int] = mapped_column(Integer, default=1)
    # Optimistic locking: every ORM update bumps it, and an update of a row that changed
    # since it was read raises StaleDataError (a stale edit is a 409).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}

    shift: Mapped[Shift | None] = relationship(back_populates="positions")
    requirements: Mapped[list[PositionSkill]] = relationship(
        back_populates="position", cascade="all, delete-orphan"
    )


class PositionSkill(db.Model):
    __tablename__ = "position_skills"
    __table_args__ = (
        UniqueConstraint("position_id", "skill_id"),
        CheckConstraint("min_level >= 1 AND min_level <= 5", name="min_level_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    position_id: Mapped[int] = mapped_column(
        ForeignKey("positions.id", ondelete="CASCADE"), index=True
    )
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="RESTRICT"))
    min_level: Mapped[int] = mapped_column(Integer)

    position: Mapped[Position] = relationship(back_populates="requirements")
    skill: Mapped[Skill] = relationship()
