"""Delivery end to end: a real SMTP server (aiosmtpd) and a real HTTP server receive the outbox."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import icalendar
import pytest
from aiosmtpd.controller import Controller

from models import Notification, db
from services import notifications
from services.notification_delivery import SmtpSettings, WebhookSettings, deliver_due
from tests.factories import AssignmentFactory, PersonFactory, PositionFactory, ShiftFactory

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Inbox:
    """aiosmtpd handler: keeps every message as received on the wire."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.recipients.append(list(envelope.rcpt_tos))
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 OK"


@pytest.fixture
def smtp_server():
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield (
            inbox,
            SmtpSettings(host="127.0.0.1", port=controller.port, sender="notify@linkage.example"),
        )
    finally:
        controller.stop()


@pytest.fixture
def webhook_server():
    received: list[tuple[dict[str, str], dict]] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with lock:
                received.append((dict(self.headers), body))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield received, WebhookSettings(url=f"http://127.0.0.1:{server.server_port}/hook")
    finally:
        server.shutdown()
        server.server_close()


def _offered_seat(title="Lantern Festival helpers"):
    person = PersonFactory()
    notifications.set_contact(session=db.session, person_id=person.id, email="zhou@example.org")
    start = NOW + timedelta(days=3)
    shift = ShiftFactory(starts_at=start, ends_at=start + timedelta(hours=3), need__title=title)
    seat = AssignmentFactory(person=person, position=PositionFactory(shift=shift), status="offered")
    db.session.commit()
    return seat


def _produce(channels=("email", "webhook")):
    notifications.produce_notifications(
        session=db.session, now=NOW, channels=channels, timezone="Asia/Shanghai"
    )


def test_offer_arrives_by_email_with_its_ics_and_by_webhook(app, smtp_server, webhook_server):
    inbox, smtp = smtp_server
    received, webhook = webhook_server
    seat = _offered_seat()
    _produce()

    report = deliver_due(session=db.session, now=NOW, smtp=smtp, webhook=webhook)
    assert (report.sent, report.retried, report.failed) == (2, 0, 0)

    [message] = inbox.messages
    assert inbox.recipients == [["zhou@example.org"]]
    assert message["To"] == "zhou@example.org"
    assert "Lantern Festival helpers" in message["Subject"]
    assert "新的服务邀请" in message["Subject"]
    assert message["Message-ID"].endswith("@linkage.example>")
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "您收到一个新的服务邀请" in text and "You have a new shift offer" in text
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    event = icalendar.Calendar.from_ical(attachment.get_content()).walk("VEVENT")[0]
    assert str(event["UID"]) == f"assignment-{seat.id}@linkage"
    assert event.decoded("DTSTART") == NOW + timedelta(days=3)

    [(headers, body)] = received
    assert headers["Idempotency-Key"] == f"linkage:webhook:offer:{seat.id}"
    assert body["event"] == "offer" and body["person_id"] == seat.person_id
    assert body["shift"]["starts_at"] == (NOW + timedelta(days=3)).isoformat()
    assert "Lantern Festival helpers" in body["text"]["zh-CN"]
    assert "Lantern Festival helpers" in body["text"]["en"]

    # Everything is marked sent: another pass, or another producer run, sends nothing more.
    _produce()
    again = deliver_due(
        session=db.session, now=NOW + timedelta(hours=1), smtp=smtp, webhook=webhook
    )
    assert again.sent == 0 and len(inbox.messages) == 1 and len(received) == 1
    statuses = db.session.scalars(db.select(Notification.status)).all()
    assert statuses == ["sent", "sent"]


def test_smtp_down_is_retried_and_delivered_when_it_is_back(app, smtp_server, webhook_server):
    inbox, smtp = smtp_server
    _offered_seat()
    _produce(channels=("email",))
    down = SmtpSettings(host="127.0.0.1", port=_free_port(), sender=smtp.sender)
    no_webhook = WebhookSettings()

    first = deliver_due(session=db.session, now=NOW, smtp=down, webhook=no_webhook)
    assert first.retried == 1 and inbox.messages == []
    row = db.session.scalars(db.select(Notification)).one()
    assert row.status == "pending" and "Error" in row.last_error

    later = deliver_due(session=db.session, now=row.next_attempt_at, smtp=smtp, webhook=no_webhook)
    assert later.sent == 1 and len(inbox.messages) == 1
    db.session.refresh(row)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)


def test_two_schedulers_delivering_at_once_send_each_message_once(app, webhook_server):
    received, webhook = webhook_server
    for n in range(12):
        _offered_seat(title=f"Need {n}")
    _produce(channels=("webhook",))
    db.session.remove()

    def scheduler():
        # Each thread has its own app context, hence its own session and connection.
        with app.app_context():
            deliver_due(
                session=db.session, now=NOW, smtp=SmtpSettings(host=""), webhook=webhook, batch=5
            )
            deliver_due(
                session=db.session, now=NOW, smtp=SmtpSettings(host=""), webhook=webhook, batch=5
            )
            deliver_due(
                session=db.session, now=NOW, smtp=SmtpSettings(host=""), webhook=webhook, batch=5
            )
            db.session.remove()

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    keys = sorted(headers["Idempotency-Key"] for headers, _body in received)
    assert len(keys) == 12 and len(set(keys)) == 12
    assert db.session.scalars(db.select(Notification.status)).all() == ["sent"] * 12
