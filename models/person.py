"""People (social workers, volunteers, resident activists), their skills and availability."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.db import UTCDateTime, db, utcnow

PERSON_ROLES = ("social_worker", "volunteer", "resident_activist")
EXCEPTION_KINDS = ("unavailable", "available")


class Person(db.Model):
    __tablename__ = "people"
    __table_args__ = (
        CheckConstraint("role IN ('social_worker', 'volunteer', 'resident_activist')", name="role"),
        CheckConstraint("max_travel_km IS NULL OR max_travel_km >= 0", name="max_travel_km"),
        CheckConstraint(
            "max_minutes_per_week IS NULL OR max_minutes_per_week >= 0", name="max_minutes"
        ),
        CheckConstraint(
            "max_shifts_per_day IS NULL OR max_shifts_per_day >= 0", name="max_shifts_per_day"
        ),
        CheckConstraint("lat IS NULL OR (lat >= -90 AND lat <= 90)", name="lat_range"),
        CheckConstraint("lon IS NULL OR (lon >= -180 AND lon <= 180)", name="lon_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # A stable id from the organization's own records: CSV re-imports update by it.
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(40))
    community_id: Mapped[int | None] = mapped_column(
        ForeignKey("communities.id", ondelete="SET NULL"), index=True
    )
    # Coarse home location (a few hundred metres): enough for distances, not an address.
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    max_travel_km: Mapped[float | None]
    max_minutes_per_week: Mapped[int | None]
    max_shifts_per_day: Mapped[int | None]
    background_checked: Mapped[bool] = mapped_column(Boolean, default=False)
    background_checked_on: Mapped[date | None] = mapped_column(Date)
    preferred_kinds: Mapped[list[str]] = mapped_column(JSON, default=list)
    preferred_organization_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    # Set when the person's data was erased; the row stays as a pseudonym for hour records.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # No-shows before this moment no longer count against the person's reliability.
    reliability_cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Optimistic locking: every ORM update bumps it, and an update of a row that changed
    # since it was read raises StaleDataError (a stale edit is a 409).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}

    skills: Mapped[list[PersonSkill]] = relationship(
        back_populates="person", cascade="all, delete-orphan"
    )
    windows: Mapped[list[AvailabilityWindow]] = relationship(
        back_populates="person", cascade="all, delete-orphan"
    )
    exceptions: Mapped[list[AvailabilityException]] = relationship(
        back_populates="person", cascade="all, delete-orphan"
    )


class Skill(db.Model):
    __tablename__ = "skills"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(64), default="general")


class PersonSkill(db.Model):
    __tablename__ = "person_skills"
    __table_args__ = (
        UniqueConstraint("person_id", "skill_id"),
        CheckConstraint("level >= 1 AND level <= 5", name="level_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="RESTRICT"), index=True)
    level: Mapped[int] = mapped_column(Integer)
    verified_by: Mapped[str | None] = mapped_column(String(120))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # An expired skill does not count for matching (a lapsed first-aid certificate, say).
    expires_on: Mapped[date | None] = mapped_column(Date)

    person: Mapped[Person] = relationship(back_populates="skills")
    skill: Mapped[Skill] = relationship()


class AvailabilityWindow(db.Model):
    """A weekly recurring window in the configured timezone.

    `end_time <= start_time` means the window runs past midnight into the next day.
    """

    __tablename__ = "availability_windows"
    __table_args__ = (
        CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday_range"),
        CheckConstraint(
            "valid_until IS NULL OR valid_from IS NULL OR valid_until >= valid_from",
            name="valid_range",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday, as datetime.weekday()
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)

    person: Mapped[Person] = relationship(back_populates="windows")


class AvailabilityException(db.Model):
    """A dated exception: `unavailable` removes time, `available` adds an extra window."""

    __tablename__ = "availability_exceptions"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("kind IN ('unavailable', 'available')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(String(200))

    person: Mapped[Person] = relationship(back_populates="exceptions")
