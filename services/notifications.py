"""Notifications: contacts and opt-outs, and the producers that fill the outbox.

Producers scan the database for what should have been said (an offer, a shift within 24
hours, a cancelled seat, a star level) and queue one outbox row per person, channel and
event under a unique dedupe key. Nothing else needs to call them: run them as often as you
like, from as many processes as you like; each message is queued once.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import String, and_, cast, delete, exists, literal, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from models import (
    Assignment,
    CalendarFeed,
    Need,
    Notification,
    NotificationOptOut,
    Person,
    PersonContact,
    Shift,
    StarAward,
)
from models.notification import CHANNELS, EVENTS
from services import ics
from services.errors import NotFound

REMINDER_AHEAD = timedelta(hours=24)
# A star level reached longer ago than this is not announced: switching notifications on
# must not flood people with their history.
STAR_LOOKBACK = timedelta(days=7)
# Rows a producer queues per pass; the next pass (a minute later) takes the rest.
BATCH = 1000


# --- contacts and preferences ----------------------------------------------------------------


def _live_person(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None or person.erased_at is not None:
        raise NotFound(f"no person {person_id}")
    return person


def contact(*, session: Session, person_id: int) -> dict[str, Any]:
    """The person's notification e-mail address (null when none is known)."""
    _live_person(session, person_id)
    row = session.get(PersonContact, person_id)
    return {"email": row.email if row else None}


def set_contact(
    *, session: Session, person_id: int, email: str | None, commit: bool = True
) -> dict[str, Any]:
    """Set (or with None, remove) the person's notification e-mail address (`commit=False`:
    the caller commits)."""
    _live_person(session, person_id)
    row = session.get(PersonContact, person_id)
    if row is None:
        row = PersonContact(person_id=person_id)
        session.add(row)
    row.email = email.strip() if email else None
    if commit:
        session.commit()
    return {"email": row.email}


def preferences(*, session: Session, person_id: int) -> dict[str, dict[str, bool]]:
    """{channel: {event: wanted}}; everything is wanted until the person opts out."""
    _live_person(session, person_id)
    out = set(
        session.execute(
            select(NotificationOptOut.channel, NotificationOptOut.event).where(
                NotificationOptOut.person_id == person_id
            )
        )
    )
    return {ch: {ev: (ch, ev) not in out for ev in EVENTS} for ch in CHANNELS}


def set_preferences(
    *,
    session: Session,
    person_id: int,
    changes: dict[str, dict[str, bool]],
    commit: bool = True,
) -> dict[str, dict[str, bool]]:
    """Apply {channel: {event: wanted}} (events not named stay as they are; `commit=False`:
    the caller commits)."""
    _live_person(session, person_id)
    for channel, events in changes.items():
        for event, wanted in events.items():
            row = session.scalar(
                select(NotificationOptOut).where(
                    NotificationOptOut.person_id == person_id,
                    NotificationOptOut.channel == channel,
                    NotificationOptOut.event == event,
                )
            )
            if wanted and row is not None:
                session.delete(row)
            elif not wanted and row is None:
                session.add(NotificationOptOut(person_id=person_id, channel=channel, event=event))
    if commit:
        session.commit()
    return preferences(session=session, person_id=person_id)


def forget_person(*, session: Session, person_id: int) -> None:
    """Delete a person's contact, opt-outs, feeds and messages (for erasure; no commit)."""
    for model in (PersonContact, NotificationOptOut, CalendarFeed, Notification):
        session.execute(delete(model).where(model.person_id == person_id))


# --- producers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A message one producer wants queued, before channels and opt-outs are applied."""

    key: str
    event: str
    person_id: int
    assignment_id: int | None
    payload: dict[str, Any]


