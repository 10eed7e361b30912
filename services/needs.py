"""Needs posted by organizations: create them with their shifts or recurrence, list, change."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session, selectinload

from models import Assignment, Community, Need, Organization, Position, PositionSkill, Shift
from models.db import utcnow
from services.access import need_condition
from services.assignments import has_service_records
from services.errors import Conflict, Invalid, NotFound
from services.permissions import Reach
from services.positions import build_position, check_skill_codes, skill_ids_by_code
from services.recurrence import expand_rule, parse_rule
from services.shifts import (
    MAX_HORIZON_DAYS,
    add_shift,
    annotate_shifts,
    generate_shifts,
    generate_shifts_for_horizon,
)
from services.versions import check_version

# Re-exported: callers that think in needs (the problem exporter) find generation here too.
__all__ = [
    "create_need",
    "delete_need",
    "generate_shifts",
    "generate_shifts_for_horizon",
    "get_need",
    "list_needs",
    "update_need",
]

NEED_FIELDS = (
    "organization_id",
    "community_id",
    "kind",
    "title",
    "description",
    "lat",
    "lon",
    "priority",
    "requires_background_check",
    "language",
    "points_tier",
    "points_per_hour",
    "active",
)


def _check_references(session: Session, data: Mapping[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    organization_id = data.get("organization_id")
    if organization_id is not None and session.get(Organization, organization_id) is None:
        errors["organization_id"] = [f"no organization with id {organization_id}"]
    community_id = data.get("community_id")
    if community_id is not None and session.get(Community, community_id) is None:
        errors["community_id"] = [f"no community with id {community_id}"]
    return errors


def _check_recurrence(recurrence: Mapping[str, Any] | None, timezone: str) -> dict[str, list[str]]:
    if recurrence is None:
        return {}
    field = "recurrence.rule"
    try:
        parse_rule(recurrence["rule"], dtstart=recurrence["start"], timezone=timezone, field=field)
        # Some rules parse but fail only when expanded (INTERVAL=-1, BYDAY=+9MO): try one horizon.
        expand_rule(
            recurrence["rule"],
            dtstart=recurrence["start"],
            minutes=recurrence["minutes"],
            timezone=timezone,
            start=recurrence["start"],
            end=recurrence["start"] + timedelta(days=MAX_HORIZON_DAYS),
        )
    except Invalid as error:
        return {field: [m for messages in error.errors.values() for m in messages]}
    except (ValueError, IndexError, OverflowError) as error:
        return {field: [f"cannot be expanded: {error}"]}
    return {}


def _normalised_rule(rule: str) -> str:
    text = rule.strip()
    return text[len("RRULE:") :] if text.upper().startswith("RRULE:") else text


def create_need(*, session: Session, data: Mapping[str, Any], timezone: str) -> Need:
    """A need with either one-off `shifts` or a `recurrence` plus template `positions`.

    Every unknown reference and bad rule is reported at once, each under its field path
    (`organization_id`, `recurrence.rule`, `shifts[0].positions[1].skills.<code>`).
    """
    recurrence = data.get("recurrence")
    templates = list(data.get("positions") or ())
    shifts = list(data.get("shifts") or ())
    specs = [(f"positions[{i}].", spec) for i, spec in enumerate(templates)] + [
        (f"shifts[{i}].positions[{j}].", spec)
        for i, shift in enumerate(shifts)
        for j, spec in enumerate(shift.get("positions") or ())
    ]
    known = skill_ids_by_code(
        session=session, codes=[code for _, spec in specs for code in spec.get("skills") or {}]
    )
    errors = _check_references(session, data)
    errors.update(_check_recurrence(recurrence, timezone))
    errors.update(check_skill_codes(specs, known))
    seen: dict[Any, int] = {}
    for i, shift in enumerate(shifts):
        if shift["starts_at"] in seen:
            errors[f"shifts[{i}].starts_at"] = [
                f"shifts[{seen[shift['starts_at']]}] starts then too"
            ]
        seen.setdefault(shift["starts_at"], i)
    if errors:
        raise Invalid("the need is not valid", errors=errors)

    need = Need(**{name: data[name] for name in NEED_FIELDS if name in data})
    if recurrence is not None:
        need.recurrence_rule = _normalised_rule(recurrence["rule"])
        need.recurrence_start = recurrence["start"]
        need.recurrence_minutes = recurrence["minutes"]
    session.add(need)
    session.flush()
    for spec in templates:
        session.add(build_position(need_id=need.id, spec=spec, skill_ids=known))
    created = [
        add_shift(
            session=session,
            need=need,
            starts_at=shift["starts_at"],
            ends_at=shift["ends_at"],
            positions=[
                build_position(need_id=need.id, spec=spec, skill_ids=known)
                for spec in shift.get("positions") or ()
            ],
        )
        for shift in shifts
    ]
    session.commit()
    annotate_shifts(session=session, shifts=created)
    return need


def get_need(*, session: Session, need_id: int) -> Need:
    need = session.get(Need, need_id)
    if need is None:
        raise NotFound(f"need {need_id} not found")
    return need


def _query(filters: Mapping[str, Any]) -> Select[tuple[Need]]:
    stmt = select(Need)
    for name in ("kind", "organization_id", "community_id"):
        if filters.get(name) is not None:
            stmt = stmt.where(getattr(Need, name) == filters[name])
    if filters.get("priority_min") is not None:
        stmt = stmt.where(Need.priority >= filters["priority_min"])
    if filters.get("active") is not None:
        stmt = stmt.where(Need.active.is_(filters["active"]))
    if filters.get("recurring") is True:
        stmt = stmt.where(Need.recurrence_rule.is_not(None))
    elif filters.get("recurring") is False:
        stmt = stmt.where(Need.recurrence_rule.is_(None))
    if filters.get("starts_from") is not None or filters.get("starts_to") is not None:
        in_range = select(Shift.id).where(Shift.need_id == Need.id)
        if filters.get("starts_from") is not None:
            in_range = in_range.where(Shift.starts_at >= filters["starts_from"])
        if filters.get("starts_to") is not None:
            in_range = in_range.where(Shift.starts_at < filters["starts_to"])
        stmt = stmt.where(exists(in_range))
    return stmt


def list_needs(
    *,
    session: Session,
    filters: Mapping[str, Any],
    offset: int = 0,
    limit: int | None = None,
    reach: Reach | None = None,
) -> tuple[list[Need], int]:
    """One page of needs matching `filters` (and in `reach`), by id, and the total."""
    stmt = _query(filters).where(need_condition(reach))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    if offset >= total:
        # Past the end (or a page number too large for the database's OFFSET): nothing.
        return [], total
    page = stmt.options(
        selectinload(Need.template_positions)
        .selectinload(Position.requirements)
        .selectinload(PositionSkill.skill)
    ).order_by(Need.id)
    return list(session.scalars(page.offset(offset).limit(limit))), total


def update_need(
    *,
    session: Session,
    need_id: int,
    changes: Mapping[str, Any],
    timezone: str,
    expected_version: int | None = None,
) -> Need:
    """Change a need's fields; a recurring need may get a new recurrence.

    With a new recurrence, future generated shifts that nobody was put on are removed (the
    next generation follows the new rule); past shifts and those with assignments stay.
    Template changes apply to shifts generated later, not to existing ones.
    """
    need = get_need(session=session, need_id=need_id)
    check_version(need, expected_version, what="need")
    errors = _check_references(session, changes)
    recurrence = changes.get("recurrence")
    if recurrence is not None and need.recurrence_rule is None:
        errors["recurrence"] = ["a one-off need cannot become recurring; create a recurring need"]
    else:
        errors.update(_check_recurrence(recurrence, timezone))
    if errors:
        raise Invalid("the change is not valid", errors=errors)
    for name in NEED_FIELDS:
        if name in changes:
            setattr(need, name, changes[name])
    if recurrence is not None:
        new = (_normalised_rule(recurrence["rule"]), recurrence["start"], recurrence["minutes"])
        if new != (need.recurrence_rule, need.recurrence_start, need.recurrence_minutes):
            need.recurrence_rule, need.recurrence_start, need.recurrence_minutes = new
            _drop_unused_future_occurrences(session, need)
    session.commit()
    return need


def _drop_unused_future_occurrences(session: Session, need: Need) -> None:
    # Occurrences of the old rule that nobody was ever put on: the new rule generates its own.
    # Those with any assignment stay, for the coordinator to cancel or keep.
    anyone = select(Assignment.id).where(Assignment.shift_id == Shift.id)
    stale = session.scalars(
        select(Shift).where(
            Shift.need_id == need.id,
            Shift.generated.is_(True),
            Shift.starts_at >= utcnow(),
            ~exists(anyone),
        )
    ).all()
    for shift in stale:
        session.delete(shift)


def delete_need(*, session: Session, need_id: int) -> None:
    """Remove a need with its shifts, positions and assignments, unless someone served on it."""
    need = get_need(session=session, need_id=need_id)
    if has_service_records(session=session, criterion=Shift.need_id == need_id):
        raise Conflict(
            f"need {need_id} has completed assignments, kept as service records; "
            "deactivate it instead",
            errors={"need_id": ["has completed assignments"]},
        )
    # Template positions hang off the need only; the shifts cascade takes the rest.
    for position in session.scalars(
        select(Position).where(Position.need_id == need_id, Position.shift_id.is_(None))
    ):
        session.delete(position)
    session.delete(need)
    session.commit()
