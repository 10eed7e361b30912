"""The hours and points ledgers: credit a completed assignment once, redeem, adjust, correct."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import Assignment, HoursEntry, IdempotencyKey, PointsAccount, PointsEntry, User
from models.need import POINTS_TIERS
from services import audit
from services.errors import Conflict, Invalid, NotFound

# Star levels by cumulative recorded hours (Guangdong and national community schemes).
STAR_HOURS = (100, 300, 600, 1000, 1500)


def points_for(minutes: int, points_per_hour: int, tier: str) -> int:
    """hours x points per hour x tier multiplier, rounded half up to a whole point.

    Computed exactly (fractions), so 90 minutes at 10 points/hour, tier 1.5, is 22.5 -> 23.
    """
    exact = Fraction(minutes, 60) * points_per_hour * Fraction(str(POINTS_TIERS[tier]))
    return math.floor(exact + Fraction(1, 2))


def star_level(minutes: int) -> int:
    """0-5 stars for a cumulative number of recorded minutes."""
    return sum(minutes >= hours * 60 for hours in STAR_HOURS)


def balance(*, session: Session, person_id: int) -> int:
    return (
        session.scalar(select(PointsAccount.balance).where(PointsAccount.person_id == person_id))
        or 0
    )


def ledger_sum(*, session: Session, person_id: int) -> int:
    """The sum of the person's points entries (always equal to the balance)."""
    return session.scalar(
        select(func.coalesce(func.sum(PointsEntry.points), 0)).where(
            PointsEntry.person_id == person_id
        )
    )


def recorded_minutes(*, session: Session, person_id: int) -> int:
    return session.scalar(
        select(func.coalesce(func.sum(HoursEntry.minutes), 0)).where(
            HoursEntry.person_id == person_id
        )
    )


def _add_to_balance(session: Session, person_id: int, points: int) -> None:
    """Credit the account (created on first use); debits go through `_debit`."""
    updated = session.execute(
        update(PointsAccount)
        .where(PointsAccount.person_id == person_id)
        .values(balance=PointsAccount.balance + points)
    ).rowcount
    if not updated:
        session.add(PointsAccount(person_id=person_id, balance=points))
        session.flush()


def _debit(session: Session, person_id: int, points: int) -> None:
    """Take `points` only if they are there: one conditional UPDATE, safe under concurrency."""
    taken = session.execute(
        update(PointsAccount)
        .where(PointsAccount.person_id == person_id, PointsAccount.balance >= points)
        .values(balance=PointsAccount.balance - points)
    ).rowcount
    if not taken:
        raise Conflict(
            f"person {person_id} has fewer than {points} points",
            errors={"points": [f"balance {balance(session=session, person_id=person_id)}"]},
        )


def credit_completion(
    *, session: Session, assignment_id: int, minutes: int | None = None, actor: User | None = None
) -> tuple[HoursEntry, PointsEntry]:
    """Record a completed assignment's hours and points, exactly once.

    `minutes` defaults to the shift's length. Recording again returns the first entries
    unchanged (the unique indexes make a concurrent second credit fail and fall back here).
    """
    assignment = session.get(Assignment, assignment_id)
    if assignment is None:
        raise NotFound(f"no assignment {assignment_id}")
    if assignment.status != "completed":
        raise Conflict(f"assignment {assignment_id} is {assignment.status}, not completed")
    existing = _credited(session, assignment_id)
    if existing is not None:
        return existing
    hours, points = record_completion(
        session=session, assignment=assignment, minutes=minutes, actor=actor
    )
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        existing = _credited(session, assignment_id)
        if existing is None:
            raise
        return existing
    return hours, points


def record_completion(
    *, session: Session, assignment: Assignment, minutes: int | None, actor: User | None
) -> tuple[HoursEntry, PointsEntry]:
    """`credit_completion` without the commit or the replay check (for bulk loads)."""
    shift = assignment.shift
    served = minutes if minutes is not None else _shift_minutes(shift)
    if served < 0:
        raise Invalid("negative minutes", errors={"minutes": ["must be 0 or more"]})
    need = shift.need
    hours = HoursEntry(
        person_id=assignment.person_id,
        assignment_id=assignment.id,
        kind="service",
        minutes=served,
        actor_user_id=actor.id if actor else None,
    )
    points = PointsEntry(
        person_id=assignment.person_id,
        assignment_id=assignment.id,
        kind="earn",
        points=points_for(served, need.points_per_hour, need.points_tier),
        actor_user_id=actor.id if actor else None,
    )
    session.add_all([hours, points])
    session.flush()
    _add_to_balance(session, assignment.person_id, points.points)
    return hours, points


