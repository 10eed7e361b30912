"""Notification producers (offer, reminder, cancellation, star), opt-outs and delivery retries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from models import Notification, StarAward, db
from services import calendar_feed, notifications
from services.errors import NotFound
from services.notification_delivery import (
    LEASE,
    SmtpSettings,
    WebhookSettings,
    backoff,
    deliver_due,
)
from tests.factories import AssignmentFactory, PersonFactory, PositionFactory, ShiftFactory

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
TZ = "Asia/Shanghai"
BOTH = ("email", "webhook")
# Nothing listens on port 9 of this machine: every webhook attempt is refused at once.
DEAD_WEBHOOK = WebhookSettings(url="http://127.0.0.1:9/hook", timeout=2)
NO_SMTP = SmtpSettings(host="")


def _person(email: str | None = "wang@example.org"):
    person = PersonFactory()
    if email:
        notifications.set_contact(session=db.session, person_id=person.id, email=email)
    return person


def _seat(person, *, status="offered", starts_in=timedelta(days=2), title="Visit Mrs Chen"):
    shift = ShiftFactory(
        starts_at=NOW + starts_in, ends_at=NOW + starts_in + timedelta(hours=2), need__title=title
    )
    seat = AssignmentFactory(person=person, position=PositionFactory(shift=shift), status=status)
    db.session.commit()
    return seat


def _produce(now=NOW, channels=BOTH):
    return notifications.produce_notifications(
        session=db.session, now=now, channels=channels, timezone=TZ
    )


def _rows(**where):
    stmt = select(Notification).order_by(Notification.channel, Notification.id)
    for name, value in where.items():
        stmt = stmt.where(getattr(Notification, name) == value)
    return db.session.scalars(stmt).all()


def test_offer_is_queued_once_per_channel_with_an_ics(app):
    seat = _seat(_person())

    assert _produce()["offer"] == 2
    assert _produce()["offer"] == 0  # a second pass (or a second scheduler) adds nothing

    rows = _rows(event="offer")
    assert [(r.channel, r.dedupe_key) for r in rows] == [
        ("email", f"offer:{seat.id}"),
        ("webhook", f"offer:{seat.id}"),
    ]
    payload = rows[0].payload
    assert "Visit Mrs Chen" in payload["text_zh"] and "Visit Mrs Chen" in payload["text_en"]
    # Shown in Shanghai time: 02:00 UTC + 2 days is 10:00 there.
    assert "2026-11-30 10:00–12:00" in payload["text_en"]
    event = icalendar.Calendar.from_ical(payload["ics"]).walk("VEVENT")[0]
    assert str(event["UID"]) == f"assignment-{seat.id}@linkage"
    assert str(event["SUMMARY"]) == "Visit Mrs Chen"
    assert event.decoded("DTSTART") == NOW + timedelta(days=2)
    assert event.decoded("DTEND") == NOW + timedelta(days=2, hours=2)


def test_no_email_without_an_address_and_none_after_opting_out(app):
    _seat(_person(email=None))
    opted_out = _person()
    notifications.set_preferences(
        session=db.session, person_id=opted_out.id, changes={"email": {"offer": False}}
    )
    _seat(opted_out)

    _produce()

    assert {(r.channel, r.person_id) for r in _rows()} == {
        ("webhook", r.person_id) for r in _rows()
    }
    assert len(_rows(channel="webhook")) == 2


def test_unconfigured_channel_queues_nothing(app):
    _seat(_person())
    assert _produce(channels=()) == {"offer": 0, "reminder": 0, "cancellation": 0, "star": 0}
    assert _rows() == []


def test_no_offer_for_past_or_cancelled_shifts(app):
    person = _person()
    _seat(person, starts_in=timedelta(hours=-1))
    cancelled = _seat(person, starts_in=timedelta(days=3))
    cancelled.shift.cancelled = True
    db.session.commit()
    assert _produce()["offer"] == 0


def test_reminder_for_confirmed_seats_within_24_hours_only(app):
    person = _person()
    soon = _seat(person, status="confirmed", starts_in=timedelta(hours=20))
    _seat(person, status="confirmed", starts_in=timedelta(hours=30))
    _seat(person, status="offered", starts_in=timedelta(hours=10))
    _seat(person, status="confirmed", starts_in=timedelta(hours=-1))

    _produce()

    assert {r.dedupe_key for r in _rows(event="reminder")} == {f"reminder:{soon.id}"}
    # Six hours later the 30-hour seat has come into range.
    _produce(now=NOW + timedelta(hours=6))
    assert len(_rows(event="reminder", channel="email")) == 2


def test_cancellation_only_for_seats_whose_offer_was_sent(app):
    person = _person()
    told = _seat(person)
    untold = _seat(person, starts_in=timedelta(days=4))
    _produce(channels=("webhook",))
    db.session.execute(
        Notification.__table__.update()
        .where(Notification.dedupe_key == f"offer:{told.id}")
        .values(status="sent")
    )
    told.status = "cancelled"
    untold.status = "cancelled"
    db.session.commit()

    assert _produce(channels=("webhook",))["cancellation"] == 1
    assert [r.dedupe_key for r in _rows(event="cancellation")] == [f"cancel:{told.id}"]
    assert _produce(channels=("webhook",))["cancellation"] == 0


def test_cancelled_shift_counts_as_a_cancellation(app):
    seat = _seat(_person(), status="confirmed")
    db.session.add(
        Notification(
            dedupe_key=f"offer:{seat.id}",
            channel="email",
            event="offer",
            person_id=seat.person_id,
            assignment_id=seat.id,
            payload={},
            status="sent",
        )
    )
    seat.shift.cancelled = True
    db.session.commit()
    _produce(channels=("email",))
    assert [r.dedupe_key for r in _rows(event="cancellation")] == [f"cancel:{seat.id}"]


def test_star_level_is_announced_once_and_history_is_not(app):
    person = _person()
    db.session.add_all(
        [
            StarAward(
                person_id=person.id, level=1, minutes=6000, reached_at=NOW - timedelta(days=60)
            ),
            StarAward(
                person_id=person.id, level=2, minutes=18000, reached_at=NOW - timedelta(hours=1)
            ),
        ]
    )
    db.session.commit()

    _produce()
    _produce()

    rows = _rows(event="star", channel="email")
    assert [r.dedupe_key for r in rows] == [f"star:{person.id}:2"]
    assert "300" in rows[0].payload["text_en"]


def test_erased_person_gets_nothing(app):
    person = _person()
    _seat(person)
    person.erased_at = NOW
    db.session.commit()
    assert _produce()["offer"] == 0


def test_failed_delivery_is_retried_with_backoff_then_given_up(app):
    _seat(_person())
    _produce(channels=("webhook",))
    moment = NOW
    for attempt in range(1, 4):
        report = deliver_due(
            session=db.session, now=moment, smtp=NO_SMTP, webhook=DEAD_WEBHOOK, max_attempts=3
        )
        row = _rows()[0]
        assert row.attempts == attempt
        assert row.last_error
        if attempt < 3:
            assert (report.retried, row.status) == (1, "pending")
            assert row.next_attempt_at == moment + backoff(attempt)
            # Not due before the backoff has passed.
            early = deliver_due(
                session=db.session,
                now=row.next_attempt_at - timedelta(seconds=1),
                smtp=NO_SMTP,
                webhook=DEAD_WEBHOOK,
            )
            assert early.retried == 0
            moment = row.next_attempt_at
        else:
            assert (report.failed, row.status) == (1, "failed")
    assert backoff(1) == timedelta(minutes=1) and backoff(3) == timedelta(minutes=4)


def test_a_claim_left_by_a_dead_scheduler_is_taken_over_after_its_lease(app):
    _seat(_person())
    _produce(channels=("webhook",))
    row = _rows()[0]
    # What a scheduler that died after claiming leaves behind.
    row.status, row.attempts, row.next_attempt_at = "sending", 1, NOW + LEASE
    db.session.commit()

    kwargs = {"session": db.session, "smtp": NO_SMTP, "webhook": DEAD_WEBHOOK}
    assert deliver_due(now=NOW + LEASE - timedelta(seconds=1), **kwargs).retried == 0
    assert deliver_due(now=NOW + LEASE, **kwargs).retried == 1
    assert _rows()[0].attempts == 2


def test_offer_no_longer_open_is_skipped_not_sent(app):
    seat = _seat(_person())
    _produce(channels=("webhook",))
    seat.status = "declined"
    db.session.commit()
    report = deliver_due(session=db.session, now=NOW, smtp=NO_SMTP, webhook=DEAD_WEBHOOK)
    assert (report.skipped, report.retried) == (1, 0)
    assert _rows()[0].status == "skipped"


def test_preferences_default_to_everything_and_change_per_event(app):
    person = _person()
    everything = notifications.preferences(session=db.session, person_id=person.id)
    assert all(all(events.values()) for events in everything.values())
    changed = notifications.set_preferences(
        session=db.session,
        person_id=person.id,
        changes={"webhook": {"star": False, "offer": False}},
    )
    assert changed["webhook"] == {
        "offer": False,
        "reminder": True,
        "cancellation": True,
        "star": False,
    }
    again = notifications.set_preferences(
        session=db.session, person_id=person.id, changes={"webhook": {"offer": True}}
    )
    assert again["webhook"]["offer"] and not again["webhook"]["star"]
    assert all(again["email"].values())


def test_forget_person_removes_contact_feed_and_messages(app):
    person = _person()
    _seat(person)
    _produce()
    calendar_feed.rotate_feed(session=db.session, person_id=person.id)
    notifications.forget_person(session=db.session, person_id=person.id)
    db.session.commit()
    assert _rows() == []
    assert notifications.contact(session=db.session, person_id=person.id) == {"email": None}


def test_contact_of_unknown_person_is_not_found(app):
    with pytest.raises(NotFound):
        notifications.contact(session=db.session, person_id=424242)


def test_migration_matches_the_models(app):
    ours = {"person_contacts", "notification_opt_outs", "notifications", "calendar_feeds"}
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    mine = [d for d in diff if _table_of(d) in ours]
    assert mine == []


def _table_of(diff) -> str | None:
    item = diff[0] if isinstance(diff, list) else diff
    for part in item[1:]:
        table = getattr(part, "table", None)
        if table is not None:
            return table.name
        name = getattr(part, "name", None)
        if isinstance(part, str):
            return part
        if name and hasattr(part, "columns") and hasattr(part, "c"):
            return name
    return None
