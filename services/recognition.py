"""Star levels from cumulative recorded hours, and the moment each level was reached."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from models import HoursEntry, Person, StarAward
from models.db import utcnow
from services.access import person_condition
from services.permissions import Reach

# Star levels by cumulative recorded hours (Guangdong and national community schemes).
STAR_HOURS = (100, 300, 600, 1000, 1500)


def star_level(minutes: int) -> int:
    """0-5 stars for a cumulative number of recorded minutes (99.9 h is still below 100 h)."""
    return sum(minutes >= hours * 60 for hours in STAR_HOURS)


def recorded_minutes(*, session: Session, person_id: int) -> int:
    """The person's cumulative recorded minutes: service entries plus corrections."""
    return session.scalar(
        select(func.coalesce(func.sum(HoursEntry.minutes), 0)).where(
            HoursEntry.person_id == person_id
        )
    )


def award_stars(*, session: Session, person_id: int) -> list[StarAward]:
    """Record each star level newly reached by the person's hours; flushes, never commits.

    A level is awarded once: a later downward correction of hours lowers the level shown but
    keeps the award (the moment it was reached stays true).
    """
    minutes = recorded_minutes(session=session, person_id=person_id)
    level = star_level(minutes)
    if level == 0:
        return []
    have = set(session.scalars(select(StarAward.level).where(StarAward.person_id == person_id)))
    new = [reached for reached in range(1, level + 1) if reached not in have]
    if not new:
        return []
    # Two credits reaching a level at once both try to award it: the first one stands.
    insert = (
        postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    )(StarAward)
    rows = [
        {"person_id": person_id, "level": reached, "minutes": minutes, "reached_at": utcnow()}
        for reached in new
    ]
    session.execute(insert.values(rows).on_conflict_do_nothing())
    return list(
        session.scalars(
            select(StarAward).where(StarAward.person_id == person_id, StarAward.level.in_(new))
        )
    )


def awards(*, session: Session, person_id: int) -> list[StarAward]:
    return list(
        session.scalars(
            select(StarAward).where(StarAward.person_id == person_id).order_by(StarAward.level)
        )
    )


def recent_awards(
    *, session: Session, reach: Reach | None, since: datetime | None = None, limit: int = 500
) -> list[StarAward]:
    """Levels reached by the people in `reach`, newest first (at most `limit`)."""
    stmt = (
        select(StarAward)
        .join(Person, Person.id == StarAward.person_id)
        .where(person_condition(reach))
        .order_by(StarAward.reached_at.desc(), StarAward.id.desc())
        .limit(limit)
    )
    if since is not None:
        stmt = stmt.where(StarAward.reached_at >= since)
    return list(session.scalars(stmt))
