"""Fairness reports: minutes per person, Gini, Jain and participation, for a run or a period."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Select, and_, select
from sqlalchemy.orm import Session

from models import (
    Assignment,
    Community,
    MatchingRun,
    Need,
    Organization,
    Person,
    Shift,
    organization_communities,
)
from services.access import unrestricted
from services.availability import expand_availability
from services.errors import Conflict, Forbidden, Invalid, NotFound
from services.intervals import whole_minutes
from services.mappers import database_id
from services.permissions import Reach
from services.person_availability import load_rules
from services.problems import parse_week
from services.queries import lookup
from services.reports import (
    MAX_FAIRNESS_DAYS,
    Period,
    csv_bytes,
    parse_period,
    share,
    spread,
    week_period,
)

# Seats that count in a period (published and standing) and in a run before publication.
PERIOD_STATUSES = ("offered", "confirmed", "completed")
PROPOSED_STATUSES = ("proposed",)
HISTOGRAM_BIN_MINUTES = 60
CSV_HEADER = (
    "person_id",
    "name",
    "role",
    "community_id",
    "community",
    "available",
    "assignments",
    "minutes",
)


@dataclass(slots=True)
class PersonLoad:
    person_id: int
    name: str
    role: str
    community_id: int | None
    community: str | None
    available: bool = False
    assignments: int = 0
    minutes: int = 0


@dataclass(frozen=True, slots=True)
class Scope:
    """Shifts counted (needs of these communities and/or this organization) and the people
    counted besides seat holders (active people of these communities; None: everyone)."""

    community_ids: frozenset[int] | None
    organization_id: int | None = None


# --- the figures --------------------------------------------------------------------------


def _figures(loads: list[PersonLoad]) -> dict[str, Any]:
    available = [p for p in loads if p.available]
    return {
        "people": len(loads),
        "people_available": len(available),
        "people_assigned": sum(1 for p in loads if p.assignments),
        "minutes": sum(p.minutes for p in loads),
        **spread([p.minutes for p in loads]),
        "participation": share(sum(1 for p in available if p.assignments), len(available)),
    }


def _breakdown(loads: list[PersonLoad], key: str) -> list[dict[str, Any]]:
    groups: dict[Any, list[PersonLoad]] = defaultdict(list)
    for load in loads:
        groups[getattr(load, key)].append(load)
    rows = []
    for value in sorted(groups, key=lambda v: (v is None, v)):
        members = groups[value]
        label = (
            {"role": value}
            if key == "role"
            else {
                "community_id": value,
                "community": members[0].community,
            }
        )
        rows.append({**label, **_figures(members)})
    return rows


def _report(loads: list[PersonLoad], **heading: Any) -> dict[str, Any]:
    loads.sort(key=lambda p: p.person_id)
    return {
        **heading,
        **_figures(loads),
        "by_community": _breakdown(loads, "community_id"),
        "by_role": _breakdown(loads, "role"),
        "per_person": [asdict(p) for p in loads],
    }


# --- loading ------------------------------------------------------------------------------


def _counted() -> Any:
    # Erased people are kept as pseudonyms for the hours record but no longer take part.
    return and_(Person.active.is_(True), Person.erased_at.is_(None))


def _loads(session: Session, people: Select | list[int], seats: Select) -> dict[int, PersonLoad]:
    """A load per counted person of `people` or of `seats` (person_id, starts_at, ends_at)."""
    conditions = [Person.id.in_(select(seats.subquery().c.person_id))]
    if isinstance(people, list):
        conditions += [Person.id.in_(chunk) for chunk in _chunks(people)]
    else:
        conditions.append(Person.id.in_(people))
    loads: dict[int, PersonLoad] = {}
    for condition in conditions:
        for row in session.execute(
            select(Person.id, Person.name, Person.role, Person.community_id, Community.name)
            .outerjoin(Community, Community.id == Person.community_id)
            .where(_counted(), condition)
        ):
            loads[row[0]] = PersonLoad(*row)
    for person_id, starts_at, ends_at in session.execute(seats):
        load = loads.get(person_id)
        if load is not None:
            load.assignments += 1
            load.minutes += whole_minutes(starts_at, ends_at)
    return loads


def _mark_available(
    session: Session, loads: dict[int, PersonLoad], period: Period, tz: str
) -> None:
    """A person is available when their expanded availability overlaps the period at all."""
    ids = list(loads)
    windows: dict[int, list] = {}
    exceptions: dict[int, list] = {}
    for chunk in _chunks(ids):
        found_windows, found_exceptions = load_rules(
            session, chunk, start=period.start, end=period.end
        )
        windows.update(found_windows)
        exceptions.update(found_exceptions)
    for person_id in set(windows) | set(exceptions):
        loads[person_id].available = bool(
            expand_availability(
                windows.get(person_id, ()),
                exceptions.get(person_id, ()),
                start=period.start,
                end=period.end,
                timezone=tz,
            )
        )


def _chunks(ids: list[int], size: int = 5000) -> list[list[int]]:
    # Bounded IN lists: SQLite and PostgreSQL both cap the parameters of one statement.
    return [ids[i : i + size] for i in range(0, len(ids), size)] or [[]]


# --- scope --------------------------------------------------------------------------------


def resolve_scope(
    *,
    session: Session,
    reach: Reach | None,
    community_id: int | None,
    organization_id: int | None,
) -> Scope:
    """The scope asked for, checked against the caller's reach.

    No scope is everything for administrators and the coordinator's own communities for a
    coordinator; a community or organization outside the caller's reach is 403.
    """
    if community_id is not None and organization_id is not None:
        message = "give community_id or organization_id, not both"
        raise Invalid(
            "one scope at a time",
            errors={"community_id": [message], "organization_id": [message]},
        )
    if community_id is not None:
        if reach is not None and not reach.has_community(community_id):
            raise Forbidden("that community is outside your reach")
        if lookup(session, Community, community_id) is None:
            raise Invalid(
                "unknown community",
                errors={"community_id": [f"no community with id {community_id}"]},
            )
        return Scope(frozenset({community_id}))
    if organization_id is not None:
        if reach is not None and not reach.has_organization(organization_id):
            raise Forbidden("that organization is outside your reach")
        if lookup(session, Organization, organization_id) is None:
            raise Invalid(
                "unknown organization",
                errors={"organization_id": [f"no organization with id {organization_id}"]},
            )
        served = session.scalars(
            select(organization_communities.c.community_id).where(
                organization_communities.c.organization_id == organization_id
            )
        )
        return Scope(frozenset(served), organization_id)
    if unrestricted(reach):
        return Scope(None)
    assert reach is not None
    return Scope(reach.community_ids or frozenset())


def _scope_label(scope: Scope, community_id: int | None) -> dict[str, Any]:
    return {"community_id": community_id, "organization_id": scope.organization_id}


def _shift_filter(scope: Scope) -> list[Any]:
    if scope.organization_id is not None:
        return [Need.organization_id == scope.organization_id]
    if scope.community_ids is not None:
        return [Need.community_id.in_(scope.community_ids)]
    return []


def _people_filter(scope: Scope) -> Select:
    if scope.community_ids is None:
        return select(Person.id)
    return select(Person.id).where(Person.community_id.in_(scope.community_ids))


# --- the two reports ----------------------------------------------------------------------


def period_fairness(
    *,
    session: Session,
    first: Any,
    after: Any,
    timezone: str,
    reach: Reach | None = None,
    community_id: int | None = None,
    organization_id: int | None = None,
) -> dict[str, Any]:
    """Fairness of the published seats on shifts starting in [first, after) (local dates)."""
    period = parse_period(first, after, timezone=timezone, max_days=MAX_FAIRNESS_DAYS)
    assert period is not None
    scope = resolve_scope(
        session=session, reach=reach, community_id=community_id, organization_id=organization_id
    )
    seats = (
        select(Assignment.person_id, Shift.starts_at, Shift.ends_at)
        .join(Shift, Shift.id == Assignment.shift_id)
        .join(Need, Need.id == Shift.need_id)
        .where(
            Assignment.status.in_(PERIOD_STATUSES),
            Shift.cancelled.is_(False),
            Shift.starts_at >= period.start,
            Shift.starts_at < period.end,
            *_shift_filter(scope),
        )
    )
    loads = _loads(session, _people_filter(scope), seats)
    _mark_available(session, loads, period, timezone)
    return _report(
        list(loads.values()),
        subject="period",
        run_id=None,
        **{"from": period.first, "to": period.after},
        **_scope_label(scope, community_id),
    )


def run_fairness(*, session: Session, run_id: int, timezone: str) -> dict[str, Any]:
    """Fairness of a run's seats: its proposals before publication, its published seats after.

    The people counted are those of the run's stored problem (plus any seat holder); the
    available ones are those the problem gave any availability.
    """
    run = lookup(session, MatchingRun, run_id)
    if run is None:
        raise NotFound(f"run {run_id} not found")
    if run.problem is None or run.status not in ("solved", "published"):
        raise Conflict(f"run {run_id} is {run.status}; only solved or published runs have seats")
    statuses = PROPOSED_STATUSES if run.status == "solved" else PERIOD_STATUSES
    seats = (
        select(Assignment.person_id, Shift.starts_at, Shift.ends_at)
        .join(Shift, Shift.id == Assignment.shift_id)
        .where(Assignment.matching_run_id == run.id, Assignment.status.in_(statuses))
    )
    in_problem: dict[int, bool] = {}
    for person in run.problem.get("people", []):
        try:
            in_problem[database_id(str(person.get("id", "")), "p")] = bool(
                person.get("availability")
            )
        except ValueError:
            continue  # a stored problem always has p<id> keys; anything else cannot count
    loads = _loads(session, list(in_problem), seats)
    for person_id, load in loads.items():
        load.available = in_problem.get(person_id, False)
    start, end = parse_week(run.week, timezone=timezone)
    period = week_period(start, end)
    return _report(
        list(loads.values()),
        subject="run",
        run_id=run.id,
        run_status=run.status,
        week=run.week,
        scope=run.scope,
        **{"from": period.first, "to": period.after},
        community_id=None,
        organization_id=None,
    )


# --- exports ------------------------------------------------------------------------------


def fairness_csv(report: dict[str, Any]) -> bytes:
    """One row per person counted, in the order of CSV_HEADER."""
    return csv_bytes(
        CSV_HEADER,
        (
            [
                row["person_id"],
                row["name"],
                row["role"],
                row["community_id"],
                row["community"],
                "yes" if row["available"] else "no",
                row["assignments"],
                row["minutes"],
            ]
            for row in report["per_person"]
        ),
    )


def histogram(report: dict[str, Any], *, bin_minutes: int = HISTOGRAM_BIN_MINUTES) -> list[dict]:
    """People per bin of minutes: [0, 60), [60, 120), ...; empty bins between are kept."""
    minutes = [row["minutes"] for row in report["per_person"]]
    if not minutes:
        return []
    counts: dict[int, int] = defaultdict(int)
    for value in minutes:
        counts[max(value, 0) // bin_minutes] += 1
    return [
        {"from": i * bin_minutes, "to": (i + 1) * bin_minutes, "people": counts.get(i, 0)}
        for i in range(max(counts) + 1)
    ]


# Histogram geometry, in SVG user units: the template only draws what is computed here.
CHART_WIDTH, CHART_HEIGHT = 720, 400
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 70, 20, 50, 60
MAX_X_LABELS = 12


def histogram_chart(report: dict[str, Any]) -> dict[str, Any]:
    """Bars, ticks and title of the minutes-per-person histogram (bins of 60 minutes)."""
    bins = histogram(report)
    plot_w = CHART_WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = CHART_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    top = max((b["people"] for b in bins), default=0)
    step = max(1, -(-top // 5))  # at most about five y ticks, on whole people
    y_max = max(step * -(-top // step), 1)
    bar_w = plot_w / len(bins) if bins else plot_w
    every = max(1, -(-len(bins) // MAX_X_LABELS))
    bars = []
    for i, b in enumerate(bins):
        height = plot_h * b["people"] / y_max
        bars.append(
            {
                **b,
                "x": round(MARGIN_LEFT + i * bar_w, 2),
                "y": round(MARGIN_TOP + plot_h - height, 2),
                "width": round(max(bar_w - 2, 1), 2),
                "height": round(height, 2),
                "label": f"{b['from'] // 60}h" if i % every == 0 else None,
                "label_x": round(MARGIN_LEFT + i * bar_w, 2),
            }
        )
    y_ticks = [
        {"value": v, "y": round(MARGIN_TOP + plot_h - plot_h * v / y_max, 2)}
        for v in range(0, y_max + 1, step)
    ]
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": MARGIN_LEFT,
        "top": MARGIN_TOP,
        "right": MARGIN_LEFT + plot_w,
        "bottom": MARGIN_TOP + plot_h,
        "bars": bars,
        "y_ticks": y_ticks,
        "title": _chart_title(report),
        "empty": not bins,
    }


def _chart_title(report: dict[str, Any]) -> str:
    def figure(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.3f}"

    subject = (
        f"run {report['run_id']} ({report['week']})"
        if report["subject"] == "run"
        else f"{report['from']} to {report['to']}"
    )
    return (
        f"Minutes per person, {subject}: {report['people']} people, "
        f"Gini {figure(report['gini'])}, Jain {figure(report['jain'])}"
    )