def _shift_minutes(shift: Any) -> int:
    return int((shift.ends_at - shift.starts_at).total_seconds() // 60)


def _credited(session: Session, assignment_id: int) -> tuple[HoursEntry, PointsEntry] | None:
    hours = session.scalar(
        select(HoursEntry).where(
            HoursEntry.assignment_id == assignment_id, HoursEntry.kind == "service"
        )
    )
    points = session.scalar(
        select(PointsEntry).where(
            PointsEntry.assignment_id == assignment_id, PointsEntry.kind == "earn"
        )
    )
    return (hours, points) if hours is not None and points is not None else None


def redeem(
    *, session: Session, person_id: int, points: int, reason: str | None, actor: User | None
) -> PointsEntry:
    """Spend points and commit; refused (409) rather than overdrawn, also under concurrency."""
    entry = record_redemption(
        session=session, person_id=person_id, points=points, reason=reason, actor=actor
    )
    session.commit()
    return entry


def record_redemption(
    *, session: Session, person_id: int, points: int, reason: str | None, actor: User | None
) -> PointsEntry:
    """`redeem` without the commit, for a caller that commits more with it (idempotency)."""
    if points <= 0:
        raise Invalid("bad amount", errors={"points": ["must be a positive whole number"]})
    _debit(session, person_id, points)
    entry = PointsEntry(
        person_id=person_id,
        kind="redeem",
        points=-points,
        reason=reason,
        actor_user_id=actor.id if actor else None,
    )
    session.add(entry)
    session.flush()
    return entry


def adjust(
    *, session: Session, person_id: int, points: int, reason: str, actor: User | None
) -> PointsEntry:
    """A manual adjustment (either sign) with its reason; audited; committed."""
    entry = record_adjustment(
        session=session, person_id=person_id, points=points, reason=reason, actor=actor
    )
    session.commit()
    return entry


def record_adjustment(
    *, session: Session, person_id: int, points: int, reason: str, actor: User | None
) -> PointsEntry:
    """`adjust` without the commit."""
    if points == 0:
        raise Invalid("bad amount", errors={"points": ["must not be 0"]})
    if not reason or not reason.strip():
        raise Invalid("reason needed", errors={"reason": ["say why"]})
    if points < 0:
        _debit(session, person_id, -points)
    else:
        _add_to_balance(session, person_id, points)
    entry = PointsEntry(
        person_id=person_id,
        kind="adjust",
        points=points,
        reason=reason,
        actor_user_id=actor.id if actor else None,
    )
    session.add(entry)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="points.adjust",
        subject=entry,
        details={"person_id": person_id, "points": points},
    )
    return entry


def correct_points(
    *, session: Session, entry_id: int, reason: str, actor: User | None
) -> PointsEntry:
    """Reverse a points entry with a new entry of the opposite sign; the original stays."""
    original = session.get(PointsEntry, entry_id)
    if original is None:
        raise NotFound(f"no points entry {entry_id}")
    if not reason or not reason.strip():
        raise Invalid("reason needed", errors={"reason": ["say why"]})
    if original.points > 0:
        _debit(session, original.person_id, original.points)
    else:
        _add_to_balance(session, original.person_id, -original.points)
    entry = PointsEntry(
        person_id=original.person_id,
        assignment_id=original.assignment_id,
        kind="correction",
        points=-original.points,
        reason=f"reverses entry {entry_id}: {reason}",
        actor_user_id=actor.id if actor else None,
    )
    session.add(entry)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="points.correct",
        subject=entry,
        details={"reverses": entry_id},
    )
    session.commit()
    return entry


def request_hash(body: Any) -> str:
    """A stable digest of a request body (key order does not matter)."""
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotent(
    *,
    session: Session,
    caller: str,
    key: str,
    body: Any,
    action: Callable[[], tuple[int, dict[str, Any]]],
) -> tuple[int, dict[str, Any]]:
    """Run `action` once per (caller, key); a replay returns the first (status, response).

    The same key with another body is refused (422). `action` must flush, not commit: its
    writes and the key are committed together, so a key never outlives a rolled-back write.
    """
    digest = request_hash(body)
    stored = session.scalar(
        select(IdempotencyKey).where(IdempotencyKey.caller == caller, IdempotencyKey.key == key)
    )
    if stored is not None:
        if stored.request_hash != digest:
            raise Invalid(
                "idempotency key reused",
                errors={"Idempotency-Key": ["already used with a different request body"]},
            )
        return stored.status_code, stored.response
    status, response = action()
    session.add(
        IdempotencyKey(
            caller=caller, key=key, request_hash=digest, status_code=status, response=response
        )
    )
    try:
        session.commit()
    except IntegrityError:
        # The same key committed first in a concurrent request: ours is rolled back whole.
        session.rollback()
        raise Conflict(
            "a request with this idempotency key is being processed",
            errors={"Idempotency-Key": ["in use by a concurrent request; retry to get its result"]},
        ) from None
    return status, response
