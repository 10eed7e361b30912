"""Use case: export the matching problem of one ISO week, optionally for one community."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from models import (
    Assignment,
    Community,
    Consent,
    HoursEntry,
    Need,
    Person,
    PersonSkill,
    PointsAccount,
    Position,
    PositionSkill,
    Shift,
    Skill,
    User,
)
from services import audit
from services.availability import expand_availability
from services.errors import Invalid, NotFound
from services.mappers import PERSON_COLUMNS, PersonRows, ShiftRows, build_problem
from services.person_availability import load_rules
from services.reliability import DEFAULT_NO_SHOW_LIMIT, paused_people
from services.shifts import generate_shifts_for_horizon

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
# Service before the horizon that counts as a person's recent load (fairness term).
RECENT_DAYS = 28
DEFAULT_TRAVEL_BUFFER_MINUTES = 30


# Years a week may fall in: far enough for planning, and no date arithmetic overflows.
FIRST_YEAR, LAST_YEAR = 2000, 2100


def parse_week(week: str, *, timezone: str, field: str = "week") -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday 00:00 of ISO week `YYYY-Www` (years 2000 to 2100),
    aware in `timezone`."""
    match = _WEEK.match(week.strip()) if isinstance(week, str) else None
    try:
        if match is None or not FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR:
            raise ValueError
        monday = date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
        tz = ZoneInfo(timezone)
        start = datetime.combine(monday, time(), tzinfo=tz)
        end = datetime.combine(monday + timedelta(days=7), time(), tzinfo=tz)
    except (ValueError, OverflowError):
        raise Invalid(
            "bad week",
            errors={
                field: [
                    f"give an ISO week such as 2026-W49 in the years {FIRST_YEAR} to "
                    f"{LAST_YEAR}, got {week!r}"
                ]
            },
        ) from None
    return start, end


def export_problem(
    *,
    session: Session,
    week: str,
    timezone: str,
    community_id: int | None = None,
    street: str | None = None,
    travel_buffer_minutes: int = DEFAULT_TRAVEL_BUFFER_MINUTES,
    no_show_limit: int = DEFAULT_NO_SHOW_LIMIT,
    actor: User | None = None,
    commit: bool = True,
) -> dict:
    """The problem file (a JSON-ready dict) of ISO week `week`, of everything, one community or
    the communities of one street (街道).

    Shifts of recurring needs are generated for the week first (and committed). In a
    community's problem, shifts are those of the community's needs and people are the
    community's active people, plus anyone holding a confirmed seat on one of those shifts
    (a seat that stands uses the position whatever the person's community). People paused
    for reliability (`no_show_limit` unexcused no-shows in 12 months) are left out.
    """
    start, end = parse_week(week, timezone=timezone)
    if community_id is not None and session.get(Community, community_id) is None:
        raise NotFound(
            f"community {community_id} not found",
            errors={"community": [f"no community with id {community_id}"]},
        )
    if (
        street is not None
        and session.scalar(select(Community.id).where(Community.street == street).limit(1)) is None
    ):
        raise NotFound(f"no community on street {street!r}", errors={"street": ["unknown street"]})
    generate_shifts_for_horizon(
        session=session,
        start=start,
        end=end,
        timezone=timezone,
        community_id=community_id,
        commit=commit,
    )
    problem = load_problem_rows(
        session=session,
        start=start,
        end=end,
        timezone=timezone,
        communities=_communities(community_id, street),
        travel_buffer_minutes=travel_buffer_minutes,
        no_show_limit=no_show_limit,
    )
    if actor is not None:
        # A person's export of availability and location is a sensitive action.
        audit.record(
            session=session,
            actor=actor,
            action="problem.export",
            subject_type="problems",
            subject_id=f"{week}/{_scope_label(community_id, street)}",
            details={"people": len(problem["people"]), "shifts": len(problem["shifts"])},
        )
        session.commit()
    return problem


