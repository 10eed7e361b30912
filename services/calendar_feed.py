"""A person's secret, revocable iCal feed of their offered and confirmed seats."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import Assignment, CalendarFeed, Person, Shift
from models.db import utcnow
from services import ics
from services.errors import NotFound

FEED_PAST = timedelta(days=30)
FEED_AHEAD = timedelta(days=90)
FEED_STATUSES = ("offered", "confirmed")
# Tokens are 43 characters (256 bits); anything much longer is not one of ours.
MAX_TOKEN_LENGTH = 100


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _live_person(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None or person.erased_at is not None:
        raise NotFound(f"no person {person_id}")
    return person


def rotate_feed(*, session: Session, person_id: int, now: datetime | None = None) -> str:
    """Revoke the person's feed (if any) and create a new one; return its token, once."""
    _live_person(session, person_id)
    now = now or utcnow()
    revoke_feed(session=session, person_id=person_id, now=now, commit=False)
    token = secrets.token_urlsafe(32)
    session.add(CalendarFeed(person_id=person_id, token_hash=token_hash(token), created_at=now))
    session.commit()
    return token


def revoke_feed(
    *, session: Session, person_id: int, now: datetime | None = None, commit: bool = True
) -> int:
    """Revoke every live feed of the person; return how many there were."""
    _live_person(session, person_id)
    count = session.execute(
        update(CalendarFeed)
        .where(CalendarFeed.person_id == person_id, CalendarFeed.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
    ).rowcount
    if commit:
        session.commit()
    return count or 0


def feed_calendar(*, session: Session, token: str, now: datetime | None = None) -> bytes:
    """The .ics of the feed behind `token`; NotFound for an unknown or revoked token."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise NotFound("no such calendar")
    feed = session.scalar(
        select(CalendarFeed).where(
            CalendarFeed.token_hash == token_hash(token), CalendarFeed.revoked_at.is_(None)
        )
    )
    person = session.get(Person, feed.person_id) if feed else None
    if person is None or person.erased_at is not None:
        raise NotFound("no such calendar")
    now = now or utcnow()
    seats = session.scalars(
        select(Assignment)
        .join(Shift, Shift.id == Assignment.shift_id)
        .where(
            Assignment.person_id == person.id,
            Assignment.status.in_(FEED_STATUSES),
            Shift.cancelled.is_(False),
            Shift.starts_at >= now - FEED_PAST,
            Shift.starts_at <= now + FEED_AHEAD,
        )
        .order_by(Shift.starts_at, Assignment.id)
    ).all()
    return ics.calendar_bytes(session, seats, name="Linkage")