def produce_notifications(
    *, session: Session, now: datetime, channels: Collection[str], timezone: str
) -> dict[str, int]:
    """Queue every due offer, reminder, cancellation and star message; return counts by event.

    `channels` are the configured ones: a channel that cannot deliver queues nothing (a
    person who adds an e-mail address later still gets the offers that are still open).
    """
    tz = ZoneInfo(timezone)
    counts = {}
    for event, producer in (
        ("offer", _offers),
        ("reminder", _reminders),
        ("cancellation", _cancellations),
        ("star", _stars),
    ):
        counts[event] = 0
        for channel in channels:
            counts[event] += _queue(session, channel, producer(session, channel, now, tz), now)
    session.commit()
    return counts


def _key_expr(prefix: str, column: Any) -> Any:
    # The dedupe key computed in SQL, so that "not queued yet" is one anti-join on its index.
    return literal(prefix + ":", String) + cast(column, String)


def _not_queued(channel: str, key: Any) -> Any:
    return ~exists().where(Notification.channel == channel, Notification.dedupe_key == key)


def _wanted(channel: str, event: str, person_id: Any) -> Any:
    """The person has not opted out, and the channel can reach them (in SQL, so that people
    nobody can reach never fill a producer's batch)."""
    condition = ~exists().where(
        NotificationOptOut.person_id == person_id,
        NotificationOptOut.channel == channel,
        NotificationOptOut.event == event,
    )
    if channel == "email":
        condition = and_(
            condition,
            exists().where(
                PersonContact.person_id == person_id,
                PersonContact.email.is_not(None),
                PersonContact.email != "",
            ),
        )
    return condition


def _seats(
    session: Session, channel: str, event: str, stmt: Any
) -> Sequence[tuple[Assignment, Shift, Need]]:
    stmt = (
        stmt.join(Shift, Shift.id == Assignment.shift_id)
        .join(Need, Need.id == Shift.need_id)
        .join(Person, Person.id == Assignment.person_id)
        .where(Person.erased_at.is_(None), _wanted(channel, event, Assignment.person_id))
        .order_by(Assignment.id)
        .limit(BATCH)
    )
    return session.execute(stmt).all()


def _offers(session: Session, channel: str, now: datetime, tz: ZoneInfo) -> Iterable[Candidate]:
    rows = _seats(
        session,
        channel,
        "offer",
        select(Assignment, Shift, Need).where(
            Assignment.status == "offered",
            Shift.cancelled.is_(False),
            Shift.starts_at > now,
            _not_queued(channel, _key_expr("offer", Assignment.id)),
        ),
    )
    for seat, shift, need in rows:
        payload = _shift_payload(session, "offer", seat, shift, need, tz)
        payload["ics"] = ics.calendar_bytes(session, [seat]).decode()
        yield Candidate(f"offer:{seat.id}", "offer", seat.person_id, seat.id, payload)


def _reminders(session: Session, channel: str, now: datetime, tz: ZoneInfo) -> Iterable[Candidate]:
    rows = _seats(
        session,
        channel,
        "reminder",
        select(Assignment, Shift, Need).where(
            Assignment.status == "confirmed",
            Shift.cancelled.is_(False),
            Shift.starts_at > now,
            Shift.starts_at <= now + REMINDER_AHEAD,
            _not_queued(channel, _key_expr("reminder", Assignment.id)),
        ),
    )
    for seat, shift, need in rows:
        payload = _shift_payload(session, "reminder", seat, shift, need, tz)
        yield Candidate(f"reminder:{seat.id}", "reminder", seat.person_id, seat.id, payload)


def _cancellations(
    session: Session, channel: str, now: datetime, tz: ZoneInfo
) -> Iterable[Candidate]:
    # Only a person who was told of the offer (on this channel) is told it is off; an
    # offer still waiting in the outbox is skipped at delivery instead.
    offer_sent = exists().where(
        Notification.channel == channel,
        Notification.dedupe_key == _key_expr("offer", Assignment.id),
        Notification.status == "sent",
    )
    rows = _seats(
        session,
        channel,
        "cancellation",
        select(Assignment, Shift, Need).where(
            or_(Assignment.status == "cancelled", Shift.cancelled.is_(True)),
            # An excused absence recorded after the shift also cancels the seat: not news.
            Shift.ends_at > now,
            offer_sent,
            _not_queued(channel, _key_expr("cancel", Assignment.id)),
        ),
    )
    for seat, shift, need in rows:
        payload = _shift_payload(session, "cancellation", seat, shift, need, tz)
        yield Candidate(f"cancel:{seat.id}", "cancellation", seat.person_id, seat.id, payload)


