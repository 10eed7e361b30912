"""A person's service record: completed services with recorded hours, totals and star level."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from models import Assignment, HoursEntry, Need, Organization, Person, Shift
from models.db import utcnow
from services.errors import NotFound
from services.queries import lookup
from services.recognition import recorded_minutes, star_level
from services.reports import MAX_HOURS_DAYS, csv_bytes, parse_period

CSV_HEADER = (
    "assignment_id",
    "date",
    "starts_at",
    "ends_at",
    "organization",
    "need",
    "kind",
    "minutes",
    "hours",
)


def _recorded_by_assignment(session: Session, person_id: int) -> dict[int, int]:
    """The person's ledger minutes per assignment; a correction counts with what it corrects."""
    corrected = aliased(HoursEntry)
    attributed = func.coalesce(HoursEntry.assignment_id, corrected.assignment_id)
    return {
        assignment_id: int(minutes)
        for assignment_id, minutes in session.execute(
            select(attributed, func.sum(HoursEntry.minutes))
            .select_from(HoursEntry)
            .outerjoin(corrected, corrected.id == HoursEntry.corrects_entry_id)
            .where(HoursEntry.person_id == person_id, attributed.is_not(None))
            .group_by(attributed)
        )
    }


def service_record(
    *,
    session: Session,
    person_id: int,
    timezone: str,
    first: date | None = None,
    after: date | None = None,
) -> dict[str, Any]:
    """Completed services (shift start in [first, after), or all when no period is given) with
    their recorded minutes, per-organization totals, and the person's star level.

    An erased person appears under their pseudonym only.
    """
    person = lookup(session, Person, person_id)
    if person is None:
        raise NotFound(f"person {person_id} not found")
    period = parse_period(first, after, timezone=timezone, max_days=MAX_HOURS_DAYS, required=False)
    recorded = _recorded_by_assignment(session, person_id)
    stmt = (
        select(Assignment.id, Assignment.status, Shift, Need.title, Need.kind, Organization)
        .join(Shift, Shift.id == Assignment.shift_id)
        .join(Need, Need.id == Shift.need_id)
        .join(Organization, Organization.id == Need.organization_id)
        .where(Assignment.person_id == person_id)
        .order_by(Shift.starts_at, Assignment.id)
    )
    if period is not None:
        stmt = stmt.where(Shift.starts_at >= period.start, Shift.starts_at < period.end)
    tz = ZoneInfo(timezone)
    services = []
    by_organization: dict[int, dict[str, Any]] = {}
    for assignment_id, status, shift, title, kind, organization in session.execute(stmt):
        # Completed seats are services; a ledger entry on another seat (a later correction
        # of status) still counts as recorded time.
        if status != "completed" and assignment_id not in recorded:
            continue
        minutes = recorded.get(assignment_id, 0)
        starts_at = shift.starts_at.astimezone(tz)
        services.append(
            {
                "assignment_id": assignment_id,
                "date": starts_at.date(),
                "starts_at": starts_at,
                "ends_at": shift.ends_at.astimezone(tz),
                "organization_id": organization.id,
                "organization": organization.name,
                "need": title,
                "kind": kind,
                "minutes": minutes,
                "hours": _hours(minutes),
            }
        )
        group = by_organization.setdefault(
            organization.id,
            {"organization_id": organization.id, "organization": organization.name},
        )
        group["services"] = group.get("services", 0) + 1
        group["minutes"] = group.get("minutes", 0) + minutes
    for group in by_organization.values():
        group["hours"] = _hours(group["minutes"])
    total = sum(s["minutes"] for s in services)
    lifetime = recorded_minutes(session=session, person_id=person_id)
    return {
        "person": {
            "id": person.id,
            "name": person.name,
            "role": person.role,
            "erased": person.erased_at is not None,
        },
        "from": period.first if period else None,
        "to": period.after if period else None,
        "services": services,
        "by_organization": sorted(by_organization.values(), key=lambda g: g["organization"]),
        "total_services": len(services),
        "total_minutes": total,
        "total_hours": _hours(total),
        "lifetime_minutes": lifetime,
        "star_level": star_level(lifetime),
        "issued_on": utcnow().astimezone(tz).date(),
    }


def _hours(minutes: int) -> float:
    return round(minutes / 60, 2)


def service_record_csv(record: dict[str, Any]) -> bytes:
    """One row per service, in the order of CSV_HEADER."""
    return csv_bytes(
        CSV_HEADER,
        (
            [
                s["assignment_id"],
                s["date"].isoformat(),
                s["starts_at"].isoformat(),
                s["ends_at"].isoformat(),
                s["organization"],
                s["need"],
                s["kind"],
                s["minutes"],
                s["hours"],
            ]
            for s in record["services"]
        ),
    )
