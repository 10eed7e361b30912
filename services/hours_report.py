"""Hours reports for funders: recorded service per organization or community over a period."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, aliased

from models import Assignment, Community, HoursEntry, Need, Organization, Shift
from services.access import need_condition
from services.errors import Invalid
from services.permissions import Reach
from services.reports import MAX_HOURS_DAYS, csv_bytes, parse_period

GROUP_BY = ("organization", "community")
CSV_HEADER = ("group_by", "id", "name", "hours", "minutes", "services", "people")


def _group_columns(group_by: str) -> tuple[ColumnElement[Any], Any]:
    if group_by == "organization":
        return Need.organization_id, Organization
    return Need.community_id, Community


def hours_report(
    *,
    session: Session,
    first: Any,
    after: Any,
    timezone: str,
    group_by: str,
    reach: Reach | None = None,
) -> dict[str, Any]:
    """Recorded minutes, completed services and distinct people per group, for shifts that start
    in [first, after) (local dates). Ledger entries count at their assignment's shift start; a
    correction counts with the entry it corrects. Organization staff see their own needs only.
    """
    if group_by not in GROUP_BY:
        raise Invalid("bad group_by", errors={"group_by": [f"one of {', '.join(GROUP_BY)}"]})
    period = parse_period(first, after, timezone=timezone, max_days=MAX_HOURS_DAYS)
    assert period is not None
    key, named = _group_columns(group_by)
    in_period = (
        Shift.starts_at >= period.start,
        Shift.starts_at < period.end,
        need_condition(reach),
    )
    corrected = aliased(HoursEntry)
    attributed = func.coalesce(HoursEntry.assignment_id, corrected.assignment_id)
    minutes = dict(
        session.execute(
            select(key, func.sum(HoursEntry.minutes))
            .select_from(HoursEntry)
            .outerjoin(corrected, corrected.id == HoursEntry.corrects_entry_id)
            .join(Assignment, Assignment.id == attributed)
            .join(Shift, Shift.id == Assignment.shift_id)
            .join(Need, Need.id == Shift.need_id)
            .where(*in_period)
            .group_by(key)
        ).all()
    )
    completed = (
        select(key.label("group_id"), Assignment.person_id.label("person_id"))
        .select_from(Assignment)
        .join(Shift, Shift.id == Assignment.shift_id)
        .join(Need, Need.id == Shift.need_id)
        .where(Assignment.status == "completed", *in_period)
    ).subquery()
    services: dict[Any, tuple[int, int]] = {
        group: (count, people)
        for group, count, people in session.execute(
            select(
                completed.c.group_id,
                func.count(),
                func.count(func.distinct(completed.c.person_id)),
            ).group_by(completed.c.group_id)
        )
    }
    total_people = session.scalar(select(func.count(func.distinct(completed.c.person_id)))) or 0
    groups = set(minutes) | set(services)
    names = dict(
        session.execute(
            select(named.id, named.name).where(named.id.in_([g for g in groups if g is not None]))
        ).all()
    )
    rows = []
    for group in sorted(groups, key=lambda g: (g is None, g)):
        served = int(minutes.get(group) or 0)
        count, people = services.get(group, (0, 0))
        rows.append(_row(group, names.get(group), served, count, people))
    totals: dict[str, int] = defaultdict(int)
    for row in rows:
        totals["minutes"] += row["minutes"]
        totals["services"] += row["services"]
    return {
        "from": period.first,
        "to": period.after,
        "group_by": group_by,
        "groups": rows,
        "total": _row(None, None, totals["minutes"], totals["services"], total_people),
    }


def _row(group: Any, name: str | None, minutes: int, services: int, people: int) -> dict:
    return {
        "id": group,
        "name": name,
        "minutes": minutes,
        "hours": round(minutes / 60, 2),
        "services": services,
        "people": people,
    }


def hours_csv(report: dict[str, Any]) -> bytes:
    """One row per group, then a `total` row (its id empty)."""
    total = report["total"]
    rows = [
        [
            report["group_by"],
            g["id"],
            g["name"],
            g["hours"],
            g["minutes"],
            g["services"],
            g["people"],
        ]
        for g in report["groups"]
    ]
    rows.append(
        [
            "total",
            None,
            "合计 total",
            total["hours"],
            total["minutes"],
            total["services"],
            total["people"],
        ]
    )
    return csv_bytes(CSV_HEADER, rows)
