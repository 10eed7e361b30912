"""The hours and points ledgers: credit a completed assignment once, redeem, adjust, correct."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import Assignment, HoursEntry, IdempotencyKey, Person, PointsAccount, PointsEntry, User
from models.need import POINTS_TIERS
from services import audit, recognition
from services.errors import Conflict, Invalid, NotFound
from services.intervals import whole_minutes
from services.queries import MAX_ID, lookup, page_of

# Room is left in the 300-character column for what a correction adds (the shortfall note).
REASON_MAX = 200
# The dialects whose INSERT ... ON CONFLICT creates an account and credits it in one statement.
_UPSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
_ALREADY_REVERSED = "this entry is already reversed"


def points_for(minutes: int, points_per_hour: int, tier: str) -> int:
    """hours x points per hour x tier multiplier, rounded half up to a whole point.

    Computed exactly (fractions), so 90 minutes at 10 points/hour, tier 1.5, is 22.5 -> 23.
    """
    exact = Fraction(minutes, 60) * points_per_hour * Fraction(str(POINTS_TIERS[tier]))
    return math.floor(exact + Fraction(1, 2))


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


def _require_person(session: Session, person_id: int) -> None:
    if lookup(session, Person, person_id) is None:
        raise NotFound(f"person {person_id} not found")


def _require_reason(reason: str | None) -> str:
    if reason is None or not reason.strip():
        raise Invalid("reason needed", errors={"reason": ["say why"]})
    if len(reason) > REASON_MAX:
        raise Invalid("reason too long", errors={"reason": [f"at most {REASON_MAX} characters"]})
    return reason


def _add_to_balance(session: Session, person_id: int, points: int) -> None:
    """Credit the account, creating it on first use, in one statement.

    A SELECT-then-INSERT would let two concurrent first credits both insert; ON CONFLICT makes
    the second wait for the first and add to its row. Debits go through `_debit`.
    """
    insert = _UPSERT[session.get_bind().dialect.name]
    stmt = insert(PointsAccount).values(person_id=person_id, balance=points)
    stmt = stmt.on_conflict_do_update(
        index_elements=[PointsAccount.person_id],
        set_={"balance": PointsAccount.balance + stmt.excluded.balance},
    )
    session.execute(stmt)


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


# --- crediting a completed assignment ------------------------------------------------------


def credit_completion(
    *, session: Session, assignment_id: int, minutes: int | None = None, actor: User | None = None
) -> tuple[HoursEntry, PointsEntry]:
    """Record a completed assignment's hours and points, exactly once.

    `minutes` defaults to the shift's length. Recording again returns the first entries
    unchanged (the unique indexes make a concurrent second credit fail and fall back here).
    """
    assignment = lookup(session, Assignment, assignment_id)
    if assignment is None:
        raise NotFound(f"no assignment {assignment_id}")
    if assignment.status != "completed":
        raise Conflict(f"assignment {assignment_id} is {assignment.status}, not completed")
    existing = _credited(session, assignment_id)
    if existing is not None:
        return existing
    for attempt in range(2):
        hours, points = record_completion(
            session=session, assignment=assignment, minutes=minutes, actor=actor
        )
        try:
            session.commit()
            return hours, points
        except IntegrityError:
            session.rollback()
            existing = _credited(session, assignment_id)
            if existing is not None:
                return existing
            # Not our credit that clashed: a concurrent credit of another assignment awarded
            # the same star level first. Once more, and the award is already there.
            if attempt:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def record_completion(
    *, session: Session, assignment: Assignment, minutes: int | None, actor: User | None
) -> tuple[HoursEntry, PointsEntry]:
    """`credit_completion` without the commit or the replay check; flushes, awards stars."""
    shift = assignment.shift
    served = minutes if minutes is not None else whole_minutes(shift.starts_at, shift.ends_at)
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
    recognition.award_stars(session=session, person_id=assignment.person_id)
    return hours, points


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


# --- redemptions and adjustments -----------------------------------------------------------


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
    if reason is not None and len(reason) > REASON_MAX:
        raise Invalid("reason too long", errors={"reason": [f"at most {REASON_MAX} characters"]})
    _require_person(session, person_id)
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
    _require_reason(reason)
    _require_person(session, person_id)
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


# --- reversing a points entry --------------------------------------------------------------


def get_points_entry(*, session: Session, entry_id: int) -> PointsEntry:
    entry = lookup(session, PointsEntry, entry_id)
    if entry is None:
        raise NotFound(f"points entry {entry_id} not found")
    return entry


def correct_points(
    *, session: Session, entry_id: int, reason: str, actor: User | None
) -> PointsEntry:
    """Reverse a redemption or adjustment with an entry of the opposite sign; committed."""
    entry = record_points_correction(session=session, entry_id=entry_id, reason=reason, actor=actor)
    session.commit()
    return entry


def record_points_correction(
    *, session: Session, entry_id: int, reason: str, actor: User | None
) -> PointsEntry:
    """`correct_points` without the commit. The original entry stays; it is reversed once.

    Earned points are not reversed here: they follow the hours (`correct_hours`), or the
    points would disagree with the legal record. A correction is not reversed either: a
    mistaken one is put right by a new adjustment.
    """
    original = get_points_entry(session=session, entry_id=entry_id)
    _require_reason(reason)
    if original.kind == "earn":
        raise Conflict(
            "earned points follow the hours",
            errors={
                "entry_id": [
                    "earned points are not reversed: correct the hours of assignment "
                    f"{original.assignment_id} instead"
                ]
            },
        )
    if original.kind == "correction":
        raise Conflict(
            "a correction is not reversed",
            errors={"entry_id": ["a correction is not reversed: make an adjustment instead"]},
        )
    reversal = _reversal_of(session, entry_id)
    if reversal is not None:
        raise Conflict(_ALREADY_REVERSED, errors={"entry_id": [f"reversed by entry {reversal}"]})
    entry = PointsEntry(
        person_id=original.person_id,
        assignment_id=original.assignment_id,
        kind="correction",
        points=-original.points,
        reason=reason,
        reverses_entry_id=entry_id,
        actor_user_id=actor.id if actor else None,
    )
    try:
        # A concurrent second reversal passes the check above and stops at the unique index;
        # the savepoint keeps the caller's transaction usable for the error answer.
        with session.begin_nested():
            session.add(entry)
    except IntegrityError:
        raise Conflict(
            _ALREADY_REVERSED, errors={"entry_id": ["reversed by a concurrent request"]}
        ) from None
    if original.points > 0:
        _debit(session, original.person_id, original.points)
    else:
        _add_to_balance(session, original.person_id, -original.points)
    audit.record(
        session=session,
        actor=actor,
        action="points.correct",
        subject=entry,
        details={"reverses": entry_id, "points": entry.points},
    )
    return entry


def _reversal_of(session: Session, entry_id: int) -> int | None:
    return session.scalar(select(PointsEntry.id).where(PointsEntry.reverses_entry_id == entry_id))


# --- correcting the hours of an assignment -------------------------------------------------


@dataclass(frozen=True)
class HoursCorrection:
    """What `correct_hours` wrote: the hours entry, the points entry (None when the points do
    not change), the points that could not be taken back, and the new totals."""

    hours_entry: HoursEntry
    points_entry: PointsEntry | None
    shortfall: int
    minutes: int
    balance: int


def correct_hours(
    *, session: Session, assignment_id: int, minutes: int, reason: str, actor: User | None
) -> HoursCorrection:
    """Set a credited assignment's served minutes to `minutes`, points following; committed."""
    result = record_hours_correction(
        session=session, assignment_id=assignment_id, minutes=minutes, reason=reason, actor=actor
    )
    session.commit()
    return result