def _stars(session: Session, channel: str, now: datetime, tz: ZoneInfo) -> Iterable[Candidate]:
    key = (
        literal("star:", String)
        + cast(StarAward.person_id, String)
        + literal(":", String)
        + cast(StarAward.level, String)
    )
    awards = session.scalars(
        select(StarAward)
        .join(Person, Person.id == StarAward.person_id)
        .where(
            Person.erased_at.is_(None),
            _wanted(channel, "star", StarAward.person_id),
            StarAward.reached_at >= now - STAR_LOOKBACK,
            _not_queued(channel, key),
        )
        .order_by(StarAward.id)
        .limit(BATCH)
    ).all()
    for award in awards:
        hours = award.minutes // 60
        payload = {
            "event": "star",
            "star_level": award.level,
            "subject": f"[Linkage] 星级 {award.level} / Star level {award.level}",
            "text_zh": (
                f"恭喜！您的累计服务时长已达 {hours} 小时，获得 {award.level} 星级志愿者称号。"
            ),
            "text_en": (
                f"Congratulations! With {hours} recorded hours you reached star level "
                f"{award.level}."
            ),
        }
        yield Candidate(
            f"star:{award.person_id}:{award.level}", "star", award.person_id, None, payload
        )


TEXTS = {
    "offer": (
        "新的服务邀请 / New shift offer",
        "您收到一个新的服务邀请：{title}，{when}{where_zh}。请在 Linkage 中接受或谢绝。",
        "You have a new shift offer: {title}, {when}{where_en}. "
        "Please accept or decline it in Linkage.",
    ),
    "reminder": (
        "服务提醒 / Shift reminder",
        "提醒：您的服务将在24小时内开始：{title}，{when}{where_zh}。",
        "Reminder: your shift starts within 24 hours: {title}, {when}{where_en}.",
    ),
    "cancellation": (
        "服务已取消 / Shift cancelled",
        "您的服务已取消：{title}，{when}{where_zh}。",
        "Your shift has been cancelled: {title}, {when}{where_en}.",
    ),
}


def _shift_payload(
    session: Session, event: str, seat: Assignment, shift: Shift, need: Need, tz: ZoneInfo
) -> dict[str, Any]:
    start, end = shift.starts_at.astimezone(tz), shift.ends_at.astimezone(tz)
    when = f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}" + ("" if start.date() == end.date() else " (+1)")
    location = ics.location_of(session, need)
    words = {
        "title": need.title,
        "when": when,
        "where_zh": f"，地点：{location}" if location else "",
        "where_en": f", at {location}" if location else "",
    }
    subject, zh, en = TEXTS[event]
    return {
        "event": event,
        "subject": f"[Linkage] {subject}: {need.title}",
        "text_zh": zh.format(**words),
        "text_en": en.format(**words),
        "need_title": need.title,
        "location": location,
        "starts_at": shift.starts_at.isoformat(),
        "ends_at": shift.ends_at.isoformat(),
        "timezone": str(tz),
    }


def _queue(session: Session, channel: str, candidates: Iterable[Candidate], now: datetime) -> int:
    """Insert the candidates; keys already queued (by a concurrent pass) are left alone."""
    rows = [
        {
            "dedupe_key": c.key,
            "channel": channel,
            "event": c.event,
            "person_id": c.person_id,
            "assignment_id": c.assignment_id,
            "payload": c.payload,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for c in candidates
    ]
    if not rows:
        return 0
    # Two schedulers may queue the same key at once: the unique key decides, nobody fails.
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(Notification)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["channel", "dedupe_key"])
        # RETURNING counts what was inserted (a batched insert reports no rowcount).
        .returning(Notification.id)
    )
    return len(session.execute(stmt).all())
