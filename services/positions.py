"""Positions: the seats of a shift or of a recurring need's template, with skill minimums."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import flag_modified

from models import Need, Position, PositionSkill, Shift, Skill
from services.assignments import filled_counts, has_service_records
from services.errors import Conflict, Invalid, NotFound
from services.versions import check_version

POSITION_FIELDS = ("label", "role", "count", "min_count")


def skill_ids_by_code(*, session: Session, codes: Iterable[str]) -> dict[str, int]:
    """The ids of the known skills among `codes`."""
    wanted = set(codes)
    if not wanted:
        return {}
    rows = session.execute(select(Skill.code, Skill.id).where(Skill.code.in_(wanted)))
    return {code: skill_id for code, skill_id in rows}


def check_skill_codes(
    specs: Iterable[tuple[str, Mapping[str, Any]]], known: Mapping[str, int]
) -> dict[str, list[str]]:
    """Errors keyed `<prefix>.skills.<code>` for each unknown code in (prefix, spec) pairs."""
    errors: dict[str, list[str]] = {}
    for prefix, spec in specs:
        for code in spec.get("skills") or {}:
            if code not in known:
                errors[f"{prefix}skills.{code}"] = [f"unknown skill code {code!r}"]
    return errors


def build_position(
    *, need_id: int, spec: Mapping[str, Any], skill_ids: Mapping[str, int]
) -> Position:
    """A new Position from a validated spec (label, role, count, min_count, skills)."""
    position = Position(need_id=need_id, **{name: spec[name] for name in POSITION_FIELDS})
    position.requirements = [
        PositionSkill(skill_id=skill_ids[code], min_level=level)
        for code, level in (spec.get("skills") or {}).items()
    ]
    return position


def copy_position(position: Position) -> Position:
    """A copy of a template position, requirements included, for a generated shift."""
    copy = Position(
        need_id=position.need_id, **{name: getattr(position, name) for name in POSITION_FIELDS}
    )
    copy.requirements = [
        PositionSkill(skill_id=req.skill_id, min_level=req.min_level)
        for req in position.requirements
    ]
    return copy


def annotate_filled(*, session: Session, positions: Iterable[Position]) -> None:
    """Set `filled` (active assignments) on each position, for output."""
    positions = list(positions)
    counts = filled_counts(session=session, position_ids=[p.id for p in positions])
    for position in positions:
        position.filled = counts.get(position.id, 0)  # type: ignore[attr-defined]


def _with_requirements():
    return selectinload(Position.requirements).selectinload(PositionSkill.skill)


def _get_position(session: Session, position_id: int) -> Position:
    position = session.get(Position, position_id)
    if position is None:
        raise NotFound(f"position {position_id} not found")
    return position


def get_position(*, session: Session, position_id: int) -> Position:
    position = _get_position(session, position_id)
    annotate_filled(session=session, positions=[position])
    return position


def _create(session: Session, *, need_id: int, shift: Shift | None, data: Mapping[str, Any]):
    known = skill_ids_by_code(session=session, codes=data.get("skills") or {})
    errors = check_skill_codes([("", data)], known)
    if errors:
        raise Invalid("unknown skills", errors=errors)
    position = build_position(need_id=need_id, spec=data, skill_ids=known)
    position.shift = shift
    session.add(position)
    session.commit()
    annotate_filled(session=session, positions=[position])
    return position


def list_template_positions(*, session: Session, need_id: int) -> list[Position]:
    """The template positions of a need (copied into each generated shift)."""
    if session.get(Need, need_id) is None:
        raise NotFound(f"need {need_id} not found")
    return list(
        session.scalars(
            select(Position)
            .where(Position.need_id == need_id, Position.shift_id.is_(None))
            .options(_with_requirements())
            .order_by(Position.id)
        )
    )


def create_template_position(
    *, session: Session, need_id: int, data: Mapping[str, Any]
) -> Position:
    """Add a template position to a recurring need; shifts generated later get a copy."""
    need = session.get(Need, need_id)
    if need is None:
        raise NotFound(f"need {need_id} not found")
    if need.recurrence_rule is None:
        raise Conflict(
            f"need {need_id} is one-off: it has no template; add positions to its shifts",
            errors={"need_id": ["not a recurring need"]},
        )
    return _create(session, need_id=need_id, shift=None, data=data)


def list_shift_positions(*, session: Session, shift_id: int) -> list[Position]:
    if session.get(Shift, shift_id) is None:
        raise NotFound(f"shift {shift_id} not found")
    positions = list(
        session.scalars(
            select(Position)
            .where(Position.shift_id == shift_id)
            .options(_with_requirements())
            .order_by(Position.id)
        )
    )
    annotate_filled(session=session, positions=positions)
    return positions


def create_shift_position(*, session: Session, shift_id: int, data: Mapping[str, Any]) -> Position:
    """Add a position to one shift."""
    shift = session.get(Shift, shift_id)
    if shift is None:
        raise NotFound(f"shift {shift_id} not found")
    return _create(session, need_id=shift.need_id, shift=shift, data=data)


def update_position(
    *,
    session: Session,
    position_id: int,
    changes: Mapping[str, Any],
    expected_version: int | None = None,
) -> Position:
    """Change a position; counts are checked against the stored values and current seats."""
    position = _get_position(session, position_id)
    check_version(position, expected_version, what="position")
    count = changes.get("count", position.count)
    min_count = changes.get("min_count", position.min_count)
    if min_count > count:
        field = "min_count" if "min_count" in changes else "count"
        raise Invalid(
            "count must cover min_count",
            errors={field: [f"min_count ({min_count}) must not exceed count ({count})"]},
        )
    if "count" in changes:
        filled = filled_counts(session=session, position_ids=[position.id]).get(position.id, 0)
        if count < filled:
            raise Conflict(
                f"position {position_id} already has {filled} active assignments",
                errors={"count": [f"{filled} seats are taken; cancel assignments first"]},
            )
    if "skills" in changes:
        known = skill_ids_by_code(session=session, codes=changes["skills"])
        errors = check_skill_codes([("", changes)], known)
        if errors:
            raise Invalid("unknown skills", errors=errors)
        # Replace in two flushes: the old rows must go before the unique (position, skill) rows.
        position.requirements = []
        session.flush()
        position.requirements = [
            PositionSkill(skill_id=known[code], min_level=level)
            for code, level in changes["skills"].items()
        ]
    for name in POSITION_FIELDS:
        if name in changes:
            setattr(position, name, changes[name])
    if "skills" in changes:
        # New skill rows leave the position's own row untouched: bump its version anyway,
        # so that an edit made against the old requirements is seen as stale.
        flag_modified(position, "label")
    session.commit()
    annotate_filled(session=session, positions=[position])
    return position


def delete_position(*, session: Session, position_id: int) -> None:
    """Remove a position and its assignments, unless someone has served on it."""
    position = _get_position(session, position_id)
    if has_service_records(session=session, criterion=Position.id == position_id):
        raise Conflict(
            f"position {position_id} has completed assignments, kept as service records",
            errors={"position_id": ["has completed assignments"]},
        )
    session.delete(position)
    session.commit()
