"""Delivery of the outbox over e-mail (SMTP) and a JSON webhook, with retries and backoff.

A row is claimed (status `sending`, a lease until `next_attempt_at`) and committed before
anything is sent, then marked sent or rescheduled in a second transaction. A scheduler that
dies between sending and marking leaves the lease to expire, and the row is sent again: at
worst once more per crash. Exactly-once over SMTP or HTTP is impossible; receivers can drop
the repeat by its Message-ID or Idempotency-Key, which stay the same on every attempt.
"""

from __future__ import annotations

import json
import smtplib
import ssl
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import Assignment, Notification, Person, PersonContact

MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=6)
# How long a claimed row stays with its scheduler before another may take it over.
LEASE = timedelta(minutes=5)
BATCH = 100
# The seat states in which a queued message about the seat still makes sense.
STILL_RELEVANT = {
    "offer": ("offered", "confirmed"),
    "reminder": ("confirmed",),
    "cancellation": None,  # always: the seat may even have been deleted
    "star": None,
}


@dataclass(frozen=True)
class SmtpSettings:
    """Where e-mail goes; an empty host switches e-mail off."""

    host: str = "localhost"
    port: int = 25
    user: str | None = None
    password: str | None = None
    sender: str = "linkage@localhost"
    starttls: bool = False
    timeout: float = 30.0

    @property
    def enabled(self) -> bool:
        return bool(self.host)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SmtpSettings:
        """LINKAGE_SMTP_HOST, _PORT, _USER, _PASSWORD, _FROM, _STARTTLS (1/true/yes)."""
        return cls(
            host=env.get("LINKAGE_SMTP_HOST", "localhost"),
            port=int(env.get("LINKAGE_SMTP_PORT") or 25),
            user=env.get("LINKAGE_SMTP_USER") or None,
            password=env.get("LINKAGE_SMTP_PASSWORD") or None,
            sender=env.get("LINKAGE_SMTP_FROM") or "linkage@localhost",
            starttls=env.get("LINKAGE_SMTP_STARTTLS", "").lower() in {"1", "true", "yes"},
        )


@dataclass(frozen=True)
class WebhookSettings:
    """One endpoint that receives every event; `format` "wecom" speaks a WeCom group bot."""

    url: str | None = None
    format: str = "json"
    timeout: float = 10.0

    @property
    def enabled(self) -> bool:
        return bool(self.url)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> WebhookSettings:
        """LINKAGE_WEBHOOK_URL (unset: off) and LINKAGE_WEBHOOK_FORMAT (json or wecom)."""
        fmt = env.get("LINKAGE_WEBHOOK_FORMAT") or "json"
        if fmt not in {"json", "wecom"}:
            raise ValueError("LINKAGE_WEBHOOK_FORMAT must be json or wecom")
        return cls(url=env.get("LINKAGE_WEBHOOK_URL") or None, format=fmt)


