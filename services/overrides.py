"""Coordinators' pins and forbids, applied to every later matching problem they touch."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, or_, select, true
from sqlalchemy.orm import Session

from models import MatchingOverride, Person, Position, Shift, User
from services import audit
from services.access import person_condition, person_in_reach, shift_condition, unrestricted
from services.errors import Invalid, NotFound
from services.permissions import Reach


def create_override(
    *,
    session: Session,
    kind: str,
    person_id: int,
    actor: User | None,
    position_id: int | None = None,
    shift_id: int | None = None,
    note: str | None = None,
    reach: Reach | None = None,
) -> MatchingOverride:
    """Pin a person to a position (it becomes fixed) or forbid them a shift."""
    target, model = ("position_id", Position) if kind == "pin" else ("shift_id", Shift)
    target_id = position_id if kind == "pin" else shift_id
    other = shift_id if kind == "pin" else position_id
    errors: dict[str, list[str]] = {}
    if target_id is None:
        errors[target] = [f"required for a {kind}"]
    elif session.get(model, target_id) is None or not _target_in_reach(
        session, reach, model, target_id
    ):
        errors[target] = [f"no {target.removesuffix('_id')} {target_id}"]
    if other is not None:
        errors["shift_id" if kind == "pin" else "position_id"] = [f"not used by a {kind}"]
    if session.get(Person, person_id) is None or not person_in_reach(
        session=session, reach=reach, person_id=person_id
    ):
        errors["person_id"] = [f"no person {person_id}"]
    if errors:
        raise Invalid(f"bad {kind}", errors=errors)
    # The person's row is locked so that a double submit waits here and then finds the first.
    session.execute(select(Person.id).where(Person.id == person_id).with_for_update())
    existing = session.scalar(
        select(MatchingOverride)
        .where(
            MatchingOverride.kind == kind,
            MatchingOverride.person_id == person_id,
            getattr(MatchingOverride, target) == target_id,
        )
        .order_by(MatchingOverride.id)
        .limit(1)
    )
    if existing is not None:
        # The same pin or forbid twice is one: removing it must not leave a copy in force.
        session.commit()
        return existing
    override = MatchingOverride(
        kind=kind,
        person_id=person_id,
        position_id=position_id,
        shift_id=shift_id,
        note=note,
        created_by_user_id=actor.id if actor else None,
    )
    session.add(override)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action=f"override.{kind}",
        subject=override,
        details={"person_id": person_id, target: target_id},
    )
    session.commit()
    return override


def _target_in_reach(
    session: Session, reach: Reach | None, model: type, target_id: int | None
) -> bool:
    position = session.get(Position, target_id) if model is Position and target_id else None
    shift_id = target_id if model is Shift else position.shift_id if position else None
    if shift_id is None:
        return reach is None or reach.role == "admin"
    found = session.scalar(select(Shift.id).where(Shift.id == shift_id, shift_condition(reach)))
    return found is not None


def _targets_in_reach(reach: Reach | None) -> ColumnElement[bool]:
    """Overrides whose shift (a forbid's, or a pinned position's) the caller reaches."""
    if unrestricted(reach):
        return true()
    shifts = select(Shift.id).where(shift_condition(reach))
    return or_(
        and_(MatchingOverride.kind == "forbid", MatchingOverride.shift_id.in_(shifts)),
        and_(
            MatchingOverride.kind == "pin",
            MatchingOverride.position_id.in_(
                select(Position.id).where(Position.shift_id.in_(shifts))
            ),
        ),
    )


def list_overrides(
    *, session: Session, person_id: int | None = None, reach: Reach | None = None
) -> Sequence[MatchingOverride]:
    """Pins and forbids in `reach` (None: all): both the person and the shift or position
    they point at, as delete_override requires."""
    stmt = (
        select(MatchingOverride)
        .join(Person, MatchingOverride.person_id == Person.id)
        .where(person_condition(reach), _targets_in_reach(reach))
        .order_by(MatchingOverride.id)
    )
    if person_id is not None:
        stmt = stmt.where(MatchingOverride.person_id == person_id)
    return session.scalars(stmt).all()


def delete_override(
    *, session: Session, override_id: int, actor: User | None, reach: Reach | None = None
) -> None:
    override = session.get(MatchingOverride, override_id)
    # Both ends in reach: the person, and the shift or position it pins to or forbids.
    target = (
        (Position, override.position_id)
        if override and override.kind == "pin"
        else (Shift, override.shift_id if override else None)
    )
    if (
        override is None
        or not person_in_reach(session=session, reach=reach, person_id=override.person_id)
        or not _target_in_reach(session, reach, *target)
    ):
        raise NotFound(f"no override {override_id}")
    audit.record(
        session=session, actor=actor, action=f"override.{override.kind}.remove", subject=override
    )
    session.delete(override)
    session.commit()
