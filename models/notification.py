"""Notifications: contacts, opt-outs, the outbox delivered by the scheduler, calendar feeds."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.db import UTCDateTime, db, utcnow

CHANNELS = ("email", "webhook")
EVENTS = ("offer", "reminder", "cancellation", "star")
# pending: due at next_attempt_at; sending: claimed by a scheduler until next_attempt_at (a
# lease, so that a scheduler that died mid-send gives the row back); sent; failed after the
# last attempt; skipped: no longer worth sending (the seat went away, the shift started).
NOTIFICATION_STATUSES = ("pending", "sending", "sent", "failed", "skipped")


class PersonContact(db.Model):
    """How to reach a person besides the phone: an e-mail address for notifications."""

    __tablename__ = "person_contacts"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    email: Mapped[str | None] = mapped_column(String(254))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class NotificationOptOut(db.Model):
    """A person does not want `event` notifications over `channel` (no row: they do)."""

    __tablename__ = "notification_opt_outs"
    __table_args__ = (
        UniqueConstraint("person_id", "channel", "event"),
        CheckConstraint("channel IN ('email', 'webhook')", name="channel"),
        CheckConstraint("event IN ('offer', 'reminder', 'cancellation', 'star')", name="event"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    event: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Notification(db.Model):
    """One message to one person over one channel: the outbox row the scheduler delivers.

    `(channel, dedupe_key)` is unique, so a producer that runs twice (or in two schedulers)
    queues nothing twice.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("channel", "dedupe_key"),
        CheckConstraint("channel IN ('email', 'webhook')", name="channel"),
        CheckConstraint("event IN ('offer', 'reminder', 'cancellation', 'star')", name="event"),
        CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed', 'skipped')", name="status"
        ),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        # The delivery loop's claim: due rows by time.
        Index("ix_notifications_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # "offer:<assignment id>", "reminder:<assignment id>", "cancel:<assignment id>",
    # "star:<person id>:<level>".
    dedupe_key: Mapped[str] = mapped_column(String(80))
    channel: Mapped[str] = mapped_column(String(16))
    event: Mapped[str] = mapped_column(String(16))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    assignment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assignments.id", ondelete="SET NULL"), index=True
    )
    # What to say, rendered when queued: subject, texts in zh-CN and English, shift times,
    # an .ics for offers. The address is looked up at delivery, so a corrected one is used.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CalendarFeed(db.Model):
    """A secret iCal feed URL of a person; only the token's SHA-256 hash is stored."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