def load_problem_rows(
    *,
    session: Session,
    start: datetime,
    end: datetime,
    timezone: str,
    communities: Select | None = None,
    travel_buffer_minutes: int = DEFAULT_TRAVEL_BUFFER_MINUTES,
    no_show_limit: int = DEFAULT_NO_SHOW_LIMIT,
) -> dict:
    """Read the horizon's shifts and people with a fixed number of set-based queries, then map.

    Reads only: shifts must already exist (see `export_problem`).
    """
    shift_ids = _shift_scope(start, end, communities)
    paused = paused_people(now=start, limit=no_show_limit)
    person_ids = _person_scope(shift_ids, communities, paused)
    shifts = _load_shifts(session, shift_ids)
    people = _load_people(session, person_ids, start=start, end=end, timezone=timezone)
    return build_problem(
        timezone=timezone,
        start=start,
        end=end,
        people=people,
        shifts=shifts,
        fixed=_pairs(session, shift_ids, "confirmed", Assignment.position_id),
        forbidden=_pairs(session, shift_ids, "declined", Assignment.shift_id),
        history=_history(session, person_ids, shift_ids, before=start),
        travel_buffer_minutes=travel_buffer_minutes,
    )


# --- scopes, as subqueries so that no query carries thousands of ids ---


def _scope_label(community_id: int | None, street: str | None) -> str:
    if community_id is not None:
        return f"community:{community_id}"
    return f"street:{street}" if street is not None else "all"


def _communities(community_id: int | None, street: str | None) -> Select | None:
    """The ids of the communities in scope, as a subquery (None: all of them)."""
    if community_id is not None:
        return select(Community.id).where(Community.id == community_id)
    if street is not None:
        return select(Community.id).where(Community.street == street)
    return None


def _shift_scope(start: datetime, end: datetime, communities: Select | None) -> Select:
    query = (
        select(Shift.id)
        .join(Need, Need.id == Shift.need_id)
        .where(
            Need.active.is_(True),
            Shift.cancelled.is_(False),
            Shift.starts_at >= start,
            Shift.starts_at < end,
        )
    )
    if communities is not None:
        query = query.where(Need.community_id.in_(communities))
    return query


def _person_scope(shift_ids: Select, communities: Select | None, paused: Select) -> Select:
    in_scope = and_(Person.active.is_(True), Person.id.not_in(paused))
    if communities is not None:
        in_scope = and_(in_scope, Person.community_id.in_(communities))
    holds_seat = Person.id.in_(
        select(Assignment.person_id).where(
            Assignment.status == "confirmed", Assignment.shift_id.in_(shift_ids)
        )
    )
    return select(Person.id).where(or_(in_scope, holds_seat))


# --- loaders ---


def _load_shifts(session: Session, shift_ids: Select) -> list[ShiftRows]:
    rows = session.execute(
        select(Shift, Need)
        .join(Need, Need.id == Shift.need_id)
        .where(Shift.id.in_(shift_ids))
        .order_by(Shift.starts_at, Shift.id)
    ).all()
    requirements: dict[int, dict[str, int]] = defaultdict(dict)
    for position_id, code, level in session.execute(
        select(PositionSkill.position_id, Skill.code, PositionSkill.min_level)
        .join(Skill, Skill.id == PositionSkill.skill_id)
        .join(Position, Position.id == PositionSkill.position_id)
        .where(Position.shift_id.in_(shift_ids))
    ):
        requirements[position_id][code] = level
    positions: dict[int, list] = defaultdict(list)
    for position in session.scalars(
        select(Position).where(Position.shift_id.in_(shift_ids)).order_by(Position.id)
    ):
        positions[position.shift_id].append((position, requirements.get(position.id, {})))
    return [
        ShiftRows(shift=shift, need=need, positions=positions.get(shift.id, []))
        for shift, need in rows
    ]