def record_hours_correction(
    *, session: Session, assignment_id: int, minutes: int, reason: str, actor: User | None
) -> HoursCorrection:
    """`correct_hours` without the commit.

    Hours are the legal record, so the correction always goes through. The points move to
    `points_for(minutes)` at the need's current rate; what has already been spent cannot be
    taken back: only the balance is debited, and the rest is named as the shortfall.
    """
    if minutes < 0:
        raise Invalid("negative minutes", errors={"minutes": ["must be 0 or more"]})
    _require_reason(reason)
    # Locked so that two corrections of one assignment do not both start from the same total.
    assignment = (
        session.scalar(select(Assignment).where(Assignment.id == assignment_id).with_for_update())
        if 0 < assignment_id <= MAX_ID
        else None
    )
    if assignment is None:
        raise NotFound(f"no assignment {assignment_id}")
    credited = _credited(session, assignment_id)
    if credited is None:
        raise Conflict(
            "not credited",
            errors={"assignment_id": ["no service has been recorded for this assignment"]},
        )
    service, _ = credited
    person_id = assignment.person_id
    served = _sum(session, HoursEntry.minutes, HoursEntry.assignment_id == assignment_id)
    delta = minutes - served
    if delta == 0:
        raise Invalid(
            "nothing to correct", errors={"minutes": [f"{served} minutes are already recorded"]}
        )
    hours = HoursEntry(
        person_id=person_id,
        assignment_id=assignment_id,
        kind="correction",
        minutes=delta,
        reason=reason,
        corrects_entry_id=service.id,
        actor_user_id=actor.id if actor else None,
    )
    session.add(hours)
    session.flush()

    need = assignment.shift.need
    current = _sum(
        session,
        PointsEntry.points,
        PointsEntry.assignment_id == assignment_id,
        PointsEntry.kind.in_(("earn", "correction")),
    )
    wanted = points_for(minutes, need.points_per_hour, need.points_tier) - current
    points, shortfall = _move_points(session, person_id, assignment_id, wanted, reason, actor)
    audit.record(
        session=session,
        actor=actor,
        action="hours.correct",
        subject=hours,
        details={
            "assignment_id": assignment_id,
            "minutes": minutes,
            "delta": delta,
            "points": points.points if points else 0,
            "shortfall": shortfall,
        },
    )
    recognition.award_stars(session=session, person_id=person_id)
    return HoursCorrection(
        hours_entry=hours,
        points_entry=points,
        shortfall=shortfall,
        minutes=minutes,
        balance=balance(session=session, person_id=person_id),
    )


