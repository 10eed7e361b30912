"""Coordinators' pins and forbids, applied to every later matching problem they touch."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import MatchingOverride, Person, Position, Shift, User
from services import audit
from services.errors import Invalid, NotFound


def create_override(
    *,
    session: Session,
    kind: str,
    person_id: int,
    actor: User | None,
    position_id: int | None = None,
    shift_id: int | None = None,
    note: str | None = None,
) -> MatchingOverride:
    """Pin a person to a position (it becomes fixed) or forbid them a shift."""
    target, model = ("position_id", Position) if kind == "pin" else ("shift_id", Shift)
    target_id = position_id if kind == "pin" else shift_id
    other = shift_id if kind == "pin" else position_id
    errors: dict[str, list[str]] = {}
    if target_id is None:
        errors[target] = [f"required for a {kind}"]
    elif session.get(model, target_id) is None:
        errors[target] = [f"no {target.removesuffix('_id')} {target_id}"]
    if other is not None:
        errors["shift_id" if kind == "pin" else "position_id"] = [f"not used by a {kind}"]
    if session.get(Person, person_id) is None:
        errors["person_id"] = [f"no person {person_id}"]
    if errors:
        raise Invalid(f"bad {kind}", errors=errors)
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


def list_overrides(*, session: Session, person_id: int | None = None) -> Sequence[MatchingOverride]:
    stmt = select(MatchingOverride).order_by(MatchingOverride.id)
    if person_id is not None:
        stmt = stmt.where(MatchingOverride.person_id == person_id)
    return session.scalars(stmt).all()


def delete_override(*, session: Session, override_id: int, actor: User | None) -> None:
    override = session.get(MatchingOverride, override_id)
    if override is None:
        raise NotFound(f"no override {override_id}")
    audit.record(
        session=session, actor=actor, action=f"override.{override.kind}.remove", subject=override
    )
    session.delete(override)
    session.commit()
