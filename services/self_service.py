"""What a person's own pages need beyond the shared services: the profile form, the account's
language, the state of the calendar feed and one seat's .ics."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Assignment, CalendarFeed, Person, User
from models.db import utcnow
from services import ics, notifications, people, skills
from services.calendar_feed import FEED_STATUSES
from services.errors import Invalid, NotFound, ServiceError

LOCALES = ("zh_CN", "en")


def save_profile(
    *,
    session: Session,
    person_id: int,
    actor: User | None,
    expected_version: int | None,
    data: dict[str, Any],
    levels: Mapping[str, int] | None = None,
    remove: frozenset[str] = frozenset(),
    add: tuple[str, int] | None = None,
) -> Person:
    """Change the person's own fields, then their skills (new `levels` by code, codes to
    `remove`, one (code, level) to `add`), all against `expected_version` of the person, in
    one transaction: a refused step (a ServiceError) rolls back all of them.

    A skill change touches the person too, so that it bumps the version: another open form
    of the same profile is then stale and refused instead of silently undoing it.
    """
    person = people.get_person(session=session, person_id=person_id)
    held = {s.skill.code: s.level for s in person.skills}
    changed_levels = {
        code: level
        for code, level in (levels or {}).items()
        if code in held and code not in remove and held[code] != level
    }
    removed = [code for code in remove if code in held]
    data = dict(data)
    if changed_levels or removed or add is not None:
        data["updated_at"] = utcnow()
    try:
        person = people.update_person(
            session=session,
            person_id=person_id,
            data=data,
            actor=actor,
            expected_version=expected_version,
            commit=False,
        )
        for code in sorted(removed):
            skills.remove_person_skill(
                session=session, person_id=person_id, code=code, commit=False
            )
        for code, level in sorted(changed_levels.items()):
            skills.update_person_skill(
                session=session,
                person_id=person_id,
                code=code,
                data={"level": level},
                commit=False,
            )
        if add is not None:
            code, level = add
            skills.add_person_skill(
                session=session,
                person_id=person_id,
                data={"code": code, "level": level},
                commit=False,
            )
        session.commit()
    except ServiceError:
        # One save: a refused step undoes the steps before it.
        session.rollback()
        raise
    return person


def save_notifications(
    *,
    session: Session,
    person_id: int,
    changes: dict[str, dict[str, bool]],
    email: str | None,
) -> None:
    """Save the notification choices ({channel: {event: wanted}}) and the e-mail address (None
    removes it) together: if either is refused, neither is kept."""
    try:
        notifications.set_preferences(
            session=session, person_id=person_id, changes=changes, commit=False
        )
        notifications.set_contact(session=session, person_id=person_id, email=email, commit=False)
        session.commit()
    except ServiceError:
        session.rollback()
        raise


def set_locale(*, session: Session, user_id: int, locale: str | None) -> User:
    """Remember the page language of an account (None: follow the browser again)."""
    if locale is not None and locale not in LOCALES:
        raise Invalid("unknown language", errors={"locale": [f"one of {', '.join(LOCALES)}"]})
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    user.locale = locale
    session.commit()
    return user


def has_calendar_feed(*, session: Session, person_id: int) -> bool:
    """Whether the person has a live (not revoked) calendar feed."""
    live = session.scalar(
        select(CalendarFeed.id)
        .where(CalendarFeed.person_id == person_id, CalendarFeed.revoked_at.is_(None))
        .limit(1)
    )
    return live is not None


def seat_calendar(*, session: Session, person_id: int, assignment_id: int) -> bytes:
    """The .ics of one of the person's offered or confirmed seats; anyone else's is missing."""
    assignment = session.get(Assignment, assignment_id)
    if (
        assignment is None
        or assignment.person_id != person_id
        or assignment.status not in FEED_STATUSES
    ):
        raise NotFound(f"no offered or confirmed seat {assignment_id} of yours")
    return ics.calendar_bytes(session, [assignment])