def _move_points(
    session: Session,
    person_id: int,
    assignment_id: int,
    wanted: int,
    reason: str,
    actor: User | None,
) -> tuple[PointsEntry | None, int]:
    """Move the balance by `wanted` for an hours correction: (the entry, the shortfall)."""
    if wanted == 0:
        return None, 0
    shortfall = 0
    if wanted > 0:
        _add_to_balance(session, person_id, wanted)
        moved = wanted
    else:
        # Locked, so the balance read is the one debited (SQLite's writers are serial anyway).
        held = session.scalar(
            select(PointsAccount.balance)
            .where(PointsAccount.person_id == person_id)
            .with_for_update()
        )
        moved = -min(-wanted, held or 0)
        shortfall = -wanted + moved
        if moved:
            _debit(session, person_id, -moved)
        if shortfall:
            reason = f"{reason} (shortfall: {shortfall} points already spent, not taken back)"
    entry = PointsEntry(
        person_id=person_id,
        assignment_id=assignment_id,
        kind="correction",
        points=moved,
        reason=reason,
        actor_user_id=actor.id if actor else None,
    )
    session.add(entry)
    session.flush()
    return entry, shortfall


def _sum(session: Session, column: Any, *conditions: Any) -> int:
    return session.scalar(select(func.coalesce(func.sum(column), 0)).where(*conditions))


# --- statements ------------------------------------------------------------------------------


def list_points_entries(
    *, session: Session, person_id: int, offset: int, limit: int | None
) -> tuple[Sequence[PointsEntry], int]:
    """The person's points entries, newest first (the person must exist)."""
    _require_person(session, person_id)
    stmt = (
        select(PointsEntry)
        .where(PointsEntry.person_id == person_id)
        .order_by(PointsEntry.id.desc())
    )
    return page_of(session, stmt, offset=offset, limit=limit)


def list_hours_entries(
    *, session: Session, person_id: int, offset: int, limit: int | None
) -> tuple[Sequence[HoursEntry], int]:
    """The person's hours entries, newest first (the person must exist)."""
    _require_person(session, person_id)
    stmt = (
        select(HoursEntry).where(HoursEntry.person_id == person_id).order_by(HoursEntry.id.desc())
    )
    return page_of(session, stmt, offset=offset, limit=limit)


def hours_summary(*, session: Session, person_id: int) -> dict[str, Any]:
    """Recorded minutes, the star level they give, and each level's award."""
    _require_person(session, person_id)
    minutes = recognition.recorded_minutes(session=session, person_id=person_id)
    return {
        "minutes": minutes,
        "star_level": recognition.star_level(minutes),
        "star_awards": recognition.awards(session=session, person_id=person_id),
    }


# --- idempotency ---------------------------------------------------------------------------


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
    A refused action (an error) stores nothing: the same key may be tried again.
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
    try:
        status, response = action()
    except Exception:
        session.rollback()
        raise
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