def enabled_channels(smtp: SmtpSettings, webhook: WebhookSettings) -> list[str]:
    return [name for name, on in (("email", smtp.enabled), ("webhook", webhook.enabled)) if on]


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Job:
    id: int
    attempts: int
    channel: str
    key: str
    event: str
    person_id: int
    assignment_id: int | None
    payload: dict[str, Any]
    email: str | None


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: 1, 2, 4 ... minutes, capped."""
    return min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_CAP)


def deliver_due(
    *,
    session: Session,
    now: datetime,
    smtp: SmtpSettings,
    webhook: WebhookSettings,
    max_attempts: int = MAX_ATTEMPTS,
    batch: int = BATCH,
) -> DeliveryReport:
    """Send the outbox rows that are due on the configured channels; commits per row."""
    report = DeliveryReport()
    channels = enabled_channels(smtp, webhook)
    if not channels:
        return report
    for job in _claim(session, now, channels, batch, report):
        try:
            if job.channel == "email":
                _send_email(job, smtp)
            else:
                _post_webhook(job, webhook)
        except Exception as exc:  # any failure of the far side is retried
            _failed(session, job, now, max_attempts, exc, report)
        else:
            _mark(session, job, status="sent", sent_at=now, last_error=None)
            report.sent += 1
    return report


def _claim(
    session: Session, now: datetime, channels: list[str], batch: int, report: DeliveryReport
) -> list[_Job]:
    # SKIP LOCKED: a second scheduler claims other rows instead of waiting for these
    # (PostgreSQL; SQLite's single writer serialises the claims anyway).
    rows = session.scalars(
        select(Notification)
        .where(
            Notification.status.in_(("pending", "sending")),
            Notification.next_attempt_at <= now,
            Notification.channel.in_(channels),
        )
        .order_by(Notification.next_attempt_at, Notification.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    ).all()
    jobs = []
    for row in rows:
        email = None
        reason = _stale_reason(session, row, now)
        if reason is None and row.channel == "email":
            contact = session.get(PersonContact, row.person_id)
            email = contact.email if contact else None
            reason = None if email else "no e-mail address"
        if reason is not None:
            row.status, row.last_error = "skipped", reason
            report.skipped += 1
            continue
        row.status = "sending"
        row.attempts += 1
        row.next_attempt_at = now + LEASE
        jobs.append(
            _Job(
                row.id,
                row.attempts,
                row.channel,
                row.dedupe_key,
                row.event,
                row.person_id,
                row.assignment_id,
                dict(row.payload),
                email,
            )
        )
    session.commit()
    return jobs


def _stale_reason(session: Session, row: Notification, now: datetime) -> str | None:
    """Why a queued message is no longer worth sending, if it is not."""
    person = session.get(Person, row.person_id)
    if person is None or person.erased_at is not None:
        return "person erased"
    allowed = STILL_RELEVANT[row.event]
    if allowed is None:
        return None
    seat = session.get(Assignment, row.assignment_id) if row.assignment_id else None
    if seat is None or seat.status not in allowed or seat.shift.cancelled:
        return "seat no longer " + "/".join(allowed)
    if seat.shift.starts_at <= now:
        return "shift already started"
    return None


def _mark(session: Session, job: _Job, **values: Any) -> None:
    # Only the claim that is still ours: a lease that expired may have been taken over.
    session.execute(
        update(Notification)
        .where(
            Notification.id == job.id,
            Notification.status == "sending",
            Notification.attempts == job.attempts,
        )
        .values(**values)
    )
    session.commit()


def _failed(
    session: Session,
    job: _Job,
    now: datetime,
    max_attempts: int,
    exc: Exception,
    report: DeliveryReport,
) -> None:
    error = f"{type(exc).__name__}: {exc}"[:500]
    report.errors.append(error)
    if job.attempts >= max_attempts:
        _mark(session, job, status="failed", last_error=error)
        report.failed += 1
    else:
        _mark(
            session,
            job,
            status="pending",
            next_attempt_at=now + backoff(job.attempts),
            last_error=error,
        )
        report.retried += 1


def idempotency_key(job: _Job) -> str:
    return f"linkage:{job.channel}:{job.key}"


def message_id(job: _Job, sender: str) -> str:
    """The same on every attempt, so that a mail client can drop a repeat."""
    domain = sender.rpartition("@")[2] or "linkage"
    return f"<{job.key.replace(':', '.')}.{job.id}@{domain}>"


def build_email(job: _Job, sender: str) -> EmailMessage:
    """The message of an e-mail job: Chinese first, then English; an .ics for offers."""
    payload = job.payload
    message = EmailMessage()
    message["From"] = sender
    message["To"] = job.email
    message["Subject"] = payload["subject"]
    message["Message-ID"] = message_id(job, sender)
    message["X-Linkage-Event"] = job.event
    message["X-Linkage-Idempotency-Key"] = idempotency_key(job)
    message.set_content(f"{payload['text_zh']}\n\n—\n\n{payload['text_en']}\n")
    if payload.get("ics"):
        message.add_attachment(
            payload["ics"], subtype="calendar", filename="linkage-shift.ics", params={}
        )
    return message


def _send_email(job: _Job, settings: SmtpSettings) -> None:
    message = build_email(job, settings.sender)
    with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
        if settings.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.user:
            smtp.login(settings.user, settings.password or "")
        smtp.send_message(message)


def webhook_body(job: _Job, fmt: str = "json") -> dict[str, Any]:
    """The JSON posted for a job: generic, or a WeCom group bot's text message."""
    payload = job.payload
    if fmt == "wecom":
        return {
            "msgtype": "text",
            "text": {"content": f"{payload['text_zh']}\n{payload['text_en']}"},
        }
    body: dict[str, Any] = {
        "id": idempotency_key(job),
        "event": job.event,
        "person_id": job.person_id,
        "assignment_id": job.assignment_id,
        "text": {"zh-CN": payload["text_zh"], "en": payload["text_en"]},
    }
    if "starts_at" in payload:
        body["shift"] = {
            "title": payload["need_title"],
            "starts_at": payload["starts_at"],
            "ends_at": payload["ends_at"],
            "location": payload["location"],
        }
    if "star_level" in payload:
        body["star_level"] = payload["star_level"]
    return body


def _post_webhook(job: _Job, settings: WebhookSettings) -> None:
    request = urllib.request.Request(
        settings.url,
        data=json.dumps(webhook_body(job, settings.format), ensure_ascii=False).encode(),
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "Idempotency-Key": idempotency_key(job),
            "User-Agent": "Linkage-notifications",
        },
        method="POST",
    )
    # urlopen raises for 4xx and 5xx; a redirect is followed.
    with urllib.request.urlopen(request, timeout=settings.timeout) as response:
        answer = response.read()
    if settings.format == "wecom":
        # A WeCom bot answers 200 with {"errcode": non-zero} when it refuses a message.
        errcode = json.loads(answer or b"{}").get("errcode", 0)
        if errcode:
            raise RuntimeError(f"WeCom errcode {errcode}")
