"""The append-only audit log of sensitive actions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import AuditEvent, User
from services.queries import page_of


def record(
    *,
    session: Session,
    actor: User | None,
    action: str,
    subject: Any = None,
    details: dict[str, Any] | None = None,
    subject_type: str | None = None,
    subject_id: str | None = None,
) -> AuditEvent:
    """Add an audit event about `subject` (any model with an id) or about what
    `subject_type`/`subject_id` name (a bulk export, say); flushes, never commits."""
    event = AuditEvent(
        actor_user_id=actor.id if actor is not None else None,
        action=action,
        subject_type=subject_type or type(subject).__tablename__,
        subject_id=subject_id or str(subject.id),
        details=details or {},
    )
    session.add(event)
    session.flush()
    return event


def list_events(
    *, session: Session, offset: int, limit: int | None, **filters: object
) -> tuple[Sequence[AuditEvent], int]:
    """Audit events, newest first, matching every filter given (column = value)."""
    stmt = (
        select(AuditEvent)
        .where(*(getattr(AuditEvent, key) == value for key, value in filters.items()))
        .order_by(AuditEvent.id.desc())
    )
    return page_of(session, stmt, offset=offset, limit=limit)
