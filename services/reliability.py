"""Unexcused no-shows in the last 12 months, and the rule that pauses auto-assignment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from models import Assignment, Person, Shift, User
from models.db import utcnow
from services import audit
from services.errors import NotFound

WINDOW = timedelta(days=365)
# After this many unexcused no-shows a person is not auto-assigned until a coordinator clears it.
DEFAULT_NO_SHOW_LIMIT = 5


@dataclass(frozen=True)
class Reliability:
    no_shows: int
    limit: int
    cleared_at: datetime | None

    @property
    def paused(self) -> bool:
        """Whether the weekly matching leaves the person out."""
        return self.limit > 0 and self.no_shows >= self.limit


def _counted_no_shows(now: datetime) -> ColumnElement[bool]:
    """No-shows that count against the person owning the row: within the window and after the
    last clearing."""
    return and_(
        Assignment.status == "no_show",
        Shift.starts_at >= now - WINDOW,
        Shift.starts_at < now,
        or_(
            Person.reliability_cleared_at.is_(None), Shift.starts_at > Person.reliability_cleared_at
        ),
    )


def no_show_counts(*, session: Session, person_ids, now: datetime | None = None) -> dict[int, int]:
    """Counted no-shows per person (`person_ids`: ids or a subquery of ids); absent means 0."""
    now = now or utcnow()
    rows = session.execute(
        select(Assignment.person_id, func.count())
        .join(Shift, Shift.id == Assignment.shift_id)
        .join(Person, Person.id == Assignment.person_id)
        .where(Assignment.person_id.in_(person_ids), _counted_no_shows(now))
        .group_by(Assignment.person_id)
    )
    return dict(rows.all())


def paused_people(*, now: datetime, limit: int):
    """A subquery of the ids of people the weekly matching leaves out (none when limit <= 0)."""
    query = (
        select(Assignment.person_id)
        .join(Shift, Shift.id == Assignment.shift_id)
        .join(Person, Person.id == Assignment.person_id)
        .where(_counted_no_shows(now))
        .group_by(Assignment.person_id)
        .having(func.count() >= limit)
    )
    return query if limit > 0 else query.where(False)


def reliability_of(
    *, session: Session, person: Person, limit: int, now: datetime | None = None
) -> Reliability:
    counts = no_show_counts(session=session, person_ids=[person.id], now=now)
    return Reliability(counts.get(person.id, 0), limit, person.reliability_cleared_at)


def clear(
    *, session: Session, person_id: int, actor: User | None, now: datetime | None = None
) -> Person:
    """A coordinator clears the person's record: earlier no-shows stop counting. Committed."""
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"no person {person_id}")
    person.reliability_cleared_at = now or utcnow()
    audit.record(session=session, actor=actor, action="reliability.clear", subject=person)
    session.commit()
    return person
