"""The append-only audit log of sensitive actions."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from models import AuditEvent, User


def record(
    *,
    session: Session,
    actor: User | None,
    action: str,
    subject: Any,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event about `subject` (any model with an id); flushes, never commits."""
    event = AuditEvent(
        actor_user_id=actor.id if actor is not None else None,
        action=action,
        subject_type=type(subject).__tablename__,
        subject_id=str(subject.id),
        details=details or {},
    )
    session.add(event)
    session.flush()
    return event
