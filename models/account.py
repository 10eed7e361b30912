"""Accounts, their scopes and bearer tokens; the audit log; consent records."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.db import UTCDateTime, db, utcnow

USER_ROLES = ("admin", "coordinator", "org_staff", "person")
USER_STATUSES = ("pending", "active", "disabled")
CONSENT_PURPOSES = ("share_contact_with_organizations", "precise_location")


class User(db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'coordinator', 'org_staff', 'person')", name="role"),
        CheckConstraint("status IN ('pending', 'active', 'disabled')", name="status"),
        # A person account acts for exactly one Person; other roles act for nobody.
        CheckConstraint(
            "(role = 'person') = (person_id IS NOT NULL)", name="person_link_matches_role"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="active")
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The language the user chose on the pages ("zh_CN" or "en"); None follows the browser.
    locale: Mapped[str | None] = mapped_column(String(8))

    scopes: Mapped[list[UserScope]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )


class UserScope(db.Model):
    """Where a coordinator (communities or a whole street) or org staff (organizations) may act."""

    __tablename__ = "user_scopes"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN community_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN street IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN organization_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="exactly_one_target",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    community_id: Mapped[int | None] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE")
    )
    street: Mapped[str | None] = mapped_column(String(80))
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )

    user: Mapped[User] = relationship(back_populates="scopes")


class AuthToken(db.Model):
    """An opaque bearer token, stored only as its SHA-256 hash."""

    __tablename__ = "auth_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class AuditEvent(db.Model):
    """An append-only record of a sensitive action (triggers refuse updates and deletes)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_user_id: Mapped[int | None] = mapped_column(index=True)  # no FK: outlives its actor
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Consent(db.Model):
    """One grant or withdrawal; the latest record per (person, purpose) is in force."""

    __tablename__ = "consents"
    __table_args__ = (
        CheckConstraint(
            "purpose IN ('share_contact_with_organizations', 'precise_location')", name="purpose"
        ),
        UniqueConstraint("person_id", "purpose", "recorded_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(40))
    granted: Mapped[bool]
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