def _load_people(
    session: Session, person_ids: Select, *, start: datetime, end: datetime, timezone: str
) -> list[PersonRows]:
    # Plain column rows, not ORM objects: a city's week has tens of thousands of people.
    people = {
        p.id: PersonRows(person=p)
        for p in session.execute(
            select(*PERSON_COLUMNS).where(Person.id.in_(person_ids)).order_by(Person.id)
        )
    }
    # The consent in force is the newest record (services/personal_data.py).
    for person_id, granted in session.execute(
        select(Consent.person_id, Consent.granted)
        .where(Consent.person_id.in_(person_ids), Consent.purpose == "precise_location")
        .order_by(Consent.person_id, Consent.recorded_at)
    ):
        people[person_id].precise_location = granted
    # An expired skill does not count; one expiring during the week still does on its first day.
    first_day = start.astimezone(ZoneInfo(timezone)).date()
    for person_id, code, level in session.execute(
        select(PersonSkill.person_id, Skill.code, PersonSkill.level)
        .join(Skill, Skill.id == PersonSkill.skill_id)
        .where(
            PersonSkill.person_id.in_(person_ids),
            or_(PersonSkill.expires_on.is_(None), PersonSkill.expires_on >= first_day),
        )
    ):
        people[person_id].skills[code] = level
    windows, exceptions = load_rules(session, person_ids, start=start, end=end)
    for person_id, rows in people.items():
        rows.availability = expand_availability(
            windows.get(person_id, ()),
            exceptions.get(person_id, ()),
            start=start,
            end=end,
            timezone=timezone,
        )
    for person_id, (points, minutes) in person_workload(session, person_ids, before=start).items():
        if person_id in people:
            people[person_id].points = points
            people[person_id].recent_minutes = minutes
    return list(people.values())


def person_workload(
    session: Session, person_ids: Select, *, before: datetime
) -> dict[int, tuple[int, int]]:
    """(points balance, recent minutes) per person, from the two ledgers.

    Recent minutes are the recorded minutes (service entries and their corrections) of
    assignments on shifts starting in the RECENT_DAYS days before `before`.
    """
    workload: dict[int, tuple[int, int]] = {
        person_id: (balance, 0)
        for person_id, balance in session.execute(
            select(PointsAccount.person_id, PointsAccount.balance).where(
                PointsAccount.person_id.in_(person_ids)
            )
        )
    }
    for person_id, minutes in session.execute(
        select(HoursEntry.person_id, func.sum(HoursEntry.minutes))
        .join(Assignment, Assignment.id == HoursEntry.assignment_id)
        .join(Shift, Shift.id == Assignment.shift_id)
        .where(
            HoursEntry.person_id.in_(person_ids),
            Shift.starts_at >= before - timedelta(days=RECENT_DAYS),
            Shift.starts_at < before,
        )
        .group_by(HoursEntry.person_id)
    ):
        points, _ = workload.get(person_id, (0, 0))
        workload[person_id] = (points, max(0, int(minutes)))
    return workload


def _pairs(session: Session, shift_ids: Select, status: str, other) -> set[tuple[int, int]]:
    """(person id, `other` id) of the assignments with `status` on the horizon's shifts."""
    return {
        (person_id, other_id)
        for person_id, other_id in session.execute(
            select(Assignment.person_id, other)
            .where(Assignment.status == status, Assignment.shift_id.in_(shift_ids))
            .distinct()
        )
    }


def _history(
    session: Session, person_ids: Select, shift_ids: Select, *, before: datetime
) -> dict[tuple[int, int], int]:
    """Services recorded in the hours ledger per (person, need) on shifts before the horizon,
    for the needs that have shifts in the horizon."""
    need_ids = select(Shift.need_id).where(Shift.id.in_(shift_ids))
    query = (
        select(HoursEntry.person_id, Shift.need_id, func.count())
        .join(Assignment, Assignment.id == HoursEntry.assignment_id)
        .join(Shift, Shift.id == Assignment.shift_id)
        .where(
            HoursEntry.kind == "service",
            Shift.starts_at < before,
            Shift.need_id.in_(need_ids),
            HoursEntry.person_id.in_(person_ids),
        )
        .group_by(HoursEntry.person_id, Shift.need_id)
    )
    return {(p, n): count for p, n, count in session.execute(query)}
